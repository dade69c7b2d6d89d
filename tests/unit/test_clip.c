/* Unit tests for capture/clip.c over the real clips of tests/data/ultrasound:
 * the bone clip (820x616 GRAY8, 21 frames, 500/43 fps) loads with the right
 * numbers and every frame bit-identical to an independent decode
 * (matroskademux ! avdec_ffv1); the frame grabber clip (640x480, 200 frames)
 * and the colour clip (320x240, becomes I420, not grey) load with the right
 * numbers and frame sizes; a missing file, a directory, random bytes, an
 * empty file and a text file give a negative errno and a reason, promptly;
 * the max_bytes limit is exact (-EFBIG one byte below the decoded size).
 *
 * The clips are found through TSN_CLIPS, else in the source tree
 * (test_clips.h); a missing clip fails the test. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "clip.h"
#include "gst_sanitizer.h"
#include "test_clips.h"

#define BONE             "BoneUltrasound_L14_ffv1.mkv"
#define USTC             "USTC_FrameGrabber_ffv1.mkv"
#define COLOUR           "examples_ybr_color_ffv1.mkv"
#define NO_LIMIT         ((size_t)1 << 30)
#define BONE_FRAME_BYTES ((size_t)820 * 616)
/* A file that is no video must be refused at once, not after a decoder
 * timeout: generous for a loaded machine and sanitizers, far below 10 s. */
#define PROMPT_MS 3000

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *clip_path(const char *name)
{
    static char p[PATH_MAX + 128];
    snprintf(p, sizeof p, "%s/%s", clips_dir, name);
    return p;
}

static struct tsn_clip *load_ok(const char *name)
{
    char why[256] = "";
    struct tsn_clip *c = NULL;
    int rc = tsn_clip_load(clip_path(name), NO_LIMIT, &c, why, sizeof why);
    if (rc != 0)
        fail_msg("loading %s: %d (%s)", name, rc, why);
    assert_non_null(c);
    return c;
}

static const char *caps_format(const GstCaps *caps)
{
    assert_int_equal(gst_caps_get_size(caps), 1);
    const GstStructure *st = gst_caps_get_structure(caps, 0);
    assert_string_equal(gst_structure_get_name(st), "video/x-raw");
    const char *f = gst_structure_get_string(st, "format");
    assert_non_null(f);
    return f;
}

/* Numbers and frame sizes every loaded clip must agree with. */
static void check_clip(const struct tsn_clip *c, int w, int h, int fps_num, int fps_den,
                       int n_frames, const char *format, size_t frame_bytes)
{
    assert_int_equal(c->width, w);
    assert_int_equal(c->height, h);
    assert_int_equal(c->fps_num, fps_num);
    assert_int_equal(c->fps_den, fps_den);
    assert_int_equal(c->n_frames, n_frames);
    assert_string_equal(caps_format(c->caps), format);
    assert_int_equal(c->gray, strcmp(format, "GRAY8") == 0);
    GstVideoInfo vi;
    assert_true(gst_video_info_from_caps(&vi, c->caps));
    assert_int_equal(GST_VIDEO_INFO_WIDTH(&vi), w);
    assert_int_equal(GST_VIDEO_INFO_HEIGHT(&vi), h);
    assert_int_equal(GST_VIDEO_INFO_SIZE(&vi), frame_bytes);
    assert_non_null(c->frames);
    for (int i = 0; i < c->n_frames; i++) {
        assert_non_null(c->frames[i]);
        assert_int_equal(gst_buffer_get_size(c->frames[i]), frame_bytes);
    }
}

static int buffers_equal(GstBuffer *a, GstBuffer *b)
{
    GstMapInfo ma, mb;
    assert_true(gst_buffer_map(a, &ma, GST_MAP_READ));
    assert_true(gst_buffer_map(b, &mb, GST_MAP_READ));
    int eq = ma.size == mb.size && memcmp(ma.data, mb.data, ma.size) == 0;
    gst_buffer_unmap(b, &mb);
    gst_buffer_unmap(a, &ma);
    return eq;
}

/* Decodes the bone clip the plain way (no decodebin, no videoconvert) and
 * compares each frame with what tsn_clip_load kept. */
static void compare_with_plain_decode(const struct tsn_clip *c, const char *path)
{
    GError *err = NULL;
    GstElement *p = gst_parse_launch(
        "filesrc name=src ! matroskademux ! avdec_ffv1 ! appsink name=sink sync=false", &err);
    assert_non_null(p);
    GstElement *src = gst_bin_get_by_name(GST_BIN(p), "src");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "sink");
    g_object_set(src, "location", path, NULL);
    assert_int_not_equal(gst_element_set_state(p, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    int n = 0;
    GstSample *s;
    while ((s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 10 * GST_SECOND))) {
        assert_string_equal(caps_format(gst_sample_get_caps(s)), "GRAY8");
        assert_true(n < c->n_frames);
        if (!buffers_equal(gst_sample_get_buffer(s), c->frames[n]))
            fail_msg("frame %d differs from the plain decode", n);
        n++;
        gst_sample_unref(s);
    }
    assert_true(gst_app_sink_is_eos(GST_APP_SINK(sink)));
    assert_int_equal(n, c->n_frames);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(src);
    gst_object_unref(sink);
    gst_object_unref(p);
}

/* ---- the real clips ---- */

