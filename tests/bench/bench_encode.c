/* tsn-bench-encode: quality and speed of the capture encoder.
 *
 * Reads a GRAY8 clip (default: the bone reference clip), retimes it to
 * --fps (each clip frame shown once per loop, looped to --frames frames),
 * and for each bitrate encodes it with
 *   tsn    Telesono's encoder bin (tsn_encoder_new, default config unless
 *          overridden below) fed tsn_encoder_input_caps(config, gray=1);
 *   plain  x264enc speed-preset=ultrafast tune=zerolatency pass=cbr
 *          option-string=nal-hrd=cbr at the same bitrate and keyframe
 *          interval, fed limited-range I420 caps (what a plain
 *          videoconvert ! x264enc negotiates);
 *   vp8    the encoder bin with codec VP8 (limited range, squeezed as below);
 *   vp8plain  vp8enc deadline=1 cpu-used=8 end-usage=cbr lag-in-frames=0
 *          threads=2 at the same bitrate and keyframe interval (libvpx's
 *          own buffer and overshoot defaults), squeezed like vp8.
 * Frames are pushed at the stream's pace (--no-pace: back to back).
 * Encode time is measured per frame between buffer probes on the encoder's
 * sink and src pads. The stream is then decoded (avdec_h264 / vp8dec) and
 * its luma compared with the source's grey values. Range: videoconvert
 * (1.22) copies GRAY8 into I420 luma verbatim whatever range the output
 * caps say (measured), so with "full" and "limited" caps the encoder sees
 * the same Y = grey and the decoded Y is compared with the source as is
 * (limited caps are then mislabelled: a viewer stretches the contrast).
 * With --range squeeze the grey is really squeezed into 16..235 (through
 * RGBx: GRAY8 -> RGBx -> I420) and the decoded Y is expanded back,
 * y' = round((y - 16) * 255 / 219) clamped, so that path pays for its 220
 * levels. psnr_y is 10 log10(255^2 / MSE) with MSE over all pixels of all
 * frames (ffmpeg's "average"); psnr_y_min is the worst frame.
 * Then the phantom at 640x480 and 1280x720: its render time, and one line
 * per config at the default bitrate. One JSON line per run and a summary line.
 *
 *   tsn-bench-encode [--clip PATH] [--frames N] [--fps N] [--bitrates 1000,2000,4000]
 *                    [--configs tsn,plain,vp8] [--no-phantom] [--phantom-only] [--no-pace]
 *                    tsn overrides: [--preset NAME] [--opts X264OPTS] [--vbv-ms N]
 *                    [--threads N] [--keyint N] [--range full|limited|squeeze] [--cpu-used N]
 *                    [--enc-set "prop=value ..."]  (set on the bin's encoder element)
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "encoder.h"
#include "phantom.h"

#define DEFAULT_CLIP "/work/shared/testdata/ultrasound/BoneUltrasound_L14_ffv1.mkv"
#define MAX_RATES    8

enum kind { KIND_TSN, KIND_PLAIN, KIND_VP8, KIND_VP8_PLAIN, KIND_COUNT };
/* RANGE_AUTO: whatever tsn_encoder_input_caps says for a grey source. */
enum range { RANGE_AUTO = -1, RANGE_LIMITED = 0, RANGE_FULL = 1, RANGE_SQUEEZE = 2 };

struct opts {
    const char *clip;
    int frames, fps, pace, phantom, clip_runs;
    int rates[MAX_RATES], n_rates;
    int configs[KIND_COUNT], n_configs;
    struct tsn_encoder_config over; /* tsn overrides on top of the defaults */
    int range;                      /* tsn H.264 input: RANGE_* */
    const char *enc_set;            /* "prop=value ..." set on the bin's encoder */
};

/* Where frames come from: a clip in memory or a phantom rendered on demand. */
struct source {
    const char *name;
    int w, h, n_clip;
    uint8_t **clip; /* n_clip GRAY8 frames, w x h, tightly packed */
    struct tsn_phantom *ph;
    uint8_t *scratch;
};

struct au {
    GBytes *data;
    int key;
};

