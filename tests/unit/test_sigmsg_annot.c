/* Unit tests for the protocol-2 part of relay/sigmsg.c (test_sigmsg.c has
 * protocol 1):
 *  - tsn_sig_parse maps draw, delete, undo, clear, chat, freeze, bookmark
 *    and pointer to TSN_SIG_DRAW..TSN_SIG_POINTER with m->annot filled (the
 *    protocol's example messages), keeps the id, and refuses an invalid
 *    annotation with annot_request's reason and a cleared message;
 *  - tsn_sig_peek: the type and id of refused messages;
 *  - tsn_sig_pointer: both forms, parsed back;
 *  - tsn_sig_dump: the object with "id" when asked, protocol number format,
 *    and the object itself left as it was (the relay dumps one event twice:
 *    the sender's copy with its id, then the room's copy without). */
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

#include "sigmsg.h"

static int parse(const char *text, struct tsn_sig_msg *m, char *why, size_t why_len)
{
    return tsn_sig_parse(text, strlen(text), m, why, why_len);
}

static int is_zero(const struct tsn_sig_msg *m)
{
    static const struct tsn_sig_msg zero;
    return memcmp(m, &zero, sizeof zero) == 0;
}

static void must_parse(const char *text, struct tsn_sig_msg *m, enum tsn_sig_type type,
                       enum tsn_annot_op op)
{
    char why[200] = "";
    int rc = parse(text, m, why, sizeof why);
    if (rc != 0)
        fail_msg("refused (%s): %s", why, text);
    assert_int_equal(m->type, type);
    assert_int_equal(m->annot.op, op);
    assert_string_equal(tsn_sig_type_name(type), tsn_annot_op_name(op));
    assert_null(m->token);
    assert_null(m->sdp);
    assert_int_equal(m->has_stream, 0);
}

static void must_refuse(const char *text, const char *reason)
{
    struct tsn_sig_msg m;
    char why[200] = "";
    memset(&m, 0x5a, sizeof m);
    assert_int_equal(parse(text, &m, why, sizeof why), -EBADMSG);
    if (strcmp(why, reason) != 0)
        fail_msg("reason\n got  '%s'\n want '%s'\n for %s", why, reason, text);
    assert_true(is_zero(&m));
}

/* --- parse --------------------------------------------------------------- */

static void test_parse_protocol_examples(void **state)
{
    (void)state;
    struct tsn_sig_msg m;
    must_parse("{\"type\":\"draw\",\"item\":{\"kind\":\"caliper\",\"points\":[[0.41,0.52],"
               "[0.6775,0.52]]},\"frame_ms\":1795746031140,\"id\":7}",
               &m, TSN_SIG_DRAW, TSN_ANNOT_DRAW);
    assert_int_equal(m.has_id, 1);
    assert_int_equal(m.id, 7);
    assert_int_equal(m.annot.kind, TSN_ANNOT_CALIPER);
    assert_int_equal(m.annot.n_points, 2);
    assert_true(m.annot.xy[2] == 0.6775);
    assert_int_equal(m.annot.frame_ms, 1795746031140);
    tsn_sig_msg_clear(&m);
    assert_true(is_zero(&m));

    must_parse("{\"type\":\"draw\",\"item\":{\"kind\":\"text\",\"points\":[[0.1,0.1]],\"text\":"
               "\"needle tip here\",\"color\":\"#00ff00\"},\"id\":8}",
               &m, TSN_SIG_DRAW, TSN_ANNOT_DRAW);
    assert_string_equal(m.annot.text, "needle tip here");
    assert_string_equal(m.annot.color, "#00ff00");
    tsn_sig_msg_clear(&m);

    must_parse("{\"type\":\"draw\",\"item\":{\"kind\":\"freehand\",\"points\":[[0.30,0.30],"
               "[0.31,0.32],[0.33,0.35]]},\"id\":9}",
               &m, TSN_SIG_DRAW, TSN_ANNOT_DRAW);
    assert_int_equal(m.annot.n_points, 3);
    tsn_sig_msg_clear(&m);

    must_parse("{\"type\":\"delete\",\"item\":12,\"id\":10}", &m, TSN_SIG_DELETE, TSN_ANNOT_DELETE);
    assert_int_equal(m.annot.item, 12);
    assert_int_equal(m.id, 10);
    tsn_sig_msg_clear(&m);

    must_parse("{\"type\":\"undo\",\"id\":11}", &m, TSN_SIG_UNDO, TSN_ANNOT_UNDO);
    assert_int_equal(m.id, 11);
    tsn_sig_msg_clear(&m);

    must_parse("{\"type\":\"clear\",\"id\":12}", &m, TSN_SIG_CLEAR, TSN_ANNOT_CLEAR);
    tsn_sig_msg_clear(&m);

    must_parse("{\"type\":\"chat\",\"text\":\"Can you angle the probe medially?\",\"id\":13}", &m,
               TSN_SIG_CHAT, TSN_ANNOT_CHAT);
    assert_string_equal(m.annot.text, "Can you angle the probe medially?");
    tsn_sig_msg_clear(&m);

    must_parse("{\"type\":\"freeze\",\"frozen\":true,\"id\":14}", &m, TSN_SIG_FREEZE,
               TSN_ANNOT_FREEZE);
    assert_int_equal(m.annot.frozen, 1);
    tsn_sig_msg_clear(&m);

    must_parse("{\"type\":\"bookmark\",\"label\":\"max diameter\",\"id\":15}", &m, TSN_SIG_BOOKMARK,
               TSN_ANNOT_BOOKMARK);
    assert_string_equal(m.annot.text, "max diameter");
    tsn_sig_msg_clear(&m);

    must_parse("{\"type\":\"pointer\",\"x\":0.5012,\"y\":0.4433}", &m, TSN_SIG_POINTER,
               TSN_ANNOT_POINTER);
    assert_int_equal(m.has_id, 0);
    assert_true(m.annot.x == 0.5012 && m.annot.y == 0.4433);
    tsn_sig_msg_clear(&m);

    must_parse("{\"type\":\"pointer\",\"hide\":true}", &m, TSN_SIG_POINTER, TSN_ANNOT_POINTER);
    assert_int_equal(m.annot.hide, 1);
    tsn_sig_msg_clear(&m);
}

