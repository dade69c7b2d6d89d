/* Unit tests for capture/v4l2_source.c over the fake device of mock_v4l2.h:
 * frames arrive with the right bytes (repacked when the driver pads rows)
 * and increasing capture times for each format; a missing, busy or wrong
 * device fails fast with a clear sentence; an unplug mid-stream (DQBUF
 * ENODEV, POLLERR) or a stall is LOST, then RETRYING with doubling delays,
 * then STREAMING again when the device is back; stop is prompt while
 * streaming and while waiting to retry; nothing is left open or mapped. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"
#include "mock_v4l2.h"
#include "v4l2_source.h"

#define PATH      "/dev/video7"
#define MAX_EVENT 256

/* What the callbacks saw; filled on the capture thread, read by the test. */
struct rec {
    pthread_mutex_t mu; /* protects everything below */
    pthread_cond_t cv;
    enum tsn_v4l2_state states[MAX_EVENT];
    int errs[MAX_EVENT];
    int retry_ms[MAX_EVENT];
    char whys[MAX_EVENT][200];
    int n_states;
    struct tsn_v4l2_format fmt; /* at the last STREAMING */
    int frames;
    int bad_frames; /* wrong bytes, size or format */
    int64_t last_time_us;
    int non_increasing; /* capture times that did not go up */
    int64_t first_time_us;
};

struct fixture {
    struct mock_v4l2 mock;
    struct tsn_v4l2_ops ops;
    struct rec rec;
    struct tsn_v4l2_source *src;
};

/* GStreamer's default row stride, written out independently of the code
 * under test (test_v4l2_format checks it against gst_video_info). */
static size_t gst_stride(const struct tsn_v4l2_format *f)
{
    size_t row =
        f->fourcc == V4L2_PIX_FMT_NV12 ? f->width : tsn_v4l2_format_row_bytes(f->fourcc, f->width);
    return (row + 3) / 4 * 4;
}

/* Checks every pixel byte of a delivered raw frame against the mock's
 * pattern, in GStreamer's layout. */
static bool frame_bytes_ok(const struct tsn_v4l2_frame *f)
{
    const struct tsn_v4l2_format *fmt = &f->fmt;
    if (tsn_v4l2_format_is_jpeg(fmt->fourcc))
        return f->size_bytes == mock_v4l2_jpeg_len(f->sequence) && f->data[0] == 0xff &&
               f->data[1] == 0xd8 && f->data[f->size_bytes - 1] == 0xd9;
    if (f->size_bytes != tsn_v4l2_format_packed_size(fmt))
        return false;
    size_t stride = gst_stride(fmt);
    uint32_t row = tsn_v4l2_format_row_bytes(fmt->fourcc, fmt->width);
    bool nv12 = fmt->fourcc == V4L2_PIX_FMT_NV12;
    for (uint32_t y = 0; y < fmt->height; y++)
        for (uint32_t x = 0; x < (nv12 ? fmt->width : row); x++)
            if (f->data[y * stride + x] != mock_v4l2_pixel(f->sequence, y, x))
                return false;
    if (nv12) {
        size_t uv = stride * ((fmt->height + 1) / 2 * 2);
        for (uint32_t y = 0; y < (fmt->height + 1) / 2; y++)
            for (uint32_t x = 0; x < row; x++)
                if (f->data[uv + y * stride + x] !=
                    mock_v4l2_pixel(f->sequence, fmt->height + y, x))
                    return false;
    }
    return true;
}