struct run {
    enum kind kind;
    int kbps, frames, fps;
    const struct source *src;
    struct au *aus;
    int n_aus;
    double *t_in_ms, *t_out_ms; /* per frame, NaN until seen */
    int n_out;                  /* encoded frames seen on the encoder's src pad */
    GMutex lock;
    /* results */
    double psnr_y, psnr_min, kbps_actual;
    double enc_p50, enc_p95, enc_max;
    int squeeze; /* the encoder got grey squeezed to 16..235 */
    int keyframes, decoded, full_range_out;
    size_t max_au_bytes;
    char settings[512];
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_until_ms(double t_ms)
{
    struct timespec ts = {.tv_sec = (time_t)(t_ms / 1e3), .tv_nsec = (long)(fmod(t_ms, 1e3) * 1e6)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of v[0..n) (sorts v). */
static double percentile(double *v, int n, double pct)
{
    if (n <= 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int k = (int)ceil(pct / 100.0 * n) - 1;
    return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

static const uint8_t *source_frame(const struct source *s, uint64_t i, int fps)
{
    if (s->clip)
        return s->clip[i % (uint64_t)s->n_clip];
    tsn_phantom_render(s->ph, i, fps, s->scratch, (size_t)s->w);
    return s->scratch;
}

/* Waits for EOS or an error on the pipeline's bus. 0 on EOS. */
static int wait_eos(GstElement *pipe, const char *what)
{
    GstBus *bus = gst_element_get_bus(pipe);
    GstMessage *msg =
        gst_bus_timed_pop_filtered(bus, 600 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    int rc = -ETIMEDOUT;
    if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
        rc = 0;
    } else if (msg) {
        GError *err = NULL;
        gst_message_parse_error(msg, &err, NULL);
        fprintf(stderr, "bench-encode: %s: %s\n", what, err ? err->message : "error");
        g_clear_error(&err);
        rc = -EIO;
    }
    if (msg)
        gst_message_unref(msg);
    gst_object_unref(bus);
    return rc;
}

static int load_clip(const char *path, struct source *s)
{
    GError *err = NULL;
    GstElement *pipe = gst_parse_launch("filesrc name=f ! decodebin ! videoconvert ! "
                                        "video/x-raw,format=GRAY8 ! appsink name=k sync=false",
                                        &err);
    if (!pipe) {
        fprintf(stderr, "bench-encode: %s\n", err ? err->message : "parse failed");
        g_clear_error(&err);
        return -EINVAL;
    }
    GstElement *f = gst_bin_get_by_name(GST_BIN(pipe), "f");
    GstElement *k = gst_bin_get_by_name(GST_BIN(pipe), "k");
    g_object_set(f, "location", path, NULL);
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    GstSample *smp;
    while ((smp = gst_app_sink_pull_sample(GST_APP_SINK(k)))) {
        GstVideoInfo info;
        GstVideoFrame vf;
        if (gst_video_info_from_caps(&info, gst_sample_get_caps(smp)) &&
            gst_video_frame_map(&vf, &info, gst_sample_get_buffer(smp), GST_MAP_READ)) {
            s->w = info.width;
            s->h = info.height;
            s->clip = realloc(s->clip, (size_t)(s->n_clip + 1) * sizeof *s->clip);
            uint8_t *fr = malloc((size_t)s->w * (size_t)s->h);
            for (int y = 0; y < s->h; y++)
                memcpy(fr + (size_t)y * (size_t)s->w,
                       (uint8_t *)GST_VIDEO_FRAME_PLANE_DATA(&vf, 0) +
                           (size_t)y * (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0),
                       (size_t)s->w);
            s->clip[s->n_clip++] = fr;
            gst_video_frame_unmap(&vf);
        }
        gst_sample_unref(smp);
    }
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(k);
    gst_object_unref(f);
    gst_object_unref(pipe);
    if (!s->n_clip) {
        fprintf(stderr, "bench-encode: no frames in %s\n", path);
        return -EINVAL;
    }
    return 0;
}

static int frame_index(const struct run *r, GstClockTime pts)
{
    if (!GST_CLOCK_TIME_IS_VALID(pts))
        return -1;
    guint64 i = gst_util_uint64_scale_round(pts, (guint64)r->fps, GST_SECOND);
    return i < (guint64)r->frames ? (int)i : -1;
}

static GstPadProbeReturn probe_in(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct run *r = data;
    int i = frame_index(r, GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info)));
    if (i >= 0)
        r->t_in_ms[i] = now_ms();
    return GST_PAD_PROBE_OK;
}

/* Output buffers are matched to inputs by order, not by timestamp: the
 * encoders neither drop nor reorder here, and x264enc offsets its output
 * timestamps (it reserves room for negative DTS). */
static GstPadProbeReturn probe_out(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct run *r = data;
    if (r->n_out < r->frames)
        r->t_out_ms[r->n_out++] = now_ms();
    return GST_PAD_PROBE_OK;
}

static GstFlowReturn on_au(GstAppSink *sink, gpointer data)
{
    struct run *r = data;
    GstSample *smp = gst_app_sink_pull_sample(sink);
    if (!smp)
        return GST_FLOW_EOS;
    GstBuffer *b = gst_sample_get_buffer(smp);
    GstMapInfo m;
    if (gst_buffer_map(b, &m, GST_MAP_READ)) {
        g_mutex_lock(&r->lock);
        r->aus = realloc(r->aus, (size_t)(r->n_aus + 1) * sizeof *r->aus);
        r->aus[r->n_aus].data = g_bytes_new(m.data, m.size);
        r->aus[r->n_aus].key = !GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
        r->n_aus++;
        g_mutex_unlock(&r->lock);
        gst_buffer_unmap(b, &m);
    }
    gst_sample_unref(smp);
    return GST_FLOW_OK;
}

static void config_for(const struct opts *o, const struct run *r, struct tsn_encoder_config *c)
{
    *c = o->over;
    c->codec = r->kind == KIND_VP8 || r->kind == KIND_VP8_PLAIN ? TSN_CODEC_VP8 : TSN_CODEC_H264;
    c->bitrate_kbps = r->kbps;
    c->fps = r->fps;
    c->width = r->src->w;
    c->height = r->src->h;
}

/* Exploration aid: sets "prop=value prop=value" on the bin's encoder
 * element (named "enc" inside the bin) after tsn_encoder_new. */
static void set_encoder_props(GstElement *bin, const char *props, struct run *r)
{
    GstElement *enc = gst_bin_get_by_name(GST_BIN(bin), "enc");
    gchar **kv = g_strsplit(props, " ", -1);
    for (int i = 0; enc && kv[i]; i++) {
        gchar **p = g_strsplit(kv[i], "=", 2);
        if (p[0] && p[1])
            gst_util_set_object_arg(G_OBJECT(enc), p[0], p[1]);
        g_strfreev(p);
    }
    g_strfreev(kv);
    if (enc)
        gst_object_unref(enc);
    size_t n = strlen(r->settings);
    snprintf(r->settings + n, sizeof r->settings - n, " set=%s", props);
}

/* The encoder under test and the caps in front of it (transfer full). */
static GstElement *make_encoder(const struct opts *o, struct run *r, GstCaps **in_caps)
{
    struct tsn_encoder_config c;
    config_for(o, r, &c);
    char why[256];
    if (r->kind == KIND_PLAIN || r->kind == KIND_VP8_PLAIN) {
        *in_caps = tsn_encoder_input_caps(&c, 0);
        r->squeeze = r->kind == KIND_VP8_PLAIN;
        char desc[512];
        if (r->kind == KIND_PLAIN)
            snprintf(desc, sizeof desc,
                     "x264enc speed-preset=ultrafast tune=zerolatency pass=cbr "
                     "option-string=nal-hrd=cbr bitrate=%d key-int-max=%d ! capsfilter "
                     "caps=video/x-h264,stream-format=byte-stream,alignment=au",
                     r->kbps, c.keyframe_interval_frames);
        else
            snprintf(desc, sizeof desc,
                     "vp8enc deadline=1 cpu-used=8 end-usage=cbr lag-in-frames=0 threads=2 "
                     "target-bitrate=%d keyframe-max-dist=%d",
                     r->kbps * 1000, c.keyframe_interval_frames);
        snprintf(r->settings, sizeof r->settings, "%s", desc);
        GError *err = NULL;
        GstElement *bin = gst_parse_bin_from_description(desc, TRUE, &err);
        if (!bin)
            fprintf(stderr, "bench-encode: %s\n", err ? err->message : "parse failed");
        g_clear_error(&err);
        return bin;
    }
    int gray = r->kind == KIND_TSN && (o->range == RANGE_AUTO || o->range == RANGE_FULL);
    r->squeeze = r->kind == KIND_VP8 || o->range == RANGE_SQUEEZE;
    *in_caps = tsn_encoder_input_caps(&c, gray);
    snprintf(r->settings, sizeof r->settings, "preset=%s opts=%s vbv_ms=%d threads=%d keyint=%d",
             c.x264_preset ? c.x264_preset : "default", c.x264_options ? c.x264_options : "",
             c.vbv_ms, c.threads, c.keyframe_interval_frames);
    GstElement *bin = tsn_encoder_new(&c, why, sizeof why);
    if (!bin)
        fprintf(stderr, "bench-encode: tsn_encoder_new: %s\n", why);
    else if (o->enc_set)
        set_encoder_props(bin, o->enc_set, r);
    return bin;
}

static int push_frames(struct run *r, GstElement *appsrc, int pace)
{
    size_t size = (size_t)r->src->w * (size_t)r->src->h;
    double start = now_ms();
    for (int i = 0; i < r->frames; i++) {
        if (pace)
            sleep_until_ms(start + i * 1000.0 / r->fps);
        GstBuffer *b = gst_buffer_new_allocate(NULL, size, NULL);
        gst_buffer_fill(b, 0, source_frame(r->src, (uint64_t)i, r->fps), size);
        GST_BUFFER_PTS(b) = gst_util_uint64_scale((guint64)i, GST_SECOND, (guint64)r->fps);
        GST_BUFFER_DURATION(b) = gst_util_uint64_scale(1, GST_SECOND, (guint64)r->fps);
        if (gst_app_src_push_buffer(GST_APP_SRC(appsrc), b) != GST_FLOW_OK)
            return -EIO;
    }
    gst_app_src_end_of_stream(GST_APP_SRC(appsrc));
    return 0;
}

static int encode(const struct opts *o, struct run *r)
{
    GstCaps *in_caps = NULL;
    GstElement *enc = make_encoder(o, r, &in_caps);
    if (!enc || !in_caps)
        return -EINVAL;
    GstElement *pipe = gst_pipeline_new(NULL);
    GstElement *src = gst_element_factory_make("appsrc", NULL);
    GstElement *conv = gst_element_factory_make("videoconvert", NULL);
    GstElement *rgb = NULL, *conv2 = NULL;
    GstElement *filt = gst_element_factory_make("capsfilter", NULL);
    GstElement *sink = gst_element_factory_make("appsink", NULL);
    GstCaps *gray = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "GRAY8", "width",
                                        G_TYPE_INT, r->src->w, "height", G_TYPE_INT, r->src->h,
                                        "framerate", GST_TYPE_FRACTION, r->fps, 1, NULL);
    g_object_set(src, "caps", gray, "format", GST_FORMAT_TIME, "block", TRUE, "max-bytes",
                 (guint64)r->src->w * (guint64)r->src->h * 4, NULL);
    g_object_set(filt, "caps", in_caps, NULL);
    g_object_set(sink, "sync", FALSE, NULL);
    gst_caps_unref(gray);
    gst_caps_unref(in_caps);
    GstAppSinkCallbacks cb = {.new_sample = on_au};
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, r, NULL);
    gst_bin_add_many(GST_BIN(pipe), src, conv, filt, enc, sink, NULL);
    if (r->squeeze) {
        rgb = gst_element_factory_make("capsfilter", NULL);
        conv2 = gst_element_factory_make("videoconvert", NULL);
        GstCaps *rgbx = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "RGBx", NULL);
        g_object_set(rgb, "caps", rgbx, NULL);
        gst_caps_unref(rgbx);
        gst_bin_add_many(GST_BIN(pipe), rgb, conv2, NULL);
    }
    int rc = -EINVAL;
    int linked = r->squeeze ? gst_element_link_many(src, conv, rgb, conv2, filt, enc, sink, NULL)
                            : gst_element_link_many(src, conv, filt, enc, sink, NULL);
    if (!linked) {
        fprintf(stderr, "bench-encode: cannot link the encode pipeline\n");
        goto out;
    }
    GstPad *pin = gst_element_get_static_pad(enc, "sink");
    GstPad *pout = gst_element_get_static_pad(enc, "src");
    gst_pad_add_probe(pin, GST_PAD_PROBE_TYPE_BUFFER, probe_in, r, NULL);
    gst_pad_add_probe(pout, GST_PAD_PROBE_TYPE_BUFFER, probe_out, r, NULL);
    gst_object_unref(pin);
    gst_object_unref(pout);
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    rc = push_frames(r, src, o->pace);
    if (rc == 0)
        rc = wait_eos(pipe, "encode");
    gst_element_set_state(pipe, GST_STATE_NULL);
out:
    gst_object_unref(pipe);
    return rc;
}

