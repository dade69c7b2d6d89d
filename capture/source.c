/* Capture sources (see source.h). */
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdatomic.h>
#include <time.h>

#include <gst/video/video.h>

#include "clip.h"
#include "exit_codes.h"
#include "log.h"
#include "phantom.h"
#include "v4l2_source.h"

#define MAX_CLIP_BYTES ((size_t)1 << 30)

struct tsn_source {
    struct tsn_source_info info;
    tsn_source_frame_cb cb;
    void *user;
    struct tsn_phantom *phantom;
    struct tsn_clip *clip;
    struct tsn_v4l2_source *v4l2;
    GstCaps *caps;      /* phantom/file frames */
    GMutex v4l2_lock;   /* protects v4l2_caps (set on STREAMING, read per frame) */
    GstCaps *v4l2_caps; /* caps of the format the device streams now */
    tsn_source_failed_cb failed;
    GThread *thread;
    gint stop;        /* atomic; set under stop_lock */
    GMutex stop_lock; /* with stop_cond: wakes the pacing thread to stop */
    GCond stop_cond;
    atomic_uint_fast64_t frames;
};

static int64_t realtime_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void emit(struct tsn_source *s, GstBuffer *buf, GstCaps *caps, uint64_t index,
                 int64_t capture_us)
{
    atomic_fetch_add(&s->frames, 1);
    s->cb(buf, caps, index, capture_us, s->user);
}

/* ---- paced sources: phantom and file ---- */

static GstBuffer *phantom_frame(struct tsn_source *s, uint64_t index)
{
    int w = s->info.width, h = s->info.height;
    GstBuffer *buf = gst_buffer_new_allocate(NULL, (gsize)GST_ROUND_UP_4(w) * h, NULL);
    GstMapInfo map;
    gst_buffer_map(buf, &map, GST_MAP_WRITE);
    tsn_phantom_render(s->phantom, index, (double)s->info.fps_num / s->info.fps_den, map.data,
                       GST_ROUND_UP_4(w));
    gst_buffer_unmap(buf, &map);
    return buf;
}

static gpointer pace(gpointer data)
{
    struct tsn_source *s = data;
    const int64_t period_ns = (int64_t)1000000000 * s->info.fps_den / s->info.fps_num;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (uint64_t i = 0; !g_atomic_int_get(&s->stop); i++) {
        int64_t capture_us = realtime_us();
        GstBuffer *buf;
        uint64_t index = i;
        if (s->phantom) {
            buf = phantom_frame(s, i);
        } else {
            index = i % (uint64_t)s->clip->n_frames;
            /* A new buffer sharing the clip's memory: its metadata is ours. */
            buf = gst_buffer_copy(s->clip->frames[index]);
        }
        emit(s, buf, s->caps, index, capture_us);
        next.tv_nsec += period_ns;
        while (next.tv_nsec >= 1000000000) {
            next.tv_nsec -= 1000000000;
            next.tv_sec++;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        /* Far behind (a stalled machine): restart the schedule from now
         * rather than bursting the missed frames. */
        if ((now.tv_sec - next.tv_sec) * 1000000000LL + (now.tv_nsec - next.tv_nsec) >
            period_ns * 4)
            next = now;
        /* Sleep until the deadline, or until tsn_source_free asks to stop
         * (a 1 fps source must not take a second to stop). g_get_monotonic_time
         * is CLOCK_MONOTONIC in microseconds. */
        gint64 deadline_us = (gint64)next.tv_sec * 1000000 + next.tv_nsec / 1000;
        g_mutex_lock(&s->stop_lock);
        while (!g_atomic_int_get(&s->stop) &&
               g_cond_wait_until(&s->stop_cond, &s->stop_lock, deadline_us))
            ;
        g_mutex_unlock(&s->stop_lock);
    }
    return NULL;
}

static int open_phantom(struct tsn_source *s, const struct tsn_capture_opts *o, char *why,
                        size_t why_len)
{
    s->phantom = tsn_phantom_new(s->info.width, s->info.height, o->depth_mm, 1);
    if (!s->phantom) {
        snprintf(why, why_len,
                 "the phantom cannot be %dx%d at %.0f mm depth (even sizes from 64x64 to "
                 "3840x2160, depth 40..300 mm)",
                 s->info.width, s->info.height, o->depth_mm ? o->depth_mm : 80.0);
        return -EINVAL;
    }
    s->info.gray = 1;
    s->info.spacing_mm = tsn_phantom_pixel_spacing_mm(s->phantom);
    s->info.depth_mm = o->depth_mm ? o->depth_mm : TSN_PHANTOM_DEFAULT_DEPTH_MM;
    s->caps =
        gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "GRAY8", "width", G_TYPE_INT,
                            s->info.width, "height", G_TYPE_INT, s->info.height, "framerate",
                            GST_TYPE_FRACTION, s->info.fps_num, s->info.fps_den, NULL);
    return 0;
}

