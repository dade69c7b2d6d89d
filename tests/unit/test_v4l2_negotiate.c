/* Unit tests for capture/v4l2_negotiate.c over the fake device of
 * mock_v4l2.h: the probe's verdicts and sentences (missing, permission,
 * busy, not V4L2, not a capture device, no usable format, fine); format
 * choice (GRAY8 first, an exact size beats preference, a configured
 * fourcc); size choice (exact, closest by area, largest, stepwise); rate
 * choice (exact, closest, fastest, none settable); busy or refused S_FMT. */
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
#include "v4l2_negotiate.h"

#define PATH "/dev/v4l/by-id/usb-Mock_Probe-video-index0"

struct fixture {
    struct mock_v4l2 mock;
    struct tsn_v4l2_ops ops;
    struct tsn_v4l2_format fmt;
    char why[320];
};

static const struct mock_size uvc_sizes[] = {{640, 480}, {1280, 720}, {1920, 1080}};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    mock_v4l2_init(&f->mock, PATH);
    f->ops = mock_v4l2_ops(&f->mock);
    tsn_log_set_level(TSN_LOG_ERROR);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(f->mock.open_fds, 0);
    mock_v4l2_destroy(&f->mock);
    free(f);
    return 0;
}

/* Opens the fake device, negotiates, closes; returns what negotiate did. */
static int negotiate(struct fixture *f, uint32_t w, uint32_t h, uint32_t fps, uint32_t fourcc)
{
    const struct tsn_v4l2_want want = {w, h, fps, fourcc};
    int fd = f->ops.open(f->ops.ctx, PATH, 0);
    assert_true(fd >= 0);
    memset(&f->fmt, 0, sizeof f->fmt);
    f->why[0] = '\0';
    int r = tsn_v4l2_negotiate(&f->ops, fd, PATH, &want, &f->fmt, f->why, sizeof f->why);
    f->ops.close(f->ops.ctx, fd);
    return r;
}

static void uvc_like(struct fixture *f)
{
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_MJPEG, uvc_sizes, 3);
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_YUYV, uvc_sizes, 3);
    static const uint32_t rates[] = {60, 30, 15, 5};
    memcpy(f->mock.rates, rates, sizeof rates);
    f->mock.n_rates = 4;
}

/* ---- the probe ---- */

static void test_probe_ok(void **state)
{
    struct fixture *f = *state;
    uvc_like(f);
    char why[320];
    assert_int_equal(tsn_v4l2_probe(PATH, &f->ops, why, sizeof why), 0);
    assert_string_equal(why, PATH " is \"Mock Probe\" (driver mock), offering MJPG YUYV");
    assert_int_equal(tsn_v4l2_probe(PATH, &f->ops, NULL, 0), 0);
}

static void probe_fails(struct fixture *f, int err, const char *text)
{
    char why[320] = "";
    assert_int_equal(tsn_v4l2_probe(PATH, &f->ops, why, sizeof why), err);
    if (!strstr(why, text))
        fail_msg("\"%s\" lacks \"%s\"", why, text);
}

static void test_probe_missing(void **state)
{
    struct fixture *f = *state;
    f->mock.present = false;
    probe_fails(f, -ENOENT,
                "device " PATH " does not exist (is the probe plugged in? see `ls /dev/video*`)");
}

static void test_probe_permission(void **state)
{
    struct fixture *f = *state;
    f->mock.open_err = -EACCES;
    probe_fails(f, -EACCES, "no permission to open " PATH " (add the user to the video group");
}

static void test_probe_busy(void **state)
{
    struct fixture *f = *state;
    f->mock.open_err = -EBUSY;
    probe_fails(f, -EBUSY, "device " PATH " is busy (another program is using it)");
}

static void test_probe_not_v4l2(void **state)
{
    struct fixture *f = *state;
    f->mock.not_v4l2 = true;
    probe_fails(f, -ENOTTY, PATH " is not a V4L2 video device");
}

static void test_probe_metadata_node(void **state)
{
    struct fixture *f = *state;
    uvc_like(f);
    f->mock.caps = V4L2_CAP_META_CAPTURE | V4L2_CAP_STREAMING;
    probe_fails(f, -ENOTTY, PATH " is not a video capture device");
    probe_fails(f, -ENOTTY, "metadata node");
}

