/* Unit tests for capture/v4l2_format.c: caps strings for each format; the
 * packed size and the layout match what GStreamer itself computes
 * (gst_video_info_set_format) for even and odd sizes; repacking strips the
 * driver's row padding, puts the NV12 chroma plane where GStreamer expects
 * it, and refuses short input, small output and bad strides. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gst/video/video.h>
#include <linux/videodev2.h>

#include "gst_sanitizer.h"
#include "v4l2_format.h"

static struct tsn_v4l2_format fmt_of(uint32_t fourcc, uint32_t w, uint32_t h, uint32_t bpl)
{
    return (struct tsn_v4l2_format){fourcc, w, h, bpl, 0, 30, 1};
}

static void caps_is(uint32_t fourcc, uint32_t w, uint32_t h, uint32_t n, uint32_t d,
                    const char *want)
{
    struct tsn_v4l2_format f = fmt_of(fourcc, w, h, 0);
    f.fps_num = n;
    f.fps_den = d;
    char buf[160];
    assert_int_equal(tsn_v4l2_format_caps(&f, buf, sizeof buf), (int)strlen(want));
    assert_string_equal(buf, want);
}

static void test_caps(void **state)
{
    (void)state;
    caps_is(V4L2_PIX_FMT_GREY, 640, 480, 30, 1,
            "video/x-raw,format=GRAY8,width=640,height=480,framerate=30/1");
    caps_is(V4L2_PIX_FMT_NV12, 1920, 1080, 60, 1,
            "video/x-raw,format=NV12,width=1920,height=1080,framerate=60/1");
    caps_is(V4L2_PIX_FMT_YUYV, 1280, 720, 30000, 1001,
            "video/x-raw,format=YUY2,width=1280,height=720,framerate=30000/1001");
    caps_is(V4L2_PIX_FMT_MJPEG, 1280, 720, 30, 1,
            "image/jpeg,width=1280,height=720,framerate=30/1");
    caps_is(V4L2_PIX_FMT_JPEG, 640, 480, 0, 1, "image/jpeg,width=640,height=480,framerate=0/1");
}

static void test_caps_errors(void **state)
{
    (void)state;
    struct tsn_v4l2_format f = fmt_of(V4L2_PIX_FMT_RGB24, 640, 480, 0);
    char buf[160];
    assert_int_equal(tsn_v4l2_format_caps(&f, buf, sizeof buf), -EINVAL);
    f.fourcc = V4L2_PIX_FMT_GREY;
    assert_int_equal(tsn_v4l2_format_caps(&f, buf, 20), -ENOSPC);
}

/* The caps are ones GStreamer parses into the same format and size. */
static void test_caps_parse_in_gstreamer(void **state)
{
    (void)state;
    static const uint32_t fourccs[] = {V4L2_PIX_FMT_GREY, V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_YUYV};
    static const char *const names[] = {"GRAY8", "NV12", "YUY2"};
    for (int i = 0; i < 3; i++) {
        struct tsn_v4l2_format f = fmt_of(fourccs[i], 642, 481, 0);
        char buf[160];
        assert_true(tsn_v4l2_format_caps(&f, buf, sizeof buf) > 0);
        GstCaps *caps = gst_caps_from_string(buf);
        assert_non_null(caps);
        GstVideoInfo vi;
        assert_true(gst_video_info_from_caps(&vi, caps));
        assert_string_equal(gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&vi)), names[i]);
        assert_int_equal(GST_VIDEO_INFO_WIDTH(&vi), 642);
        assert_int_equal(GST_VIDEO_INFO_HEIGHT(&vi), 481);
        gst_caps_unref(caps);
    }
}

/* Packed size, strides and plane offset equal GStreamer's own numbers. */
static void test_layout_matches_gstreamer(void **state)
{
    (void)state;
    static const uint32_t fourccs[] = {V4L2_PIX_FMT_GREY, V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_YUYV};
    static const GstVideoFormat gst[] = {GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_NV12,
                                         GST_VIDEO_FORMAT_YUY2};
    static const uint32_t widths[] = {640, 641, 642, 643, 820, 1920};
    static const uint32_t heights[] = {480, 481, 616, 1080};
    for (int i = 0; i < 3; i++)
        for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
            for (size_t h = 0; h < sizeof heights / sizeof *heights; h++) {
                GstVideoInfo vi;
                assert_true(gst_video_info_set_format(&vi, gst[i], widths[w], heights[h]));
                struct tsn_v4l2_format f = fmt_of(fourccs[i], widths[w], heights[h], 0);
                assert_int_equal(tsn_v4l2_format_packed_size(&f), GST_VIDEO_INFO_SIZE(&vi));
                /* A driver stride equal to GStreamer's needs no repacking
                 * (for NV12 only when the height is even). */
                f.bytesperline = (uint32_t)GST_VIDEO_INFO_PLANE_STRIDE(&vi, 0);
                bool same = fourccs[i] != V4L2_PIX_FMT_NV12 || heights[h] % 2 == 0;
                assert_int_equal(tsn_v4l2_format_is_gst_layout(&f), same);
                f.bytesperline += 4;
                assert_false(tsn_v4l2_format_is_gst_layout(&f));
            }
}

/* Fills a driver-layout frame: pixel bytes from a pattern, padding 0xEE. */
static uint8_t *driver_frame(const struct tsn_v4l2_format *f, uint32_t rows, size_t *len)
{
    uint32_t row = tsn_v4l2_format_row_bytes(f->fourcc, f->width);
    *len = (size_t)f->bytesperline * rows;
    uint8_t *p = malloc(*len);
    memset(p, 0xee, *len);
    for (uint32_t y = 0; y < rows; y++)
        for (uint32_t x = 0; x < row; x++)
            p[(size_t)y * f->bytesperline + x] = (uint8_t)(y * 5 + x);
    return p;
}

