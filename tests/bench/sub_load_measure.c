/* tsn-sub-load: options, what each received packet adds to the measurement,
 * the measured window (snapshots of every counter, the relay's /proc figures
 * and our own rusage at its start and end) and the JSON report. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_h264.h"
#include "rtcp.h"
#include "sub_load.h"

/* ---- options ---- */

static const char k_usage[] =
    "usage: tsn-sub-load --url-base https://127.0.0.1:PORT --token-sub T [--token-pub T]\n"
    "         [--room R] [--subscribers N] [--duration S] [--warmup S] [--setup-timeout S]\n"
    "         [--bitrate KBPS] [--fps N] [--keyint S] [--packet-bytes N]\n"
    "         [--external-publisher | --publish] [--relay-pid PID] [--concurrency N]\n"
    "         [--nack] [--no-teardown] [--rcvbuf BYTES] [--log-level L]\n"
    "Tokens may also come from $TSN_TOKEN_SUB / $TSN_TOKEN_PUB (not visible in ps).\n"
    "Prints one JSON object on stdout.\n";

enum {
    OPT_URL = 256,
    OPT_ROOM,
    OPT_TSUB,
    OPT_TPUB,
    OPT_PUBLISH,
    OPT_EXTERNAL,
    OPT_SUBS,
    OPT_DUR,
    OPT_WARM,
    OPT_SETUP,
    OPT_RATE,
    OPT_FPS,
    OPT_KEYINT,
    OPT_PKT,
    OPT_PID,
    OPT_CONC,
    OPT_NACK,
    OPT_NO_TEARDOWN,
    OPT_RCVBUF,
    OPT_LOG,
    OPT_HELP,
};

