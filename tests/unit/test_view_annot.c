/* Unit tests for viewer/view_annot.c: the relay's snapshot and events build
 * the state (counts, an event applied twice is ignored, chat changes nothing
 * drawn, malformed messages are counted and change nothing, other message
 * types are not ours); what is drawn follows the state (a mark appears and
 * goes with delete, the frozen banner comes and goes with freeze events);
 * pointers are drawn where the relay says, replaced by newer ones, hidden on
 * "hide", after 3 s without an update and when the connection ends; the
 * drawing thread may draw while the main context applies events; and the
 * counters reach the stats JSON's "annotations" object. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "view_annot.h"
#include "view_stats.h"

#define W    320
#define H    240
#define GREY 0x808080u
#define SEC  1000000LL

static const char *const snapshot =
    "{\"type\":\"annotations\",\"seq\":4,\"items\":[{\"id\":2,\"kind\":\"line\",\"by\":\"dr-a\","
    "\"color\":\"#0000ff\",\"points\":[[0.1,0.2],[0.9,0.2]],\"time\":1,\"media\":null}],"
    "\"bookmarks\":[],\"frozen\":null,\"chat\":[]}";

static int handle(struct tsn_view_annot *a, const char *json, int64_t now_us)
{
    return tsn_view_annot_handle(a, json, strlen(json), now_us, 1);
}

static char *event(int seq, const char *op, const char *rest)
{
    char *s = NULL;
    int n = asprintf(&s,
                     "{\"type\":\"event\",\"seq\":%d,\"time\":1795746031162,\"from\":\"dr-a\","
                     "\"media\":null,\"op\":\"%s\"%s}",
                     seq, op, rest);
    assert_true(n > 0);
    return s;
}

static int handle_event(struct tsn_view_annot *a, int seq, const char *op, const char *rest)
{
    char *e = event(seq, op, rest);
    int rc = handle(a, e, 0);
    free(e);
    return rc;
}

/* Draws onto a fresh grey frame; returns the surface (caller destroys). */
static cairo_surface_t *draw(struct tsn_view_annot *a, int64_t now_us)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
    cairo_paint(cr);
    tsn_view_annot_draw(a, cr, W, H, now_us);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    return s;
}

static uint32_t px(cairo_surface_t *s, int x, int y)
{
    const uint8_t *d = cairo_image_surface_get_data(s);
    return *(const uint32_t *)(d + (size_t)y * (size_t)cairo_image_surface_get_stride(s) +
                               (size_t)x * 4) &
           0xffffffu;
}

/* The colour at (x, y) of a frame drawn now. */
static uint32_t drawn_px(struct tsn_view_annot *a, int64_t now_us, int x, int y)
{
    cairo_surface_t *s = draw(a, now_us);
    uint32_t v = px(s, x, y);
    cairo_surface_destroy(s);
    return v;
}

static struct tsn_view_annot_counts counts(struct tsn_view_annot *a)
{
    struct tsn_view_annot_counts c;
    tsn_view_annot_counts(a, &c);
    return c;
}

static void test_state_and_marks(void **state)
{
    struct tsn_view_annot *a = tsn_view_annot_new();
    assert_non_null(a);
    assert_int_equal(drawn_px(a, 0, 160, 48), GREY);
    assert_int_equal(counts(a).frames_drawn, 0); /* nothing to draw: not counted */

    assert_int_equal(handle(a, snapshot, 0), 1);
    struct tsn_view_annot_counts c = counts(a);
    assert_int_equal(c.seq, 4);
    assert_int_equal(c.marks, 1);
    assert_int_equal(c.snapshots, 1);
    assert_int_equal(drawn_px(a, 0, 160, 48), 0x0000ff); /* the line at y = 0.2 */

    assert_int_equal(handle_event(a, 5, "draw",
                                  ",\"item\":{\"id\":5,\"kind\":\"arrow\",\"by\":\"dr-a\","
                                  "\"color\":\"#ff0000\",\"points\":[[0.1,0.5],[0.9,0.5]]}"),
                     1);
    assert_int_equal(drawn_px(a, 0, 160, 120), 0xff0000);
    /* The same event again (a replay) changes nothing. */
    assert_int_equal(handle_event(a, 5, "draw",
                                  ",\"item\":{\"id\":5,\"kind\":\"arrow\",\"by\":\"dr-a\","
                                  "\"points\":[[0.1,0.5],[0.9,0.5]]}"),
                     0);
    /* Chat moves seq on but nothing drawn changes. */
    assert_int_equal(handle_event(a, 6, "chat", ",\"text\":\"hello\""), 0);
    c = counts(a);
    assert_int_equal(c.seq, 6);
    assert_int_equal(c.events, 2);
    assert_int_equal(c.marks, 2);
    /* Delete the line: gone from the picture. */
    assert_int_equal(handle_event(a, 7, "delete", ",\"item\":2"), 1);
    assert_int_equal(drawn_px(a, 0, 160, 48), GREY);
    assert_int_equal(drawn_px(a, 0, 160, 120), 0xff0000);
    assert_int_equal(counts(a).marks, 1);

    /* Malformed: counted, ignored. Not annotation messages: not ours. */
    assert_int_equal(handle(a, "{\"type\":\"event\",\"seq\":\"x\"}", 0), -EBADMSG);
    assert_int_equal(handle(a, "{\"type\":\"annotations\",\"seq\":1}", 0), -EBADMSG);
    assert_int_equal(handle(a, "{\"type\":\"welcome\",\"role\":\"observer\"}", 0), 0);
    assert_int_equal(handle(a, "not json", 0), 0);
    c = counts(a);
    assert_int_equal(c.rejected, 2);
    assert_int_equal(c.seq, 7);
    assert_int_equal(c.marks, 1);
    assert_true(c.frames_drawn >= 3);
    assert_true(c.draw_us_max >= c.draw_us_mean && c.draw_us_mean > 0);

    /* A new connection's snapshot replaces everything. */
    assert_int_equal(handle(a, snapshot, 0), 1);
    assert_int_equal(counts(a).seq, 4);
    assert_int_equal(drawn_px(a, 0, 160, 120), GREY);
    tsn_view_annot_free(a);
    tsn_view_annot_free(NULL);
}

