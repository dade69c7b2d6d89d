/* Unit tests for relay/annot_request.c, the validation of what clients ask
 * of an annotation room (docs/protocol.md, "Annotations (protocol 2)" and its
 * error table):
 *  - valid requests of every op: coordinates rounded to 5 decimals, colours
 *    folded to lowercase, texts counted in code points (200 two-, three- and
 *    four-byte characters pass, 201 fail), newline and tab allowed in chat
 *    only, labels optional and possibly empty, frame_ms kept;
 *  - every invalid case of the error table with its exact reason: wrong
 *    types, unknown kinds, out-of-range coordinates (non-finite ones cannot
 *    be built with jansson, which is itself tested here), wrong point counts
 *    per kind, 2001 freehand points, bad colours, control characters
 *    (C0, DEL, C1 such as U+0085, NUL), text on another kind, bad frame_ms,
 *    a pointer "hide" that is not true, an unknown op;
 *  - after any failure the struct is all zero, and clear() zeroes it after
 *    success. */
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

#include "annot_request.h"

/* --- helpers ------------------------------------------------------------- */

static json_t *parse_json(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        fail_msg("test JSON does not parse: %s: %s", err.text, text);
    return j;
}

static int is_zero(const struct tsn_annot_req *r)
{
    static const struct tsn_annot_req zero;
    return memcmp(r, &zero, sizeof zero) == 0;
}

/* Validates `root` as `op`, expecting success. */
static void ok_json(enum tsn_annot_op op, const json_t *root, struct tsn_annot_req *r)
{
    char why[200] = "";
    memset(r, 0x5a, sizeof *r);
    int rc = tsn_annot_req_from_json(root, op, r, why, sizeof why);
    if (rc != 0)
        fail_msg("refused (%d): %s", rc, why);
    assert_int_equal(r->op, op);
}

static void ok(enum tsn_annot_op op, const char *text, struct tsn_annot_req *r)
{
    json_t *root = parse_json(text);
    ok_json(op, root, r);
    json_decref(root);
}

/* Validates `root` as `op`, expecting -EBADMSG with exactly `reason` and a
 * cleared struct. Consumes `root`. */
static void bad_json(enum tsn_annot_op op, json_t *root, const char *reason)
{
    assert_non_null(root);
    struct tsn_annot_req r;
    char why[200] = "";
    memset(&r, 0x5a, sizeof r);
    int rc = tsn_annot_req_from_json(root, op, &r, why, sizeof why);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (rc != -EBADMSG)
        fail_msg("accepted (%d), want '%s': %.200s", rc, reason, text);
    if (strcmp(why, reason) != 0)
        fail_msg("reason\n got  '%s'\n want '%s'\n for %.200s", why, reason, text);
    if (!is_zero(&r))
        fail_msg("struct not cleared after refusing %.200s", text);
    free(text);
}

static void bad(enum tsn_annot_op op, const char *text, const char *reason)
{
    bad_json(op, parse_json(text), reason);
}

/* `n` copies of `unit`, malloc'd. */
static char *repeat(const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *s = malloc(u * n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * u, unit, u);
    s[u * n] = '\0';
    return s;
}

/* {"type":"draw","item":{"kind":K,"points":[[x,y] * n]}} */
static json_t *draw_n(const char *kind, size_t n)
{
    json_t *pts = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(pts, json_pack("[f, f]", (double)(i % 100) / 100.0, 0.5));
    return json_pack("{s:s, s:{s:s, s:o}}", "type", "draw", "item", "kind", kind, "points", pts);
}

/* A draw of kind `kind` with the given points (JSON text) and extra item
 * members (JSON text without braces, or ""). */
static json_t *draw_item(const char *kind, const char *points, const char *extra)
{
    char text[1024];
    snprintf(text, sizeof text, "{\"type\":\"draw\",\"item\":{\"kind\":\"%s\",\"points\":%s%s%s}}",
             kind, points, extra[0] ? "," : "", extra);
    return parse_json(text);
}

#define R_ITEM_OBJECT "field 'item' must be an object"
#define R_KIND        "field 'item.kind' must be one of arrow, line, caliper, ellipse, freehand, text"
#define R_POINTS      "field 'item.points' must be an array of [x, y] pairs"
#define R_POINT(i)    "field 'item.points[" #i "]' must be two finite numbers from 0 to 1"
#define R_TOO_MANY    "field 'item.points' has more than 2000 points"
#define R_COLOR       "field 'item.color' must be '#rrggbb'"
#define R_ITEM_TEXT   "field 'item.text' must be 1..200 characters without control characters"
#define R_TEXT_KIND   "field 'item.text' is only for kind 'text'"
#define R_ID          "field 'item' must be an annotation id"
#define R_CHAT        "field 'text' must be 1..1000 characters without control characters"
#define R_FROZEN      "field 'frozen' must be a boolean"
#define R_LABEL       "field 'label' must be 0..200 characters without control characters"
#define R_FRAME_MS    "field 'frame_ms' must be a non-negative integer"
#define R_XY          "field 'x' and 'y' must be finite numbers from 0 to 1"
#define R_HIDE        "field 'hide' must be true when given"