static int open_clip(struct tsn_source *s, const struct tsn_capture_opts *o, char *why,
                     size_t why_len)
{
    int rc = tsn_clip_load(o->source_path, MAX_CLIP_BYTES, &s->clip, why, why_len);
    if (rc)
        return rc;
    s->info.width = s->clip->width;
    s->info.height = s->clip->height;
    s->info.gray = s->clip->gray;
    if (!s->info.fps_num) {
        s->info.fps_num = s->clip->fps_num > 0 ? s->clip->fps_num : 30;
        s->info.fps_den = s->clip->fps_num > 0 ? s->clip->fps_den : 1;
    }
    /* The clip plays at the chosen rate, each frame once. */
    s->caps = gst_caps_copy(s->clip->caps);
    gst_caps_set_simple(s->caps, "framerate", GST_TYPE_FRACTION, s->info.fps_num, s->info.fps_den,
                        NULL);
    tsn_info("[source] clip: %d frames of %dx%d %s, played at %.2f fps", s->clip->n_frames,
             s->info.width, s->info.height, s->info.gray ? "GRAY8" : "colour",
             (double)s->info.fps_num / s->info.fps_den);
    return 0;
}

/* ---- V4L2 ---- */

/* The test seam of tsn_source_set_v4l2_ops(); NULL: the system ops. */
static _Atomic(const struct tsn_v4l2_ops *) v4l2_ops_for_tests;

void tsn_source_set_v4l2_ops(const struct tsn_v4l2_ops *ops)
{
    atomic_store(&v4l2_ops_for_tests, ops);
}

static void v4l2_frame(const struct tsn_v4l2_frame *f, void *user)
{
    struct tsn_source *s = user;
    g_mutex_lock(&s->v4l2_lock);
    GstCaps *caps = s->v4l2_caps ? gst_caps_ref(s->v4l2_caps) : NULL;
    g_mutex_unlock(&s->v4l2_lock);
    if (!caps)
        return;
    emit(s, gst_buffer_new_memdup(f->data, f->size_bytes), caps, f->sequence, f->capture_time_us);
    gst_caps_unref(caps);
}

/* The device streams a (new) format: its caps, parsed once. */
static void v4l2_streaming(struct tsn_source *s, const struct tsn_v4l2_format *fmt)
{
    char text[160], fourcc[5];
    GstCaps *caps =
        tsn_v4l2_format_caps(fmt, text, sizeof text) >= 0 ? gst_caps_from_string(text) : NULL;
    g_mutex_lock(&s->v4l2_lock);
    gst_caps_replace(&s->v4l2_caps, caps);
    g_mutex_unlock(&s->v4l2_lock);
    if (caps)
        gst_caps_unref(caps);
    s->info.gray = fmt->fourcc == 0x59455247; /* 'GREY' */
    tsn_info("[source] streaming %s %ux%u at %u/%u fps", tsn_v4l2_fourcc_name(fmt->fourcc, fourcc),
             fmt->width, fmt->height, fmt->fps_num, fmt->fps_den);
}

static void v4l2_state(const struct tsn_v4l2_event *ev, void *user)
{
    struct tsn_source *s = user;
    switch (ev->state) {
    case TSN_V4L2_STREAMING:
        v4l2_streaming(s, ev->fmt);
        break;
    case TSN_V4L2_LOST:
        tsn_warn("[source] %s", ev->why);
        break;
    case TSN_V4L2_RETRYING: /* the device layer already warned once per reason */
        tsn_debug("[source] retrying in %d ms", ev->retry_in_ms);
        break;
    case TSN_V4L2_FAILED:
        tsn_err("[source] %s", ev->why);
        if (s->failed)
            s->failed(ev->why, s->user);
        break;
    default:
        break;
    }
}

