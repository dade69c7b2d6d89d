/* A fake V4L2 device behind struct tsn_v4l2_ops, for the V4L2 unit tests
 * (this machine's kernel has no V4L2 at all).
 *
 * The test configures what the device offers (formats, sizes, rates, a row
 * padding) and scripts faults (missing node, EBUSY/EACCES at open, EBUSY at
 * S_FMT/REQBUFS/STREAMON, not a capture device, a stall, an unplug). It
 * implements the ioctls the source uses, with buffers in malloc'ed memory
 * that "mmap" hands out, frames that become ready every frame_interval_ms,
 * and a poll that waits on the caller's real fds (the source's stop
 * eventfd) while it computes the fake fd's readiness.
 *
 * Frame bytes are a pattern of the sequence number, row and column
 * (mock_v4l2_pixel), with 0xEE in the driver's row padding, so a test can
 * check every delivered byte and that the padding is gone. MJPEG frames
 * are FF D8 ... FF D9 of mock_v4l2_jpeg_len(seq) bytes.
 *
 * Every field is protected by mu: the capture thread calls the ops while
 * the test thread unplugs and replugs. Header-only; each test includes it
 * once. */
#ifndef TSN_MOCK_V4L2_H
#define TSN_MOCK_V4L2_H

#include <errno.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "v4l2_ops.h"

#define MOCK_FD_BASE   1000 /* fake fds: far above any real fd of a test */
#define MOCK_MAX_FMTS  8
#define MOCK_MAX_SIZES 8
#define MOCK_MAX_RATES 8
#define MOCK_MAX_BUFS  8
#define MOCK_PAGE      4096u
#define MOCK_FN        static __attribute__((unused))

struct mock_size {
    uint32_t w, h;
};

struct mock_fmt {
    uint32_t fourcc;
    struct mock_size sizes[MOCK_MAX_SIZES];
    int n_sizes;
    bool stepwise;                  /* sizes[0] is the minimum, sizes[1] the maximum, step 16x8 */
    uint32_t rates[MOCK_MAX_RATES]; /* fps at every size of this format; none: the device's */
    int n_rates;
};

struct mock_buf {
    uint8_t *mem;
    size_t len;
    bool mapped;
};

struct mock_v4l2 {
    pthread_mutex_t mu; /* protects everything below */
    /* ---- the device, as the test configures it ---- */
    char path[64];
    bool present;  /* the node exists (false: open gives ENOENT) */
    int open_err;  /* open fails with this negative errno */
    bool not_v4l2; /* QUERYCAP gives ENOTTY */
    uint32_t caps; /* QUERYCAP device_caps */
    struct mock_fmt fmts[MOCK_MAX_FMTS];
    int n_fmts;
    uint32_t rates[MOCK_MAX_RATES]; /* fps offered for every size; none: no ENUM_FRAMEINTERVALS */
    int n_rates;
    bool timeperframe;   /* S_PARM works */
    uint32_t stride_pad; /* bytes of padding the driver adds to each row */
    int sfmt_err, reqbufs_err, streamon_err;
    unsigned bufs_given; /* REQBUFS grants at most this many */
    int frame_interval_ms;
    bool stalled;        /* streaming, but no frame ever becomes ready */
    int error_every;     /* every Nth frame carries V4L2_BUF_FLAG_ERROR (0: none) */
    short stale_revents; /* what poll says about an unplugged fd (POLLIN or POLLERR) */
    /* ---- state ---- */
    int gen; /* bumped by unplug; fds of an older generation are dead */
    int open_fds, max_open_fds, opens;
    struct v4l2_pix_format cur;
    struct v4l2_fract tpf;
    struct mock_buf bufs[MOCK_MAX_BUFS];
    unsigned n_bufs;
    unsigned queue[MOCK_MAX_BUFS]; /* FIFO of queued buffer indexes */
    unsigned n_queued;
    bool streaming;
    uint32_t seq;
    int64_t next_frame_us;
    int mapped;      /* live mappings */
    int leaked_maps; /* mappings still live at close */
    int sfmt_calls;
};

