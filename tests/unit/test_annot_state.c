/* Unit tests for common/annot_state.c, the room state every client and the
 * relay build from sequenced events (docs/protocol.md, "Annotations"):
 *  - every op: draw, delete, undo, clear, chat, freeze (and unfreeze),
 *    bookmark, with the exact canonical dump after each;
 *  - seq ordering: an old or repeated seq is -EALREADY and changes nothing, a
 *    gap is applied;
 *  - malformed events and snapshots are refused (-EBADMSG, a reason) with the
 *    state unchanged (dumps compared before/after);
 *  - load replaces the whole state; two states fed the same events dump the
 *    same text; a state loaded from another's snapshot (object or text) dumps
 *    the same text and stays equal under further events;
 *  - chat kept to the last 100, clear resets points, delete of an unknown id
 *    is a no-op that still advances seq;
 *  - handle(): return values per message kind; queries (find, item,
 *    newest_by, points, bookmarks, frozen_by). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "annot_state.h"

#define EMPTY_DUMP                                                                                 \
    "{\"bookmarks\":[],\"chat\":[],\"frozen\":null,\"items\":[],\"seq\":0,\"type\":"               \
    "\"annotations\"}"

/* --- helpers ------------------------------------------------------------- */

/* Feeds one message's text through handle(); returns its result. */
static int feed(struct tsn_annot_state *s, const char *text)
{
    char why[160] = "";
    int rc = tsn_annot_state_handle(s, text, strlen(text), why, sizeof why);
    if (rc == -EBADMSG && why[0] == '\0')
        fail_msg("refused without a reason: %s", text);
    return rc;
}

static int feedf(struct tsn_annot_state *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int feedf(struct tsn_annot_state *s, const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof text);
    return feed(s, text);
}

/* Applies a parsed event (tsn_annot_state_apply, not handle). */
static int apply_text(struct tsn_annot_state *s, const char *text, char *why, size_t why_len)
{
    json_error_t err;
    json_t *ev = json_loads(text, 0, &err);
    if (!ev)
        fail_msg("test JSON does not parse: %s: %s", err.text, text);
    int rc = tsn_annot_state_apply(s, ev, why, why_len);
    json_decref(ev);
    return rc;
}

static void assert_dump(const struct tsn_annot_state *s, const char *want)
{
    char *got = tsn_annot_state_dumps(s);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("dump\n got  %s\n want %s", got, want);
    free(got);
}

static void assert_same_dump(const struct tsn_annot_state *a, const struct tsn_annot_state *b)
{
    char *da = tsn_annot_state_dumps(a), *db = tsn_annot_state_dumps(b);
    assert_non_null(da);
    assert_non_null(db);
    if (strcmp(da, db) != 0)
        fail_msg("dumps differ\n a %s\n b %s", da, db);
    free(da);
    free(db);
}

#define LINE_PTS "[[0.1,0.2],[0.3,0.4]]"

/* A draw event as the relay sends it: mark id = seq, time = 1000 + seq. */
static int draw(struct tsn_annot_state *s, int64_t seq, const char *by, const char *kind,
                const char *points)
{
    return feedf(s,
                 "{\"type\":\"event\",\"seq\":%lld,\"time\":%lld,\"from\":\"%s\",\"media\":null,"
                 "\"op\":\"draw\",\"item\":{\"id\":%lld,\"kind\":\"%s\",\"by\":\"%s\","
                 "\"color\":\"#e6194b\",\"points\":%s,\"time\":%lld,\"media\":null}}",
                 (long long)seq, (long long)(1000 + seq), by, (long long)seq, kind, by, points,
                 (long long)(1000 + seq));
}

static int op_item(struct tsn_annot_state *s, int64_t seq, const char *op, int64_t item)
{
    return feedf(s,
                 "{\"type\":\"event\",\"seq\":%lld,\"time\":%lld,\"from\":\"dr-lee\","
                 "\"media\":null,\"op\":\"%s\",\"item\":%lld}",
                 (long long)seq, (long long)(1000 + seq), op, (long long)item);
}

static int clear(struct tsn_annot_state *s, int64_t seq, int64_t count)
{
    return feedf(s,
                 "{\"type\":\"event\",\"seq\":%lld,\"time\":%lld,\"from\":\"dr-kim\","
                 "\"media\":null,\"op\":\"clear\",\"count\":%lld}",
                 (long long)seq, (long long)(1000 + seq), (long long)count);
}

static int chat(struct tsn_annot_state *s, int64_t seq, const char *text)
{
    return feedf(s,
                 "{\"type\":\"event\",\"seq\":%lld,\"time\":%lld,\"from\":\"dr-kim\","
                 "\"media\":{\"capture_ms\":5,\"rtp_ts\":9},\"op\":\"chat\",\"text\":\"%s\"}",
                 (long long)seq, (long long)(1000 + seq), text);
}

static int freeze(struct tsn_annot_state *s, int64_t seq, const char *from, int frozen)
{
    return feedf(s,
                 "{\"type\":\"event\",\"seq\":%lld,\"time\":%lld,\"from\":\"%s\","
                 "\"media\":{\"capture_ms\":7,\"rtp_ts\":8},\"op\":\"freeze\",\"frozen\":%s}",
                 (long long)seq, (long long)(1000 + seq), from, frozen ? "true" : "false");
}

