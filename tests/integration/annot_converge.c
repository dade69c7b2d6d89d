/* tsn-annot-clients converge: N clinicians in one fresh room send seeded,
 * interleaved, valid annotation messages at once (every op, freehands up to
 * 2000 points, pointers), below the relay's rate limits. When every sender
 * has its replies, client 0 draws, deletes, draws, undoes and draws once
 * more in the quiet room (so a delete and an undo are accepted whatever the
 * races did). Then each client must have seen the sequence 1..K (K = the
 * events accepted over all senders) without a gap, all in the same order
 * (a hash of the (seq, op, from) stream), and hold byte-identical state
 * dumps; then a late joiner loads the snapshot and must hold the same.
 *
 * Replies other than an event or a 404/409 error (404: a mark another
 * client deleted first; 409: a room limit) fail the run: every message sent
 * is valid and within the rate limits. Does not check the relay's
 * validation (annot_invalid.c does) or its timing (annot_fanout.c). */
#include "annot_modes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "annot_gen.h"
#include "annot_net.h"
#include "annot_state.h"

#define JOIN_TIMEOUT_US   (30LL * 1000 * 1000)
#define SETTLE_TIMEOUT_US (20LL * 1000 * 1000)
#define CHAT_GAP_US       (520 * 1000) /* chat limit: 2/s, bursts of 10 */
#define FREEHAND_MAX      2000
#define TAIL_TIMEOUT_US   (5LL * 1000 * 1000)

struct cclient {
    struct conv *cv;
    int index;
    int late;
    struct tsn_anet_conn *conn;
    struct tsn_annot_state *st;
    struct tsn_agen_rng rng;
    int snapshot_seen;
    int64_t snapshot_seq;
    int64_t last_seq;
    uint64_t hash;
    char bad[200]; /* the first problem this client saw ("" when none) */
    long sent, sent_seq, replies, accepted, rej_404, rej_409;
    long pointers_rx;
    long gaps;                    /* events whose seq was not the previous one + 1 */
    long op_seen[TSN_AGEN_N_OPS]; /* ops in the event stream, by name */
    int64_t next_send_us, last_chat_us;
    int64_t own_seq; /* the seq of this client's last accepted event */
};

struct conv {
    const struct tsn_aopts *o;
    struct tsn_anet *net;
    struct cclient *c; /* o->clients + 1 (the late joiner last) */
    int n;
    int64_t interval_us;
    int64_t target_seq; /* phase 3: wait until every client has it */
};

