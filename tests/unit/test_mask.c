/* Unit tests for capture/mask.c: the "X,Y,W,H" parser (good and bad
 * inputs, reasons, zeroed output), fitting to a frame, and painting I420 and
 * GRAY8 frames (every masked luma pixel black, every other luma pixel
 * untouched, every chroma sample touching a masked pixel neutral, odd edges
 * and odd frame sizes). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mask.h"

static void test_parse_good(void **state)
{
    struct tsn_mask_rect r;
    char why[128] = "";
    assert_int_equal(tsn_mask_parse("0,0,1,1", &r, why, sizeof why), 0);
    assert_int_equal(r.x, 0);
    assert_int_equal(r.y, 0);
    assert_int_equal(r.w, 1);
    assert_int_equal(r.h, 1);
    assert_int_equal(tsn_mask_parse("10,20,300,40", &r, why, sizeof why), 0);
    assert_int_equal(r.x, 10);
    assert_int_equal(r.y, 20);
    assert_int_equal(r.w, 300);
    assert_int_equal(r.h, 40);
    assert_int_equal(tsn_mask_parse("65535,65535,65535,65535", &r, NULL, 0), 0);
    assert_int_equal(r.x, TSN_MASK_MAX_COORD);
    assert_int_equal(r.h, TSN_MASK_MAX_COORD);
    assert_int_equal(tsn_mask_parse("007,0,08,9", &r, NULL, 0), 0); /* decimal, not octal */
    assert_int_equal(r.x, 7);
    assert_int_equal(r.w, 8);
}

static void expect_bad(const char *text, const char *reason_part)
{
    struct tsn_mask_rect r = {1, 2, 3, 4};
    char why[128] = "";
    assert_int_equal(tsn_mask_parse(text, &r, why, sizeof why), -EINVAL);
    assert_int_equal(r.x, 0);
    assert_int_equal(r.y, 0);
    assert_int_equal(r.w, 0);
    assert_int_equal(r.h, 0);
    assert_true(strlen(why) > 0);
    if (reason_part && !strstr(why, reason_part))
        fail_msg("reason for \"%s\" is \"%s\", expected it to mention \"%s\"", text ? text : "NULL",
                 why, reason_part);
}

static void test_parse_bad(void **state)
{
    expect_bad(NULL, "empty");
    expect_bad("", "empty");
    expect_bad("1,2,3", "too few");
    expect_bad("1,2,3,", "H");
    expect_bad("1,2,3,4,5", "junk");
    expect_bad("1,2,3,4 ", "junk");
    expect_bad("1,2,3,4x", "junk");
    expect_bad(" 1,2,3,4", "X");
    expect_bad("1, 2,3,4", "Y");
    expect_bad("-1,2,3,4", "negative");
    expect_bad("1,-2,3,4", "negative");
    expect_bad("+1,2,3,4", "X");
    expect_bad("1,2,0,4", "W must");
    expect_bad("1,2,3,0", "H must");
    expect_bad("a,b,c,d", "X");
    expect_bad("1,,3,4", "Y");
    expect_bad("1;2;3;4", "unexpected");
    expect_bad("65536,0,1,1", "larger");
    expect_bad("0,0,1,99999999999999999999999", "larger");
    expect_bad("1.5,2,3,4", "unexpected");
    expect_bad("0x10,0,1,1", "unexpected");
}

static void test_parse_reason_truncates(void **state)
{
    struct tsn_mask_rect r;
    char why[4];
    memset(why, 'z', sizeof why);
    assert_int_equal(tsn_mask_parse("bad", &r, why, sizeof why), -EINVAL);
    assert_int_equal(why[3], '\0');
    assert_int_equal(tsn_mask_parse("bad", &r, NULL, 0), -EINVAL);
}