static void test_parse_refusals(void **state)
{
    (void)state;
    /* annot_request's reasons come through unchanged */
    must_refuse("{\"type\":\"draw\",\"item\":{\"kind\":\"circle\",\"points\":[[0,0],[1,1]]}}",
                "field 'item.kind' must be one of arrow, line, caliper, ellipse, freehand, text");
    must_refuse("{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":[[0,0],[1,2]]},"
                "\"id\":3}",
                "field 'item.points[1]' must be two finite numbers from 0 to 1");
    must_refuse("{\"type\":\"delete\",\"item\":\"12\"}", "field 'item' must be an annotation id");
    must_refuse("{\"type\":\"chat\",\"text\":\"\"}",
                "field 'text' must be 1..1000 characters without control characters");
    must_refuse("{\"type\":\"freeze\",\"frozen\":\"yes\"}", "field 'frozen' must be a boolean");
    must_refuse("{\"type\":\"pointer\",\"x\":2,\"y\":0}",
                "field 'x' and 'y' must be finite numbers from 0 to 1");
    /* the id is checked first, for every type */
    must_refuse("{\"type\":\"undo\",\"id\":-1}", "field 'id' must be a non-negative integer");
    must_refuse("{\"type\":\"clear\",\"id\":\"12\"}", "field 'id' must be a non-negative integer");
    /* JSON-level refusals: NaN, \u0000 */
    must_refuse("{\"type\":\"pointer\",\"x\":NaN,\"y\":0}", "message is not valid JSON");
    must_refuse("{\"type\":\"chat\",\"text\":\"a\\u0000b\"}", "message is not valid JSON");
    must_refuse("{\"type\":\"Draw\"}", "unknown message type");
    must_refuse("{\"type\":\"event\",\"seq\":1}", "unknown message type");
    must_refuse("{\"type\":\"annotations\"}", "unknown message type");
}