static void on_frame(const struct tsn_v4l2_frame *f, void *user)
{
    struct rec *r = user;
    bool ok = frame_bytes_ok(f);
    pthread_mutex_lock(&r->mu);
    r->bad_frames += !ok || memcmp(&f->fmt, &r->fmt, sizeof f->fmt) != 0;
    if (r->frames == 0)
        r->first_time_us = f->capture_time_us;
    else
        r->non_increasing += f->capture_time_us <= r->last_time_us;
    r->last_time_us = f->capture_time_us;
    r->frames++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void on_state(const struct tsn_v4l2_event *ev, void *user)
{
    struct rec *r = user;
    pthread_mutex_lock(&r->mu);
    if (r->n_states < MAX_EVENT) {
        r->states[r->n_states] = ev->state;
        r->errs[r->n_states] = ev->err;
        r->retry_ms[r->n_states] = ev->retry_in_ms;
        snprintf(r->whys[r->n_states], sizeof r->whys[0], "%s", ev->why);
        r->n_states++;
    }
    if (ev->state == TSN_V4L2_STREAMING)
        r->fmt = *ev->fmt;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* Index of the first event of state s (after the capture thread ended). */
static int first_state(const struct rec *r, enum tsn_v4l2_state s)
{
    for (int i = 0; i < r->n_states; i++)
        if (r->states[i] == s)
            return i;
    fail_msg("no %s event", tsn_v4l2_source_state_name(s));
    return -1;
}

static int count_state(struct rec *r, enum tsn_v4l2_state s)
{
    int n = 0;
    for (int i = 0; i < r->n_states; i++)
        n += r->states[i] == s;
    return n;
}

/* Waits up to timeout_ms for the n-th event of state s; true if it came. */
static bool wait_state(struct rec *r, enum tsn_v4l2_state s, int n, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&r->mu);
    int rc = 0;
    while (count_state(r, s) < n && rc == 0)
        rc = pthread_cond_timedwait(&r->cv, &r->mu, &until);
    bool ok = count_state(r, s) >= n;
    pthread_mutex_unlock(&r->mu);
    return ok;
}

static bool wait_frames(struct rec *r, int n, int timeout_ms)
{
    int64_t end = mock_now_us(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000;
    pthread_mutex_lock(&r->mu);
    while (r->frames < n && mock_now_us(CLOCK_MONOTONIC) < end) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 20 * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&r->cv, &r->mu, &until);
    }
    bool ok = r->frames >= n;
    pthread_mutex_unlock(&r->mu);
    return ok;
}

static int frames_now(struct rec *r)
{
    pthread_mutex_lock(&r->mu);
    int n = r->frames;
    pthread_mutex_unlock(&r->mu);
    return n;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    mock_v4l2_init(&f->mock, PATH);
    f->ops = mock_v4l2_ops(&f->mock);
    pthread_mutex_init(&f->rec.mu, NULL);
    pthread_cond_init(&f->rec.cv, NULL);
    tsn_log_set_level(TSN_LOG_ERROR + (getenv("TSN_TEST_LOG") ? 3 : 0));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    tsn_v4l2_source_free(f->src);
    /* Whatever happened, the source left nothing open or mapped. */
    assert_int_equal(f->mock.open_fds, 0);
    assert_int_equal(f->mock.mapped, 0);
    assert_int_equal(f->mock.leaked_maps, 0);
    assert_true(f->mock.max_open_fds <= 1);
    mock_v4l2_destroy(&f->mock);
    pthread_cond_destroy(&f->rec.cv);
    pthread_mutex_destroy(&f->rec.mu);
    free(f);
    return 0;
}

static const struct mock_size vga[] = {{640, 480}};

static void start(struct fixture *f, const struct tsn_v4l2_config *extra)
{
    struct tsn_v4l2_config cfg = {
        .device = PATH, .retry_initial_ms = 20, .retry_max_ms = 80, .frame_timeout_ms = 1000};
    if (extra) {
        cfg = *extra;
        cfg.device = PATH;
    }
    f->src = tsn_v4l2_source_new(&cfg, &f->ops, on_frame, on_state, &f->rec);
    assert_non_null(f->src);
    assert_int_equal(tsn_v4l2_source_start(f->src), 0);
}

/* ---- streaming ---- */

