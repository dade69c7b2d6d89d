/* Unit tests for the pure parts of tsn-frame-check
 * (tests/integration/frame_check_core.c, compiled in here because the tool
 * is a program, not a library the unit tests link): frame-log lines, dump
 * file names, --mask rectangles, RGB -> luma, PSNR against hand-computed
 * values with and without excluded rectangles, the mask check's border rule
 * and the percentile. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../integration/frame_check_core.c"

#define LINE(s) (s), strlen(s)

static void test_log_line_ok(void **state)
{
    struct tsn_fc_log_entry e;
    assert_int_equal(
        tsn_fc_parse_log_line(LINE("{\"capture_us\": 1700000000123456, \"index\": 20}\n"), &e), 0);
    assert_true(e.capture_us == 1700000000123456LL);
    assert_int_equal(e.index, 20);
    /* Member order and extra members do not matter. */
    assert_int_equal(tsn_fc_parse_log_line(LINE("{\"index\":0,\"pts_ns\":5,\"capture_us\":1}"), &e),
                     0);
    assert_int_equal(e.index, 0);
    assert_int_equal(e.capture_us, 1);
}

static void test_log_line_bad(void **state)
{
    struct tsn_fc_log_entry e = {7, 7};
    assert_int_equal(tsn_fc_parse_log_line(LINE(""), &e), -ENODATA);
    assert_int_equal(tsn_fc_parse_log_line(LINE("  \t\r\n"), &e), -ENODATA);
    const char *bad[] = {
        "{",
        "[1,2]",
        "42",
        "{\"capture_us\": 5}",
        "{\"index\": 5}",
        "{\"capture_us\": \"5\", \"index\": 1}",
        "{\"capture_us\": 5.0, \"index\": 1}",
        "{\"capture_us\": 5, \"index\": null}",
        "{\"capture_us\": 5, \"index\": 1} trailing",
        "{\"capture_us\": 5, \"capture_us\": 6, \"index\": 1}",
        "{\"capture_us\": 99999999999999999999999, \"index\": 1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tsn_fc_parse_log_line(bad[i], strlen(bad[i]), &e) != -EBADMSG)
            fail_msg("accepted: %s", bad[i]);
    assert_int_equal(tsn_fc_parse_log_line(LINE("{\"capture_us\": 0, \"index\": 1}"), &e), -ERANGE);
    assert_int_equal(tsn_fc_parse_log_line(LINE("{\"capture_us\": -4, \"index\": 1}"), &e),
                     -ERANGE);
    assert_int_equal(tsn_fc_parse_log_line(LINE("{\"capture_us\": 4, \"index\": -1}"), &e),
                     -ERANGE);
    /* Only len bytes are read: a line cut short is not an object. */
    assert_int_equal(tsn_fc_parse_log_line("{\"capture_us\": 4, \"index\": 1}", 20, &e), -EBADMSG);
}

static void test_frame_name(void **state)
{
    uint64_t idx;
    int64_t cap;
    assert_int_equal(tsn_fc_parse_frame_name("frame-000012-1700000000123456.png", &idx, &cap), 0);
    assert_int_equal(idx, 12);
    assert_true(cap == 1700000000123456LL);
    assert_int_equal(tsn_fc_parse_frame_name("frame-1234567-0.png", &idx, &cap), 0);
    assert_int_equal(idx, 1234567);
    assert_int_equal(cap, 0);
    const char *bad[] = {
        "frame-000012-1700000000123456.png.tmp",
        "frame-000012-1700000000123456.PNG",
        "frame-000012.png",
        "frame--5.png",
        "frame-1--5.png",
        "frame-1-5",
        "frame-1-5.pngx",
        "Frame-1-5.png",
        "frame-x-5.png",
        "frame-1-99999999999999999999.png",
        "frame-1-9223372036854775808.png",
        ".",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tsn_fc_parse_frame_name(bad[i], &idx, &cap) != -EINVAL)
            fail_msg("accepted: %s", bad[i]);
}

static void test_rect(void **state)
{
    struct tsn_fc_rect r;
    assert_int_equal(tsn_fc_parse_rect("0,0,256,64", &r), 0);
    assert_true(r.x == 0 && r.y == 0 && r.w == 256 && r.h == 64);
    assert_int_equal(tsn_fc_parse_rect("10,20,30,40", &r), 0);
    assert_true(r.x == 10 && r.y == 20 && r.w == 30 && r.h == 40);
    const char *bad[] = {"",         "1,2,3",    "1,2,3,4,5", "1,2,3,0", "1,2,0,3",
                         "-1,2,3,4", "1, 2,3,4", "1,2,3,4 ",  "a,b,c,d", "1,2,3,99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tsn_fc_parse_rect(bad[i], &r) != -EINVAL)
            fail_msg("accepted: %s", bad[i]);
}

static void test_luma(void **state)
{
    const uint8_t rgb[] = {0, 0, 0,   255, 255, 255, 77,  77, 77,  255, 0,
                           0, 0, 255, 0,   0,   0,   255, 10, 200, 30};
    uint8_t y[7];
    tsn_fc_luma_from_rgb(rgb, 7, y);
    assert_int_equal(y[0], 0);
    assert_int_equal(y[1], 255);
    assert_int_equal(y[2], 77);  /* grey is itself */
    assert_int_equal(y[3], 76);  /* 0.299 * 255 = 76.2 */
    assert_int_equal(y[4], 150); /* 0.587 * 255 = 149.7 */
    assert_int_equal(y[5], 29);  /* 0.114 * 255 = 29.1 */
    assert_int_equal(y[6], 124); /* 2.99 + 117.4 + 3.42 = 123.8 */
    /* Every grey level maps to itself. */
    for (int v = 0; v < 256; v++) {
        uint8_t px[3] = {(uint8_t)v, (uint8_t)v, (uint8_t)v}, out;
        tsn_fc_luma_from_rgb(px, 1, &out);
        assert_int_equal(out, v);
    }
}

static void test_psnr(void **state)
{
    uint8_t a[4 * 4], b[4 * 4];
    memset(a, 100, sizeof a);
    memcpy(b, a, sizeof b);
    assert_true(tsn_fc_psnr(a, b, 4, 4, NULL, 0) == TSN_FC_PSNR_IDENTICAL);
    /* Every pixel off by 1: MSE 1, PSNR 20 log10(255) = 48.1308 dB. */
    memset(b, 101, sizeof b);
    assert_true(fabs(tsn_fc_psnr(a, b, 4, 4, NULL, 0) - 48.130803608679) < 1e-9);
    /* One pixel off by 16 of 16: MSE 16, PSNR 48.1308 - 12.0412 = 36.0896. */
    memcpy(b, a, sizeof b);
    b[5] = 116;
    assert_true(fabs(tsn_fc_psnr(a, b, 4, 4, NULL, 0) - 36.089603691) < 1e-6);
    /* Excluding the rectangle holding that pixel: identical again. */
    struct tsn_fc_rect ex = {1, 1, 1, 1};
    assert_true(tsn_fc_psnr(a, b, 4, 4, &ex, 1) == TSN_FC_PSNR_IDENTICAL);
    /* Excluding another pixel: SSE 256 over 15 pixels. */
    struct tsn_fc_rect other = {3, 3, 5, 5};
    assert_true(fabs(tsn_fc_psnr(a, b, 4, 4, &other, 1) - 10 * log10(255.0 * 255 * 15 / 256)) <
                1e-9);
    /* Nothing left to compare. */
    struct tsn_fc_rect all = {0, 0, 4, 4};
    assert_true(isnan(tsn_fc_psnr(a, b, 4, 4, &all, 1)));
    /* Worst case: 0 against 255 everywhere is 0 dB. */
    memset(a, 0, sizeof a);
    memset(b, 255, sizeof b);
    assert_true(fabs(tsn_fc_psnr(a, b, 4, 4, NULL, 0)) < 1e-12);
}

/* A 10x8 frame of picture (luma 200) with a black rectangle at (2,2) 5x4. */
static void make_masked(uint8_t *f)
{
    memset(f, 200, 80);
    for (int y = 2; y < 6; y++)
        memset(f + y * 10 + 2, 0, 5);
}

static void test_mask_check(void **state)
{
    uint8_t f[80];
    struct tsn_fc_rect r = {2, 2, 5, 4};
    int x = -1, y = -1, v = -1;
    make_masked(f);
    assert_int_equal(tsn_fc_mask_violations(f, 10, 8, &r, 0, 0, &x, &y, &v), 0);
    assert_int_equal(x, -1);
    /* Halo on the rim: tolerated with border 1, not with border 0. */
    f[2 * 10 + 4] = 60; /* top edge */
    f[5 * 10 + 6] = 60; /* bottom-right corner */
    assert_int_equal(tsn_fc_mask_violations(f, 10, 8, &r, 1, 24, &x, &y, &v), 0);
    assert_int_equal(tsn_fc_mask_violations(f, 10, 8, &r, 0, 24, &x, &y, &v), 2);
    assert_true(x == 4 && y == 2 && v == 60);
    /* Faint values under the threshold pass anywhere. */
    make_masked(f);
    f[3 * 10 + 4] = 24;
    assert_int_equal(tsn_fc_mask_violations(f, 10, 8, &r, 2, 24, NULL, NULL, NULL), 0);
    /* Brighter inside: counted, first reported row-major. */
    f[3 * 10 + 4] = 25;
    f[4 * 10 + 3] = 90;
    assert_int_equal(tsn_fc_mask_violations(f, 10, 8, &r, 1, 24, &x, &y, &v), 2);
    assert_true(x == 4 && y == 3 && v == 25);
    /* With border 2 the 5x4 rect has no interior left: nothing to check. */
    assert_int_equal(tsn_fc_mask_violations(f, 10, 8, &r, 2, 24, NULL, NULL, NULL), 0);
}

/* A mask on the frame's corner: the edges on the frame border get no
 * tolerance (nothing outside to bleed from), the inner ones do. */
static void test_mask_at_frame_edge(void **state)
{
    uint8_t f[80];
    memset(f, 200, sizeof f);
    for (int y = 0; y < 3; y++)
        memset(f + y * 10, 0, 4); /* rect (0,0) 4x3 */
    struct tsn_fc_rect r = {0, 0, 4, 3};
    int x, y, v;
    f[0] = 80; /* frame corner, inside the mask */
    assert_int_equal(tsn_fc_mask_violations(f, 10, 8, &r, 2, 24, &x, &y, &v), 1);
    assert_true(x == 0 && y == 0 && v == 80);
    f[0] = 0;
    f[2 * 10 + 3] = 80; /* on the inner edges: within the border */
    assert_int_equal(tsn_fc_mask_violations(f, 10, 8, &r, 2, 24, &x, &y, &v), 0);
    /* A rectangle hanging off the frame is clipped, not read past the end. */
    struct tsn_fc_rect off = {8, 6, 100, 100};
    assert_int_equal(tsn_fc_mask_violations(f, 10, 8, &off, 0, 24, &x, &y, &v), 4);
    struct tsn_fc_rect outside = {20, 20, 5, 5};
    assert_int_equal(tsn_fc_mask_violations(f, 10, 8, &outside, 0, 24, &x, &y, &v), 0);
}

static void test_percentile(void **state)
{
    double v[20];
    for (int i = 0; i < 20; i++)
        v[i] = 40.0 + (double)((i * 7) % 20);         /* 40..59 scrambled */
    assert_true(tsn_fc_percentile(v, 20, 5) == 40.0); /* rank ceil(1.0) = 1 */
    assert_true(tsn_fc_percentile(v, 20, 6) == 41.0);
    assert_true(tsn_fc_percentile(v, 20, 50) == 49.0);
    assert_true(tsn_fc_percentile(v, 20, 100) == 59.0);
    assert_true(isnan(tsn_fc_percentile(v, 0, 5)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_line_ok), cmocka_unit_test(test_log_line_bad),
        cmocka_unit_test(test_frame_name),  cmocka_unit_test(test_rect),
        cmocka_unit_test(test_luma),        cmocka_unit_test(test_psnr),
        cmocka_unit_test(test_mask_check),  cmocka_unit_test(test_mask_at_frame_edge),
        cmocka_unit_test(test_percentile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
