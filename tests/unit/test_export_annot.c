/* Unit tests for viewer/export_annot.c and viewer/export_timeline.c: the
 * frame of an event (capture_ms nearest not after, then rtp_ts, then the
 * record's time; capture_ms wins when the two disagree; clamping; an rtp_ts
 * seen twice), what EVENT records are
 * kept, the annotations.json document, and the burn-in timeline (state per
 * frame, rebuild when an older event becomes visible later, frozen banner,
 * drawing onto a cairo surface). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "export_annot.h"
#include "export_timeline.h"

/* Frames 0..9 every 3000 ticks; rtp_ts 1000 + 3000 k, except frame 7,
 * whose rtp_ts repeats frame 2's (a wrap or another generation); capture
 * times 40 ms apart from 5000 (frame 4 has none); arrival 100 ms + 40 ms k. */
static void make_frames(struct tsn_export_frame_ref *f)
{
    for (int k = 0; k < 10; k++)
        f[k] = (struct tsn_export_frame_ref){
            .rtp_ts = 1000u + 3000u * (uint32_t)k,
            .pts_90k = 3000 * k,
            .capture_ms = k == 4 ? -1 : 5000 + 40 * k,
            .time_us = 100000u + 40000u * (uint64_t)k,
        };
    f[7].rtp_ts = f[2].rtp_ts;
}

static size_t map(const struct tsn_export_frame_ref *f, const char *media, uint64_t time_us,
                  enum tsn_export_map_how *how)
{
    json_t *m = media ? json_loads(media, 0, NULL) : NULL;
    size_t k = tsn_export_map_frame(f, 10, m, time_us, how);
    json_decref(m);
    return k;
}

static void test_map_rules(void **state)
{
    struct tsn_export_frame_ref f[10];
    make_frames(f);
    enum tsn_export_map_how how;
    /* both name frame 5 (the client sent no frame_ms) */
    assert_int_equal(map(f, "{\"rtp_ts\":16000,\"capture_ms\":5200}", 0, &how), 5);
    assert_int_equal(how, TSN_EXPORT_MAP_CAPTURE);
    /* capture_ms is tried first even when its frame lacks a capture time
     * (frame 4): the nearest before it, frame 3 */
    assert_int_equal(map(f, "{\"rtp_ts\":13000,\"capture_ms\":5160}", 0, &how), 3);
    assert_int_equal(how, TSN_EXPORT_MAP_CAPTURE);
    /* they disagree (a client sent frame_ms: capture_ms is the frame it
     * showed, rtp_ts the newest frame): capture_ms wins, also 1 ms late (a
     * browser rounds where the relay truncates) */
    assert_int_equal(map(f, "{\"rtp_ts\":28000,\"capture_ms\":5240}", 0, &how), 6);
    assert_int_equal(how, TSN_EXPORT_MAP_CAPTURE);
    assert_int_equal(map(f, "{\"rtp_ts\":28000,\"capture_ms\":5241}", 0, &how), 6);
    assert_int_equal(map(f, "{\"rtp_ts\":13000,\"capture_ms\":5000}", 0, &how), 0);
    assert_int_equal(how, TSN_EXPORT_MAP_CAPTURE);
    /* capture_ms before every frame: then rtp_ts */
    assert_int_equal(map(f, "{\"rtp_ts\":13000,\"capture_ms\":10}", 0, &how), 4);
    assert_int_equal(how, TSN_EXPORT_MAP_RTP_TS);
    /* rtp_ts of frames 2 and 7: the one that arrived nearest the record */
    assert_int_equal(map(f, "{\"rtp_ts\":7000}", 150000, &how), 2);
    assert_int_equal(map(f, "{\"rtp_ts\":7000}", 390000, &how), 7);
    assert_int_equal(how, TSN_EXPORT_MAP_RTP_TS);
    /* no such rtp_ts: capture time, the newest frame not after it */
    assert_int_equal(map(f, "{\"rtp_ts\":5,\"capture_ms\":5125}", 0, &how), 3);
    assert_int_equal(how, TSN_EXPORT_MAP_CAPTURE);
    assert_int_equal(map(f, "{\"capture_ms\":5120}", 0, &how), 3);
    /* frame 4 has no capture time: 5165 is frame 3's */
    assert_int_equal(map(f, "{\"capture_ms\":5165}", 0, &how), 3);
    assert_int_equal(map(f, "{\"capture_ms\":5200}", 0, &how), 5);
    assert_int_equal(map(f, "{\"capture_ms\":99999}", 0, &how), 9);
    /* before every frame's capture time: by the record's time */
    assert_int_equal(map(f, "{\"capture_ms\":10}", 190000, &how), 2);
    assert_int_equal(how, TSN_EXPORT_MAP_TIME);
    /* media null, absent or junk: the record's time, clamped */
    assert_int_equal(map(f, "null", 259999, &how), 3);
    assert_int_equal(how, TSN_EXPORT_MAP_TIME);
    assert_int_equal(map(f, NULL, 260000, &how), 4);
    assert_int_equal(map(f, "{\"rtp_ts\":\"x\",\"capture_ms\":1.5}", 1, &how), 0);
    assert_int_equal(map(f, "{\"rtp_ts\":-3}", 10000000, &how), 9);
    assert_int_equal(map(f, "{\"rtp_ts\":4294967296}", 0, NULL), 0);
}

