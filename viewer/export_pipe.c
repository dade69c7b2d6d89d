/* telesono-export's pipeline (see export_pipe.h).
 *
 * The pipeline is described as text and the file names are set on the
 * named filesinks afterwards (a path may hold characters gst_parse would
 * read as syntax). Buffer probes in front of each muxer count the frames
 * each file gets, and remember the remux's PTS so the exporter can check
 * them against the scan. Errors are read from the bus by the pushing
 * thread: appsrc never blocks (it would wait forever once a downstream
 * element failed); the thread polls the queue level instead. */
#include "export_pipe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

/* appsrc holds at most this much before the pusher waits. */
#define MAX_QUEUED_BYTES (4u << 20)
#define POLL_NS          (5 * GST_MSECOND)

struct tsn_export_pipe {
    GstElement *pipeline;
    GstElement *src;
    GstBus *bus;
    const struct tsn_export_timeline *timeline;
    uint64_t frame_ns;
    char *remux_fs, *burn_fs; /* mp4mux faststart scratch files, removed at the end */
    /* written by the streaming threads, read after EOS */
    uint64_t remux_frames, burn_frames;
    uint64_t *pts, pts_cap;
    int width, height;
    int first_width, first_height; /* of the first caps before the tee */
    gint cut;                      /* atomic: a size change was seen, the rest dropped */
    uint64_t cut_pts_ns;
    int cut_width, cut_height;
};

static const struct {
    const char *element, *package;
} needs[] = {
    {"appsrc", "gstreamer1.0-plugins-base"},       {"rtph264depay", "gstreamer1.0-plugins-good"},
    {"h264parse", "gstreamer1.0-plugins-bad"},     {"mp4mux", "gstreamer1.0-plugins-good"},
    {"rtpvp8depay", "gstreamer1.0-plugins-good"},  {"webmmux", "gstreamer1.0-plugins-good"},
    {"avdec_h264", "gstreamer1.0-libav"},          {"vp8dec", "gstreamer1.0-plugins-good"},
    {"videoconvert", "gstreamer1.0-plugins-base"}, {"cairooverlay", "gstreamer1.0-plugins-good"},
    {"x264enc", "gstreamer1.0-plugins-ugly"},
};

static int needed(const char *element, enum tsn_export_codec codec, int burn_in)
{
    int vp8 = codec == TSN_EXPORT_VP8;
    if (strcmp(element, "rtph264depay") == 0 || strcmp(element, "mp4mux") == 0)
        return !vp8 || burn_in;
    if (strcmp(element, "h264parse") == 0)
        return !vp8 || burn_in;
    if (strcmp(element, "rtpvp8depay") == 0 || strcmp(element, "webmmux") == 0)
        return vp8;
    if (strcmp(element, "avdec_h264") == 0)
        return !vp8 && burn_in;
    if (strcmp(element, "vp8dec") == 0)
        return vp8 && burn_in;
    if (strcmp(element, "appsrc") == 0)
        return 1;
    return burn_in;
}

int tsn_export_pipe_check(enum tsn_export_codec codec, int burn_in, char *why, size_t why_len)
{
    for (size_t i = 0; i < G_N_ELEMENTS(needs); i++) {
        if (!needed(needs[i].element, codec, burn_in))
            continue;
        GstElementFactory *f = gst_element_factory_find(needs[i].element);
        if (!f) {
            snprintf(why, why_len, "GStreamer element %s is missing (install %s)", needs[i].element,
                     needs[i].package);
            return -ENOENT;
        }
        gst_object_unref(f);
    }
    return 0;
}

/* ---- streaming threads ---- */

static GstPadProbeReturn on_remux_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct tsn_export_pipe *p = data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    if (p->remux_frames == p->pts_cap) {
        uint64_t cap = p->pts_cap ? 2 * p->pts_cap : 1024;
        uint64_t *pts = realloc(p->pts, cap * sizeof *pts);
        if (!pts)
            return GST_PAD_PROBE_OK; /* the count goes on; the check is skipped */
        p->pts = pts;
        p->pts_cap = cap;
    }
    if (p->remux_frames < p->pts_cap)
        p->pts[p->remux_frames] = GST_BUFFER_PTS(buf);
    p->remux_frames++;
    return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn on_burn_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct tsn_export_pipe *p = data;
    p->burn_frames++;
    return GST_PAD_PROBE_OK;
}

/* Before the tee: the first caps' size is the files'; caps of another size
 * (a later generation) and everything after them are dropped, EOS aside. */
