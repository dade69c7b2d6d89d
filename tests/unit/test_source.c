/* Unit tests for capture/source.c, with options parsed by
 * tsn_capture_cli_parse as the program does:
 *   - phantom: the defaults (640x480 at 30 fps, grey, its pixel spacing and
 *     depth), about 30 frames in a second with consecutive indices, wall-clock
 *     capture times that go up, GRAY8 caps; --size and --fps honoured; sizes
 *     and depths the phantom cannot draw refused with exit code 2;
 *   - file: indices cycle over the clip's 21 frames with the clip's own bytes,
 *     --fps overrides the clip's rate in the caps, the clip's rate otherwise,
 *     a colour clip is I420, a missing clip is exit code 5;
 *   - tsn_source_free is prompt and no callback runs after it returns;
 *   - V4L2 over the fake device of mock_v4l2.h (tsn_source_set_v4l2_ops):
 *     GRAY8, YUYV and MJPEG devices give frames with the right caps and
 *     bytes and the device's capture times; a missing device fails fast with
 *     exit code 5; a device that fails at start fires the failed callback.
 *
 * Timing checks are loose on purpose (a loaded machine, sanitizers). The
 * clips are found through TSN_CLIPS, else in the source tree (test_clips.h);
 * a missing clip fails the test. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "capture_cli.h"
#include "clip.h"
#include "exit_codes.h"
#include "gst_sanitizer.h"
#include "test_clips.h"
#include "log.h"
#include "mock_v4l2.h"
#include "phantom.h"
#include "source.h"

#define BONE       "BoneUltrasound_L14_ffv1.mkv"
#define COLOUR     "examples_ybr_color_ffv1.mkv"
#define DEV        "/dev/video7"
#define MAX_FRAMES 512
#define KEEP       32 /* frames whose buffers are kept for byte checks */
/* The fake device's timestamps are made this much older than DQBUF time,
 * so a capture time taken from the device is told apart from "now". */
#define DEVICE_AGE_US 300000

/* What the callbacks saw; written on the source's thread. */
struct rec {
    GMutex mu; /* protects everything below */
    GCond cv;
    int frames;
    uint64_t index[MAX_FRAMES];
    int64_t capture_us[MAX_FRAMES];
    int64_t called_us[MAX_FRAMES]; /* CLOCK_REALTIME when the callback ran */
    GstBuffer *kept[KEEP];         /* the first KEEP buffers */
    size_t min_bytes, max_bytes;
    GstCaps *caps;    /* of the first frame (a reference) */
    int caps_changes; /* frames whose caps differ from the first's */
    int slow_cb_ms;   /* each frame callback sleeps this long */
    bool freed;       /* set by the test once tsn_source_free returned */
    int after_free;   /* callbacks that ran after that */
    int failed;
    char failed_why[256];
};

struct fixture {
    struct mock_v4l2 mock; /* first: the ops' ctx is the mock */
    struct tsn_v4l2_ops ops;
    struct tsn_capture_opts o;
    struct rec r;
    struct tsn_source *s;
    int exit_code;
    char why[256];
};

static int64_t now_us(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* "file:<clips>/<name>", in a buffer of its own per call site. */
static const char *file_source(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "file:%s/%s", clips_dir, name);
    return buf;
}

/* ---- callbacks ---- */

static void on_frame(GstBuffer *buf, GstCaps *caps, uint64_t index, int64_t capture_us, void *user)
{
    struct rec *r = user;
    int64_t called = now_us(CLOCK_REALTIME);
    g_mutex_lock(&r->mu);
    int slow = r->slow_cb_ms;
    r->after_free += r->freed;
    if (r->frames < MAX_FRAMES) {
        r->index[r->frames] = index;
        r->capture_us[r->frames] = capture_us;
        r->called_us[r->frames] = called;
    }
    size_t n = gst_buffer_get_size(buf);
    r->min_bytes = r->frames == 0 || n < r->min_bytes ? n : r->min_bytes;
    r->max_bytes = n > r->max_bytes ? n : r->max_bytes;
    if (!r->caps)
        r->caps = gst_caps_ref(caps);
    else if (!gst_caps_is_equal(r->caps, caps))
        r->caps_changes++;
    if (r->frames < KEEP) {
        r->kept[r->frames] = buf;
        buf = NULL;
    }
    r->frames++;
    g_cond_broadcast(&r->cv);
    g_mutex_unlock(&r->mu);
    if (buf)
        gst_buffer_unref(buf);
    if (slow)
        g_usleep((gulong)slow * 1000);
}