static void note_bad(struct cclient *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note_bad(struct cclient *c, const char *fmt, ...)
{
    va_list ap;
    if (c->bad[0])
        return;
    va_start(ap, fmt);
    vsnprintf(c->bad, sizeof c->bad, fmt, ap);
    va_end(ap);
    fprintf(stderr, "tsn-annot-clients: client %d: %s\n", c->index, c->bad);
}

static enum tsn_agen_op op_of(const char *name)
{
    for (int i = 0; i < TSN_AGEN_N_OPS; i++)
        if (name && strcmp(name, tsn_agen_op_name(i)) == 0)
            return i;
    return TSN_AGEN_N_OPS;
}

static void on_event(struct cclient *c, json_t *o, const char *text, size_t len)
{
    int64_t seq = json_integer_value(json_object_get(o, "seq"));
    const char *op = json_string_value(json_object_get(o, "op"));
    const char *from = json_string_value(json_object_get(o, "from"));
    json_t *id = json_object_get(o, "id");
    if (!c->snapshot_seen)
        note_bad(c, "an event before the annotations snapshot%s (seq %lld)", "", (long long)seq);
    if (seq != c->last_seq + 1 && ++c->gaps)
        note_bad(c, "sequence gap or reorder%s: got seq %lld", "", (long long)seq);
    char buf[160];
    int n =
        snprintf(buf, sizeof buf, "%lld:%s:%s;", (long long)seq, op ? op : "?", from ? from : "?");
    c->hash = tsn_afnv(c->hash, buf, (size_t)n);
    c->last_seq = seq;
    enum tsn_agen_op k = op_of(op);
    if (k < TSN_AGEN_N_OPS)
        c->op_seen[k]++;
    char why[200] = "";
    int rc = tsn_annot_state_handle(c->st, text, len, why, sizeof why);
    if (rc != 1)
        note_bad(c, "tsn_annot_state_handle refused an event: %s (%lld)", why, (long long)rc);
    if (id && from && strcmp(from, tsn_anet_sub(c->conn)) == 0) {
        c->replies++;
        c->accepted++;
        c->own_seq = seq;
    } else if (id) {
        note_bad(c, "another client's event carries an id%s (seq %lld)", "", (long long)seq);
    }
}

static void on_error(struct cclient *c, json_t *o)
{
    json_int_t code = json_integer_value(json_object_get(o, "code"));
    const char *reason = json_string_value(json_object_get(o, "reason"));
    if (!json_object_get(o, "id")) {
        note_bad(c, "an error without an id: %s (%lld)", reason ? reason : "", code);
        return;
    }
    c->replies++;
    if (code == 404)
        c->rej_404++;
    else if (code == 409)
        c->rej_409++;
    else
        note_bad(c, "a valid message was refused: %s (%lld)", reason ? reason : "", code);
}

static void on_message(struct tsn_anet_conn *conn, const char *text, size_t len, int64_t rx_us)
{
    struct cclient *c = tsn_anet_conn_user(conn);
    json_t *o = json_loadb(text, len, 0, NULL);
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!type) {
        note_bad(c, "a server message that is not a JSON object with a type%s (%lld)", "",
                 (long long)len);
    } else if (strcmp(type, "annotations") == 0) {
        char why[200] = "";
        if (c->snapshot_seen)
            note_bad(c, "a second annotations snapshot%s (%lld)", "", 0LL);
        if (tsn_annot_state_handle(c->st, text, len, why, sizeof why) != 1)
            note_bad(c, "tsn_annot_state_handle refused the snapshot: %s (%lld)", why, 0LL);
        c->snapshot_seen = 1;
        c->snapshot_seq = c->last_seq = tsn_annot_state_seq(c->st);
    } else if (strcmp(type, "event") == 0) {
        on_event(c, o, text, len);
    } else if (strcmp(type, "error") == 0) {
        on_error(c, o);
    } else if (strcmp(type, "pointer") == 0) {
        const char *from = json_string_value(json_object_get(o, "from"));
        if (from && strcmp(from, tsn_anet_sub(c->conn)) == 0)
            note_bad(c, "got its own pointer back%s (%lld)", "", 0LL);
        c->pointers_rx++;
    }
    json_decref(o);
}

static void on_closed(struct tsn_anet_conn *conn, int code)
{
    struct cclient *c = tsn_anet_conn_user(conn);
    note_bad(c, "connection ended: %s (close code %lld)", tsn_anet_why(conn), (long long)code);
}

static int all_joined(void *user)
{
    struct conv *cv = user;
    for (int i = 0; i < cv->n; i++)
        if (!cv->c[i].snapshot_seen && !cv->c[i].bad[0])
            return 0;
    return 1;
}

/* The next message of client c, when its time has come. */
static void send_one(struct conv *cv, struct cclient *c, int64_t now)
{
    const struct tsn_aopts *o = cv->o;
    enum tsn_agen_op op;
    char *msg;
    long id = c->sent_seq + 1;
    if (c->index == 0 && c->sent == 2) {
        /* At least one freehand at the limit in every run. */
        op = TSN_AGEN_DRAW;
        msg = tsn_agen_draw(tsn_agen_item(&c->rng, "freehand", FREEHAND_MAX), id);
    } else {
        /* No clear in the last fifth, so the final state is not empty. */
        int allow_clear = c->sent < o->events * 4 / 5;
        msg = tsn_agen_random(&c->rng, c->st, id, allow_clear, &op);
        if (op == TSN_AGEN_CHAT && now - c->last_chat_us < CHAT_GAP_US) {
            free(msg);
            op = TSN_AGEN_DRAW;
            msg = tsn_agen_draw(tsn_agen_item(&c->rng, "arrow", 2), id);
        }
    }
    if (!msg || tsn_anet_send_str(c->conn, msg, id) != 0) {
        note_bad(c, "cannot send message %s%lld", "", (long long)c->sent + 1);
        free(msg);
        c->sent = cv->o->events; /* give up: the report shows why */
        return;
    }
    free(msg);
    c->sent++;
    if (op != TSN_AGEN_POINTER)
        c->sent_seq++;
    if (op == TSN_AGEN_CHAT)
        c->last_chat_us = now;
    /* Jitter of +-30% keeps the clients' messages interleaving differently. */
    int64_t jitter = (int64_t)((tsn_agen_unit(&c->rng) - 0.5) * 0.6 * (double)cv->interval_us);
    c->next_send_us += cv->interval_us + jitter;
}

