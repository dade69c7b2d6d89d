/* The scanner of telesono-export (see export_scan.h): generations, frame
 * assembly, the key-frame start and the presentation times.
 *
 * Ownership: packets handed on by the reorder window belong to the frame
 * being assembled until it is finished, then they are freed (the frame
 * callback only borrows them). The SESSION and STREAM JSON are owned here. */
#include "export_scan.h"

#include "bytes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Frame intervals outside this are gaps (a pause, a lost stretch), not the
 * frame rate: they do not count. 90 kHz ticks. */
#define MIN_INTERVAL_90K 300   /* 300 fps */
#define MAX_INTERVAL_90K 90000 /* 1 fps */
/* The frame interval is the lower quartile of the last few: lost frames
 * (double intervals, frequent under heavy loss) and late ones do not change
 * it, a single early frame does not either. */
#define INTERVALS_KEPT 9
/* Bytes of a key frame's SPS + PPS compared across generations. */
#define CONFIG_MAX 512
/* The first kept frame's extended timestamp: one cycle up, so a timestamp
 * just before it (out of order) stays below it instead of wrapping. */
#define TS_EXT_START (1ull << 32)

struct generation {
    uint8_t pt;
    int act_id; /* abs-capture-time extension id, 0: none */
    int64_t number;
    int ignored; /* a codec other than the output's */
    int have_ssrc;
    uint32_t ssrc;
    int had_packets;
    int waiting_key;
    uint64_t first_ext_ts, last_ext_ts;
    int64_t pts_offset_90k;
};

struct assembly {
    struct tsn_export_pkt **pkts;
    size_t n, cap;
    int active;
    uint32_t ts;
    int start_ok, broken, key, config;
    int last_marker; /* the marker bit of the last packet appended */
    int64_t capture_ms;
    uint64_t time_us;
};

struct tsn_export_scan {
    struct tsn_export_scan_cb cb;
    void *ctx;
    struct tsn_export_reorder *reorder;
    int have_stream, have_codec;
    enum tsn_export_codec codec;
    struct generation gen;
    uint32_t gen_index; /* 0-based count of generations started */
    struct assembly cur;
    int prev_seen;        /* a packet of this generation was handed on before */
    int64_t last_pts_90k; /* -1: nothing kept yet */
    uint32_t last_gen;    /* generation of the last kept frame */
    int64_t interval_90k;
    int64_t intervals[INTERVALS_KEPT]; /* the last ones seen, a ring */
    size_t n_intervals;
    json_t *session, *stream_meta;
    uint8_t config[CONFIG_MAX]; /* the first generation's SPS + PPS (H.264) */
    size_t config_len;
    int have_config;
    struct tsn_export_scan_stats st;
};

static void on_pkt(void *ctx, struct tsn_export_pkt *p, uint64_t missing);

struct tsn_export_scan *tsn_export_scan_new(size_t window, const struct tsn_export_scan_cb *cb,
                                            void *ctx)
{
    struct tsn_export_scan *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->reorder = tsn_export_reorder_new(window, on_pkt, s);
    if (!s->reorder) {
        free(s);
        return NULL;
    }
    if (cb)
        s->cb = *cb;
    s->ctx = ctx;
    s->last_pts_90k = -1;
    s->interval_90k = TSN_EXPORT_DEFAULT_INTERVAL_90K;
    s->gen.waiting_key = 1;
    return s;
}

static void drop_assembly(struct assembly *a)
{
    for (size_t i = 0; i < a->n; i++)
        tsn_export_pkt_free(a->pkts[i]);
    a->n = 0;
    a->active = 0;
}

void tsn_export_scan_free(struct tsn_export_scan *s)
{
    if (!s)
        return;
    drop_assembly(&s->cur);
    free(s->cur.pkts);
    tsn_export_reorder_free(s->reorder);
    json_decref(s->session);
    json_decref(s->stream_meta);
    free(s);
}