static void on_failed(const char *why, void *user)
{
    struct rec *r = user;
    g_mutex_lock(&r->mu);
    r->failed++;
    snprintf(r->failed_why, sizeof r->failed_why, "%s", why);
    g_cond_broadcast(&r->cv);
    g_mutex_unlock(&r->mu);
}

/* Waits up to timeout_ms until at least n frames (or, n < 0, a failure)
 * arrived; true if they did. */
static bool wait_for(struct rec *r, int n, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    g_mutex_lock(&r->mu);
    while ((n >= 0 ? r->frames < n : r->failed == 0) && g_cond_wait_until(&r->cv, &r->mu, end))
        ;
    bool ok = n >= 0 ? r->frames >= n : r->failed > 0;
    g_mutex_unlock(&r->mu);
    return ok;
}

static int frames_seen(struct rec *r)
{
    g_mutex_lock(&r->mu);
    int n = r->frames;
    g_mutex_unlock(&r->mu);
    return n;
}

/* ---- fixture ---- */

/* A fake device whose frame timestamps are DEVICE_AGE_US old. */
static int aged_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
    int rc = mock_ioctl(ctx, fd, req, arg);
    if (rc == 0 && req == VIDIOC_DQBUF) {
        struct v4l2_buffer *b = arg;
        int64_t t = (int64_t)b->timestamp.tv_sec * 1000000 + b->timestamp.tv_usec - DEVICE_AGE_US;
        b->timestamp.tv_sec = t / 1000000;
        b->timestamp.tv_usec = t % 1000000;
    }
    return rc;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    g_mutex_init(&f->r.mu);
    g_cond_init(&f->r.cv);
    mock_v4l2_init(&f->mock, DEV);
    f->ops = mock_v4l2_ops(&f->mock);
    f->ops.ioctl = aged_ioctl;
    tsn_source_set_v4l2_ops(&f->ops);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    tsn_source_free(f->s);
    tsn_source_set_v4l2_ops(NULL);
    /* Whatever a test did, the source left the fake device closed. */
    assert_int_equal(f->mock.open_fds, 0);
    assert_int_equal(f->mock.mapped, 0);
    mock_v4l2_destroy(&f->mock);
    tsn_capture_opts_clear(&f->o);
    for (int i = 0; i < KEEP; i++)
        if (f->r.kept[i])
            gst_buffer_unref(f->r.kept[i]);
    if (f->r.caps)
        gst_caps_unref(f->r.caps);
    g_cond_clear(&f->r.cv);
    g_mutex_clear(&f->r.mu);
    free(f);
    return 0;
}

/* Parses the flags after the required --relay/--token, as the program would,
 * and makes a source; returns it (NULL on refusal, with f->exit_code and
 * f->why set). */
static struct tsn_source *make(struct fixture *f, const char *first, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"telesono-capture";
    argv[argc++] = (char *)"--relay";
    argv[argc++] = (char *)"https://127.0.0.1:8443";
    argv[argc++] = (char *)"--token";
    argv[argc++] = (char *)"test-token";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        assert_true(argc < 31);
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;
    char why[256];
    if (tsn_capture_cli_parse(argc, argv, &f->o, why, sizeof why) != 0)
        fail_msg("the flags were refused: %s", why);
    f->exit_code = -1;
    f->why[0] = '\0';
    f->s = tsn_source_new(&f->o, on_frame, on_failed, &f->r, &f->exit_code, f->why, sizeof f->why);
    return f->s;
}
#define MAKE(f, ...) make(f, __VA_ARGS__, (const char *)NULL)

