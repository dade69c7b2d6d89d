/* Unit tests for viewer/export_scan.c on hand-made records: frames from
 * packets (one RTP timestamp each, a marker inside a frame, gaps), the start at the first key frame
 * with its SPS, presentation times from RTP timestamps (wrap included), reordering and duplicates,
 * generations (STREAM records, SSRC changes) with PTS that keep growing, packets of other payload
 * types, capture times from the abs-capture-time extension, VP8, and the pass-through of events. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"
#include "export_scan.h"

#define MAX_FRAMES 64
#define MAX_PKTS   256

struct got {
    struct tsn_export_frame f[MAX_FRAMES];
    uint16_t first_seq[MAX_FRAMES];
    size_t n, events;
};

static void on_frame(void *ctx, const struct tsn_export_frame *f)
{
    struct got *g = ctx;
    assert_true(g->n < MAX_FRAMES);
    g->f[g->n] = *f;
    g->f[g->n].pkts = NULL;
    g->first_seq[g->n] = tsn_rd16(f->pkts[0]->data + 2);
    for (size_t i = 1; i < f->n_pkts; i++) /* in sequence order */
        assert_int_equal((uint16_t)(tsn_rd16(f->pkts[i - 1]->data + 2) + 1),
                         tsn_rd16(f->pkts[i]->data + 2));
    g->n++;
}

static void on_event(void *ctx, const struct tsn_rec *r)
{
    struct got *g = ctx;
    g->events++;
}

/* Packets are built into a pool so records can point at them. */
struct pool {
    uint8_t buf[MAX_PKTS][1300];
    size_t len[MAX_PKTS];
    size_t n;
};

struct stream {
    uint32_t ssrc;
    uint8_t pt;
    int act_id;         /* 0: no extension */
    int64_t capture_ms; /* written in the extension when act_id */
};

static size_t pkt(struct pool *pl, const struct stream *st, uint16_t seq, uint32_t ts, int marker,
                  const uint8_t *payload, size_t len)
{
    assert_true(pl->n < MAX_PKTS);
    uint8_t *b = pl->buf[pl->n];
    b[0] = 0x80;
    b[1] = (uint8_t)((marker ? 0x80 : 0) | st->pt);
    tsn_wr16(b + 2, seq);
    tsn_wr32(b + 4, ts);
    tsn_wr32(b + 8, st->ssrc);
    size_t off = 12;
    if (st->act_id) {
        b[0] |= 0x10;
        uint8_t ext[16] = {0xbe, 0xde, 0, 3, (uint8_t)(st->act_id << 4 | 7)};
        uint64_t ms = (uint64_t)st->capture_ms;
        uint64_t secs = ms / 1000 + 2208988800ull, frac = ((ms % 1000) << 32) / 1000 + 1;
        tsn_wr32(ext + 5, (uint32_t)secs);
        tsn_wr32(ext + 9, (uint32_t)frac);
        memcpy(b + off, ext, sizeof ext);
        off += sizeof ext;
    }
    memcpy(b + off, payload, len);
    pl->len[pl->n] = off + len;
    return pl->n++;
}

static const uint8_t SPS[] = {0x67, 0x42, 0xc0, 0x1f}, PPS[] = {0x68, 0xce, 0x3c},
                     IDR_START[] = {0x7c, 0x85, 0x88, 0x84}, IDR_END[] = {0x7c, 0x45, 0x11},
                     P_ONE[] = {0x41, 0x9a, 0x22}, P_START[] = {0x5c, 0x81, 0x9a},
                     P_MID[] = {0x5c, 0x01, 0x33}, P_END[] = {0x5c, 0x41, 0x44};

static int feed(struct tsn_export_scan *s, enum tsn_rec_type type, const void *payload, size_t len,
                uint64_t time_us)
{
    struct tsn_rec r = {.type = type, .payload = payload, .len = (uint32_t)len, .time_us = time_us};
    return tsn_export_scan_record(s, &r);
}

static void feed_pkt(struct tsn_export_scan *s, struct pool *pl, size_t i, uint64_t time_us)
{
    assert_int_equal(feed(s, TSN_REC_RTP, pl->buf[i], pl->len[i], time_us), 0);
}

