/* Unit tests for relay/annot_room.c, the relay's annotation rooms
 * (docs/protocol.md, "Annotations (protocol 2)"):
 *  - colours: palette order by first join, stable for a sub across its
 *    sockets and across leave/rejoin, the 9th subject wraps, rooms apart;
 *  - the snapshot of an unknown room is the empty state;
 *  - apply: seq increments; a mark's fields (id = seq, kind, by, colour =
 *    the participant's unless given, time, media null without a frame,
 *    {rtp_ts[, capture_ms]} with one, frame_ms used only inside
 *    [capture_ms - 10000, capture_ms]); caliper mm and ellipse rx/ry/area
 *    from the stream metadata (none without spacing or size); undo of one's
 *    own newest only; delete 404; clear count; limits 409 (500 marks,
 *    50000 points, 500 bookmarks) with the state unchanged; pointer 400;
 *  - a client state fed the room's events (as text) equals the room's
 *    snapshot;
 *  - leave: the freezer's last socket unfreezes ("left the room"), another
 *    socket of the same sub does not; linger purge drops a room and its
 *    colours. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "annot_room.h"
#include "annot_state.h"
#include "sigmsg.h"

static const char *const palette[] = {"#e6194b", "#3cb44b", "#ffe119", "#4363d8",
                                      "#f58231", "#911eb4", "#42d4f4", "#f032e6"};

#define EMPTY_DUMP                                                                                 \
    "{\"bookmarks\":[],\"chat\":[],\"frozen\":null,\"items\":[],\"seq\":0,\"type\":"               \
    "\"annotations\"}"

#define T0 1795746031000LL /* a server time, Unix ms */

/* --- helpers ------------------------------------------------------------- */

/* A request from client JSON text (must be valid). */
static struct tsn_annot_req req_of(const char *text)
{
    struct tsn_annot_req r;
    char why[160];
    json_t *root = json_loads(text, 0, NULL);
    assert_non_null(root);
    const char *type = json_string_value(json_object_get(root, "type"));
    enum tsn_annot_op op = 0;
    for (int i = TSN_ANNOT_DRAW; i <= TSN_ANNOT_POINTER; i++)
        if (type && strcmp(type, tsn_annot_op_name(i)) == 0)
            op = i;
    if (tsn_annot_req_from_json(root, op, &r, why, sizeof why) != 0)
        fail_msg("test request refused: %s: %s", why, text);
    json_decref(root);
    return r;
}

struct fixture {
    struct tsn_annot_rooms *rs;
    struct tsn_annot_state *client; /* fed every event as text */
    const struct tsn_frame_info *frame;
    const struct tsn_stream_meta *meta;
    int64_t now_ms;
    char why[256];
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    f->rs = tsn_annot_rooms_new(TSN_ANNOT_LINGER_MS);
    f->client = tsn_annot_state_new();
    assert_non_null(f->rs);
    assert_non_null(f->client);
    f->now_ms = T0;
}

static void fixture_free(struct fixture *f)
{
    tsn_annot_rooms_free(f->rs);
    tsn_annot_state_free(f->client);
}

/* Feeds an event to the fixture's client as the room would send it. */
static void client_feed(struct fixture *f, const json_t *ev)
{
    char *text = tsn_sig_dump(ev, -1);
    assert_non_null(text);
    char why[128];
    int rc = tsn_annot_state_handle(f->client, text, strlen(text), why, sizeof why);
    if (rc != 1)
        fail_msg("client refused the room's event (%d, %s): %s", rc, why, text);
    free(text);
}

/* Applies `text` from `sub` in room "r" at f->now_ms. Returns the status;
 * *ev gets the event (caller decrefs) when 0 and ev is not NULL. */
static int apply(struct fixture *f, const char *sub, const char *text, json_t **ev)
{
    struct tsn_annot_req r = req_of(text);
    struct tsn_annot_ctx ctx = {
        .sub = sub, .now_ms = f->now_ms, .frame = f->frame, .meta = f->meta};
    json_t *e = NULL;
    f->why[0] = '\0';
    int status = tsn_annot_rooms_apply(f->rs, "r", &r, &ctx, &e, f->why, sizeof f->why);
    tsn_annot_req_clear(&r);
    if (status == 0) {
        assert_non_null(e);
        client_feed(f, e);
        if (ev)
            *ev = e;
        else
            json_decref(e);
    } else {
        if (f->why[0] == '\0')
            fail_msg("status %d without a reason", status);
    }
    return status;
}

/* Applies and returns the event, which must be accepted. */
static json_t *must(struct fixture *f, const char *sub, const char *text)
{
    json_t *ev = NULL;
    int status = apply(f, sub, text, &ev);
    if (status != 0)
        fail_msg("refused %d '%s': %s", status, f->why, text);
    return ev;
}

static void must_drop(struct fixture *f, const char *sub, const char *text)
{
    json_decref(must(f, sub, text));
}

static char *room_dump(const struct tsn_annot_rooms *rs, const char *room)
{
    json_t *snap = tsn_annot_rooms_snapshot(rs, room);
    assert_non_null(snap);
    char *text = json_dumps(snap, TSN_ANNOT_JSON_FLAGS | JSON_SORT_KEYS);
    json_decref(snap);
    assert_non_null(text);
    return text;
}

/* The room's state equals what its client built from the events. */
static void assert_client_matches(struct fixture *f)
{
    char *room = room_dump(f->rs, "r");
    char *client = tsn_annot_state_dumps(f->client);
    if (strcmp(room, client) != 0)
        fail_msg("room and client differ\n room   %s\n client %s", room, client);
    free(room);
    free(client);
}

static int64_t ival(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        fail_msg("'%s' is not an integer", key);
    return json_integer_value(v);
}

static const char *sval(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s)
        fail_msg("'%s' is not a string", key);
    return s;
}

static double rval(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        fail_msg("'%s' is not a number", key);
    return json_number_value(v);
}