static int send_step(void *user)
{
    struct conv *cv = user;
    int64_t now = tsn_anet_now_us();
    int done = 1;
    for (int i = 0; i < cv->o->clients; i++) {
        struct cclient *c = &cv->c[i];
        if (c->sent < cv->o->events && now >= c->next_send_us)
            send_one(cv, c, now);
        if (c->sent < cv->o->events || c->replies < c->sent_seq)
            done = 0;
    }
    return done;
}

static int settled(void *user)
{
    struct conv *cv = user;
    for (int i = 0; i < cv->o->clients; i++)
        if (cv->c[i].last_seq < cv->target_seq && !cv->c[i].bad[0])
            return 0;
    return 1;
}

struct tail_wait {
    struct cclient *c;
    long replies;
};

static int tail_replied(void *user)
{
    struct tail_wait *w = user;
    return w->c->replies > w->replies || w->c->bad[0];
}

/* Sends one message from c in a quiet room and waits for its reply, which
 * must be the event. Returns the event's seq, or -1. */
static int64_t tail_step(struct conv *cv, struct cclient *c, char *msg, const char *what)
{
    struct tail_wait w = {c, c->replies};
    long accepted = c->accepted;
    if (!msg || tsn_anet_send_str(c->conn, msg, 0) != 0) {
        free(msg);
        note_bad(c, "cannot send the tail's %s%s", what, "");
        return -1;
    }
    free(msg);
    c->sent++;
    c->sent_seq++;
    if (tsn_anet_run(cv->net, tsn_anet_now_us() + TAIL_TIMEOUT_US, tail_replied, &w) != 0 ||
        c->accepted == accepted) {
        note_bad(c, "the tail's %s was not accepted%s", what, "");
        return -1;
    }
    return c->own_seq;
}

/* After the concurrent part, in a quiet room: a delete and an undo that
 * cannot lose a race, so every run has both accepted (under load, most
 * random deletes meet a mark already deleted or cleared: 404). */
static void tail(struct conv *cv)
{
    struct cclient *c = &cv->c[0];
    long id = c->sent_seq + 1;
    int64_t mark = tail_step(cv, c, tsn_agen_draw(tsn_agen_item(&c->rng, "arrow", 2), id), "draw");
    if (mark > 0)
        tail_step(cv, c, tsn_agen_delete(mark, id + 1), "delete");
    tail_step(cv, c, tsn_agen_draw(tsn_agen_item(&c->rng, "ellipse", 2), id + 2), "draw");
    tail_step(cv, c, tsn_agen_simple("undo", id + 3), "undo");
    tail_step(cv, c, tsn_agen_draw(tsn_agen_item(&c->rng, "text", 1), id + 4), "draw");
}

/* Opens the late joiner (index o->clients) and waits for its snapshot. */
static int join_late(struct conv *cv)
{
    struct cclient *late = &cv->c[cv->o->clients];
    late->conn = tsn_anet_open(cv->net, cv->o->tokens[cv->o->clients], "late-joiner", late);
    if (!late->conn)
        return -ENOMEM;
    int rc = tsn_anet_run(cv->net, tsn_anet_now_us() + JOIN_TIMEOUT_US, all_joined, cv);
    return rc ? rc : late->bad[0] ? -EPROTO : 0;
}