static void test_fit(void **state)
{
    char why[128] = "";
    struct tsn_mask_rect r = {10, 20, 30, 40};
    assert_int_equal(tsn_mask_fit(&r, 640, 480, why, sizeof why), 0);
    assert_int_equal(r.x, 10);
    assert_int_equal(r.y, 20);
    assert_int_equal(r.w, 30);
    assert_int_equal(r.h, 40);

    r = (struct tsn_mask_rect){600, 470, 100, 100};
    assert_int_equal(tsn_mask_fit(&r, 640, 480, why, sizeof why), 0);
    assert_int_equal(r.x, 600);
    assert_int_equal(r.y, 470);
    assert_int_equal(r.w, 40);
    assert_int_equal(r.h, 10);

    r = (struct tsn_mask_rect){639, 479, INT_MAX, INT_MAX}; /* no overflow */
    assert_int_equal(tsn_mask_fit(&r, 640, 480, why, sizeof why), 0);
    assert_int_equal(r.w, 1);
    assert_int_equal(r.h, 1);

    r = (struct tsn_mask_rect){640, 0, 10, 10};
    why[0] = '\0';
    assert_int_equal(tsn_mask_fit(&r, 640, 480, why, sizeof why), -ERANGE);
    assert_non_null(strstr(why, "outside"));
    assert_int_equal(r.x, 640); /* unchanged on error */
    assert_int_equal(r.w, 10);

    r = (struct tsn_mask_rect){0, 480, 10, 10};
    assert_int_equal(tsn_mask_fit(&r, 640, 480, why, sizeof why), -ERANGE);

    r = (struct tsn_mask_rect){-1, 0, 10, 10};
    assert_int_equal(tsn_mask_fit(&r, 640, 480, why, sizeof why), -EINVAL);
    r = (struct tsn_mask_rect){0, 0, 0, 10};
    assert_int_equal(tsn_mask_fit(&r, 640, 480, why, sizeof why), -EINVAL);
    r = (struct tsn_mask_rect){0, 0, 10, 10};
    assert_int_equal(tsn_mask_fit(&r, 0, 480, why, sizeof why), -EINVAL);
    assert_int_equal(tsn_mask_fit(&r, 640, 480, NULL, 0), 0);
}

/* An I420 frame with distinct, never-black content and padded strides. */
struct frame {
    int w, h, cw, ch, ys, cs;
    uint8_t *y, *u, *v;
};

static void frame_init(struct frame *f, int w, int h)
{
    f->w = w;
    f->h = h;
    f->cw = (w + 1) / 2;
    f->ch = (h + 1) / 2;
    f->ys = w + 7;
    f->cs = f->cw + 5;
    f->y = malloc((size_t)f->ys * (size_t)h);
    f->u = malloc((size_t)f->cs * (size_t)f->ch);
    f->v = malloc((size_t)f->cs * (size_t)f->ch);
    assert_non_null(f->y);
    assert_non_null(f->u);
    assert_non_null(f->v);
    for (int i = 0; i < f->ys * h; i++)
        f->y[i] = (uint8_t)(40 + i % 200);
    for (int i = 0; i < f->cs * f->ch; i++) {
        f->u[i] = (uint8_t)(30 + i % 90);
        f->v[i] = (uint8_t)(140 + i % 100);
    }
}

static void frame_free(struct frame *f)
{
    free(f->y);
    free(f->u);
    free(f->v);
}

static int in_rects(const struct tsn_mask_rect *r, size_t n, int x, int y)
{
    for (size_t i = 0; i < n; i++)
        if (x >= r[i].x && x < (long)r[i].x + r[i].w && y >= r[i].y && y < (long)r[i].y + r[i].h)
            return 1;
    return 0;
}