static int bookmark(struct tsn_annot_state *s, int64_t seq, const char *label)
{
    return feedf(s,
                 "{\"type\":\"event\",\"seq\":%lld,\"time\":%lld,\"from\":\"dr-lee\","
                 "\"media\":null,\"op\":\"bookmark\",\"bookmark\":{\"id\":%lld,\"label\":\"%s\","
                 "\"by\":\"dr-lee\",\"time\":%lld,\"media\":null}}",
                 (long long)seq, (long long)(1000 + seq), (long long)seq, label,
                 (long long)(1000 + seq));
}

static int64_t id_of(const json_t *item)
{
    return json_integer_value(json_object_get(item, "id"));
}

/* --- every op ------------------------------------------------------------ */

static void test_new_is_empty(void **state)
{
    (void)state;
    struct tsn_annot_state *s = tsn_annot_state_new();
    assert_non_null(s);
    assert_int_equal(tsn_annot_state_seq(s), 0);
    assert_int_equal(tsn_annot_state_count(s), 0);
    assert_int_equal(tsn_annot_state_points(s), 0);
    assert_int_equal(tsn_annot_state_bookmarks(s), 0);
    assert_null(tsn_annot_state_frozen_by(s));
    assert_null(tsn_annot_state_item(s, 0));
    assert_null(tsn_annot_state_find(s, 1));
    assert_int_equal(tsn_annot_state_newest_by(s, "dr-lee"), -1);
    assert_dump(s, EMPTY_DUMP);
    json_t *snap = tsn_annot_state_snapshot(s);
    assert_non_null(snap);
    assert_string_equal(json_string_value(json_object_get(snap, "type")), "annotations");
    assert_true(json_is_null(json_object_get(snap, "frozen")));
    json_decref(snap);
    tsn_annot_state_free(s);
    tsn_annot_state_free(NULL);
}

static void test_draw(void **state)
{
    (void)state;
    struct tsn_annot_state *s = tsn_annot_state_new();
    assert_int_equal(draw(s, 1, "dr-lee", "line", LINE_PTS), 1);
    assert_int_equal(tsn_annot_state_seq(s), 1);
    assert_int_equal(tsn_annot_state_count(s), 1);
    assert_int_equal(tsn_annot_state_points(s), 2);
    assert_dump(s, "{\"bookmarks\":[],\"chat\":[],\"frozen\":null,\"items\":[{\"by\":\"dr-lee\","
                   "\"color\":\"#e6194b\",\"id\":1,\"kind\":\"line\",\"media\":null,\"points\":"
                   "[[0.1,0.2],[0.3,0.4]],\"time\":1001}],\"seq\":1,\"type\":\"annotations\"}");
    /* Marks keep the relay's members as sent, extra ones included. */
    assert_int_equal(
        feed(s, "{\"type\":\"event\",\"seq\":2,\"time\":1002,\"from\":\"dr-kim\",\"media\":{"
                "\"capture_ms\":1795746031140,\"rtp_ts\":2714430},\"op\":\"draw\",\"item\":{"
                "\"id\":2,\"kind\":\"caliper\",\"by\":\"dr-kim\",\"color\":\"#3cb44b\",\"points\":"
                "[[0.41,0.52],[0.6775,0.52]],\"time\":1002,\"media\":{\"capture_ms\":"
                "1795746031140,\"rtp_ts\":2714430},\"mm\":20.04},\"id\":7}"),
        1);
    assert_int_equal(draw(s, 3, "dr-lee", "freehand", "[[0,0],[0.5,0.5],[1,1],[0.2,0.2]]"), 1);
    assert_int_equal(draw(s, 4, "dr-lee", "text", "[[0.1,0.1]]"), 1);
    assert_int_equal(tsn_annot_state_count(s), 4);
    assert_int_equal(tsn_annot_state_points(s), 2 + 2 + 4 + 1);
    const json_t *cal = tsn_annot_state_find(s, 2);
    assert_non_null(cal);
    assert_string_equal(json_string_value(json_object_get(cal, "kind")), "caliper");
    assert_true(json_real_value(json_object_get(cal, "mm")) == 20.04);
    assert_null(tsn_annot_state_find(s, 5));
    assert_null(tsn_annot_state_find(s, 0));
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(id_of(tsn_annot_state_item(s, i)), (int64_t)i + 1);
    assert_null(tsn_annot_state_item(s, 4));
    assert_int_equal(tsn_annot_state_newest_by(s, "dr-lee"), 4);
    assert_int_equal(tsn_annot_state_newest_by(s, "dr-kim"), 2);
    assert_int_equal(tsn_annot_state_newest_by(s, "dr-who"), -1);
    assert_int_equal(tsn_annot_state_newest_by(s, "dr-le"), -1); /* no prefix match */
    tsn_annot_state_free(s);
}