/* Decoded luma as the bench compares it with the source grey. */
static int to_full(int y, int squeezed)
{
    if (!squeezed)
        return y;
    int v = (int)lround((y - 16) * 255.0 / 219.0);
    return v < 0 ? 0 : v > 255 ? 255 : v;
}

struct dec_state {
    struct run *r;
    double sse_total;
    double *psnr_frames;
};

static GstFlowReturn on_decoded(GstAppSink *sink, gpointer data)
{
    struct dec_state *d = data;
    struct run *r = d->r;
    GstSample *smp = gst_app_sink_pull_sample(sink);
    if (!smp)
        return GST_FLOW_EOS;
    GstVideoInfo info;
    GstVideoFrame vf;
    GstBuffer *b = gst_sample_get_buffer(smp);
    int i = r->decoded;
    if (i < r->frames && gst_video_info_from_caps(&info, gst_sample_get_caps(smp)) &&
        gst_video_frame_map(&vf, &info, b, GST_MAP_READ)) {
        int full = info.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
        int lut[256];
        for (int v = 0; v < 256; v++)
            lut[v] = to_full(v, r->squeeze);
        const uint8_t *ref = source_frame(r->src, (uint64_t)i, r->fps);
        const uint8_t *py = GST_VIDEO_FRAME_PLANE_DATA(&vf, 0);
        size_t stride = (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0);
        double sse = 0;
        for (int y = 0; y < r->src->h; y++) {
            const uint8_t *a = ref + (size_t)y * (size_t)r->src->w, *row = py + (size_t)y * stride;
            long acc = 0;
            for (int x = 0; x < r->src->w; x++) {
                int e = lut[row[x]] - a[x];
                acc += e * e;
            }
            sse += (double)acc;
        }
        double mse = sse / ((double)r->src->w * r->src->h);
        d->psnr_frames[i] = mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : 99;
        d->sse_total += sse;
        r->full_range_out = full;
        gst_video_frame_unmap(&vf);
        r->decoded++;
    }
    gst_sample_unref(smp);
    return GST_FLOW_OK;
}

