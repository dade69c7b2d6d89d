/* tsn-rec-fixture: writes a realistic recording directory (media.tsr,
 * session.json) without a relay, for test_export.sh, plus truth.json: what
 * the fixture wrote and what an exporter is expected to make of it.
 *
 *   tsn-rec-fixture --out DIR [--clip FILE.mkv] [--frames N] [--fps F]
 *       [--codec h264|vp8] [--no-act]
 *       [--new-generation-at K [--new-generation-size WxH] [--new-generation-refs 2|3]]
 *       [--skip-packets N] [--lose PCT] [--reorder PCT] [--duplicate PCT]
 *       [--lose-keyframes] [--seed S] [--corrupt OFFSET:N]... [--corrupt-frame K]...
 *       [--truncate N] [--arrow-frame K] [--chat-frame K] [--caliper-frame K]
 *       [--bookmark-frame K] [--delete-frame K] [--slices N] [--marker-stap]
 *
 * The clip (FFV1 in Matroska, decoded once to grey) is looped for --frames frames at
 * --fps, each stamped with a capture time, encoded as the capture encodes it
 * (x264 zerolatency, key-int-max 60, or vp8enc realtime) and packetised by
 * rtph264pay/rtpvp8pay (MTU 1200, SPS/PPS before every IDR, the
 * abs-capture-time extension with id 3 unless --no-act). --new-generation-at K
 * encodes frames K.. with a fresh encoder and payloader (new SSRC, sequence
 * and timestamp bases: a publisher restart) after a new STREAM record, at
 * another picture size with --new-generation-size, with other H.264
 * parameter sets (x264 ref=2|3: another SPS, same size) with
 * --new-generation-refs. --slices N encodes as telesono-capture does (x264
 * sliced threads, N slices a frame: rtph264pay then sends the SPS/PPS
 * before each IDR slice); --marker-stap makes the first packet a STAP-A of
 * frame 0's SPS/PPS with the marker bit set and frame 0's timestamp, as
 * rtph264pay sends it when a key frame is asked for as the capture
 * connects (relay --record always): an exporter that ends a frame at the
 * marker splits frame 0 in two with one timestamp.
 *
 * Records, as the relay writes them: SESSION, STREAM, an initial
 * "annotations" snapshot holding one green line (id 2), then RTP packets in
 * arrival order (20 ms after capture, 50 us apart) with the events between
 * them: an arrow (#ff00ff, media capture_ms of --arrow-frame K but rtp_ts
 * of frame K+2, the newest when the relay got it: a client that sent
 * frame_ms; capture_ms names the frame; with --no-act rtp_ts alone, K+2),
 * a chat (media capture_ms only), a caliper (#00ffff, media rtp_ts only),
 * a bookmark (media null: placed by the record's time, right after its
 * frame's packets) and a delete of the snapshot's line. An event naming
 * frame K is written after frame K+2's packets (the relay sees it a little
 * later), except the bookmark.
 *
 * Damage: --skip-packets drops the first N packets (recording started
 * mid-frame), --lose/--reorder/--duplicate act on packets at random
 * (seeded), --lose-keyframes drops every packet of every key frame,
 * --corrupt flips N bytes at an offset of the finished file,
 * --corrupt-frame K flips 4 bytes inside frame K's middle packet, --truncate
 * cuts N bytes off the end (a torn tail).
 *
 * truth.json: {"frames_encoded","fps","width","height","codec","kept",
 * "first_key","duration_ms","torn_tail_bytes","corrupted":[{offset,bytes,
 * frames_hit,events_hit}], "frames":[{i,gen,rtp_ts,key,capture_ms,packets,
 * first_offset,end_offset,intact,index}], "events":[{seq,op,frame,index,
 * lost}]}: "index" is the frame's expected index in the export (-1: not in
 * it). Expected: a frame is in the export when every one of its packets was
 * written undamaged (an access unit delimiter alone may be lost: the frame
 * decodes without it), from its generation's first such key frame on. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <gst/video/video.h>
#include <jansson.h>

#include "abs_capture_time.h"
#include "rec_fixture.h"
#include "reclog.h"

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "tsn-rec-fixture: %s%s\n", what, detail);
    exit(2);
}

static double rnd(struct fixture *f)
{
    f->rng ^= f->rng << 13;
    f->rng ^= f->rng >> 7;
    f->rng ^= f->rng << 17;
    return (double)(f->rng >> 11) / 9007199254740992.0;
}

/* ---- the clip ---- */

