/* The capture encoder bin (x264enc or vp8enc + an output capsfilter), its
 * input caps, forced keyframes and the keyframe request limiter. The choice
 * of settings is explained next to each one; the measurements behind them
 * are in docs/benchmarks.md ("Encoder: quality and speed"). */
#include "encoder.h"

#include "why.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gst/video/video.h>

#define MIN_DIM         16
#define MAX_DIM         4096
#define MIN_KBPS        50
#define MAX_KBPS        100000
#define MAX_FPS         240
#define MAX_KEYINT      100000
#define MAX_THREADS     16
#define MAX_VBV_MS      10000
#define OPTIONS_MAX_LEN 1024

/* Rate-control buffer when the config says 0. x264 with a buffer of one
 * frame (33 ms) starves every keyframe (its quality then takes several
 * frames to recover); three frames cost at most ~100 ms of transmission
 * delay at the link rate and measure clearly better (docs/benchmarks.md). */
#define DEFAULT_VBV_MS 100

/* x264: two threads on this two-core class of machine. Sliced threads (the
 * zerolatency default) split each frame in slices, so the encode delay is
 * about half a frame's CPU time with no frame of lookahead or buffering. */
#define DEFAULT_THREADS      2
#define DEFAULT_VP8_CPU_USED 12

/* x264 options added to speed-preset + tune=zerolatency + psy-tune=psnr,
 * in x264's option-string syntax. Why each:
 *   nal-hrd=cbr   pad to a true constant bitrate; plain ABR undershoots on
 *                 easy pictures (FACTS.md), and the relay and viewers are
 *                 sized for the asked rate.
 *   scenecut=0    keyframes only at the configured interval or on request:
 *                 an unplanned IDR in a small VBV is a quality dip, and
 *                 looping clips otherwise get one per loop.
 *   subme=4       better sub-pixel motion and mode decisions than the
 *                 preset's 1: +0.3 dB on the bone clip for ~1 ms at 720p.
 *   deadzone-inter=6, deadzone-intra=6  keep more small coefficients (x264
 *                 zeroes them below 21/11; without CABAC there is no
 *                 trellis to decide): speckle is made of them, +0.2 dB.
 * psy-tune=psnr (aq-mode=0, no psy) spends bits where the error is, not
 * where the picture looks busy: speckle is all texture, and AQ costs
 * 0.6 dB on the bone clip. Measurements: docs/benchmarks.md. */
static const char h264_base_options[] =
    "nal-hrd=cbr:scenecut=0:subme=4:deadzone-inter=6:deadzone-intra=6";

void tsn_encoder_config_init(struct tsn_encoder_config *c)
{
    memset(c, 0, sizeof *c);
    c->codec = TSN_CODEC_H264;
    c->bitrate_kbps = TSN_ENCODER_DEFAULT_BITRATE_KBPS;
    c->keyframe_interval_frames = TSN_ENCODER_DEFAULT_KEYINT;
    c->fps = TSN_ENCODER_DEFAULT_FPS;
    c->width = 640;
    c->height = 480;
}

int tsn_encoder_config_check(const struct tsn_encoder_config *c, char *why, size_t why_len)
{
    if (c->codec != TSN_CODEC_H264 && c->codec != TSN_CODEC_VP8)
        return tsn_why(why, why_len, -EINVAL, "unknown codec %d", (int)c->codec);
    if (c->width < MIN_DIM || c->height < MIN_DIM || c->width > MAX_DIM || c->height > MAX_DIM)
        return tsn_why(why, why_len, -EINVAL, "size %dx%d outside %d..%d", c->width, c->height,
                       MIN_DIM, MAX_DIM);
    if (c->width % 2 || c->height % 2)
        return tsn_why(why, why_len, -EINVAL, "size %dx%d is odd (I420 needs even sizes)", c->width,
                       c->height);
    if (c->bitrate_kbps < MIN_KBPS || c->bitrate_kbps > MAX_KBPS)
        return tsn_why(why, why_len, -EINVAL, "bitrate %d kbit/s outside %d..%d", c->bitrate_kbps,
                       MIN_KBPS, MAX_KBPS);
    if (c->fps < 1 || c->fps > MAX_FPS)
        return tsn_why(why, why_len, -EINVAL, "fps %d outside 1..%d", c->fps, MAX_FPS);
    if (c->keyframe_interval_frames < 1 || c->keyframe_interval_frames > MAX_KEYINT)
        return tsn_why(why, why_len, -EINVAL, "keyframe interval %d frames outside 1..%d",
                       c->keyframe_interval_frames, MAX_KEYINT);
    if (c->threads < 0 || c->threads > MAX_THREADS)
        return tsn_why(why, why_len, -EINVAL, "threads %d outside 0..%d", c->threads, MAX_THREADS);
    if (c->vbv_ms < 0 || c->vbv_ms > MAX_VBV_MS)
        return tsn_why(why, why_len, -EINVAL, "vbv %d ms outside 0..%d", c->vbv_ms, MAX_VBV_MS);
    if (c->vp8_cpu_used < -16 || c->vp8_cpu_used > 16)
        return tsn_why(why, why_len, -EINVAL, "vp8 cpu-used %d outside -16..16", c->vp8_cpu_used);
    if (c->x264_options && strlen(c->x264_options) > OPTIONS_MAX_LEN / 2)
        return tsn_why(why, why_len, -EINVAL, "x264 options longer than %d bytes",
                       OPTIONS_MAX_LEN / 2);
    return 0;
}

