/* Unit tests for the spot finder of tsn-frame-check (tsn_fc_find_blobs in
 * tests/integration/frame_check_core.c), which the caliper test uses to find
 * the phantom's point targets in a decoded frame without being told where
 * they are: on rendered phantom frames of several sizes and depths (from
 * 480 to 720 lines; below that the targets' dark halo is too thin for the
 * default ring) it finds
 * exactly the two targets, each within a fifth of a pixel of where the
 * phantom put it; a spot on tissue (no dark surroundings), a line and a
 * bar are not spots; a Gaussian spot's centroid is sub-pixel exact; the
 * output is sorted and capped. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../integration/frame_check_core.c"
#include "phantom.h"

static const struct tsn_fc_blob_opts defaults = TSN_FC_BLOB_DEFAULTS;

static void check_phantom(int w, int h, double depth_mm, uint64_t frame)
{
    struct tsn_phantom *p = tsn_phantom_new(w, h, depth_mm, 7);
    assert_non_null(p);
    uint8_t *gray = malloc((size_t)w * (size_t)h);
    tsn_phantom_render(p, frame, 30, gray, (size_t)w);
    double want[4];
    tsn_phantom_targets(p, want);
    struct tsn_fc_blob b[8];
    long n = tsn_fc_find_blobs(gray, w, h, &defaults, b, 8);
    if (n != 2)
        fail_msg("%dx%d depth %g frame %llu: %ld spots, expected the 2 targets", w, h, depth_mm,
                 (unsigned long long)frame, n);
    /* Equal peaks: the upper one first. */
    for (int i = 0; i < 2; i++) {
        double dx = b[i].x - want[2 * i], dy = b[i].y - want[2 * i + 1];
        if (fabs(dx) > 0.2 || fabs(dy) > 0.2)
            fail_msg("%dx%d: target %d found at (%.2f, %.2f), placed at (%.2f, %.2f)", w, h, i,
                     b[i].x, b[i].y, want[2 * i], want[2 * i + 1]);
    }
    double mm = hypot(b[1].x - b[0].x, b[1].y - b[0].y) * tsn_phantom_pixel_spacing_mm(p);
    assert_true(fabs(mm - TSN_PHANTOM_TARGET_SEPARATION_MM) <
                0.2 * tsn_phantom_pixel_spacing_mm(p));
    free(gray);
    tsn_phantom_free(p);
}

static void test_phantom_targets(void **state)
{
    for (uint64_t frame = 0; frame < 600; frame += 29) /* the motion changes the speckle */
        check_phantom(640, 480, 0, frame);
    check_phantom(800, 600, 100, 7);
    check_phantom(820, 616, 60, 3);
    check_phantom(1280, 720, 150, 40);
}

/* A Gaussian spot at a fractional position on a dark background. */
static void put_spot(uint8_t *img, int w, int h, double cx, double cy, double sigma, int peak)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double r2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            int v = (int)lround(peak * exp(-r2 / (2 * sigma * sigma)));
            if (v > img[(size_t)y * (size_t)w + (size_t)x])
                img[(size_t)y * (size_t)w + (size_t)x] = (uint8_t)v;
        }
}

static void test_synthetic(void **state)
{
    enum { W = 200, H = 120 };
    uint8_t *img = calloc(W * H, 1);
    put_spot(img, W, H, 30.3, 40.7, 1.5, 250);
    put_spot(img, W, H, 60.0, 20.0, 1.5, 200);
    /* Too little contrast: peak 160 over a ring of 20. */
    for (int y = 5; y < 35; y++)
        memset(img + (size_t)y * W + 135, 20, 30);
    put_spot(img, W, H, 150.0, 20.0, 1.5, 160);
    /* A spot on tissue: grey all around it. */
    for (int y = 70; y < 110; y++)
        memset(img + (size_t)y * W + 10, 100, 40);
    put_spot(img, W, H, 30, 90, 1.5, 255);
    /* A horizontal line and a thick bar: not compact. */
    memset(img + (size_t)60 * W + 100, 255, 30);
    for (int y = 80; y < 86; y++)
        memset(img + (size_t)y * W + 120, 255, 20);
    struct tsn_fc_blob b[4];
    long n = tsn_fc_find_blobs(img, W, H, &defaults, b, 4);
    assert_int_equal(n, 2);
    assert_true(b[0].peak >= b[1].peak);
    assert_true(fabs(b[0].x - 30.3) < 0.1 && fabs(b[0].y - 40.7) < 0.1);
    assert_true(fabs(b[1].x - 60.0) < 0.1 && fabs(b[1].y - 20.0) < 0.1);
    assert_true(b[0].ring_mean < 5);
    struct tsn_fc_blob_opts any_contrast = defaults;
    any_contrast.min_contrast = 0;
    assert_int_equal(tsn_fc_find_blobs(img, W, H, &any_contrast, b, 4), 3);
    /* Capped output, full count. */
    assert_int_equal(tsn_fc_find_blobs(img, W, H, &defaults, b, 1), 2);
    /* A stricter threshold leaves only the brighter spot. */
    struct tsn_fc_blob_opts strict = defaults;
    strict.min_luma = 220;
    n = tsn_fc_find_blobs(img, W, H, &strict, b, 4);
    assert_int_equal(n, 1);
    assert_true(fabs(b[0].x - 30.3) < 0.3);
    /* Nothing bright at all. */
    memset(img, 0, W * H);
    assert_int_equal(tsn_fc_find_blobs(img, W, H, &defaults, b, 4), 0);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phantom_targets),
        cmocka_unit_test(test_synthetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