static GstPadProbeReturn on_stream(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct tsn_export_pipe *p = data;
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
        if (!g_atomic_int_get(&p->cut))
            return GST_PAD_PROBE_OK;
        if (!p->cut_pts_ns)
            p->cut_pts_ns = GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info));
        return GST_PAD_PROBE_DROP;
    }
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(ev) == GST_EVENT_EOS)
        return GST_PAD_PROBE_OK;
    if (g_atomic_int_get(&p->cut))
        return GST_EVENT_IS_SERIALIZED(ev) ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
    if (GST_EVENT_TYPE(ev) != GST_EVENT_CAPS)
        return GST_PAD_PROBE_OK;
    GstCaps *caps;
    gst_event_parse_caps(ev, &caps);
    const GstStructure *st = gst_caps_get_structure(caps, 0);
    int w = 0, h = 0;
    gst_structure_get_int(st, "width", &w);
    gst_structure_get_int(st, "height", &h);
    if (!p->first_width && !p->first_height) {
        p->first_width = w;
        p->first_height = h;
        return GST_PAD_PROBE_OK;
    }
    if (w == p->first_width && h == p->first_height)
        return GST_PAD_PROBE_OK;
    p->cut_width = w;
    p->cut_height = h;
    g_atomic_int_set(&p->cut, 1);
    return GST_PAD_PROBE_DROP;
}

/* vp8dec's frames come without a duration; mp4mux would give the last one
 * none, and a player would leave it out. */
static GstPadProbeReturn on_decoded(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct tsn_export_pipe *p = data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    if (GST_BUFFER_DURATION_IS_VALID(buf) || !p->frame_ns)
        return GST_PAD_PROBE_OK;
    buf = gst_buffer_make_writable(buf);
    GST_BUFFER_DURATION(buf) = p->frame_ns;
    GST_PAD_PROBE_INFO_DATA(info) = buf;
    return GST_PAD_PROBE_OK;
}

static void on_draw(GstElement *overlay, cairo_t *cr, guint64 timestamp, guint64 duration,
                    gpointer data)
{
    struct tsn_export_pipe *p = data;
    cairo_surface_t *target = cairo_get_target(cr);
    if (cairo_surface_get_type(target) != CAIRO_SURFACE_TYPE_IMAGE)
        return;
    tsn_export_timeline_draw(p->timeline, cr, cairo_image_surface_get_width(target),
                             cairo_image_surface_get_height(target), timestamp);
}

/* ---- set-up ---- */

/* The filesinks are async=false: with a tee, a prerolled remux sink would
 * stop its branch while x264enc (lookahead) still waits for frames before
 * its first output, and the burn-in sink would never preroll: a deadlock. */
static int describe(const struct tsn_export_pipe_cfg *cfg, char *desc, size_t len)
{
    int n;
    int vp8 = cfg->codec == TSN_EXPORT_VP8;
    const char *head = vp8 ? "appsrc name=src format=time ! rtpvp8depay name=parse"
                       : cfg->h264_in_band
                           ? "appsrc name=src format=time ! rtph264depay ! h264parse name=parse ! "
                             "video/x-h264,stream-format=avc3"
                           : "appsrc name=src format=time ! rtph264depay ! h264parse name=parse";
    const char *remux =
        vp8 ? "queue name=rq ! webmmux name=rmux ! filesink name=rsink async=false"
            : "queue name=rq ! mp4mux name=rmux faststart=true trak-timescale=90000 ! filesink "
              "name=rsink async=false";
    if (!cfg->burn_path)
        n = snprintf(desc, len, "%s ! %s", head, remux);
    else
        n = snprintf(
            desc, len,
            "%s ! tee name=t t. ! %s t. ! queue ! %s ! videoconvert ! video/x-raw,format=BGRx ! "
            "cairooverlay name=overlay ! videoconvert ! video/x-raw,format=I420 ! "
            "x264enc name=enc pass=qual quantizer=18 speed-preset=fast bframes=0 "
            "key-int-max=60 ! video/x-h264,profile=high ! mp4mux name=bmux "
            "faststart=true trak-timescale=90000 ! filesink name=bsink async=false",
            head, remux, vp8 ? "vp8dec" : "h264parse ! avdec_h264");
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int set_sink(GstElement *pipeline, const char *sink, const char *mux, const char *path,
                    char **fs_out)
{
    GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), sink);
    if (!e)
        return -ENOENT;
    g_object_set(e, "location", path, NULL);
    gst_object_unref(e);
    GstElement *m = gst_bin_get_by_name(GST_BIN(pipeline), mux);
    if (m && g_object_class_find_property(G_OBJECT_GET_CLASS(m), "faststart-file")) {
        /* The scratch file next to the output, not in /tmp: same disk, and
         * the exporter knows to remove it. */
        *fs_out = g_strdup_printf("%s.mdat", path);
        g_object_set(m, "faststart-file", *fs_out, NULL);
    }
    if (m)
        gst_object_unref(m);
    return 0;
}