static void start(struct fixture *f)
{
    char why[256] = "";
    assert_non_null(f->s);
    if (tsn_source_start(f->s, why, sizeof why) != 0)
        fail_msg("start: %s", why);
}

/* Frees the source; from then on a callback counts as a late one. */
static void stop(struct fixture *f)
{
    tsn_source_free(f->s);
    f->s = NULL;
    g_mutex_lock(&f->r.mu);
    f->r.freed = true;
    g_mutex_unlock(&f->r.mu);
}

/* The only structure of caps: its name, format (may be NULL), size, rate. */
static void check_caps(const GstCaps *caps, const char *name, const char *format, int w, int h,
                       int fps_num, int fps_den)
{
    assert_non_null(caps);
    assert_int_equal(gst_caps_get_size(caps), 1);
    const GstStructure *st = gst_caps_get_structure(caps, 0);
    assert_string_equal(gst_structure_get_name(st), name);
    if (format)
        assert_string_equal(gst_structure_get_string(st, "format"), format);
    int cw = 0, ch = 0, n = 0, d = 0;
    assert_true(gst_structure_get_int(st, "width", &cw));
    assert_true(gst_structure_get_int(st, "height", &ch));
    assert_true(gst_structure_get_fraction(st, "framerate", &n, &d));
    assert_int_equal(cw, w);
    assert_int_equal(ch, h);
    assert_int_equal(n, fps_num);
    assert_int_equal(d, fps_den);
}

/* Capture times go up and were taken at most max_age_us before the callback
 * and no earlier than not_before_us. */
static void check_times(const struct rec *r, int64_t not_before_us, int64_t max_age_us)
{
    int n = r->frames < MAX_FRAMES ? r->frames : MAX_FRAMES;
    for (int i = 0; i < n; i++) {
        if (i > 0 && r->capture_us[i] <= r->capture_us[i - 1])
            fail_msg("capture time %d (%lld) not after %d (%lld)", i, (long long)r->capture_us[i],
                     i - 1, (long long)r->capture_us[i - 1]);
        assert_true(r->capture_us[i] >= not_before_us);
        int64_t age = r->called_us[i] - r->capture_us[i];
        if (age < 0 || age > max_age_us)
            fail_msg("frame %d: capture time %lld us before its callback", i, (long long)age);
    }
}

static void check_consecutive(const struct rec *r)
{
    int n = r->frames < MAX_FRAMES ? r->frames : MAX_FRAMES;
    for (int i = 0; i < n; i++)
        if (r->index[i] != (uint64_t)i)
            fail_msg("frame %d has index %llu", i, (unsigned long long)r->index[i]);
}

static bool same_bytes(GstBuffer *buf, const uint8_t *data, size_t n)
{
    GstMapInfo m;
    assert_true(gst_buffer_map(buf, &m, GST_MAP_READ));
    bool eq = m.size == n && memcmp(m.data, data, n) == 0;
    gst_buffer_unmap(buf, &m);
    return eq;
}

/* ---- phantom ---- */

static void test_phantom_defaults(void **state)
{
    struct fixture *f = *state;
    assert_non_null(MAKE(f, "--source", "phantom"));
    struct tsn_source_info in;
    tsn_source_info(f->s, &in);
    assert_string_equal(in.kind, "phantom");
    assert_int_equal(in.width, 640);
    assert_int_equal(in.height, 480);
    assert_int_equal(in.fps_num, 30);
    assert_int_equal(in.fps_den, 1);
    assert_int_equal(in.gray, 1);
    assert_float_equal(in.spacing_mm, 80.0 / (480 - 2 * 30), 1e-12);
    assert_float_equal(in.depth_mm, 80.0, 1e-12);
    /* Prepared, not started: nothing is rendered. */
    g_usleep(100 * 1000);
    assert_int_equal(tsn_source_frames(f->s), 0);
    stop(f);
    assert_int_equal(f->r.frames, 0);
}