static void test_gray_frames_bytes_and_times(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, vga, 1);
    int64_t t0 = mock_now_us(CLOCK_REALTIME);
    start(f, NULL);
    assert_true(wait_frames(&f->rec, 20, 3000));
    int64_t t1 = mock_now_us(CLOCK_REALTIME);
    tsn_v4l2_source_stop(f->src);
    assert_int_equal(f->rec.states[0], TSN_V4L2_OPENING);
    assert_int_equal(f->rec.states[1], TSN_V4L2_STREAMING);
    assert_int_equal(f->rec.fmt.fourcc, V4L2_PIX_FMT_GREY);
    assert_int_equal(f->rec.fmt.width, 640);
    assert_int_equal(f->rec.fmt.height, 480);
    assert_int_equal(f->rec.bad_frames, 0);
    assert_int_equal(f->rec.non_increasing, 0);
    /* Capture times are wall-clock times of this run, not monotonic ones. */
    assert_true(f->rec.first_time_us >= t0 - 1000 && f->rec.last_time_us <= t1 + 1000);
    struct tsn_v4l2_stats st;
    tsn_v4l2_source_stats(f->src, &st);
    assert_int_equal(st.frames, (uint64_t)f->rec.frames);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(st.reconnects, 0);
    assert_int_equal(f->mock.open_fds, 0); /* stop closed the device */
    assert_false(f->mock.streaming);
}

/* A device offering one format streams in it, with the right bytes. */
static void stream_only(void **state, uint32_t fourcc, const char *caps)
{
    struct fixture *f = *state;
    static const struct mock_size sizes[] = {{320, 240}, {640, 480}};
    mock_v4l2_add_format(&f->mock, fourcc, sizes, 2);
    f->mock.rates[0] = 30;
    f->mock.rates[1] = 15;
    f->mock.n_rates = 2;
    struct tsn_v4l2_config cfg = {.width = 640, .height = 480, .fps = 15, .frame_timeout_ms = 1000};
    start(f, &cfg);
    assert_true(wait_frames(&f->rec, 8, 3000));
    tsn_v4l2_source_stop(f->src);
    assert_int_equal(f->rec.fmt.fourcc, fourcc);
    assert_int_equal(f->rec.bad_frames, 0);
    char text[160];
    assert_true(tsn_v4l2_format_caps(&f->rec.fmt, text, sizeof text) > 0);
    assert_string_equal(text, caps);
}

static void test_yuyv_only(void **state)
{
    stream_only(state, V4L2_PIX_FMT_YUYV,
                "video/x-raw,format=YUY2,width=640,height=480,framerate=15/1");
}

static void test_nv12_only(void **state)
{
    stream_only(state, V4L2_PIX_FMT_NV12,
                "video/x-raw,format=NV12,width=640,height=480,framerate=15/1");
}

static void test_mjpeg_only(void **state)
{
    stream_only(state, V4L2_PIX_FMT_MJPEG, "image/jpeg,width=640,height=480,framerate=15/1");
}

static void test_gray_only(void **state)
{
    stream_only(state, V4L2_PIX_FMT_GREY,
                "video/x-raw,format=GRAY8,width=640,height=480,framerate=15/1");
}

/* Rows padded by the driver (and odd sizes) arrive in GStreamer's layout. */
static void repacked(void **state, uint32_t fourcc, uint32_t w, uint32_t h)
{
    struct fixture *f = *state;
    const struct mock_size sz[] = {{w, h}};
    mock_v4l2_add_format(&f->mock, fourcc, sz, 1);
    f->mock.stride_pad = 64;
    start(f, NULL);
    assert_true(wait_frames(&f->rec, 6, 3000));
    tsn_v4l2_source_stop(f->src);
    assert_int_equal(f->rec.fmt.width, w);
    assert_int_equal(f->rec.fmt.bytesperline, tsn_v4l2_format_row_bytes(fourcc, w) + 64);
    assert_int_equal(f->rec.bad_frames, 0);
}

static void test_repack_gray(void **state)
{
    repacked(state, V4L2_PIX_FMT_GREY, 642, 480);
}

static void test_repack_yuyv(void **state)
{
    repacked(state, V4L2_PIX_FMT_YUYV, 642, 480);
}

static void test_repack_nv12_odd(void **state)
{
    repacked(state, V4L2_PIX_FMT_NV12, 641, 481);
}

static void test_error_flagged_frames_dropped(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, vga, 1);
    f->mock.error_every = 3;
    start(f, NULL);
    assert_true(wait_frames(&f->rec, 10, 3000));
    tsn_v4l2_source_stop(f->src);
    struct tsn_v4l2_stats st;
    tsn_v4l2_source_stats(f->src, &st);
    assert_true(st.dropped >= 4);
    assert_int_equal(f->rec.bad_frames, 0);
    assert_int_equal(st.frames, (uint64_t)f->rec.frames);
}