/* GRAY8 -> I420 by hand (luma as is, chroma a flat 128): GStreamer 1.22's
 * videoconvert tints the picture when the GRAY8 caps carry an unknown colour
 * matrix, as avdec_ffv1's do (capture/gray_i420.h, same reason). */
static GstBuffer *gray_to_i420(GstBuffer *gray, GstCaps *caps)
{
    GstVideoInfo in, out;
    GstVideoFrame src, dst;
    if (!gst_video_info_from_caps(&in, caps))
        return NULL;
    gst_video_info_set_format(&out, GST_VIDEO_FORMAT_I420, (guint)in.width, (guint)in.height);
    GstBuffer *b = gst_buffer_new_allocate(NULL, out.size, NULL);
    if (!gst_video_frame_map(&src, &in, gray, GST_MAP_READ)) {
        gst_buffer_unref(b);
        return NULL;
    }
    gst_video_frame_map(&dst, &out, b, GST_MAP_WRITE);
    for (int y = 0; y < in.height; y++)
        memcpy((uint8_t *)GST_VIDEO_FRAME_PLANE_DATA(&dst, 0) +
                   (size_t)y * (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&dst, 0),
               (const uint8_t *)GST_VIDEO_FRAME_PLANE_DATA(&src, 0) +
                   (size_t)y * (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&src, 0),
               (size_t)in.width);
    for (int p = 1; p < 3; p++)
        memset(GST_VIDEO_FRAME_PLANE_DATA(&dst, p), 128,
               (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&dst, p) *
                   (size_t)GST_VIDEO_FRAME_COMP_HEIGHT(&dst, p));
    gst_video_frame_unmap(&src);
    gst_video_frame_unmap(&dst);
    return b;
}

static void load_clip(struct fixture *f)
{
    char desc[1200];
    snprintf(desc, sizeof desc,
             "filesrc location=\"%s\" ! matroskademux ! avdec_ffv1 ! videoconvert ! "
             "video/x-raw,format=GRAY8 ! appsink name=sink sync=false",
             f->o.clip);
    GError *err = NULL;
    GstElement *p = gst_parse_launch(desc, &err);
    if (!p || err)
        die("clip pipeline: ", err ? err->message : "?");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "sink");
    gst_element_set_state(p, GST_STATE_PLAYING);
    f->clip = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
    GstSample *s;
    while ((s = gst_app_sink_pull_sample(GST_APP_SINK(sink)))) {
        GstStructure *st = gst_caps_get_structure(gst_sample_get_caps(s), 0);
        gst_structure_get_int(st, "width", &f->width);
        gst_structure_get_int(st, "height", &f->height);
        GstBuffer *b = gray_to_i420(gst_sample_get_buffer(s), gst_sample_get_caps(s));
        if (b)
            g_ptr_array_add(f->clip, b);
        gst_sample_unref(s);
    }
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(sink);
    gst_object_unref(p);
    if (f->clip->len == 0)
        die("no frames decoded from ", f->o.clip);
}

/* ---- encoding ---- */

struct enc_run {
    struct fixture *f;
    int first, key_seen;
};

static GstPadProbeReturn on_encoded(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct enc_run *e = data;
    GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER(info);
    int i = e->first + e->key_seen++;
    if (i < e->f->o.frames)
        e->f->frames[i].key = !GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
    return GST_PAD_PROBE_OK;
}

static void add_pkt(struct fixture *f, const uint8_t *data, size_t len, int frame)
{
    if (f->n_pkts == f->cap_pkts) {
        f->cap_pkts = f->cap_pkts ? 2 * f->cap_pkts : 1024;
        f->pkts = realloc(f->pkts, f->cap_pkts * sizeof *f->pkts);
    }
    struct pkt *p = &f->pkts[f->n_pkts++];
    p->data = g_memdup2(data, len);
    p->len = len;
    p->frame = frame;
    p->good = 0;
}

static int64_t capture_us_of(const struct fixture *f, int i)
{
    return BASE_US + llround(i * 1e6 / f->o.fps);
}