/* --- valid requests ------------------------------------------------------ */

static void test_draw_kinds(void **state)
{
    (void)state;
    struct tsn_annot_req r;
    static const struct {
        const char *kind;
        enum tsn_annot_kind k;
        const char *points;
        size_t n;
    } cases[] = {
        {"arrow", TSN_ANNOT_ARROW, "[[0.1,0.2],[0.3,0.4]]", 2},
        {"line", TSN_ANNOT_LINE, "[[0,0],[1,1]]", 2},
        {"caliper", TSN_ANNOT_CALIPER, "[[0.41,0.52],[0.6775,0.52]]", 2},
        {"ellipse", TSN_ANNOT_ELLIPSE, "[[0.5,0.5],[0.6,0.7]]", 2},
        {"freehand", TSN_ANNOT_FREEHAND, "[[0.30,0.30],[0.31,0.32],[0.33,0.35]]", 3},
        {"freehand", TSN_ANNOT_FREEHAND, "[[0.30,0.30],[0.31,0.32]]", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *root = draw_item(cases[i].kind, cases[i].points, "");
        ok_json(TSN_ANNOT_DRAW, root, &r);
        json_decref(root);
        assert_int_equal(r.kind, cases[i].k);
        assert_int_equal(r.n_points, cases[i].n);
        assert_non_null(r.xy);
        assert_int_equal(r.has_color, 0);
        assert_null(r.text);
        assert_int_equal(r.has_frame_ms, 0);
        assert_string_equal(tsn_annot_kind_name(r.kind), cases[i].kind);
        tsn_annot_req_clear(&r);
        assert_true(is_zero(&r));
    }
    ok(TSN_ANNOT_DRAW,
       "{\"type\":\"draw\",\"item\":{\"kind\":\"caliper\",\"points\":[[0.41,0.52],[0.6775,0.52]]},"
       "\"frame_ms\":1795746031140,\"id\":7}",
       &r);
    assert_true(r.xy[0] == 0.41 && r.xy[1] == 0.52 && r.xy[2] == 0.6775 && r.xy[3] == 0.52);
    assert_int_equal(r.has_frame_ms, 1);
    assert_int_equal(r.frame_ms, 1795746031140);
    tsn_annot_req_clear(&r);

    ok(TSN_ANNOT_DRAW,
       "{\"type\":\"draw\",\"item\":{\"kind\":\"text\",\"points\":[[0.1,0.1]],\"text\":\"needle "
       "tip here\",\"color\":\"#00ff00\"},\"id\":8}",
       &r);
    assert_int_equal(r.kind, TSN_ANNOT_TEXT);
    assert_int_equal(r.n_points, 1);
    assert_string_equal(r.text, "needle tip here");
    assert_int_equal(r.has_color, 1);
    assert_string_equal(r.color, "#00ff00");
    tsn_annot_req_clear(&r);
    /* frame_ms 0 is a valid (if odd) capture time; unknown members ignored. */
    ok(TSN_ANNOT_DRAW,
       "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":[[0,0],[1,1]],\"future\":1},"
       "\"frame_ms\":0,\"extra\":[1]}",
       &r);
    assert_int_equal(r.has_frame_ms, 1);
    assert_int_equal(r.frame_ms, 0);
    tsn_annot_req_clear(&r);
}

static void test_rounding(void **state)
{
    (void)state;
    struct tsn_annot_req r;
    ok(TSN_ANNOT_DRAW,
       "{\"type\":\"draw\",\"item\":{\"kind\":\"freehand\",\"points\":[[0.123456,0.333333333],"
       "[0.999996,0.000004],[0.000006,0.5],[1,0],[0.12344999,0.777777777777]]}}",
       &r);
    assert_int_equal(r.n_points, 5);
    const double want[] = {0.12346, 0.33333, 1.0, 0.0, 0.00001, 0.5, 1.0, 0.0, 0.12345, 0.77778};
    for (size_t i = 0; i < 10; i++)
        if (r.xy[i] != want[i])
            fail_msg("xy[%zu] = %.17g, want %.17g", i, r.xy[i], want[i]);
    tsn_annot_req_clear(&r);
    ok(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"x\":0.5012,\"y\":0.443349}", &r);
    assert_true(r.x == 0.5012);
    assert_true(r.y == 0.44335);
    assert_int_equal(r.hide, 0);
    tsn_annot_req_clear(&r);
    assert_true(tsn_annot_round(0.123456) == 0.12346);
    assert_true(tsn_annot_round(0.6775) == 0.6775);
    assert_true(tsn_annot_round(0.0) == 0.0);
    assert_true(tsn_annot_round(1.0) == 1.0);
    /* Rounded values survive a 15-digit dump and reload exactly. */
    for (int i = 0; i <= 100000; i += 37) {
        double v = tsn_annot_round(i / 100000.0 + 1e-7);
        char buf[32];
        snprintf(buf, sizeof buf, "%.15g", v);
        assert_true(strtod(buf, NULL) == v);
    }
}

static void test_color_lowercased(void **state)
{
    (void)state;
    struct tsn_annot_req r;
    static const char *const in[] = {"#ABCDEF", "#AbC123", "#00ff00", "#FfFfFf"};
    static const char *const out[] = {"#abcdef", "#abc123", "#00ff00", "#ffffff"};
    for (size_t i = 0; i < 4; i++) {
        char extra[64];
        snprintf(extra, sizeof extra, "\"color\":\"%s\"", in[i]);
        json_t *root = draw_item("arrow", "[[0,0],[1,1]]", extra);
        ok_json(TSN_ANNOT_DRAW, root, &r);
        json_decref(root);
        assert_int_equal(r.has_color, 1);
        assert_string_equal(r.color, out[i]);
        tsn_annot_req_clear(&r);
    }
}

/* A text of `n` copies of `unit` in a text mark, a chat and a label. */
static json_t *text_draw(const char *text)
{
    return json_pack("{s:s, s:{s:s, s:[[f,f]], s:s}}", "type", "draw", "item", "kind", "text",
                     "points", 0.1, 0.1, "text", text);
}

static void test_text_counts_code_points(void **state)
{
    (void)state;
    struct tsn_annot_req r;
    /* 2-, 3- and 4-byte characters, and plain ASCII. */
    static const char *const units[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    for (size_t u = 0; u < 4; u++) {
        char *t200 = repeat(units[u], 200), *t201 = repeat(units[u], 201);
        json_t *root = text_draw(t200);
        ok_json(TSN_ANNOT_DRAW, root, &r);
        json_decref(root);
        assert_string_equal(r.text, t200);
        assert_int_equal(strlen(r.text), 200 * strlen(units[u]));
        tsn_annot_req_clear(&r);
        bad_json(TSN_ANNOT_DRAW, text_draw(t201), R_ITEM_TEXT);

        /* the bookmark label: 0..200 */
        root = json_pack("{s:s, s:s}", "type", "bookmark", "label", t200);
        ok_json(TSN_ANNOT_BOOKMARK, root, &r);
        json_decref(root);
        assert_string_equal(r.text, t200);
        tsn_annot_req_clear(&r);
        bad_json(TSN_ANNOT_BOOKMARK, json_pack("{s:s, s:s}", "type", "bookmark", "label", t201),
                 R_LABEL);
        free(t200);
        free(t201);

        /* chat: 1..1000 */
        char *t1000 = repeat(units[u], 1000), *t1001 = repeat(units[u], 1001);
        root = json_pack("{s:s, s:s}", "type", "chat", "text", t1000);
        ok_json(TSN_ANNOT_CHAT, root, &r);
        json_decref(root);
        assert_string_equal(r.text, t1000);
        tsn_annot_req_clear(&r);
        bad_json(TSN_ANNOT_CHAT, json_pack("{s:s, s:s}", "type", "chat", "text", t1001), R_CHAT);
        free(t1000);
        free(t1001);
    }
}

static void test_other_ops_valid(void **state)
{
    (void)state;
    struct tsn_annot_req r;
    ok(TSN_ANNOT_DELETE, "{\"type\":\"delete\",\"item\":12,\"id\":10}", &r);
    assert_int_equal(r.item, 12);
    tsn_annot_req_clear(&r);
    ok(TSN_ANNOT_DELETE, "{\"type\":\"delete\",\"item\":9007199254740993}", &r);
    assert_int_equal(r.item, 9007199254740993LL);
    tsn_annot_req_clear(&r);

    ok(TSN_ANNOT_UNDO, "{\"type\":\"undo\",\"id\":11}", &r);
    tsn_annot_req_clear(&r);
    /* undo and clear take no members: anything else is ignored. */
    ok(TSN_ANNOT_UNDO, "{\"type\":\"undo\",\"item\":\"whatever\"}", &r);
    assert_int_equal(r.item, 0);
    tsn_annot_req_clear(&r);
    ok(TSN_ANNOT_CLEAR, "{\"type\":\"clear\",\"id\":12}", &r);
    tsn_annot_req_clear(&r);

    ok(TSN_ANNOT_CHAT, "{\"type\":\"chat\",\"text\":\"Can you angle the probe medially?\"}", &r);
    assert_string_equal(r.text, "Can you angle the probe medially?");
    tsn_annot_req_clear(&r);
    /* newline and tab are allowed in chat, and U+00A0 (just past C1). */
    ok(TSN_ANNOT_CHAT, "{\"type\":\"chat\",\"text\":\"one\\ntwo\\tthree\\u00a0four\"}", &r);
    assert_string_equal(r.text, "one\ntwo\tthree\xc2\xa0"
                                "four");
    tsn_annot_req_clear(&r);

    ok(TSN_ANNOT_FREEZE, "{\"type\":\"freeze\",\"frozen\":true,\"id\":14}", &r);
    assert_int_equal(r.frozen, 1);
    assert_int_equal(r.has_frame_ms, 0);
    tsn_annot_req_clear(&r);
    ok(TSN_ANNOT_FREEZE, "{\"type\":\"freeze\",\"frozen\":false,\"frame_ms\":1795746031140}", &r);
    assert_int_equal(r.frozen, 0);
    assert_int_equal(r.has_frame_ms, 1);
    assert_int_equal(r.frame_ms, 1795746031140);
    tsn_annot_req_clear(&r);

    ok(TSN_ANNOT_BOOKMARK, "{\"type\":\"bookmark\",\"label\":\"max diameter\",\"id\":15}", &r);
    assert_string_equal(r.text, "max diameter");
    tsn_annot_req_clear(&r);
    ok(TSN_ANNOT_BOOKMARK, "{\"type\":\"bookmark\"}", &r);
    assert_null(r.text);
    tsn_annot_req_clear(&r);
    ok(TSN_ANNOT_BOOKMARK, "{\"type\":\"bookmark\",\"label\":\"\",\"frame_ms\":5}", &r);
    assert_non_null(r.text);
    assert_string_equal(r.text, "");
    assert_int_equal(r.frame_ms, 5);
    tsn_annot_req_clear(&r);

    ok(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"x\":0,\"y\":1}", &r);
    assert_true(r.x == 0.0 && r.y == 1.0);
    tsn_annot_req_clear(&r);
    ok(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"hide\":true}", &r);
    assert_int_equal(r.hide, 1);
    tsn_annot_req_clear(&r);
    /* hide wins over coordinates, even out-of-range ones. */
    ok(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"hide\":true,\"x\":7}", &r);
    assert_int_equal(r.hide, 1);
    tsn_annot_req_clear(&r);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(tsn_annot_op_name(TSN_ANNOT_DRAW), "draw");
    assert_string_equal(tsn_annot_op_name(TSN_ANNOT_DELETE), "delete");
    assert_string_equal(tsn_annot_op_name(TSN_ANNOT_UNDO), "undo");
    assert_string_equal(tsn_annot_op_name(TSN_ANNOT_CLEAR), "clear");
    assert_string_equal(tsn_annot_op_name(TSN_ANNOT_CHAT), "chat");
    assert_string_equal(tsn_annot_op_name(TSN_ANNOT_FREEZE), "freeze");
    assert_string_equal(tsn_annot_op_name(TSN_ANNOT_BOOKMARK), "bookmark");
    assert_string_equal(tsn_annot_op_name(TSN_ANNOT_POINTER), "pointer");
    assert_string_equal(tsn_annot_op_name(0), "unknown");
    assert_string_equal(tsn_annot_op_name(99), "unknown");
    assert_string_equal(tsn_annot_kind_name(TSN_ANNOT_ARROW), "arrow");
    assert_string_equal(tsn_annot_kind_name(TSN_ANNOT_TEXT), "text");
    assert_string_equal(tsn_annot_kind_name(0), "unknown");
    assert_string_equal(tsn_annot_kind_name(7), "unknown");
}

/* --- invalid requests ---------------------------------------------------- */

static void test_draw_item_and_kind(void **state)
{
    (void)state;
    bad(TSN_ANNOT_DRAW, "{\"type\":\"draw\"}", R_ITEM_OBJECT);
    bad(TSN_ANNOT_DRAW, "{\"type\":\"draw\",\"item\":null}", R_ITEM_OBJECT);
    bad(TSN_ANNOT_DRAW, "{\"type\":\"draw\",\"item\":12}", R_ITEM_OBJECT);
    bad(TSN_ANNOT_DRAW, "{\"type\":\"draw\",\"item\":\"arrow\"}", R_ITEM_OBJECT);
    bad(TSN_ANNOT_DRAW, "{\"type\":\"draw\",\"item\":[{\"kind\":\"arrow\"}]}", R_ITEM_OBJECT);
    bad(TSN_ANNOT_DRAW, "{\"type\":\"draw\",\"item\":{\"points\":[[0,0],[1,1]]}}", R_KIND);
    static const char *const kinds[] = {"circle",  "Arrow",   "ARROW",   "",       "arrow ",
                                        "pointer", "unknown", "polygon", "arrowx", "tex"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        bad_json(TSN_ANNOT_DRAW, draw_item(kinds[i], "[[0,0],[1,1]]", ""), R_KIND);
    bad(TSN_ANNOT_DRAW, "{\"type\":\"draw\",\"item\":{\"kind\":1,\"points\":[[0,0],[1,1]]}}",
        R_KIND);
    bad(TSN_ANNOT_DRAW, "{\"type\":\"draw\",\"item\":{\"kind\":null,\"points\":[[0,0],[1,1]]}}",
        R_KIND);
    bad(TSN_ANNOT_DRAW,
        "{\"type\":\"draw\",\"item\":{\"kind\":[\"arrow\"],\"points\":[[0,0],[1,1]]}}", R_KIND);
}

static void test_draw_points_shape(void **state)
{
    (void)state;
    bad(TSN_ANNOT_DRAW, "{\"type\":\"draw\",\"item\":{\"kind\":\"line\"}}", R_POINTS);
    static const char *const not_arrays[] = {"null", "{}", "\"[[0,0],[1,1]]\"", "5", "true"};
    for (size_t i = 0; i < sizeof not_arrays / sizeof not_arrays[0]; i++)
        bad_json(TSN_ANNOT_DRAW, draw_item("line", not_arrays[i], ""), R_POINTS);
    /* each point: an array of two finite numbers from 0 to 1 */
    static const char *const first_bad[] = {
        "[[0],[1,1]]",       "[[0,0,0],[1,1]]",       "[0.5,0.5]",         "[[\"0\",0],[1,1]]",
        "[[null,0],[1,1]]",  "[[0,true],[1,1]]",      "[{},[1,1]]",        "[[-0.1,0],[1,1]]",
        "[[0,1.5],[1,1]]",   "[[1.0000001,0],[1,1]]", "[[-1e-9,0],[1,1]]", "[[2,2],[1,1]]",
        "[[1e308,0],[1,1]]", "[[-1e308,0],[1,1]]",    "[[0,-5],[1,1]]",    "[[[0],[0]],[1,1]]",
    };
    for (size_t i = 0; i < sizeof first_bad / sizeof first_bad[0]; i++)
        bad_json(TSN_ANNOT_DRAW, draw_item("line", first_bad[i], ""), R_POINT(0));
    bad_json(TSN_ANNOT_DRAW, draw_item("arrow", "[[0,0],[1,1.01]]", ""), R_POINT(1));
    bad_json(TSN_ANNOT_DRAW, draw_item("text", "[[0,-0.5]]", "\"text\":\"x\""), R_POINT(0));
    bad_json(TSN_ANNOT_DRAW,
             draw_item("freehand", "[[0,0],[0.1,0.1],[0.2,0.2],[0.3,0.3],[0.4,7]]", ""),
             R_POINT(4));
}

static void test_non_finite_coordinates(void **state)
{
    (void)state;
    /* jansson never holds NaN or infinity: json_real refuses them and the
     * parser refuses the tokens and overflowing numbers, so a client cannot
     * get one to the validator. (The validator's own isfinite check is
     * therefore unreachable through jansson.) */
    assert_null(json_real(NAN));
    assert_null(json_real(INFINITY));
    assert_null(json_real(-INFINITY));
    json_t *v = json_real(0.5);
    assert_int_equal(json_real_set(v, NAN), -1);
    assert_true(json_real_value(v) == 0.5);
    json_decref(v);
    assert_null(json_pack("[f, f]", NAN, 0.5));
    static const char *const texts[] = {
        "{\"type\":\"pointer\",\"x\":NaN,\"y\":0.5}",
        "{\"type\":\"pointer\",\"x\":Infinity,\"y\":0.5}",
        "{\"type\":\"pointer\",\"x\":-Infinity,\"y\":0.5}",
        "{\"type\":\"pointer\",\"x\":1e400,\"y\":0.5}",
        "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":[[nan,0],[1,1]]}}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        assert_null(json_loads(texts[i], 0, NULL));
    /* What a client can send instead: the largest finite doubles. */
    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"x\":1.7976931348623157e308,\"y\":0.5}", R_XY);
    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"x\":0.5,\"y\":-1.7976931348623157e308}", R_XY);
    bad_json(TSN_ANNOT_DRAW, draw_item("line", "[[4.9e-324,1.7976931348623157e308],[1,1]]", ""),
             R_POINT(0));
    /* A denormal in range is fine and rounds to 0. */
    struct tsn_annot_req r;
    json_t *root = draw_item("line", "[[4.9e-324,0],[1,1]]", "");
    ok_json(TSN_ANNOT_DRAW, root, &r);
    json_decref(root);
    assert_true(r.xy[0] == 0.0);
    tsn_annot_req_clear(&r);
}