static void test_parse_large_freehand(void **state)
{
    (void)state;
    /* 2000 points with 5 decimals fit in a message; 2001 are refused. */
    char *text = malloc(TSN_SIG_MAX_MESSAGE);
    assert_non_null(text);
    for (int n = 2000; n <= 2001; n++) {
        size_t len =
            (size_t)snprintf(text, TSN_SIG_MAX_MESSAGE,
                             "{\"type\":\"draw\",\"item\":{\"kind\":\"freehand\",\"points\":[");
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(text + len, TSN_SIG_MAX_MESSAGE - len, "%s[0.%05d,0.%05d]",
                                    i ? "," : "", i * 7 % 100000, i * 13 % 100000);
        len += (size_t)snprintf(text + len, TSN_SIG_MAX_MESSAGE - len, "]},\"id\":1}");
        assert_true(len < TSN_SIG_MAX_MESSAGE);
        struct tsn_sig_msg m;
        char why[200];
        int rc = tsn_sig_parse(text, len, &m, why, sizeof why);
        if (n == 2000) {
            assert_int_equal(rc, 0);
            assert_int_equal(m.annot.n_points, 2000);
            assert_true(m.annot.xy[2 * 1999] == (1999 * 7 % 100000) / 1e5);
            tsn_sig_msg_clear(&m);
        } else {
            assert_int_equal(rc, -EBADMSG);
            assert_string_equal(why, "field 'item.points' has more than 2000 points");
            assert_true(is_zero(&m));
        }
    }
    free(text);
}

/* --- peek ---------------------------------------------------------------- */

static void test_peek(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        enum tsn_sig_type type;
        int64_t id;
    } cases[] = {
        {"{\"type\":\"draw\",\"item\":5,\"id\":3}", 0, TSN_SIG_DRAW, 3},
        {"{\"type\":\"delete\",\"id\":0}", 0, TSN_SIG_DELETE, 0},
        {"{\"type\":\"undo\"}", 0, TSN_SIG_UNDO, -1},
        {"{\"type\":\"clear\",\"id\":-4}", 0, TSN_SIG_CLEAR, -1},
        {"{\"type\":\"chat\",\"id\":\"9\"}", 0, TSN_SIG_CHAT, -1},
        {"{\"type\":\"freeze\",\"id\":2.0}", 0, TSN_SIG_FREEZE, -1},
        {"{\"type\":\"bookmark\",\"id\":9007199254740993}", 0, TSN_SIG_BOOKMARK,
         9007199254740993LL},
        {"{\"type\":\"pointer\",\"x\":7}", 0, TSN_SIG_POINTER, -1},
        {"{\"type\":\"join\",\"id\":1}", 0, TSN_SIG_JOIN, 1},
        {"{\"type\":\"scribble\",\"id\":1}", -EBADMSG, 0, -1},
        {"{\"id\":1}", -EBADMSG, 0, -1},
        {"not json", -EBADMSG, 0, -1},
        {"[\"draw\"]", -EBADMSG, 0, -1},
        {"{\"type\":\"draw\",\"type\":\"chat\",\"id\":1}", -EBADMSG, 0, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum tsn_sig_type type = 99;
        int64_t id = 99;
        int rc = tsn_sig_peek(cases[i].text, strlen(cases[i].text), &type, &id);
        if (rc != cases[i].rc || type != cases[i].type || id != cases[i].id)
            fail_msg("peek %s: got %d type %d id %lld", cases[i].text, rc, (int)type,
                     (long long)id);
    }
    /* Too large: refused without parsing. */
    char *big = malloc(TSN_SIG_MAX_MESSAGE + 1);
    memset(big, ' ', TSN_SIG_MAX_MESSAGE + 1);
    memcpy(big, "{\"type\":\"draw\",\"id\":1}", 22);
    enum tsn_sig_type type;
    int64_t id;
    assert_int_equal(tsn_sig_peek(big, TSN_SIG_MAX_MESSAGE + 1, &type, &id), -EBADMSG);
    assert_int_equal(type, 0);
    assert_int_equal(id, -1);
    assert_int_equal(tsn_sig_peek(big, TSN_SIG_MAX_MESSAGE, &type, &id), 0);
    assert_int_equal(type, TSN_SIG_DRAW);
    assert_int_equal(id, 1);
    free(big);
}

/* --- formatters ---------------------------------------------------------- */

static json_t *load(char *text)
{
    assert_non_null(text);
    json_error_t err;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        fail_msg("formatter output does not parse: %s: %s", err.text, text);
    free(text);
    return j;
}

