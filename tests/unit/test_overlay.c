/* Unit tests for viewer/overlay.c: colour parsing; render lists built from an
 * annotation state (kinds, colours, points, labels, marks that cannot be
 * drawn left out, reference counting); the pixels cairo draws on a grey
 * 640x480 frame for an arrow (shaft and head), a caliper (ticks and label,
 * beside a vertical one),
 * an ellipse, a freehand stroke, a pointer and the frozen banner, with the
 * dark outline next to the colour; nothing drawn for an empty list; and the
 * time to draw a handful of marks on a 640x480 frame (the budget is
 * 1 ms; the median is asserted in the plain build, the mean and worst
 * printed). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "annot_state.h"
#include "overlay.h"

#define W    640
#define H    480
#define GREY 0x808080u

/* ---- helpers ---- */

static struct tsn_annot_state *state_from(const char *items_json)
{
    char *snap = NULL;
    int n = asprintf(&snap,
                     "{\"type\":\"annotations\",\"seq\":50,\"items\":%s,\"bookmarks\":[],"
                     "\"frozen\":null,\"chat\":[]}",
                     items_json);
    assert_true(n > 0);
    struct tsn_annot_state *s = tsn_annot_state_new();
    assert_non_null(s);
    char why[200] = "";
    int rc = tsn_annot_state_handle(s, snap, strlen(snap), why, sizeof why);
    if (rc != 1)
        fail_msg("snapshot refused (%d): %s", rc, why);
    free(snap);
    return s;
}

struct frame {
    cairo_surface_t *surface;
    cairo_t *cr;
};

static struct frame frame_new(void)
{
    struct frame f;
    f.surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    f.cr = cairo_create(f.surface);
    cairo_set_source_rgb(f.cr, 0.5, 0.5, 0.5);
    cairo_paint(f.cr);
    cairo_surface_flush(f.surface);
    return f;
}

static void frame_free(struct frame *f)
{
    cairo_destroy(f->cr);
    cairo_surface_destroy(f->surface);
}

static uint32_t px(struct frame *f, int x, int y)
{
    cairo_surface_flush(f->surface);
    const uint8_t *d = cairo_image_surface_get_data(f->surface);
    int stride = cairo_image_surface_get_stride(f->surface);
    return *(const uint32_t *)(d + (size_t)y * (size_t)stride + (size_t)x * 4) & 0xffffffu;
}

static int channel_diff(uint32_t a, uint32_t b)
{
    int d = 0;
    for (int sh = 0; sh <= 16; sh += 8) {
        int x = (int)((a >> sh) & 255) - (int)((b >> sh) & 255);
        d = abs(x) > d ? abs(x) : d;
    }
    return d;
}

static void assert_px(struct frame *f, int x, int y, uint32_t want, int tolerance)
{
    uint32_t got = px(f, x, y);
    if (channel_diff(got, want) > tolerance)
        fail_msg("pixel (%d,%d) is #%06x, expected #%06x", x, y, got, want);
}

/* Luma-ish brightness: the outline must be darker than the grey frame. */
static int bright(uint32_t p)
{
    return (int)(((p >> 16) & 255) + ((p >> 8) & 255) + (p & 255)) / 3;
}

/* Pixels of colour `want` (within tolerance) inside a rectangle. */
static int count_colour(struct frame *f, int x0, int y0, int x1, int y1, uint32_t want)
{
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            n += channel_diff(px(f, x, y), want) <= 8;
    return n;
}

/* ---- tests ---- */

static void test_parse_color(void **state)
{
    assert_int_equal(tsn_overlay_parse_color("#ff00FF"), 0xff00ff);
    assert_int_equal(tsn_overlay_parse_color("#000000"), 0);
    assert_int_equal(tsn_overlay_parse_color("#12345"), -1);
    assert_int_equal(tsn_overlay_parse_color("#1234567"), -1);
    assert_int_equal(tsn_overlay_parse_color("ff00ff0"), -1);
    assert_int_equal(tsn_overlay_parse_color("#gg0000"), -1);
    assert_int_equal(tsn_overlay_parse_color(NULL), -1);
}