static void test_point_counts(void **state)
{
    (void)state;
    static const struct {
        const char *kind;
        size_t n;
        const char *reason;
    } cases[] = {
        {"arrow", 0, "field 'item.points' must have 2 points for kind 'arrow'"},
        {"arrow", 1, "field 'item.points' must have 2 points for kind 'arrow'"},
        {"arrow", 3, "field 'item.points' must have 2 points for kind 'arrow'"},
        {"line", 1, "field 'item.points' must have 2 points for kind 'line'"},
        {"line", 4, "field 'item.points' must have 2 points for kind 'line'"},
        {"caliper", 0, "field 'item.points' must have 2 points for kind 'caliper'"},
        {"caliper", 3, "field 'item.points' must have 2 points for kind 'caliper'"},
        {"ellipse", 1, "field 'item.points' must have 2 points for kind 'ellipse'"},
        {"ellipse", 5, "field 'item.points' must have 2 points for kind 'ellipse'"},
        {"text", 0, "field 'item.points' must have 1 point for kind 'text'"},
        {"text", 2, "field 'item.points' must have 1 point for kind 'text'"},
        {"freehand", 0, "field 'item.points' must have 2..2000 points for kind 'freehand'"},
        {"freehand", 1, "field 'item.points' must have 2..2000 points for kind 'freehand'"},
        {"freehand", 2001, R_TOO_MANY},
        {"freehand", 5000, R_TOO_MANY},
        {"arrow", 2001, "field 'item.points' must have 2 points for kind 'arrow'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *root = draw_n(cases[i].kind, cases[i].n);
        if (strcmp(cases[i].kind, "text") == 0)
            json_object_set_new(json_object_get(root, "item"), "text", json_string("t"));
        bad_json(TSN_ANNOT_DRAW, root, cases[i].reason);
    }
    /* 2000 freehand points pass, each rounded and kept in order. */
    struct tsn_annot_req r;
    json_t *root = draw_n("freehand", 2000);
    ok_json(TSN_ANNOT_DRAW, root, &r);
    json_decref(root);
    assert_int_equal(r.n_points, TSN_ANNOT_MAX_FREEHAND_POINTS);
    assert_int_equal(TSN_ANNOT_MAX_FREEHAND_POINTS, 2000);
    for (size_t i = 0; i < 2000; i++) {
        assert_true(r.xy[2 * i] == tsn_annot_round((double)(i % 100) / 100.0));
        assert_true(r.xy[2 * i + 1] == 0.5);
    }
    tsn_annot_req_clear(&r);
    /* 2001 points where the last is also malformed: the count is reported. */
    root = draw_n("freehand", 2000);
    json_array_append_new(json_object_get(json_object_get(root, "item"), "points"),
                          json_string("x"));
    bad_json(TSN_ANNOT_DRAW, root, R_TOO_MANY);
}

static void test_colors(void **state)
{
    (void)state;
    static const char *const bad_colors[] = {
        "\"abcdef\"",
        "\"#abcde\"",
        "\"#abcdefa\"",
        "\"#ghijkl\"",
        "\"#12345G\"",
        "\"\"",
        "\"#\"",
        "\"red\"",
        "\"#abc\"",
        "\" #abcdef\"",
        "\"#abcdef \"",
        "\"#-12345\"",
        "\"##abcde\"",
        "\"rgb(1,2,3)\"",
        "123456",
        "null",
        "true",
        "[\"#abcdef\"]",
        "{\"r\":1}",
        "\"#ab\\u00e9ef\"",
        "\"#12345\\u0000\"",
    };
    char extra[96];
    for (size_t i = 0; i < sizeof bad_colors / sizeof bad_colors[0]; i++) {
        snprintf(extra, sizeof extra, "\"color\":%s", bad_colors[i]);
        if (strstr(bad_colors[i], "\\u0000")) {
            /* jansson refuses \u0000 unless asked: build it directly */
            json_t *root = draw_item("line", "[[0,0],[1,1]]", "");
            json_object_set_new(json_object_get(root, "item"), "color",
                                json_stringn("#12345\0", 7));
            bad_json(TSN_ANNOT_DRAW, root, R_COLOR);
            continue;
        }
        bad_json(TSN_ANNOT_DRAW, draw_item("line", "[[0,0],[1,1]]", extra), R_COLOR);
    }
}

/* Strings with control characters, as raw bytes (json_stringn keeps NULs). */
static const struct {
    const char *bytes;
    size_t len;
    int chat_ok; /* allowed in chat (newline, tab) */
} controls[] = {
    {"a\0b", 3, 0},        /* NUL */
    {"a\x01", 2, 0},       /* SOH */
    {"\x1b[31mred", 8, 0}, /* ESC */
    {"line\rfeed", 9, 0},  /* CR */
    {"a\x7f", 2, 0},       /* DEL */
    {"a\xc2\x85z", 4, 0},  /* U+0085 NEL (C1) */
    {"\xc2\x80", 2, 0},    /* U+0080 */
    {"x\xc2\x9f", 3, 0},   /* U+009F */
    {"a\x0b", 2, 0},       /* VT */
    {"a\x0c", 2, 0},       /* FF */
    {"one\ntwo", 7, 1},    /* newline */
    {"one\ttwo", 7, 1},    /* tab */
};

static void test_control_characters(void **state)
{
    (void)state;
    struct tsn_annot_req r;
    for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++) {
        json_t *s = json_stringn(controls[i].bytes, controls[i].len);
        assert_non_null(s);
        /* text marks and labels: no control characters at all */
        json_t *root = json_pack("{s:s, s:{s:s, s:[[f,f]], s:O}}", "type", "draw", "item", "kind",
                                 "text", "points", 0.1, 0.1, "text", s);
        bad_json(TSN_ANNOT_DRAW, root, R_ITEM_TEXT);
        bad_json(TSN_ANNOT_BOOKMARK, json_pack("{s:s, s:O}", "type", "bookmark", "label", s),
                 R_LABEL);
        /* chat: only newline and tab */
        root = json_pack("{s:s, s:O}", "type", "chat", "text", s);
        if (controls[i].chat_ok) {
            ok_json(TSN_ANNOT_CHAT, root, &r);
            json_decref(root);
            assert_memory_equal(r.text, controls[i].bytes, controls[i].len + 1);
            tsn_annot_req_clear(&r);
        } else {
            bad_json(TSN_ANNOT_CHAT, root, R_CHAT);
        }
        json_decref(s);
    }
    /* The same through JSON text escapes. */
    bad(TSN_ANNOT_CHAT, "{\"type\":\"chat\",\"text\":\"next\\u0085line\"}", R_CHAT);
    bad(TSN_ANNOT_CHAT, "{\"type\":\"chat\",\"text\":\"bell\\u0007\"}", R_CHAT);
    bad(TSN_ANNOT_CHAT, "{\"type\":\"chat\",\"text\":\"back\\bspace\"}", R_CHAT);
    bad(TSN_ANNOT_BOOKMARK, "{\"type\":\"bookmark\",\"label\":\"tab\\there\"}", R_LABEL);
    bad(TSN_ANNOT_BOOKMARK, "{\"type\":\"bookmark\",\"label\":\"new\\nline\"}", R_LABEL);
    bad_json(TSN_ANNOT_DRAW, draw_item("text", "[[0,0]]", "\"text\":\"a\\nb\""), R_ITEM_TEXT);
    bad_json(TSN_ANNOT_DRAW, draw_item("text", "[[0,0]]", "\"text\":\"a\\u0085b\""), R_ITEM_TEXT);
    /* Not controls: U+00A0, U+2028, U+FEFF pass. */
    json_t *root = draw_item("text", "[[0,0]]", "\"text\":\"\\u00a0\\u2028\\ufeff\"");
    ok_json(TSN_ANNOT_DRAW, root, &r);
    json_decref(root);
    assert_string_equal(r.text, "\xc2\xa0\xe2\x80\xa8\xef\xbb\xbf");
    tsn_annot_req_clear(&r);
}