static void test_pointer_formatter(void **state)
{
    (void)state;
    struct tsn_annot_req r = {.op = TSN_ANNOT_POINTER, .x = 0.5012, .y = 0.4433};
    char *text = tsn_sig_pointer("dr-kim", "#3cb44b", &r, 1795746041100);
    assert_string_equal(text, "{\"type\":\"pointer\",\"from\":\"dr-kim\",\"color\":\"#3cb44b\","
                              "\"x\":0.5012,\"y\":0.4433,\"time\":1795746041100}");
    json_t *j = load(text);
    assert_true(json_real_value(json_object_get(j, "x")) == 0.5012);
    assert_null(json_object_get(j, "hide"));
    assert_null(json_object_get(j, "id"));
    json_decref(j);

    /* Ends of the range stay reals a client reads as numbers. */
    r.x = 0.0;
    r.y = 1.0;
    j = load(tsn_sig_pointer("a", "#e6194b", &r, 0));
    assert_true(json_is_real(json_object_get(j, "x")));
    assert_true(json_number_value(json_object_get(j, "y")) == 1.0);
    json_decref(j);

    struct tsn_annot_req h = {.op = TSN_ANNOT_POINTER, .hide = 1, .x = 0.3};
    text = tsn_sig_pointer("dr-kim", "#3cb44b", &h, 5);
    assert_string_equal(text, "{\"type\":\"pointer\",\"from\":\"dr-kim\",\"color\":\"#3cb44b\","
                              "\"hide\":true,\"time\":5}");
    free(text);
    /* A sub with characters JSON must escape. */
    j = load(tsn_sig_pointer("a\"b\\c", "#ffffff", &h, 5));
    assert_string_equal(json_string_value(json_object_get(j, "from")), "a\"b\\c");
    json_decref(j);
}

static void test_dump(void **state)
{
    (void)state;
    json_t *ev = json_loads("{\"type\":\"event\",\"seq\":7,\"time\":1795746031162,\"from\":"
                            "\"dr-lee\",\"media\":null,\"op\":\"draw\",\"item\":{\"id\":7,"
                            "\"points\":[[0.41,0.52],[0.6775,0.52]],\"mm\":20.04}}",
                            0, NULL);
    assert_non_null(ev);
    char *text = tsn_sig_dump(ev, -1);
    assert_string_equal(text, "{\"type\":\"event\",\"seq\":7,\"time\":1795746031162,\"from\":"
                              "\"dr-lee\",\"media\":null,\"op\":\"draw\",\"item\":{\"id\":7,"
                              "\"points\":[[0.41,0.52],[0.6775,0.52]],\"mm\":20.04}}");
    free(text);
    text = tsn_sig_dump(ev, 7);
    assert_non_null(strstr(text, ",\"id\":7}"));
    json_t *j = load(text);
    assert_int_equal(json_integer_value(json_object_get(j, "id")), 7);
    json_decref(j);
    /* `o` is not consumed: still ours, still valid. */
    assert_int_equal(ev->refcount, 1);
    json_decref(ev);

    /* 15 significant digits: 0.1 + 0.2 is written 0.3. */
    json_t *o = json_pack("{s:f}", "v", 0.1 + 0.2);
    text = tsn_sig_dump(o, -1);
    assert_string_equal(text, "{\"v\":0.3}");
    free(text);
    json_decref(o);
}

/* The relay sends one event object twice (relay/ws_channel.c, ws_on_annot):
 * tsn_sig_dump(ev, sender's id) to the sender, then tsn_sig_dump(ev, -1) to
 * the room. The room's copy must not carry the sender's id (protocol:
 * "the sender included (its copy carries its id)"), else another client
 * takes the event for the reply to its own request with that id. */
static void test_dump_leaves_object_unchanged(void **state)
{
    (void)state;
    json_t *ev = json_pack("{s:s, s:i, s:s}", "type", "event", "seq", 3, "op", "clear");
    assert_non_null(ev);
    char *mine = tsn_sig_dump(ev, 42);
    char *theirs = tsn_sig_dump(ev, -1);
    assert_non_null(strstr(mine, "\"id\":42"));
    if (strstr(theirs, "\"id\""))
        fail_msg("the room's copy carries the sender's id: %s", theirs);
    assert_null(json_object_get(ev, "id"));
    free(mine);
    free(theirs);
    json_decref(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_protocol_examples),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_parse_large_freehand),
        cmocka_unit_test(test_peek),
        cmocka_unit_test(test_pointer_formatter),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_dump_leaves_object_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
