/* telesono-view receive chain (see view_decode.h). The chain is one bin made
 * from a launch description; its per-chain state (struct chain) is owned by
 * the bin (g_object data), so it lives exactly as long as the probes and
 * appsink callbacks that use it. */
#include "view_decode.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "abs_capture_time.h"
#include "log.h"
#include "overlay.h"

/* The offer's codecs. The rtcp-fb fields become a=rtcp-fb lines and the
 * extmap field an a=extmap line, so the relay forwards NACK/PLI/FIR and the
 * publisher's capture times. */
#define RECV_CAPS                                                                                  \
    "application/"                                                                                 \
    "x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000,"                            \
    "packetization-mode=(string)1,profile-level-id=(string)42e01f,"                                \
    "level-asymmetry-allowed=(string)1,rtcp-fb-nack=(boolean)true,"                                \
    "rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true,"                                \
    "extmap-3=(string)" TSN_ACT_URI ";"                                                            \
    "application/"                                                                                 \
    "x-rtp,media=video,encoding-name=VP8,payload=97,clock-rate=90000,"                             \
    "rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir="                   \
    "(boolean)true,"                                                                               \
    "extmap-3=(string)" TSN_ACT_URI

/* The PNG writer must not hold up the decoder (its output is where latency
 * is measured): a queue of up to 2 s of frames in between. */
#define DUMP_BRANCH                                                                                \
    "queue max-size-buffers=60 max-size-bytes=0 max-size-time=0 ! videoconvert ! "                 \
    "video/x-raw,format=%s ! appsink name=dumpsink sync=false"
#define SHOW_BRANCH "videoconvert ! autovideosink name=" TSN_VIEW_DISPLAY_SINK " sync=false"
/* The annotations are drawn with cairo, which wants 32-bit BGRx: one
 * conversion from I420 (about a millisecond at 640x480), whether or not the
 * room has marks, so the caps never change mid-stream. */
#define OVERLAY "videoconvert ! video/x-raw,format=BGRx ! cairooverlay name=overlay"

struct chain {
    struct tsn_view_decode_cfg cfg;
    gint first_rtp;          /* atomic: the first RTP packet was logged */
    gint first_frame;        /* atomic: the first decoded frame was logged */
    gint dump_failed_logged; /* atomic */
};

GstCaps *tsn_view_decode_recv_caps(void)
{
    return gst_caps_from_string(RECV_CAPS);
}

/* autovideosink tries every video sink by rank until one opens. Without a
 * usable X11/Wayland display it would reach dfbvideosink, which crashes the
 * process in DirectFB's own thread, or kmssink, which takes over the console
 * of whoever is logged in: a viewer shows a window on a desktop, nothing
 * else. */
static void keep_sinks_on_the_desktop(void)
{
    static const char *const unwanted[] = {"dfbvideosink", "kmssink", "fbdevsink"};
    for (size_t i = 0; i < G_N_ELEMENTS(unwanted); i++) {
        GstElementFactory *f = gst_element_factory_find(unwanted[i]);
        if (!f)
            continue;
        gst_plugin_feature_set_rank(GST_PLUGIN_FEATURE(f), GST_RANK_NONE);
        gst_object_unref(f);
    }
}

/* What each mode needs, and the package a missing element comes from. */
struct need {
    const char *element;
    const char *package;
};

static const struct need needs[] = {
    {"webrtcbin", "gstreamer1.0-plugins-bad"},     {"dtlsdec", "gstreamer1.0-plugins-bad"},
    {"srtpdec", "gstreamer1.0-plugins-bad"},       {"nicesrc", "gstreamer1.0-nice"},
    {"rtph264depay", "gstreamer1.0-plugins-good"}, {"rtpvp8depay", "gstreamer1.0-plugins-good"},
    {"avdec_h264", "gstreamer1.0-libav"},          {"videoconvert", "gstreamer1.0-plugins-base"},
    {"fakesink", "gstreamer1.0 (core)"},           {"queue", "gstreamer1.0 (core)"},
};