static void test_delete_and_undo(void **state)
{
    (void)state;
    struct tsn_annot_state *s = tsn_annot_state_new();
    assert_int_equal(draw(s, 1, "dr-lee", "line", LINE_PTS), 1);
    assert_int_equal(draw(s, 2, "dr-kim", "freehand", "[[0,0],[0.5,0.5],[1,1]]"), 1);
    assert_int_equal(draw(s, 3, "dr-lee", "arrow", LINE_PTS), 1);
    assert_int_equal(tsn_annot_state_points(s), 7);

    /* delete from the middle: ids stay in order, points follow. */
    assert_int_equal(op_item(s, 4, "delete", 2), 1);
    assert_int_equal(tsn_annot_state_seq(s), 4);
    assert_int_equal(tsn_annot_state_count(s), 2);
    assert_int_equal(tsn_annot_state_points(s), 4);
    assert_null(tsn_annot_state_find(s, 2));
    assert_int_equal(id_of(tsn_annot_state_item(s, 0)), 1);
    assert_int_equal(id_of(tsn_annot_state_item(s, 1)), 3);
    assert_int_equal(tsn_annot_state_newest_by(s, "dr-kim"), -1);

    /* undo removes the mark the event names (the relay chose it). */
    assert_int_equal(op_item(s, 5, "undo", 3), 1);
    assert_int_equal(tsn_annot_state_count(s), 1);
    assert_int_equal(tsn_annot_state_points(s), 2);
    assert_int_equal(tsn_annot_state_newest_by(s, "dr-lee"), 1);
    assert_dump(s, "{\"bookmarks\":[],\"chat\":[],\"frozen\":null,\"items\":[{\"by\":\"dr-lee\","
                   "\"color\":\"#e6194b\",\"id\":1,\"kind\":\"line\",\"media\":null,\"points\":"
                   "[[0.1,0.2],[0.3,0.4]],\"time\":1001}],\"seq\":5,\"type\":\"annotations\"}");

    /* delete (and undo) of an unknown id: nothing removed, seq advances. */
    assert_int_equal(op_item(s, 6, "delete", 99), 1);
    assert_int_equal(op_item(s, 7, "undo", 2), 1);
    assert_int_equal(tsn_annot_state_seq(s), 7);
    assert_int_equal(tsn_annot_state_count(s), 1);
    assert_int_equal(tsn_annot_state_points(s), 2);
    assert_dump(s, "{\"bookmarks\":[],\"chat\":[],\"frozen\":null,\"items\":[{\"by\":\"dr-lee\","
                   "\"color\":\"#e6194b\",\"id\":1,\"kind\":\"line\",\"media\":null,\"points\":"
                   "[[0.1,0.2],[0.3,0.4]],\"time\":1001}],\"seq\":7,\"type\":\"annotations\"}");
    assert_int_equal(op_item(s, 8, "delete", 1), 1);
    assert_int_equal(tsn_annot_state_count(s), 0);
    assert_int_equal(tsn_annot_state_points(s), 0);
    tsn_annot_state_free(s);
}

static void test_clear(void **state)
{
    (void)state;
    struct tsn_annot_state *s = tsn_annot_state_new();
    for (int64_t i = 1; i <= 5; i++)
        assert_int_equal(
            draw(s, i, i % 2 ? "dr-lee" : "dr-kim", "freehand", "[[0,0],[0.5,0.5],[1,1]]"), 1);
    assert_int_equal(chat(s, 6, "hello"), 1);
    assert_int_equal(bookmark(s, 7, "max diameter"), 1);
    assert_int_equal(freeze(s, 8, "dr-lee", 1), 1);
    assert_int_equal(tsn_annot_state_points(s), 15);
    assert_int_equal(clear(s, 9, 5), 1);
    assert_int_equal(tsn_annot_state_seq(s), 9);
    assert_int_equal(tsn_annot_state_count(s), 0);
    assert_int_equal(tsn_annot_state_points(s), 0);
    assert_int_equal(tsn_annot_state_newest_by(s, "dr-lee"), -1);
    /* Clear removes marks only: chat, bookmarks and the freeze stay. */
    assert_int_equal(tsn_annot_state_bookmarks(s), 1);
    assert_string_equal(tsn_annot_state_frozen_by(s), "dr-lee");
    assert_dump(s, "{\"bookmarks\":[{\"by\":\"dr-lee\",\"id\":7,\"label\":\"max diameter\","
                   "\"media\":null,\"time\":1007}],\"chat\":[{\"from\":\"dr-kim\",\"media\":{"
                   "\"capture_ms\":5,\"rtp_ts\":9},\"seq\":6,\"text\":\"hello\",\"time\":1006}],"
                   "\"frozen\":{\"by\":\"dr-lee\",\"media\":{\"capture_ms\":7,\"rtp_ts\":8},"
                   "\"seq\":8,\"time\":1008},\"items\":[],\"seq\":9,\"type\":\"annotations\"}");
    /* Clearing nothing still advances seq; drawing after a clear counts again. */
    assert_int_equal(clear(s, 10, 0), 1);
    assert_int_equal(tsn_annot_state_seq(s), 10);
    assert_int_equal(draw(s, 11, "dr-kim", "line", LINE_PTS), 1);
    assert_int_equal(tsn_annot_state_points(s), 2);
    tsn_annot_state_free(s);
}