static void feed_stream(struct tsn_export_scan *s, const char *json)
{
    assert_int_equal(feed(s, TSN_REC_STREAM, json, strlen(json), 1), 0);
}

/* Adds a key frame (SPS, PPS, IDR in two FU-A packets) or a P frame (one
 * packet, or three FU-A packets) at seq; returns the next seq. */
static uint16_t key_frame(struct pool *pl, size_t *idx, size_t *n, const struct stream *st,
                          uint16_t seq, uint32_t ts)
{
    idx[(*n)++] = pkt(pl, st, seq++, ts, 0, SPS, sizeof SPS);
    idx[(*n)++] = pkt(pl, st, seq++, ts, 0, PPS, sizeof PPS);
    idx[(*n)++] = pkt(pl, st, seq++, ts, 0, IDR_START, sizeof IDR_START);
    idx[(*n)++] = pkt(pl, st, seq++, ts, 1, IDR_END, sizeof IDR_END);
    return seq;
}

static uint16_t p_frame(struct pool *pl, size_t *idx, size_t *n, const struct stream *st,
                        uint16_t seq, uint32_t ts, int fragmented)
{
    if (!fragmented) {
        idx[(*n)++] = pkt(pl, st, seq++, ts, 1, P_ONE, sizeof P_ONE);
        return seq;
    }
    idx[(*n)++] = pkt(pl, st, seq++, ts, 0, P_START, sizeof P_START);
    idx[(*n)++] = pkt(pl, st, seq++, ts, 0, P_MID, sizeof P_MID);
    idx[(*n)++] = pkt(pl, st, seq++, ts, 1, P_END, sizeof P_END);
    return seq;
}

static const char *STREAM1 =
    "{\"codec\":\"H264\",\"payload_type\":96,\"clock_rate\":90000,\"abs_capture_time_id\":3,"
    "\"generation\":1,\"stream\":{\"fps\":25,\"width\":820,\"height\":616}}";

static struct tsn_export_scan *new_scan(struct got *g)
{
    struct tsn_export_scan_cb cb = {.frame = on_frame, .event = on_event};
    struct tsn_export_scan *s = tsn_export_scan_new(64, &cb, g);
    assert_non_null(s);
    return s;
}

static void test_frames_and_pts(void **state)
{
    static struct pool pl;
    pl.n = 0;
    struct got g = {0};
    struct tsn_export_scan *s = new_scan(&g);
    struct stream st = {.ssrc = 7, .pt = 96, .act_id = 3, .capture_ms = 1795000000000};
    size_t idx[64], n = 0;
    feed_stream(s, STREAM1);
    uint16_t seq = 500;
    uint32_t ts = 90000;
    seq = key_frame(&pl, idx, &n, &st, seq, ts);
    for (int i = 1; i < 5; i++) {
        st.capture_ms += 40;
        seq = p_frame(&pl, idx, &n, &st, seq, ts + 3600u * (uint32_t)i, i % 2);
    }
    for (size_t i = 0; i < n; i++)
        feed_pkt(s, &pl, idx[i], 1000 + i);
    assert_int_equal(g.n, 0); /* all still in the window */
    tsn_export_scan_finish(s);
    assert_int_equal(g.n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(g.f[i].index, i);
        assert_int_equal(g.f[i].pts_90k, 3600 * (int64_t)i);
        assert_int_equal(g.f[i].rtp_ts, 90000 + 3600 * i);
        assert_int_equal(g.f[i].duration_90k, 3600);
        assert_int_equal(g.f[i].capture_ms, 1795000000000 + 40 * (int64_t)i);
        assert_int_equal(g.f[i].key, i == 0);
        assert_int_equal(g.f[i].generation, 0);
    }
    assert_int_equal(g.f[0].n_pkts, 4);
    assert_int_equal(g.f[1].n_pkts, 3);
    assert_int_equal(g.f[2].n_pkts, 1);
    assert_int_equal(g.f[0].time_us, 1000);
    struct tsn_export_scan_stats stats;
    tsn_export_scan_stats(s, &stats);
    assert_int_equal(stats.frames_kept, 5);
    assert_int_equal(stats.rtp_records, n);
    assert_int_equal(stats.generations, 1);
    assert_int_equal(tsn_export_scan_codec(s), TSN_EXPORT_H264);
    const json_t *meta = tsn_export_scan_stream_meta(s);
    assert_non_null(meta);
    assert_int_equal(json_integer_value(json_object_get(meta, "width")), 820);
    tsn_export_scan_free(s);
}