static void test_text_members(void **state)
{
    (void)state;
    /* text is required for kind text, 1..200, a string */
    bad_json(TSN_ANNOT_DRAW, draw_item("text", "[[0,0]]", ""), R_ITEM_TEXT);
    bad_json(TSN_ANNOT_DRAW, draw_item("text", "[[0,0]]", "\"text\":\"\""), R_ITEM_TEXT);
    bad_json(TSN_ANNOT_DRAW, draw_item("text", "[[0,0]]", "\"text\":5"), R_ITEM_TEXT);
    bad_json(TSN_ANNOT_DRAW, draw_item("text", "[[0,0]]", "\"text\":null"), R_ITEM_TEXT);
    bad_json(TSN_ANNOT_DRAW, draw_item("text", "[[0,0]]", "\"text\":[\"a\"]"), R_ITEM_TEXT);
    /* and refused on every other kind, even empty */
    static const char *const kinds[] = {"arrow", "line", "caliper", "ellipse", "freehand"};
    for (size_t i = 0; i < 5; i++) {
        bad_json(TSN_ANNOT_DRAW, draw_item(kinds[i], "[[0,0],[1,1]]", "\"text\":\"hello\""),
                 R_TEXT_KIND);
        bad_json(TSN_ANNOT_DRAW, draw_item(kinds[i], "[[0,0],[1,1]]", "\"text\":\"\""),
                 R_TEXT_KIND);
        bad_json(TSN_ANNOT_DRAW, draw_item(kinds[i], "[[0,0],[1,1]]", "\"text\":null"),
                 R_TEXT_KIND);
    }
    /* chat text: required, a string, 1..1000 */
    bad(TSN_ANNOT_CHAT, "{\"type\":\"chat\"}", R_CHAT);
    bad(TSN_ANNOT_CHAT, "{\"type\":\"chat\",\"text\":\"\"}", R_CHAT);
    bad(TSN_ANNOT_CHAT, "{\"type\":\"chat\",\"text\":42}", R_CHAT);
    bad(TSN_ANNOT_CHAT, "{\"type\":\"chat\",\"text\":null}", R_CHAT);
    bad(TSN_ANNOT_CHAT, "{\"type\":\"chat\",\"text\":{\"t\":\"x\"}}", R_CHAT);
    /* label: optional, but a string when given */
    bad(TSN_ANNOT_BOOKMARK, "{\"type\":\"bookmark\",\"label\":null}", R_LABEL);
    bad(TSN_ANNOT_BOOKMARK, "{\"type\":\"bookmark\",\"label\":7}", R_LABEL);
    bad(TSN_ANNOT_BOOKMARK, "{\"type\":\"bookmark\",\"label\":[]}", R_LABEL);
}