/* Runs the source for about a second; returns the frames seen then. */
static int run_one_second(struct fixture *f, int64_t *t0_us)
{
    *t0_us = now_us(CLOCK_REALTIME);
    start(f);
    g_usleep(1000 * 1000);
    int n = frames_seen(&f->r);
    uint64_t counted = tsn_source_frames(f->s);
    stop(f);
    /* The counter counts each frame before its callback runs. */
    assert_true(counted >= (uint64_t)n && counted <= (uint64_t)f->r.frames);
    return n;
}

static void test_phantom_frames(void **state)
{
    struct fixture *f = *state;
    assert_non_null(MAKE(f, "--source", "phantom"));
    int64_t t0;
    int n = run_one_second(f, &t0);
    print_message("phantom 30 fps: %d frames in 1 s\n", n);
    assert_in_range(n, 20, 40);
    const struct rec *r = &f->r;
    check_consecutive(r);
    check_times(r, t0 - 1000, 100000);
    /* Paced at 30 fps: the mean spacing of capture times is ~33 ms. */
    double mean_ms =
        (double)(r->capture_us[r->frames - 1] - r->capture_us[0]) / (r->frames - 1) / 1e3;
    print_message("mean frame spacing %.2f ms\n", mean_ms);
    assert_true(mean_ms > 31.0 && mean_ms < 36.0);
    check_caps(r->caps, "video/x-raw", "GRAY8", 640, 480, 30, 1);
    assert_int_equal(r->caps_changes, 0);
    assert_true(r->min_bytes >= (size_t)640 * 480);
    /* Frame i is the phantom's frame i (the source draws seed 1, default
     * depth, at its rate; 640 is a multiple of 4, so rows are packed). */
    struct tsn_phantom *p = tsn_phantom_new(640, 480, 0, 1);
    assert_non_null(p);
    uint8_t *want = malloc((size_t)640 * 480);
    assert_non_null(want);
    for (int i = 0; i < 3; i++) {
        tsn_phantom_render(p, (uint64_t)i, 30.0, want, 640);
        if (!same_bytes(r->kept[i], want, (size_t)640 * 480))
            fail_msg("frame %d is not the phantom's frame %d", i, i);
    }
    free(want);
    tsn_phantom_free(p);
}

static void test_phantom_size_and_rate(void **state)
{
    struct fixture *f = *state;
    assert_non_null(MAKE(f, "--source", "phantom", "--size", "320x240", "--fps", "10"));
    struct tsn_source_info in;
    tsn_source_info(f->s, &in);
    assert_int_equal(in.width, 320);
    assert_int_equal(in.height, 240);
    assert_float_equal((double)in.fps_num / in.fps_den, 10.0, 1e-9);
    assert_float_equal(in.spacing_mm, 80.0 / (240 - 2 * 15), 1e-12);
    int64_t t0;
    int n = run_one_second(f, &t0);
    print_message("phantom 10 fps: %d frames in 1 s\n", n);
    assert_in_range(n, 5, 15);
    check_consecutive(&f->r);
    check_times(&f->r, t0 - 1000, 100000);
    check_caps(f->r.caps, "video/x-raw", "GRAY8", 320, 240, 10, 1);
    assert_true(f->r.min_bytes >= (size_t)320 * 240);
}

/* Flags the command line takes but the phantom cannot draw: usage errors. */
static void refused_phantom(struct fixture *f, const char *flag, const char *value,
                            const char *text)
{
    assert_null(MAKE(f, "--source", "phantom", flag, value));
    assert_int_equal(f->exit_code, TSN_EXIT_USAGE);
    if (!strstr(f->why, text))
        fail_msg("reason \"%s\" does not mention \"%s\"", f->why, text);
    tsn_capture_opts_clear(&f->o);
}

static void test_phantom_refused(void **state)
{
    struct fixture *f = *state;
    refused_phantom(f, "--size", "32x32", "cannot be 32x32");
    refused_phantom(f, "--size", "4096x2160", "cannot be 4096x2160");
    refused_phantom(f, "--depth", "20", "at 20 mm depth");
    refused_phantom(f, "--depth", "400", "at 400 mm depth");
    assert_int_equal(f->r.frames, 0);
}

/* ---- file ---- */

