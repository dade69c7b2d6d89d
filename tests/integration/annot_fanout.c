/* tsn-annot-clients fanout: the fan-out latency benchmark. R receivers
 * (observers) and S senders (clinicians) in one fresh room, all in this
 * process. Every interval the next sender (round robin, so each socket
 * stays below 20 events/s) sends one arrow; the time it was handed to the
 * socket and the time each receiver had the whole event message are both
 * CLOCK_MONOTONIC of this process, so send->receive needs no clock sync.
 * The sender's own copy gives the event's seq (and the echo time).
 *
 * The receive time is taken when libwebsockets hands over the message, so
 * it includes this process's TLS decryption and the order in which it
 * services the ready sockets (one thread): the figures are an upper bound
 * of what the relay adds. With --pointers P, P pointer messages (not
 * sequenced; the index is in x) follow from sender 0, every 30 ms or more.
 * With --pings N, sender 0 first times N ping/pong round trips at the same
 * interval: the floor of one TLS WebSocket round trip through the relay on
 * this machine, with no fan-out, to read the other figures against.
 * Prints one JSON line. Fails (exit 1) when events are missing or refused. */
#include "annot_modes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <jansson.h>

#include "annot_net.h"
#include "latency_stats.h"

#define JOIN_TIMEOUT_US    (60LL * 1000 * 1000)
#define DRAIN_TIMEOUT_US   (10LL * 1000 * 1000)
#define POINTER_MIN_GAP_MS 30 /* the relay forwards one per 25 ms */
#define POINTER_SCALE      10000.0

struct fpeer {
    struct fan *f;
    int sender;
    struct tsn_anet_conn *conn;
    int snapshot_seen;
    int ended;
    int64_t *rx_us;  /* by seq (receivers) */
    int64_t *prx_us; /* by pointer index (receivers) */
    long events, pointers;
};

struct fan {
    const struct tsn_aopts *o;
    struct tsn_anet *net;
    struct fpeer *peers; /* senders first */
    int n_peers;
    long n_events;    /* warmup + measured */
    int64_t *tx_us;   /* by event index */
    int64_t *echo_us; /* by event index: the sender's own copy */
    int64_t *seq_of;  /* by event index */
    long next, replies, refused, stray;
    int64_t next_us, last_tx_us;
    int64_t max_seq_cap;
    int pointer_phase;
    long next_ptr;
    int64_t *ptx_us;                  /* by pointer index */
    int64_t *ping_tx_us, *ping_rx_us; /* by ping index */
    long next_ping;
    int64_t ptr_gap_us;
    char first_refusal[200];
};

