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
    "         [--pace] [--nack] [--sim-loss PCT] [--rx-interval-us US] [--no-teardown] [--rcvbuf "
    "BYTES] [--log-level L]\n"
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
    OPT_PACE,
    OPT_NACK,
    OPT_SIM_LOSS,
    OPT_NO_TEARDOWN,
    OPT_RCVBUF,
    OPT_RX_INTERVAL,
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
    {"pace", no_argument, NULL, OPT_PACE},
    {"nack", no_argument, NULL, OPT_NACK},
    {"sim-loss", required_argument, NULL, OPT_SIM_LOSS},
    {"no-teardown", no_argument, NULL, OPT_NO_TEARDOWN},
    {"rcvbuf", required_argument, NULL, OPT_RCVBUF},
    {"rx-interval-us", required_argument, NULL, OPT_RX_INTERVAL},
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
    case OPT_PACE:
        o->paced = 1;
        break;
    case OPT_SIM_LOSS:
        rc = parse_num("sim-loss", arg, 0, 50, &o->sim_loss_pct);
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
    case OPT_RX_INTERVAL:
        rc = parse_num("rx-interval-us", arg, 0, 100000, &v);
        o->rx_interval_us = (int64_t)v;
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

int tsn_sub_load_sim_drop(struct tsn_sub_load *a, const uint8_t *buf, size_t len)
{
    if (a->o.sim_loss_pct <= 0 || len < 2 || buf[0] < 128 || buf[0] > 191 ||
        tsn_rtp_is_rtcp(buf, len))
        return 0;
    if (a->rng == 0)
        a->rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)tsn_bench_mono_us();
    a->rng ^= a->rng >> 12;
    a->rng ^= a->rng << 25;
    a->rng ^= a->rng >> 27;
    double u = (double)((a->rng * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
    return u * 100.0 < a->o.sim_loss_pct;
}

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
    out->sim_dropped = s->sim_dropped;
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
    a->host_ok = tsn_bench_host_cpu_ticks(&a->host0) == 0;
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
    a->host_ok = a->host_ok && tsn_bench_host_cpu_ticks(&a->host1) == 0;
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

/* Everything the report derives from the two snapshots. Percentages are of
 * one core; -1 where not measured. */
struct totals {
    uint64_t expected, unique, received, duplicates, rxq_drops, wrong_pt, srtp_fail, nacks;
    uint64_t sim_dropped;
    unsigned silent, with_keyframe_first;
    int64_t *setup_ms, *keyframe_ms;
    size_t n_setup, n_keyframe;
    double dur_s, tool_pct, relay_pct, host_pct, irq_pct, other_pct, delivery_pct, pub_fps;
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
    t->sim_dropped += s->w1.sim_dropped - s->w0.sim_dropped;
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

/* Percent of one core over the window, from clock ticks. */
static double ticks_pct(uint64_t ticks, double dur_s)
{
    return (double)ticks / (double)sysconf(_SC_CLK_TCK) / dur_s * 100.0;
}

static void print_relay(FILE *out, const struct tsn_sub_load *a, const struct totals *t)
{
    if (t->relay_pct < 0) {
        fputs(",\"relay_cpu_pct\":null,\"relay_rss_mb\":null,"
              "\"relay_cpu_pct_per_subscriber\":null",
              out);
        return;
    }
    fprintf(out, ",\"relay_cpu_pct\":%.2f,\"relay_rss_mb\":%.1f,\"relay_rss_start_mb\":%.1f",
            t->relay_pct, (double)a->relay_rss1_kb / 1024.0, (double)a->relay_rss0_kb / 1024.0);
    if (a->n_connected)
        fprintf(out, ",\"relay_cpu_pct_per_subscriber\":%.4f", t->relay_pct / a->n_connected);
    else
        fputs(",\"relay_cpu_pct_per_subscriber\":null", out);
}

/* The machine's load over the window: all CPUs' busy time, the interrupt
 * share of it (loopback packet delivery, which the kernel may charge to
 * neither process), and what is left after that, the relay and this tool. A
 * large other_cpu_pct means something else competed for the cores and the
 * latency figures are not the relay's alone. */
static void print_host(FILE *out, const struct totals *t)
{
    fprintf(out, ",\"tool_cpu_pct\":%.1f,\"cores\":%ld", t->tool_pct,
            sysconf(_SC_NPROCESSORS_ONLN));
    if (t->host_pct < 0)
        fputs(",\"host_cpu_pct\":null,\"irq_cpu_pct\":null", out);
    else
        fprintf(out, ",\"host_cpu_pct\":%.1f,\"irq_cpu_pct\":%.1f", t->host_pct, t->irq_pct);
    if (t->other_pct < 0)
        fputs(",\"other_cpu_pct\":null", out);
    else
        fprintf(out, ",\"other_cpu_pct\":%.1f", t->other_pct);
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

static void derive(const struct tsn_sub_load *a, struct totals *t)
{
    t->dur_s = (double)(a->w1_us - a->w0_us) / 1e6;
    for (unsigned i = 0; i < a->o.subscribers; i++)
        add_sub(t, &a->subs[i]);
    t->tool_pct = (tv_s(&a->self1.ru_utime) + tv_s(&a->self1.ru_stime) - tv_s(&a->self0.ru_utime) -
                   tv_s(&a->self0.ru_stime)) /
                  t->dur_s * 100.0;
    t->relay_pct = a->relay_ok ? ticks_pct(a->relay_ticks1 - a->relay_ticks0, t->dur_s) : -1;
    t->host_pct = a->host_ok ? ticks_pct(a->host1.busy - a->host0.busy, t->dur_s) : -1;
    t->irq_pct = a->host_ok ? ticks_pct(a->host1.irq - a->host0.irq, t->dur_s) : -1;
    t->other_pct = -1;
    if (a->host_ok && a->relay_ok) {
        t->other_pct = t->host_pct - t->irq_pct - t->tool_pct - t->relay_pct;
        if (t->other_pct < 0)
            t->other_pct = 0;
    }
    uint64_t pub_sent = a->pub1.packets_sent - a->pub0.packets_sent;
    t->delivery_pct = -1;
    if (a->pub && pub_sent && a->n_connected)
        t->delivery_pct = 100.0 * (double)t->unique / ((double)pub_sent * a->n_connected);
    t->pub_fps = a->pub ? (double)(a->pub1.frames - a->pub0.frames) / t->dur_s : -1;
}

/* Why the figures may not be the relay's alone; [] when they are. */
static void print_warnings(FILE *out, const struct tsn_sub_load *a, const struct totals *t)
{
    char w[6][200];
    int n = 0;
    if (t->other_pct > 20)
        snprintf(w[n++], sizeof(w[0]),
                 "other processes%s used %.0f%% of a core: latency and CPU are not the relay's "
                 "alone",
                 a->pub ? "" : " (the external publisher among them)", t->other_pct);
    if (t->tool_pct > 85)
        snprintf(w[n++], sizeof(w[0]), "the load tool used %.0f%% of a core: near saturation",
                 t->tool_pct);
    if (t->pub_fps >= 0 && t->pub_fps < 0.95 * a->o.fps)
        snprintf(w[n++], sizeof(w[0]), "the publisher sent %.1f frames/s of %u", t->pub_fps,
                 a->o.fps);
    if ((t->delivery_pct >= 0 && t->delivery_pct < 99 - a->o.sim_loss_pct) || t->silent)
        snprintf(w[n++], sizeof(w[0]),
                 "delivery %.1f%%, %u silent subscribers: the relay is falling behind",
                 t->delivery_pct, t->silent);
    if (a->n_failed)
        snprintf(w[n++], sizeof(w[0]), "%u subscribers failed: %.120s", a->n_failed,
                 a->first_error);
    if (t->rxq_drops)
        snprintf(w[n++], sizeof(w[0]), "the tool's sockets dropped %llu datagrams (--rcvbuf)",
                 (unsigned long long)t->rxq_drops);
    fputs(",\"warnings\":[", out);
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        json_string(out, w[i]);
    }
    fputc(']', out);
}

void tsn_sub_load_print_json(const struct tsn_sub_load *a, FILE *out)
{
    const struct tsn_sub_load_opts *o = &a->o;
    fprintf(out, "{\"subscribers\":%u,\"connected\":%u,\"failed\":%u", o->subscribers,
            a->n_connected, a->n_failed);
    struct totals t = {0};
    size_t n = o->subscribers ? o->subscribers : 1;
    t.setup_ms = calloc(n, sizeof(int64_t));
    t.keyframe_ms = calloc(n, sizeof(int64_t));
    if (a->fatal[0] || a->w1_us - a->w0_us < 10000 || !t.setup_ms || !t.keyframe_ms) {
        fputs(",\"error\":", out);
        json_string(out, a->fatal[0] ? a->fatal : "interrupted before the measured window");
        goto out;
    }
    derive(a, &t);
    double in_per_s = a->pub ? (double)(a->pub1.packets_sent - a->pub0.packets_sent) / t.dur_s
                      : a->n_connected ? (double)t.expected / a->n_connected / t.dur_s
                                       : 0;
    fprintf(out, ",\"duration_s\":%.3f,\"bitrate_kbps\":%u,\"pacing\":\"%s\"", t.dur_s,
            o->bitrate_kbps,
            !a->pub    ? "external"
            : o->paced ? "paced"
                       : "burst");
    fprintf(out, ",\"packets_in_per_s\":%.1f,\"packets_out_per_s\":%.1f", in_per_s,
            (double)t.received / t.dur_s);
    fprintf(out, ",\"loss_pct\":%.4f",
            t.expected ? 100.0 * (double)(t.expected - t.unique) / (double)t.expected : 0.0);
    if (t.delivery_pct >= 0)
        fprintf(out, ",\"delivery_pct\":%.4f", t.delivery_pct);
    print_hist(out, "latency_us", a->lat_kernel, a->pub != NULL);
    print_hist(out, "latency_app_us", a->lat_app, a->pub != NULL);
    print_relay(out, a, &t);
    print_ms(out, "setup_ms", t.setup_ms, t.n_setup);
    print_ms(out, "first_keyframe_ms", t.keyframe_ms, t.n_keyframe);
    print_host(out, &t);
    fprintf(out,
            ",\"duplicates\":%" PRIu64 ",\"silent_subscribers\":%u,\"started_with_keyframe\":%u"
            ",\"lost_after_connect\":%u,\"wrong_pt\":%" PRIu64 ",\"srtp_failures\":%" PRIu64
            ",\"nacks_sent\":%" PRIu64 ",\"tool_socket_drops\":%" PRIu64 ",\"sim_dropped\":%" PRIu64
            ",\"sessions_deleted\":%u",
            t.duplicates, t.silent, t.with_keyframe_first, a->n_lost_after_connect, t.wrong_pt,
            t.srtp_fail, t.nacks, t.rxq_drops, t.sim_dropped, atomic_load(&a->deleted));
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
    print_warnings(out, a, &t);
out:
    fputs("}\n", out);
    fflush(out);
    free(t.setup_ms);
    free(t.keyframe_ms);
}