static void test_copy_text(void **state)
{
    char buf[6];
    tsn_overlay_copy_text(buf, sizeof buf, "abc");
    assert_string_equal(buf, "abc");
    tsn_overlay_copy_text(buf, sizeof buf, "abcdefgh");
    assert_string_equal(buf, "abcde");
    /* "abcd" + "\xc3\xa9" (é): 6 bytes, room for 5: the é goes whole. */
    tsn_overlay_copy_text(buf, sizeof buf, "abcd\xc3\xa9");
    assert_string_equal(buf, "abcd");
    /* "ab" + "\xe2\x82\xac" (€) + "x": the euro fits exactly. */
    tsn_overlay_copy_text(buf, sizeof buf, "ab\xe2\x82\xacx");
    assert_string_equal(buf, "ab\xe2\x82\xac");
    tsn_overlay_copy_text(buf, sizeof buf, "a\xe2\x82\xac\xe2\x82\xac");
    assert_string_equal(buf, "a\xe2\x82\xac");
    tsn_overlay_copy_text(buf, 1, "abc");
    assert_string_equal(buf, "");
}

static const char *const all_kinds =
    "[{\"id\":1,\"kind\":\"arrow\",\"by\":\"a\",\"color\":\"#ff00ff\","
    "\"points\":[[0.1,0.5],[0.9,0.5]]},"
    "{\"id\":2,\"kind\":\"caliper\",\"by\":\"a\",\"color\":\"#00ff00\","
    "\"points\":[[0.2,0.3],[0.6,0.3]],\"mm\":20.04},"
    "{\"id\":3,\"kind\":\"ellipse\",\"by\":\"a\",\"color\":\"#00ffff\","
    "\"points\":[[0.5,0.75],[0.6,0.85]],\"rx_mm\":10,\"ry_mm\":10,\"area_mm2\":314.16},"
    "{\"id\":4,\"kind\":\"star\",\"by\":\"a\",\"points\":[[0.1,0.1],[0.2,0.2]]},"
    "{\"id\":5,\"kind\":\"arrow\",\"by\":\"a\",\"points\":[[0.1,0.1]]},"
    "{\"id\":6,\"kind\":\"line\",\"by\":\"a\",\"points\":[[0.1,0.1],[\"x\",0.2]]},"
    "{\"id\":7,\"kind\":\"text\",\"by\":\"a\",\"color\":\"#FFFF00\",\"points\":[[0.05,0.05]],"
    "\"text\":\"needle tip\"},"
    "{\"id\":8,\"kind\":\"freehand\",\"by\":\"a\",\"color\":\"#ff8000\","
    "\"points\":[[0.7,0.1],[0.75,0.15],[0.8,0.1],[0.85,0.15]]},"
    "{\"id\":9,\"kind\":\"line\",\"by\":\"a\",\"points\":[[0,0],[1.5,-2]]}]";

static void test_build(void **state)
{
    struct tsn_annot_state *s = state_from(all_kinds);
    struct tsn_overlay_list *l = tsn_overlay_build(s);
    assert_non_null(l);
    /* star (unknown), a one-point arrow and a non-numeric point are left out. */
    assert_int_equal(l->n_items, 6);
    const struct tsn_overlay_item *it = l->items;
    assert_int_equal(it[0].kind, TSN_OVERLAY_ARROW);
    assert_int_equal(it[0].rgb, 0xff00ff);
    assert_int_equal(it[0].n_points, 2);
    assert_null(it[0].label);
    assert_true(fabsf(l->xy[2 * it[0].first] - 0.1f) < 1e-6f);
    assert_true(fabsf(l->xy[2 * it[0].first + 3] - 0.5f) < 1e-6f);
    assert_int_equal(it[1].kind, TSN_OVERLAY_CALIPER);
    assert_string_equal(it[1].label, "20.04 mm");
    assert_int_equal(it[2].kind, TSN_OVERLAY_ELLIPSE);
    assert_string_equal(it[2].label, "314.16 mm\xc2\xb2");
    assert_int_equal(it[3].kind, TSN_OVERLAY_TEXT);
    assert_int_equal(it[3].rgb, 0xffff00);
    assert_string_equal(it[3].label, "needle tip");
    assert_int_equal(it[3].n_points, 1);
    assert_int_equal(it[4].kind, TSN_OVERLAY_FREEHAND);
    assert_int_equal(it[4].n_points, 4);
    assert_int_equal(it[4].first, 2 + 2 + 2 + 1);
    /* No colour: white. Points outside 0..1 are clamped. */
    assert_int_equal(it[5].rgb, 0xffffff);
    assert_true(l->xy[2 * it[5].first + 2] == 1.0f && l->xy[2 * it[5].first + 3] == 0.0f);
    /* A reference outlives the first unref. */
    assert_ptr_equal(tsn_overlay_ref(l), l);
    tsn_overlay_unref(l);
    assert_int_equal(l->n_items, 6);
    tsn_overlay_unref(l);
    tsn_overlay_unref(NULL);
    tsn_annot_state_free(s);

    s = state_from("[]");
    l = tsn_overlay_build(s);
    assert_non_null(l);
    assert_int_equal(l->n_items, 0);
    tsn_overlay_unref(l);
    tsn_annot_state_free(s);
}