static int decode(struct run *r)
{
    int vp8 = r->kind == KIND_VP8 || r->kind == KIND_VP8_PLAIN;
    char desc[256];
    snprintf(desc, sizeof desc, "appsrc name=s format=time ! %s ! appsink name=k sync=false",
             vp8 ? "vp8dec" : "h264parse ! avdec_h264");
    GError *err = NULL;
    GstElement *pipe = gst_parse_launch(desc, &err);
    if (!pipe) {
        fprintf(stderr, "bench-encode: %s\n", err ? err->message : "parse failed");
        g_clear_error(&err);
        return -EINVAL;
    }
    GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "s");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "k");
    GstCaps *caps =
        vp8 ? gst_caps_new_simple("video/x-vp8", "width", G_TYPE_INT, r->src->w, "height",
                                  G_TYPE_INT, r->src->h, "framerate", GST_TYPE_FRACTION, r->fps, 1,
                                  NULL)
            : gst_caps_new_simple("video/x-h264", "stream-format", G_TYPE_STRING, "byte-stream",
                                  "alignment", G_TYPE_STRING, "au", NULL);
    g_object_set(src, "caps", caps, NULL);
    gst_caps_unref(caps);
    struct dec_state d = {.r = r, .psnr_frames = calloc((size_t)r->frames, sizeof(double))};
    GstAppSinkCallbacks cb = {.new_sample = on_decoded};
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, &d, NULL);
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    for (int i = 0; i < r->n_aus; i++) {
        GstBuffer *b = gst_buffer_new_wrapped_bytes(r->aus[i].data);
        GST_BUFFER_PTS(b) = gst_util_uint64_scale((guint64)i, GST_SECOND, (guint64)r->fps);
        gst_app_src_push_buffer(GST_APP_SRC(src), b);
    }
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    int rc = wait_eos(pipe, "decode");
    gst_element_set_state(pipe, GST_STATE_NULL);
    if (r->decoded > 0) {
        double mse = d.sse_total / ((double)r->src->w * r->src->h * r->decoded);
        r->psnr_y = mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : 99;
        r->psnr_min = 99;
        for (int i = 0; i < r->decoded; i++)
            r->psnr_min = fmin(r->psnr_min, d.psnr_frames[i]);
    }
    free(d.psnr_frames);
    gst_object_unref(src);
    gst_object_unref(sink);
    gst_object_unref(pipe);
    return rc;
}