/* Paints rects into a fresh frame and checks every byte of every plane. */
static void check_apply(int w, int h, const struct tsn_mask_rect *r, size_t n, int full)
{
    struct frame f, orig;
    frame_init(&f, w, h);
    frame_init(&orig, w, h);
    tsn_mask_apply_i420(f.y, f.ys, f.u, f.cs, f.v, f.cs, w, h, r, n, full);
    /* Luma: inside black, outside (and the stride padding) untouched. */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < f.ys; x++) {
            size_t i = (size_t)y * (size_t)f.ys + (size_t)x;
            if (x < w && in_rects(r, n, x, y))
                assert_int_equal(f.y[i], full ? 0 : 16);
            else
                assert_int_equal(f.y[i], orig.y[i]);
        }
    /* Chroma: a sample touching any masked pixel is neutral, others kept. */
    for (int cy = 0; cy < f.ch; cy++)
        for (int cx = 0; cx < f.cs; cx++) {
            size_t i = (size_t)cy * (size_t)f.cs + (size_t)cx;
            int touched = 0;
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) {
                    int x = 2 * cx + dx, y = 2 * cy + dy;
                    if (cx < f.cw && x < w && y < h && in_rects(r, n, x, y))
                        touched = 1;
                }
            assert_int_equal(f.u[i], touched ? 128 : orig.u[i]);
            assert_int_equal(f.v[i], touched ? 128 : orig.v[i]);
        }
    frame_free(&f);
    frame_free(&orig);
}

static void test_apply_even(void **state)
{
    struct tsn_mask_rect r = {4, 6, 10, 8};
    check_apply(32, 24, &r, 1, 1);
    check_apply(32, 24, &r, 1, 0);
}

static void test_apply_odd_edges(void **state)
{
    /* Odd start and odd end on both axes; single pixels; last column and
     * row of an odd-sized frame. */
    struct tsn_mask_rect rs[] = {{3, 5, 4, 3}, {0, 0, 1, 1}, {36, 28, 1, 1}, {11, 0, 1, 29}};
    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
        check_apply(37, 29, &rs[i], 1, 1);
    check_apply(37, 29, rs, sizeof rs / sizeof rs[0], 0);
}

static void test_apply_clips_unfitted(void **state)
{
    /* Rectangles that were never fitted cannot write outside the frame
     * (ASan would catch it); what is inside is still masked. */
    struct tsn_mask_rect rs[] = {{30, 20, 1000, 1000}, {100, 100, 5, 5}, {5, 5, INT_MAX, 2}};
    check_apply(37, 29, rs, sizeof rs / sizeof rs[0], 1);
    struct tsn_mask_rect bad[] = {{-5, -5, 8, 8}, {2, 2, -3, 4}};
    struct frame f;
    frame_init(&f, 16, 16);
    tsn_mask_apply_i420(f.y, f.ys, f.u, f.cs, f.v, f.cs, 16, 16, bad, 2, 1);
    assert_int_equal(f.y[0], 0); /* clipped to 0,0,3,3 */
    assert_int_equal(f.y[2 * f.ys + 2], 0);
    assert_int_not_equal(f.y[3 * f.ys + 3], 0); /* outside it */
    assert_int_not_equal(f.y[2 * f.ys + 4], 0); /* negative width: nothing */
    frame_free(&f);
}

static void test_apply_none(void **state)
{
    check_apply(20, 10, NULL, 0, 1);
}

static void test_apply_gray8(void **state)
{
    enum { W = 21, H = 13, S = 24 };
    uint8_t g[S * H];
    for (int i = 0; i < S * H; i++)
        g[i] = (uint8_t)(100 + i % 50);
    struct tsn_mask_rect rs[] = {{1, 2, 3, 4}, {19, 11, 10, 10}};
    tsn_mask_apply_gray8(g, S, W, H, rs, 2, 7);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < S; x++) {
            int i = y * S + x;
            if (x < W && in_rects(rs, 2, x, y))
                assert_int_equal(g[i], 7);
            else
                assert_int_equal(g[i], (uint8_t)(100 + i % 50));
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_parse_reason_truncates),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_apply_even),
        cmocka_unit_test(test_apply_odd_edges),
        cmocka_unit_test(test_apply_clips_unfitted),
        cmocka_unit_test(test_apply_none),
        cmocka_unit_test(test_apply_gray8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