/* Frames before the first key frame with its SPS, incomplete frames, and a
 * frame without its marker are all left out; later frames still count. */
static void test_key_start_and_damage(void **state)
{
    static struct pool pl;
    pl.n = 0;
    struct got g = {0};
    struct tsn_export_scan *s = new_scan(&g);
    struct stream st = {.ssrc = 7, .pt = 96};
    size_t idx[64], n = 0;
    feed_stream(s, STREAM1);
    uint16_t seq = 65530;      /* crosses the 16-bit wrap on the way */
    uint32_t ts = 0xffffd000u; /* and the 32-bit one */
    /* an IDR whose SPS/PPS were never recorded (recording started after) */
    idx[n++] = pkt(&pl, &st, seq++, ts, 0, IDR_START, sizeof IDR_START);
    idx[n++] = pkt(&pl, &st, seq++, ts, 1, IDR_END, sizeof IDR_END);
    seq = p_frame(&pl, idx, &n, &st, seq, ts + 3000, 0);
    seq = key_frame(&pl, idx, &n, &st, seq, ts + 6000);  /* kept: frame 0 */
    seq = p_frame(&pl, idx, &n, &st, seq, ts + 9000, 1); /* kept */
    size_t before = n;
    seq = p_frame(&pl, idx, &n, &st, seq, ts + 12000, 1); /* its middle packet lost */
    idx[before + 1] = idx[--n];                           /* drop P_MID, keep P_END */
    seq = p_frame(&pl, idx, &n, &st, seq, ts + 15000, 1); /* kept */
    /* a frame whose marker packet never came: no marker, next frame follows */
    idx[n++] = pkt(&pl, &st, seq++, ts + 18000, 0, P_START, sizeof P_START);
    seq = p_frame(&pl, idx, &n, &st, seq, ts + 21000, 0); /* kept */
    for (size_t i = 0; i < n; i++)
        feed_pkt(s, &pl, idx[i], 1000 + i);
    tsn_export_scan_finish(s);
    struct tsn_export_scan_stats stats;
    tsn_export_scan_stats(s, &stats);
    assert_int_equal(g.n, 4);
    static const int64_t pts[] = {0, 3000, 9000, 15000};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(g.f[i].pts_90k, pts[i]);
    assert_int_equal(g.f[0].rtp_ts, ts + 6000);
    assert_int_equal(g.f[0].capture_ms, -1); /* no extension */
    assert_int_equal(stats.frames_before_key, 2);
    assert_int_equal(stats.frames_incomplete, 2);
    assert_int_equal(stats.reorder.missing, 1);
    tsn_export_scan_free(s);
}

/* As telesono-capture sends a key frame asked for when the recording
 * starts (rtph264pay config-interval=-1, x264 sliced threads): first the
 * SPS/PPS in a STAP-A WITH the marker bit, then, with the same timestamp,
 * a STAP-A of SPS/PPS before each of the two IDR slices, the marker again
 * on the last packet. One frame of 7 packets, the key frame at PTS 0 (the
 * marker inside did not split it into a parameter-set "frame" and an IDR
 * with the same timestamp, which dropped the IDR). A parameter-set STAP-A
 * alone at its own timestamp is no key frame; a frame whose last packet
 * lacks the marker (its end lost) is incomplete even when a packet inside
 * it carried one. */