static int64_t room_seq(const struct tsn_annot_rooms *rs, const char *room)
{
    json_t *snap = tsn_annot_rooms_snapshot(rs, room);
    int64_t seq = json_integer_value(json_object_get(snap, "seq"));
    json_decref(snap);
    return seq;
}

#define LINE "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":[[0.1,0.2],[0.3,0.4]]}}"

/* --- colours and snapshots ----------------------------------------------- */

static void test_join_colours(void **state)
{
    (void)state;
    struct tsn_annot_rooms *rs = tsn_annot_rooms_new(TSN_ANNOT_LINGER_MS);
    char sub[16];
    for (int i = 0; i < 9; i++) {
        snprintf(sub, sizeof sub, "sub-%d", i);
        const char *c = tsn_annot_rooms_join(rs, "r", sub, T0 + i);
        assert_non_null(c);
        assert_string_equal(c, palette[i % 8]); /* the 9th wraps to the first */
    }
    /* A second socket of a sub, and a rejoin after leaving: the same colour. */
    assert_string_equal(tsn_annot_rooms_join(rs, "r", "sub-3", T0 + 20), palette[3]);
    assert_null(tsn_annot_rooms_leave(rs, "r", "sub-3", 0, T0 + 21));
    assert_null(tsn_annot_rooms_leave(rs, "r", "sub-3", 1, T0 + 22));
    assert_string_equal(tsn_annot_rooms_color(rs, "r", "sub-3"), palette[3]);
    assert_string_equal(tsn_annot_rooms_join(rs, "r", "sub-3", T0 + 23), palette[3]);
    /* A newcomer after that continues the order, not the gap. */
    assert_string_equal(tsn_annot_rooms_join(rs, "r", "sub-9", T0 + 24), palette[9 % 8]);
    for (int i = 0; i < 10; i++) {
        snprintf(sub, sizeof sub, "sub-%d", i);
        assert_string_equal(tsn_annot_rooms_color(rs, "r", sub), palette[i % 8]);
    }
    assert_null(tsn_annot_rooms_color(rs, "r", "never"));
    assert_null(tsn_annot_rooms_color(rs, "other", "sub-0"));
    /* Rooms hand out colours independently. */
    assert_string_equal(tsn_annot_rooms_join(rs, "other", "sub-5", T0), palette[0]);
    assert_string_equal(tsn_annot_rooms_join(rs, "other", "sub-0", T0), palette[1]);
    assert_string_equal(tsn_annot_rooms_color(rs, "r", "sub-5"), palette[5]);
    tsn_annot_rooms_free(rs);
    tsn_annot_rooms_free(NULL);
}

static void test_snapshot_unknown_room(void **state)
{
    (void)state;
    struct tsn_annot_rooms *rs = tsn_annot_rooms_new(TSN_ANNOT_LINGER_MS);
    char *d = room_dump(rs, "nowhere");
    assert_string_equal(d, EMPTY_DUMP);
    free(d);
    /* Joined but untouched: empty too. */
    assert_non_null(tsn_annot_rooms_join(rs, "r", "a", T0));
    d = room_dump(rs, "r");
    assert_string_equal(d, EMPTY_DUMP);
    free(d);
    /* Leave of an unknown room: nothing. */
    assert_null(tsn_annot_rooms_leave(rs, "nowhere", "a", 1, T0));
    tsn_annot_rooms_free(rs);
}

static void test_apply_needs_a_room(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    assert_int_equal(apply(&f, "a", LINE, NULL), 409);
    assert_string_equal(f.why, "join the room first");
    char *d = room_dump(f.rs, "r");
    assert_string_equal(d, EMPTY_DUMP);
    free(d);
    fixture_free(&f);
}

/* --- events -------------------------------------------------------------- */

static void test_mark_fields(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    assert_string_equal(tsn_annot_rooms_join(f.rs, "r", "dr-lee", T0), palette[0]);
    assert_string_equal(tsn_annot_rooms_join(f.rs, "r", "dr-kim", T0), palette[1]);

    /* No stream: media null in the event and the mark; colour = participant's. */
    json_t *ev = must(&f, "dr-kim", LINE);
    assert_string_equal(sval(ev, "type"), "event");
    assert_int_equal(ival(ev, "seq"), 1);
    assert_int_equal(ival(ev, "time"), T0);
    assert_string_equal(sval(ev, "from"), "dr-kim");
    assert_string_equal(sval(ev, "op"), "draw");
    assert_true(json_is_null(json_object_get(ev, "media")));
    assert_null(json_object_get(ev, "id"));
    json_t *mark = json_object_get(ev, "item");
    assert_int_equal(ival(mark, "id"), 1);
    assert_string_equal(sval(mark, "kind"), "line");
    assert_string_equal(sval(mark, "by"), "dr-kim");
    assert_string_equal(sval(mark, "color"), palette[1]);
    assert_int_equal(ival(mark, "time"), T0);
    assert_true(json_is_null(json_object_get(mark, "media")));
    assert_null(json_object_get(mark, "mm"));
    assert_null(json_object_get(mark, "text"));
    char *pts = json_dumps(json_object_get(mark, "points"), TSN_ANNOT_JSON_FLAGS);
    assert_string_equal(pts, "[[0.1,0.2],[0.3,0.4]]");
    free(pts);
    assert_int_equal(json_object_size(mark), 7);
    json_decref(ev);

    /* An explicit colour is kept (lowercased by the request); points rounded. */
    f.now_ms = T0 + 5;
    ev = must(&f, "dr-lee",
              "{\"type\":\"draw\",\"item\":{\"kind\":\"text\",\"points\":[[0.1234567,0.1]],"
              "\"text\":\"needle tip here\",\"color\":\"#00FF00\"},\"id\":8}");
    mark = json_object_get(ev, "item");
    assert_int_equal(ival(ev, "seq"), 2);
    assert_int_equal(ival(mark, "id"), 2);
    assert_string_equal(sval(mark, "color"), "#00ff00");
    assert_string_equal(sval(mark, "text"), "needle tip here");
    assert_int_equal(ival(mark, "time"), T0 + 5);
    pts = json_dumps(json_object_get(mark, "points"), TSN_ANNOT_JSON_FLAGS);
    assert_string_equal(pts, "[[0.12346,0.1]]");
    free(pts);
    json_decref(ev);

    /* A sender the room never saw join: the first colour. */
    ev = must(&f, "ghost", LINE);
    assert_string_equal(sval(json_object_get(ev, "item"), "color"), palette[0]);
    json_decref(ev);
    assert_client_matches(&f);
    fixture_free(&f);
}