/* ---- frames ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void note_interval(struct tsn_export_scan *s, int64_t d)
{
    if (d < MIN_INTERVAL_90K || d > MAX_INTERVAL_90K)
        return;
    s->intervals[s->n_intervals++ % INTERVALS_KEPT] = d;
    size_t n = s->n_intervals < INTERVALS_KEPT ? s->n_intervals : INTERVALS_KEPT;
    int64_t sorted[INTERVALS_KEPT];
    memcpy(sorted, s->intervals, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_i64);
    s->interval_90k = sorted[(n - 1) / 4];
}

static size_t append_nal(uint8_t *out, size_t n, size_t cap, const uint8_t *nal, size_t len)
{
    uint8_t t = nal[0] & 0x1f;
    if (len == 0 || (t != 7 && t != 8))
        return n;
    size_t take = len < cap - n ? len : cap - n;
    memcpy(out + n, nal, take);
    return n + take;
}

/* The SPS and PPS NAL units a key frame carries (single NAL units and
 * STAP-A), concatenated and cut at `cap`. */
static size_t frame_config(const struct assembly *a, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++) {
        struct tsn_export_rtp rtp;
        if (tsn_export_rtp_parse(a->pkts[i]->data, a->pkts[i]->len, &rtp) != 0 ||
            rtp.payload_len == 0)
            continue;
        const uint8_t *p = rtp.payload;
        size_t len = rtp.payload_len;
        if ((p[0] & 0x1f) != 24) {
            n = append_nal(out, n, cap, p, len);
            continue;
        }
        for (size_t off = 1; off + 2 < len;) {
            size_t size = tsn_rd16(p + off);
            off += 2;
            if (size == 0 || size > len - off)
                break;
            n = append_nal(out, n, cap, p + off, size);
            off += size;
        }
    }
    return n;
}

/* A generation's first key frame: are its parameter sets the first one's? */
static void note_config(struct tsn_export_scan *s, const struct assembly *a)
{
    if (s->codec != TSN_EXPORT_H264)
        return;
    uint8_t cfg[CONFIG_MAX];
    size_t n = frame_config(a, cfg, sizeof cfg);
    if (!s->have_config) {
        memcpy(s->config, cfg, n);
        s->config_len = n;
        s->have_config = 1;
    } else if (n != s->config_len || memcmp(cfg, s->config, n) != 0) {
        s->st.config_changes++;
    }
}

static void keep_frame(struct tsn_export_scan *s, struct assembly *a)
{
    struct generation *g = &s->gen;
    if (g->waiting_key) {
        if (!a->key || !a->config) {
            s->st.frames_before_key++;
            return;
        }
        g->waiting_key = 0;
        note_config(s, a);
        g->first_ext_ts = g->last_ext_ts = TS_EXT_START + a->ts;
        g->pts_offset_90k = s->last_pts_90k < 0 ? 0 : s->last_pts_90k + s->interval_90k;
    }
    uint64_t ext = tsn_export_ts_extend(g->last_ext_ts, a->ts);
    int64_t pts = g->pts_offset_90k + ((int64_t)ext - (int64_t)g->first_ext_ts);
    if (s->last_pts_90k >= 0 && pts <= s->last_pts_90k) {
        s->st.frames_out_of_order++;
        return;
    }
    if (s->last_pts_90k >= 0 && s->last_gen == s->gen_index)
        note_interval(s, pts - s->last_pts_90k);
    if (ext > g->last_ext_ts)
        g->last_ext_ts = ext;
    struct tsn_export_frame f = {
        .index = s->st.frames_kept,
        .rtp_ts = a->ts,
        .generation = s->gen_index,
        .pts_90k = pts,
        .duration_90k = s->interval_90k,
        .capture_ms = a->capture_ms,
        .time_us = a->time_us,
        .key = a->key,
        .n_pkts = a->n,
        .pkts = a->pkts,
    };
    s->last_pts_90k = pts;
    s->last_gen = s->gen_index;
    s->st.frames_kept++;
    if (s->cb.frame)
        s->cb.frame(s->ctx, &f);
}

/* Ends the frame being assembled (the next packet has another timestamp,
 * or nothing follows): kept when complete, i.e. its last packet carries the
 * marker bit. */