GstCaps *tsn_encoder_input_caps(const struct tsn_encoder_config *c, int gray_source)
{
    if (tsn_encoder_config_check(c, NULL, 0) < 0)
        return NULL;
    GstVideoColorimetry cm = {
        .range = GST_VIDEO_COLOR_RANGE_16_235,
        .matrix = GST_VIDEO_COLOR_MATRIX_BT601,
        .transfer = GST_VIDEO_TRANSFER_BT709,
        .primaries = GST_VIDEO_COLOR_PRIMARIES_SMPTE170M,
    };
    /* Full range only where the stream can say so (H.264 VUI); VP8 has no
     * range flag and decoders assume limited. */
    if (gray_source && c->codec == TSN_CODEC_H264)
        cm.range = GST_VIDEO_COLOR_RANGE_0_255;
    gchar *cms = gst_video_colorimetry_to_string(&cm);
    GstCaps *caps = gst_caps_new_simple(
        "video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, c->width, "height",
        G_TYPE_INT, c->height, "framerate", GST_TYPE_FRACTION, c->fps, 1, "pixel-aspect-ratio",
        GST_TYPE_FRACTION, 1, 1, "colorimetry", G_TYPE_STRING, cms, NULL);
    g_free(cms);
    return caps;
}

static int vbv_ms_of(const struct tsn_encoder_config *c)
{
    return c->vbv_ms ? c->vbv_ms : DEFAULT_VBV_MS;
}

static int x264_threads(const struct tsn_encoder_config *c)
{
    return c->threads ? c->threads : DEFAULT_THREADS;
}

static GstElement *make_x264(const struct tsn_encoder_config *c, char *why, size_t why_len)
{
    GstElement *enc = gst_element_factory_make("x264enc", "enc");
    if (!enc) {
        tsn_why(why, why_len, -ENOENT, "no x264enc (gstreamer1.0-plugins-ugly)");
        return NULL;
    }
    char opts[OPTIONS_MAX_LEN];
    snprintf(opts, sizeof opts, "%s:threads=%d%s%s", h264_base_options, x264_threads(c),
             c->x264_options && *c->x264_options ? ":" : "",
             c->x264_options ? c->x264_options : "");
    gst_util_set_object_arg(G_OBJECT(enc), "speed-preset",
                            c->x264_preset ? c->x264_preset : TSN_ENCODER_DEFAULT_X264_PRESET);
    gst_util_set_object_arg(G_OBJECT(enc), "tune", "zerolatency");
    gst_util_set_object_arg(G_OBJECT(enc), "psy-tune", "psnr");
    gst_util_set_object_arg(G_OBJECT(enc), "pass", "cbr");
    g_object_set(enc, "bitrate", (guint)c->bitrate_kbps, "vbv-buf-capacity", (guint)vbv_ms_of(c),
                 "key-int-max", (guint)c->keyframe_interval_frames, "option-string", opts, NULL);
    return enc;
}

/* libvpx in real time (deadline 1 us, no lag, error resilient), CBR. Its
 * own defaults let keyframes run to 3-5 times the average frame (52 KB at
 * 2 Mbit/s on the bone clip); here a keyframe may take vbv_ms worth of bits
 * (max-intra-bitrate, in percent of an average frame) within a 4 x vbv_ms
 * buffer, which holds the asked rate within 1-2% on ultrasound content
 * (docs/benchmarks.md). On pure noise (videotestsrc snow) no setting short
 * of dropping frames holds it (8 Mbit/s asked 2 at 640x480): frames are
 * never dropped here, a skipped ultrasound frame being worse than a soft
 * one. cpu-used 12 and one thread: 8 ms at 820x616, 7 ms at 1280x720;
 * two threads stall for 150+ ms now and then when the cores are busy. */