static void test_media(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    tsn_annot_rooms_join(f.rs, "r", "a", T0);
    const int64_t C = 1795746031140LL;

    /* A frame without capture time: rtp_ts only. */
    struct tsn_frame_info rtp_only = {.rtp_ts = 2714430};
    f.frame = &rtp_only;
    json_t *ev = must(&f, "a", LINE);
    char *m = json_dumps(json_object_get(ev, "media"), JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(m, "{\"rtp_ts\":2714430}");
    free(m);
    m = json_dumps(json_object_get(json_object_get(ev, "item"), "media"),
                   JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(m, "{\"rtp_ts\":2714430}");
    free(m);
    json_decref(ev);

    /* With capture time: frame_ms replaces capture_ms only inside
     * [C - 10000, C]; rtp_ts stays the newest frame's. */
    struct tsn_frame_info frame = {.rtp_ts = 4294967295u, .has_capture_ms = 1, .capture_ms = C};
    f.frame = &frame;
    static const struct {
        const char *frame_ms; /* "" for none */
        int64_t want;
    } cases[] = {
        {"", C},
        {",\"frame_ms\":1795746031140", C},
        {",\"frame_ms\":1795746031139", C - 1},
        {",\"frame_ms\":1795746026140", C - 5000},
        {",\"frame_ms\":1795746021140", C - 10000},
        {",\"frame_ms\":1795746021139", C},
        {",\"frame_ms\":1795746031141", C},
        {",\"frame_ms\":0", C},
        {",\"frame_ms\":9223372036854775807", C},
    };
    char text[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* the same rule for draw, freeze and bookmark */
        static const char *const heads[] = {
            "{\"type\":\"draw\",\"item\":{\"kind\":\"arrow\",\"points\":[[0,0],[1,1]]}",
            "{\"type\":\"freeze\",\"frozen\":true",
            "{\"type\":\"bookmark\",\"label\":\"b\"",
        };
        for (size_t k = 0; k < 3; k++) {
            snprintf(text, sizeof text, "%s%s}", heads[k], cases[i].frame_ms);
            ev = must(&f, "a", text);
            json_t *media = json_object_get(ev, "media");
            assert_int_equal(ival(media, "capture_ms"), cases[i].want);
            assert_int_equal(ival(media, "rtp_ts"), 4294967295u);
            assert_int_equal(json_object_size(media), 2);
            const json_t *inner = k == 0 ? json_object_get(json_object_get(ev, "item"), "media")
                                  : k == 2
                                      ? json_object_get(json_object_get(ev, "bookmark"), "media")
                                      : media;
            assert_int_equal(ival(inner, "capture_ms"), cases[i].want);
            json_decref(ev);
        }
    }
    /* Chat takes the newest frame's media as well. */
    ev = must(&f, "a", "{\"type\":\"chat\",\"text\":\"hi\"}");
    assert_int_equal(ival(json_object_get(ev, "media"), "capture_ms"), C);
    json_decref(ev);
    assert_client_matches(&f);
    fixture_free(&f);
}

static struct tsn_stream_meta meta_640x480(void)
{
    struct tsn_stream_meta m = {
        .has_pixel_spacing = 1,
        .pixel_spacing_x_mm = 0.2,
        .pixel_spacing_y_mm = 0.25,
        .has_width = 1,
        .width = 640,
        .has_height = 1,
        .height = 480,
    };
    return m;
}

static void test_caliper_mm(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    tsn_annot_rooms_join(f.rs, "r", "a", T0);
    struct tsn_stream_meta meta = meta_640x480();
    f.meta = &meta;

    /* Horizontal: 0.5 * 640 px * 0.2 mm = 64.00 mm. */
    json_t *ev = must(&f, "a",
                      "{\"type\":\"draw\",\"item\":{\"kind\":\"caliper\",\"points\":[[0.1,0.5],"
                      "[0.6,0.5]]}}");
    json_t *mark = json_object_get(ev, "item");
    assert_true(json_is_real(json_object_get(mark, "mm")));
    assert_true(rval(mark, "mm") == 64.0);
    json_decref(ev);
    /* Vertical: 0.4 * 480 px * 0.25 mm = 48.00 mm (the y spacing). */
    ev = must(&f, "a",
              "{\"type\":\"draw\",\"item\":{\"kind\":\"caliper\",\"points\":[[0.3,0.7],"
              "[0.3,0.3]]}}");
    assert_true(rval(json_object_get(ev, "item"), "mm") == 48.0);
    json_decref(ev);
    /* Diagonal: dx 0.375*640*0.2 = 48, dy 0.3*480*0.25 = 36: hypot = 60.00. */
    ev = must(&f, "a",
              "{\"type\":\"draw\",\"item\":{\"kind\":\"caliper\",\"points\":[[0.475,0.5],"
              "[0.1,0.2]]}}");
    assert_true(rval(json_object_get(ev, "item"), "mm") == 60.0);
    json_decref(ev);
    /* Diagonal, not round: dx 0.3*128 = 38.4, dy 0.4*120 = 48 -> 61.4700... -> 61.47. */
    ev = must(&f, "a",
              "{\"type\":\"draw\",\"item\":{\"kind\":\"caliper\",\"points\":[[0.1,0.2],"
              "[0.4,0.6]]}}");
    double mm = rval(json_object_get(ev, "item"), "mm");
    assert_true(fabs(mm - hypot(38.4, 48.0)) <= 0.005);
    assert_true(mm == 61.47);
    json_decref(ev);
    /* The protocol's example: 0.2675 * 640 * 0.2 = 34.24 mm. */
    ev = must(&f, "a",
              "{\"type\":\"draw\",\"item\":{\"kind\":\"caliper\",\"points\":[[0.41,0.52],"
              "[0.6775,0.52]]}}");
    assert_true(rval(json_object_get(ev, "item"), "mm") == 34.24);
    json_decref(ev);
    /* Zero length: 0 mm. */
    ev = must(&f, "a",
              "{\"type\":\"draw\",\"item\":{\"kind\":\"caliper\",\"points\":[[0.5,0.5],"
              "[0.5,0.5]]}}");
    assert_true(rval(json_object_get(ev, "item"), "mm") == 0.0);
    json_decref(ev);
    /* Other kinds are not measured. */
    ev = must(&f, "a",
              "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":[[0.1,0.5],[0.6,0.5]]}}");
    assert_null(json_object_get(json_object_get(ev, "item"), "mm"));
    assert_null(json_object_get(json_object_get(ev, "item"), "rx_mm"));
    json_decref(ev);
    assert_client_matches(&f);

    /* The state dumps the mm with 2 decimals' precision, e.g. 61.47. */
    char *d = room_dump(f.rs, "r");
    assert_non_null(strstr(d, "\"mm\":61.47"));
    assert_non_null(strstr(d, "\"mm\":64.0"));
    free(d);
    fixture_free(&f);
}

static void test_no_mm_without_metadata(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    tsn_annot_rooms_join(f.rs, "r", "a", T0);
    const char *cal = "{\"type\":\"draw\",\"item\":{\"kind\":\"caliper\",\"points\":[[0.1,0.5],"
                      "[0.6,0.5]]}}";
    const char *ell = "{\"type\":\"draw\",\"item\":{\"kind\":\"ellipse\",\"points\":[[0.5,0.5],"
                      "[0.6,0.7]]}}";
    struct tsn_stream_meta metas[4];
    for (int i = 0; i < 4; i++)
        metas[i] = meta_640x480();
    metas[0].has_pixel_spacing = 0;
    metas[1].has_width = 0;
    metas[2].has_height = 0;
    memset(&metas[3], 0, sizeof metas[3]);
    metas[3].has_depth = 1;
    metas[3].depth_mm = 40;
    for (int i = -1; i < 4; i++) {
        f.meta = i < 0 ? NULL : &metas[i];
        json_t *ev = must(&f, "a", cal);
        json_t *mark = json_object_get(ev, "item");
        assert_null(json_object_get(mark, "mm"));
        json_decref(ev);
        ev = must(&f, "a", ell);
        mark = json_object_get(ev, "item");
        assert_null(json_object_get(mark, "rx_mm"));
        assert_null(json_object_get(mark, "ry_mm"));
        assert_null(json_object_get(mark, "area_mm2"));
        assert_int_equal(json_object_size(mark), 7);
        json_decref(ev);
    }
    /* tsn_annot_measure itself */
    double xy[4] = {0.1, 0.5, 0.6, 0.5}, dx = -1, dy = -1;
    assert_int_equal(tsn_annot_measure(NULL, xy, &dx, &dy), -ENOENT);
    assert_int_equal(tsn_annot_measure(&metas[0], xy, &dx, &dy), -ENOENT);
    assert_int_equal(tsn_annot_measure(&metas[1], xy, &dx, &dy), -ENOENT);
    assert_int_equal(tsn_annot_measure(&metas[2], xy, &dx, &dy), -ENOENT);
    struct tsn_stream_meta m = meta_640x480();
    assert_int_equal(tsn_annot_measure(&m, xy, &dx, &dy), 0);
    assert_true(fabs(dx - 64.0) < 1e-9);
    assert_true(dy == 0.0);
    double back[4] = {0.6, 0.9, 0.1, 0.5}; /* reversed: absolute values */
    assert_int_equal(tsn_annot_measure(&m, back, &dx, &dy), 0);
    assert_true(fabs(dx - 64.0) < 1e-9);
    assert_true(fabs(dy - 48.0) < 1e-9);
    assert_client_matches(&f);
    fixture_free(&f);
}

static void test_ellipse(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    tsn_annot_rooms_join(f.rs, "r", "a", T0);
    struct tsn_stream_meta meta = meta_640x480();
    f.meta = &meta;
    /* centre (0.5,0.5), corner (0.6,0.7): rx 0.1*640*0.2 = 12.8,
     * ry 0.2*480*0.25 = 24, area pi*12.8*24 = 965.0973 -> 965.10. */
    json_t *ev = must(&f, "a",
                      "{\"type\":\"draw\",\"item\":{\"kind\":\"ellipse\",\"points\":[[0.5,0.5],"
                      "[0.6,0.7]]}}");
    json_t *mark = json_object_get(ev, "item");
    assert_true(rval(mark, "rx_mm") == 12.8);
    assert_true(rval(mark, "ry_mm") == 24.0);
    assert_true(rval(mark, "area_mm2") == 965.1);
    assert_null(json_object_get(mark, "mm"));
    assert_int_equal(json_object_size(mark), 10);
    json_decref(ev);
    /* The corner may be on any side of the centre. */
    ev = must(&f, "a",
              "{\"type\":\"draw\",\"item\":{\"kind\":\"ellipse\",\"points\":[[0.5,0.5],"
              "[0.4,0.3]]}}");
    mark = json_object_get(ev, "item");
    assert_true(rval(mark, "rx_mm") == 12.8);
    assert_true(rval(mark, "ry_mm") == 24.0);
    assert_true(rval(mark, "area_mm2") == 965.1);
    json_decref(ev);
    /* A flat ellipse: area 0. */
    ev = must(&f, "a",
              "{\"type\":\"draw\",\"item\":{\"kind\":\"ellipse\",\"points\":[[0.5,0.5],"
              "[0.75,0.5]]}}");
    mark = json_object_get(ev, "item");
    assert_true(rval(mark, "rx_mm") == 32.0);
    assert_true(rval(mark, "ry_mm") == 0.0);
    assert_true(rval(mark, "area_mm2") == 0.0);
    json_decref(ev);
    assert_client_matches(&f);
    fixture_free(&f);
}

/* A text mark has one point: with metadata present nothing may be measured
 * (or read) past it. Under ASan this reads past the request's points if the
 * room measures every kind (relay/annot_room.c, mark_json). */
static void test_text_mark_with_metadata(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    tsn_annot_rooms_join(f.rs, "r", "a", T0);
    struct tsn_stream_meta meta = meta_640x480();
    f.meta = &meta;
    json_t *ev = must(&f, "a",
                      "{\"type\":\"draw\",\"item\":{\"kind\":\"text\",\"points\":[[0.9,0.9]],"
                      "\"text\":\"measure nothing\"}}");
    json_t *mark = json_object_get(ev, "item");
    assert_string_equal(sval(mark, "text"), "measure nothing");
    assert_null(json_object_get(mark, "mm"));
    assert_null(json_object_get(mark, "rx_mm"));
    assert_int_equal(json_object_size(mark), 8);
    json_decref(ev);
    assert_client_matches(&f);
    fixture_free(&f);
}

static void test_undo_own_newest(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    tsn_annot_rooms_join(f.rs, "r", "a", T0);
    tsn_annot_rooms_join(f.rs, "r", "b", T0);
    const char *undo = "{\"type\":\"undo\",\"id\":11}";
    assert_int_equal(apply(&f, "a", undo, NULL), 404);
    assert_string_equal(f.why, "nothing of yours to undo");
    assert_int_equal(room_seq(f.rs, "r"), 0);

    must_drop(&f, "a", LINE);         /* 1 */
    must_drop(&f, "b", LINE);         /* 2 */
    must_drop(&f, "a", LINE);         /* 3 */
    must_drop(&f, "b", LINE);         /* 4 */
    json_t *ev = must(&f, "a", undo); /* 5: removes 3 */
    assert_string_equal(sval(ev, "op"), "undo");
    assert_int_equal(ival(ev, "seq"), 5);
    assert_int_equal(ival(ev, "item"), 3);
    assert_string_equal(sval(ev, "from"), "a");
    json_decref(ev);
    ev = must(&f, "a", undo); /* 6: removes 1 */
    assert_int_equal(ival(ev, "item"), 1);
    json_decref(ev);
    char *before = room_dump(f.rs, "r");
    assert_int_equal(apply(&f, "a", undo, NULL), 404);
    assert_string_equal(f.why, "nothing of yours to undo");
    char *after = room_dump(f.rs, "r");
    assert_string_equal(before, after); /* b's marks untouched, seq not taken */
    free(before);
    free(after);
    assert_int_equal(room_seq(f.rs, "r"), 6);
    /* b's own undo takes b's newest. */
    ev = must(&f, "b", undo);
    assert_int_equal(ival(ev, "item"), 4);
    assert_int_equal(ival(ev, "seq"), 7);
    json_decref(ev);
    /* b's last mark deleted by a: nothing of b's left to undo. */
    must_drop(&f, "a", "{\"type\":\"delete\",\"item\":2}"); /* 8: a deletes b's 2 */
    assert_int_equal(apply(&f, "b", undo, NULL), 404);
    assert_client_matches(&f);
    fixture_free(&f);
}

static void test_delete_and_clear(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    tsn_annot_rooms_join(f.rs, "r", "a", T0);
    tsn_annot_rooms_join(f.rs, "r", "b", T0);
    assert_int_equal(apply(&f, "a", "{\"type\":\"delete\",\"item\":1}", NULL), 404);
    assert_string_equal(f.why, "no such annotation");
    must_drop(&f, "a", LINE); /* 1 */
    must_drop(&f, "a", LINE); /* 2 */
    must_drop(&f, "b", LINE); /* 3 */
    /* Anyone may delete anyone's mark. */
    json_t *ev = must(&f, "b", "{\"type\":\"delete\",\"item\":1,\"id\":10}");
    assert_string_equal(sval(ev, "op"), "delete");
    assert_int_equal(ival(ev, "item"), 1);
    assert_int_equal(ival(ev, "seq"), 4);
    json_decref(ev);
    char *before = room_dump(f.rs, "r");
    assert_int_equal(apply(&f, "a", "{\"type\":\"delete\",\"item\":1}", NULL), 404);
    assert_string_equal(f.why, "no such annotation");
    assert_int_equal(apply(&f, "a", "{\"type\":\"delete\",\"item\":4}", NULL), 404);
    char *after = room_dump(f.rs, "r");
    assert_string_equal(before, after);
    free(before);
    free(after);

    ev = must(&f, "a", "{\"type\":\"clear\",\"id\":12}");
    assert_string_equal(sval(ev, "op"), "clear");
    assert_int_equal(ival(ev, "count"), 2);
    assert_int_equal(ival(ev, "seq"), 5);
    json_decref(ev);
    ev = must(&f, "a", "{\"type\":\"clear\"}");
    assert_int_equal(ival(ev, "count"), 0);
    assert_int_equal(ival(ev, "seq"), 6);
    json_decref(ev);
    assert_client_matches(&f);
    fixture_free(&f);
}

static void test_chat_freeze_bookmark_events(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    tsn_annot_rooms_join(f.rs, "r", "dr-kim", T0);
    json_t *ev = must(&f, "dr-kim", "{\"type\":\"chat\",\"text\":\"Can you angle the probe?\"}");
    assert_string_equal(sval(ev, "op"), "chat");
    assert_string_equal(sval(ev, "text"), "Can you angle the probe?");
    json_decref(ev);
    ev = must(&f, "dr-kim", "{\"type\":\"freeze\",\"frozen\":true,\"id\":14}");
    assert_string_equal(sval(ev, "op"), "freeze");
    assert_true(json_is_true(json_object_get(ev, "frozen")));
    assert_null(json_object_get(ev, "reason"));
    json_decref(ev);
    f.now_ms = T0 + 77;
    ev = must(&f, "dr-kim", "{\"type\":\"bookmark\",\"label\":\"max diameter\"}");
    assert_string_equal(sval(ev, "op"), "bookmark");
    json_t *b = json_object_get(ev, "bookmark");
    assert_int_equal(ival(b, "id"), 3);
    assert_string_equal(sval(b, "label"), "max diameter");
    assert_string_equal(sval(b, "by"), "dr-kim");
    assert_int_equal(ival(b, "time"), T0 + 77);
    assert_true(json_is_null(json_object_get(b, "media")));
    assert_int_equal(json_object_size(b), 5);
    json_decref(ev);
    /* No label: "" */
    ev = must(&f, "dr-kim", "{\"type\":\"bookmark\"}");
    assert_string_equal(sval(json_object_get(ev, "bookmark"), "label"), "");
    json_decref(ev);
    ev = must(&f, "dr-kim", "{\"type\":\"freeze\",\"frozen\":false}");
    assert_true(json_is_false(json_object_get(ev, "frozen")));
    json_decref(ev);
    assert_client_matches(&f);
    fixture_free(&f);
}

static void test_pointer_refused(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    tsn_annot_rooms_join(f.rs, "r", "a", T0);
    assert_int_equal(apply(&f, "a", "{\"type\":\"pointer\",\"x\":0.5,\"y\":0.5}", NULL), 400);
    assert_int_equal(apply(&f, "a", "{\"type\":\"pointer\",\"hide\":true}", NULL), 400);
    assert_int_equal(room_seq(f.rs, "r"), 0);
    char *d = room_dump(f.rs, "r");
    assert_string_equal(d, EMPTY_DUMP);
    free(d);
    fixture_free(&f);
}

/* --- limits -------------------------------------------------------------- */

static void test_mark_limit(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    tsn_annot_rooms_join(f.rs, "r", "a", T0);
    for (int i = 0; i < TSN_ANNOT_MAX_MARKS; i++)
        must_drop(&f, "a", LINE);
    char *before = room_dump(f.rs, "r");
    assert_int_equal(apply(&f, "a", LINE, NULL), 409);
    assert_string_equal(f.why, "the room has 500 annotations: delete or clear some first");
    assert_int_equal(apply(&f, "a",
                           "{\"type\":\"draw\",\"item\":{\"kind\":\"text\",\"points\":[[0,0]],"
                           "\"text\":\"t\"}}",
                           NULL),
                     409);
    char *after = room_dump(f.rs, "r");
    assert_string_equal(before, after);
    free(before);
    free(after);
    assert_int_equal(room_seq(f.rs, "r"), 500);
    /* Other ops still go; after a delete, one more mark fits. */
    must_drop(&f, "a", "{\"type\":\"chat\",\"text\":\"full\"}");
    must_drop(&f, "a", "{\"type\":\"delete\",\"item\":17}");
    must_drop(&f, "a", LINE);
    assert_int_equal(apply(&f, "a", LINE, NULL), 409);
    assert_client_matches(&f);
    fixture_free(&f);
}

static char *freehand_text(size_t n)
{
    size_t cap = 64 + n * 24;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t len = (size_t)snprintf(s, cap,
                                  "{\"type\":\"draw\",\"item\":{\"kind\":\"freehand\","
                                  "\"points\":[");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s[%.5f,0.5]", i ? "," : "",
                                (double)i / (double)n);
    snprintf(s + len, cap - len, "]}}");
    return s;
}