static void test_chat_keeps_last_100(void **state)
{
    (void)state;
    struct tsn_annot_state *s = tsn_annot_state_new();
    char text[32];
    for (int64_t i = 1; i <= 150; i++) {
        snprintf(text, sizeof text, "message %lld", (long long)i);
        assert_int_equal(chat(s, i, text), 1);
    }
    assert_int_equal(tsn_annot_state_seq(s), 150);
    json_t *snap = tsn_annot_state_snapshot(s);
    json_t *c = json_object_get(snap, "chat");
    assert_int_equal(json_array_size(c), TSN_ANNOT_CHAT_KEPT);
    assert_int_equal(TSN_ANNOT_CHAT_KEPT, 100);
    /* The oldest kept is #51, the newest #150, in order, with their members. */
    for (size_t i = 0; i < 100; i++) {
        json_t *e = json_array_get(c, i);
        assert_int_equal(json_integer_value(json_object_get(e, "seq")), (json_int_t)(51 + i));
        snprintf(text, sizeof text, "message %zu", 51 + i);
        assert_string_equal(json_string_value(json_object_get(e, "text")), text);
        assert_string_equal(json_string_value(json_object_get(e, "from")), "dr-kim");
        assert_int_equal(json_integer_value(json_object_get(e, "time")), (json_int_t)(1051 + i));
        assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "media"), "rtp_ts")),
                         9);
        assert_int_equal(json_object_size(e), 5);
    }
    json_decref(snap);
    tsn_annot_state_free(s);
}

static void test_chat_without_media(void **state)
{
    (void)state;
    struct tsn_annot_state *s = tsn_annot_state_new();
    /* A chat event without a media member keeps media null. */
    assert_int_equal(feed(s, "{\"type\":\"event\",\"seq\":1,\"time\":5,\"from\":\"a\",\"op\":"
                             "\"chat\",\"text\":\"line one\\nline two\\ttab\"}"),
                     1);
    assert_dump(s, "{\"bookmarks\":[],\"chat\":[{\"from\":\"a\",\"media\":null,\"seq\":1,"
                   "\"text\":\"line one\\nline two\\ttab\",\"time\":5}],\"frozen\":null,"
                   "\"items\":[],\"seq\":1,\"type\":\"annotations\"}");
    tsn_annot_state_free(s);
}

static void test_freeze(void **state)
{
    (void)state;
    struct tsn_annot_state *s = tsn_annot_state_new();
    assert_int_equal(freeze(s, 1, "dr-lee", 1), 1);
    assert_string_equal(tsn_annot_state_frozen_by(s), "dr-lee");
    assert_dump(s, "{\"bookmarks\":[],\"chat\":[],\"frozen\":{\"by\":\"dr-lee\",\"media\":{"
                   "\"capture_ms\":7,\"rtp_ts\":8},\"seq\":1,\"time\":1001},\"items\":[],"
                   "\"seq\":1,\"type\":\"annotations\"}");
    /* A second freeze by someone else takes it over. */
    assert_int_equal(freeze(s, 2, "dr-kim", 1), 1);
    assert_string_equal(tsn_annot_state_frozen_by(s), "dr-kim");
    /* Unfreeze, also the relay's own with a reason. */
    assert_int_equal(feed(s, "{\"type\":\"event\",\"seq\":3,\"time\":1003,\"from\":\"dr-kim\","
                             "\"media\":null,\"op\":\"freeze\",\"frozen\":false,"
                             "\"reason\":\"left the room\"}"),
                     1);
    assert_null(tsn_annot_state_frozen_by(s));
    assert_dump(s, "{\"bookmarks\":[],\"chat\":[],\"frozen\":null,\"items\":[],\"seq\":3,"
                   "\"type\":\"annotations\"}");
    /* Unfreezing when not frozen is fine. */
    assert_int_equal(freeze(s, 4, "dr-lee", 0), 1);
    assert_null(tsn_annot_state_frozen_by(s));
    assert_int_equal(tsn_annot_state_seq(s), 4);
    /* A freeze event without media: frozen.media is null. */
    assert_int_equal(feed(s, "{\"type\":\"event\",\"seq\":5,\"time\":1,\"from\":\"x\","
                             "\"op\":\"freeze\",\"frozen\":true}"),
                     1);
    assert_dump(s, "{\"bookmarks\":[],\"chat\":[],\"frozen\":{\"by\":\"x\",\"media\":null,"
                   "\"seq\":5,\"time\":1},\"items\":[],\"seq\":5,\"type\":\"annotations\"}");
    tsn_annot_state_free(s);
}

static void test_bookmark(void **state)
{
    (void)state;
    struct tsn_annot_state *s = tsn_annot_state_new();
    assert_int_equal(bookmark(s, 1, "max diameter"), 1);
    assert_int_equal(bookmark(s, 2, ""), 1);
    assert_int_equal(tsn_annot_state_bookmarks(s), 2);
    assert_int_equal(tsn_annot_state_count(s), 0);
    assert_dump(s, "{\"bookmarks\":[{\"by\":\"dr-lee\",\"id\":1,\"label\":\"max diameter\","
                   "\"media\":null,\"time\":1001},{\"by\":\"dr-lee\",\"id\":2,\"label\":\"\","
                   "\"media\":null,\"time\":1002}],\"chat\":[],\"frozen\":null,\"items\":[],"
                   "\"seq\":2,\"type\":\"annotations\"}");
    tsn_annot_state_free(s);
}

/* --- seq ordering -------------------------------------------------------- */