static void test_frame_ms(void **state)
{
    (void)state;
    static const char *const bad_values[] = {"-1",   "1.5",  "\"1795746031140\"",
                                             "null", "true", "[1]",
                                             "{}",   "1e3",  "-9223372036854775808"};
    char text[256];
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        snprintf(text, sizeof text,
                 "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":[[0,0],[1,1]]},"
                 "\"frame_ms\":%s}",
                 bad_values[i]);
        bad(TSN_ANNOT_DRAW, text, R_FRAME_MS);
        snprintf(text, sizeof text, "{\"type\":\"freeze\",\"frozen\":true,\"frame_ms\":%s}",
                 bad_values[i]);
        bad(TSN_ANNOT_FREEZE, text, R_FRAME_MS);
        snprintf(text, sizeof text, "{\"type\":\"bookmark\",\"label\":\"x\",\"frame_ms\":%s}",
                 bad_values[i]);
        bad(TSN_ANNOT_BOOKMARK, text, R_FRAME_MS);
    }
    struct tsn_annot_req r;
    ok(TSN_ANNOT_BOOKMARK, "{\"type\":\"bookmark\",\"frame_ms\":9223372036854775807}", &r);
    assert_int_equal(r.frame_ms, INT64_MAX);
    tsn_annot_req_clear(&r);
}