static inline int64_t mock_now_us(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

MOCK_FN uint8_t mock_v4l2_pixel(uint32_t seq, uint32_t row, uint32_t col)
{
    return (uint8_t)(seq * 7u + row * 3u + col);
}

MOCK_FN size_t mock_v4l2_jpeg_len(uint32_t seq)
{
    return 1000 + seq % 7;
}

/* A plugged-in capture device at path offering nothing yet. */
MOCK_FN void mock_v4l2_init(struct mock_v4l2 *m, const char *path)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    snprintf(m->path, sizeof m->path, "%s", path);
    m->present = true;
    m->caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
    m->timeperframe = true;
    m->bufs_given = 4;
    m->frame_interval_ms = 5;
    m->stale_revents = POLLIN;
    m->tpf = (struct v4l2_fract){1, 30};
}

MOCK_FN void mock_v4l2_add_format(struct mock_v4l2 *m, uint32_t fourcc, const struct mock_size *sz,
                                  int n)
{
    struct mock_fmt *f = &m->fmts[m->n_fmts++];
    f->fourcc = fourcc;
    for (int i = 0; i < n; i++)
        f->sizes[i] = sz[i];
    f->n_sizes = n;
}

MOCK_FN void mock_v4l2_free_bufs(struct mock_v4l2 *m)
{
    for (unsigned i = 0; i < m->n_bufs; i++) {
        if (m->bufs[i].mapped)
            continue; /* still mapped: kept alive like the kernel does */
        free(m->bufs[i].mem);
        m->bufs[i].mem = NULL;
    }
    m->n_bufs = 0;
    m->n_queued = 0;
}

MOCK_FN void mock_v4l2_destroy(struct mock_v4l2 *m)
{
    for (unsigned i = 0; i < MOCK_MAX_BUFS; i++)
        free(m->bufs[i].mem);
    pthread_mutex_destroy(&m->mu);
}

/* The device disappears: its fds die, the node is gone. */
MOCK_FN void mock_v4l2_unplug(struct mock_v4l2 *m)
{
    pthread_mutex_lock(&m->mu);
    m->present = false;
    m->gen++;
    m->streaming = false;
    pthread_mutex_unlock(&m->mu);
}

MOCK_FN void mock_v4l2_replug(struct mock_v4l2 *m)
{
    pthread_mutex_lock(&m->mu);
    m->present = true;
    pthread_mutex_unlock(&m->mu);
}

MOCK_FN void mock_v4l2_set_stalled(struct mock_v4l2 *m, bool stalled)
{
    pthread_mutex_lock(&m->mu);
    m->stalled = stalled;
    pthread_mutex_unlock(&m->mu);
}

MOCK_FN void mock_v4l2_set_open_err(struct mock_v4l2 *m, int err)
{
    pthread_mutex_lock(&m->mu);
    m->open_err = err;
    pthread_mutex_unlock(&m->mu);
}

/* ---- the ops ---- */

static const struct mock_fmt *mock_find(const struct mock_v4l2 *m, uint32_t fourcc)
{
    for (int i = 0; i < m->n_fmts; i++)
        if (m->fmts[i].fourcc == fourcc)
            return &m->fmts[i];
    return NULL;
}

static bool mock_live(const struct mock_v4l2 *m, int fd)
{
    return m->present && fd == MOCK_FD_BASE + m->gen;
}

static int mock_open(void *ctx, const char *path, int flags)
{
    struct mock_v4l2 *m = ctx;
    (void)flags;
    pthread_mutex_lock(&m->mu);
    int r;
    if (!m->present || strcmp(path, m->path) != 0)
        r = -ENOENT;
    else if (m->open_err)
        r = m->open_err;
    else {
        r = MOCK_FD_BASE + m->gen;
        m->opens++;
        if (++m->open_fds > m->max_open_fds)
            m->max_open_fds = m->open_fds;
    }
    pthread_mutex_unlock(&m->mu);
    return r;
}