/* Encodes frames [first, end) as one generation. */
static void encode(struct fixture *f, int first, int end, int gen)
{
    int vp8 = strcmp(f->o.codec, "vp8") == 0;
    int fn, fd;
    gst_util_double_to_fraction(f->o.fps, &fn, &fd);
    /* as telesono-capture encodes: sliced threads, one slice per thread */
    char x264_sliced[160];
    snprintf(x264_sliced, sizeof x264_sliced,
             "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate=2000 "
             "sliced-threads=true threads=%d",
             f->o.slices);
    char desc[1024];
    snprintf(desc, sizeof desc,
             "appsrc name=src format=time caps=video/x-raw,format=I420,width=%d,height=%d,"
             "framerate=%d/%d ! videoscale ! video/x-raw,width=%d,height=%d ! %s name=enc ! "
             "%s name=pay mtu=1200 pt=%d ssrc=%u "
             "seqnum-offset=%u timestamp-offset=%u ! appsink name=sink sync=false",
             f->width, f->height, fn, fd, gen && f->o.gen2_width ? f->o.gen2_width : f->width,
             gen && f->o.gen2_width ? f->o.gen2_height : f->height,
             vp8 ? "vp8enc deadline=1 keyframe-max-dist=60 target-bitrate=2000000"
             : gen && f->o.gen2_refs
                 ? (f->o.gen2_refs == 2 ? "x264enc tune=zerolatency speed-preset=ultrafast "
                                          "key-int-max=60 bitrate=2000 ref=2"
                                        : "x264enc tune=zerolatency speed-preset=ultrafast "
                                          "key-int-max=60 bitrate=2000 ref=3")
             : f->o.slices ? x264_sliced
                           : "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 "
                             "bitrate=2000",
             vp8 ? "rtpvp8pay picture-id-mode=15-bit"
                 : "rtph264pay config-interval=-1 aggregate-mode=zero-latency",
             PT, 0x1234567u + 0x1111u * (unsigned)gen, 1000u + 40000u * (unsigned)gen,
             100000u + 1500000000u * (unsigned)gen);
    GError *err = NULL;
    GstElement *p = gst_parse_launch(desc, &err);
    if (!p || err)
        die("encoder pipeline: ", err ? err->message : "?");
    GstElement *src = gst_bin_get_by_name(GST_BIN(p), "src");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "sink");
    GstElement *enc = gst_bin_get_by_name(GST_BIN(p), "enc");
    GstElement *pay = gst_bin_get_by_name(GST_BIN(p), "pay");
    if (f->o.act) {
        GstElement *ext = gst_element_factory_make(TSN_ACT_ELEMENT_NAME, NULL);
        gst_rtp_header_extension_set_id(GST_RTP_HEADER_EXTENSION(ext), ACT_ID);
        g_signal_emit_by_name(pay, "add-extension", ext);
        gst_object_unref(ext);
    }
    struct enc_run run = {.f = f, .first = first};
    GstPad *pad = gst_element_get_static_pad(enc, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_encoded, &run, NULL);
    gst_object_unref(pad);
    g_object_set(src, "max-bytes", (guint64)0, NULL);
    gst_element_set_state(p, GST_STATE_PLAYING);
    for (int i = first; i < end; i++) {
        GstBuffer *b = gst_buffer_copy(g_ptr_array_index(f->clip, (guint)i % f->clip->len));
        GST_BUFFER_PTS(b) = (GstClockTime)llround((i - first) * 1e9 / f->o.fps);
        GST_BUFFER_DURATION(b) = (GstClockTime)llround(1e9 / f->o.fps);
        f->frames[i].capture_us = capture_us_of(f, i);
        f->frames[i].gen = gen;
        tsn_act_buffer_set_capture_unix_us(b, f->frames[i].capture_us);
        gst_app_src_push_buffer(GST_APP_SRC(src), b);
    }
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    GstSample *s;
    int frame = first - 1;
    uint32_t ts = 0;
    while ((s = gst_app_sink_pull_sample(GST_APP_SINK(sink)))) {
        GstMapInfo m;
        GstBuffer *b = gst_sample_get_buffer(s);
        gst_buffer_map(b, &m, GST_MAP_READ);
        uint32_t t = (uint32_t)m.data[4] << 24 | (uint32_t)m.data[5] << 16 |
                     (uint32_t)m.data[6] << 8 | m.data[7];
        if (frame < first || t != ts) {
            frame++;
            ts = t;
            if (frame < end)
                f->frames[frame].rtp_ts = t;
        }
        add_pkt(f, m.data, m.size, frame);
        gst_buffer_unmap(b, &m);
        gst_sample_unref(s);
    }
    if (frame != end - 1)
        fprintf(stderr, "tsn-rec-fixture: warning: %d frames encoded, %d packetised\n", end - first,
                frame - first + 1);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(src);
    gst_object_unref(sink);
    gst_object_unref(enc);
    gst_object_unref(pay);
    gst_object_unref(p);
}