static void test_ms(void **state)
{
    assert_true(tsn_export_ms_of_90k(0) == 0.0);
    assert_true(tsn_export_ms_of_90k(90) == 1.0);
    assert_true(tsn_export_ms_of_90k(3003) == 33.367);
    assert_true(tsn_export_ms_of_90k(7739) == 85.989);
    assert_int_equal(tsn_export_ns_of_90k(3003), 33366666);
    assert_int_equal(tsn_export_ns_of_90k(-5), 0);
}

static int add(struct tsn_export_annot *a, const char *json, uint64_t time_us)
{
    return tsn_export_annot_add(a, (const uint8_t *)json, strlen(json), time_us);
}

#define ARROW(seq, rtp)                                                                            \
    "{\"type\":\"event\",\"seq\":" #seq                                                            \
    ",\"time\":1,\"from\":\"dr-a\",\"media\":{\"rtp_ts\":" #rtp                                    \
    "},\"op\":\"draw\",\"item\":{\"id\":" #seq ",\"kind\":\"arrow\",\"by\":\"dr-a\",\"color\":"    \
    "\"#ff00ff\",\"points\":[[0.1,0.1],[0.9,0.9]]}}"

static void test_add_and_document(void **state)
{
    struct tsn_export_frame_ref f[10];
    make_frames(f);
    struct tsn_export_annot *a = tsn_export_annot_new();
    assert_non_null(a);
    /* no snapshot yet: the empty state */
    const json_t *init = tsn_export_annot_initial(a);
    assert_int_equal(json_array_size(json_object_get(init, "items")), 0);
    assert_int_equal(add(a,
                         "{\"type\":\"annotations\",\"seq\":2,\"items\":[{\"id\":2,\"kind\":"
                         "\"line\",\"color\":\"#00ff00\",\"points\":[[0,0],[1,1]]}],"
                         "\"bookmarks\":[],\"frozen\":null,\"chat\":[]}",
                         1),
                     TSN_EXPORT_ANNOT_INITIAL);
    assert_int_equal(add(a, ARROW(3, 10000), 2), TSN_EXPORT_ANNOT_EVENT);
    assert_int_equal(add(a, "{\"type\":\"annotations\",\"seq\":9,\"items\":[]}", 3),
                     TSN_EXPORT_ANNOT_IGNORED); /* a snapshot that is not the first record */
    assert_int_equal(add(a, "{\"type\":\"pointer\"}", 4), TSN_EXPORT_ANNOT_IGNORED);
    assert_int_equal(add(a, "[1,2]", 5), -EBADMSG);
    assert_int_equal(add(a, "{\"type\":", 6), -EBADMSG);
    assert_int_equal(add(a,
                         "{\"type\":\"event\",\"seq\":4,\"time\":2,\"from\":\"dr-a\","
                         "\"media\":null,\"op\":\"chat\",\"text\":\"hi\"}",
                         330000),
                     TSN_EXPORT_ANNOT_EVENT);
    assert_int_equal(tsn_export_annot_count(a), 2);
    uint64_t by[3] = {0};
    tsn_export_annot_map(a, f, 10, by);
    assert_int_equal(tsn_export_annot_frame(a, 0), 3);
    assert_int_equal(tsn_export_annot_frame(a, 1), 5);
    assert_int_equal(by[TSN_EXPORT_MAP_RTP_TS], 1);
    assert_int_equal(by[TSN_EXPORT_MAP_TIME], 1);
    json_t *doc = tsn_export_annot_document(a, "20261127T075012Z-3fa9c2d1", "ward-7", NULL,
                                            "recording.mp4", f, 10, 30000);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "format")), "telesono-annotations");
    assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
    assert_string_equal(json_string_value(json_object_get(doc, "room")), "ward-7");
    assert_true(json_is_null(json_object_get(doc, "stream")));
    json_t *video = json_object_get(doc, "video");
    assert_string_equal(json_string_value(json_object_get(video, "file")), "recording.mp4");
    assert_int_equal(json_integer_value(json_object_get(video, "frames")), 10);
    assert_true(json_real_value(json_object_get(video, "duration_ms")) == 333.333);
    json_t *pts = json_object_get(video, "frame_pts_ms");
    assert_int_equal(json_array_size(pts), 10);
    assert_true(json_real_value(json_array_get(pts, 3)) == 100.0);
    json_t *events = json_object_get(doc, "events");
    assert_int_equal(json_array_size(events), 2);
    json_t *e0 = json_array_get(events, 0);
    assert_int_equal(json_integer_value(json_object_get(e0, "frame")), 3);
    assert_true(json_real_value(json_object_get(e0, "pts_ms")) == 100.0);
    /* the event itself is unchanged: same members, same order */
    assert_string_equal(json_string_value(json_object_get(json_object_get(e0, "item"), "color")),
                        "#ff00ff");
    const char *key;
    json_t *v;
    const char *order[] = {"type", "seq", "time", "from", "media", "op", "item", "frame", "pts_ms"};
    size_t i = 0;
    json_object_foreach(e0, key, v) assert_string_equal(key, order[i++]);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "initial"), "seq")),
                     2);
    /* the recorded objects did not get the added members */
    assert_null(json_object_get(tsn_export_annot_event(a, 0), "frame"));
    tsn_export_annot_set_frame(a, 1, 9);
    assert_int_equal(tsn_export_annot_frame(a, 1), 9);
    json_decref(doc);
    tsn_export_annot_free(a);
    tsn_export_annot_free(NULL);
}