/* Prints the summary; returns the number of failed checks. */
static int report(struct conv *cv, int64_t elapsed_us)
{
    const struct tsn_aopts *o = cv->o;
    struct cclient *late = &cv->c[o->clients];
    long sent = 0, sent_seq = 0, accepted = 0, r404 = 0, r409 = 0, ptr_rx = 0;
    int identical = 1, same_order = 1, gapless = 1, clean = 1, failures = 0;
    char *ref = tsn_annot_state_dumps(cv->c[0].st);
    for (int i = 0; i < cv->n; i++) {
        struct cclient *c = &cv->c[i];
        char *d = tsn_annot_state_dumps(c->st);
        int same = ref && d && strcmp(ref, d) == 0;
        if (!same) {
            identical = 0;
            fprintf(stderr, "tsn-annot-clients: client %d's state differs from client 0's\n", i);
            char name[64];
            snprintf(name, sizeof name, "state-%d.json", i);
            tsn_adump_file(o->dump_dir, name, d ? d : "");
            tsn_adump_file(o->dump_dir, "state-0.json", ref ? ref : "");
        }
        free(d);
        gapless &= c->gaps == 0;
        clean &= !c->bad[0];
        if (i < o->clients) {
            sent += c->sent;
            sent_seq += c->sent_seq;
            accepted += c->accepted;
            r404 += c->rej_404;
            r409 += c->rej_409;
            ptr_rx += c->pointers_rx;
            if (c->hash != cv->c[0].hash || c->last_seq != cv->c[0].last_seq)
                same_order = 0;
        }
    }
    const struct tsn_annot_state *s = cv->c[0].st;
    int64_t final_seq = tsn_annot_state_seq(s);
    const long *ops = cv->c[0].op_seen;
    failures += !identical + !same_order + !gapless + !clean;
    failures += final_seq != accepted || late->snapshot_seq != accepted;
    failures += tsn_annot_state_count(s) == 0 || tsn_annot_state_bookmarks(s) == 0;
    failures += ptr_rx == 0;
    for (int k = 0; k < TSN_AGEN_N_OPS; k++)
        if (k != TSN_AGEN_POINTER && ops[k] == 0) {
            fprintf(stderr, "tsn-annot-clients: no accepted '%s' in the whole run\n",
                    tsn_agen_op_name(k));
            failures++;
        }
    printf("{\"mode\":\"converge\",\"clients\":%d,\"late_joiners\":1,\"messages_sent\":%ld,"
           "\"events_sent\":%ld,\"accepted\":%ld,\"rejected_404\":%ld,\"rejected_409\":%ld,"
           "\"final_seq\":%lld,\"late_joiner_seq\":%lld,\"marks\":%zu,\"points\":%zu,"
           "\"bookmarks\":%zu,\"frozen_by\":%s%s%s,\"ops\":{",
           o->clients, sent, sent_seq, accepted, r404, r409, (long long)final_seq,
           (long long)late->snapshot_seq, tsn_annot_state_count(s), tsn_annot_state_points(s),
           tsn_annot_state_bookmarks(s), tsn_annot_state_frozen_by(s) ? "\"" : "",
           tsn_annot_state_frozen_by(s) ? tsn_annot_state_frozen_by(s) : "null",
           tsn_annot_state_frozen_by(s) ? "\"" : "");
    for (int k = 0; k < TSN_AGEN_N_OPS; k++)
        if (k != TSN_AGEN_POINTER)
            printf("%s\"%s\":%ld", k ? "," : "", tsn_agen_op_name(k), ops[k]);
    printf("},\"pointers_received\":%ld,\"state_bytes\":%zu,\"stream_hash\":\"%016llx\","
           "\"identical\":%s,\"same_order\":%s,\"gapless\":%s,\"clean\":%s,"
           "\"seconds\":%.2f,"
           "\"failures\":%d}\n",
           ptr_rx, ref ? strlen(ref) : 0, (unsigned long long)cv->c[0].hash,
           identical ? "true" : "false", same_order ? "true" : "false", gapless ? "true" : "false",
           clean ? "true" : "false", (double)elapsed_us / 1e6, failures);
    fflush(stdout);
    free(ref);
    return failures;
}