static void summarize_encode(struct run *r)
{
    if (getenv("TSN_BENCH_DUMP"))
        for (int i = 0; i < r->frames; i++)
            fprintf(stderr, "frame %d in %.3f out %.3f enc %.3f bytes %zu\n", i, r->t_in_ms[i],
                    r->t_out_ms[i], r->t_out_ms[i] - r->t_in_ms[i],
                    i < r->n_aus ? g_bytes_get_size(r->aus[i].data) : 0);
    double *dt = malloc((size_t)r->frames * sizeof *dt);
    int n = 0;
    for (int i = 0; i < r->frames; i++)
        if (!isnan(r->t_in_ms[i]) && !isnan(r->t_out_ms[i]))
            dt[n++] = r->t_out_ms[i] - r->t_in_ms[i];
    r->enc_p50 = percentile(dt, n, 50);
    r->enc_p95 = percentile(dt, n, 95);
    r->enc_max = n ? dt[n - 1] : 0;
    free(dt);
    size_t bytes = 0;
    for (int i = 0; i < r->n_aus; i++) {
        size_t sz = g_bytes_get_size(r->aus[i].data);
        bytes += sz;
        r->max_au_bytes = sz > r->max_au_bytes ? sz : r->max_au_bytes;
        r->keyframes += r->aus[i].key;
    }
    r->kbps_actual = (double)bytes * 8 / ((double)r->frames / r->fps) / 1000;
}