static void test_point_limit(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    tsn_annot_rooms_join(f.rs, "r", "a", T0);
    char *fh = freehand_text(2000);
    for (int i = 0; i < 25; i++)
        must_drop(&f, "a", fh); /* 50,000 points: at the limit, accepted */
    char *before = room_dump(f.rs, "r");
    assert_int_equal(apply(&f, "a", LINE, NULL), 409);
    assert_string_equal(f.why,
                        "the room's annotations hold too many points: delete or clear some first");
    assert_int_equal(apply(&f, "a",
                           "{\"type\":\"draw\",\"item\":{\"kind\":\"text\",\"points\":[[0,0]],"
                           "\"text\":\"t\"}}",
                           NULL),
                     409);
    char *after = room_dump(f.rs, "r");
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* Deleting one freehand makes room for 2000 points again, not 2001. */
    must_drop(&f, "a", "{\"type\":\"delete\",\"item\":3}");
    char *fh1999 = freehand_text(1999);
    must_drop(&f, "a", fh1999);
    must_drop(&f, "a",
              "{\"type\":\"draw\",\"item\":{\"kind\":\"text\",\"points\":[[0,0]],\"text\":\"t\"}}");
    assert_int_equal(apply(&f, "a",
                           "{\"type\":\"draw\",\"item\":{\"kind\":\"text\",\"points\":[[0,0]],"
                           "\"text\":\"t\"}}",
                           NULL),
                     409);
    /* clear frees everything */
    must_drop(&f, "a", "{\"type\":\"clear\"}");
    must_drop(&f, "a", fh);
    free(fh);
    free(fh1999);
    assert_client_matches(&f);
    fixture_free(&f);
}

