/* The V4L2 source: a capture thread that negotiates a format with a video
 * device, streams from four mmap buffers, delivers frames in GStreamer's
 * default layout, and reopens the device after it was lost.
 *
 * Thread model: the source object is created and stopped by its owner's
 * thread; everything under `dev` and the retry state belong to the capture
 * thread alone. The two threads share only the stop eventfd (written once by
 * stop, never read) and the atomic counters. No mutex is needed.
 *
 * Not here: format conversion, scaling, masking and encoding (the pipeline
 * does them), multi-planar or DMABUF devices, controls (exposure, gain). */
#include "v4l2_source.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define WANT_BUFFERS 4u
#define MAX_BUFFERS  8u
#define WHY_LEN      320

struct buffer {
    void *mem; /* mmap'ed from the device; munmap'ed by close_device */
    size_t len;
};

/* One open device: everything close_device() undoes. */
struct device {
    int fd; /* -1 when closed */
    struct buffer bufs[MAX_BUFFERS];
    unsigned n_bufs;
    bool buffers_requested;
    bool streaming;
    struct tsn_v4l2_format fmt;
    uint8_t *pack; /* owned; NULL when the driver's layout is already GStreamer's */
    size_t pack_cap;
    size_t packed_size;
    bool warned_short; /* one warning per negotiation for short frames */
};

struct tsn_v4l2_source {
    struct tsn_v4l2_config cfg; /* cfg.device points at path */
    char *path;                 /* owned */
    const struct tsn_v4l2_ops *ops;
    tsn_v4l2_frame_cb on_frame;
    tsn_v4l2_state_cb on_state;
    void *user;
    int stop_fd; /* eventfd: readable once stop was asked for */
    pthread_t thread;
    bool started;
    bool joined;
    struct device dev; /* capture thread only */
    char last_retry_why[WHY_LEN];
    atomic_uint_fast64_t frames, dropped, reconnects;
};

/* ---- small helpers ---- */