static const struct option k_long[] = {
    {"url-base", required_argument, NULL, OPT_URL},
    {"room", required_argument, NULL, OPT_ROOM},
    {"token-sub", required_argument, NULL, OPT_TSUB},
    {"token-pub", required_argument, NULL, OPT_TPUB},
    {"publish", no_argument, NULL, OPT_PUBLISH},
    {"external-publisher", no_argument, NULL, OPT_EXTERNAL},
    {"subscribers", required_argument, NULL, OPT_SUBS},
    {"duration", required_argument, NULL, OPT_DUR},
    {"warmup", required_argument, NULL, OPT_WARM},
    {"setup-timeout", required_argument, NULL, OPT_SETUP},
    {"bitrate", required_argument, NULL, OPT_RATE},
    {"fps", required_argument, NULL, OPT_FPS},
    {"keyint", required_argument, NULL, OPT_KEYINT},
    {"packet-bytes", required_argument, NULL, OPT_PKT},
    {"relay-pid", required_argument, NULL, OPT_PID},
    {"concurrency", required_argument, NULL, OPT_CONC},
    {"nack", no_argument, NULL, OPT_NACK},
    {"no-teardown", no_argument, NULL, OPT_NO_TEARDOWN},
    {"rcvbuf", required_argument, NULL, OPT_RCVBUF},
    {"log-level", required_argument, NULL, OPT_LOG},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int parse_num(const char *name, const char *text, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || v < lo || v > hi) {
        fprintf(stderr, "tsn-sub-load: --%s wants a number in %g..%g, not '%s'\n", name, lo, hi,
                text);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

static int apply_opt(int c, const char *arg, struct tsn_sub_load_opts *o)
{
    double v = 0;
    int rc = 0;
    switch (c) {
    case OPT_URL:
        o->url_base = arg;
        break;
    case OPT_ROOM:
        o->room = arg;
        break;
    case OPT_TSUB:
        o->token_sub = arg;
        break;
    case OPT_TPUB:
        o->token_pub = arg;
        break;
    case OPT_PUBLISH:
        o->publish = 1;
        break;
    case OPT_EXTERNAL:
        o->publish = 0;
        break;
    case OPT_NACK:
        o->nack = 1;
        break;
    case OPT_NO_TEARDOWN:
        o->teardown = 0;
        break;
    case OPT_SUBS:
        rc = parse_num("subscribers", arg, 0, 100000, &v);
        o->subscribers = (unsigned)v;
        break;
    case OPT_DUR:
        rc = parse_num("duration", arg, 0.1, 86400, &o->duration_s);
        break;
    case OPT_WARM:
        rc = parse_num("warmup", arg, 0, 3600, &o->warmup_s);
        break;
    case OPT_SETUP:
        rc = parse_num("setup-timeout", arg, 1, 3600, &o->setup_timeout_s);
        break;
    case OPT_RATE:
        rc = parse_num("bitrate", arg, 10, 100000, &v);
        o->bitrate_kbps = (unsigned)v;
        break;
    case OPT_FPS:
        rc = parse_num("fps", arg, 1, 240, &v);
        o->fps = (unsigned)v;
        break;
    case OPT_KEYINT:
        rc = parse_num("keyint", arg, 0, 60, &o->keyint_s);
        break;
    case OPT_PKT:
        rc = parse_num("packet-bytes", arg, 200, 1400, &v);
        o->packet_bytes = (size_t)v;
        break;
    case OPT_PID:
        rc = parse_num("relay-pid", arg, 1, 4194304, &v);
        o->relay_pid = (pid_t)v;
        break;
    case OPT_CONC:
        rc = parse_num("concurrency", arg, 1, TSN_SUB_LOAD_MAX_WORKERS, &v);
        o->concurrency = (unsigned)v;
        break;
    case OPT_RCVBUF:
        rc = parse_num("rcvbuf", arg, 0, 1 << 28, &v);
        o->rcvbuf_bytes = (int)v;
        break;
    case OPT_LOG:
        rc = tsn_log_parse_level(arg);
        if (rc < 0)
            fprintf(stderr, "tsn-sub-load: --log-level: error, warn, info or debug\n");
        else
            o->log_level = (enum tsn_log_level)rc, rc = 0;
        break;
    default:
        rc = -EINVAL;
        break;
    }
    return rc < 0 ? -EINVAL : 0;
}

int tsn_sub_load_parse_opts(int argc, char **argv, struct tsn_sub_load_opts *o)
{
    *o = (struct tsn_sub_load_opts){
        .room = "bench",
        .publish = 1,
        .subscribers = 1,
        .duration_s = 10,
        .warmup_s = 2,
        .setup_timeout_s = 60,
        .bitrate_kbps = 2000,
        .fps = 30,
        .keyint_s = 2,
        .packet_bytes = 1200,
        .concurrency = 4,
        .teardown = 1,
        .rcvbuf_bytes = 512 * 1024,
        .log_level = TSN_LOG_INFO,
    };
    o->token_sub = getenv("TSN_TOKEN_SUB");
    o->token_pub = getenv("TSN_TOKEN_PUB");
    int c;
    while ((c = getopt_long(argc, argv, "", k_long, NULL)) != -1) {
        if (c == OPT_HELP) {
            fputs(k_usage, stdout);
            return 1;
        }
        if (apply_opt(c, optarg, o) < 0) {
            fputs(k_usage, stderr);
            return -EINVAL;
        }
    }
    const char *missing = !o->url_base                  ? "--url-base"
                          : !o->token_sub               ? "--token-sub"
                          : o->publish && !o->token_pub ? "--token-pub"
                                                        : NULL;
    if (missing || optind < argc) {
        fprintf(stderr, "tsn-sub-load: %s\n%s", missing ? missing : "stray argument", k_usage);
        return -EINVAL;
    }
    return 0;
}

int tsn_sub_load_fail(struct tsn_sub_load *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->fatal, sizeof(a->fatal), fmt, ap);
    va_end(ap);
    tsn_err("[sub-load] %s", a->fatal);
    return -EIO;
}

/* ---- per packet ---- */

int tsn_sub_load_cmsgs(const struct msghdr *mh, int64_t *rx_real_us, uint32_t *drops)
{
    int have_drops = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)mh); c;
         c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof(ts));
            *rx_real_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        } else if (c->cmsg_type == SO_RXQ_OVFL) {
            memcpy(drops, CMSG_DATA(c), sizeof(*drops));
            have_drops = 1;
        }
    }
    return have_drops;
}

static void send_nack(struct tsn_sub *s, const struct tsn_bench_seq_event *ev)
{
    uint16_t seqs[TSN_SUB_LOAD_NACK_MAX];
    size_t n = ev->gap_count < TSN_SUB_LOAD_NACK_MAX ? ev->gap_count : TSN_SUB_LOAD_NACK_MAX;
    for (size_t i = 0; i < n; i++)
        seqs[i] = (uint16_t)(ev->gap_first + i); /* low 16 bits of the extended number */
    uint8_t buf[256];
    size_t len = tsn_rtcp_build_nack(buf, sizeof(buf) - TSN_SRTP_MAX_TRAILER, s->ssrc,
                                     s->media_ssrc, seqs, n);
    if (len && tsn_bench_peer_send_rtcp(s->peer, buf, len, sizeof(buf)) == 0)
        s->nacks_sent++;
}