static int mock_close(void *ctx, int fd)
{
    struct mock_v4l2 *m = ctx;
    pthread_mutex_lock(&m->mu);
    (void)fd;
    m->open_fds--;
    for (unsigned i = 0; i < m->n_bufs; i++)
        m->leaked_maps += m->bufs[i].mapped;
    m->streaming = false;
    mock_v4l2_free_bufs(m);
    pthread_mutex_unlock(&m->mu);
    return 0;
}

/* The rates offered for a format: its own, else the device-wide ones. */
static const uint32_t *mock_rates(const struct mock_v4l2 *m, uint32_t fourcc, int *n)
{
    const struct mock_fmt *f = mock_find(m, fourcc);
    if (f && f->n_rates) {
        *n = f->n_rates;
        return f->rates;
    }
    *n = m->n_rates;
    return m->rates;
}

static uint32_t mock_row_bytes(uint32_t fourcc, uint32_t w)
{
    switch (fourcc) {
    case V4L2_PIX_FMT_GREY:
        return w;
    case V4L2_PIX_FMT_NV12:
        return (w + 1) / 2 * 2;
    case V4L2_PIX_FMT_YUYV:
        return (w + 1) / 2 * 4;
    default:
        return 0;
    }
}

static uint32_t mock_rows(uint32_t fourcc, uint32_t h)
{
    return fourcc == V4L2_PIX_FMT_NV12 ? h + (h + 1) / 2 : h;
}

static void mock_s_fmt(struct mock_v4l2 *m, struct v4l2_pix_format *p)
{
    const struct mock_fmt *f = mock_find(m, p->pixelformat);
    if (!f)
        f = &m->fmts[0];
    uint32_t w = f->sizes[0].w, h = f->sizes[0].h;
    if (f->stepwise) {
        w = p->width < f->sizes[0].w   ? f->sizes[0].w
            : p->width > f->sizes[1].w ? f->sizes[1].w
                                       : p->width;
        h = p->height < f->sizes[0].h   ? f->sizes[0].h
            : p->height > f->sizes[1].h ? f->sizes[1].h
                                        : p->height;
    } else {
        for (int i = 0; i < f->n_sizes; i++)
            if (f->sizes[i].w == p->width && f->sizes[i].h == p->height) {
                w = p->width;
                h = p->height;
            }
    }
    uint32_t row = mock_row_bytes(f->fourcc, w);
    memset(p, 0, sizeof *p);
    p->pixelformat = f->fourcc;
    p->width = w;
    p->height = h;
    p->field = V4L2_FIELD_NONE;
    p->bytesperline = row ? row + m->stride_pad : 0;
    p->sizeimage = row ? p->bytesperline * mock_rows(f->fourcc, h) : w * h;
    m->cur = *p;
}

static int mock_enum_sizes(const struct mock_v4l2 *m, struct v4l2_frmsizeenum *fs)
{
    const struct mock_fmt *f = mock_find(m, fs->pixel_format);
    if (!f)
        return -EINVAL;
    if (f->stepwise) {
        if (fs->index != 0)
            return -EINVAL;
        fs->type = V4L2_FRMSIZE_TYPE_STEPWISE;
        fs->stepwise = (struct v4l2_frmsize_stepwise){f->sizes[0].w, f->sizes[1].w, 16,
                                                      f->sizes[0].h, f->sizes[1].h, 8};
        return 0;
    }
    if (fs->index >= (uint32_t)f->n_sizes)
        return -EINVAL;
    fs->type = V4L2_FRMSIZE_TYPE_DISCRETE;
    fs->discrete.width = f->sizes[fs->index].w;
    fs->discrete.height = f->sizes[fs->index].h;
    return 0;
}