static void test_bookmark_limit(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    tsn_annot_rooms_join(f.rs, "r", "a", T0);
    for (int i = 0; i < TSN_ANNOT_MAX_BOOKMARKS; i++)
        must_drop(&f, "a", "{\"type\":\"bookmark\",\"label\":\"b\"}");
    char *before = room_dump(f.rs, "r");
    assert_int_equal(apply(&f, "a", "{\"type\":\"bookmark\"}", NULL), 409);
    assert_string_equal(f.why, "the room has 500 bookmarks");
    char *after = room_dump(f.rs, "r");
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* Marks are not bookmarks: drawing still goes, and clear keeps bookmarks. */
    must_drop(&f, "a", LINE);
    must_drop(&f, "a", "{\"type\":\"clear\"}");
    assert_int_equal(apply(&f, "a", "{\"type\":\"bookmark\"}", NULL), 409);
    assert_client_matches(&f);
    fixture_free(&f);
}

/* --- leave and linger ---------------------------------------------------- */

static void test_leave_unfreezes(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    tsn_annot_rooms_join(f.rs, "r", "dr-lee", T0); /* two sockets */
    tsn_annot_rooms_join(f.rs, "r", "dr-lee", T0);
    tsn_annot_rooms_join(f.rs, "r", "dr-kim", T0);
    must_drop(&f, "dr-lee", "{\"type\":\"freeze\",\"frozen\":true}"); /* 1 */
    /* Someone else leaving: nothing. */
    assert_null(tsn_annot_rooms_leave(f.rs, "r", "dr-kim", 1, T0 + 10));
    /* One of the freezer's sockets: still frozen. */
    assert_null(tsn_annot_rooms_leave(f.rs, "r", "dr-lee", 0, T0 + 20));
    assert_int_equal(room_seq(f.rs, "r"), 1);
    /* The last one: the relay unfreezes. */
    json_t *ev = tsn_annot_rooms_leave(f.rs, "r", "dr-lee", 1, T0 + 30);
    assert_non_null(ev);
    assert_string_equal(sval(ev, "type"), "event");
    assert_string_equal(sval(ev, "op"), "freeze");
    assert_true(json_is_false(json_object_get(ev, "frozen")));
    assert_string_equal(sval(ev, "reason"), "left the room");
    assert_string_equal(sval(ev, "from"), "dr-lee");
    assert_int_equal(ival(ev, "seq"), 2);
    assert_int_equal(ival(ev, "time"), T0 + 30);
    assert_null(json_object_get(ev, "id"));
    client_feed(&f, ev);
    json_decref(ev);
    assert_client_matches(&f);
    json_t *snap = tsn_annot_rooms_snapshot(f.rs, "r");
    assert_true(json_is_null(json_object_get(snap, "frozen")));
    json_decref(snap);

    /* Frozen by someone who is not the one leaving: nothing. */
    tsn_annot_rooms_join(f.rs, "r", "dr-kim", T0 + 40);
    tsn_annot_rooms_join(f.rs, "r", "dr-lee", T0 + 40);
    must_drop(&f, "dr-kim", "{\"type\":\"freeze\",\"frozen\":true}");
    assert_null(tsn_annot_rooms_leave(f.rs, "r", "dr-lee", 1, T0 + 50));
    /* Unfrozen before leaving: nothing either. */
    must_drop(&f, "dr-kim", "{\"type\":\"freeze\",\"frozen\":false}");
    assert_null(tsn_annot_rooms_leave(f.rs, "r", "dr-kim", 1, T0 + 60));
    assert_int_equal(room_seq(f.rs, "r"), 4);
    assert_client_matches(&f);
    fixture_free(&f);
}