static void test_probe_no_streaming(void **state)
{
    struct fixture *f = *state;
    uvc_like(f);
    f->mock.caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_READWRITE;
    probe_fails(f, -ENOTTY, "is not a video capture device");
}

static void test_probe_no_usable_format(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_H264, uvc_sizes, 1);
    probe_fails(f, -ENOTSUP,
                PATH " offers no supported format (it offers: H264; telesono-capture takes GREY, "
                     "NV12, YUYV, MJPG)");
}

static void test_probe_offers_nothing(void **state)
{
    struct fixture *f = *state;
    probe_fails(f, -ENOTSUP, "(it offers: nothing;");
}

/* ---- formats ---- */

static void test_gray_preferred(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_MJPEG, uvc_sizes, 2);
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_YUYV, uvc_sizes, 2);
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_NV12, uvc_sizes, 2);
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, uvc_sizes, 2);
    assert_int_equal(negotiate(f, 640, 480, 0, 0), 0);
    assert_int_equal(f->fmt.fourcc, V4L2_PIX_FMT_GREY);
    assert_int_equal(f->fmt.bytesperline, 640);
    assert_int_equal(f->fmt.sizeimage, 640 * 480);
}

static void test_nv12_before_yuyv_before_mjpeg(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_MJPEG, uvc_sizes, 1);
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_YUYV, uvc_sizes, 1);
    assert_int_equal(negotiate(f, 640, 480, 0, 0), 0);
    assert_int_equal(f->fmt.fourcc, V4L2_PIX_FMT_YUYV);
    assert_int_equal(f->fmt.bytesperline, 1280);
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_NV12, uvc_sizes, 1);
    assert_int_equal(negotiate(f, 640, 480, 0, 0), 0);
    assert_int_equal(f->fmt.fourcc, V4L2_PIX_FMT_NV12);
}

static void single_format(struct fixture *f, uint32_t fourcc)
{
    mock_v4l2_add_format(&f->mock, fourcc, uvc_sizes, 3);
    assert_int_equal(negotiate(f, 1280, 720, 30, 0), 0);
    assert_int_equal(f->fmt.fourcc, fourcc);
    assert_int_equal(f->fmt.width, 1280);
    assert_int_equal(f->fmt.height, 720);
}

static void test_gray_only(void **state)
{
    single_format(*state, V4L2_PIX_FMT_GREY);
}

static void test_yuyv_only(void **state)
{
    single_format(*state, V4L2_PIX_FMT_YUYV);
}

static void test_nv12_only(void **state)
{
    single_format(*state, V4L2_PIX_FMT_NV12);
}

static void test_mjpeg_only(void **state)
{
    struct fixture *f = *state;
    single_format(f, V4L2_PIX_FMT_MJPEG);
    assert_int_equal(f->fmt.bytesperline, 0); /* no stride for a compressed format */
}

/* A grabber offering grey only at SD and YUYV at HD: asked for HD, HD wins. */
static void test_exact_size_beats_preference(void **state)
{
    struct fixture *f = *state;
    static const struct mock_size sd[] = {{720, 576}};
    static const struct mock_size hd[] = {{1920, 1080}};
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, sd, 1);
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_YUYV, hd, 1);
    assert_int_equal(negotiate(f, 1920, 1080, 0, 0), 0);
    assert_int_equal(f->fmt.fourcc, V4L2_PIX_FMT_YUYV);
    /* Asked for a size nobody offers: preference decides, then the closest. */
    assert_int_equal(negotiate(f, 1280, 720, 0, 0), 0);
    assert_int_equal(f->fmt.fourcc, V4L2_PIX_FMT_GREY);
    assert_int_equal(f->fmt.width, 720);
}

/* USB 2 UVC cameras: YUYV at 720p only at 10 fps, MJPEG at 30. The rate
 * asked for decides between two formats that both offer the size. */