/* Offset of an RTP packet's payload (header, CSRCs, extension block). */
static size_t payload_off(const uint8_t *d, size_t len)
{
    size_t off = 12 + 4u * (d[0] & 0x0f);
    if ((d[0] & 0x10) && off + 4 <= len)
        off += 4 + 4u * ((size_t)d[off + 2] << 8 | d[off + 3]);
    return off < len ? off : len;
}

/* --marker-stap: what rtph264pay sends when the relay asks for a key frame
 * as the capture connects: the SPS and PPS alone in a STAP-A WITH the
 * marker bit, then the key frame's packets with the same timestamp (and
 * the marker again on its last). Made here from frame 0's own SPS/PPS,
 * with the header of its first packet and the sequence number before it,
 * so it becomes the recording's first packet. */
static void prepend_marker_stap(struct fixture *f)
{
    const uint8_t *sps = NULL, *pps = NULL;
    size_t sps_len = 0, pps_len = 0, first = f->n_pkts;
    for (size_t i = 0; i < f->n_pkts && f->pkts[i].frame == 0; i++) {
        const uint8_t *d = f->pkts[i].data;
        size_t len = f->pkts[i].len, off = payload_off(d, len);
        if (first == f->n_pkts)
            first = i;
        if (off >= len || (d[off] & 0x1f) != 24)
            continue;
        for (size_t o = off + 1; o + 2 < len;) {
            size_t n = (size_t)d[o] << 8 | d[o + 1];
            o += 2;
            if (n == 0 || n > len - o)
                break;
            if ((d[o] & 0x1f) == 7 && !sps) {
                sps = d + o;
                sps_len = n;
            } else if ((d[o] & 0x1f) == 8 && !pps) {
                pps = d + o;
                pps_len = n;
            }
            o += n;
        }
    }
    if (first == f->n_pkts || !sps || !pps)
        die("--marker-stap: frame 0 has no SPS/PPS", "");
    const uint8_t *d0 = f->pkts[first].data;
    size_t hdr = payload_off(d0, f->pkts[first].len);
    size_t len = hdr + 1 + 2 + sps_len + 2 + pps_len;
    uint8_t *b = malloc(len);
    memcpy(b, d0, hdr);
    b[1] |= 0x80; /* the marker */
    uint16_t seq = (uint16_t)(((unsigned)d0[2] << 8 | d0[3]) - 1u);
    b[2] = (uint8_t)(seq >> 8);
    b[3] = (uint8_t)seq;
    size_t o = hdr;
    b[o++] = (uint8_t)((sps[0] & 0x60) | 24);
    b[o++] = (uint8_t)(sps_len >> 8);
    b[o++] = (uint8_t)sps_len;
    memcpy(b + o, sps, sps_len);
    o += sps_len;
    b[o++] = (uint8_t)(pps_len >> 8);
    b[o++] = (uint8_t)pps_len;
    memcpy(b + o, pps, pps_len);
    add_pkt(f, b, len, 0); /* then moved to the front */
    free(b);
    struct pkt p = f->pkts[f->n_pkts - 1];
    memmove(f->pkts + first + 1, f->pkts + first, (f->n_pkts - 1 - first) * sizeof *f->pkts);
    f->pkts[first] = p;
}

/* ---- the log ---- */

static void put(struct fixture *f, enum tsn_rec_type type, uint64_t time_us, const void *payload,
                size_t len, int pkt, int event)
{
    if (f->len + len + TSN_REC_OVERHEAD > f->cap) {
        f->cap = (f->cap + len + TSN_REC_OVERHEAD) * 2;
        f->file = realloc(f->file, f->cap);
    }
    long n = tsn_rec_encode(f->file + f->len, f->cap - f->len, type, 0, time_us, payload, len);
    if (n <= 0)
        die("tsn_rec_encode failed", "");
    if (f->n_recs == f->cap_recs) {
        f->cap_recs = f->cap_recs ? 2 * f->cap_recs : 1024;
        f->recs = realloc(f->recs, f->cap_recs * sizeof *f->recs);
    }
    f->recs[f->n_recs++] =
        (struct record){.off = (long)f->len, .end = (long)f->len + n, .pkt = pkt, .event = event};
    f->len += (size_t)n;
}