static void test_linger_purge(void **state)
{
    (void)state;
    const int64_t linger = 1000, t = T0;
    struct tsn_annot_rooms *rs = tsn_annot_rooms_new(linger);
    assert_string_equal(tsn_annot_rooms_join(rs, "r1", "a", t), palette[0]);
    assert_string_equal(tsn_annot_rooms_join(rs, "r1", "b", t), palette[1]);
    struct tsn_annot_req r = req_of(LINE);
    struct tsn_annot_ctx ctx = {.sub = "a", .now_ms = t};
    json_t *ev = NULL;
    char why[128];
    assert_int_equal(tsn_annot_rooms_apply(rs, "r1", &r, &ctx, &ev, why, sizeof why), 0);
    json_decref(ev);
    assert_null(tsn_annot_rooms_leave(rs, "r1", "a", 1, t + 1));
    assert_null(tsn_annot_rooms_leave(rs, "r1", "b", 1, t + 1));
    /* Joining elsewhere just before the linger ends keeps r1. */
    assert_non_null(tsn_annot_rooms_join(rs, "r2", "c", t + linger));
    assert_int_equal(room_seq(rs, "r1"), 1);
    assert_string_equal(tsn_annot_rooms_color(rs, "r1", "b"), palette[1]);
    /* At t+1+linger: r1 is gone. */
    assert_non_null(tsn_annot_rooms_join(rs, "r2", "d", t + 1 + linger));
    char *d = room_dump(rs, "r1");
    assert_string_equal(d, EMPTY_DUMP);
    free(d);
    assert_null(tsn_annot_rooms_color(rs, "r1", "a"));
    assert_null(tsn_annot_rooms_color(rs, "r1", "b"));
    /* Applying to it needs a join again. */
    ev = NULL;
    assert_int_equal(tsn_annot_rooms_apply(rs, "r1", &r, &ctx, &ev, why, sizeof why), 409);
    assert_null(ev);
    /* Colours restart in the new r1. */
    assert_string_equal(tsn_annot_rooms_join(rs, "r1", "b", t + 2 + linger), palette[0]);
    assert_string_equal(tsn_annot_rooms_join(rs, "r1", "a", t + 2 + linger), palette[1]);
    assert_int_equal(room_seq(rs, "r1"), 0);
    /* r2, still joined, is never purged however long. */
    assert_non_null(tsn_annot_rooms_join(rs, "r3", "e", t + 100 * linger));
    assert_string_equal(tsn_annot_rooms_color(rs, "r2", "c"), palette[0]);
    assert_string_equal(tsn_annot_rooms_color(rs, "r1", "b"), palette[0]);
    tsn_annot_req_clear(&r);
    tsn_annot_rooms_free(rs);
}