static void test_rate_decides_between_formats(void **state)
{
    struct fixture *f = *state;
    static const struct mock_size sizes[] = {{640, 480}, {1280, 720}};
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_YUYV, sizes, 2);
    f->mock.fmts[0].rates[0] = 10;
    f->mock.fmts[0].rates[1] = 5;
    f->mock.fmts[0].n_rates = 2;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_MJPEG, sizes, 2);
    f->mock.fmts[1].rates[0] = 30;
    f->mock.fmts[1].rates[1] = 15;
    f->mock.fmts[1].n_rates = 2;
    assert_int_equal(negotiate(f, 1280, 720, 30, 0), 0);
    assert_int_equal(f->fmt.fourcc, V4L2_PIX_FMT_MJPEG);
    assert_int_equal(f->fmt.fps_num, 30);
    assert_int_equal(negotiate(f, 1280, 720, 10, 0), 0);
    assert_int_equal(f->fmt.fourcc, V4L2_PIX_FMT_YUYV);
    assert_int_equal(f->fmt.fps_num, 10);
    /* No rate wished: the preferred format, at its fastest. */
    assert_int_equal(negotiate(f, 1280, 720, 0, 0), 0);
    assert_int_equal(f->fmt.fourcc, V4L2_PIX_FMT_YUYV);
    assert_int_equal(f->fmt.fps_num, 10);
    /* A rate nobody offers at that size: the size still wins, then preference. */
    assert_int_equal(negotiate(f, 1280, 720, 60, 0), 0);
    assert_int_equal(f->fmt.fourcc, V4L2_PIX_FMT_YUYV);
}

static void test_configured_fourcc(void **state)
{
    struct fixture *f = *state;
    uvc_like(f);
    assert_int_equal(negotiate(f, 640, 480, 0, V4L2_PIX_FMT_MJPEG), 0);
    assert_int_equal(f->fmt.fourcc, V4L2_PIX_FMT_MJPEG);
    assert_int_equal(negotiate(f, 640, 480, 0, V4L2_PIX_FMT_GREY), -ENOTSUP);
    assert_string_equal(f->why, PATH " does not offer format GREY (it offers: MJPG YUYV)");
}

/* ---- sizes ---- */

static void size_is(struct fixture *f, uint32_t w, uint32_t h, uint32_t ew, uint32_t eh)
{
    assert_int_equal(negotiate(f, w, h, 0, 0), 0);
    if (f->fmt.width != ew || f->fmt.height != eh)
        fail_msg("asked %ux%u, got %ux%u, expected %ux%u", w, h, f->fmt.width, f->fmt.height, ew,
                 eh);
}

static void test_size_exact_closest_largest(void **state)
{
    struct fixture *f = *state;
    uvc_like(f);
    size_is(f, 1280, 720, 1280, 720);   /* exact */
    size_is(f, 1000, 700, 1280, 720);   /* 700,000 px: 921,600 is closer than 307,200 */
    size_is(f, 800, 600, 640, 480);     /* 480,000 px: 307,200 is closer than 921,600 */
    size_is(f, 4096, 2160, 1920, 1080); /* larger than anything: the largest */
    size_is(f, 160, 120, 640, 480);     /* smaller than anything: the smallest */
    size_is(f, 0, 0, 1920, 1080);       /* no wish: the largest */
    assert_int_equal(f->fmt.bytesperline, 1920 * 2);
}

static void test_size_stepwise(void **state)
{
    struct fixture *f = *state;
    static const struct mock_size range[] = {{64, 64}, {1920, 1200}};
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, range, 2);
    f->mock.fmts[0].stepwise = true;
    size_is(f, 820, 616, 816, 616); /* snapped to the 16-pixel step from 64 */
    size_is(f, 4000, 4000, 1920, 1200);
    size_is(f, 0, 0, 1920, 1200);
}

static void test_driver_stride_read_back(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_YUYV, uvc_sizes, 1);
    f->mock.stride_pad = 128;
    assert_int_equal(negotiate(f, 640, 480, 0, 0), 0);
    assert_int_equal(f->fmt.bytesperline, 640 * 2 + 128);
    assert_int_equal(f->fmt.sizeimage, (640 * 2 + 128) * 480);
}

/* ---- rates ---- */

static void rate_is(struct fixture *f, uint32_t fps, uint32_t num, uint32_t den)
{
    assert_int_equal(negotiate(f, 640, 480, fps, 0), 0);
    if (f->fmt.fps_num != num || f->fmt.fps_den != den)
        fail_msg("asked %u fps, got %u/%u, expected %u/%u", fps, f->fmt.fps_num, f->fmt.fps_den,
                 num, den);
}