static long long parse_after(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* Cheap parsing: this runs for every (receiver, event) pair, and its time
 * delays the receive stamps of the sockets serviced after it. */
static void on_message(struct tsn_anet_conn *conn, const char *text, size_t len, int64_t rx_us)
{
    struct fpeer *p = tsn_anet_conn_user(conn);
    struct fan *f = p->f;
    if (p->sender) {
        /* Senders are few: parse properly, the top-level id marks the
         * sender's own copy (a mark has an "id" of its own). */
        json_t *o = json_loadb(text, len, 0, NULL);
        const char *type = json_string_value(json_object_get(o, "type"));
        json_t *id = json_object_get(o, "id");
        const char *from = json_string_value(json_object_get(o, "from"));
        if (type && strcmp(type, "event") == 0 && json_is_integer(id) && from &&
            strcmp(from, tsn_anet_sub(conn)) == 0) {
            json_int_t k = json_integer_value(id);
            if (k >= 0 && k < f->n_events) {
                f->seq_of[k] = json_integer_value(json_object_get(o, "seq"));
                f->echo_us[k] = rx_us;
                f->replies++;
            }
        } else if (type && strcmp(type, "pong") == 0 && json_is_integer(id)) {
            json_int_t k = json_integer_value(id);
            if (k >= 0 && k < f->o->pings)
                f->ping_rx_us[k] = rx_us;
        } else if (type && strcmp(type, "annotations") == 0) {
            p->snapshot_seen = 1;
        } else if (type && strcmp(type, "error") == 0) {
            f->refused++;
            if (!f->first_refusal[0])
                snprintf(f->first_refusal, sizeof f->first_refusal, "%.*s",
                         (int)(len < 199 ? len : 199), text);
        }
        json_decref(o);
        return;
    }
    if (strstr(text, "\"type\":\"event\"")) {
        long long seq = parse_after(text, "\"seq\":");
        if (seq > 0 && seq < f->max_seq_cap) {
            p->rx_us[seq] = rx_us;
            p->events++;
        } else {
            f->stray++;
        }
    } else if (strstr(text, "\"type\":\"pointer\"")) {
        const char *x = strstr(text, "\"x\":");
        if (x) {
            long k = (long)(strtod(x + 4, NULL) * POINTER_SCALE + 0.5);
            if (k >= 0 && k < f->o->pointers) {
                p->prx_us[k] = rx_us;
                p->pointers++;
            }
        }
    } else if (strstr(text, "\"type\":\"annotations\"")) {
        p->snapshot_seen = 1;
    } else if (strstr(text, "\"type\":\"error\"")) {
        f->refused++;
        if (!f->first_refusal[0])
            snprintf(f->first_refusal, sizeof f->first_refusal, "%.*s",
                     (int)(len < 199 ? len : 199), text);
    }
}

static void on_closed(struct tsn_anet_conn *conn, int code)
{
    struct fpeer *p = tsn_anet_conn_user(conn);
    p->ended = 1;
    fprintf(stderr, "tsn-annot-clients: %s ended: %s (%d)\n", tsn_anet_name(conn),
            tsn_anet_why(conn), code);
}

static int all_joined(void *user)
{
    struct fan *f = user;
    for (int i = 0; i < f->n_peers; i++)
        if (!f->peers[i].snapshot_seen && !f->peers[i].ended)
            return 0;
    return 1;
}

static int send_events(void *user)
{
    struct fan *f = user;
    int64_t now = tsn_anet_now_us();
    if (f->next < f->n_events && now >= f->next_us) {
        struct fpeer *s = &f->peers[f->next % f->o->senders];
        char msg[192];
        snprintf(msg, sizeof msg,
                 "{\"type\":\"draw\",\"item\":{\"kind\":\"arrow\",\"points\":[[0.%04ld,0.25],"
                 "[0.5,0.5]]},\"id\":%ld}",
                 f->next % 10000, f->next);
        if (tsn_anet_send_str(s->conn, msg, f->next) != 0)
            return 1;
        f->next++;
        f->next_us += (int64_t)f->o->interval_ms * 1000;
    }
    if (f->next < f->n_events)
        return 0;
    /* All sent: until every receiver has every accepted event. */
    if (f->replies + f->refused < f->n_events)
        return 0;
    for (int i = f->o->senders; i < f->n_peers; i++)
        if (f->peers[i].events < f->replies && !f->peers[i].ended)
            return 0;
    return 1;
}

#define PING_TAG_BASE (-1000000L) /* tags of pings: PING_TAG_BASE - index */

static int send_pings(void *user)
{
    struct fan *f = user;
    int64_t now = tsn_anet_now_us();
    if (f->next_ping < f->o->pings && now >= f->next_us) {
        char msg[64];
        snprintf(msg, sizeof msg, "{\"type\":\"ping\",\"id\":%ld}", f->next_ping);
        if (tsn_anet_send_str(f->peers[0].conn, msg, PING_TAG_BASE - f->next_ping) != 0)
            return 1;
        f->next_ping++;
        f->next_us += (int64_t)f->o->interval_ms * 1000;
    }
    if (f->next_ping < f->o->pings)
        return 0;
    return f->o->pings == 0 || f->ping_rx_us[f->o->pings - 1] || now > f->last_tx_us + 500 * 1000;
}

static int send_pointers(void *user)
{
    struct fan *f = user;
    int64_t now = tsn_anet_now_us();
    if (f->next_ptr < f->o->pointers && now >= f->next_us) {
        char msg[96];
        snprintf(msg, sizeof msg, "{\"type\":\"pointer\",\"x\":%.4f,\"y\":0.5}",
                 (double)f->next_ptr / POINTER_SCALE);
        if (tsn_anet_send_str(f->peers[0].conn, msg, -2 - f->next_ptr) != 0)
            return 1;
        f->next_ptr++;
        f->next_us += f->ptr_gap_us;
    }
    return f->next_ptr >= f->o->pointers && now > f->last_tx_us + 500 * 1000;
}

static void on_sent(struct tsn_anet_conn *conn, long tag, int64_t tx_us)
{
    struct fpeer *p = tsn_anet_conn_user(conn);
    struct fan *f = p->f;
    if (tag >= 0 && tag < f->n_events)
        f->tx_us[tag] = tx_us;
    else if (tag <= PING_TAG_BASE && PING_TAG_BASE - tag < f->o->pings)
        f->ping_tx_us[PING_TAG_BASE - tag] = tx_us;
    else if (tag <= -2 && tag > PING_TAG_BASE && -2 - tag < f->o->pointers)
        f->ptx_us[-2 - tag] = tx_us;
    if (tag != -1)
        f->last_tx_us = tx_us;
}

static double cpu_s_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* utime + stime of a process in seconds, or -1. */
static double cpu_s_of(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    /* fields after ")": state(3) ... utime(14) stime(15) */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / 100.0; /* USER_HZ is 100 on Linux */
}

static void print_summary(const char *name, struct tsn_latency_stats *st, int comma)
{
    struct tsn_latency_summary s;
    if (tsn_latency_stats_summary(st, &s) != 0) {
        printf("%s\"%s\":null", comma ? "," : "", name);
        return;
    }
    printf("%s\"%s\":{\"n\":%llu,\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,\"max\":%.3f,"
           "\"mean\":%.3f}",
           comma ? "," : "", name, (unsigned long long)s.count, s.p50_ms, s.p95_ms, s.p99_ms,
           s.max_ms, s.mean_ms);
}

/* Prints the JSON line; returns the number of failed checks. */
static int report(struct fan *f, double setup_s, double wall_s, double cpu_self, double cpu_relay)
{
    const struct tsn_aopts *o = f->o;
    struct tsn_latency_stats *pairs = tsn_latency_stats_new(0), *last = tsn_latency_stats_new(0),
                             *first = tsn_latency_stats_new(0), *echo = tsn_latency_stats_new(0),
                             *ptr = tsn_latency_stats_new(0), *ping = tsn_latency_stats_new(0);
    long missing = 0, pmissing = 0;
    for (long k = o->warmup; k < f->n_events; k++) {
        int64_t seq = f->seq_of[k];
        if (seq <= 0 || !f->tx_us[k]) {
            missing += o->receivers;
            continue;
        }
        tsn_latency_stats_add(echo, (double)(f->echo_us[k] - f->tx_us[k]) / 1000.0);
        int64_t lo = INT64_MAX, hi = 0;
        for (int i = o->senders; i < f->n_peers; i++) {
            int64_t rx = seq < f->max_seq_cap ? f->peers[i].rx_us[seq] : 0;
            if (!rx) {
                missing++;
                continue;
            }
            tsn_latency_stats_add(pairs, (double)(rx - f->tx_us[k]) / 1000.0);
            lo = rx < lo ? rx : lo;
            hi = rx > hi ? rx : hi;
        }
        if (hi) {
            tsn_latency_stats_add(last, (double)(hi - f->tx_us[k]) / 1000.0);
            tsn_latency_stats_add(first, (double)(lo - f->tx_us[k]) / 1000.0);
        }
    }
    for (long k = 0; k < o->pointers; k++)
        for (int i = o->senders; i < f->n_peers; i++) {
            if (!f->peers[i].prx_us[k] || !f->ptx_us[k]) {
                pmissing++;
                continue;
            }
            tsn_latency_stats_add(ptr, (double)(f->peers[i].prx_us[k] - f->ptx_us[k]) / 1000.0);
        }
    for (long k = 0; k < o->pings; k++)
        if (f->ping_tx_us[k] && f->ping_rx_us[k])
            tsn_latency_stats_add(ping, (double)(f->ping_rx_us[k] - f->ping_tx_us[k]) / 1000.0);
    double loadavg = -1;
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf", &loadavg) != 1)
            loadavg = -1;
        fclose(la);
    }
    printf("{\"mode\":\"fanout\",\"receivers\":%d,\"senders\":%d,\"events\":%d,\"warmup\":%d,"
           "\"interval_ms\":%d,\"accepted\":%ld,\"refused\":%ld,\"missing_pairs\":%ld,"
           "\"unit\":\"ms\"",
           o->receivers, o->senders, o->events, o->warmup, o->interval_ms, f->replies, f->refused,
           missing);
    print_summary("send_to_receive", pairs, 1);
    print_summary("last_receiver", last, 1);
    print_summary("first_receiver", first, 1);
    print_summary("sender_echo", echo, 1);
    if (o->pings)
        print_summary("ping_rtt", ping, 1);
    if (o->pointers) {
        printf(",\"pointers\":%d,\"pointer_missing_pairs\":%ld", o->pointers, pmissing);
        print_summary("pointer_send_to_receive", ptr, 1);
    }
    printf(",\"setup_s\":%.2f,\"run_s\":%.2f,\"client_cpu_pct\":%.1f", setup_s, wall_s,
           100.0 * cpu_self / wall_s);
    if (cpu_relay >= 0)
        printf(",\"relay_cpu_pct\":%.1f", 100.0 * cpu_relay / wall_s);
    else
        printf(",\"relay_cpu_pct\":null");
    printf(",\"loadavg_1m\":%.2f,\"first_refusal\":", loadavg);
    json_t *fr = json_string(f->first_refusal);
    char *frs = f->first_refusal[0] && fr ? json_dumps(fr, JSON_ENCODE_ANY) : NULL;
    printf("%s}\n", frs ? frs : "null");
    free(frs);
    json_decref(fr);
    fflush(stdout);
    tsn_latency_stats_free(pairs);
    tsn_latency_stats_free(last);
    tsn_latency_stats_free(first);
    tsn_latency_stats_free(echo);
    tsn_latency_stats_free(ptr);
    tsn_latency_stats_free(ping);
    return (missing > 0) + (f->refused > 0);
}

