/* Unit tests for capture/freeze.c, the hold logic of a frozen picture:
 * frames pass unchanged until a freeze; then every frame sent has the
 * pixels, caps and source index of the newest frame before the freeze (a
 * new buffer each time, writable, whose pixels a writer downstream cannot
 * change in the held frame) while the source's frames are dropped; a second
 * freeze keeps the first picture; unfreezing brings live frames back; a
 * freeze before any frame holds the first one; --ignore-freeze (honour 0)
 * never holds; the changes reported for logging. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <gst/gst.h>

#include "freeze.h"
#include "gst_sanitizer.h"

#define FRAME_BYTES 64

static GstCaps *gray_caps(int width)
{
    return gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "GRAY8", "width", G_TYPE_INT,
                               width, "height", G_TYPE_INT, 8, NULL);
}

/* A frame whose every byte is `value`. */
static GstBuffer *frame(uint8_t value)
{
    GstBuffer *b = gst_buffer_new_allocate(NULL, FRAME_BYTES, NULL);
    gst_buffer_memset(b, 0, value, FRAME_BYTES);
    return b;
}

static int all_bytes(GstBuffer *b, uint8_t value)
{
    GstMapInfo m;
    assert_true(gst_buffer_map(b, &m, GST_MAP_READ));
    int ok = m.size == FRAME_BYTES;
    for (gsize i = 0; ok && i < m.size; i++)
        ok = m.data[i] == value;
    gst_buffer_unmap(b, &m);
    return ok;
}

/* One source frame through the hold: returns the byte value sent (every
 * byte equal, asserted), its index in *index and its caps' width. */
struct sent {
    int value;
    uint64_t index;
    int width;
};

static struct sent push(struct tsn_freeze *f, uint8_t value, uint64_t index, GstCaps *caps)
{
    GstBuffer *in = frame(value);
    GstBuffer *buf = in;
    GstCaps *c = caps;
    tsn_freeze_frame(f, &buf, &c, &index);
    assert_non_null(buf);
    assert_true(gst_buffer_is_writable(buf));
    struct sent s = {.value = -1, .index = index};
    GstMapInfo m;
    assert_true(gst_buffer_map(buf, &m, GST_MAP_READ));
    s.value = m.data[0];
    gst_buffer_unmap(buf, &m);
    assert_true(all_bytes(buf, (uint8_t)s.value));
    gst_structure_get_int(gst_caps_get_structure(c, 0), "width", &s.width);
    gst_buffer_unref(buf);
    gst_caps_unref(c);
    return s;
}

static void test_hold_and_release(void **state)
{
    GstCaps *narrow = gray_caps(8), *wide = gray_caps(16);
    struct tsn_freeze *f = tsn_freeze_new(1);
    struct sent s = push(f, 10, 0, narrow);
    assert_int_equal(s.value, 10);
    assert_int_equal(s.index, 0);
    s = push(f, 11, 1, narrow);
    assert_int_equal(s.value, 11);
    assert_false(tsn_freeze_holding(f));

    assert_int_equal(tsn_freeze_set(f, 1), TSN_FREEZE_HOLD_STARTED);
    assert_true(tsn_freeze_holding(f));
    assert_int_equal(tsn_freeze_held_index(f), 1);
    /* New source frames (even of another size) are replaced by frame 1. */
    for (uint8_t v = 12; v < 20; v++) {
        s = push(f, v, v - 10, v & 1 ? wide : narrow);
        assert_int_equal(s.value, 11);
        assert_int_equal(s.index, 1);
        assert_int_equal(s.width, 8);
    }
    assert_int_equal(tsn_freeze_frames_held(f), 8);
    /* Frozen again (another clinician): the first picture stays. */
    assert_int_equal(tsn_freeze_set(f, 1), TSN_FREEZE_NO_CHANGE);
    assert_int_equal(push(f, 20, 10, narrow).value, 11);

    assert_int_equal(tsn_freeze_set(f, 0), TSN_FREEZE_HOLD_ENDED);
    assert_false(tsn_freeze_holding(f));
    s = push(f, 21, 11, wide);
    assert_int_equal(s.value, 21);
    assert_int_equal(s.index, 11);
    assert_int_equal(s.width, 16);
    assert_int_equal(tsn_freeze_set(f, 0), TSN_FREEZE_NO_CHANGE);
    /* A second freeze holds the newest frame then. */
    assert_int_equal(tsn_freeze_set(f, 1), TSN_FREEZE_HOLD_STARTED);
    assert_int_equal(push(f, 22, 12, narrow).value, 21);
    assert_int_equal(tsn_freeze_frames_held(f), 10);
    tsn_freeze_free(f);
    tsn_freeze_free(NULL);
    gst_caps_unref(narrow);
    gst_caps_unref(wide);
}