static void test_marker_inside_frame(void **state)
{
    static struct pool pl;
    pl.n = 0;
    struct got g = {0};
    struct tsn_export_scan *s = new_scan(&g);
    struct stream st = {.ssrc = 4, .pt = 96};
    size_t idx[64], n = 0;
    feed_stream(s, STREAM1);
    const uint8_t stap_cfg[] = {0x78, 0, 4, 0x67, 0x42, 0xc0, 0x1f, 0, 3, 0x68, 0xce, 0x3c};
    const uint8_t idr2_start[] = {0x7c, 0x85, 0x48, 0x84}; /* first_mb_in_slice != 0 */
    const uint8_t p2_start[] = {0x5c, 0x81, 0x4a};
    uint16_t seq = 23079;
    /* a lone parameter-set packet at its own timestamp: no picture */
    idx[n++] = pkt(&pl, &st, seq++, 1000, 1, stap_cfg, sizeof stap_cfg);
    /* the key frame: marker on its first packet and on its last */
    uint32_t ts = 4000;
    idx[n++] = pkt(&pl, &st, seq++, ts, 1, stap_cfg, sizeof stap_cfg);
    idx[n++] = pkt(&pl, &st, seq++, ts, 0, stap_cfg, sizeof stap_cfg);
    idx[n++] = pkt(&pl, &st, seq++, ts, 0, IDR_START, sizeof IDR_START);
    idx[n++] = pkt(&pl, &st, seq++, ts, 0, IDR_END, sizeof IDR_END);
    idx[n++] = pkt(&pl, &st, seq++, ts, 0, stap_cfg, sizeof stap_cfg);
    idx[n++] = pkt(&pl, &st, seq++, ts, 0, idr2_start, sizeof idr2_start);
    idx[n++] = pkt(&pl, &st, seq++, ts, 1, IDR_END, sizeof IDR_END);
    /* a P frame in two slices */
    idx[n++] = pkt(&pl, &st, seq++, ts + 3000, 0, P_START, sizeof P_START);
    idx[n++] = pkt(&pl, &st, seq++, ts + 3000, 0, P_END, sizeof P_END);
    idx[n++] = pkt(&pl, &st, seq++, ts + 3000, 0, p2_start, sizeof p2_start);
    idx[n++] = pkt(&pl, &st, seq++, ts + 3000, 1, P_END, sizeof P_END);
    /* a P frame with a marker inside whose last packet (marker) is lost */
    idx[n++] = pkt(&pl, &st, seq++, ts + 6000, 1, P_START, sizeof P_START);
    idx[n++] = pkt(&pl, &st, seq++, ts + 6000, 0, P_MID, sizeof P_MID);
    seq++;
    seq = p_frame(&pl, idx, &n, &st, seq, ts + 9000, 0); /* starts certainly: kept */
    for (size_t i = 0; i < n; i++)
        feed_pkt(s, &pl, idx[i], 1000 + i);
    tsn_export_scan_finish(s);
    struct tsn_export_scan_stats stats;
    tsn_export_scan_stats(s, &stats);
    assert_int_equal(g.n, 3);
    assert_true(g.f[0].key);
    assert_int_equal(g.f[0].rtp_ts, ts);
    assert_int_equal(g.f[0].n_pkts, 7);
    assert_int_equal(g.first_seq[0], 23080);
    assert_int_equal(g.f[0].pts_90k, 0);
    assert_int_equal(g.f[0].time_us, 1001);
    assert_false(g.f[1].key);
    assert_int_equal(g.f[1].n_pkts, 4);
    assert_int_equal(g.f[1].pts_90k, 3000);
    assert_int_equal(g.f[2].rtp_ts, ts + 9000);
    assert_int_equal(g.f[2].pts_90k, 9000);
    assert_int_equal(stats.frames_before_key, 1); /* the lone parameter sets */
    assert_int_equal(stats.frames_out_of_order, 0);
    assert_int_equal(stats.frames_incomplete, 1);
    tsn_export_scan_free(s);
}

/* A packet lost between two frames: the next frame is kept only when its
 * first packet certainly starts a frame. */
static void test_gap_before_frame(void **state)
{
    static struct pool pl;
    pl.n = 0;
    struct got g = {0};
    struct tsn_export_scan *s = new_scan(&g);
    struct stream st = {.ssrc = 9, .pt = 96};
    size_t idx[64], n = 0;
    feed_stream(s, STREAM1);
    uint16_t seq = key_frame(&pl, idx, &n, &st, 10, 1000);
    seq++; /* lost: the first FU-A packet of a P frame... */
    idx[n++] = pkt(&pl, &st, seq++, 4000, 0, P_MID, sizeof P_MID);
    idx[n++] = pkt(&pl, &st, seq++, 4000, 1, P_END, sizeof P_END);
    seq++; /* ...lost: a one-packet frame entirely */
    seq = p_frame(&pl, idx, &n, &st, seq, 10000, 0);
    for (size_t i = 0; i < n; i++)
        feed_pkt(s, &pl, idx[i], 1000 + i);
    tsn_export_scan_finish(s);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.f[1].rtp_ts, 10000);
    assert_int_equal(g.f[1].pts_90k, 9000);
    tsn_export_scan_free(s);
}