static void put_json(struct fixture *f, enum tsn_rec_type type, uint64_t time_us, json_t *j,
                     int event)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
    put(f, type, time_us, text, strlen(text), -1, event);
    free(text);
    json_decref(j);
}

static json_t *stream_record(struct fixture *f, int gen)
{
    int vp8 = strcmp(f->o.codec, "vp8") == 0;
    return json_pack("{s:s, s:i, s:i, s:i, s:i, s:{s:s, s:{s:f, s:f}, s:i, s:i, s:f, s:s, s:s}}",
                     "codec", vp8 ? "VP8" : "H264", "payload_type", PT, "clock_rate", 90000,
                     "abs_capture_time_id", f->o.act ? ACT_ID : 0, "generation", gen + 1, "stream",
                     "probe", "L14-5 linear", "pixel_spacing_mm", "x", 0.1, "y", 0.125, "width",
                     f->width, "height", f->height, "fps", f->o.fps, "codec", vp8 ? "VP8" : "H264",
                     "source", "file");
}

/* {"capture_ms" of frame cap_k, "rtp_ts" of frame rtp_k} (-1: left out). */
static json_t *media_of(struct fixture *f, int cap_k, int rtp_k)
{
    json_t *m = json_object();
    if (cap_k >= 0 && f->o.act)
        json_object_set_new(m, "capture_ms", json_integer(f->frames[cap_k].capture_us / 1000));
    if (rtp_k >= 0)
        json_object_set_new(m, "rtp_ts", json_integer(f->frames[rtp_k].rtp_ts));
    return m;
}

static json_t *mark(const char *kind, int64_t id, const char *colour, double x0, double y0,
                    double x1, double y1, int64_t time_ms, json_t *media)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:[[f,f],[f,f]], s:I, s:o}", "id", (json_int_t)id,
                     "kind", kind, "by", "dr-fixture", "color", colour, "points", x0, y0, x1, y1,
                     "time", (json_int_t)time_ms, "media", media);
}

/* The events: [seq, op, frame K (the frame it names), write-after frame, json]. */
static void plan_events(struct fixture *f)
{
    const struct options *o = &f->o;
    f->events = json_array();
    struct {
        const char *op;
        int k;
    } plan[] = {{"draw-arrow", o->arrow},
                {"chat", o->chat},
                {"draw-caliper", o->caliper},
                {"bookmark", o->bookmark},
                {"delete", o->del}};
    int64_t seq = 3;
    for (size_t i = 0; i < G_N_ELEMENTS(plan); i++) {
        int k = plan[i].k;
        if (k < 0 || k >= o->frames)
            continue;
        int after = strcmp(plan[i].op, "bookmark") == 0 ? k : (k + 2 < o->frames ? k + 2 : k);
        int64_t t_ms = (capture_us_of(f, after) + 20000) / 1000 + 1;
        json_t *ev = json_pack("{s:s, s:I, s:I, s:s}", "type", "event", "seq", (json_int_t)seq,
                               "time", (json_int_t)t_ms, "from", "dr-fixture");
        const char *op = plan[i].op;
        if (strcmp(op, "draw-arrow") == 0) {
            /* the client sent frame_ms: capture_ms is frame K's, rtp_ts the
             * newest frame's when the relay got it (K+2) */
            json_object_set_new(ev, "media", media_of(f, k, after));
            json_object_set_new(ev, "op", json_string("draw"));
            json_object_set_new(
                ev, "item",
                mark("arrow", seq, ARROW_COLOUR, 0.25, 0.3, 0.7, 0.3, t_ms, media_of(f, k, after)));
        } else if (strcmp(op, "draw-caliper") == 0) {
            json_object_set_new(ev, "media", media_of(f, -1, k));
            json_object_set_new(ev, "op", json_string("draw"));
            json_t *m =
                mark("caliper", seq, CALIP_COLOUR, 0.3, 0.8, 0.7, 0.8, t_ms, media_of(f, -1, k));
            json_object_set_new(m, "mm", json_real(32.8));
            json_object_set_new(ev, "item", m);
        } else if (strcmp(op, "chat") == 0) {
            json_object_set_new(ev, "media", media_of(f, k, -1));
            json_object_set_new(ev, "op", json_string("chat"));
            json_object_set_new(ev, "text", json_string("Can you angle the probe medially?"));
        } else if (strcmp(op, "bookmark") == 0) {
            json_object_set_new(ev, "media", json_null());
            json_object_set_new(ev, "op", json_string("bookmark"));
            json_object_set_new(ev, "bookmark",
                                json_pack("{s:I, s:s, s:s, s:I, s:n}", "id", (json_int_t)seq,
                                          "label", "max diameter", "by", "dr-fixture", "time",
                                          (json_int_t)t_ms, "media"));
        } else {
            json_object_set_new(ev, "media", media_of(f, k, k));
            json_object_set_new(ev, "op", json_string("delete"));
            json_object_set_new(ev, "item", json_integer(2));
        }
        /* the frame the event names (without capture times, the arrow's
         * rtp_ts names K+2) */
        int named = strcmp(op, "draw-arrow") == 0 && !o->act ? after : k;
        json_array_append_new(f->events,
                              json_pack("{s:I, s:s, s:i, s:i, s:o}", "seq", (json_int_t)seq, "op",
                                        op, "frame", named, "after", after, "json", ev));
        seq++;
    }
}