static int64_t now_us(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int xioctl(const struct tsn_v4l2_ops *ops, int fd, unsigned long req, void *arg)
{
    return ops->ioctl(ops->ctx, fd, req, arg);
}

const char *tsn_v4l2_source_state_name(enum tsn_v4l2_state state)
{
    switch (state) {
    case TSN_V4L2_OPENING:
        return "opening";
    case TSN_V4L2_STREAMING:
        return "streaming";
    case TSN_V4L2_LOST:
        return "lost";
    case TSN_V4L2_RETRYING:
        return "retrying";
    case TSN_V4L2_FAILED:
        return "failed";
    }
    return "?";
}

/* ---- opening and closing ---- */

/* Raw frames whose layout is not GStreamer's get a repacking buffer. */
static int prepare_pack(struct tsn_v4l2_source *src, char *why, size_t len)
{
    struct device *d = &src->dev;
    if (tsn_v4l2_format_is_jpeg(d->fmt.fourcc))
        return 0;
    d->packed_size = tsn_v4l2_format_packed_size(&d->fmt);
    if (tsn_v4l2_format_is_gst_layout(&d->fmt))
        return 0;
    d->pack = calloc(1, d->packed_size);
    if (!d->pack) {
        snprintf(why, len, "out of memory for a %zu-byte frame", d->packed_size);
        return -ENOMEM;
    }
    d->pack_cap = d->packed_size;
    return 0;
}

static int map_buffers(struct tsn_v4l2_source *src, char *why, size_t len)
{
    struct device *d = &src->dev;
    struct v4l2_requestbuffers rb = {
        .count = WANT_BUFFERS, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
    int r = xioctl(src->ops, d->fd, VIDIOC_REQBUFS, &rb);
    if (r == -EINVAL) {
        snprintf(why, len, "%s does not support mmap streaming", src->path);
        return -EINVAL;
    }
    if (r < 0)
        return tsn_v4l2_negotiate_explain(r, src->path, "VIDIOC_REQBUFS", why, len);
    d->buffers_requested = true;
    if (rb.count < 2) {
        snprintf(why, len, "%s gave only %u buffers", src->path, rb.count);
        return -ENOMEM;
    }
    unsigned n = rb.count < MAX_BUFFERS ? rb.count : MAX_BUFFERS;
    for (unsigned i = 0; i < n; i++) {
        struct v4l2_buffer b = {
            .index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
        r = xioctl(src->ops, d->fd, VIDIOC_QUERYBUF, &b);
        if (r < 0)
            return tsn_v4l2_negotiate_explain(r, src->path, "VIDIOC_QUERYBUF", why, len);
        void *mem = NULL;
        r = src->ops->mmap(src->ops->ctx, d->fd, b.length, (off_t)b.m.offset, &mem);
        if (r < 0)
            return tsn_v4l2_negotiate_explain(r, src->path, "mmap", why, len);
        d->bufs[i] = (struct buffer){mem, b.length};
        d->n_bufs = i + 1;
    }
    for (unsigned i = 0; i < n; i++) {
        struct v4l2_buffer b = {
            .index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
        r = xioctl(src->ops, d->fd, VIDIOC_QBUF, &b);
        if (r < 0)
            return tsn_v4l2_negotiate_explain(r, src->path, "VIDIOC_QBUF", why, len);
    }
    return 0;
}

static int stream_on(struct tsn_v4l2_source *src, char *why, size_t len)
{
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    int r = xioctl(src->ops, src->dev.fd, VIDIOC_STREAMON, &type);
    if (r < 0)
        return tsn_v4l2_negotiate_explain(r, src->path, "VIDIOC_STREAMON", why, len);
    src->dev.streaming = true;
    return 0;
}

/* Undoes open_device in reverse; errors are ignored (the device may be gone). */
static void close_device(struct tsn_v4l2_source *src)
{
    struct device *d = &src->dev;
    if (d->fd < 0)
        return;
    if (d->streaming) {
        int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        xioctl(src->ops, d->fd, VIDIOC_STREAMOFF, &type);
    }
    for (unsigned i = 0; i < d->n_bufs; i++)
        src->ops->munmap(src->ops->ctx, d->bufs[i].mem, d->bufs[i].len);
    if (d->buffers_requested) {
        struct v4l2_requestbuffers rb = {
            .count = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
        xioctl(src->ops, d->fd, VIDIOC_REQBUFS, &rb);
    }
    src->ops->close(src->ops->ctx, d->fd);
    free(d->pack);
    memset(d, 0, sizeof *d);
    d->fd = -1;
}

/* Opens and negotiates; on failure everything is closed again and why says
 * what went wrong. */
static int open_device(struct tsn_v4l2_source *src, char *why, size_t len)
{
    int fd = src->ops->open(src->ops->ctx, src->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return tsn_v4l2_negotiate_explain(fd, src->path, "open", why, len);
    src->dev.fd = fd;
    const struct tsn_v4l2_want want = {src->cfg.width, src->cfg.height, src->cfg.fps,
                                       src->cfg.fourcc};
    int r = tsn_v4l2_negotiate(src->ops, fd, src->path, &want, &src->dev.fmt, why, len);
    if (r == 0)
        r = prepare_pack(src, why, len);
    if (r == 0)
        r = map_buffers(src, why, len);
    if (r == 0)
        r = stream_on(src, why, len);
    if (r < 0)
        close_device(src);
    return r;
}

/* ---- streaming ---- */

/* The driver's timestamp as CLOCK_REALTIME: a monotonic stamp is moved by
 * the current offset between the clocks; anything else (or an implausible
 * stamp) becomes "now". */
static int64_t capture_time_us(const struct v4l2_buffer *b)
{
    int64_t real = now_us(CLOCK_REALTIME);
    if ((b->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) != V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
        return real;
    int64_t stamp = (int64_t)b->timestamp.tv_sec * 1000000 + b->timestamp.tv_usec;
    int64_t age = now_us(CLOCK_MONOTONIC) - stamp;
    if (stamp <= 0 || age < 0 || age > 10 * 1000000)
        return real;
    return real - age;
}

static void deliver(struct tsn_v4l2_source *src, const struct v4l2_buffer *b)
{
    struct device *d = &src->dev;
    const struct buffer *buf = &d->bufs[b->index];
    size_t used = b->bytesused < buf->len ? b->bytesused : buf->len;
    struct tsn_v4l2_frame f = {
        .fmt = d->fmt, .capture_time_us = capture_time_us(b), .sequence = b->sequence};
    if (b->flags & V4L2_BUF_FLAG_ERROR)
        goto drop;
    if (tsn_v4l2_format_is_jpeg(d->fmt.fourcc)) {
        if (used == 0)
            goto short_frame;
        f.data = buf->mem;
        f.size_bytes = used;
    } else if (d->pack) {
        int n = tsn_v4l2_format_pack(&d->fmt, buf->mem, used, d->pack, d->pack_cap);
        if (n < 0)
            goto short_frame;
        f.data = d->pack;
        f.size_bytes = (size_t)n;
    } else {
        if (used < d->packed_size)
            goto short_frame;
        f.data = buf->mem;
        f.size_bytes = d->packed_size;
    }
    src->on_frame(&f, src->user);
    atomic_fetch_add(&src->frames, 1);
    return;
short_frame:
    if (!d->warned_short)
        tsn_warn("[v4l2 %s] dropping short frames (%zu bytes, %zu expected)", src->path, used,
                 d->packed_size);
    d->warned_short = true;
drop:
    atomic_fetch_add(&src->dropped, 1);
}

/* Takes one filled buffer, delivers it and queues it again. Returns 1 for a
 * buffer, 0 for none ready, or a negative errno when the device is lost. */
static int dequeue(struct tsn_v4l2_source *src, char *why, size_t len)
{
    struct device *d = &src->dev;
    struct v4l2_buffer b = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
    int r = xioctl(src->ops, d->fd, VIDIOC_DQBUF, &b);
    if (r == -EAGAIN || r == -EINTR)
        return 0;
    if (r < 0)
        return tsn_v4l2_negotiate_explain(r, src->path, "VIDIOC_DQBUF", why, len);
    if (b.index >= d->n_bufs) {
        snprintf(why, len, "%s returned buffer %u of %u", src->path, b.index, d->n_bufs);
        return -EIO;
    }
    deliver(src, &b);
    struct v4l2_buffer q = {
        .index = b.index, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
    r = xioctl(src->ops, d->fd, VIDIOC_QBUF, &q);
    if (r < 0)
        return tsn_v4l2_negotiate_explain(r, src->path, "VIDIOC_QBUF", why, len);
    return 1;
}

/* Polls and dequeues until stopped (returns 1) or the device is lost
 * (returns a negative errno, why says how). */
static int stream_frames(struct tsn_v4l2_source *src, char *why, size_t len)
{
    const int timeout_ms = src->cfg.frame_timeout_ms;
    int64_t last_us = now_us(CLOCK_MONOTONIC);
    for (;;) {
        int64_t left_ms = timeout_ms - (now_us(CLOCK_MONOTONIC) - last_us) / 1000;
        if (left_ms <= 0) {
            snprintf(why, len, "no frame from %s for %d ms (cable, signal or driver lost?)",
                     src->path, timeout_ms);
            return -ETIMEDOUT;
        }
        struct pollfd p[2] = {{.fd = src->dev.fd, .events = POLLIN},
                              {.fd = src->stop_fd, .events = POLLIN}};
        int r = src->ops->poll(src->ops->ctx, p, 2, (int)left_ms);
        if (r == -EINTR)
            continue;
        if (r < 0)
            return tsn_v4l2_negotiate_explain(r, src->path, "poll", why, len);
        if (p[1].revents)
            return 1;
        if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
            snprintf(why, len, "device %s was unplugged (poll reported an error)", src->path);
            return -ENODEV;
        }
        if (!(p[0].revents & POLLIN))
            continue;
        r = dequeue(src, why, len);
        if (r < 0)
            return r;
        if (r > 0)
            last_us = now_us(CLOCK_MONOTONIC);
    }
}

/* ---- the capture thread ---- */

static void emit(struct tsn_v4l2_source *src, enum tsn_v4l2_state state, int err, const char *why,
                 const struct tsn_v4l2_format *fmt, int retry_in_ms)
{
    if (!src->on_state)
        return;
    struct tsn_v4l2_event ev = {
        .state = state, .err = err, .why = why, .fmt = fmt, .retry_in_ms = retry_in_ms};
    src->on_state(&ev, src->user);
}

/* Waits ms unless stop is asked for first; returns true when stopped. */
static bool wait_for_stop(struct tsn_v4l2_source *src, int ms)
{
    const int64_t end_us = now_us(CLOCK_MONOTONIC) + (int64_t)ms * 1000;
    for (;;) {
        int64_t left_us = end_us - now_us(CLOCK_MONOTONIC);
        if (left_us <= 0)
            return false;
        struct pollfd p = {.fd = src->stop_fd, .events = POLLIN};
        int r = src->ops->poll(src->ops->ctx, &p, 1, (int)((left_us + 999) / 1000));
        if (r > 0)
            return true;
        if (r < 0 && r != -EINTR) {
            /* poll itself failing is no reason to spin on open(). */
            struct timespec ts = {left_us / 1000000, (left_us % 1000000) * 1000};
            nanosleep(&ts, NULL);
            return false;
        }
    }
}

/* Streams from an opened device until stopped (1) or lost (negative errno). */
static int run_stream(struct tsn_v4l2_source *src, bool resumed, char *why, size_t len)
{
    struct device *d = &src->dev;
    char caps[160], name[5];
    if (tsn_v4l2_format_caps(&d->fmt, caps, sizeof caps) < 0)
        caps[0] = '\0';
    char stride[40] = "";
    if (d->fmt.bytesperline)
        snprintf(stride, sizeof stride, ", stride %u%s", d->fmt.bytesperline,
                 d->pack ? " repacked" : "");
    tsn_info("[v4l2 %s] streaming %s (%s%s, %u buffers)", src->path, caps,
             tsn_v4l2_fourcc_name(d->fmt.fourcc, name), stride, d->n_bufs);
    if (resumed)
        atomic_fetch_add(&src->reconnects, 1);
    src->last_retry_why[0] = '\0';
    struct tsn_v4l2_format fmt = d->fmt;
    emit(src, TSN_V4L2_STREAMING, 0, caps, &fmt, 0);
    int r = stream_frames(src, why, len);
    close_device(src);
    if (r > 0)
        return 1;
    tsn_warn("[v4l2 %s] lost: %s; retrying until it is back", src->path, why);
    snprintf(src->last_retry_why, sizeof src->last_retry_why, "%s", why); /* said once */
    emit(src, TSN_V4L2_LOST, r, why, NULL, 0);
    return r;
}

static void log_retry(struct tsn_v4l2_source *src, const char *why, int delay_ms)
{
    /* A missing device is retried every 2 s for as long as it is away:
     * say so once per reason, not once per attempt. */
    if (strcmp(src->last_retry_why, why) != 0) {
        tsn_warn("[v4l2 %s] %s; retrying until it is back", src->path, why);
        snprintf(src->last_retry_why, sizeof src->last_retry_why, "%s", why);
    } else {
        tsn_debug("[v4l2 %s] still failing, next try in %d ms", src->path, delay_ms);
    }
}

static void *capture_main(void *arg)
{
    struct tsn_v4l2_source *src = arg;
    const struct tsn_v4l2_config *cfg = &src->cfg;
    char why[WHY_LEN];
    bool streamed = false;
    int delay_ms = cfg->retry_initial_ms;
    for (;;) {
        why[0] = '\0';
        emit(src, TSN_V4L2_OPENING, 0, "", NULL, 0);
        int r = open_device(src, why, sizeof why);
        if (r == 0) {
            if (run_stream(src, streamed, why, sizeof why) > 0)
                break;
            streamed = true;
            delay_ms = cfg->retry_initial_ms;
        } else if (!streamed && (tsn_v4l2_negotiate_is_permanent(r) || !cfg->wait_for_device)) {
            tsn_err("[v4l2 %s] %s", src->path, why);
            emit(src, TSN_V4L2_FAILED, r, why, NULL, 0);
            break;
        }
        if (r == 0)
            r = -ENODEV;
        log_retry(src, why, delay_ms);
        emit(src, TSN_V4L2_RETRYING, r, why, NULL, delay_ms);
        if (wait_for_stop(src, delay_ms))
            break;
        delay_ms = delay_ms * 2 > cfg->retry_max_ms ? cfg->retry_max_ms : delay_ms * 2;
    }
    return NULL;
}

/* ---- the public object ---- */

struct tsn_v4l2_source *tsn_v4l2_source_new(const struct tsn_v4l2_config *cfg,
                                            const struct tsn_v4l2_ops *ops,
                                            tsn_v4l2_frame_cb on_frame, tsn_v4l2_state_cb on_state,
                                            void *user)
{
    if (!cfg || !cfg->device || !cfg->device[0] || !ops || !on_frame)
        return NULL;
    if (cfg->fourcc && !tsn_v4l2_format_accepted(cfg->fourcc))
        return NULL;
    struct tsn_v4l2_source *src = calloc(1, sizeof *src);
    if (!src)
        return NULL;
    src->path = strdup(cfg->device);
    src->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!src->path || src->stop_fd < 0)
        goto fail;
    src->cfg = *cfg;
    src->cfg.device = src->path;
    if (src->cfg.retry_initial_ms <= 0)
        src->cfg.retry_initial_ms = 250;
    if (src->cfg.retry_max_ms <= 0)
        src->cfg.retry_max_ms = 2000;
    if (src->cfg.retry_max_ms < src->cfg.retry_initial_ms)
        src->cfg.retry_max_ms = src->cfg.retry_initial_ms;
    if (src->cfg.frame_timeout_ms <= 0)
        src->cfg.frame_timeout_ms = 2000;
    src->ops = ops;
    src->on_frame = on_frame;
    src->on_state = on_state;
    src->user = user;
    src->dev.fd = -1;
    atomic_init(&src->frames, 0);
    atomic_init(&src->dropped, 0);
    atomic_init(&src->reconnects, 0);
    return src;
fail:
    if (src->stop_fd >= 0)
        close(src->stop_fd);
    free(src->path);
    free(src);
    return NULL;
}

int tsn_v4l2_source_start(struct tsn_v4l2_source *src)
{
    if (src->started)
        return -EALREADY;
    int r = pthread_create(&src->thread, NULL, capture_main, src);
    if (r != 0)
        return -r;
    src->started = true;
    return 0;
}

void tsn_v4l2_source_stop(struct tsn_v4l2_source *src)
{
    if (!src || !src->started || src->joined)
        return;
    uint64_t one = 1;
    ssize_t w = write(src->stop_fd, &one, sizeof one);
    (void)w; /* an eventfd write of 1 cannot fail short of overflow */
    pthread_join(src->thread, NULL);
    src->joined = true;
}

void tsn_v4l2_source_free(struct tsn_v4l2_source *src)
{
    if (!src)
        return;
    tsn_v4l2_source_stop(src);
    close(src->stop_fd);
    free(src->path);
    free(src);
}

void tsn_v4l2_source_stats(const struct tsn_v4l2_source *src, struct tsn_v4l2_stats *out)
{
    out->frames = atomic_load(&src->frames);
    out->dropped = atomic_load(&src->dropped);
    out->reconnects = atomic_load(&src->reconnects);
}