static void test_draw_marks(void **state)
{
    struct tsn_annot_state *s = state_from(all_kinds);
    struct tsn_overlay_list *l = tsn_overlay_build(s);
    struct frame f = frame_new();
    tsn_overlay_draw(f.cr, W, H, l, NULL, 0, NULL);
    /* Arrow (64,240) -> (576,240): the colour on the shaft, a dark outline
     * just outside it, the grey further away. */
    for (int x = 80; x <= 540; x += 20) {
        assert_px(&f, x, 239, 0xff00ff, 0);
        assert_px(&f, x, 240, 0xff00ff, 0);
    }
    assert_true(bright(px(&f, 320, 242)) < bright(GREY) - 30);
    assert_true(bright(px(&f, 320, 237)) < bright(GREY) - 30);
    assert_px(&f, 320, 250, GREY, 0);
    /* The head: wider than the shaft near its base. */
    assert_px(&f, 566, 243, 0xff00ff, 0);
    assert_px(&f, 566, 236, 0xff00ff, 0);
    assert_px(&f, 540, 244, GREY, 0);
    /* Caliper (128,144) -> (384,144): line, end ticks across it, a label above. */
    assert_px(&f, 256, 144, 0x00ff00, 0);
    assert_px(&f, 128, 136, 0x00ff00, 0);
    assert_px(&f, 384, 152, 0x00ff00, 0);
    assert_px(&f, 160, 136, GREY, 0);
    assert_true(count_colour(&f, 200, 100, 320, 138, 0x00ff00) > 20);
    /* Ellipse centre (320,360), rx 64, ry 48: on the curve, not inside. */
    assert_px(&f, 384, 360, 0x00ffff, 0);
    assert_px(&f, 320, 312, 0x00ffff, 0);
    assert_px(&f, 320, 360, GREY, 0);
    assert_true(count_colour(&f, 390, 340, 560, 380, 0x00ffff) > 20); /* its area label */
    /* Freehand (448,48) (480,72) (512,48) (544,72): on the first segment. */
    assert_px(&f, 464, 60, 0xff8000, 0);
    /* Text at the top left. */
    assert_true(count_colour(&f, 30, 20, 200, 60, 0xffff00) > 20);
    frame_free(&f);
    tsn_overlay_unref(l);
    tsn_annot_state_free(s);
}

/* A vertical caliper's label sits beside the line, not on it. */
static void test_caliper_label_side(void **state)
{
    struct tsn_annot_state *s =
        state_from("[{\"id\":1,\"kind\":\"caliper\",\"by\":\"a\",\"color\":\"#ff0000\","
                   "\"points\":[[0.95,0.2],[0.95,0.6]],\"mm\":30}]");
    struct tsn_overlay_list *l = tsn_overlay_build(s);
    struct frame f = frame_new();
    tsn_overlay_draw(f.cr, W, H, l, NULL, 0, NULL);
    for (int y = 100; y <= 284; y += 8)
        assert_px(&f, 608, y, 0xff0000, 0);
    assert_true(count_colour(&f, 480, 176, 597, 208, 0xff0000) > 20); /* "30.00 mm" */
    assert_int_equal(count_colour(&f, 612, 176, 640, 208, 0xff0000), 0);
    frame_free(&f);
    tsn_overlay_unref(l);
    tsn_annot_state_free(s);
}