/* Downstream writes (privacy masks draw into the frame they get) must not
 * reach the held pixels. */
static void test_held_pixels_stay(void **state)
{
    GstCaps *caps = gray_caps(8);
    struct tsn_freeze *f = tsn_freeze_new(1);
    push(f, 50, 0, caps);
    tsn_freeze_set(f, 1);
    for (int i = 0; i < 3; i++) {
        GstBuffer *buf = frame(60);
        GstCaps *c = caps;
        uint64_t index = 1;
        tsn_freeze_frame(f, &buf, &c, &index);
        GstMapInfo m;
        assert_true(gst_buffer_map(buf, &m, GST_MAP_WRITE));
        assert_int_equal(m.data[0], 50);
        memset(m.data, 0, m.size);
        gst_buffer_unmap(buf, &m);
        gst_buffer_unref(buf);
        gst_caps_unref(c);
    }
    assert_int_equal(push(f, 61, 2, caps).value, 50);
    tsn_freeze_free(f);
    gst_caps_unref(caps);
}

static void test_frozen_before_first_frame(void **state)
{
    GstCaps *caps = gray_caps(8);
    struct tsn_freeze *f = tsn_freeze_new(1);
    assert_int_equal(tsn_freeze_set(f, 1), TSN_FREEZE_HOLD_STARTED);
    assert_int_equal(push(f, 7, 3, caps).value, 7); /* the first frame is the picture */
    struct sent s = push(f, 8, 4, caps);
    assert_int_equal(s.value, 7);
    assert_int_equal(s.index, 3);
    assert_int_equal(tsn_freeze_frames_held(f), 1);
    assert_int_equal(tsn_freeze_set(f, 0), TSN_FREEZE_HOLD_ENDED);
    assert_int_equal(push(f, 9, 5, caps).value, 9);
    tsn_freeze_free(f);
    gst_caps_unref(caps);
}

static void test_ignore_freeze(void **state)
{
    GstCaps *caps = gray_caps(8);
    struct tsn_freeze *f = tsn_freeze_new(0);
    push(f, 1, 0, caps);
    assert_int_equal(tsn_freeze_set(f, 1), TSN_FREEZE_IGNORED);
    assert_int_equal(tsn_freeze_set(f, 1), TSN_FREEZE_NO_CHANGE);
    assert_false(tsn_freeze_holding(f));
    struct sent s = push(f, 2, 1, caps);
    assert_int_equal(s.value, 2);
    assert_int_equal(s.index, 1);
    assert_int_equal(tsn_freeze_set(f, 0), TSN_FREEZE_NO_CHANGE);
    assert_int_equal(tsn_freeze_set(f, 1), TSN_FREEZE_IGNORED);
    assert_int_equal(tsn_freeze_frames_held(f), 0);
    tsn_freeze_free(f);
    gst_caps_unref(caps);
}

int main(void)
{
    gst_init(NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hold_and_release),
        cmocka_unit_test(test_held_pixels_stay),
        cmocka_unit_test(test_frozen_before_first_frame),
        cmocka_unit_test(test_ignore_freeze),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