static void test_bone(void **state)
{
    (void)state;
    struct tsn_clip *c = load_ok(BONE);
    check_clip(c, 820, 616, 500, 43, 21, "GRAY8", BONE_FRAME_BYTES);
    /* Real content: not all one value, and frames differ from each other. */
    GstMapInfo m;
    assert_true(gst_buffer_map(c->frames[10], &m, GST_MAP_READ));
    uint8_t lo = 255, hi = 0;
    for (size_t i = 0; i < m.size; i++) {
        lo = m.data[i] < lo ? m.data[i] : lo;
        hi = m.data[i] > hi ? m.data[i] : hi;
    }
    gst_buffer_unmap(c->frames[10], &m);
    assert_true(hi - lo > 100);
    assert_false(buffers_equal(c->frames[0], c->frames[20]));
    compare_with_plain_decode(c, clip_path(BONE));
    tsn_clip_free(c);
}

static void test_frame_grabber(void **state)
{
    (void)state;
    struct tsn_clip *c = load_ok(USTC);
    check_clip(c, 640, 480, 10, 1, 200, "GRAY8", (size_t)640 * 480);
    tsn_clip_free(c);
}

/* A colour clip becomes I420 (320x240: 320*240 luma + 2 * 160*120 chroma). */
static void test_colour_becomes_i420(void **state)
{
    (void)state;
    struct tsn_clip *c = load_ok(COLOUR);
    check_clip(c, 320, 240, 30, 1, 30, "I420", (size_t)320 * 240 * 3 / 2);
    assert_int_equal(c->gray, 0);
    tsn_clip_free(c);
}

/* ---- errors ---- */

/* Loading path must fail with rc, a reason containing `text`, no clip,
 * and promptly. */
static void expect_refused(const char *path, size_t max_bytes, int rc, const char *text)
{
    char why[256] = "";
    struct tsn_clip *c = (struct tsn_clip *)&why; /* must be overwritten with NULL */
    int64_t t0 = mono_ms();
    int got = tsn_clip_load(path, max_bytes, &c, why, sizeof why);
    int64_t ms = mono_ms() - t0;
    print_message("%s: %d \"%s\" in %lld ms\n", path, got, why, (long long)ms);
    assert_int_equal(got, rc);
    assert_null(c);
    if (!strstr(why, text))
        fail_msg("reason \"%s\" does not mention \"%s\"", why, text);
    if (ms > PROMPT_MS)
        fail_msg("refusing %s took %lld ms (limit %d)", path, (long long)ms, PROMPT_MS);
}

static void test_missing_file(void **state)
{
    (void)state;
    const char *path = clip_path("no_such_clip.mkv");
    expect_refused(path, NO_LIMIT, -ENOENT, path);
}

static void test_directory(void **state)
{
    (void)state;
    expect_refused(clips_dir, NO_LIMIT, -EINVAL, "cannot decode the clip");
}

/* A temporary file holding n bytes from fill (NULL: zero bytes). */
static void temp_file(char *path, const uint8_t *data, size_t n)
{
    strcpy(path, "/tmp/test_clip_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
}

static void test_random_bytes(void **state)
{
    (void)state;
    static uint8_t junk[64 * 1024];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (uint8_t)(x >> 24);
    }
    char path[64];
    temp_file(path, junk, sizeof junk);
    expect_refused(path, NO_LIMIT, -EINVAL, "cannot decode the clip");
    unlink(path);
}

static void test_empty_file(void **state)
{
    (void)state;
    char path[64];
    temp_file(path, NULL, 0);
    expect_refused(path, NO_LIMIT, -EINVAL, "cannot decode the clip");
    unlink(path);
}

static void test_text_file(void **state)
{
    (void)state;
    static const char text[] = "This is not a video.\nJust some lines of text.\n";
    char path[64];
    temp_file(path, (const uint8_t *)text, sizeof text - 1);
    expect_refused(path, NO_LIMIT, -EINVAL, "cannot decode the clip");
    unlink(path);
}

/* The limit is on the decoded bytes: exactly 21 frames fit, one byte less
 * does not. */
static void test_max_bytes(void **state)
{
    (void)state;
    char why[256] = "";
    struct tsn_clip *c = NULL;
    assert_int_equal(tsn_clip_load(clip_path(BONE), 21 * BONE_FRAME_BYTES, &c, why, sizeof why), 0);
    assert_non_null(c);
    assert_int_equal(c->n_frames, 21);
    tsn_clip_free(c);
    expect_refused(clip_path(BONE), 21 * BONE_FRAME_BYTES - 1, -EFBIG, "larger than");
    expect_refused(clip_path(BONE), (size_t)2 << 20, -EFBIG, "larger than 2 MB decoded");
}

static void test_free_null(void **state)
{
    (void)state;
    tsn_clip_free(NULL);
}

static int setup(void **state)
{
    (void)state;
    if (find_clips() != 0) {
        print_error("test_clip: no %s in TSN_CLIPS or in tests/data/ultrasound above this "
                    "program\n",
                    BONE);
        return -1; /* fails the whole group: missing data is no pass */
    }
    return 0;
}

int main(void)
{
    gst_init(NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bone),
        cmocka_unit_test(test_frame_grabber),
        cmocka_unit_test(test_colour_becomes_i420),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_directory),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_text_file),
        cmocka_unit_test(test_max_bytes),
        cmocka_unit_test(test_free_null),
    };
    int rc = cmocka_run_group_tests(tests, setup, NULL);
    gst_deinit();
    return rc;
}