static void test_delete_item(void **state)
{
    (void)state;
    static const char *const bad_items[] = {"0",    "-1",   "\"7\"", "7.0",
                                            "null", "true", "[7]",   "{\"id\":7}"};
    char text[128];
    bad(TSN_ANNOT_DELETE, "{\"type\":\"delete\"}", R_ID);
    for (size_t i = 0; i < sizeof bad_items / sizeof bad_items[0]; i++) {
        snprintf(text, sizeof text, "{\"type\":\"delete\",\"item\":%s}", bad_items[i]);
        bad(TSN_ANNOT_DELETE, text, R_ID);
    }
}

static void test_freeze_and_pointer(void **state)
{
    (void)state;
    bad(TSN_ANNOT_FREEZE, "{\"type\":\"freeze\"}", R_FROZEN);
    bad(TSN_ANNOT_FREEZE, "{\"type\":\"freeze\",\"frozen\":1}", R_FROZEN);
    bad(TSN_ANNOT_FREEZE, "{\"type\":\"freeze\",\"frozen\":\"true\"}", R_FROZEN);
    bad(TSN_ANNOT_FREEZE, "{\"type\":\"freeze\",\"frozen\":null}", R_FROZEN);

    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\"}", R_XY);
    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"x\":0.5}", R_XY);
    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"y\":0.5}", R_XY);
    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"x\":\"0.5\",\"y\":0.5}", R_XY);
    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"x\":0.5,\"y\":null}", R_XY);
    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"x\":1.5,\"y\":0.5}", R_XY);
    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"x\":0.5,\"y\":-0.01}", R_XY);
    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"x\":[0.5],\"y\":0.5}", R_XY);
    /* hide must be true when present */
    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"hide\":false}", R_HIDE);
    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"hide\":false,\"x\":0.5,\"y\":0.5}", R_HIDE);
    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"hide\":1}", R_HIDE);
    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"hide\":\"true\"}", R_HIDE);
    bad(TSN_ANNOT_POINTER, "{\"type\":\"pointer\",\"hide\":null}", R_HIDE);
}