static void test_file_cycles(void **state)
{
    struct fixture *f = *state;
    char src[PATH_MAX + 160];
    assert_non_null(MAKE(f, "--source", file_source(src, sizeof src, BONE), "--fps", "30"));
    struct tsn_source_info in;
    tsn_source_info(f->s, &in);
    assert_string_equal(in.kind, "file");
    assert_int_equal(in.width, 820);
    assert_int_equal(in.height, 616);
    assert_int_equal(in.gray, 1);
    assert_float_equal((double)in.fps_num / in.fps_den, 30.0, 1e-9);
    assert_float_equal(in.spacing_mm, 0.0, 0.0);
    int64_t t0 = now_us(CLOCK_REALTIME);
    start(f);
    assert_true(wait_for(&f->r, 23, 5000)); /* past the loop point at frame 21 */
    stop(f);
    const struct rec *r = &f->r;
    for (int i = 0; i < r->frames && i < MAX_FRAMES; i++)
        if (r->index[i] != (uint64_t)(i % 21))
            fail_msg("frame %d has index %llu, not %d", i, (unsigned long long)r->index[i], i % 21);
    check_times(r, t0 - 1000, 100000);
    /* --fps overrides the clip's 500/43 in the caps. */
    check_caps(r->caps, "video/x-raw", "GRAY8", 820, 616, 30, 1);
    assert_int_equal(r->caps_changes, 0);
    assert_int_equal(r->min_bytes, (size_t)820 * 616);
    assert_int_equal(r->max_bytes, (size_t)820 * 616);
    /* Each frame is the clip's frame of that index, replayed. */
    char why[256] = "";
    struct tsn_clip *clip = NULL;
    assert_int_equal(tsn_clip_load(src + 5, (size_t)1 << 30, &clip, why, sizeof why), 0);
    for (int i = 0; i < KEEP && i < r->frames; i++) {
        GstBuffer *want = clip->frames[i % 21];
        GstMapInfo m;
        assert_true(gst_buffer_map(want, &m, GST_MAP_READ));
        bool eq = same_bytes(r->kept[i], m.data, m.size);
        gst_buffer_unmap(want, &m);
        if (!eq)
            fail_msg("frame %d differs from clip frame %d", i, i % 21);
    }
    tsn_clip_free(clip);
}

static void test_file_own_rate(void **state)
{
    struct fixture *f = *state;
    char src[PATH_MAX + 160];
    assert_non_null(MAKE(f, "--source", file_source(src, sizeof src, BONE)));
    struct tsn_source_info in;
    tsn_source_info(f->s, &in);
    assert_int_equal(in.fps_num, 500);
    assert_int_equal(in.fps_den, 43);
    start(f);
    assert_true(wait_for(&f->r, 3, 3000));
    stop(f);
    check_consecutive(&f->r);
    check_caps(f->r.caps, "video/x-raw", "GRAY8", 820, 616, 500, 43);
}

static void test_file_colour(void **state)
{
    struct fixture *f = *state;
    char src[PATH_MAX + 160];
    assert_non_null(MAKE(f, "--source", file_source(src, sizeof src, COLOUR), "--fps", "60"));
    struct tsn_source_info in;
    tsn_source_info(f->s, &in);
    assert_int_equal(in.gray, 0);
    start(f);
    assert_true(wait_for(&f->r, 3, 3000));
    stop(f);
    check_caps(f->r.caps, "video/x-raw", "I420", 320, 240, 60, 1);
    assert_int_equal(f->r.min_bytes, (size_t)320 * 240 * 3 / 2);
}

static void test_file_missing(void **state)
{
    struct fixture *f = *state;
    assert_null(MAKE(f, "--source", "file:/nonexistent/dir/clip.mkv"));
    assert_int_equal(f->exit_code, TSN_EXIT_SOURCE);
    assert_non_null(strstr(f->why, "/nonexistent/dir/clip.mkv"));
}

/* ---- stopping ---- */

/* Free during a (slow) callback: it waits for that callback, then none
 * follows. */