static void mock_s_parm(struct mock_v4l2 *m, struct v4l2_streamparm *sp)
{
    struct v4l2_fract want = sp->parm.capture.timeperframe;
    double fps = want.numerator ? (double)want.denominator / want.numerator : 0;
    int n;
    const uint32_t *rates = mock_rates(m, m->cur.pixelformat, &n);
    uint32_t best = n ? rates[0] : 30;
    for (int i = 0; i < n; i++) {
        double d = rates[i] > fps ? rates[i] - fps : fps - rates[i];
        double db = best > fps ? best - fps : fps - best;
        if (d < db)
            best = rates[i];
    }
    m->tpf = (struct v4l2_fract){1, best};
    memset(&sp->parm, 0, sizeof sp->parm);
    sp->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
    sp->parm.capture.timeperframe = m->tpf;
}

static int mock_reqbufs(struct mock_v4l2 *m, struct v4l2_requestbuffers *rb)
{
    if (m->reqbufs_err)
        return m->reqbufs_err;
    if (rb->count == 0) {
        if (m->mapped)
            return -EBUSY;
        mock_v4l2_free_bufs(m);
        return 0;
    }
    if (m->n_bufs)
        return -EBUSY;
    unsigned n = rb->count < m->bufs_given ? rb->count : m->bufs_given;
    for (unsigned i = 0; i < n; i++) {
        free(m->bufs[i].mem); /* a buffer left mapped by an earlier session */
        m->bufs[i] = (struct mock_buf){calloc(1, m->cur.sizeimage), m->cur.sizeimage, false};
    }
    m->n_bufs = n;
    rb->count = n;
    return 0;
}

static bool mock_frame_ready(const struct mock_v4l2 *m, int64_t now)
{
    return m->streaming && m->n_queued > 0 && !m->stalled && now >= m->next_frame_us;
}

static void mock_fill(struct mock_v4l2 *m, struct mock_buf *b, struct v4l2_buffer *out)
{
    const struct v4l2_pix_format *p = &m->cur;
    uint32_t row = mock_row_bytes(p->pixelformat, p->width);
    if (row == 0) {
        size_t n = mock_v4l2_jpeg_len(m->seq);
        memset(b->mem, 0x42, n);
        b->mem[0] = 0xff, b->mem[1] = 0xd8, b->mem[n - 2] = 0xff, b->mem[n - 1] = 0xd9;
        out->bytesused = (uint32_t)n;
        return;
    }
    uint32_t rows = mock_rows(p->pixelformat, p->height);
    for (uint32_t y = 0; y < rows; y++) {
        uint8_t *line = b->mem + (size_t)y * p->bytesperline;
        for (uint32_t x = 0; x < row; x++)
            line[x] = mock_v4l2_pixel(m->seq, y, x);
        memset(line + row, 0xee, p->bytesperline - row);
    }
    out->bytesused = p->sizeimage;
}

static int mock_dqbuf(struct mock_v4l2 *m, struct v4l2_buffer *b)
{
    int64_t now = mock_now_us(CLOCK_MONOTONIC);
    if (!m->streaming)
        return -EINVAL;
    if (!mock_frame_ready(m, now))
        return -EAGAIN;
    unsigned idx = m->queue[0];
    memmove(m->queue, m->queue + 1, --m->n_queued * sizeof m->queue[0]);
    memset(b, 0, sizeof *b);
    b->index = idx;
    b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b->memory = V4L2_MEMORY_MMAP;
    mock_fill(m, &m->bufs[idx], b);
    b->sequence = m->seq;
    b->flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC | V4L2_BUF_FLAG_DONE;
    if (m->error_every && m->seq % (uint32_t)m->error_every == (uint32_t)m->error_every - 1)
        b->flags |= V4L2_BUF_FLAG_ERROR;
    b->timestamp.tv_sec = now / 1000000;
    b->timestamp.tv_usec = now % 1000000;
    m->seq++;
    m->next_frame_us = now + (int64_t)m->frame_interval_ms * 1000;
    return 0;
}