static void test_reorder_and_duplicates(void **state)
{
    static struct pool pl;
    pl.n = 0;
    struct got a = {0}, b = {0};
    struct stream st = {.ssrc = 1, .pt = 96};
    size_t idx[64], n = 0;
    uint16_t seq = key_frame(&pl, idx, &n, &st, 100, 5000);
    for (int i = 1; i < 6; i++)
        seq = p_frame(&pl, idx, &n, &st, seq, 5000 + 3000u * (uint32_t)i, 1);
    struct tsn_export_scan *s = new_scan(&a);
    feed_stream(s, STREAM1);
    for (size_t i = 0; i < n; i++)
        feed_pkt(s, &pl, idx[i], i);
    tsn_export_scan_finish(s);
    tsn_export_scan_free(s);
    /* the same packets swapped in pairs, every third one twice */
    s = new_scan(&b);
    feed_stream(s, STREAM1);
    for (size_t i = 0; i + 1 < n; i += 2) {
        feed_pkt(s, &pl, idx[i + 1], i);
        feed_pkt(s, &pl, idx[i], i);
        if (i % 3 == 0)
            feed_pkt(s, &pl, idx[i], i);
    }
    if (n % 2)
        feed_pkt(s, &pl, idx[n - 1], n);
    tsn_export_scan_finish(s);
    struct tsn_export_scan_stats stats;
    tsn_export_scan_stats(s, &stats);
    assert_true(stats.reorder.duplicates + stats.reorder.late > 0);
    assert_int_equal(stats.frames_incomplete, 0);
    assert_int_equal(a.n, 6);
    assert_int_equal(b.n, a.n);
    for (size_t i = 0; i < a.n; i++) {
        assert_int_equal(a.f[i].pts_90k, b.f[i].pts_90k);
        assert_int_equal(a.f[i].n_pkts, b.f[i].n_pkts);
        assert_int_equal(a.first_seq[i], b.first_seq[i]);
    }
    tsn_export_scan_free(s);
}

/* A new STREAM record (generation 2) with new SSRC, sequence and timestamp
 * bases: PTS go on from the last frame + one interval; P frames before the
 * new generation's key frame are dropped. */
static void test_new_generation(void **state)
{
    static struct pool pl;
    pl.n = 0;
    struct got g = {0};
    struct tsn_export_scan *s = new_scan(&g);
    struct stream st = {.ssrc = 1, .pt = 96};
    size_t idx[64], n = 0;
    feed_stream(s, STREAM1);
    uint16_t seq = key_frame(&pl, idx, &n, &st, 1000, 777);
    seq = p_frame(&pl, idx, &n, &st, seq, 777 + 3600, 0);
    seq = p_frame(&pl, idx, &n, &st, seq, 777 + 7200, 0);
    for (size_t i = 0; i < n; i++)
        feed_pkt(s, &pl, idx[i], i);
    /* metadata update of the same generation: nothing restarts */
    feed_stream(s, STREAM1);
    feed_stream(s, "{\"codec\":\"H264\",\"payload_type\":97,\"generation\":2}");
    struct stream st2 = {.ssrc = 2, .pt = 97};
    n = 0;
    seq = p_frame(&pl, idx, &n, &st2, 40000, 123456, 0); /* before the key: dropped */
    seq = key_frame(&pl, idx, &n, &st2, seq, 123456 + 3000);
    seq = p_frame(&pl, idx, &n, &st2, seq, 123456 + 6000, 0);
    for (size_t i = 0; i < n; i++)
        feed_pkt(s, &pl, idx[i], 100 + i);
    tsn_export_scan_finish(s);
    struct tsn_export_scan_stats stats;
    tsn_export_scan_stats(s, &stats);
    assert_int_equal(g.n, 5);
    static const int64_t pts[] = {0, 3600, 7200, 10800, 13800};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(g.f[i].pts_90k, pts[i]);
        assert_int_equal(g.f[i].generation, i < 3 ? 0 : 1);
    }
    assert_int_equal(stats.generations, 2);
    assert_int_equal(stats.frames_before_key, 1);
    assert_int_equal(stats.config_changes, 0); /* the same SPS and PPS */
    tsn_export_scan_free(s);
}