static void test_free_prompt_no_late_callback(void **state)
{
    struct fixture *f = *state;
    f->r.slow_cb_ms = 20;
    assert_non_null(MAKE(f, "--source", "phantom"));
    start(f);
    assert_true(wait_for(&f->r, 5, 3000));
    int64_t t0 = now_us(CLOCK_MONOTONIC);
    stop(f);
    int64_t ms = (now_us(CLOCK_MONOTONIC) - t0) / 1000;
    print_message("free took %lld ms\n", (long long)ms);
    assert_true(ms < 250);
    int n = frames_seen(&f->r);
    g_usleep(200 * 1000);
    assert_int_equal(frames_seen(&f->r), n);
    assert_int_equal(f->r.after_free, 0);
    tsn_source_free(NULL);
}

/* ---- V4L2 over the fake device ---- */

static const struct mock_size two_sizes[] = {{320, 240}, {640, 480}};

static void device_offers(struct fixture *f, uint32_t fourcc)
{
    mock_v4l2_add_format(&f->mock, fourcc, two_sizes, 2);
    f->mock.rates[0] = 30;
    f->mock.rates[1] = 15;
    f->mock.n_rates = 2;
}

static void test_v4l2_gray(void **state)
{
    struct fixture *f = *state;
    device_offers(f, V4L2_PIX_FMT_GREY);
    assert_non_null(MAKE(f, "--source", "v4l2:" DEV, "--size", "320x240", "--fps", "15"));
    struct tsn_source_info in;
    tsn_source_info(f->s, &in);
    assert_string_equal(in.kind, "v4l2");
    assert_int_equal(in.gray, 0); /* not known until it streams */
    int64_t t0 = now_us(CLOCK_REALTIME);
    start(f);
    assert_true(wait_for(&f->r, 10, 3000));
    tsn_source_info(f->s, &in);
    assert_int_equal(in.gray, 1);
    stop(f);
    const struct rec *r = &f->r;
    check_caps(r->caps, "video/x-raw", "GRAY8", 320, 240, 15, 1);
    assert_int_equal(r->caps_changes, 0);
    assert_int_equal(r->min_bytes, (size_t)320 * 240);
    assert_int_equal(r->max_bytes, (size_t)320 * 240);
    check_consecutive(r); /* the driver's sequence numbers, from 0 */
    /* Capture times are the device's (made DEVICE_AGE_US old), not "now". */
    check_times(r, t0 - DEVICE_AGE_US - 1000, DEVICE_AGE_US + 100000);
    for (int i = 0; i < r->frames && i < MAX_FRAMES; i++)
        if (r->called_us[i] - r->capture_us[i] < DEVICE_AGE_US - 5000)
            fail_msg("frame %d: capture time is not the device's", i);
    /* The bytes are the device's. */
    GstMapInfo m;
    for (int i = 0; i < 3; i++) {
        assert_true(gst_buffer_map(r->kept[i], &m, GST_MAP_READ));
        for (uint32_t y = 0; y < 240; y++)
            for (uint32_t x = 0; x < 320; x++)
                if (m.data[y * 320 + x] != mock_v4l2_pixel((uint32_t)i, y, x))
                    fail_msg("frame %d: byte (%u, %u) is not the device's", i, x, y);
        gst_buffer_unmap(r->kept[i], &m);
    }
}

static void test_v4l2_yuyv(void **state)
{
    struct fixture *f = *state;
    device_offers(f, V4L2_PIX_FMT_YUYV);
    assert_non_null(MAKE(f, "--source", "v4l2:" DEV));
    start(f);
    assert_true(wait_for(&f->r, 5, 3000));
    struct tsn_source_info in;
    tsn_source_info(f->s, &in);
    assert_int_equal(in.gray, 0);
    stop(f);
    /* No size or rate asked: the largest size, the fastest rate. */
    check_caps(f->r.caps, "video/x-raw", "YUY2", 640, 480, 30, 1);
    assert_int_equal(f->r.min_bytes, (size_t)640 * 480 * 2);
    check_consecutive(&f->r);
}