static void put_events_after(struct fixture *f, int frame, uint64_t time_us)
{
    size_t i;
    json_t *e;
    json_array_foreach(f->events, i, e)
    {
        if (json_integer_value(json_object_get(e, "after")) == frame)
            put_json(f, TSN_REC_EVENT, time_us + 1 + i, json_incref(json_object_get(e, "json")),
                     (int)i);
    }
}

/* The packets in arrival order, after loss, reordering and duplication. */
static size_t *arrival_order(struct fixture *f, size_t *n_out)
{
    size_t *ord = malloc((2 * f->n_pkts + 1) * sizeof *ord), n = 0;
    for (size_t i = (size_t)f->o.skip_packets; i < f->n_pkts; i++) {
        if (f->o.lose_keyframes && f->frames[f->pkts[i].frame].key)
            continue;
        if (f->o.lose > 0 && rnd(f) * 100 < f->o.lose)
            continue;
        ord[n++] = i;
        if (f->o.duplicate > 0 && rnd(f) * 100 < f->o.duplicate)
            ord[n++] = i;
    }
    for (size_t i = 0; i + 1 < n; i++)
        if (f->o.reorder > 0 && rnd(f) * 100 < f->o.reorder) {
            size_t t = ord[i];
            ord[i] = ord[i + 1];
            ord[i + 1] = t;
            i++;
        }
    *n_out = n;
    return ord;
}

static void write_log(struct fixture *f)
{
    uint8_t hdr[TSN_REC_FILE_HEADER];
    tsn_rec_file_header(hdr);
    f->cap = 1 << 20;
    f->file = malloc(f->cap);
    memcpy(f->file, hdr, sizeof hdr);
    f->len = sizeof hdr;
    uint64_t t0 = BASE_US - 500000;
    put_json(f, TSN_REC_SESSION, t0,
             json_pack("{s:s, s:s, s:I, s:s}", "room", "fixture-room", "session",
                       "20261118T000000Z-0f1c2a3b", "started_ms", (json_int_t)(t0 / 1000), "by",
                       "dr-fixture"),
             -1);
    put_json(f, TSN_REC_STREAM, t0 + 1, stream_record(f, 0), -1);
    json_t *line = mark("line", 2, LINE_COLOUR, 0.2, 0.6, 0.8, 0.6, t0 / 1000 - 2000, json_null());
    put_json(f, TSN_REC_EVENT, t0 + 2,
             json_pack("{s:s, s:i, s:[o], s:[], s:n, s:[]}", "type", "annotations", "seq", 2,
                       "items", line, "bookmarks", "frozen", "chat"),
             -1);
    size_t n;
    size_t *ord = arrival_order(f, &n);
    int cur_gen = 0, ev_upto = -1; /* events naming frames <= ev_upto are written */
    for (size_t j = 0; j < n; j++) {
        const struct pkt *p = &f->pkts[ord[j]];
        struct frame *fr = &f->frames[p->frame];
        for (; ev_upto < p->frame - 1; ev_upto++)
            put_events_after(f, ev_upto + 1, (uint64_t)f->frames[ev_upto + 1].capture_us + 25000);
        if (fr->gen != cur_gen) {
            cur_gen = fr->gen;
            put_json(f, TSN_REC_STREAM, (uint64_t)fr->capture_us + 19000, stream_record(f, cur_gen),
                     -1);
        }
        uint64_t t = (uint64_t)fr->capture_us + 20000 + 50 * (uint64_t)fr->written;
        put(f, TSN_REC_RTP, t, p->data, p->len, (int)ord[j], -1);
        fr->written++;
    }
    for (; ev_upto < f->o.frames - 1; ev_upto++)
        put_events_after(f, ev_upto + 1, (uint64_t)f->frames[ev_upto + 1].capture_us + 25000);
    free(ord);
}
/* ---- output ---- */

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(data, 1, len, fp) != len || fclose(fp) != 0)
        die("cannot write ", path);
}