static void finish_frame(struct tsn_export_scan *s)
{
    struct assembly *a = &s->cur;
    if (!a->active)
        return;
    if (a->start_ok && !a->broken && a->last_marker)
        keep_frame(s, a);
    else
        s->st.frames_incomplete++;
    drop_assembly(a);
}

static int append(struct assembly *a, struct tsn_export_pkt *p)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 16;
        struct tsn_export_pkt **pkts = realloc(a->pkts, cap * sizeof *pkts);
        if (!pkts)
            return -ENOMEM;
        a->pkts = pkts;
        a->cap = cap;
    }
    a->pkts[a->n++] = p;
    return 0;
}

/* A packet in sequence order (from the reorder window). A frame is every
 * packet of one RTP timestamp: the marker bit does not end it, since a
 * payloader may set it on a packet that is not the frame's last
 * (rtph264pay answering a key-frame request sends the SPS/PPS as a STAP-A
 * with the marker set, then the IDR slices with the same timestamp). */
static void on_pkt(void *ctx, struct tsn_export_pkt *p, uint64_t missing)
{
    struct tsn_export_scan *s = ctx;
    struct assembly *a = &s->cur;
    struct tsn_export_rtp rtp;
    if (tsn_export_rtp_parse(p->data, p->len, &rtp) != 0) { /* checked before the window */
        tsn_export_pkt_free(p);
        return;
    }
    int flags = tsn_export_payload_flags(s->codec, rtp.payload, rtp.payload_len);
    if (a->active && rtp.ts != a->ts)
        finish_frame(s);
    if (a->active && missing > 0)
        a->broken = 1;
    if (!a->active) {
        /* A frame begins where the timestamp changed with nothing missing
         * since the previous packet, or where the payload says so (after a
         * gap the lost packets may have been this frame's first). */
        *a = (struct assembly){.pkts = a->pkts, .cap = a->cap, .active = 1, .ts = rtp.ts};
        a->start_ok =
            (flags > 0 && (flags & TSN_EXPORT_PKT_START)) || (missing == 0 && s->prev_seen);
        a->capture_ms = -1;
        a->time_us = p->time_us;
    }
    s->prev_seen = 1;
    if (append(a, p) != 0) {
        tsn_export_pkt_free(p);
        a->broken = 1;
        return;
    }
    if (flags < 0)
        a->broken = 1;
    a->key |= flags > 0 && (flags & TSN_EXPORT_PKT_KEY);
    a->config |= flags > 0 && (flags & TSN_EXPORT_PKT_CONFIG);
    a->last_marker = rtp.marker;
    const uint8_t *ext;
    size_t ext_len;
    if (a->capture_ms < 0 && s->gen.act_id > 0 &&
        tsn_export_rtp_ext_find(&rtp, s->gen.act_id, &ext, &ext_len) == 0)
        a->capture_ms = tsn_export_act_unix_ms(ext, ext_len);
}

/* ---- generations ---- */

/* Ends the current generation (everything held is assembled) and starts a
 * new one with these parameters. */
static void new_generation(struct tsn_export_scan *s, const struct generation *params)
{
    tsn_export_reorder_flush(s->reorder);
    finish_frame(s);
    s->prev_seen = 0;
    if (s->gen.had_packets)
        s->gen_index++;
    s->gen = *params;
    s->gen.have_ssrc = 0;
    s->gen.had_packets = 0;
    s->gen.waiting_key = 1;
}