static const char *const kind_names[] = {"tsn", "plain", "vp8", "vp8plain"};

static void print_run(const struct run *r)
{
    printf("{\"bench\":\"encode\",\"config\":\"%s\",\"codec\":\"%s\",\"source\":\"%s\","
           "\"width\":%d,\"height\":%d,\"fps\":%d,\"frames\":%d,\"target_kbps\":%d,"
           "\"kbps\":%.1f,\"psnr_y\":%.2f,\"psnr_y_min\":%.2f,\"decoded\":%d,"
           "\"decoded_range\":\"%s\",\"squeezed\":%d,\"keyframes\":%d,\"max_frame_bytes\":%zu,"
           "\"encode_ms_p50\":%.2f,\"encode_ms_p95\":%.2f,\"encode_ms_max\":%.2f,"
           "\"settings\":\"%s\"}\n",
           kind_names[r->kind], r->kind >= KIND_VP8 ? "vp8" : "h264", r->src->name, r->src->w,
           r->src->h, r->fps, r->frames, r->kbps, r->kbps_actual, r->psnr_y, r->psnr_min,
           r->decoded, r->full_range_out ? "full" : "limited", r->squeeze, r->keyframes,
           r->max_au_bytes, r->enc_p50, r->enc_p95, r->enc_max, r->settings);
    fflush(stdout);
}