static void write_json(const char *dir, const char *name, json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
    write_file(dir, name, text, strlen(text));
    free(text);
    json_decref(j);
}

/* ---- options ---- */

static void usage(void)
{
    fprintf(stderr,
            "usage: tsn-rec-fixture --out DIR [--clip FILE.mkv] [--frames N] [--fps F]\n"
            "  [--codec h264|vp8] [--no-act] [--new-generation-at K [--new-generation-size WxH]\n"
            "  [--new-generation-refs 2|3]] [--skip-packets N]\n"
            "  [--lose PCT] [--reorder PCT] [--duplicate PCT] [--lose-keyframes]\n"
            "  [--seed S] [--corrupt OFFSET:N]... [--corrupt-frame K]... [--truncate N]\n"
            "  [--arrow-frame K] [--chat-frame K] [--caliper-frame K]\n"
            "  [--bookmark-frame K] [--delete-frame K]   (K < 0: no such event)\n"
            "  [--slices N] [--marker-stap]\n");
    exit(2);
}

static void parse(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"out", 1, 0, 'o'},
        {"clip", 1, 0, 'c'},
        {"frames", 1, 0, 'n'},
        {"fps", 1, 0, 'f'},
        {"codec", 1, 0, 'C'},
        {"no-act", 0, 0, 'A'},
        {"new-generation-at", 1, 0, 'g'},
        {"new-generation-size", 1, 0, 'G'},
        {"new-generation-refs", 1, 0, 'R'},
        {"skip-packets", 1, 0, 's'},
        {"lose", 1, 0, 'l'},
        {"reorder", 1, 0, 'r'},
        {"duplicate", 1, 0, 'd'},
        {"lose-keyframes", 0, 0, 'K'},
        {"seed", 1, 0, 'S'},
        {"corrupt", 1, 0, 'x'},
        {"corrupt-frame", 1, 0, 'X'},
        {"truncate", 1, 0, 't'},
        {"arrow-frame", 1, 0, '1'},
        {"chat-frame", 1, 0, '2'},
        {"caliper-frame", 1, 0, '3'},
        {"bookmark-frame", 1, 0, '4'},
        {"delete-frame", 1, 0, '5'},
        {"slices", 1, 0, 'L'},
        {"marker-stap", 0, 0, 'M'},
        {0, 0, 0, 0},
    };
    *o = (struct options){.codec = "h264",
                          .frames = 116,
                          .fps = 11.63,
                          .act = 1,
                          .new_gen_at = -1,
                          .seed = 1,
                          .arrow = 40,
                          .chat = 45,
                          .caliper = 70,
                          .bookmark = 80,
                          .del = 90};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            o->out = optarg;
            break;
        case 'c':
            o->clip = optarg;
            break;
        case 'n':
            o->frames = atoi(optarg);
            break;
        case 'f':
            o->fps = atof(optarg);
            break;
        case 'C':
            o->codec = optarg;
            break;
        case 'A':
            o->act = 0;
            break;
        case 'g':
            o->new_gen_at = atoi(optarg);
            break;
        case 'R':
            o->gen2_refs = atoi(optarg) == 2 ? 2 : 3;
            break;
        case 'G':
            if (sscanf(optarg, "%dx%d", &o->gen2_width, &o->gen2_height) != 2 ||
                o->gen2_width < 16 || o->gen2_height < 16)
                usage();
            break;
        case 's':
            o->skip_packets = atoi(optarg);
            break;
        case 'l':
            o->lose = atof(optarg);
            break;
        case 'r':
            o->reorder = atof(optarg);
            break;
        case 'd':
            o->duplicate = atof(optarg);
            break;
        case 'K':
            o->lose_keyframes = 1;
            break;
        case 'S':
            o->seed = (unsigned)atol(optarg);
            break;
        case 'x':
            if (o->n_corrupt == MAX_CORRUPT ||
                sscanf(optarg, "%ld:%ld", &o->corrupt_off[o->n_corrupt],
                       &o->corrupt_len[o->n_corrupt]) != 2)
                usage();
            o->n_corrupt++;
            break;
        case 'X':
            if (o->n_corrupt_frame == MAX_CORRUPT)
                usage();
            o->corrupt_frame[o->n_corrupt_frame++] = atoi(optarg);
            break;
        case 't':
            o->truncate = atoi(optarg);
            break;
        case '1':
            o->arrow = atoi(optarg);
            break;
        case '2':
            o->chat = atoi(optarg);
            break;
        case '3':
            o->caliper = atoi(optarg);
            break;
        case '4':
            o->bookmark = atoi(optarg);
            break;
        case '5':
            o->del = atoi(optarg);
            break;
        case 'L':
            o->slices = atoi(optarg);
            if (o->slices < 1 || o->slices > 8)
                usage();
            break;
        case 'M':
            o->marker_stap = 1;
            break;
        default:
            usage();
        }
    }
    if (!o->out || !o->clip || o->frames < 1 || o->fps < 1 || o->fps > 120 ||
        (strcmp(o->codec, "h264") != 0 && strcmp(o->codec, "vp8") != 0) || optind != argc ||
        ((o->slices || o->marker_stap) && strcmp(o->codec, "h264") != 0))
        usage();
}