static void test_seq_order(void **state)
{
    (void)state;
    struct tsn_annot_state *s = tsn_annot_state_new();
    char why[128];
    assert_int_equal(draw(s, 1, "dr-lee", "line", LINE_PTS), 1);
    assert_int_equal(draw(s, 2, "dr-lee", "arrow", LINE_PTS), 1);
    char *before = tsn_annot_state_dumps(s);

    /* The same seq again, or an older one, through apply: -EALREADY. */
    static const char *const old[] = {
        "{\"type\":\"event\",\"seq\":2,\"time\":1,\"from\":\"x\",\"op\":\"clear\",\"count\":2}",
        "{\"type\":\"event\",\"seq\":1,\"time\":1,\"from\":\"x\",\"op\":\"delete\",\"item\":1}",
        "{\"type\":\"event\",\"seq\":2,\"time\":1,\"from\":\"x\",\"op\":\"chat\",\"text\":\"a\"}",
        "{\"type\":\"event\",\"seq\":1,\"time\":1,\"from\":\"x\",\"op\":\"freeze\","
        "\"frozen\":true}",
        "{\"type\":\"event\",\"seq\":2,\"time\":1,\"from\":\"x\",\"op\":\"bookmark\","
        "\"bookmark\":{\"id\":2}}",
    };
    for (size_t i = 0; i < sizeof old / sizeof old[0]; i++) {
        assert_int_equal(apply_text(s, old[i], why, sizeof why), -EALREADY);
        /* handle() says "nothing changed" for an event already applied. */
        assert_int_equal(feed(s, old[i]), 0);
    }
    char *after = tsn_annot_state_dumps(s);
    assert_string_equal(after, before);
    assert_int_equal(tsn_annot_state_seq(s), 2);
    free(after);

    /* A gap is applied (the caller detects gaps). */
    assert_int_equal(op_item(s, 9, "delete", 1), 1);
    assert_int_equal(tsn_annot_state_seq(s), 9);
    assert_int_equal(tsn_annot_state_count(s), 1);
    /* ... and then what lies inside the gap is old. */
    assert_int_equal(draw(s, 5, "dr-kim", "line", LINE_PTS), 0);
    assert_int_equal(tsn_annot_state_count(s), 1);
    assert_null(tsn_annot_state_find(s, 5));
    free(before);
    tsn_annot_state_free(s);
}

/* --- malformed events ---------------------------------------------------- */

static void test_malformed_events_change_nothing(void **state)
{
    (void)state;
    static const char *const bad[] = {
        /* the envelope */
        "{\"type\":\"events\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"clear\"}",
        "{\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"clear\"}",
        "{\"type\":\"event\",\"time\":1,\"from\":\"x\",\"op\":\"clear\"}",
        "{\"type\":\"event\",\"seq\":\"10\",\"time\":1,\"from\":\"x\",\"op\":\"clear\"}",
        "{\"type\":\"event\",\"seq\":10.0,\"time\":1,\"from\":\"x\",\"op\":\"clear\"}",
        "{\"type\":\"event\",\"seq\":0,\"time\":1,\"from\":\"x\",\"op\":\"clear\"}",
        "{\"type\":\"event\",\"seq\":-3,\"time\":1,\"from\":\"x\",\"op\":\"clear\"}",
        "{\"type\":\"event\",\"seq\":10,\"from\":\"x\",\"op\":\"clear\"}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1.5,\"from\":\"x\",\"op\":\"clear\"}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"op\":\"clear\"}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":7,\"op\":\"clear\"}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\"}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":3}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"pointer\"}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"Clear\"}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"\"}",
        /* draw */
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"draw\"}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"draw\",\"item\":10}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"draw\",\"item\":"
        "{\"kind\":\"line\",\"by\":\"x\",\"points\":[]}}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"draw\",\"item\":"
        "{\"id\":0,\"kind\":\"line\",\"by\":\"x\",\"points\":[]}}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"draw\",\"item\":"
        "{\"id\":\"10\",\"kind\":\"line\",\"by\":\"x\",\"points\":[]}}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"draw\",\"item\":"
        "{\"id\":10,\"kind\":5,\"by\":\"x\",\"points\":[]}}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"draw\",\"item\":"
        "{\"id\":10,\"kind\":\"line\",\"points\":[]}}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"draw\",\"item\":"
        "{\"id\":10,\"kind\":\"line\",\"by\":\"x\",\"points\":{}}}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"draw\",\"item\":"
        "{\"id\":10,\"kind\":\"line\",\"by\":\"x\"}}",
        /* delete / undo */
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"delete\"}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"delete\",\"item\":"
        "\"1\"}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"undo\",\"item\":1.0}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"undo\"}",
        /* chat, freeze, bookmark */
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"chat\"}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"chat\",\"text\":5}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"freeze\"}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"freeze\",\"frozen\":1}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"freeze\","
        "\"frozen\":\"true\"}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"bookmark\"}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"bookmark\","
        "\"bookmark\":[1]}",
        "{\"type\":\"event\",\"seq\":10,\"time\":1,\"from\":\"x\",\"op\":\"bookmark\","
        "\"bookmark\":{\"label\":\"no id\"}}",
    };
    struct tsn_annot_state *s = tsn_annot_state_new();
    /* A state with a bit of everything, so an accidental change shows. */
    assert_int_equal(draw(s, 1, "dr-lee", "line", LINE_PTS), 1);
    assert_int_equal(chat(s, 2, "hi"), 1);
    assert_int_equal(bookmark(s, 3, "b"), 1);
    assert_int_equal(freeze(s, 4, "dr-lee", 1), 1);
    char *before = tsn_annot_state_dumps(s);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[160] = "";
        int rc = apply_text(s, bad[i], why, sizeof why);
        if (rc != -EBADMSG)
            fail_msg("event %zu: got %d, want -EBADMSG: %s", i, rc, bad[i]);
        if (why[0] == '\0')
            fail_msg("event %zu: no reason", i);
        /* handle(): another message type is 0, a bad event -EBADMSG. */
        assert_int_equal(feed(s, bad[i]), strstr(bad[i], "\"type\":\"event\"") ? -EBADMSG : 0);
        char *after = tsn_annot_state_dumps(s);
        if (strcmp(after, before) != 0)
            fail_msg("event %zu changed the state: %s\n%s", i, bad[i], after);
        free(after);
    }
    assert_int_equal(tsn_annot_state_seq(s), 4);
    /* The state still takes the next good event. */
    assert_int_equal(clear(s, 5, 1), 1);
    free(before);
    tsn_annot_state_free(s);
}