static void run_free(struct run *r)
{
    for (int i = 0; i < r->n_aus; i++)
        g_bytes_unref(r->aus[i].data);
    free(r->aus);
    free(r->t_in_ms);
    free(r->t_out_ms);
    g_mutex_clear(&r->lock);
}

/* Encodes, decodes and prints one run; fills *out (psnr, kbps) if given. */
static int bench_one(const struct opts *o, enum kind kind, const struct source *src, int kbps,
                     struct run *out)
{
    struct run r = {.kind = kind, .kbps = kbps, .frames = o->frames, .fps = o->fps, .src = src};
    g_mutex_init(&r.lock);
    r.t_in_ms = malloc((size_t)r.frames * sizeof(double));
    r.t_out_ms = malloc((size_t)r.frames * sizeof(double));
    for (int i = 0; i < r.frames; i++)
        r.t_in_ms[i] = r.t_out_ms[i] = NAN;
    int rc = encode(o, &r);
    if (rc == 0) {
        summarize_encode(&r);
        rc = decode(&r);
    }
    if (rc == 0)
        print_run(&r);
    if (out) {
        out->psnr_y = r.psnr_y;
        out->kbps_actual = r.kbps_actual;
        out->enc_p50 = r.enc_p50;
    }
    run_free(&r);
    return rc;
}

static int parse_list(const char *s, int *out, int max)
{
    int n = 0;
    char *end;
    while (*s && n < max) {
        long v = strtol(s, &end, 10);
        if (end == s || v <= 0)
            return -1;
        out[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return n;
}

static int parse_configs(const char *s, struct opts *o)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    o->n_configs = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int k = -1;
        for (int i = 0; i < KIND_COUNT; i++)
            if (!strcmp(t, kind_names[i]))
                k = i;
        if (k < 0 || o->n_configs >= KIND_COUNT)
            return -1;
        o->configs[o->n_configs++] = k;
    }
    return o->n_configs ? 0 : -1;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    o->clip = DEFAULT_CLIP;
    o->frames = 300;
    o->fps = 30;
    o->pace = 1;
    o->phantom = 1;
    o->clip_runs = 1;
    o->range = RANGE_AUTO;
    o->n_rates = parse_list("1000,2000,4000", o->rates, MAX_RATES);
    parse_configs("tsn,plain", o);
    tsn_encoder_config_init(&o->over);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int used = 1;
        if (!strcmp(a, "--no-pace"))
            o->pace = 0, used = 0;
        else if (!strcmp(a, "--no-phantom"))
            o->phantom = 0, used = 0;
        else if (!strcmp(a, "--phantom-only"))
            o->clip_runs = 0, used = 0;
        else if (!v)
            return -1;
        else if (!strcmp(a, "--clip"))
            o->clip = v;
        else if (!strcmp(a, "--frames"))
            o->frames = atoi(v);
        else if (!strcmp(a, "--fps"))
            o->fps = atoi(v);
        else if (!strcmp(a, "--bitrates"))
            o->n_rates = parse_list(v, o->rates, MAX_RATES);
        else if (!strcmp(a, "--configs")) {
            if (parse_configs(v, o) < 0)
                return -1;
        } else if (!strcmp(a, "--preset"))
            o->over.x264_preset = v;
        else if (!strcmp(a, "--opts"))
            o->over.x264_options = v;
        else if (!strcmp(a, "--vbv-ms"))
            o->over.vbv_ms = atoi(v);
        else if (!strcmp(a, "--threads"))
            o->over.threads = atoi(v);
        else if (!strcmp(a, "--keyint"))
            o->over.keyframe_interval_frames = atoi(v);
        else if (!strcmp(a, "--enc-set"))
            o->enc_set = v;
        else if (!strcmp(a, "--cpu-used"))
            o->over.vp8_cpu_used = atoi(v);
        else if (!strcmp(a, "--range"))
            o->range = !strcmp(v, "full")      ? RANGE_FULL
                       : !strcmp(v, "limited") ? RANGE_LIMITED
                       : !strcmp(v, "squeeze") ? RANGE_SQUEEZE
                                               : -2;
        else
            return -1;
        i += used;
    }
    if (o->frames < 1 || o->fps < 1 || o->n_rates < 1 || o->range < -1)
        return -1;
    return 0;
}