static int setup(struct fan *f, const struct tsn_aopts *o)
{
    static const struct tsn_anet_handlers h = {on_message, on_sent, on_closed};
    f->o = o;
    f->n_peers = o->senders + o->receivers;
    f->n_events = (long)o->warmup + o->events;
    f->max_seq_cap = f->n_events + 64;
    f->peers = calloc((size_t)f->n_peers, sizeof *f->peers);
    f->tx_us = calloc((size_t)f->n_events, sizeof *f->tx_us);
    f->echo_us = calloc((size_t)f->n_events, sizeof *f->echo_us);
    f->seq_of = calloc((size_t)f->n_events, sizeof *f->seq_of);
    f->ptx_us = calloc((size_t)o->pointers + 1, sizeof *f->ptx_us);
    f->ping_tx_us = calloc((size_t)o->pings + 1, sizeof *f->ping_tx_us);
    f->ping_rx_us = calloc((size_t)o->pings + 1, sizeof *f->ping_rx_us);
    f->net = tsn_anet_new(o->url, &h, f);
    if (!f->peers || !f->tx_us || !f->echo_us || !f->seq_of || !f->ptx_us || !f->ping_tx_us ||
        !f->ping_rx_us || !f->net)
        return -ENOMEM;
    for (int i = 0; i < f->n_peers; i++) {
        struct fpeer *p = &f->peers[i];
        char name[32];
        p->f = f;
        p->sender = i < o->senders;
        if (!p->sender) {
            p->rx_us = calloc((size_t)f->max_seq_cap, sizeof *p->rx_us);
            p->prx_us = calloc((size_t)o->pointers + 1, sizeof *p->prx_us);
            if (!p->rx_us || !p->prx_us)
                return -ENOMEM;
        }
        snprintf(name, sizeof name, "%s-%d", p->sender ? "sender" : "receiver", i);
        p->conn = tsn_anet_open(f->net, o->tokens[i], name, p);
        if (!p->conn)
            return -ENOMEM;
    }
    return 0;
}