static void test_rate_exact_closest_fastest(void **state)
{
    struct fixture *f = *state;
    uvc_like(f); /* 60, 30, 15, 5 */
    rate_is(f, 15, 15, 1);
    rate_is(f, 20, 15, 1);
    rate_is(f, 25, 30, 1);
    rate_is(f, 1, 5, 1);
    rate_is(f, 120, 60, 1);
    rate_is(f, 0, 60, 1);
}

static void test_rate_not_settable(void **state)
{
    struct fixture *f = *state;
    uvc_like(f);
    f->mock.timeperframe = false;
    f->mock.tpf = (struct v4l2_fract){0, 0};
    rate_is(f, 30, 0, 1); /* the driver does not say: variable */
    f->mock.tpf = (struct v4l2_fract){1001, 30000};
    rate_is(f, 30, 30000, 1001); /* the driver's own rate is read back */
}

static void test_rate_without_intervals(void **state)
{
    struct fixture *f = *state;
    mock_v4l2_add_format(&f->mock, V4L2_PIX_FMT_GREY, uvc_sizes, 1);
    /* No ENUM_FRAMEINTERVALS: the wish goes to S_PARM as it is. */
    rate_is(f, 25, 30, 1); /* the mock's default when it lists no rates */
    f->mock.rates[0] = 25;
    f->mock.n_rates = 1;
    rate_is(f, 25, 25, 1);
}

/* ---- refusals ---- */

static void test_busy_at_s_fmt(void **state)
{
    struct fixture *f = *state;
    uvc_like(f);
    f->mock.sfmt_err = -EBUSY;
    assert_int_equal(negotiate(f, 640, 480, 0, 0), -EBUSY);
    assert_string_equal(f->why, "device " PATH " is busy (another program is using it)");
}

static void test_refused_s_fmt(void **state)
{
    struct fixture *f = *state;
    uvc_like(f);
    f->mock.sfmt_err = -ERANGE;
    assert_int_equal(negotiate(f, 640, 480, 0, 0), -EINVAL);
    assert_non_null(strstr(f->why, PATH " refused format YUYV 640x480"));
    assert_true(tsn_v4l2_negotiate_is_permanent(-EINVAL));
    assert_false(tsn_v4l2_negotiate_is_permanent(-EBUSY));
    assert_false(tsn_v4l2_negotiate_is_permanent(-ENOENT));
}

static void test_unplugged_during_negotiation(void **state)
{
    struct fixture *f = *state;
    uvc_like(f);
    int fd = f->ops.open(f->ops.ctx, PATH, 0);
    mock_v4l2_unplug(&f->mock);
    const struct tsn_v4l2_want want = {640, 480, 30, 0};
    int r = tsn_v4l2_negotiate(&f->ops, fd, PATH, &want, &f->fmt, f->why, sizeof f->why);
    f->ops.close(f->ops.ctx, fd);
    assert_int_equal(r, -ENODEV);
    assert_non_null(strstr(f->why, "device " PATH " was unplugged (VIDIOC_QUERYCAP"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_probe_ok),
        T(test_probe_missing),
        T(test_probe_permission),
        T(test_probe_busy),
        T(test_probe_not_v4l2),
        T(test_probe_metadata_node),
        T(test_probe_no_streaming),
        T(test_probe_no_usable_format),
        T(test_probe_offers_nothing),
        T(test_gray_preferred),
        T(test_nv12_before_yuyv_before_mjpeg),
        T(test_gray_only),
        T(test_yuyv_only),
        T(test_nv12_only),
        T(test_mjpeg_only),
        T(test_exact_size_beats_preference),
        T(test_rate_decides_between_formats),
        T(test_configured_fourcc),
        T(test_size_exact_closest_largest),
        T(test_size_stepwise),
        T(test_driver_stride_read_back),
        T(test_rate_exact_closest_fastest),
        T(test_rate_not_settable),
        T(test_rate_without_intervals),
        T(test_busy_at_s_fmt),
        T(test_refused_s_fmt),
        T(test_unplugged_during_negotiation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