static void test_freeze_banner(void **state)
{
    struct tsn_view_annot *a = tsn_view_annot_new();
    assert_int_equal(handle_event(a, 1, "freeze", ",\"frozen\":true"), 1);
    assert_true(counts(a).frozen);
    uint32_t top = drawn_px(a, 0, W / 2, 1);
    assert_true((top & 0xff) < 0x40); /* the dark band */
    assert_int_equal(handle_event(a, 2, "freeze", ",\"frozen\":false"), 1);
    assert_false(counts(a).frozen);
    assert_int_equal(drawn_px(a, 0, W / 2, 1), GREY);
    /* Frozen in a late joiner's snapshot. */
    const char *snap = "{\"type\":\"annotations\",\"seq\":9,\"items\":[],\"bookmarks\":[],"
                       "\"frozen\":{\"by\":\"dr-b\",\"seq\":9,\"time\":5,\"media\":null},"
                       "\"chat\":[]}";
    assert_int_equal(handle(a, snap, 0), 1);
    assert_true(counts(a).frozen);
    assert_true((drawn_px(a, 0, W / 2, 1) & 0xff) < 0x40);
    tsn_view_annot_free(a);
}

static void test_pointers(void **state)
{
    struct tsn_view_annot *a = tsn_view_annot_new();
    const char *p1 = "{\"type\":\"pointer\",\"from\":\"dr-kim\",\"color\":\"#3cb44b\","
                     "\"x\":0.25,\"y\":0.5,\"time\":1}";
    const char *p2 = "{\"type\":\"pointer\",\"from\":\"dr-kim\",\"color\":\"#3cb44b\","
                     "\"x\":0.75,\"y\":0.5,\"time\":2}";
    const char *p3 = "{\"type\":\"pointer\",\"from\":\"dr-lee\",\"color\":\"#e6194b\","
                     "\"x\":0.5,\"y\":0.25,\"time\":2}";
    const char *hide = "{\"type\":\"pointer\",\"from\":\"dr-kim\",\"color\":\"#3cb44b\","
                       "\"hide\":true,\"time\":3}";
    assert_int_equal(handle(a, p1, 10 * SEC), 1);
    assert_int_equal(drawn_px(a, 10 * SEC, 80, 120), 0x3cb44b);
    /* Moved: drawn at the new place only. */
    assert_int_equal(handle(a, p2, 11 * SEC), 1);
    assert_int_equal(handle(a, p3, 11 * SEC), 1);
    assert_int_equal(drawn_px(a, 11 * SEC, 80, 120), GREY);
    assert_int_equal(drawn_px(a, 11 * SEC, 240, 120), 0x3cb44b);
    assert_int_equal(drawn_px(a, 11 * SEC, 160, 60), 0xe6194b);
    /* Still there 3 s after its update, gone just after. */
    assert_int_equal(drawn_px(a, 14 * SEC, 240, 120), 0x3cb44b);
    assert_int_equal(drawn_px(a, 14 * SEC + 1000, 240, 120), GREY);
    /* hide */
    assert_int_equal(handle(a, p2, 20 * SEC), 1);
    assert_int_equal(handle(a, hide, 20 * SEC), 1);
    assert_int_equal(drawn_px(a, 20 * SEC, 240, 120), GREY);
    /* Bad coordinates are refused and change nothing. */
    assert_int_equal(handle(a, "{\"type\":\"pointer\",\"from\":\"x\",\"x\":1.5,\"y\":0}", 0),
                     -EBADMSG);
    assert_int_equal(handle(a, "{\"type\":\"pointer\",\"x\":0.5,\"y\":0.5}", 0), -EBADMSG);
    /* The connection ended: pointers go. */
    assert_int_equal(handle(a, p3, 21 * SEC), 1);
    tsn_view_annot_reset_pointers(a);
    assert_int_equal(drawn_px(a, 21 * SEC, 160, 60), GREY);
    assert_int_equal(counts(a).pointers, 6);
    /* A sub longer than a name slot: drawn, and its next pointer moves it. */
    const char *long1 =
        "{\"type\":\"pointer\",\"from\":\"dr-0123456789012345678901234567890123456789"
        "0123456789\",\"color\":\"#0000ff\",\"x\":0.25,\"y\":0.25,\"time\":1}";
    const char *long2 =
        "{\"type\":\"pointer\",\"from\":\"dr-0123456789012345678901234567890123456789"
        "0123456789\",\"color\":\"#0000ff\",\"x\":0.75,\"y\":0.75,\"time\":2}";
    assert_int_equal(handle(a, long1, 22 * SEC), 1);
    assert_int_equal(drawn_px(a, 22 * SEC, 80, 60), 0x0000ff);
    assert_int_equal(handle(a, long2, 22 * SEC), 1);
    assert_int_equal(drawn_px(a, 22 * SEC, 80, 60), GREY);
    assert_int_equal(drawn_px(a, 22 * SEC, 240, 180), 0x0000ff);
    tsn_view_annot_reset_pointers(a);
    /* More participants than slots: the stalest make room, nothing breaks. */
    for (int i = 0; i < TSN_VIEW_ANNOT_MAX_POINTERS + 5; i++) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "{\"type\":\"pointer\",\"from\":\"p%d\",\"color\":\"#ffffff\",\"x\":0.5,"
                 "\"y\":0.5,\"time\":1}",
                 i);
        assert_int_equal(handle(a, msg, 30 * SEC + i), 1);
    }
    assert_int_equal(drawn_px(a, 30 * SEC + 40, 160, 120), 0xffffff);
    tsn_view_annot_free(a);
}