/* A later generation whose key frame carries another SPS (in a STAP-A with
 * the PPS) is counted: the exporter then keeps parameter sets in-band. */
static void test_config_change(void **state)
{
    static struct pool pl;
    pl.n = 0;
    struct got g = {0};
    struct tsn_export_scan *s = new_scan(&g);
    struct stream st = {.ssrc = 1, .pt = 96}, st2 = {.ssrc = 2, .pt = 96};
    size_t idx[64], n = 0;
    feed_stream(s, STREAM1);
    key_frame(&pl, idx, &n, &st, 1, 0);
    const uint8_t stap[] = {0x78, 0, 4, 0x67, 0x42, 0xc0, 0x20, 0, 3, 0x68, 0xce, 0x3c};
    idx[n++] = pkt(&pl, &st2, 900, 5000, 0, stap, sizeof stap);
    idx[n++] = pkt(&pl, &st2, 901, 5000, 0, IDR_START, sizeof IDR_START);
    idx[n++] = pkt(&pl, &st2, 902, 5000, 1, IDR_END, sizeof IDR_END);
    for (size_t i = 0; i < n; i++)
        feed_pkt(s, &pl, idx[i], i);
    tsn_export_scan_finish(s);
    struct tsn_export_scan_stats stats;
    tsn_export_scan_stats(s, &stats);
    assert_int_equal(g.n, 2);
    assert_int_equal(stats.ssrc_changes, 1);
    assert_int_equal(stats.config_changes, 1);
    tsn_export_scan_free(s);
}

/* A new SSRC without a STREAM record is a new generation too; packets of
 * another payload type are ignored; RTP before any STREAM is taken as H.264
 * of the first packet's type. */
static void test_ssrc_change_other_pt(void **state)
{
    static struct pool pl;
    pl.n = 0;
    struct got g = {0};
    struct tsn_export_scan *s = new_scan(&g);
    struct stream st = {.ssrc = 1, .pt = 96}, rtx = {.ssrc = 99, .pt = 97},
                  st2 = {.ssrc = 5, .pt = 96};
    size_t idx[64], n = 0;
    uint16_t seq = key_frame(&pl, idx, &n, &st, 1, 1000);
    idx[n++] = pkt(&pl, &rtx, 7, 1000, 1, P_ONE, sizeof P_ONE);
    seq = p_frame(&pl, idx, &n, &st, seq, 4000, 0);
    seq = key_frame(&pl, idx, &n, &st2, 30000, 50);
    const uint8_t junk[] = {0x40, 0x01};
    for (size_t i = 0; i < n; i++)
        feed_pkt(s, &pl, idx[i], i);
    assert_int_equal(feed(s, TSN_REC_RTP, junk, sizeof junk, 1), 0);
    assert_int_equal(feed(s, TSN_REC_EVENT, "{}", 2, 1), 0);
    assert_int_equal(feed(s, TSN_REC_CONTROL, "{}", 2, 1), 0);
    assert_int_equal(feed(s, TSN_REC_STREAM, "[1]", 3, 1), 0);
    tsn_export_scan_finish(s);
    struct tsn_export_scan_stats stats;
    tsn_export_scan_stats(s, &stats);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.f[2].generation, 1);
    assert_int_equal(g.f[2].pts_90k, 3000 + 3000);
    assert_true(stats.no_stream_record);
    assert_int_equal(stats.ssrc_changes, 1);
    assert_int_equal(stats.other_packets, 1);
    assert_int_equal(stats.bad_packets, 1);
    assert_int_equal(stats.bad_stream_records, 1);
    assert_int_equal(g.events, 1);
    assert_null(tsn_export_scan_stream_meta(s));
    tsn_export_scan_free(s);
}

/* Timestamps that go back (a bogus frame) are dropped; the next good one
 * continues. */