static void test_unknown_op_and_order(void **state)
{
    (void)state;
    bad(0, "{\"type\":\"draw\"}", "unknown message type");
    bad(99, "{\"type\":\"draw\"}", "unknown message type");
    bad((enum tsn_annot_op) - 1, "{}", "unknown message type");
    /* A draw with several faults reports the first the table checks:
     * points before colour before frame_ms before text. */
    bad(TSN_ANNOT_DRAW,
        "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":[[0,0]],\"color\":\"x\","
        "\"text\":\"t\"},\"frame_ms\":-1}",
        "field 'item.points' must have 2 points for kind 'line'");
    bad(TSN_ANNOT_DRAW,
        "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":[[0,0],[1,1]],\"color\":\"x\","
        "\"text\":\"t\"},\"frame_ms\":-1}",
        R_COLOR);
    bad(TSN_ANNOT_DRAW,
        "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":[[0,0],[1,1]],\"text\":\"t\"},"
        "\"frame_ms\":-1}",
        R_FRAME_MS);
    /* The reason is cut to the buffer, NUL-terminated. */
    json_t *root = parse_json("{\"type\":\"draw\"}");
    struct tsn_annot_req r;
    char why[8];
    memset(why, 'X', sizeof why);
    assert_int_equal(tsn_annot_req_from_json(root, TSN_ANNOT_DRAW, &r, why, sizeof why), -EBADMSG);
    assert_string_equal(why, "field '");
    json_decref(root);
}

static void test_clear_twice(void **state)
{
    (void)state;
    struct tsn_annot_req r;
    ok(TSN_ANNOT_DRAW,
       "{\"type\":\"draw\",\"item\":{\"kind\":\"text\",\"points\":[[0.5,0.5]],\"text\":\"t\"}}",
       &r);
    tsn_annot_req_clear(&r);
    assert_true(is_zero(&r));
    tsn_annot_req_clear(&r); /* a cleared request clears again */
    assert_true(is_zero(&r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draw_kinds),
        cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_color_lowercased),
        cmocka_unit_test(test_text_counts_code_points),
        cmocka_unit_test(test_other_ops_valid),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_draw_item_and_kind),
        cmocka_unit_test(test_draw_points_shape),
        cmocka_unit_test(test_non_finite_coordinates),
        cmocka_unit_test(test_point_counts),
        cmocka_unit_test(test_colors),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_text_members),
        cmocka_unit_test(test_frame_ms),
        cmocka_unit_test(test_delete_item),
        cmocka_unit_test(test_freeze_and_pointer),
        cmocka_unit_test(test_unknown_op_and_order),
        cmocka_unit_test(test_clear_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