static void print_summary(const struct opts *o, double tsn_db[], double plain_db[],
                          double default_db, double default_kbps)
{
    printf("{\"bench\":\"encode_summary\",\"default_kbps\":%d,", TSN_ENCODER_DEFAULT_BITRATE_KBPS);
    if (isnan(default_db))
        printf("\"default_psnr_y\":null,\"default_kbps_actual\":null,");
    else
        printf("\"default_psnr_y\":%.2f,\"default_kbps_actual\":%.1f,", default_db, default_kbps);
    printf("\"tsn_minus_plain_db\":{");
    for (int i = 0, first = 1; i < o->n_rates; i++) {
        if (isnan(tsn_db[i]) || isnan(plain_db[i]))
            continue;
        printf("%s\"%d\":%.2f", first ? "" : ",", o->rates[i], tsn_db[i] - plain_db[i]);
        first = 0;
    }
    printf("}}\n");
}

static int bench_clip(const struct opts *o)
{
    struct source clip = {.name = strrchr(o->clip, '/') ? strrchr(o->clip, '/') + 1 : o->clip};
    if (load_clip(o->clip, &clip) < 0)
        return 1;
    double tsn_db[MAX_RATES], plain_db[MAX_RATES], def_db = NAN, def_kbps = NAN;
    int rc = 0;
    for (int i = 0; i < o->n_rates; i++) {
        tsn_db[i] = plain_db[i] = NAN;
        for (int c = 0; c < o->n_configs; c++) {
            struct run res = {0};
            if (bench_one(o, (enum kind)o->configs[c], &clip, o->rates[i], &res) < 0) {
                rc = 1;
                continue;
            }
            if (o->configs[c] == KIND_TSN)
                tsn_db[i] = res.psnr_y;
            if (o->configs[c] == KIND_PLAIN)
                plain_db[i] = res.psnr_y;
            if (o->configs[c] == KIND_TSN && o->rates[i] == TSN_ENCODER_DEFAULT_BITRATE_KBPS) {
                def_db = res.psnr_y;
                def_kbps = res.kbps_actual;
            }
        }
    }
    print_summary(o, tsn_db, plain_db, def_db, def_kbps);
    for (int i = 0; i < clip.n_clip; i++)
        free(clip.clip[i]);
    free(clip.clip);
    return rc;
}

/* Phantom: render cost, then the default encoder's timing at two sizes. */
static int bench_phantom(const struct opts *o)
{
    static const int sizes[2][2] = {{640, 480}, {1280, 720}};
    int rc = 0;
    for (int s = 0; s < 2; s++) {
        int w = sizes[s][0], h = sizes[s][1];
        struct source src = {.name = "phantom", .w = w, .h = h};
        src.ph = tsn_phantom_new(w, h, 0, 1);
        src.scratch = malloc((size_t)w * (size_t)h);
        if (!src.ph || !src.scratch) {
            rc = 1;
            goto next;
        }
        double t[100];
        for (int i = 0; i < 100; i++) {
            double t0 = now_ms();
            tsn_phantom_render(src.ph, (uint64_t)i, o->fps, src.scratch, (size_t)w);
            t[i] = now_ms() - t0;
        }
        printf("{\"bench\":\"phantom_render\",\"width\":%d,\"height\":%d,\"ms_p50\":%.3f,"
               "\"ms_p95\":%.3f}\n",
               w, h, percentile(t, 100, 50), percentile(t, 100, 95));
        for (int c = 0; c < o->n_configs; c++)
            if (bench_one(o, (enum kind)o->configs[c], &src, TSN_ENCODER_DEFAULT_BITRATE_KBPS,
                          NULL) < 0)
                rc = 1;
    next:
        tsn_phantom_free(src.ph);
        free(src.scratch);
    }
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;
    gst_init(&argc, &argv);
    if (parse_args(argc, argv, &o) < 0) {
        fprintf(stderr, "usage: see the comment at the top of tests/bench/bench_encode.c\n");
        return 2;
    }
    int rc = 0;
    if (o.clip_runs)
        rc |= bench_clip(&o);
    if (o.phantom)
        rc |= bench_phantom(&o);
    return rc;
}