/* Timeline: line (initial) -> arrow at frame 3 -> delete of the line at
 * frame 6; then a draw with a lower seq than the delete whose frame is 8
 * (drawn on an older picture, later): the state is rebuilt in seq order. */
static void test_timeline(void **state)
{
    struct tsn_export_frame_ref f[10];
    make_frames(f);
    struct tsn_export_annot *a = tsn_export_annot_new();
    add(a,
        "{\"type\":\"annotations\",\"seq\":2,\"items\":[{\"id\":2,\"kind\":\"line\",\"by\":\"x\","
        "\"color\":\"#00ff00\",\"points\":[[0,0.5],[1,0.5]]}],\"bookmarks\":[],\"frozen\":null,"
        "\"chat\":[]}",
        1);
    add(a, ARROW(3, 10000), 2); /* frame 3 */
    add(a, ARROW(4, 25000), 3); /* frame 8, seq 4 */
    add(a,
        "{\"type\":\"event\",\"seq\":5,\"time\":1,\"from\":\"dr-a\",\"media\":{\"rtp_ts\":19000},"
        "\"op\":\"delete\",\"item\":2}",
        4); /* frame 6 */
    add(a,
        "{\"type\":\"event\",\"seq\":6,\"time\":1,\"from\":\"dr-a\",\"media\":{\"rtp_ts\":28000},"
        "\"op\":\"freeze\",\"frozen\":true}",
        5); /* frame 9 */
    tsn_export_annot_map(a, f, 10, NULL);
    size_t skipped = 99;
    struct tsn_export_timeline *t = tsn_export_timeline_build(a, f, 10, &skipped);
    assert_non_null(t);
    assert_int_equal(skipped, 0);
    assert_int_equal(tsn_export_timeline_states(t), 5); /* initial, 3, 6, 8, 9 */
    static const size_t marks_at[10] = {1, 1, 1, 2, 2, 2, 1, 1, 2, 2};
    for (int k = 0; k < 10; k++) {
        size_t i = tsn_export_timeline_state_at(t, tsn_export_ns_of_90k(f[k].pts_90k));
        assert_int_equal(tsn_export_timeline_marks(t, i), marks_at[k]);
    }
    /* within half a millisecond before a change counts as at it; more does not */
    uint64_t at3 = tsn_export_ns_of_90k(f[3].pts_90k);
    assert_int_equal(tsn_export_timeline_marks(t, tsn_export_timeline_state_at(t, at3 - 400000)),
                     2);
    assert_int_equal(tsn_export_timeline_marks(t, tsn_export_timeline_state_at(t, at3 - 900000)),
                     1);

    /* drawing: the arrow's magenta on frame 3, not on frame 2; the banner */
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 200, 100);
    cairo_t *cr = cairo_create(surf);
    uint32_t px[2];
    for (int k = 2; k <= 3; k++) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_paint(cr);
        tsn_export_timeline_draw(t, cr, 200, 100, tsn_export_ns_of_90k(f[k].pts_90k));
        cairo_surface_flush(surf);
        const uint8_t *data = cairo_image_surface_get_data(surf);
        int stride = cairo_image_surface_get_stride(surf);
        px[k - 2] = *(const uint32_t *)(data + 50 * stride + 100 * 4) & 0xffffff; /* (0.5,0.5) */
    }
    assert_int_equal(px[0], 0x00ff00); /* the line, under the middle */
    assert_int_equal(px[1], 0xff00ff); /* the arrow on top */
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    tsn_export_timeline_free(t);
    tsn_export_timeline_free(NULL);
    tsn_export_annot_free(a);
}

/* No events: one state, the initial snapshot's; an event at frame 0 replaces
 * it rather than adding a second state at the same time. */
static void test_timeline_frame0(void **state)
{
    struct tsn_export_frame_ref f[10];
    make_frames(f);
    struct tsn_export_annot *a = tsn_export_annot_new();
    struct tsn_export_timeline *t = tsn_export_timeline_build(a, f, 10, NULL);
    assert_int_equal(tsn_export_timeline_states(t), 1);
    assert_int_equal(tsn_export_timeline_marks(t, 0), 0);
    tsn_export_timeline_free(t);
    add(a, ARROW(3, 1000), 1);
    tsn_export_annot_map(a, f, 10, NULL);
    t = tsn_export_timeline_build(a, f, 10, NULL);
    assert_int_equal(tsn_export_timeline_states(t), 1);
    assert_int_equal(tsn_export_timeline_marks(t, 0), 1);
    tsn_export_timeline_free(t);
    tsn_export_annot_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_rules),        cmocka_unit_test(test_ms),
        cmocka_unit_test(test_add_and_document), cmocka_unit_test(test_timeline),
        cmocka_unit_test(test_timeline_frame0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