void tsn_sub_on_rtp(struct tsn_sub_load *a, struct tsn_sub *s, const uint8_t *buf, size_t len,
                    int64_t now_us, int64_t rx_real_us)
{
    struct tsn_rtp_hdr h;
    if (tsn_rtp_parse(buf, len, &h) < 0) {
        s->bad_rtp++;
        return;
    }
    const uint8_t *payload = buf + h.header_len;
    if (!s->first_packet_us) {
        s->first_packet_us = now_us;
        s->media_ssrc = h.ssrc;
        s->started_with_keyframe = tsn_h264_is_keyframe(payload, h.payload_len);
    }
    if (!s->first_keyframe_us && tsn_h264_is_keyframe(payload, h.payload_len))
        s->first_keyframe_us = now_us;
    if (h.payload_type != s->answer_pt)
        s->wrong_pt++;
    struct tsn_bench_seq_event ev;
    tsn_bench_seq_record(&s->seq, h.seq, &ev);
    if (ev.gap_count && a->o.nack)
        send_nack(s, &ev);
    if (!a->measuring || !ev.is_new || !a->pub)
        return;
    int64_t send_mono_us, send_real_us;
    if (tsn_bench_h264_read_stamp(payload, h.payload_len, &send_mono_us, &send_real_us) < 0)
        return;
    tsn_bench_hist_add(a->lat_app, now_us - send_mono_us);
    if (rx_real_us)
        tsn_bench_hist_add(a->lat_kernel, rx_real_us - send_real_us);
}

void tsn_sub_send_rr(struct tsn_sub *s)
{
    if (!s->media_ssrc)
        return;
    uint64_t expected = tsn_bench_seq_expected(&s->seq);
    uint64_t de = expected - s->rr_prior_expected;
    uint64_t du = s->seq.unique - s->rr_prior_unique;
    s->rr_prior_expected = expected;
    s->rr_prior_unique = s->seq.unique;
    int64_t lost = tsn_bench_seq_lost(&s->seq);
    struct tsn_rtcp_report_block b = {
        .ssrc = s->media_ssrc,
        .fraction_lost = (uint8_t)(de > du ? ((de - du) << 8) / de : 0),
        .cumulative_lost = (int32_t)(lost > 0x7FFFFF ? 0x7FFFFF : lost),
        .highest_seq = s->seq.highest_ext - 0x10000u, /* numbering started one cycle up */
    };
    uint8_t buf[128];
    size_t len = tsn_rtcp_build_rr(buf, sizeof(buf) - TSN_SRTP_MAX_TRAILER, s->ssrc, &b, 1);
    if (len)
        tsn_bench_peer_send_rtcp(s->peer, buf, len, sizeof(buf));
}

/* ---- the window ---- */

static void snap_sub(const struct tsn_sub *s, struct tsn_sub_snap *out)
{
    out->expected = tsn_bench_seq_expected(&s->seq);
    out->unique = s->seq.unique;
    out->received = s->seq.received;
    out->duplicates = s->seq.duplicates;
    out->rtcp_in = s->rtcp_in;
    out->rxq_drops = s->rxq_drops;
}

static void snap_relay(struct tsn_sub_load *a, uint64_t *ticks, uint64_t *rss_kb)
{
    if (!a->o.relay_pid)
        return;
    if (tsn_bench_proc_cpu_ticks(a->o.relay_pid, ticks) < 0 ||
        tsn_bench_proc_rss_kb(a->o.relay_pid, rss_kb) < 0) {
        tsn_warn("[sub-load] cannot read /proc/%d", (int)a->o.relay_pid);
        a->relay_ok = 0;
    }
}

void tsn_sub_load_window_begin(struct tsn_sub_load *a)
{
    for (unsigned i = 0; i < a->o.subscribers; i++)
        snap_sub(&a->subs[i], &a->subs[i].w0);
    if (a->pub)
        a->pub0 = *tsn_bench_pub_counters(a->pub);
    a->relay_ok = a->o.relay_pid != 0;
    snap_relay(a, &a->relay_ticks0, &a->relay_rss0_kb);
    getrusage(RUSAGE_SELF, &a->self0);
    tsn_bench_hist_reset(a->lat_kernel);
    tsn_bench_hist_reset(a->lat_app);
    a->w0_us = tsn_bench_mono_us();
    a->measuring = 1;
}