static int mock_qbuf(struct mock_v4l2 *m, const struct v4l2_buffer *b)
{
    if (b->index >= m->n_bufs)
        return -EINVAL;
    for (unsigned i = 0; i < m->n_queued; i++)
        if (m->queue[i] == b->index)
            return -EINVAL;
    m->queue[m->n_queued++] = b->index;
    return 0;
}

static int mock_ioctl_locked(struct mock_v4l2 *m, unsigned long req, void *arg)
{
    switch (req) {
    case VIDIOC_QUERYCAP: {
        if (m->not_v4l2)
            return -ENOTTY;
        struct v4l2_capability *c = arg;
        memset(c, 0, sizeof *c);
        snprintf((char *)c->driver, sizeof c->driver, "mock");
        snprintf((char *)c->card, sizeof c->card, "Mock Probe");
        c->capabilities = m->caps | V4L2_CAP_DEVICE_CAPS;
        c->device_caps = m->caps;
        return 0;
    }
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *d = arg;
        if (d->index >= (uint32_t)m->n_fmts)
            return -EINVAL;
        d->pixelformat = m->fmts[d->index].fourcc;
        return 0;
    }
    case VIDIOC_ENUM_FRAMESIZES:
        return mock_enum_sizes(m, arg);
    case VIDIOC_ENUM_FRAMEINTERVALS: {
        struct v4l2_frmivalenum *fi = arg;
        int n;
        const uint32_t *rates = mock_rates(m, fi->pixel_format, &n);
        if (n == 0)
            return -ENOTTY;
        if (fi->index >= (uint32_t)n)
            return -EINVAL;
        fi->type = V4L2_FRMIVAL_TYPE_DISCRETE;
        fi->discrete = (struct v4l2_fract){1, rates[fi->index]};
        return 0;
    }
    case VIDIOC_G_FMT:
        ((struct v4l2_format *)arg)->fmt.pix = m->cur;
        return 0;
    case VIDIOC_S_FMT:
        m->sfmt_calls++;
        if (m->sfmt_err)
            return m->sfmt_err;
        if (m->n_bufs || m->streaming)
            return -EBUSY;
        mock_s_fmt(m, &((struct v4l2_format *)arg)->fmt.pix);
        return 0;
    case VIDIOC_G_PARM: {
        struct v4l2_streamparm *sp = arg;
        memset(&sp->parm, 0, sizeof sp->parm);
        sp->parm.capture.capability = m->timeperframe ? V4L2_CAP_TIMEPERFRAME : 0;
        sp->parm.capture.timeperframe = m->tpf;
        return 0;
    }
    case VIDIOC_S_PARM:
        if (!m->timeperframe)
            return -ENOTTY;
        mock_s_parm(m, arg);
        return 0;
    case VIDIOC_REQBUFS:
        return mock_reqbufs(m, arg);
    case VIDIOC_QUERYBUF: {
        struct v4l2_buffer *b = arg;
        if (b->index >= m->n_bufs)
            return -EINVAL;
        b->length = (uint32_t)m->bufs[b->index].len;
        b->m.offset = b->index * MOCK_PAGE;
        return 0;
    }
    case VIDIOC_QBUF:
        return mock_qbuf(m, arg);
    case VIDIOC_DQBUF:
        return mock_dqbuf(m, arg);
    case VIDIOC_STREAMON:
        if (m->streamon_err)
            return m->streamon_err;
        m->streaming = true;
        m->next_frame_us = mock_now_us(CLOCK_MONOTONIC) + (int64_t)m->frame_interval_ms * 1000;
        return 0;
    case VIDIOC_STREAMOFF:
        m->streaming = false;
        m->n_queued = 0;
        return 0;
    default:
        return -ENOTTY;
    }
}

static int mock_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
    struct mock_v4l2 *m = ctx;
    pthread_mutex_lock(&m->mu);
    int r = mock_live(m, fd) ? mock_ioctl_locked(m, req, arg) : -ENODEV;
    pthread_mutex_unlock(&m->mu);
    return r;
}