int tsn_view_decode_check(int window, int dump, int overlay, char *why, size_t why_len)
{
    if (window)
        keep_sinks_on_the_desktop();
    struct need extra[4] = {{window ? "autovideosink" : NULL, "gstreamer1.0-plugins-good"},
                            {window ? "tee" : NULL, "gstreamer1.0 (core)"},
                            {dump ? "appsink" : NULL, "gstreamer1.0-plugins-base"},
                            {overlay ? "cairooverlay" : NULL, "gstreamer1.0-plugins-good"}};
    for (size_t i = 0; i < G_N_ELEMENTS(needs) + G_N_ELEMENTS(extra); i++) {
        const struct need *n =
            i < G_N_ELEMENTS(needs) ? &needs[i] : &extra[i - G_N_ELEMENTS(needs)];
        if (!n->element)
            continue;
        GstElementFactory *f = gst_element_factory_find(n->element);
        if (!f) {
            snprintf(why, why_len, "GStreamer element '%s' is missing (install %s)", n->element,
                     n->package);
            return -ENOENT;
        }
        gst_object_unref(f);
    }
    return 0;
}

void tsn_view_decode_warm_up(int overlay)
{
    /* In the order the first connection needs them: the first dtlsdec makes
     * the process's DTLS certificate (an RSA key, about half a second),
     * which every webrtcbin then shares; dtlssrtpdec loads libsrtp; then
     * what webrtcbin builds at its first offer; the decoders last, as
     * media comes after the offer. */
    static const char *const names[] = {
        "dtlsdec",      "dtlssrtpdec", "dtlssrtpenc",  "webrtcbin",       "nicesrc",
        "nicesink",     "rtpbin",      "rtpstorage",   "rtpjitterbuffer", "rtprtxreceive",
        "rtph264depay", "avdec_h264",  "videoconvert", "queue",           "fakesink",
        "appsink",      "tee",         "rtpvp8depay",  "vp8dec"};
    for (size_t i = 0; i < G_N_ELEMENTS(names) + (overlay ? 1 : 0); i++) {
        GstElement *el =
            gst_element_factory_make(i < G_N_ELEMENTS(names) ? names[i] : "cairooverlay", NULL);
        if (el)
            gst_object_unref(gst_object_ref_sink(el));
    }
    if (overlay)
        tsn_overlay_warm_up();
}

/* ---- measurements (streaming threads) ---- */

static GstPadProbeReturn on_rtp(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct chain *c = data;
    gint64 now_us = g_get_real_time();
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
        tsn_view_stats_rtp(c->cfg.stats, gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info)),
                           now_us);
    } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
        GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
        for (guint i = 0; i < gst_buffer_list_length(list); i++)
            tsn_view_stats_rtp(c->cfg.stats, gst_buffer_get_size(gst_buffer_list_get(list, i)),
                               now_us);
    }
    if (g_atomic_int_compare_and_exchange(&c->first_rtp, 0, 1))
        tsn_info("[view conn %u] first RTP packet received", c->cfg.conn_id);
    return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn on_decoded(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct chain *c = data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    gint64 now_us = g_get_real_time();
    int64_t capture_us = tsn_act_buffer_capture_unix_us(buf);
    tsn_view_stats_frame(c->cfg.stats, now_us, capture_us);
    if (g_atomic_int_compare_and_exchange(&c->first_frame, 0, 1)) {
        GstCaps *caps = gst_pad_get_current_caps(pad);
        GstVideoInfo vi;
        int ok = caps && gst_video_info_from_caps(&vi, caps);
        tsn_info("[view conn %u] first frame decoded (%dx%d)%s", c->cfg.conn_id,
                 ok ? GST_VIDEO_INFO_WIDTH(&vi) : 0, ok ? GST_VIDEO_INFO_HEIGHT(&vi) : 0,
                 capture_us < 0 ? ", without a capture time" : "");
        if (caps)
            gst_caps_unref(caps);
    }
    return GST_PAD_PROBE_OK;
}