/* ---- failing at start ---- */

static void fails_at_start(struct fixture *f, bool wait, int err, const char *text)
{
    struct tsn_v4l2_config cfg = {.wait_for_device = wait, .retry_initial_ms = 20};
    start(f, &cfg);
    assert_true(wait_state(&f->rec, TSN_V4L2_FAILED, 1, 3000));
    tsn_v4l2_source_stop(f->src);
    assert_int_equal(f->rec.n_states, 2);
    assert_int_equal(f->rec.states[0], TSN_V4L2_OPENING);
    assert_int_equal(f->rec.errs[1], err);
    assert_non_null(strstr(f->rec.whys[1], text));
    assert_int_equal(f->rec.frames, 0);
}

static void test_fail_fast_missing(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, vga, 1);
    f->mock.present = false;
    fails_at_start(f, false, -ENOENT,
                   "device " PATH
                   " does not exist (is the probe plugged in? see `ls /dev/video*`)");
}

static void test_fail_fast_busy_at_open(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, vga, 1);
    f->mock.open_err = -EBUSY;
    fails_at_start(f, false, -EBUSY, "is busy (another program is using it)");
}

static void test_fail_fast_busy_at_s_fmt(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, vga, 1);
    f->mock.sfmt_err = -EBUSY;
    fails_at_start(f, false, -EBUSY, "is busy (another program is using it)");
}

static void test_fail_fast_busy_at_reqbufs(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, vga, 1);
    f->mock.reqbufs_err = -EBUSY;
    fails_at_start(f, false, -EBUSY, "is busy");
}

static void test_fail_fast_permission(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, vga, 1);
    f->mock.open_err = -EACCES;
    fails_at_start(f, false, -EACCES, "video group");
}

/* Waiting cannot make a metadata node a capture device. */
static void test_not_capture_fails_even_when_waiting(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, vga, 1);
    f->mock.caps = V4L2_CAP_META_CAPTURE | V4L2_CAP_STREAMING;
    fails_at_start(f, true, -ENOTTY, "is not a video capture device");
}

static void test_no_supported_format(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_H264, vga, 1);
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_RGB24, vga, 1);
    fails_at_start(f, true, -ENOTSUP, "offers no supported format (it offers: H264 RGB3;");
}

/* ---- losing the device and getting it back ---- */

static void test_unplug_and_replug(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_YUYV, vga, 1);
    start(f, NULL);
    assert_true(wait_frames(&f->rec, 5, 3000));
    mock_v4l2_unplug(&f->mock);
    assert_true(wait_state(&f->rec, TSN_V4L2_LOST, 1, 3000));
    /* Retries while it is away: 20, 40, 80, 80 ms (initial 20, max 80). */
    assert_true(wait_state(&f->rec, TSN_V4L2_RETRYING, 5, 3000));
    int before = frames_now(&f->rec);
    mock_v4l2_replug(&f->mock);
    assert_true(wait_state(&f->rec, TSN_V4L2_STREAMING, 2, 3000));
    assert_true(wait_frames(&f->rec, before + 5, 3000));
    tsn_v4l2_source_stop(f->src);

    /* The thread has ended: the record is read without its lock from here. */
    int lost = first_state(&f->rec, TSN_V4L2_LOST);
    /* DQBUF or the QBUF right after it meets the unplug first. */
    assert_non_null(strstr(f->rec.whys[lost], "device " PATH " was unplugged (VIDIOC_"));
    int retries[8], n = 0;
    for (int i = 0; i < f->rec.n_states && n < 8; i++)
        if (f->rec.states[i] == TSN_V4L2_RETRYING)
            retries[n++] = f->rec.retry_ms[i];
    assert_true(n >= 5);
    assert_int_equal(retries[0], 20);
    assert_int_equal(retries[1], 40);
    assert_int_equal(retries[2], 80);
    assert_int_equal(retries[3], 80);
    /* The first retry reports the loss, later ones the missing node. */
    int first_retry = 0;
    while (f->rec.states[first_retry] != TSN_V4L2_RETRYING)
        first_retry++;
    assert_int_equal(f->rec.states[first_retry - 1], TSN_V4L2_LOST);
    assert_int_equal(f->rec.errs[first_retry], -ENODEV);
    assert_int_equal(f->rec.errs[first_retry + 2], -ENOENT);
    assert_int_equal(f->rec.bad_frames, 0);
    struct tsn_v4l2_stats st;
    tsn_v4l2_source_stats(f->src, &st);
    assert_int_equal(st.reconnects, 1);
    assert_int_equal(f->mock.opens, 2);
}