static void test_rejoin_within_linger_keeps_state(void **state)
{
    (void)state;
    const int64_t linger = 1000, t = T0;
    struct tsn_annot_rooms *rs = tsn_annot_rooms_new(linger);
    tsn_annot_rooms_join(rs, "r1", "a", t);
    struct tsn_annot_req r = req_of(LINE);
    struct tsn_annot_ctx ctx = {.sub = "a", .now_ms = t};
    json_t *ev = NULL;
    char why[128];
    assert_int_equal(tsn_annot_rooms_apply(rs, "r1", &r, &ctx, &ev, why, sizeof why), 0);
    json_decref(ev);
    tsn_annot_rooms_leave(rs, "r1", "a", 1, t + 1);
    /* Back in the same room before the linger ends: state and colours kept,
     * and a later purge pass does not drop the now-joined room. */
    assert_string_equal(tsn_annot_rooms_join(rs, "r1", "z", t + linger), palette[1]);
    assert_non_null(tsn_annot_rooms_join(rs, "r9", "y", t + 10 * linger));
    assert_int_equal(room_seq(rs, "r1"), 1);
    assert_string_equal(tsn_annot_rooms_color(rs, "r1", "a"), palette[0]);
    tsn_annot_req_clear(&r);
    tsn_annot_rooms_free(rs);
}