/* appsink: one RGB or GRAY8 frame for the PNG writer. */
static GstFlowReturn on_dump_sample(GstAppSink *sink, gpointer data)
{
    struct chain *c = data;
    GstSample *sample = gst_app_sink_pull_sample(sink);
    if (!sample)
        return GST_FLOW_EOS;
    GstVideoInfo vi;
    GstVideoFrame frame;
    GstBuffer *buf = gst_sample_get_buffer(sample);
    GstCaps *caps = gst_sample_get_caps(sample);
    if (buf && caps && gst_video_info_from_caps(&vi, caps) &&
        gst_video_frame_map(&frame, &vi, buf, GST_MAP_READ)) {
        guint index = (guint)g_atomic_int_add(c->cfg.dump_index, 1);
        int rc = tsn_frame_dump_push(c->cfg.dump, GST_VIDEO_FRAME_PLANE_DATA(&frame, 0),
                                     GST_VIDEO_FRAME_WIDTH(&frame), GST_VIDEO_FRAME_HEIGHT(&frame),
                                     (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0),
                                     GST_VIDEO_FRAME_N_COMPONENTS(&frame) == 1 ? 1 : 3, index,
                                     tsn_act_buffer_capture_unix_us(buf));
        /* The dumper counts its own drops and failures (stats JSON "dump");
         * say once that the disk refuses, not once per frame. */
        if (rc == -EIO && g_atomic_int_compare_and_exchange(&c->dump_failed_logged, 0, 1))
            tsn_err("[view conn %u] --dump-frames: cannot write PNG files any more",
                    c->cfg.conn_id);
        gst_video_frame_unmap(&frame);
    }
    gst_sample_unref(sample);
    return GST_FLOW_OK;
}

/* cairooverlay, for every frame: the annotations on top of the picture. */
static void on_overlay_draw(GstElement *overlay, cairo_t *cr, guint64 timestamp, guint64 duration,
                            gpointer data)
{
    struct chain *c = data;
    cairo_surface_t *target = cairo_get_target(cr);
    if (cairo_surface_get_type(target) != CAIRO_SURFACE_TYPE_IMAGE)
        return;
    tsn_view_annot_draw(c->cfg.annot, cr, cairo_image_surface_get_width(target),
                        cairo_image_surface_get_height(target), g_get_monotonic_time());
}

int tsn_view_decode_from_display(GstMessage *msg)
{
    for (GstObject *o = GST_MESSAGE_SRC(msg); o; o = GST_OBJECT_PARENT(o))
        if (GST_IS_ELEMENT(o) && strcmp(GST_OBJECT_NAME(o), TSN_VIEW_DISPLAY_SINK) == 0)
            return 1;
    return 0;
}

/* ---- building the chain ---- */

static const char *decoder_desc(const char *codec)
{
    if (g_strcmp0(codec, "H264") == 0)
        return "rtph264depay name=depay ! avdec_h264 name=dec";
    if (g_strcmp0(codec, "VP8") == 0) {
        GstElementFactory *f = gst_element_factory_find("vp8dec");
        if (f) {
            gst_object_unref(f);
            return "rtpvp8depay name=depay ! vp8dec name=dec";
        }
        return "rtpvp8depay name=depay ! avdec_vp8 name=dec";
    }
    return NULL;
}

/* Where the overlay goes: before the tee when every branch shows the marks,
 * only on the window's branch when the dump is GRAY8 (measurements want the
 * picture as decoded), nowhere without a window or an RGB dump. */
static char *chain_desc(const char *decoder, const struct tsn_view_decode_cfg *cfg)
{
    const char *fmt = cfg->dump_gray ? "GRAY8" : "RGB";
    int annot = cfg->annot != NULL;
    const char *all = annot && !cfg->dump_gray ? " ! " OVERLAY : "";
    const char *show_only = annot && cfg->dump_gray ? OVERLAY " ! " : "";
    if (cfg->window && cfg->dump)
        return g_strdup_printf("%s%s ! tee name=t ! queue ! %s" SHOW_BRANCH " t. ! " DUMP_BRANCH,
                               decoder, all, show_only, fmt);
    if (cfg->window)
        return g_strdup_printf("%s%s ! " SHOW_BRANCH, decoder, annot ? " ! " OVERLAY : "");
    if (cfg->dump)
        return g_strdup_printf("%s%s ! " DUMP_BRANCH, decoder, all, fmt);
    return g_strdup_printf("%s ! fakesink sync=false", decoder);
}

static void set_if_exists(GstElement *el, const char *prop, const char *value)
{
    if (el && g_object_class_find_property(G_OBJECT_GET_CLASS(el), prop))
        gst_util_set_object_arg(G_OBJECT(el), prop, value);
}