static void test_poll_error_is_unplug(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, vga, 1);
    f->mock.stale_revents = POLLERR;
    start(f, NULL);
    assert_true(wait_frames(&f->rec, 3, 3000));
    mock_v4l2_unplug(&f->mock);
    assert_true(wait_state(&f->rec, TSN_V4L2_LOST, 1, 3000));
    mock_v4l2_replug(&f->mock);
    assert_true(wait_state(&f->rec, TSN_V4L2_STREAMING, 2, 3000));
    tsn_v4l2_source_stop(f->src);
    for (int i = 0; i < f->rec.n_states; i++)
        if (f->rec.states[i] == TSN_V4L2_LOST)
            assert_int_equal(f->rec.errs[i], -ENODEV);
}

static void test_no_frame_timeout_is_lost(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, vga, 1);
    struct tsn_v4l2_config cfg = {.retry_initial_ms = 20, .frame_timeout_ms = 150};
    start(f, &cfg);
    assert_true(wait_frames(&f->rec, 3, 3000));
    mock_v4l2_set_stalled(&f->mock, true);
    int64_t t0 = mock_now_us(CLOCK_MONOTONIC);
    assert_true(wait_state(&f->rec, TSN_V4L2_LOST, 1, 3000));
    int64_t waited_ms = (mock_now_us(CLOCK_MONOTONIC) - t0) / 1000;
    assert_true(waited_ms >= 100 && waited_ms < 1000);
    mock_v4l2_set_stalled(&f->mock, false);
    assert_true(wait_state(&f->rec, TSN_V4L2_STREAMING, 2, 3000));
    int before = frames_now(&f->rec);
    assert_true(wait_frames(&f->rec, before + 3, 3000));
    tsn_v4l2_source_stop(f->src);
    int lost = first_state(&f->rec, TSN_V4L2_LOST);
    assert_int_equal(f->rec.errs[lost], -ETIMEDOUT);
    assert_non_null(strstr(f->rec.whys[lost], "no frame from " PATH " for 150 ms"));
}

/* Busy after a replug is worth waiting for, unlike busy at a fail-fast start. */
static void test_busy_after_replug_is_retried(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, vga, 1);
    start(f, NULL);
    assert_true(wait_frames(&f->rec, 3, 3000));
    mock_v4l2_set_open_err(&f->mock, -EBUSY);
    mock_v4l2_unplug(&f->mock);
    mock_v4l2_replug(&f->mock);
    assert_true(wait_state(&f->rec, TSN_V4L2_RETRYING, 3, 3000));
    mock_v4l2_set_open_err(&f->mock, 0);
    assert_true(wait_state(&f->rec, TSN_V4L2_STREAMING, 2, 3000));
    tsn_v4l2_source_stop(f->src);
    int busy = 0;
    for (int i = 0; i < f->rec.n_states; i++)
        busy += f->rec.states[i] == TSN_V4L2_RETRYING && f->rec.errs[i] == -EBUSY &&
                strstr(f->rec.whys[i], "is busy (another program is using it)");
    assert_true(busy >= 1);
    assert_int_equal(count_state(&f->rec, TSN_V4L2_FAILED), 0);
}