static void test_apply_reason_optional(void **state)
{
    (void)state;
    /* why may be NULL or zero-sized; a long reason is cut, NUL-terminated. */
    struct tsn_annot_state *s = tsn_annot_state_new();
    json_t *ev = json_loads("{\"type\":\"event\",\"seq\":1,\"time\":1,\"from\":\"x\",\"op\":\"?\"}",
                            0, NULL);
    assert_int_equal(tsn_annot_state_apply(s, ev, NULL, 0), -EBADMSG);
    char small[6];
    memset(small, 'X', sizeof small);
    assert_int_equal(tsn_annot_state_apply(s, ev, small, sizeof small), -EBADMSG);
    assert_non_null(memchr(small, '\0', sizeof small));
    json_decref(ev);
    assert_int_equal(tsn_annot_state_handle(s, "nope", 4, NULL, 0), -EBADMSG);
    tsn_annot_state_free(s);
}

/* --- handle() ------------------------------------------------------------ */

static void test_handle_results(void **state)
{
    (void)state;
    struct tsn_annot_state *s = tsn_annot_state_new();
    /* Other messages: 0, nothing changes. */
    assert_int_equal(feed(s, "{\"type\":\"welcome\",\"protocol\":2,\"room\":\"r\"}"), 0);
    assert_int_equal(feed(s, "{\"type\":\"pointer\",\"from\":\"a\",\"color\":\"#e6194b\","
                             "\"x\":0.5,\"y\":0.5,\"time\":1}"),
                     0);
    assert_int_equal(feed(s, "{\"type\":\"error\",\"code\":400,\"reason\":\"x\",\"ref\":\"draw\"}"),
                     0);
    assert_int_equal(feed(s, "{\"no\":\"type\"}"), 0);
    assert_int_equal(feed(s, "[1,2,3]"), 0);
    /* jansson without JSON_DECODE_ANY: a bare scalar is not a JSON text. */
    assert_int_equal(feed(s, "42"), -EBADMSG);
    assert_int_equal(feed(s, "{\"type\":7}"), 0);
    /* Not JSON: refused. */
    assert_int_equal(feed(s, ""), -EBADMSG);
    assert_int_equal(feed(s, "{\"type\":\"event\""), -EBADMSG);
    assert_int_equal(feed(s, "{\"type\":\"event\",\"seq\":1,\"seq\":2}"), -EBADMSG); /* dup */
    assert_int_equal(feed(s, "{\"type\":\"event\",\"seq\":NaN}"), -EBADMSG);
    assert_dump(s, EMPTY_DUMP);
    /* An event: 1; the same again: 0. */
    assert_int_equal(chat(s, 1, "x"), 1);
    assert_int_equal(chat(s, 1, "x"), 0);
    /* A snapshot: 1 (also one with a lower seq: it replaces). */
    assert_int_equal(feed(s, "{\"type\":\"annotations\",\"seq\":0,\"items\":[],\"bookmarks\":[],"
                             "\"frozen\":null,\"chat\":[]}"),
                     1);
    assert_dump(s, EMPTY_DUMP);
    /* Length is honoured: a valid prefix of a longer buffer. */
    const char *two = "{\"type\":\"event\",\"seq\":1,\"time\":1,\"from\":\"x\",\"op\":\"clear\","
                      "\"count\":0}GARBAGE";
    char why[64];
    assert_int_equal(tsn_annot_state_handle(s, two, strlen(two) - 7, why, sizeof why), 1);
    assert_int_equal(tsn_annot_state_handle(s, two, strlen(two), why, sizeof why), -EBADMSG);
    assert_int_equal(tsn_annot_state_seq(s), 1);
    tsn_annot_state_free(s);
}

/* --- snapshots ----------------------------------------------------------- */

/* A scripted mix of every op; the same script gives the same state. */
static void script(struct tsn_annot_state *s)
{
    char text[64];
    int64_t q = 0; /* the seq of the round's first event */
    for (int round = 0; round < 3; round++, q += 8) {
        assert_int_equal(draw(s, q + 1, "dr-lee", "line", LINE_PTS), 1);
        assert_int_equal(
            draw(s, q + 2, "dr-kim", "freehand", "[[0.3,0.3],[0.31,0.32],[0.33,0.35]]"), 1);
        assert_int_equal(draw(s, q + 3, "dr-lee", "text", "[[0.1,0.1]]"), 1);
        assert_int_equal(op_item(s, q + 4, "undo", q + 3), 1);
        snprintf(text, sizeof text, "round %d", round);
        assert_int_equal(chat(s, q + 5, text), 1);
        assert_int_equal(bookmark(s, q + 6, text), 1);
        assert_int_equal(freeze(s, q + 7, round % 2 ? "dr-kim" : "dr-lee", round != 1), 1);
        assert_int_equal(op_item(s, q + 8, "delete", q + 2), 1);
    }
    assert_int_equal(op_item(s, q + 1, "delete", 1000), 1);
}