static void teardown(struct fan *f)
{
    tsn_anet_free(f->net);
    for (int i = 0; f->peers && i < f->n_peers; i++) {
        free(f->peers[i].rx_us);
        free(f->peers[i].prx_us);
    }
    free(f->peers);
    free(f->tx_us);
    free(f->echo_us);
    free(f->seq_of);
    free(f->ptx_us);
    free(f->ping_tx_us);
    free(f->ping_rx_us);
}

int tsn_annot_fanout(const struct tsn_aopts *o)
{
    struct fan f;
    memset(&f, 0, sizeof f);
    int status = TSN_AEXIT_CONNECT;
    if (o->n_tokens < (size_t)(o->senders + o->receivers)) {
        fprintf(stderr,
                "tsn-annot-clients: fanout needs %d tokens (senders + receivers), got %zu\n",
                o->senders + o->receivers, o->n_tokens);
        return TSN_AEXIT_USAGE;
    }
    if (o->interval_ms * o->senders < 50)
        fprintf(stderr, "tsn-annot-clients: warning: each sender sends more than 20 events/s\n");
    int64_t t_setup = tsn_anet_now_us();
    if (setup(&f, o) != 0)
        goto out;
    if (tsn_anet_run(f.net, t_setup + JOIN_TIMEOUT_US, all_joined, &f) != 0)
        goto out;
    for (int i = 0; i < f.n_peers; i++)
        if (!f.peers[i].snapshot_seen) {
            fprintf(stderr, "tsn-annot-clients: %s did not join\n", tsn_anet_name(f.peers[i].conn));
            goto out;
        }
    status = TSN_AEXIT_FAILED;
    double setup_s = (double)(tsn_anet_now_us() - t_setup) / 1e6;
    tsn_anet_sleep(f.net, 500); /* the presence storm of the joins is over */
    int64_t t0 = tsn_anet_now_us();
    double cpu0 = cpu_s_self(), rcpu0 = o->relay_pid ? cpu_s_of(o->relay_pid) : -1;
    f.next_us = t0;
    if (o->pings) {
        tsn_anet_run(f.net, t0 + (int64_t)o->pings * o->interval_ms * 1000 + DRAIN_TIMEOUT_US,
                     send_pings, &f);
        f.next_us = tsn_anet_now_us();
    }
    int64_t budget = (int64_t)f.n_events * o->interval_ms * 1000 + DRAIN_TIMEOUT_US;
    if (tsn_anet_run(f.net, f.next_us + budget, send_events, &f) != 0)
        fprintf(stderr, "tsn-annot-clients: not every receiver got every event in time\n");
    if (o->pointers) {
        f.ptr_gap_us =
            (int64_t)(o->interval_ms > POINTER_MIN_GAP_MS ? o->interval_ms : POINTER_MIN_GAP_MS) *
            1000;
        f.next_us = tsn_anet_now_us();
        tsn_anet_run(f.net, f.next_us + o->pointers * f.ptr_gap_us + DRAIN_TIMEOUT_US,
                     send_pointers, &f);
    }
    double wall_s = (double)(tsn_anet_now_us() - t0) / 1e6;
    double cpu_self = cpu_s_self() - cpu0;
    double rcpu = rcpu0 >= 0 ? cpu_s_of(o->relay_pid) - rcpu0 : -1;
    status = report(&f, setup_s, wall_s, cpu_self, rcpu) ? TSN_AEXIT_FAILED : TSN_AEXIT_OK;
out:
    if (status == TSN_AEXIT_CONNECT)
        fprintf(stderr, "tsn-annot-clients: fanout could not connect every socket\n");
    teardown(&f);
    return status;
}