static void test_pack_gray_and_yuyv(void **state)
{
    (void)state;
    static const uint32_t fourccs[] = {V4L2_PIX_FMT_GREY, V4L2_PIX_FMT_YUYV};
    for (int i = 0; i < 2; i++) {
        struct tsn_v4l2_format f = fmt_of(fourccs[i], 642, 5, 0);
        uint32_t row = tsn_v4l2_format_row_bytes(f.fourcc, f.width);
        f.bytesperline = row + 100;
        size_t len;
        uint8_t *src = driver_frame(&f, 5, &len);
        size_t out_len = tsn_v4l2_format_packed_size(&f);
        size_t stride = out_len / 5;
        assert_int_equal(stride, (row + 3) / 4 * 4);
        uint8_t *dst = calloc(1, out_len);
        assert_int_equal(tsn_v4l2_format_pack(&f, src, len, dst, out_len), (int)out_len);
        for (uint32_t y = 0; y < 5; y++) {
            for (uint32_t x = 0; x < row; x++)
                assert_int_equal(dst[y * stride + x], (uint8_t)(y * 5 + x));
            for (size_t x = row; x < stride; x++)
                assert_int_equal(dst[y * stride + x], 0); /* no driver padding leaks in */
        }
        free(dst);
        free(src);
    }
}

static void test_pack_nv12_odd(void **state)
{
    (void)state;
    struct tsn_v4l2_format f = fmt_of(V4L2_PIX_FMT_NV12, 641, 481, 704);
    size_t len;
    uint8_t *src = driver_frame(&f, 481 + 241, &len);
    GstVideoInfo vi;
    gst_video_info_set_format(&vi, GST_VIDEO_FORMAT_NV12, 641, 481);
    uint8_t *dst = calloc(1, GST_VIDEO_INFO_SIZE(&vi));
    assert_int_equal(tsn_v4l2_format_pack(&f, src, len, dst, GST_VIDEO_INFO_SIZE(&vi)),
                     (int)GST_VIDEO_INFO_SIZE(&vi));
    size_t s0 = GST_VIDEO_INFO_PLANE_STRIDE(&vi, 0), s1 = GST_VIDEO_INFO_PLANE_STRIDE(&vi, 1);
    size_t off1 = GST_VIDEO_INFO_PLANE_OFFSET(&vi, 1);
    for (uint32_t y = 0; y < 481; y++)
        for (uint32_t x = 0; x < 641; x++)
            assert_int_equal(dst[y * s0 + x], (uint8_t)(y * 5 + x));
    for (uint32_t y = 0; y < 241; y++)
        for (uint32_t x = 0; x < 642; x++) /* 321 UV pairs */
            assert_int_equal(dst[off1 + y * s1 + x], (uint8_t)((481 + y) * 5 + x));
    free(dst);
    free(src);
}

static void test_pack_errors(void **state)
{
    (void)state;
    struct tsn_v4l2_format f = fmt_of(V4L2_PIX_FMT_GREY, 640, 4, 700);
    uint8_t src[700 * 4] = {0}, dst[640 * 4];
    /* The last row need not carry its padding. */
    assert_int_equal(tsn_v4l2_format_pack(&f, src, 700 * 3 + 640, dst, sizeof dst), 640 * 4);
    assert_int_equal(tsn_v4l2_format_pack(&f, src, 700 * 3 + 639, dst, sizeof dst), -EMSGSIZE);
    assert_int_equal(tsn_v4l2_format_pack(&f, src, sizeof src, dst, sizeof dst - 1), -ENOSPC);
    f.bytesperline = 639;
    assert_int_equal(tsn_v4l2_format_pack(&f, src, sizeof src, dst, sizeof dst), -EINVAL);
    f = fmt_of(V4L2_PIX_FMT_MJPEG, 640, 4, 0);
    assert_int_equal(tsn_v4l2_format_pack(&f, src, sizeof src, dst, sizeof dst), -EINVAL);
    assert_int_equal(tsn_v4l2_format_packed_size(&f), 0);
}

static void test_names_and_kinds(void **state)
{
    (void)state;
    char name[5];
    assert_string_equal(tsn_v4l2_fourcc_name(V4L2_PIX_FMT_YUYV, name), "YUYV");
    assert_string_equal(tsn_v4l2_fourcc_name(V4L2_PIX_FMT_GREY, name), "GREY");
    assert_string_equal(tsn_v4l2_fourcc_name(0x00000001, name), "????");
    assert_true(tsn_v4l2_format_accepted(V4L2_PIX_FMT_NV12));
    assert_true(tsn_v4l2_format_accepted(V4L2_PIX_FMT_MJPEG));
    assert_false(tsn_v4l2_format_accepted(V4L2_PIX_FMT_H264));
    assert_false(tsn_v4l2_format_accepted(0));
    assert_true(tsn_v4l2_format_is_jpeg(V4L2_PIX_FMT_JPEG));
    assert_false(tsn_v4l2_format_is_jpeg(V4L2_PIX_FMT_YUYV));
}


int main(void)
{
    gst_init(NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_caps_errors),
        cmocka_unit_test(test_caps_parse_in_gstreamer),
        cmocka_unit_test(test_layout_matches_gstreamer),
        cmocka_unit_test(test_pack_gray_and_yuyv),
        cmocka_unit_test(test_pack_nv12_odd),
        cmocka_unit_test(test_pack_errors),
        cmocka_unit_test(test_names_and_kinds),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    gst_deinit();
    return failed;
}