int tsn_annot_converge(const struct tsn_aopts *o)
{
    struct conv cv = {.o = o, .n = o->clients + 1};
    static const struct tsn_anet_handlers h = {on_message, NULL, on_closed};
    int status = TSN_AEXIT_CONNECT;
    if (o->clients < 2 || o->events < 1 || o->rate_hz <= 0 || o->rate_hz > 19) {
        fprintf(stderr, "tsn-annot-clients: converge needs --clients >= 2, --events >= 1 and "
                        "--rate between 0 and 19 per second\n");
        return TSN_AEXIT_USAGE;
    }
    if (o->n_tokens < (size_t)o->clients + 1) {
        fprintf(stderr,
                "tsn-annot-clients: converge needs %d tokens (clients + a late joiner), "
                "got %zu\n",
                o->clients + 1, o->n_tokens);
        return TSN_AEXIT_USAGE;
    }
    cv.interval_us = (int64_t)(1e6 / o->rate_hz);
    cv.c = calloc((size_t)cv.n, sizeof *cv.c);
    cv.net = tsn_anet_new(o->url, &h, &cv);
    if (!cv.c || !cv.net)
        goto out;
    for (int i = 0; i < cv.n; i++) {
        struct cclient *c = &cv.c[i];
        char name[32];
        c->cv = &cv;
        c->index = i;
        c->late = i == o->clients;
        c->hash = TSN_AFNV_OFFSET;
        c->st = tsn_annot_state_new();
        tsn_agen_seed(&c->rng, o->seed * 1000003u + (uint64_t)i);
        snprintf(name, sizeof name, "clinician-%d", i);
        if (!c->st)
            goto out;
        if (!c->late && !(c->conn = tsn_anet_open(cv.net, o->tokens[i], name, c)))
            goto out;
    }
    /* 1: everyone joined (the late joiner is not opened yet: its slot counts as joined). */
    cv.c[o->clients].snapshot_seen = 1;
    int rc = tsn_anet_run(cv.net, tsn_anet_now_us() + JOIN_TIMEOUT_US, all_joined, &cv);
    cv.c[o->clients].snapshot_seen = 0;
    for (int i = 0; i < o->clients; i++)
        if (rc || cv.c[i].bad[0] || cv.c[i].snapshot_seq != 0) {
            fprintf(stderr, "tsn-annot-clients: client %d did not join a fresh room: %s\n", i,
                    rc               ? "timed out"
                    : cv.c[i].bad[0] ? cv.c[i].bad
                                     : "snapshot seq is not 0");
            goto out;
        }
    status = TSN_AEXIT_FAILED;
    /* 2: everyone sends; until every sequenced message has its reply. */
    int64_t t0 = tsn_anet_now_us();
    for (int i = 0; i < o->clients; i++)
        cv.c[i].next_send_us = t0 + (int64_t)(tsn_agen_unit(&cv.c[i].rng) * (double)cv.interval_us);
    int64_t send_budget_us = (int64_t)((double)o->events / o->rate_hz * 1.5e6) + SETTLE_TIMEOUT_US;
    if (tsn_anet_run(cv.net, t0 + send_budget_us, send_step, &cv) != 0)
        fprintf(stderr, "tsn-annot-clients: the replies did not all come in time\n");
    tail(&cv);
    /* 3: everyone has seen the last seq. */
    for (int i = 0; i < o->clients; i++)
        cv.target_seq += cv.c[i].accepted;
    if (tsn_anet_run(cv.net, tsn_anet_now_us() + SETTLE_TIMEOUT_US, settled, &cv) != 0)
        fprintf(stderr, "tsn-annot-clients: not every client reached seq %lld\n",
                (long long)cv.target_seq);
    /* Anything sent wrongly after the last reply (a duplicate, an event
     * nobody asked for) would show up in this pause. */
    tsn_anet_sleep(cv.net, 300);
    /* 4: the late joiner. */
    if (join_late(&cv) != 0)
        fprintf(stderr, "tsn-annot-clients: the late joiner did not get a snapshot: %s\n",
                cv.c[o->clients].bad);
    int failures = report(&cv, tsn_anet_now_us() - t0);
    status = failures ? TSN_AEXIT_FAILED : TSN_AEXIT_OK;
out:
    if (status == TSN_AEXIT_CONNECT)
        fprintf(stderr, "tsn-annot-clients: converge could not start\n");
    tsn_anet_free(cv.net);
    for (int i = 0; cv.c && i < cv.n; i++)
        tsn_annot_state_free(cv.c[i].st);
    free(cv.c);
    return status;
}