static void test_same_events_same_dump(void **state)
{
    (void)state;
    struct tsn_annot_state *a = tsn_annot_state_new(), *b = tsn_annot_state_new();
    script(a);
    script(b);
    assert_same_dump(a, b);
    assert_int_equal(tsn_annot_state_seq(a), 25);
    assert_int_equal(tsn_annot_state_count(a), 3); /* one line per round */
    assert_int_equal(tsn_annot_state_points(a), 6);
    assert_int_equal(tsn_annot_state_bookmarks(a), 3);
    assert_string_equal(tsn_annot_state_frozen_by(a), "dr-lee");
    /* Replaying the whole script again changes nothing (all old). */
    char *before = tsn_annot_state_dumps(a);
    struct tsn_annot_state *c = tsn_annot_state_new();
    script(c);
    tsn_annot_state_free(c);
    char *again = tsn_annot_state_dumps(a);
    assert_string_equal(before, again);
    free(before);
    free(again);
    tsn_annot_state_free(a);
    tsn_annot_state_free(b);
}

static void test_load_from_snapshot(void **state)
{
    (void)state;
    struct tsn_annot_state *a = tsn_annot_state_new(), *b = tsn_annot_state_new();
    char why[128];
    script(a);
    /* b had something else: load replaces all of it. */
    assert_int_equal(draw(b, 40, "dr-x", "arrow", LINE_PTS), 1);
    assert_int_equal(chat(b, 41, "old"), 1);
    json_t *snap = tsn_annot_state_snapshot(a);
    assert_non_null(snap);
    assert_int_equal(tsn_annot_state_load(b, snap, why, sizeof why), 0);
    json_decref(snap);
    assert_same_dump(a, b);
    assert_int_equal(tsn_annot_state_seq(b), 25);
    assert_int_equal(tsn_annot_state_points(b), 6);
    assert_int_equal(tsn_annot_state_count(b), 3);
    assert_string_equal(tsn_annot_state_frozen_by(b), "dr-lee");
    assert_null(tsn_annot_state_find(b, 40));

    /* A late joiner gets text: the same through handle(). */
    struct tsn_annot_state *c = tsn_annot_state_new();
    char *text = tsn_annot_state_dumps(a);
    assert_int_equal(feed(c, text), 1);
    free(text);
    assert_same_dump(a, c);

    /* Later events keep all three equal; older ones are refused by the copies. */
    assert_int_equal(draw(b, 10, "dr-lee", "line", LINE_PTS), 0);
    struct tsn_annot_state *states[] = {a, b, c};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(draw(states[i], 26, "dr-kim", "ellipse", "[[0.5,0.5],[0.6,0.7]]"), 1);
        assert_int_equal(op_item(states[i], 27, "delete", 1), 1);
        assert_int_equal(clear(states[i], 28, 3), 1);
        assert_int_equal(freeze(states[i], 29, "dr-lee", 0), 1);
        assert_int_equal(chat(states[i], 30, "after"), 1);
    }
    assert_same_dump(a, b);
    assert_same_dump(a, c);
    assert_int_equal(tsn_annot_state_points(b), 0);
    assert_null(tsn_annot_state_frozen_by(c));
    tsn_annot_state_free(a);
    tsn_annot_state_free(b);
    tsn_annot_state_free(c);
}

static void test_load_computes_points(void **state)
{
    (void)state;
    struct tsn_annot_state *s = tsn_annot_state_new();
    assert_int_equal(
        feed(s, "{\"type\":\"annotations\",\"seq\":15,\"items\":[{\"id\":3,\"kind\":\"line\","
                "\"by\":\"a\",\"points\":[[0,0],[1,1]]},{\"id\":9,\"kind\":\"freehand\",\"by\":"
                "\"b\",\"points\":[[0,0],[1,1],[0.5,0.5]]}],\"bookmarks\":[{\"id\":4}],"
                "\"frozen\":{\"by\":\"b\",\"seq\":12,\"time\":1,\"media\":null},\"chat\":[]}"),
        1);
    assert_int_equal(tsn_annot_state_seq(s), 15);
    assert_int_equal(tsn_annot_state_count(s), 2);
    assert_int_equal(tsn_annot_state_points(s), 5);
    assert_int_equal(tsn_annot_state_bookmarks(s), 1);
    assert_string_equal(tsn_annot_state_frozen_by(s), "b");
    assert_int_equal(tsn_annot_state_newest_by(s, "a"), 3);
    assert_int_equal(id_of(tsn_annot_state_find(s, 9)), 9);
    assert_int_equal(op_item(s, 16, "delete", 9), 1);
    assert_int_equal(tsn_annot_state_points(s), 2);
    tsn_annot_state_free(s);
}