struct drawer {
    struct tsn_view_annot *a;
    volatile int stop;
    int frames;
};

static void *draw_loop(void *arg)
{
    struct drawer *d = arg;
    while (!d->stop || d->frames < 10) {
        cairo_surface_destroy(draw(d->a, 0));
        d->frames++;
    }
    return NULL;
}

/* The streaming thread draws while the main context applies events. */
static void test_concurrent_draw(void **state)
{
    struct drawer d = {.a = tsn_view_annot_new()};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, draw_loop, &d), 0);
    for (int seq = 1; seq <= 300; seq++) {
        char rest[200];
        if (seq % 3 == 0)
            snprintf(rest, sizeof rest, ",\"item\":%d", seq - 1);
        else
            snprintf(rest, sizeof rest,
                     ",\"item\":{\"id\":%d,\"kind\":\"freehand\",\"by\":\"dr-a\","
                     "\"points\":[[0.1,0.1],[0.5,0.%d],[0.9,0.1]]}",
                     seq, seq % 10);
        handle_event(d.a, seq, seq % 3 == 0 ? "delete" : "draw", rest);
    }
    d.stop = 1;
    pthread_join(t, NULL);
    assert_int_equal(counts(d.a).marks, 100);
    assert_true(d.frames >= 10);
    tsn_view_annot_free(d.a);
}

static void test_stats_json(void **state)
{
    struct tsn_view_stats *s = tsn_view_stats_new(0);
    struct tsn_view_annot_counts c = {.seq = 12,
                                      .marks = 3,
                                      .events = 9,
                                      .snapshots = 1,
                                      .pointers = 40,
                                      .rejected = 2,
                                      .frozen = 1,
                                      .frames_drawn = 50,
                                      .draw_us_mean = 120.5,
                                      .draw_us_max = 400};
    tsn_view_stats_set_annotations(s, &c);
    json_t *j = tsn_view_stats_json(s, 1000);
    json_t *o = json_object_get(j, "annotations");
    assert_true(json_is_object(o));
    assert_int_equal(json_integer_value(json_object_get(o, "seq")), 12);
    assert_int_equal(json_integer_value(json_object_get(o, "marks")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "events")), 9);
    assert_int_equal(json_integer_value(json_object_get(o, "rejected")), 2);
    assert_true(json_is_true(json_object_get(o, "frozen")));
    assert_int_equal(json_integer_value(json_object_get(o, "frames_drawn")), 50);
    assert_true(json_real_value(json_object_get(o, "draw_us_mean")) == 120.5);
    json_decref(j);
    tsn_view_stats_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_and_marks), cmocka_unit_test(test_freeze_banner),
        cmocka_unit_test(test_pointers),        cmocka_unit_test(test_concurrent_draw),
        cmocka_unit_test(test_stats_json),
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
