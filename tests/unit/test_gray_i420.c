/* Unit tests for capture/gray_i420.c: the luma plane is the grey image
 * (exactly, in full range; through 16 + v*219/255 in limited range), chroma
 * is a flat 128, padded source rows (a GstVideoMeta stride) are honoured,
 * and the capture-time meta and timestamps are carried over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <gst/video/video.h>

#include "abs_capture_time.h"
#include "gray_i420.h"
#include "gst_sanitizer.h"

#define W 34 /* not a multiple of 4: rows are padded in the default layout */
#define H 10

static GstBuffer *gray_frame(size_t stride, int with_meta)
{
    GstBuffer *b = gst_buffer_new_allocate(NULL, stride * H, NULL);
    GstMapInfo m;
    gst_buffer_map(b, &m, GST_MAP_WRITE);
    memset(m.data, 0xEE, m.size); /* padding must never show up */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            m.data[(size_t)y * stride + x] = (uint8_t)(x * 7 + y * 13);
    gst_buffer_unmap(b, &m);
    if (with_meta) {
        gsize offset[4] = {0};
        gint strides[4] = {(gint)stride};
        gst_buffer_add_video_meta_full(b, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_FORMAT_GRAY8, W, H,
                                       1, offset, strides);
    }
    GST_BUFFER_PTS(b) = 12345;
    tsn_act_buffer_set_capture_unix_us(b, 1795000000123456);
    return b;
}

static void check(GstBuffer *out, int full_range)
{
    GstVideoInfo vi;
    GstVideoFrame f;
    gst_video_info_set_format(&vi, GST_VIDEO_FORMAT_I420, W, H);
    assert_true(gst_video_frame_map(&f, &vi, out, GST_MAP_READ));
    const uint8_t *y = GST_VIDEO_FRAME_PLANE_DATA(&f, 0);
    for (int r = 0; r < H; r++)
        for (int x = 0; x < W; x++) {
            int v = (uint8_t)(x * 7 + r * 13);
            int want = full_range ? v : 16 + (v * 219 + 127) / 255;
            assert_int_equal(y[r * GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0) + x], want);
        }
    for (int p = 1; p <= 2; p++) {
        const uint8_t *c = GST_VIDEO_FRAME_PLANE_DATA(&f, p);
        for (int r = 0; r < GST_VIDEO_FRAME_COMP_HEIGHT(&f, p); r++)
            for (int x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH(&f, p); x++)
                assert_int_equal(c[r * GST_VIDEO_FRAME_PLANE_STRIDE(&f, p) + x], 128);
    }
    gst_video_frame_unmap(&f);
    assert_int_equal(GST_BUFFER_PTS(out), 12345);
    assert_true(tsn_act_buffer_capture_unix_us(out) == 1795000000123456);
}

static void test_full_range_default_layout(void **state)
{
    GstBuffer *in = gray_frame(GST_ROUND_UP_4(W), 0);
    GstBuffer *out = tsn_gray_to_i420(in, W, H, 1);
    assert_non_null(out);
    check(out, 1);
    gst_buffer_unref(out);
    gst_buffer_unref(in);
}

static void test_limited_range(void **state)
{
    GstBuffer *in = gray_frame(GST_ROUND_UP_4(W), 0);
    GstBuffer *out = tsn_gray_to_i420(in, W, H, 0);
    assert_non_null(out);
    check(out, 0);
    gst_buffer_unref(out);
    gst_buffer_unref(in);
}

static void test_padded_rows_from_meta(void **state)
{
    GstBuffer *in = gray_frame(48, 1); /* a decoder's padded stride */
    GstBuffer *out = tsn_gray_to_i420(in, W, H, 1);
    assert_non_null(out);
    check(out, 1);
    gst_buffer_unref(out);
    gst_buffer_unref(in);
}

static void test_too_short_is_refused(void **state)
{
    GstBuffer *in = gst_buffer_new_allocate(NULL, 10, NULL);
    assert_null(tsn_gray_to_i420(in, W, H, 1));
    gst_buffer_unref(in);
}

int main(void)
{
    gst_init(NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_range_default_layout),
        cmocka_unit_test(test_limited_range),
        cmocka_unit_test(test_padded_rows_from_meta),
        cmocka_unit_test(test_too_short_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