static json_t *parse_object(const struct tsn_rec *r)
{
    json_t *j = json_loadb((const char *)r->payload, r->len, 0, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static void on_stream(struct tsn_export_scan *s, const struct tsn_rec *r)
{
    json_t *j = parse_object(r);
    if (!j) {
        s->st.bad_stream_records++;
        return;
    }
    int codec = tsn_export_codec_parse(json_string_value(json_object_get(j, "codec")));
    json_int_t pt = json_integer_value(json_object_get(j, "payload_type"));
    json_int_t act = json_integer_value(json_object_get(j, "abs_capture_time_id"));
    json_t *number = json_object_get(j, "generation");
    struct generation params = {
        .pt = (uint8_t)(pt >= 0 && pt <= 127 ? pt : 0),
        .act_id = act >= 1 && act <= 255 ? (int)act : 0,
        .number = json_is_integer(number) ? json_integer_value(number) : -1,
    };
    if (!s->have_codec && codec >= 0) {
        s->codec = (enum tsn_export_codec)codec;
        s->have_codec = 1;
    }
    params.ignored = codec >= 0 && (enum tsn_export_codec)codec != s->codec;
    json_t *meta = json_object_get(j, "stream");
    if (!s->stream_meta && json_is_object(meta)) {
        s->stream_meta = json_incref(meta);
        double fps = json_number_value(json_object_get(meta, "fps"));
        if (s->last_pts_90k < 0 && fps >= 1 && fps <= 300)
            s->interval_90k = (int64_t)(90000.0 / fps + 0.5);
    }
    /* The same generation again (metadata changed) keeps its numbering. */
    if (s->have_stream && params.number >= 0 && params.number == s->gen.number) {
        s->gen.act_id = params.act_id;
    } else {
        new_generation(s, &params);
        s->have_stream = 1;
    }
    json_decref(j);
}

static int on_rtp(struct tsn_export_scan *s, const struct tsn_rec *r)
{
    struct tsn_export_rtp rtp;
    s->st.rtp_records++;
    if (tsn_export_rtp_parse(r->payload, r->len, &rtp) != 0) {
        s->st.bad_packets++;
        return 0;
    }
    if (!s->have_stream) { /* no STREAM record: take the first packet's type as H.264 */
        struct generation params = {.pt = rtp.pt, .number = -1};
        s->st.no_stream_record = 1;
        s->have_codec = 1;
        new_generation(s, &params);
        s->have_stream = 1;
    }
    if (rtp.pt != s->gen.pt || s->gen.ignored) {
        s->st.other_packets++;
        return 0;
    }
    if (s->gen.have_ssrc && rtp.ssrc != s->gen.ssrc) {
        struct generation params = s->gen;
        params.number = -1;
        s->st.ssrc_changes++;
        new_generation(s, &params);
    }
    if (!s->gen.had_packets)
        s->st.generations++;
    s->gen.have_ssrc = 1;
    s->gen.ssrc = rtp.ssrc;
    s->gen.had_packets = 1;
    int rc =
        tsn_export_reorder_push(s->reorder, rtp.seq, r->payload, r->len, r->time_us, r->offset);
    return rc < 0 ? rc : 0;
}

int tsn_export_scan_record(struct tsn_export_scan *s, const struct tsn_rec *r)
{
    switch (r->type) {
    case TSN_REC_SESSION:
        if (!s->session) {
            s->session = parse_object(r);
            if (!s->session)
                s->st.bad_stream_records++;
        }
        return 0;
    case TSN_REC_STREAM:
        on_stream(s, r);
        return 0;
    case TSN_REC_RTP:
        return r->track == 0 ? on_rtp(s, r) : 0;
    case TSN_REC_EVENT:
        s->st.event_records++;
        if (s->cb.event)
            s->cb.event(s->ctx, r);
        return 0;
    default: /* CONTROL and types this version does not know */
        return 0;
    }
}

int tsn_export_scan_finish(struct tsn_export_scan *s)
{
    tsn_export_reorder_flush(s->reorder);
    finish_frame(s);
    return 0;
}

void tsn_export_scan_stats(const struct tsn_export_scan *s, struct tsn_export_scan_stats *out)
{
    *out = s->st;
    out->reorder = *tsn_export_reorder_stats(s->reorder);
}

enum tsn_export_codec tsn_export_scan_codec(const struct tsn_export_scan *s)
{
    return s->codec;
}

const json_t *tsn_export_scan_stream_meta(const struct tsn_export_scan *s)
{
    return s->stream_meta;
}

const json_t *tsn_export_scan_session(const struct tsn_export_scan *s)
{
    return s->session;
}

int64_t tsn_export_scan_interval_90k(const struct tsn_export_scan *s)
{
    return s->interval_90k;
}