int main(int argc, char **argv)
{
    struct fixture f = {0};
    parse(argc, argv, &f.o);
    f.rng = 0x9e3779b97f4a7c15ull ^ f.o.seed;
    gst_init(NULL, NULL);
    if (!tsn_abs_capture_time_register())
        die("cannot register the abs-capture-time extension", "");
    if (mkdir(f.o.out, 0755) != 0 && errno != EEXIST)
        die("cannot create ", f.o.out);
    load_clip(&f);
    f.frames = calloc((size_t)f.o.frames, sizeof *f.frames);
    int split = f.o.new_gen_at > 0 && f.o.new_gen_at < f.o.frames ? f.o.new_gen_at : f.o.frames;
    encode(&f, 0, split, 0);
    if (f.o.marker_stap)
        prepend_marker_stap(&f);
    if (split < f.o.frames)
        encode(&f, split, f.o.frames, 1);
    plan_events(&f);
    write_log(&f);
    fx_damage(&f);
    fx_expect(&f);
    write_file(f.o.out, "media.tsr", f.file, f.len);
    write_json(f.o.out, "session.json",
               json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:n, s:s, s:n}", "id",
                         "20261118T000000Z-0f1c2a3b", "room", "fixture-room", "started_ms",
                         (json_int_t)(BASE_US / 1000 - 500), "ended_ms",
                         (json_int_t)(capture_us_of(&f, f.o.frames) / 1000), "state", "stopped",
                         "started_by", "dr-fixture", "stop_reason", "codec",
                         strcmp(f.o.codec, "vp8") == 0 ? "VP8" : "H264", "stream"));
    json_t *t = fx_truth(&f);
    char *line = json_dumps(t, JSON_COMPACT);
    write_json(f.o.out, "truth.json", t);
    printf("{\"frames\":%d,\"packets\":%zu,\"bytes\":%zu}\n", f.o.frames, f.n_pkts, f.len);
    free(line);
    for (size_t i = 0; i < f.n_pkts; i++)
        g_free(f.pkts[i].data);
    free(f.pkts);
    free(f.frames);
    free(f.file);
    free(f.recs);
    json_decref(f.events);
    g_ptr_array_unref(f.clip);
    return 0;
}