static void test_pts_must_grow(void **state)
{
    static struct pool pl;
    pl.n = 0;
    struct got g = {0};
    struct tsn_export_scan *s = new_scan(&g);
    struct stream st = {.ssrc = 1, .pt = 96};
    size_t idx[64], n = 0;
    feed_stream(s, STREAM1);
    uint16_t seq = key_frame(&pl, idx, &n, &st, 1, 90000);
    seq = p_frame(&pl, idx, &n, &st, seq, 93000, 0);
    seq = p_frame(&pl, idx, &n, &st, seq, 93000 - 6000, 0);
    seq = p_frame(&pl, idx, &n, &st, seq, 96000, 0);
    for (size_t i = 0; i < n; i++)
        feed_pkt(s, &pl, idx[i], i);
    tsn_export_scan_finish(s);
    struct tsn_export_scan_stats stats;
    tsn_export_scan_stats(s, &stats);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.f[2].pts_90k, 6000);
    assert_int_equal(stats.frames_out_of_order, 1);
    tsn_export_scan_free(s);
}

static void test_vp8(void **state)
{
    static struct pool pl;
    pl.n = 0;
    struct got g = {0};
    struct tsn_export_scan *s = new_scan(&g);
    struct stream st = {.ssrc = 3, .pt = 100};
    feed_stream(s, "{\"codec\":\"VP8\",\"payload_type\":100,\"generation\":1}");
    const uint8_t inter[] = {0x10, 0x51, 1}, key_start[] = {0x10, 0x50, 2}, part[] = {0x00, 3};
    size_t idx[16], n = 0;
    idx[n++] = pkt(&pl, &st, 1, 0, 1, inter, sizeof inter); /* before the key: dropped */
    idx[n++] = pkt(&pl, &st, 2, 3000, 0, key_start, sizeof key_start);
    idx[n++] = pkt(&pl, &st, 3, 3000, 1, part, sizeof part);
    idx[n++] = pkt(&pl, &st, 4, 6000, 1, inter, sizeof inter);
    for (size_t i = 0; i < n; i++)
        feed_pkt(s, &pl, idx[i], i);
    tsn_export_scan_finish(s);
    assert_int_equal(tsn_export_scan_codec(s), TSN_EXPORT_VP8);
    assert_int_equal(g.n, 2);
    assert_true(g.f[0].key);
    assert_int_equal(g.f[0].n_pkts, 2);
    assert_int_equal(g.f[1].pts_90k, 3000);
    tsn_export_scan_free(s);
}

/* The interval for the last frame's duration ignores a lost frame's double
 * step; a stream's fps gives it before two frames are seen. */
static void test_interval(void **state)
{
    static struct pool pl;
    pl.n = 0;
    struct got g = {0};
    struct tsn_export_scan *s = new_scan(&g);
    struct stream st = {.ssrc = 1, .pt = 96};
    size_t idx[64], n = 0;
    feed_stream(s, "{\"codec\":\"H264\",\"payload_type\":96,\"generation\":1,"
                   "\"stream\":{\"fps\":10}}");
    assert_int_equal(tsn_export_scan_interval_90k(s), 9000);
    uint16_t seq = key_frame(&pl, idx, &n, &st, 1, 0);
    static const uint32_t ts[] = {3000, 6000, 12000, 15000, 18000};
    for (size_t i = 0; i < 5; i++)
        seq = p_frame(&pl, idx, &n, &st, seq, ts[i], 0);
    for (size_t i = 0; i < n; i++)
        feed_pkt(s, &pl, idx[i], i);
    tsn_export_scan_finish(s);
    assert_int_equal(g.n, 6);
    assert_int_equal(g.f[0].duration_90k, 9000);
    assert_int_equal(tsn_export_scan_interval_90k(s), 3000);
    tsn_export_scan_free(s);
}

static void test_bad_window(void **state)
{
    assert_null(tsn_export_scan_new(0, NULL, NULL));
    tsn_export_scan_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_and_pts),
        cmocka_unit_test(test_key_start_and_damage),
        cmocka_unit_test(test_marker_inside_frame),
        cmocka_unit_test(test_gap_before_frame),
        cmocka_unit_test(test_reorder_and_duplicates),
        cmocka_unit_test(test_new_generation),
        cmocka_unit_test(test_config_change),
        cmocka_unit_test(test_ssrc_change_other_pt),
        cmocka_unit_test(test_pts_must_grow),
        cmocka_unit_test(test_vp8),
        cmocka_unit_test(test_interval),
        cmocka_unit_test(test_bad_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
