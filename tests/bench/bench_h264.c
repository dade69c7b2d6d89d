/* A synthetic H.264 RTP source with send-time stamps; see bench_h264.h. */
#include "bench_h264.h"
#include "bytes.h"

#include <errno.h>
#include <string.h>

#include "rtcp.h"

#define NAL_STAP_A           24
#define NAL_FU_A             28
#define NAL_HDR_IDR          0x65 /* F=0, NRI=3, type 5 */
#define NAL_HDR_SLICE        0x41 /* F=0, NRI=2, type 1 */
#define EXT_PROFILE_ONE_BYTE 0xBEDE

/* Constrained baseline 3.1 (42e01f) parameter sets of a 640x480 stream; the
 * relay only looks at the NAL types. */
static const uint8_t k_sps[] = {0x67, 0x42, 0xe0, 0x1f, 0xda, 0x02, 0x80,
                                0xf6, 0x9b, 0x80, 0x80, 0x83, 0x01};
static const uint8_t k_pps[] = {0x68, 0xce, 0x3c, 0x80};

static void put_be64(uint8_t *p, uint64_t v)
{
    tsn_wr32(p, (uint32_t)(v >> 32));
    tsn_wr32(p + 4, (uint32_t)v);
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Bytes of the one-byte extension block including its 4-byte header. */
static size_t ext_block_bytes(const struct tsn_bench_h264_config *c)
{
    size_t body = 0;
    if (c->ext_abs_send_time)
        body += 1 + 3;
    if (c->ext_abs_capture_time)
        body += 1 + 8;
    if (body == 0)
        return 0;
    return 4 + (body + 3) / 4 * 4;
}

static size_t header_bytes(const struct tsn_bench_h264_config *c)
{
    return 12 + ext_block_bytes(c);
}

int tsn_bench_h264_init(struct tsn_bench_h264 *g, const struct tsn_bench_h264_config *cfg)
{
    memset(g, 0, sizeof(*g));
    if (cfg->fps == 0 || cfg->keyint_frames == 0 || cfg->bitrate_kbps == 0 ||
        cfg->payload_type > 127 || cfg->ext_abs_send_time > 14 || cfg->ext_abs_capture_time > 14)
        return -EINVAL;
    /* Room for the headers, an FU-A header pair and a whole stamp, and for
     * the STAP-A with both parameter sets. */
    size_t need = header_bytes(cfg) + 2 + TSN_BENCH_STAMP_BYTES + 8;
    size_t stap = header_bytes(cfg) + 1 + 2 + sizeof(k_sps) + 2 + sizeof(k_pps);
    if (cfg->max_packet_bytes < need || cfg->max_packet_bytes < stap ||
        cfg->max_packet_bytes > 1500)
        return -EINVAL;
    g->cfg = *cfg;
    g->next_seq = cfg->first_seq;
    return 0;
}

size_t tsn_bench_h264_frame_bytes(const struct tsn_bench_h264 *g, int keyframe)
{
    uint64_t avg = (uint64_t)g->cfg.bitrate_kbps * 1000 / 8 / g->cfg.fps;
    uint64_t k = g->cfg.keyint_frames;
    uint64_t bytes = avg;
    if (k > 1) {
        /* key = 5 * delta and (key + (k - 1) * delta) / k = avg. */
        uint64_t delta = avg * k / (k + 4);
        bytes = keyframe ? 5 * delta : delta;
    }
    return bytes < TSN_BENCH_STAMP_BYTES ? TSN_BENCH_STAMP_BYTES : (size_t)bytes;
}

int tsn_bench_h264_begin_frame(struct tsn_bench_h264 *g, int64_t capture_real_us)
{
    const struct tsn_bench_h264_config *c = &g->cfg;
    int key = g->force_keyframe || g->frame_no % c->keyint_frames == 0;
    g->force_keyframe = 0;
    g->in_frame = 1;
    g->frame_is_key = key;
    g->frame_ts = c->first_timestamp + (uint32_t)(g->frame_no * 90000 / c->fps);
    g->frame_capture_real_us = capture_real_us;
    g->slice_bytes = tsn_bench_h264_frame_bytes(g, key);
    g->slice_done = 0;
    g->sps_pending = key;
    size_t room = c->max_packet_bytes - header_bytes(c) - 2; /* after FU indicator + header */
    size_t n = (g->slice_bytes + room - 1) / room;
    g->frag_bytes = (g->slice_bytes + n - 1) / n;
    g->frame_no++;
    return key;
}

/* Writes the RTP header and extension block; returns its length. */
static size_t write_header(struct tsn_bench_h264 *g, uint8_t *out, int marker, int64_t send_real_us)
{
    const struct tsn_bench_h264_config *c = &g->cfg;
    size_t ext = ext_block_bytes(c);
    out[0] = (uint8_t)(0x80 | (ext ? 0x10 : 0));
    out[1] = (uint8_t)((marker ? 0x80 : 0) | c->payload_type);
    tsn_wr16(out + 2, g->next_seq++);
    tsn_wr32(out + 4, g->frame_ts);
    tsn_wr32(out + 8, c->ssrc);
    if (!ext)
        return 12;
    uint8_t *p = out + 12;
    tsn_wr16(p, EXT_PROFILE_ONE_BYTE);
    tsn_wr16(p + 2, (uint16_t)((ext - 4) / 4));
    memset(p + 4, 0, ext - 4); /* zero padding between and after elements */
    p += 4;
    if (c->ext_abs_send_time) {
        /* 6.18 fixed-point seconds: the middle 24 bits of the NTP time. */
        uint32_t ast = (uint32_t)(tsn_ntp_from_unix_us((uint64_t)send_real_us) >> 14) & 0xFFFFFF;
        p[0] = (uint8_t)(c->ext_abs_send_time << 4 | 2);
        p[1] = (uint8_t)(ast >> 16);
        p[2] = (uint8_t)(ast >> 8);
        p[3] = (uint8_t)ast;
        p += 4;
    }
    if (c->ext_abs_capture_time) {
        p[0] = (uint8_t)(c->ext_abs_capture_time << 4 | 7);
        put_be64(p + 1, tsn_ntp_from_unix_us((uint64_t)g->frame_capture_real_us));
    }
    return 12 + ext;
}

/* Fills `len` slice bytes: the stamp first (as much of it as fits), then
 * filler that changes per frame so packets are not all identical. */
static void write_slice(const struct tsn_bench_h264 *g, uint8_t *p, size_t len,
                        int64_t send_mono_us, int64_t send_real_us)
{
    uint8_t stamp[TSN_BENCH_STAMP_BYTES];
    put_be64(stamp, (uint64_t)send_mono_us);
    put_be64(stamp + 8, (uint64_t)send_real_us);
    memcpy(stamp + 16, TSN_BENCH_STAMP_MAGIC, 4);
    size_t n = len < sizeof(stamp) ? len : sizeof(stamp);
    memcpy(p, stamp, n);
    memset(p + n, (int)(0x20 + g->frame_no % 64), len - n);
}

static int write_stap(struct tsn_bench_h264 *g, uint8_t *out, int64_t send_real_us)
{
    size_t off = write_header(g, out, 0, send_real_us);
    out[off++] = (uint8_t)(0x60 | NAL_STAP_A); /* NRI of the parameter sets */
    tsn_wr16(out + off, (uint16_t)sizeof(k_sps));
    memcpy(out + off + 2, k_sps, sizeof(k_sps));
    off += 2 + sizeof(k_sps);
    tsn_wr16(out + off, (uint16_t)sizeof(k_pps));
    memcpy(out + off + 2, k_pps, sizeof(k_pps));
    off += 2 + sizeof(k_pps);
    g->sps_pending = 0;
    return (int)off;
}

int tsn_bench_h264_next_packet(struct tsn_bench_h264 *g, uint8_t *out, size_t cap,
                               int64_t send_mono_us, int64_t send_real_us)
{
    const struct tsn_bench_h264_config *c = &g->cfg;
    if (cap < c->max_packet_bytes)
        return -ENOSPC;
    if (!g->in_frame)
        return 0;
    if (g->sps_pending)
        return write_stap(g, out, send_real_us);
    if (g->slice_done >= g->slice_bytes) {
        g->in_frame = 0;
        return 0;
    }
    uint8_t nal = g->frame_is_key ? NAL_HDR_IDR : NAL_HDR_SLICE;
    size_t room = c->max_packet_bytes - header_bytes(c);
    if (g->slice_done == 0 && 1 + g->slice_bytes <= room) {
        /* Small frame: one single-NAL packet. */
        size_t off = write_header(g, out, 1, send_real_us);
        out[off++] = nal;
        write_slice(g, out + off, g->slice_bytes, send_mono_us, send_real_us);
        g->slice_done = g->slice_bytes;
        return (int)(off + g->slice_bytes);
    }
    size_t frag = g->slice_bytes - g->slice_done;
    if (frag > g->frag_bytes)
        frag = g->frag_bytes;
    int start = g->slice_done == 0;
    int end = g->slice_done + frag == g->slice_bytes;
    size_t off = write_header(g, out, end, send_real_us);
    out[off++] = (uint8_t)((nal & 0xE0) | NAL_FU_A);
    out[off++] = (uint8_t)((start ? 0x80 : 0) | (end ? 0x40 : 0) | (nal & 0x1F));
    write_slice(g, out + off, frag, send_mono_us, send_real_us);
    g->slice_done += frag;
    return (int)(off + frag);
}

int tsn_bench_h264_frame_done(const struct tsn_bench_h264 *g)
{
    return !g->in_frame || (!g->sps_pending && g->slice_done >= g->slice_bytes);
}

int tsn_bench_h264_read_stamp(const uint8_t *payload, size_t len, int64_t *send_mono_us,
                              int64_t *send_real_us)
{
    if (len < 1)
        return -ENOENT;
    unsigned type = payload[0] & 0x1F;
    size_t off;
    if (type == NAL_FU_A)
        off = 2;
    else if (type >= 1 && type <= 23)
        off = 1;
    else
        return -ENOENT;
    if (len < off + TSN_BENCH_STAMP_BYTES ||
        memcmp(payload + off + 16, TSN_BENCH_STAMP_MAGIC, 4) != 0)
        return -ENOENT;
    *send_mono_us = (int64_t)get_be64(payload + off);
    *send_real_us = (int64_t)get_be64(payload + off + 8);
    return 0;
}
