/* The capture pipeline of one connection (see pipeline.h). */
#include "pipeline.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <gst/app/gstappsrc.h>
#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

#include "abs_capture_time.h"
#include "gray_i420.h"
#include "log.h"

#define RTP_MTU       1200
#define RTP_PT        96
#define ACT_EXT_ID    3 /* our offer's a=extmap id for abs-capture-time */
#define APPSRC_FRAMES 2

struct tsn_pipeline {
    struct tsn_pipeline_config cfg;
    GstElement *pipeline;                        /* (transfer full) */
    GstElement *appsrc, *encoder, *pay, *webrtc; /* (transfer none) owned by the pipeline */
    char *media_type;   /* "video/x-raw" or "image/jpeg": what appsrc was built for */
    GstCaps *i420_caps; /* GRAY8 sources: what appsrc gets after tsn_gray_to_i420 */
    int full_range;     /* the encoder's input range */
    /* Keyed by capture time, which the encoders carry over in the meta
     * (x264enc shifts PTS by 1000 hours, so PTS is no key across it). */
    struct tsn_act_map *index_map; /* capture time -> source frame index */
    struct tsn_act_map *enc_start; /* capture time -> monotonic us at the encoder's input */
    gint connected;                /* atomic: media flows to the relay */
    GMutex kf_lock;                /* protects kf */
    struct tsn_kf_limiter kf;
};

static uint64_t mono_ms(void)
{
    return (uint64_t)(g_get_monotonic_time() / 1000);
}

/* ---- probes ---- */

static GstPadProbeReturn on_appsrc_out(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct tsn_pipeline *p = data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    int64_t capture_us = tsn_act_buffer_capture_unix_us(buf);
    if (capture_us >= 0)
        tsn_act_map_record(p->index_map, (GstClockTime)capture_us, (int64_t)GST_BUFFER_OFFSET(buf));
    return GST_PAD_PROBE_OK;
}

/* Blanks the privacy masks in the I420 frame about to be encoded. */
static GstPadProbeReturn on_raw_frame(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct tsn_pipeline *p = data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    int64_t capture_us = tsn_act_buffer_capture_unix_us(buf);
    if (capture_us >= 0)
        tsn_act_map_record(p->enc_start, (GstClockTime)capture_us, g_get_monotonic_time());
    if (p->cfg.n_masks == 0)
        return GST_PAD_PROBE_OK;
    GstCaps *caps = gst_pad_get_current_caps(pad);
    GstVideoInfo vi;
    int ok = caps && gst_video_info_from_caps(&vi, caps);
    if (caps)
        gst_caps_unref(caps);
    buf = gst_buffer_make_writable(buf);
    GST_PAD_PROBE_INFO_DATA(info) = buf;
    GstVideoFrame f;
    if (!ok || !gst_video_frame_map(&f, &vi, buf, GST_MAP_WRITE)) {
        /* Never let an unmasked frame through. */
        tsn_err("[capture] cannot map a frame to apply the privacy masks: frame dropped");
        atomic_fetch_add(&p->cfg.counters->frames_dropped, 1);
        return GST_PAD_PROBE_DROP;
    }
    int full = GST_VIDEO_INFO_COLORIMETRY(&vi).range == GST_VIDEO_COLOR_RANGE_0_255;
    tsn_mask_apply_i420(GST_VIDEO_FRAME_PLANE_DATA(&f, 0), GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0),
                        GST_VIDEO_FRAME_PLANE_DATA(&f, 1), GST_VIDEO_FRAME_PLANE_STRIDE(&f, 1),
                        GST_VIDEO_FRAME_PLANE_DATA(&f, 2), GST_VIDEO_FRAME_PLANE_STRIDE(&f, 2),
                        GST_VIDEO_FRAME_WIDTH(&f), GST_VIDEO_FRAME_HEIGHT(&f), p->cfg.masks,
                        (size_t)p->cfg.n_masks, full);
    gst_video_frame_unmap(&f);
    return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn on_encoded(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct tsn_pipeline *p = data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    struct tsn_capture_counters *c = p->cfg.counters;
    atomic_fetch_add(&c->frames_encoded, 1);
    atomic_fetch_add(&c->bytes_encoded, gst_buffer_get_size(buf));
    int key = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
    if (key)
        atomic_fetch_add(&c->keyframes, 1);
    int64_t capture_us = tsn_act_buffer_capture_unix_us(buf);
    int64_t start_us =
        capture_us >= 0 ? tsn_act_map_lookup(p->enc_start, (GstClockTime)capture_us) : -1;
    if (start_us >= 0) {
        g_mutex_lock(&c->lock);
        tsn_latency_stats_add(c->encode_ms, (double)(g_get_monotonic_time() - start_us) / 1000.0);
        g_mutex_unlock(&c->lock);
    }
    if (p->cfg.frame_log && capture_us >= 0 && g_atomic_int_get(&p->connected)) {
        int64_t index = tsn_act_map_lookup(p->index_map, (GstClockTime)capture_us);
        g_mutex_lock(p->cfg.frame_log_lock);
        fprintf(p->cfg.frame_log, "{\"capture_us\":%" PRId64 ",\"index\":%" PRId64 ",\"key\":%s}\n",
                capture_us, index, key ? "true" : "false");
        g_mutex_unlock(p->cfg.frame_log_lock);
    }
    return GST_PAD_PROBE_OK;
}