/* Latency and robustness knobs of the depayloader and decoder. */
static void tune(GstBin *bin)
{
    GstElement *depay = gst_bin_get_by_name(bin, "depay");
    GstElement *dec = gst_bin_get_by_name(bin, "dec");
    /* Ask for a keyframe (PLI) when packets were lost, and never decode from
     * the middle of a GOP. */
    set_if_exists(depay, "request-keyframe", "true");
    set_if_exists(depay, "wait-for-keyframe", "true");
    /* Frame threading delays every frame by the thread count: slices only.
     * A corrupt picture is worse than a missing one on a diagnostic screen. */
    set_if_exists(dec, "thread-type", "slice");
    set_if_exists(dec, "output-corrupt", "false");
    set_if_exists(dec, "automatic-request-sync-points", "true");
    if (depay)
        gst_object_unref(depay);
    if (dec)
        gst_object_unref(dec);
}

static void add_probe(GstBin *bin, const char *name, const char *pad_name, GstPadProbeCallback cb,
                      struct chain *c)
{
    GstElement *el = gst_bin_get_by_name(bin, name);
    GstPad *pad = el ? gst_element_get_static_pad(el, pad_name) : NULL;
    if (pad)
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, cb, c, NULL);
    if (pad)
        gst_object_unref(pad);
    if (el)
        gst_object_unref(el);
}

static void connect_overlay(GstBin *bin, struct chain *c)
{
    GstElement *overlay = gst_bin_get_by_name(bin, "overlay");
    if (!overlay)
        return;
    g_signal_connect(overlay, "draw", G_CALLBACK(on_overlay_draw), c);
    gst_object_unref(overlay);
}

static void connect_dump(GstBin *bin, struct chain *c)
{
    GstElement *sink = gst_bin_get_by_name(bin, "dumpsink");
    if (!sink)
        return;
    GstAppSinkCallbacks cbs = {.new_sample = on_dump_sample};
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cbs, c, NULL);
    gst_object_unref(sink);
}

int tsn_view_decode_link(GstElement *pipeline, GstPad *src, const struct tsn_view_decode_cfg *cfg,
                         char *codec, size_t codec_len, char *why, size_t why_len)
{
    GstCaps *caps = gst_pad_get_current_caps(src);
    if (!caps)
        caps = gst_pad_query_caps(src, NULL);
    const GstStructure *st =
        caps && !gst_caps_is_empty(caps) ? gst_caps_get_structure(caps, 0) : NULL;
    const char *name = st ? gst_structure_get_string(st, "encoding-name") : NULL;
    snprintf(codec, codec_len, "%s", name ? name : "unknown");
    const char *decoder = decoder_desc(name);
    if (caps)
        gst_caps_unref(caps);
    if (!decoder) {
        snprintf(why, why_len, "cannot decode a %s stream (H264 or VP8 only)", codec);
        return -ENOTSUP;
    }
    char *desc = chain_desc(decoder, cfg);
    GError *err = NULL;
    GstElement *bin = gst_parse_bin_from_description(desc, TRUE, &err);
    g_free(desc);
    if (!bin) {
        snprintf(why, why_len, "cannot build the %s decoder: %s", codec,
                 err ? err->message : "unknown error");
        g_clear_error(&err);
        return -EIO;
    }
    struct chain *c = g_new0(struct chain, 1);
    c->cfg = *cfg;
    g_object_set_data_full(G_OBJECT(bin), "tsn-chain", c, g_free);
    tune(GST_BIN(bin));
    add_probe(GST_BIN(bin), "dec", "src", on_decoded, c);
    connect_dump(GST_BIN(bin), c);
    connect_overlay(GST_BIN(bin), c);
    gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, on_rtp, c,
                      NULL);

    gst_bin_add(GST_BIN(pipeline), bin);
    gst_element_sync_state_with_parent(bin);
    GstPad *sink = gst_element_get_static_pad(bin, "sink");
    GstPadLinkReturn lr = gst_pad_link(src, sink);
    gst_object_unref(sink);
    if (lr != GST_PAD_LINK_OK) {
        snprintf(why, why_len, "cannot link the %s decoder (%s)", codec, gst_pad_link_get_name(lr));
        return -EIO;
    }
    return 0;
}