void tsn_sub_load_window_end(struct tsn_sub_load *a)
{
    a->measuring = 0;
    a->w1_us = tsn_bench_mono_us();
    for (unsigned i = 0; i < a->o.subscribers; i++)
        snap_sub(&a->subs[i], &a->subs[i].w1);
    if (a->pub)
        a->pub1 = *tsn_bench_pub_counters(a->pub);
    snap_relay(a, &a->relay_ticks1, &a->relay_rss1_kb);
    getrusage(RUSAGE_SELF, &a->self1);
}

/* ---- report ---- */

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static double tv_s(const struct timeval *tv)
{
    return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

struct totals {
    uint64_t expected, unique, received, duplicates, rxq_drops, wrong_pt, srtp_fail, nacks;
    unsigned silent, with_keyframe_first;
    int64_t *setup_ms, *keyframe_ms;
    size_t n_setup, n_keyframe;
};

static void add_sub(struct totals *t, const struct tsn_sub *s)
{
    if (!s->connected)
        return;
    const struct tsn_bench_peer_counters *pc = tsn_bench_peer_counters(s->peer);
    t->expected += s->w1.expected - s->w0.expected;
    t->unique += s->w1.unique - s->w0.unique;
    t->received += s->w1.received - s->w0.received;
    t->duplicates += s->w1.duplicates - s->w0.duplicates;
    t->rxq_drops += s->w1.rxq_drops - s->w0.rxq_drops;
    t->wrong_pt += s->wrong_pt;
    t->srtp_fail += pc->srtp_auth_fail + pc->srtp_replay + pc->srtp_other_fail;
    t->nacks += s->nacks_sent;
    t->silent += s->w1.received == s->w0.received;
    t->with_keyframe_first += s->started_with_keyframe;
    t->setup_ms[t->n_setup++] =
        (tsn_bench_peer_connected_us(s->peer) - s->post_start_us + 500) / 1000;
    if (s->first_keyframe_us)
        t->keyframe_ms[t->n_keyframe++] = (s->first_keyframe_us - s->post_start_us + 500) / 1000;
}

static void print_hist(FILE *out, const char *name, const struct tsn_bench_hist *h, int valid)
{
    fprintf(out, ",\"%s\":", name);
    if (!valid || tsn_bench_hist_count(h) == 0) {
        fputs("null", out);
        return;
    }
    fprintf(out,
            "{\"p50\":%" PRId64 ",\"p99\":%" PRId64 ",\"p999\":%" PRId64 ",\"max\":%" PRId64
            ",\"count\":%" PRIu64 "}",
            tsn_bench_hist_percentile(h, 50), tsn_bench_hist_percentile(h, 99),
            tsn_bench_hist_percentile(h, 99.9), tsn_bench_hist_max(h), tsn_bench_hist_count(h));
}

static void print_ms(FILE *out, const char *name, int64_t *v, size_t n)
{
    fprintf(out, ",\"%s\":", name);
    if (n == 0) {
        fputs("null", out);
        return;
    }
    int64_t max = tsn_bench_percentile_sort(v, n, 100);
    fprintf(out, "{\"p50\":%" PRId64 ",\"max\":%" PRId64 "}", tsn_bench_percentile_sort(v, n, 50),
            max);
}

static void print_relay(FILE *out, const struct tsn_sub_load *a, double dur_s, unsigned connected)
{
    if (!a->relay_ok || dur_s <= 0) {
        fputs(",\"relay_cpu_pct\":null,\"relay_rss_mb\":null,"
              "\"relay_cpu_pct_per_subscriber\":null",
              out);
        return;
    }
    double cpu =
        (double)(a->relay_ticks1 - a->relay_ticks0) / (double)sysconf(_SC_CLK_TCK) / dur_s * 100.0;
    fprintf(out, ",\"relay_cpu_pct\":%.2f,\"relay_rss_mb\":%.1f,\"relay_rss_start_mb\":%.1f", cpu,
            (double)a->relay_rss1_kb / 1024.0, (double)a->relay_rss0_kb / 1024.0);
    if (connected)
        fprintf(out, ",\"relay_cpu_pct_per_subscriber\":%.4f", cpu / connected);
    else
        fputs(",\"relay_cpu_pct_per_subscriber\":null", out);
}

static void print_publisher(FILE *out, const struct tsn_sub_load *a)
{
    if (!a->pub) {
        fputs(",\"publisher\":null", out);
        return;
    }
    const struct tsn_bench_pub_counters *p = &a->pub1;
    fprintf(out,
            ",\"publisher\":{\"packets\":%" PRIu64 ",\"keyframes\":%" PRIu64 ",\"pli\":%" PRIu64
            ",\"fir\":%" PRIu64 ",\"nack_seqs\":%" PRIu64 ",\"retransmitted\":%" PRIu64
            ",\"send_errors\":%" PRIu64 ",\"srtp_profile\":",
            p->packets_sent, p->keyframes, p->pli, p->fir, p->nack_seqs, p->retransmitted,
            p->send_errors);
    json_string(out, tsn_bench_peer_srtp_profile(tsn_bench_pub_peer(a->pub)));
    fputc('}', out);
}

void tsn_sub_load_print_json(const struct tsn_sub_load *a, FILE *out)
{
    const struct tsn_sub_load_opts *o = &a->o;
    fprintf(out, "{\"subscribers\":%u,\"connected\":%u,\"failed\":%u", o->subscribers,
            a->n_connected, a->n_failed);
    if (a->fatal[0] || a->w1_us == 0) {
        fputs(",\"error\":", out);
        json_string(out, a->fatal[0] ? a->fatal : "interrupted before the measured window");
        fputs("}\n", out);
        fflush(out);
        return;
    }
    double dur_s = (double)(a->w1_us - a->w0_us) / 1e6;
    struct totals t = {0};
    size_t n = o->subscribers ? o->subscribers : 1;
    t.setup_ms = calloc(n, sizeof(int64_t));
    t.keyframe_ms = calloc(n, sizeof(int64_t));
    for (unsigned i = 0; t.setup_ms && t.keyframe_ms && i < o->subscribers; i++)
        add_sub(&t, &a->subs[i]);
    uint64_t pub_sent = a->pub1.packets_sent - a->pub0.packets_sent;
    double in_per_s = a->pub ? (double)pub_sent / dur_s
                             : (a->n_connected ? (double)t.expected / a->n_connected / dur_s : 0);
    fprintf(out, ",\"duration_s\":%.3f,\"bitrate_kbps\":%u", dur_s, o->bitrate_kbps);
    fprintf(out, ",\"packets_in_per_s\":%.1f,\"packets_out_per_s\":%.1f", in_per_s,
            (double)t.received / dur_s);
    fprintf(out, ",\"loss_pct\":%.4f",
            t.expected ? 100.0 * (double)(t.expected - t.unique) / (double)t.expected : 0.0);
    if (a->pub && pub_sent && a->n_connected)
        fprintf(out, ",\"delivery_pct\":%.4f",
                100.0 * (double)t.unique / ((double)pub_sent * a->n_connected));
    print_hist(out, "latency_us", a->lat_kernel, a->pub != NULL);
    print_hist(out, "latency_app_us", a->lat_app, a->pub != NULL);
    print_relay(out, a, dur_s, a->n_connected);
    print_ms(out, "setup_ms", t.setup_ms, t.n_setup);
    print_ms(out, "first_keyframe_ms", t.keyframe_ms, t.n_keyframe);
    double tool_s = tv_s(&a->self1.ru_utime) + tv_s(&a->self1.ru_stime) - tv_s(&a->self0.ru_utime) -
                    tv_s(&a->self0.ru_stime);
    fprintf(out,
            ",\"duplicates\":%" PRIu64 ",\"silent_subscribers\":%u,\"started_with_keyframe\":%u"
            ",\"lost_after_connect\":%u,\"wrong_pt\":%" PRIu64 ",\"srtp_failures\":%" PRIu64
            ",\"nacks_sent\":%" PRIu64 ",\"tool_socket_drops\":%" PRIu64 ",\"tool_cpu_pct\":%.1f",
            t.duplicates, t.silent, t.with_keyframe_first, a->n_lost_after_connect, t.wrong_pt,
            t.srtp_fail, t.nacks, t.rxq_drops, tool_s / dur_s * 100.0);
    for (unsigned i = 0; i < o->subscribers; i++) {
        if (a->subs[i].connected) {
            fputs(",\"srtp_profile\":", out);
            json_string(out, tsn_bench_peer_srtp_profile(a->subs[i].peer));
            break;
        }
    }
    print_publisher(out, a);
    if (a->first_error[0]) {
        fputs(",\"first_error\":", out);
        json_string(out, a->first_error);
    }
    fputs("}\n", out);
    fflush(out);
    free(t.setup_ms);
    free(t.keyframe_ms);
}