/* Until DTLS is up webrtcbin would hold the packets and send them late, so
 * a viewer would see a stale picture as if it were live: drop them here,
 * after the payloader, which has already passed its caps (with SPS/PPS) on,
 * so webrtcbin can negotiate. A keyframe is forced when the connection is up. */
static GstPadProbeReturn on_rtp_out(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct tsn_pipeline *p = data;
    return g_atomic_int_get(&p->connected) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

/* A keyframe request from the network (PLI/FIR become upstream
 * force-key-unit events in rtpsession): let it through at most once per
 * interval; a refused one is remembered and released by tsn_pipeline_tick. */
static GstPadProbeReturn on_upstream_event(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct tsn_pipeline *p = data;
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (!ev || !gst_video_event_is_force_key_unit(ev))
        return GST_PAD_PROBE_OK;
    atomic_fetch_add(&p->cfg.counters->keyframe_requests, 1);
    g_mutex_lock(&p->kf_lock);
    bool now = tsn_kf_limiter_request(&p->kf, mono_ms());
    g_mutex_unlock(&p->kf_lock);
    if (!now)
        return GST_PAD_PROBE_DROP;
    atomic_fetch_add(&p->cfg.counters->keyframes_forced, 1);
    return GST_PAD_PROBE_OK;
}

/* ---- construction ---- */

static GstElement *make(GstElement *bin, const char *factory, char *why, size_t why_len)
{
    GstElement *e = gst_element_factory_make(factory, NULL);
    if (!e) {
        snprintf(why, why_len,
                 "the GStreamer element '%s' is missing (install the Debian gstreamer1.0-plugins "
                 "packages: scripts/bootstrap.sh)",
                 factory);
        return NULL;
    }
    gst_bin_add(GST_BIN(bin), e);
    return e;
}

static void add_probe(GstElement *e, const char *pad_name, GstPadProbeType type,
                      GstPadProbeCallback cb, struct tsn_pipeline *p)
{
    GstPad *pad = gst_element_get_static_pad(e, pad_name);
    gst_pad_add_probe(pad, type, cb, p, NULL);
    gst_object_unref(pad);
}

static GstElement *make_payloader(struct tsn_pipeline *p, char *why, size_t why_len)
{
    int vp8 = p->cfg.enc.codec == TSN_CODEC_VP8;
    GstElement *pay = make(p->pipeline, vp8 ? "rtpvp8pay" : "rtph264pay", why, why_len);
    if (!pay)
        return NULL;
    g_object_set(pay, "mtu", RTP_MTU, "pt", RTP_PT, NULL);
    if (vp8) {
        gst_util_set_object_arg(G_OBJECT(pay), "picture-id-mode", "15-bit");
    } else {
        /* SPS/PPS before every IDR; each NAL unit sent as soon as it is out. */
        gst_util_set_object_arg(G_OBJECT(pay), "aggregate-mode", "zero-latency");
        g_object_set(pay, "config-interval", -1, NULL);
    }
    GstElement *ext = gst_element_factory_make(TSN_ACT_ELEMENT_NAME, NULL);
    if (!ext) {
        snprintf(why, why_len, "the abs-capture-time RTP header extension is not registered");
        return NULL;
    }
    gst_rtp_header_extension_set_id(GST_RTP_HEADER_EXTENSION(ext), ACT_EXT_ID);
    g_signal_emit_by_name(pay, "add-extension", ext);
    gst_object_unref(ext);
    return pay;
}

static int build(struct tsn_pipeline *p, char *why, size_t why_len)
{
    GstStructure *st = gst_caps_get_structure(p->cfg.src_caps, 0);
    p->media_type = g_strdup(gst_structure_get_name(st));
    int jpeg = strcmp(p->media_type, "image/jpeg") == 0;
    GstElement *dec = NULL, *conv, *scale, *filter;
    p->appsrc = make(p->pipeline, "appsrc", why, why_len);
    if (!p->appsrc || (jpeg && !(dec = make(p->pipeline, "jpegdec", why, why_len))) ||
        !(conv = make(p->pipeline, "videoconvert", why, why_len)) ||
        !(scale = make(p->pipeline, "videoscale", why, why_len)) ||
        !(filter = make(p->pipeline, "capsfilter", why, why_len)) ||
        !(p->pay = make_payloader(p, why, why_len)) ||
        !(p->webrtc = make(p->pipeline, "webrtcbin", why, why_len)))
        return -EINVAL;
    p->encoder = tsn_encoder_new(&p->cfg.enc, why, why_len);
    if (!p->encoder)
        return -EINVAL;
    gst_bin_add(GST_BIN(p->pipeline), p->encoder);
    g_object_set(p->appsrc, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", TRUE,
                 "max-buffers", (guint64)APPSRC_FRAMES, "block", FALSE, "caps", p->cfg.src_caps,
                 NULL);
    gst_util_set_object_arg(G_OBJECT(p->appsrc), "leaky-type", "downstream");
    GstCaps *enc_caps = tsn_encoder_input_caps(&p->cfg.enc, p->cfg.gray);
    /* The rate is the source's (a clip may run at 500/43): not converted here. */
    gst_structure_remove_field(gst_caps_get_structure(enc_caps, 0), "framerate");
    g_object_set(filter, "caps", enc_caps, NULL);
    GstStructure *src_st = gst_caps_get_structure(p->cfg.src_caps, 0);
    const char *fmt = gst_structure_get_string(src_st, "format");
    if (fmt && strcmp(fmt, "GRAY8") == 0) {
        GstVideoInfo vi;
        gst_video_info_from_caps(&vi, enc_caps);
        p->full_range = vi.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
        p->i420_caps = gst_caps_copy(enc_caps);
        int w = 0, h = 0, fn = 0, fd = 1;
        gst_structure_get_int(src_st, "width", &w);
        gst_structure_get_int(src_st, "height", &h);
        gst_structure_get_fraction(src_st, "framerate", &fn, &fd);
        gst_caps_set_simple(p->i420_caps, "width", G_TYPE_INT, w, "height", G_TYPE_INT, h,
                            "framerate", GST_TYPE_FRACTION, fn, fd, NULL);
        g_object_set(p->appsrc, "caps", p->i420_caps, NULL);
    }
    gst_caps_unref(enc_caps);
    int linked = jpeg ? gst_element_link_many(p->appsrc, dec, conv, NULL)
                      : gst_element_link(p->appsrc, conv);
    if (!linked || !gst_element_link_many(conv, scale, filter, p->encoder, p->pay, NULL) ||
        !gst_element_link(p->pay, p->webrtc)) {
        snprintf(why, why_len, "cannot link the capture pipeline (source caps %s)", p->media_type);
        return -EINVAL;
    }
    add_probe(p->appsrc, "src", GST_PAD_PROBE_TYPE_BUFFER, on_appsrc_out, p);
    add_probe(filter, "src", GST_PAD_PROBE_TYPE_BUFFER, on_raw_frame, p);
    add_probe(p->encoder, "src", GST_PAD_PROBE_TYPE_BUFFER, on_encoded, p);
    add_probe(p->pay, "src", GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_event, p);
    add_probe(p->pay, "src", GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, on_rtp_out,
              p);
    return 0;
}

struct tsn_pipeline *tsn_pipeline_new(const struct tsn_pipeline_config *cfg, char *why,
                                      size_t why_len)
{
    struct tsn_pipeline *p = g_new0(struct tsn_pipeline, 1);
    p->cfg = *cfg;
    p->pipeline = gst_pipeline_new("capture");
    gst_object_ref_sink(p->pipeline);
    p->index_map = tsn_act_map_new();
    p->enc_start = tsn_act_map_new();
    g_mutex_init(&p->kf_lock);
    tsn_kf_limiter_init(&p->kf, (uint64_t)cfg->opts->keyframe_min_interval_ms);
    if (build(p, why, why_len) != 0) {
        tsn_pipeline_free(p);
        return NULL;
    }
    return p;
}

GstElement *tsn_pipeline_webrtc(struct tsn_pipeline *p)
{
    return p->webrtc;
}

GstElement *tsn_pipeline_element(struct tsn_pipeline *p)
{
    return p->pipeline;
}

int tsn_pipeline_play(struct tsn_pipeline *p, char *why, size_t why_len)
{
    if (gst_element_set_state(p->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        snprintf(why, why_len, "the capture pipeline cannot start (see the errors above)");
        return -EIO;
    }
    return 0;
}

int tsn_pipeline_push(struct tsn_pipeline *p, GstBuffer *buf, GstCaps *caps, uint64_t index,
                      int64_t capture_us)
{
    GstStructure *st = gst_caps_get_structure(caps, 0);
    if (strcmp(gst_structure_get_name(st), p->media_type) != 0) {
        gst_buffer_unref(buf);
        return -EAGAIN;
    }
    tsn_act_buffer_set_capture_unix_us(buf, capture_us);
    if (p->i420_caps) {
        const char *fmt = gst_structure_get_string(st, "format");
        int w = 0, h = 0;
        gst_structure_get_int(st, "width", &w);
        gst_structure_get_int(st, "height", &h);
        GstBuffer *yuv =
            fmt && strcmp(fmt, "GRAY8") == 0 ? tsn_gray_to_i420(buf, w, h, p->full_range) : NULL;
        gst_buffer_unref(buf);
        if (!yuv)
            return -EAGAIN; /* the source changed format: rebuild */
        buf = yuv;
        caps = p->i420_caps;
    }
    /* appsrc stamps the PTS at push (do-timestamp): read it back in the
     * probe on its src pad, where the index is recorded too. */
    GstCaps *cur = gst_app_src_get_caps(GST_APP_SRC(p->appsrc));
    if (!cur || !gst_caps_is_equal(cur, caps))
        gst_app_src_set_caps(GST_APP_SRC(p->appsrc), caps);
    if (cur)
        gst_caps_unref(cur);
    /* The index rides in the buffer's offset field until the appsrc probe.
     * A clip's frames keep the timestamps they were decoded with; cleared,
     * so appsrc stamps each with the time of its push (do-timestamp): a
     * looping clip must not send RTP timestamps that jump back each loop. */
    buf = gst_buffer_make_writable(buf);
    GST_BUFFER_OFFSET(buf) = index;
    GST_BUFFER_PTS(buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
    GST_BUFFER_DURATION(buf) = GST_CLOCK_TIME_NONE;
    atomic_fetch_add(&p->cfg.counters->frames_pushed, 1);
    if (gst_app_src_push_buffer(GST_APP_SRC(p->appsrc), buf) != GST_FLOW_OK)
        atomic_fetch_add(&p->cfg.counters->frames_dropped, 1);
    return 0;
}

void tsn_pipeline_set_connected(struct tsn_pipeline *p)
{
    g_atomic_int_set(&p->connected, 1);
}

void tsn_pipeline_force_keyframe(struct tsn_pipeline *p)
{
    tsn_encoder_force_keyframe(p->encoder);
}

void tsn_pipeline_tick(struct tsn_pipeline *p)
{
    g_mutex_lock(&p->kf_lock);
    bool due = tsn_kf_limiter_poll(&p->kf, mono_ms());
    g_mutex_unlock(&p->kf_lock);
    if (due) {
        atomic_fetch_add(&p->cfg.counters->keyframes_forced, 1);
        tsn_encoder_force_keyframe(p->encoder);
    }
}

void tsn_pipeline_free(struct tsn_pipeline *p)
{
    if (!p)
        return;
    if (p->pipeline) {
        gst_element_set_state(p->pipeline, GST_STATE_NULL);
        gst_object_unref(p->pipeline);
    }
    tsn_act_map_free(p->index_map);
    tsn_act_map_free(p->enc_start);
    g_mutex_clear(&p->kf_lock);
    if (p->i420_caps)
        gst_caps_unref(p->i420_caps);
    g_free(p->media_type);
    g_free(p);
}