static void test_malformed_snapshots_change_nothing(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"type\":\"annotation\",\"seq\":1,\"items\":[],\"bookmarks\":[],\"frozen\":null,"
        "\"chat\":[]}",
        "{\"type\":\"annotations\",\"items\":[],\"bookmarks\":[],\"frozen\":null,\"chat\":[]}",
        "{\"type\":\"annotations\",\"seq\":-1,\"items\":[],\"bookmarks\":[],\"frozen\":null,"
        "\"chat\":[]}",
        "{\"type\":\"annotations\",\"seq\":1.5,\"items\":[],\"bookmarks\":[],\"frozen\":null,"
        "\"chat\":[]}",
        "{\"type\":\"annotations\",\"seq\":1,\"bookmarks\":[],\"frozen\":null,\"chat\":[]}",
        "{\"type\":\"annotations\",\"seq\":1,\"items\":{},\"bookmarks\":[],\"frozen\":null,"
        "\"chat\":[]}",
        "{\"type\":\"annotations\",\"seq\":1,\"items\":[],\"frozen\":null,\"chat\":[]}",
        "{\"type\":\"annotations\",\"seq\":1,\"items\":[],\"bookmarks\":[],\"frozen\":null}",
        "{\"type\":\"annotations\",\"seq\":1,\"items\":[],\"bookmarks\":[],\"frozen\":null,"
        "\"chat\":\"x\"}",
        "{\"type\":\"annotations\",\"seq\":1,\"items\":[],\"bookmarks\":[],\"chat\":[]}",
        "{\"type\":\"annotations\",\"seq\":1,\"items\":[],\"bookmarks\":[],\"frozen\":false,"
        "\"chat\":[]}",
        "{\"type\":\"annotations\",\"seq\":1,\"items\":[],\"bookmarks\":[],\"frozen\":\"a\","
        "\"chat\":[]}",
        /* a bad mark anywhere in items refuses the whole snapshot */
        "{\"type\":\"annotations\",\"seq\":3,\"items\":[{\"id\":1,\"kind\":\"line\",\"by\":\"a\","
        "\"points\":[]},{\"id\":2,\"kind\":\"line\",\"by\":\"a\"}],\"bookmarks\":[],"
        "\"frozen\":null,\"chat\":[]}",
        "{\"type\":\"annotations\",\"seq\":3,\"items\":[7],\"bookmarks\":[],\"frozen\":null,"
        "\"chat\":[]}",
        "{\"type\":\"annotations\",\"seq\":3,\"items\":[{\"id\":-1,\"kind\":\"line\",\"by\":\"a\","
        "\"points\":[]}],\"bookmarks\":[],\"frozen\":null,\"chat\":[]}",
    };
    struct tsn_annot_state *s = tsn_annot_state_new();
    script(s);
    char *before = tsn_annot_state_dumps(s);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[160] = "";
        json_t *snap = json_loads(bad[i], 0, NULL);
        assert_non_null(snap);
        int rc = tsn_annot_state_load(s, snap, why, sizeof why);
        json_decref(snap);
        if (rc != -EBADMSG || why[0] == '\0')
            fail_msg("snapshot %zu: got %d '%s': %s", i, rc, why, bad[i]);
        assert_int_equal(feed(s, bad[i]),
                         strstr(bad[i], "\"type\":\"annotations\"") ? -EBADMSG : 0);
        char *after = tsn_annot_state_dumps(s);
        if (strcmp(after, before) != 0)
            fail_msg("snapshot %zu changed the state", i);
        free(after);
    }
    free(before);
    tsn_annot_state_free(s);
}

static void test_load_is_a_copy(void **state)
{
    (void)state;
    /* The loaded state does not share the snapshot's objects: changing or
     * freeing the snapshot afterwards leaves the state as it was. */
    struct tsn_annot_state *s = tsn_annot_state_new();
    json_t *snap = json_loads("{\"type\":\"annotations\",\"seq\":2,\"items\":[{\"id\":1,\"kind\":"
                              "\"line\",\"by\":\"a\",\"points\":[[0,0],[1,1]]}],\"bookmarks\":[],"
                              "\"frozen\":{\"by\":\"a\",\"seq\":2,\"time\":1,\"media\":null},"
                              "\"chat\":[]}",
                              0, NULL);
    char why[64];
    assert_int_equal(tsn_annot_state_load(s, snap, why, sizeof why), 0);
    char *before = tsn_annot_state_dumps(s);
    json_array_clear(json_object_get(snap, "items"));
    json_object_set_new(json_object_get(snap, "frozen"), "by", json_string("z"));
    char *after = tsn_annot_state_dumps(s);
    assert_string_equal(before, after);
    json_decref(snap);
    assert_string_equal(tsn_annot_state_frozen_by(s), "a");
    free(before);
    free(after);
    tsn_annot_state_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_is_empty),
        cmocka_unit_test(test_draw),
        cmocka_unit_test(test_delete_and_undo),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_chat_keeps_last_100),
        cmocka_unit_test(test_chat_without_media),
        cmocka_unit_test(test_freeze),
        cmocka_unit_test(test_bookmark),
        cmocka_unit_test(test_seq_order),
        cmocka_unit_test(test_malformed_events_change_nothing),
        cmocka_unit_test(test_apply_reason_optional),
        cmocka_unit_test(test_handle_results),
        cmocka_unit_test(test_same_events_same_dump),
        cmocka_unit_test(test_load_from_snapshot),
        cmocka_unit_test(test_load_computes_points),
        cmocka_unit_test(test_malformed_snapshots_change_nothing),
        cmocka_unit_test(test_load_is_a_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