static int open_v4l2(struct tsn_source *s, const struct tsn_capture_opts *o, int *exit_code,
                     char *why, size_t why_len)
{
    const struct tsn_v4l2_ops *ops = atomic_load(&v4l2_ops_for_tests);
    if (!ops)
        ops = tsn_v4l2_ops_system();
    if (!o->wait_for_device) {
        int rc = tsn_v4l2_probe(o->source_path, ops, why, why_len);
        if (rc != 0) {
            *exit_code = TSN_EXIT_SOURCE;
            return rc;
        }
        tsn_info("[source] %s", why);
    }
    struct tsn_v4l2_config cfg = {
        .device = o->source_path,
        .width = (uint32_t)o->width,
        .height = (uint32_t)o->height,
        .fps = o->fps_num ? (uint32_t)(o->fps_num / o->fps_den) : 0,
        .wait_for_device = o->wait_for_device,
    };
    s->v4l2 = tsn_v4l2_source_new(&cfg, ops, v4l2_frame, v4l2_state, s);
    if (!s->v4l2) {
        snprintf(why, why_len, "cannot set up the V4L2 source");
        return -ENOMEM;
    }
    return 0;
}

/* ---- lifetime ---- */

struct tsn_source *tsn_source_new(const struct tsn_capture_opts *o, tsn_source_frame_cb cb,
                                  tsn_source_failed_cb failed, void *user, int *exit_code,
                                  char *why, size_t why_len)
{
    struct tsn_source *s = g_new0(struct tsn_source, 1);
    g_mutex_init(&s->v4l2_lock);
    g_mutex_init(&s->stop_lock);
    g_cond_init(&s->stop_cond);
    s->failed = failed;
    s->cb = cb;
    s->user = user;
    s->info.width = o->width;
    s->info.height = o->height;
    s->info.fps_num = o->fps_num;
    s->info.fps_den = o->fps_den ? o->fps_den : 1;
    *exit_code = TSN_EXIT_SOURCE;
    int rc;
    switch (o->source) {
    case TSN_SOURCE_PHANTOM:
        s->info.kind = "phantom";
        *exit_code = TSN_EXIT_USAGE;
        rc = open_phantom(s, o, why, why_len);
        break;
    case TSN_SOURCE_FILE:
        s->info.kind = "file";
        rc = open_clip(s, o, why, why_len);
        break;
    default:
        s->info.kind = "v4l2";
        rc = open_v4l2(s, o, exit_code, why, why_len);
        break;
    }
    if (rc != 0) {
        tsn_source_free(s);
        return NULL;
    }
    return s;
}

int tsn_source_start(struct tsn_source *s, char *why, size_t why_len)
{
    if (s->v4l2) {
        int rc = tsn_v4l2_source_start(s->v4l2);
        if (rc)
            snprintf(why, why_len, "cannot start the V4L2 capture thread: %s", strerror(-rc));
        return rc;
    }
    s->thread = g_thread_new("tsn-source", pace, s);
    return 0;
}

void tsn_source_info(const struct tsn_source *s, struct tsn_source_info *out)
{
    *out = s->info;
}

uint64_t tsn_source_frames(const struct tsn_source *s)
{
    return (uint64_t)atomic_load(&s->frames);
}

void tsn_source_free(struct tsn_source *s)
{
    if (!s)
        return;
    if (s->thread) {
        g_mutex_lock(&s->stop_lock);
        g_atomic_int_set(&s->stop, 1);
        g_cond_signal(&s->stop_cond);
        g_mutex_unlock(&s->stop_lock);
        g_thread_join(s->thread);
    }
    if (s->v4l2) {
        tsn_v4l2_source_stop(s->v4l2);
        tsn_v4l2_source_free(s->v4l2);
    }
    tsn_phantom_free(s->phantom);
    tsn_clip_free(s->clip);
    if (s->caps)
        gst_caps_unref(s->caps);
    if (s->v4l2_caps)
        gst_caps_unref(s->v4l2_caps);
    g_mutex_clear(&s->v4l2_lock);
    g_mutex_clear(&s->stop_lock);
    g_cond_clear(&s->stop_cond);
    g_free(s);
}