static void test_draw_pointers_banner(void **state)
{
    struct frame f = frame_new();
    struct tsn_overlay_pointer p[2] = {{.x = 0.25f, .y = 0.75f, .rgb = 0x3cb44b, .name = "dr-kim"},
                                       {.x = 0.75f, .y = 0.5f, .rgb = 0xe6194b, .name = ""}};
    tsn_overlay_draw(f.cr, W, H, NULL, p, 2, "FROZEN by dr-lee");
    assert_px(&f, 160, 360, 0x3cb44b, 0);
    assert_px(&f, 480, 240, 0xe6194b, 0);
    assert_true(bright(px(&f, 480, 246)) < bright(GREY) - 30);        /* the dot's outline */
    assert_true(count_colour(&f, 170, 340, 260, 370, 0x3cb44b) > 10); /* the name */
    /* The banner: a dark band at the top centre with yellow text. */
    assert_true(bright(px(&f, W / 2, 2)) < 60);
    assert_true(count_colour(&f, 200, 0, 440, 30, 0xffd400) > 20);
    assert_px(&f, W / 2, 60, GREY, 0);
    frame_free(&f);
}

static void test_draw_nothing(void **state)
{
    struct tsn_annot_state *s = state_from("[]");
    struct tsn_overlay_list *l = tsn_overlay_build(s);
    struct frame f = frame_new();
    tsn_overlay_draw(f.cr, W, H, l, NULL, 0, "");
    tsn_overlay_draw(f.cr, 0, 0, l, NULL, 0, "FROZEN");
    assert_int_equal(count_colour(&f, 0, 0, W, H, GREY), W * H);
    assert_int_equal(cairo_status(f.cr), CAIRO_STATUS_SUCCESS);
    frame_free(&f);
    tsn_overlay_unref(l);
    tsn_annot_state_free(s);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* A handful of marks: the kinds above plus two pointers and the banner. */
static void test_draw_time(void **state)
{
    enum { RUNS = 300 };
    struct tsn_annot_state *s = state_from(all_kinds);
    struct tsn_overlay_list *l = tsn_overlay_build(s);
    struct tsn_overlay_pointer p[2] = {{.x = 0.3f, .y = 0.6f, .rgb = 0x3cb44b, .name = "dr-kim"},
                                       {.x = 0.7f, .y = 0.4f, .rgb = 0xe6194b, .name = "dr-lee"}};
    struct frame f = frame_new();
    tsn_overlay_warm_up();
    static int64_t ns[RUNS];
    double sum = 0;
    for (int i = 0; i < RUNS; i++) {
        int64_t t0 = now_ns();
        tsn_overlay_draw(f.cr, W, H, l, p, 2, "FROZEN by dr-lee");
        cairo_surface_flush(f.surface);
        ns[i] = now_ns() - t0;
        sum += (double)ns[i];
    }
    qsort(ns, RUNS, sizeof ns[0], cmp_i64);
    printf("overlay draw, 640x480, %zu marks + 2 pointers + banner, %d runs: median %.1f us, "
           "mean %.1f us, p95 %.1f us, max %.1f us\n",
           l->n_items, RUNS, ns[RUNS / 2] / 1e3, sum / RUNS / 1e3, ns[RUNS * 95 / 100] / 1e3,
           ns[RUNS - 1] / 1e3);
#if defined(__SANITIZE_ADDRESS__)
    /* Sanitizers slow every allocation and memory access (about 15x here):
     * the 1 ms budget is for the plain build; this only catches a runaway. */
    assert_true(ns[RUNS / 2] < 30000000);
#else
    assert_true(ns[RUNS / 2] < 1000000);
#endif
    frame_free(&f);
    tsn_overlay_unref(l);
    tsn_annot_state_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_color),
        cmocka_unit_test(test_copy_text),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_draw_marks),
        cmocka_unit_test(test_caliper_label_side),
        cmocka_unit_test(test_draw_pointers_banner),
        cmocka_unit_test(test_draw_nothing),
        cmocka_unit_test(test_draw_time),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    cairo_debug_reset_static_data(); /* cairo's font caches, for LeakSanitizer */
    return failed;
}

/* fontconfig keeps its configuration for the life of the process (only
 * FcFini frees it, which cairo never calls): not a leak of ours. Inert
 * without sanitizers. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}