static GstElement *make_vp8(const struct tsn_encoder_config *c, char *why, size_t why_len)
{
    GstElement *enc = gst_element_factory_make("vp8enc", "enc");
    if (!enc) {
        tsn_why(why, why_len, -ENOENT, "no vp8enc (gstreamer1.0-plugins-good)");
        return NULL;
    }
    int vbv = vbv_ms_of(c), intra_pct = vbv * c->fps / 10;
    gst_util_set_object_arg(G_OBJECT(enc), "end-usage", "cbr");
    gst_util_set_object_arg(G_OBJECT(enc), "error-resilient", "default");
    g_object_set(enc, "deadline", (gint64)1, "cpu-used",
                 c->vp8_cpu_used ? c->vp8_cpu_used : DEFAULT_VP8_CPU_USED, "lag-in-frames", 0,
                 "target-bitrate", c->bitrate_kbps * 1000, "keyframe-max-dist",
                 c->keyframe_interval_frames, "threads", c->threads ? c->threads : 1, "undershoot",
                 100, "overshoot", 15, "buffer-size", vbv * 4, "buffer-initial-size", vbv * 2,
                 "buffer-optimal-size", vbv * 3, "max-intra-bitrate",
                 (guint)(intra_pct > 100 ? intra_pct : 100), "dropframe-threshold", 0, NULL);
    return enc;
}

static GstCaps *output_caps(const struct tsn_encoder_config *c)
{
    if (c->codec == TSN_CODEC_VP8)
        return gst_caps_new_empty_simple("video/x-vp8");
    return gst_caps_new_simple("video/x-h264", "stream-format", G_TYPE_STRING, "byte-stream",
                               "alignment", G_TYPE_STRING, "au", "profile", G_TYPE_STRING,
                               "constrained-baseline", NULL);
}

static int add_ghost(GstElement *bin, GstElement *el, const char *name)
{
    GstPad *target = gst_element_get_static_pad(el, name);
    GstPad *ghost = gst_ghost_pad_new(name, target);
    gst_object_unref(target);
    if (!ghost)
        return -ENOMEM;
    gst_pad_set_active(ghost, TRUE);
    return gst_element_add_pad(bin, ghost) ? 0 : -EEXIST;
}

GstElement *tsn_encoder_new(const struct tsn_encoder_config *c, char *why, size_t why_len)
{
    if (tsn_encoder_config_check(c, why, why_len) < 0)
        return NULL;
    GstElement *enc =
        c->codec == TSN_CODEC_VP8 ? make_vp8(c, why, why_len) : make_x264(c, why, why_len);
    if (!enc)
        return NULL;
    GstElement *bin = gst_bin_new(NULL);
    GstElement *filter = gst_element_factory_make("capsfilter", "outcaps");
    if (!bin || !filter) {
        tsn_why(why, why_len, -ENOENT, "no capsfilter (gstreamer core)");
        goto fail_elements;
    }
    GstCaps *caps = output_caps(c);
    g_object_set(filter, "caps", caps, NULL);
    gst_caps_unref(caps);
    gst_bin_add_many(GST_BIN(bin), enc, filter, NULL);
    if (!gst_element_link(enc, filter)) {
        tsn_why(why, why_len, -EINVAL, "encoder cannot produce the output caps");
        goto fail_bin;
    }
    if (add_ghost(bin, enc, "sink") < 0 || add_ghost(bin, filter, "src") < 0) {
        tsn_why(why, why_len, -ENOMEM, "cannot add ghost pads");
        goto fail_bin;
    }
    return bin;

fail_elements:
    if (filter)
        gst_object_unref(filter);
    if (bin)
        gst_object_unref(bin);
    gst_object_unref(enc);
    return NULL;
fail_bin:
    gst_object_unref(bin); /* owns enc and filter now */
    return NULL;
}

int tsn_encoder_force_keyframe(GstElement *bin)
{
    GstPad *src = gst_element_get_static_pad(bin, "src");
    if (!src)
        return -EINVAL;
    GstEvent *ev = gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0);
    gboolean ok = gst_pad_send_event(src, ev);
    gst_object_unref(src);
    return ok ? 0 : -EIO;
}

void tsn_kf_limiter_init(struct tsn_kf_limiter *l, uint64_t interval_ms)
{
    memset(l, 0, sizeof *l);
    l->interval_ms = interval_ms;
}

static bool limiter_open(const struct tsn_kf_limiter *l, uint64_t now_ms)
{
    /* A clock going backwards (now < last) keeps the limiter closed rather
     * than wrapping into "long ago". */
    return !l->any_honoured || (now_ms >= l->last_ms && now_ms - l->last_ms >= l->interval_ms);
}

static void limiter_honour(struct tsn_kf_limiter *l, uint64_t now_ms)
{
    l->any_honoured = true;
    l->last_ms = now_ms;
    l->pending = false;
    l->honoured++;
}

bool tsn_kf_limiter_request(struct tsn_kf_limiter *l, uint64_t now_ms)
{
    l->requested++;
    if (limiter_open(l, now_ms)) {
        limiter_honour(l, now_ms);
        return true;
    }
    l->pending = true;
    return false;
}

bool tsn_kf_limiter_poll(struct tsn_kf_limiter *l, uint64_t now_ms)
{
    if (!l->pending || !limiter_open(l, now_ms))
        return false;
    limiter_honour(l, now_ms);
    return true;
}