static void test_v4l2_mjpeg(void **state)
{
    struct fixture *f = *state;
    device_offers(f, V4L2_PIX_FMT_MJPEG);
    assert_non_null(MAKE(f, "--source", "v4l2:" DEV, "--size", "640x480", "--fps", "15"));
    start(f);
    assert_true(wait_for(&f->r, 5, 3000));
    stop(f);
    const struct rec *r = &f->r;
    check_caps(r->caps, "image/jpeg", NULL, 640, 480, 15, 1);
    for (int i = 0; i < 5; i++) {
        GstMapInfo m;
        assert_true(gst_buffer_map(r->kept[i], &m, GST_MAP_READ));
        assert_int_equal(m.size, mock_v4l2_jpeg_len((uint32_t)i));
        assert_true(m.data[0] == 0xff && m.data[1] == 0xd8);
        assert_true(m.data[m.size - 2] == 0xff && m.data[m.size - 1] == 0xd9);
        gst_buffer_unmap(r->kept[i], &m);
    }
}

static void test_v4l2_missing_fails_fast(void **state)
{
    struct fixture *f = *state;
    device_offers(f, V4L2_PIX_FMT_GREY);
    f->mock.present = false;
    assert_null(MAKE(f, "--source", "v4l2:" DEV));
    assert_int_equal(f->exit_code, TSN_EXIT_SOURCE);
    if (!strstr(f->why, "does not exist"))
        fail_msg("reason \"%s\" does not say the device does not exist", f->why);
    assert_non_null(strstr(f->why, DEV));
}

/* The device passes the probe at tsn_source_new but is busy once the
 * capture thread sets the format: the failed callback says so, no frame. */
static void test_v4l2_fails_after_start(void **state)
{
    struct fixture *f = *state;
    device_offers(f, V4L2_PIX_FMT_GREY);
    f->mock.sfmt_err = -EBUSY;
    assert_non_null(MAKE(f, "--source", "v4l2:" DEV));
    start(f);
    assert_true(wait_for(&f->r, -1, 3000));
    stop(f);
    assert_int_equal(f->r.failed, 1);
    if (!strstr(f->r.failed_why, "is busy"))
        fail_msg("failed reason \"%s\" does not say busy", f->r.failed_why);
    assert_int_equal(f->r.frames, 0);
}

/* Waiting for the device skips the probe; a node that is no capture
 * device then fails on the capture thread. */
static void test_v4l2_waiting_not_capture_fails(void **state)
{
    struct fixture *f = *state;
    device_offers(f, V4L2_PIX_FMT_GREY);
    f->mock.caps = V4L2_CAP_META_CAPTURE | V4L2_CAP_STREAMING;
    assert_non_null(MAKE(f, "--source", "v4l2:" DEV, "--wait-for-device"));
    start(f);
    assert_true(wait_for(&f->r, -1, 3000));
    stop(f);
    assert_int_equal(f->r.failed, 1);
    if (!strstr(f->r.failed_why, "is not a video capture device"))
        fail_msg("failed reason \"%s\"", f->r.failed_why);
    assert_int_equal(f->r.frames, 0);
}

static int group_setup(void **state)
{
    (void)state;
    tsn_log_set_level(getenv("TSN_TEST_LOG") ? TSN_LOG_DEBUG : TSN_LOG_ERROR);
    if (find_clips() != 0) {
        print_error("test_source: no %s in TSN_CLIPS or in tests/data/ultrasound above this "
                    "program\n",
                    BONE);
        return -1; /* fails the group: missing data is no pass */
    }
    return 0;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    gst_init(NULL, NULL);
    const struct CMUnitTest tests[] = {
        T(test_phantom_defaults),
        T(test_phantom_frames),
        T(test_phantom_size_and_rate),
        T(test_phantom_refused),
        T(test_file_cycles),
        T(test_file_own_rate),
        T(test_file_colour),
        T(test_file_missing),
        T(test_free_prompt_no_late_callback),
        T(test_v4l2_gray),
        T(test_v4l2_yuyv),
        T(test_v4l2_mjpeg),
        T(test_v4l2_missing_fails_fast),
        T(test_v4l2_fails_after_start),
        T(test_v4l2_waiting_not_capture_fails),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, NULL);
    gst_deinit();
    return rc;
}