static int add_probe(GstElement *pipeline, const char *name, GstPadProbeType type,
                     GstPadProbeCallback cb, struct tsn_export_pipe *p)
{
    GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), name);
    GstPad *pad = e ? gst_element_get_static_pad(e, "src") : NULL;
    if (pad) {
        gst_pad_add_probe(pad, type, cb, p, NULL);
        gst_object_unref(pad);
    }
    if (e)
        gst_object_unref(e);
    return pad ? 0 : -ENOENT;
}

struct tsn_export_pipe *tsn_export_pipe_new(const struct tsn_export_pipe_cfg *cfg, char *why,
                                            size_t why_len)
{
    char desc[2048];
    GError *err = NULL;
    struct tsn_export_pipe *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    p->timeline = cfg->timeline;
    p->frame_ns = cfg->frame_ns;
    if (describe(cfg, desc, sizeof desc) != 0) {
        snprintf(why, why_len, "pipeline description too long");
        goto fail;
    }
    p->pipeline = gst_parse_launch(desc, &err);
    if (!p->pipeline || err) {
        snprintf(why, why_len, "cannot build the pipeline: %s", err ? err->message : "?");
        g_clear_error(&err);
        goto fail;
    }
    p->src = gst_bin_get_by_name(GST_BIN(p->pipeline), "src");
    GstCaps *caps = gst_caps_new_simple(
        "application/x-rtp", "media", G_TYPE_STRING, "video", "clock-rate", G_TYPE_INT, 90000,
        "encoding-name", G_TYPE_STRING, cfg->codec == TSN_EXPORT_VP8 ? "VP8" : "H264", NULL);
    g_object_set(p->src, "caps", caps, "block", FALSE, "max-bytes", (guint64)MAX_QUEUED_BYTES,
                 "emit-signals", FALSE, NULL);
    gst_caps_unref(caps);
    if (set_sink(p->pipeline, "rsink", "rmux", cfg->remux_path, &p->remux_fs) != 0 ||
        add_probe(p->pipeline, "rq", GST_PAD_PROBE_TYPE_BUFFER, on_remux_buffer, p) != 0 ||
        add_probe(p->pipeline, "parse",
                  GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_stream,
                  p) != 0 ||
        (cfg->burn_path &&
         (set_sink(p->pipeline, "bsink", "bmux", cfg->burn_path, &p->burn_fs) != 0 ||
          add_probe(p->pipeline, "enc", GST_PAD_PROBE_TYPE_BUFFER, on_burn_buffer, p) != 0 ||
          add_probe(p->pipeline, "overlay", GST_PAD_PROBE_TYPE_BUFFER, on_decoded, p) != 0))) {
        snprintf(why, why_len, "cannot set up the pipeline's outputs");
        goto fail;
    }
    if (cfg->burn_path) {
        GstElement *overlay = gst_bin_get_by_name(GST_BIN(p->pipeline), "overlay");
        g_signal_connect(overlay, "draw", G_CALLBACK(on_draw), p);
        gst_object_unref(overlay);
    }
    p->bus = gst_element_get_bus(p->pipeline);
    if (gst_element_set_state(p->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        GstMessage *m = gst_bus_pop_filtered(p->bus, GST_MESSAGE_ERROR);
        GError *e = NULL;
        if (m)
            gst_message_parse_error(m, &e, NULL);
        snprintf(why, why_len, "the pipeline did not start: %s",
                 e ? e->message : "see the errors above");
        g_clear_error(&e);
        if (m)
            gst_message_unref(m);
        goto fail;
    }
    return p;
fail:
    tsn_export_pipe_free(p);
    return NULL;
}

void tsn_export_pipe_free(struct tsn_export_pipe *p)
{
    if (!p)
        return;
    if (p->pipeline)
        gst_element_set_state(p->pipeline, GST_STATE_NULL);
    if (p->bus)
        gst_object_unref(p->bus);
    if (p->src)
        gst_object_unref(p->src);
    if (p->pipeline)
        gst_object_unref(p->pipeline);
    if (p->remux_fs)
        unlink(p->remux_fs);
    if (p->burn_fs)
        unlink(p->burn_fs);
    g_free(p->remux_fs);
    g_free(p->burn_fs);
    free(p->pts);
    free(p);
}

/* ---- running ---- */

/* Takes an error or EOS message off the bus (waiting up to timeout).
 * Returns 1 for EOS, -EIO for an error (reason in why), 0 for nothing. */
static int poll_bus(struct tsn_export_pipe *p, GstClockTime timeout, char *why, size_t why_len)
{
    GstMessage *m =
        gst_bus_timed_pop_filtered(p->bus, timeout, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
    if (!m)
        return 0;
    int rc = 1;
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
        GError *err = NULL;
        gchar *debug = NULL;
        gst_message_parse_error(m, &err, &debug);
        snprintf(why, why_len, "%s: %s", GST_OBJECT_NAME(GST_MESSAGE_SRC(m)),
                 err ? err->message : "?");
        g_clear_error(&err);
        g_free(debug);
        rc = -EIO;
    }
    gst_message_unref(m);
    return rc;
}

/* The marker bit of a packet copy: set on a frame's last packet only. The
 * depayloaders end an access unit at a marker, and a publisher may set it
 * inside a frame (rtph264pay's SPS/PPS STAP-A answering a key-frame
 * request): the frame the scan kept must reach the muxer as one. */
static void set_marker(GstBuffer *b, int last)
{
    GstMapInfo m;
    if (!gst_buffer_map(b, &m, GST_MAP_WRITE))
        return;
    if (m.size >= 2) /* parsed as RTP by the scan: at least a header */
        m.data[1] = (uint8_t)(last ? m.data[1] | 0x80 : m.data[1] & 0x7f);
    gst_buffer_unmap(b, &m);
}

int tsn_export_pipe_push(struct tsn_export_pipe *p, const struct tsn_export_frame *f,
                         const volatile int *stop, char *why, size_t why_len)
{
    while (gst_app_src_get_current_level_bytes(GST_APP_SRC(p->src)) > MAX_QUEUED_BYTES) {
        if (*stop)
            return -EINTR;
        int rc = poll_bus(p, POLL_NS, why, why_len);
        if (rc != 0) {
            if (rc > 0)
                snprintf(why, why_len, "the pipeline ended early");
            return -EIO;
        }
    }
    int rc = poll_bus(p, 0, why, why_len);
    if (rc != 0) {
        if (rc > 0)
            snprintf(why, why_len, "the pipeline ended early");
        return -EIO;
    }
    GstClockTime pts = tsn_export_ns_of_90k(f->pts_90k);
    GstClockTime dur = tsn_export_ns_of_90k(f->duration_90k);
    GstBufferList *list = gst_buffer_list_new_sized((guint)f->n_pkts);
    for (size_t i = 0; i < f->n_pkts; i++) {
        GstBuffer *b = gst_buffer_new_memdup(f->pkts[i]->data, f->pkts[i]->len);
        set_marker(b, i + 1 == f->n_pkts);
        GST_BUFFER_PTS(b) = pts;
        GST_BUFFER_DTS(b) = pts;
        GST_BUFFER_DURATION(b) = dur;
        gst_buffer_list_add(list, b);
    }
    if (gst_app_src_push_buffer_list(GST_APP_SRC(p->src), list) != GST_FLOW_OK) {
        snprintf(why, why_len, "the pipeline refused data");
        return -EIO;
    }
    return 0;
}

static void read_size(struct tsn_export_pipe *p)
{
    GstElement *q = gst_bin_get_by_name(GST_BIN(p->pipeline), "rq");
    GstPad *pad = q ? gst_element_get_static_pad(q, "src") : NULL;
    GstCaps *caps = pad ? gst_pad_get_current_caps(pad) : NULL;
    if (caps && gst_caps_get_size(caps) > 0) {
        const GstStructure *s = gst_caps_get_structure(caps, 0);
        gst_structure_get_int(s, "width", &p->width);
        gst_structure_get_int(s, "height", &p->height);
    }
    if (caps)
        gst_caps_unref(caps);
    if (pad)
        gst_object_unref(pad);
    if (q)
        gst_object_unref(q);
}

int tsn_export_pipe_finish(struct tsn_export_pipe *p, struct tsn_export_pipe_result *res,
                           const volatile int *stop, char *why, size_t why_len)
{
    memset(res, 0, sizeof *res);
    gst_app_src_end_of_stream(GST_APP_SRC(p->src));
    int rc;
    while ((rc = poll_bus(p, 100 * GST_MSECOND, why, why_len)) == 0)
        if (*stop)
            return -EINTR;
    if (rc < 0)
        return -EIO;
    read_size(p);
    gst_element_set_state(p->pipeline, GST_STATE_NULL); /* files closed */
    res->remux_frames = p->remux_frames;
    res->burn_frames = p->burn_frames;
    res->width = p->width;
    res->height = p->height;
    res->cut = g_atomic_int_get(&p->cut);
    res->cut_pts_ns = p->cut_pts_ns;
    res->cut_width = p->cut_width;
    res->cut_height = p->cut_height;
    if (p->pts_cap >= p->remux_frames) {
        res->remux_pts_ns = p->pts;
        p->pts = NULL;
        p->pts_cap = 0;
    }
    return 0;
}