static int mock_mmap(void *ctx, int fd, size_t length, off_t offset, void **out)
{
    struct mock_v4l2 *m = ctx;
    pthread_mutex_lock(&m->mu);
    unsigned idx = (unsigned)(offset / MOCK_PAGE);
    int r = -EINVAL;
    if (!mock_live(m, fd))
        r = -ENODEV;
    else if (idx < m->n_bufs && length == m->bufs[idx].len && !m->bufs[idx].mapped) {
        m->bufs[idx].mapped = true;
        m->mapped++;
        *out = m->bufs[idx].mem;
        r = 0;
    }
    pthread_mutex_unlock(&m->mu);
    return r;
}

static int mock_munmap(void *ctx, void *addr, size_t length)
{
    struct mock_v4l2 *m = ctx;
    int r = -EINVAL;
    pthread_mutex_lock(&m->mu);
    for (unsigned i = 0; i < MOCK_MAX_BUFS; i++)
        if (m->bufs[i].mem == addr && m->bufs[i].mapped && m->bufs[i].len == length) {
            m->bufs[i].mapped = false;
            m->mapped--;
            r = 0;
        }
    pthread_mutex_unlock(&m->mu);
    return r;
}

/* Readiness of the fake fds in fds; returns how many are ready and the
 * microseconds until the next frame (or -1 for none coming). */
static int mock_poll_fake(struct mock_v4l2 *m, struct pollfd *fds, nfds_t n, int64_t *wait_us)
{
    int ready = 0;
    int64_t now = mock_now_us(CLOCK_MONOTONIC);
    *wait_us = -1;
    pthread_mutex_lock(&m->mu);
    for (nfds_t i = 0; i < n; i++) {
        if (fds[i].fd < MOCK_FD_BASE)
            continue;
        short rev = 0;
        if (!mock_live(m, fds[i].fd))
            rev = m->stale_revents;
        else if (!m->streaming)
            rev = POLLERR;
        else if (mock_frame_ready(m, now))
            rev = POLLIN;
        else if (m->n_queued && !m->stalled)
            *wait_us = m->next_frame_us - now;
        fds[i].revents = rev;
        ready += rev != 0;
    }
    pthread_mutex_unlock(&m->mu);
    return ready;
}

static int mock_poll(void *ctx, struct pollfd *fds, nfds_t n, int timeout_ms)
{
    struct mock_v4l2 *m = ctx;
    struct pollfd real[8];
    if (n > 8)
        return -EINVAL;
    const int64_t end = mock_now_us(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000;
    for (;;) {
        int64_t wait_us;
        int ready = mock_poll_fake(m, fds, n, &wait_us);
        for (nfds_t i = 0; i < n; i++)
            real[i] = (struct pollfd){fds[i].fd < MOCK_FD_BASE ? fds[i].fd : -1, fds[i].events, 0};
        /* Sleep in short slices so that an unplug by the test is seen soon. */
        int64_t left = end - mock_now_us(CLOCK_MONOTONIC);
        int64_t slice = ready ? 0 : left < 10000 ? left : 10000;
        if (wait_us >= 0 && wait_us < slice)
            slice = wait_us;
        int r = poll(real, n, slice > 0 ? (int)((slice + 999) / 1000) : 0);
        if (r < 0)
            return -errno;
        for (nfds_t i = 0; i < n; i++)
            if (fds[i].fd < MOCK_FD_BASE) {
                fds[i].revents = real[i].revents;
                ready += real[i].revents != 0;
            }
        if (ready || mock_now_us(CLOCK_MONOTONIC) >= end)
            return ready;
    }
}

MOCK_FN struct tsn_v4l2_ops mock_v4l2_ops(struct mock_v4l2 *m)
{
    return (struct tsn_v4l2_ops){mock_open,   mock_close, mock_ioctl, mock_mmap,
                                 mock_munmap, mock_poll,  m};
}

#endif