/* --- many clients, one order --------------------------------------------- */

static void test_interleaved_clients_converge(void **state)
{
    (void)state;
    /* Twelve senders in a fixed interleaving; a client fed the events and a
     * late joiner loaded from the snapshot both equal the room. */
    struct fixture f;
    fixture_init(&f);
    struct tsn_frame_info frame = {.rtp_ts = 1000, .has_capture_ms = 1, .capture_ms = T0};
    struct tsn_stream_meta meta = meta_640x480();
    f.frame = &frame;
    f.meta = &meta;
    char sub[16], text[256];
    for (int i = 0; i < 12; i++) {
        snprintf(sub, sizeof sub, "c%02d", i);
        tsn_annot_rooms_join(f.rs, "r", sub, T0);
    }
    unsigned x = 12345;
    for (int step = 0; step < 600; step++) {
        x = x * 1103515245u + 12345u;
        snprintf(sub, sizeof sub, "c%02u", (x >> 16) % 12);
        double a = ((x >> 8) % 1000) / 1000.0, b = ((x >> 4) % 997) / 997.0;
        switch ((x >> 20) % 8) {
        case 0:
        case 1:
            snprintf(text, sizeof text,
                     "{\"type\":\"draw\",\"item\":{\"kind\":\"caliper\",\"points\":[[%.6f,%.6f],"
                     "[%.6f,%.6f]]}}",
                     a, b, b, a);
            break;
        case 2:
            snprintf(text, sizeof text,
                     "{\"type\":\"draw\",\"item\":{\"kind\":\"ellipse\",\"points\":[[%.6f,%.6f],"
                     "[%.6f,%.6f]],\"color\":\"#A0B0C0\"}}",
                     a, b, b, a);
            break;
        case 3:
            snprintf(text, sizeof text, "{\"type\":\"undo\"}");
            break;
        case 4:
            snprintf(text, sizeof text, "{\"type\":\"delete\",\"item\":%u}", (x >> 3) % 600 + 1);
            break;
        case 5:
            snprintf(text, sizeof text, "{\"type\":\"chat\",\"text\":\"step %d\"}", step);
            break;
        case 6:
            snprintf(text, sizeof text, "{\"type\":\"freeze\",\"frozen\":%s}",
                     step % 2 ? "true" : "false");
            break;
        default:
            if (step % 50 == 0)
                snprintf(text, sizeof text, "{\"type\":\"clear\"}");
            else
                snprintf(text, sizeof text,
                         "{\"type\":\"bookmark\",\"label\":\"s%d\",\"frame_ms\":%lld}", step,
                         (long long)(T0 - step * 20));
        }
        f.now_ms = T0 + step;
        frame.rtp_ts += 3000;
        int status = apply(&f, sub, text, NULL);
        assert_true(status == 0 || status == 404);
    }
    assert_client_matches(&f);
    struct tsn_annot_state *late = tsn_annot_state_new();
    json_t *snap = tsn_annot_rooms_snapshot(f.rs, "r");
    char *snap_text = tsn_sig_dump(snap, -1);
    json_decref(snap);
    char why[128];
    assert_int_equal(tsn_annot_state_handle(late, snap_text, strlen(snap_text), why, sizeof why),
                     1);
    free(snap_text);
    char *a = tsn_annot_state_dumps(late), *b = tsn_annot_state_dumps(f.client);
    assert_string_equal(a, b);
    free(a);
    free(b);
    assert_true(room_seq(f.rs, "r") > 400);
    tsn_annot_state_free(late);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_colours),
        cmocka_unit_test(test_snapshot_unknown_room),
        cmocka_unit_test(test_apply_needs_a_room),
        cmocka_unit_test(test_mark_fields),
        cmocka_unit_test(test_media),
        cmocka_unit_test(test_caliper_mm),
        cmocka_unit_test(test_no_mm_without_metadata),
        cmocka_unit_test(test_ellipse),
        cmocka_unit_test(test_text_mark_with_metadata),
        cmocka_unit_test(test_undo_own_newest),
        cmocka_unit_test(test_delete_and_clear),
        cmocka_unit_test(test_chat_freeze_bookmark_events),
        cmocka_unit_test(test_pointer_refused),
        cmocka_unit_test(test_mark_limit),
        cmocka_unit_test(test_point_limit),
        cmocka_unit_test(test_bookmark_limit),
        cmocka_unit_test(test_leave_unfreezes),
        cmocka_unit_test(test_linger_purge),
        cmocka_unit_test(test_rejoin_within_linger_keeps_state),
        cmocka_unit_test(test_interleaved_clients_converge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