static void test_wait_for_device_at_start(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, vga, 1);
    f->mock.present = false;
    struct tsn_v4l2_config cfg = {.wait_for_device = true, .retry_initial_ms = 20};
    start(f, &cfg);
    assert_true(wait_state(&f->rec, TSN_V4L2_RETRYING, 2, 3000));
    mock_v4l2_replug(&f->mock);
    assert_true(wait_state(&f->rec, TSN_V4L2_STREAMING, 1, 3000));
    assert_true(wait_frames(&f->rec, 3, 3000));
    tsn_v4l2_source_stop(f->src);
    assert_int_equal(f->rec.states[1], TSN_V4L2_RETRYING);
    assert_int_equal(f->rec.errs[1], -ENOENT);
    assert_non_null(strstr(f->rec.whys[1], "does not exist"));
    struct tsn_v4l2_stats st;
    tsn_v4l2_source_stats(f->src, &st);
    assert_int_equal(st.reconnects, 0); /* the first stream is no reconnect */
}

/* ---- stopping ---- */

static int64_t timed_stop_ms(struct fixture *f)
{
    int64_t t0 = mock_now_us(CLOCK_MONOTONIC);
    tsn_v4l2_source_stop(f->src);
    return (mock_now_us(CLOCK_MONOTONIC) - t0) / 1000;
}

static void test_stop_while_retrying_is_prompt(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, vga, 1);
    f->mock.present = false;
    struct tsn_v4l2_config cfg = {.wait_for_device = true, .retry_initial_ms = 5000};
    start(f, &cfg);
    assert_true(wait_state(&f->rec, TSN_V4L2_RETRYING, 1, 3000));
    int64_t ms = timed_stop_ms(f);
    print_message("stop took %lld ms\n", (long long)ms);
    assert_true(ms < 1000);
    assert_int_equal(f->rec.n_states, 2); /* no further attempt after stop */
}

static void test_stop_while_stalled_is_prompt(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, vga, 1);
    struct tsn_v4l2_config cfg = {.frame_timeout_ms = 10000};
    start(f, &cfg);
    assert_true(wait_frames(&f->rec, 2, 3000));
    mock_v4l2_set_stalled(&f->mock, true);
    int64_t ms = timed_stop_ms(f);
    print_message("stop took %lld ms\n", (long long)ms);
    assert_true(ms < 1000);
    tsn_v4l2_source_stop(f->src); /* twice is fine */
}

static void test_new_rejects_bad_arguments(void **state)
{
    struct fixture *f = *state;
    struct tsn_v4l2_config cfg = {.device = PATH};
    assert_null(tsn_v4l2_source_new(&cfg, &f->ops, NULL, NULL, NULL));
    assert_null(tsn_v4l2_source_new(&cfg, NULL, on_frame, NULL, NULL));
    cfg.device = "";
    assert_null(tsn_v4l2_source_new(&cfg, &f->ops, on_frame, NULL, NULL));
    cfg.device = PATH;
    cfg.fourcc = V4L2_PIX_FMT_RGB24;
    assert_null(tsn_v4l2_source_new(&cfg, &f->ops, on_frame, NULL, NULL));
    cfg.fourcc = 0;
    struct tsn_v4l2_source *src = tsn_v4l2_source_new(&cfg, &f->ops, on_frame, NULL, NULL);
    assert_non_null(src);
    tsn_v4l2_source_free(src); /* never started */
    tsn_v4l2_source_free(NULL);
    assert_string_equal(tsn_v4l2_source_state_name(TSN_V4L2_RETRYING), "retrying");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_gray_frames_bytes_and_times),
        T(test_gray_only),
        T(test_yuyv_only),
        T(test_nv12_only),
        T(test_mjpeg_only),
        T(test_repack_gray),
        T(test_repack_yuyv),
        T(test_repack_nv12_odd),
        T(test_error_flagged_frames_dropped),
        T(test_fail_fast_missing),
        T(test_fail_fast_busy_at_open),
        T(test_fail_fast_busy_at_s_fmt),
        T(test_fail_fast_busy_at_reqbufs),
        T(test_fail_fast_permission),
        T(test_not_capture_fails_even_when_waiting),
        T(test_no_supported_format),
        T(test_unplug_and_replug),
        T(test_poll_error_is_unplug),
        T(test_no_frame_timeout_is_lost),
        T(test_busy_after_replug_is_retried),
        T(test_wait_for_device_at_start),
        T(test_stop_while_retrying_is_prompt),
        T(test_stop_while_stalled_is_prompt),
        T(test_new_rejects_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
