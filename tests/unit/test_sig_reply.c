/* Unit tests for common/sig_reply.c, the client side of the signalling
 * protocol: every relay message type with its fields (welcome with and
 * without stream metadata, answer, session, stopped, stream, pong, error,
 * unknown types), each rejection with a cleared struct and a reason (not
 * JSON, not an object, type missing or not a string, duplicate keys, size
 * limit, wrong member types, fixed fields that do not fit), the builders
 * (parsed back with jansson), and both directions against the relay's own
 * code: what relay/sigmsg.c formats parses here, and what is built here
 * the relay's parser accepts. */
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

#include "sig_reply.h"
#include "sigmsg.h"
#include "stream_meta.h"

#define SESSION_ID "eaacb590f25e7d8c23d1412d20e446f2"
#define SDP_ANSWER "v=0\r\no=- 3 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n"

static int parse(const char *text, struct tsn_reply *r, char *why, size_t why_len)
{
    memset(r, 0x5A, sizeof *r); /* the parser must not trust what was there */
    return tsn_reply_parse(text, strlen(text), r, why, why_len);
}

static void assert_cleared(const struct tsn_reply *r)
{
    struct tsn_reply zero;
    memset(&zero, 0, sizeof zero);
    zero.id = -1;
    assert_null(r->sdp);
    assert_null(r->stream_json);
    assert_int_equal(r->id, -1);
    assert_memory_equal(r, &zero, sizeof zero);
}

/* Expects -EBADMSG, a cleared struct and a reason containing `part`. */
static void expect_reject_len(const char *text, size_t len, const char *part)
{
    struct tsn_reply r;
    char why[200] = "";
    memset(&r, 0x5A, sizeof r);
    int rc = tsn_reply_parse(text, len, &r, why, sizeof why);
    if (rc != -EBADMSG)
        fail_msg("rc %d for input %.80s", rc, text);
    assert_cleared(&r);
    if (!strstr(why, part))
        fail_msg("reason '%s' lacks '%s' for input %.80s", why, part, text);
}

#define REJECT(text, part) expect_reject_len((text), strlen(text), (part))

/* A string of n copies of c (static buffer, one at a time). */
static const char *repeat(char c, size_t n)
{
    static char buf[1024];
    assert_true(n < sizeof buf);
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

static void test_welcome(void **state)
{
    struct tsn_reply r;
    char why[160] = "";
    assert_int_equal(
        parse("{\"type\":\"welcome\",\"protocol\":1,\"room\":\"demo\",\"you\":{\"sub\":"
              "\"dr-lee\",\"role\":\"clinician\"},\"id\":1}",
              &r, why, sizeof why),
        0);
    assert_int_equal(r.type, TSN_REPLY_WELCOME);
    assert_int_equal(r.id, 1);
    assert_string_equal(r.room, "demo");
    assert_string_equal(r.role, "clinician");
    assert_null(r.stream_json);
    assert_int_equal(r.stream_live, 0);
    assert_null(r.sdp);
    assert_string_equal(r.session, "");
    tsn_reply_clear(&r);
    assert_cleared(&r);
    tsn_reply_clear(&r); /* twice is harmless */

    /* Without room and you: still a welcome, fields empty. */
    assert_int_equal(parse("{\"type\":\"welcome\",\"protocol\":1}", &r, why, sizeof why), 0);
    assert_int_equal(r.type, TSN_REPLY_WELCOME);
    assert_int_equal(r.id, -1);
    assert_string_equal(r.room, "");
    assert_string_equal(r.role, "");
    tsn_reply_clear(&r);

    /* stream null: the room never had metadata. */
    assert_int_equal(parse("{\"type\":\"welcome\",\"room\":\"demo\",\"you\":{\"role\":\"capture\"},"
                           "\"stream\":null}",
                           &r, why, sizeof why),
                     0);
    assert_string_equal(r.role, "capture");
    assert_null(r.stream_json);
    assert_int_equal(r.stream_live, 0);
    tsn_reply_clear(&r);
}

static void test_welcome_stream(void **state)
{
    struct tsn_reply r;
    char why[160] = "";
    assert_int_equal(
        parse("{\"type\":\"welcome\",\"room\":\"demo\",\"you\":{\"role\":\"observer\"},"
              "\"stream\":{\"probe\":\"L14-5\",\"live\":true,\"depth_mm\":40,"
              "\"pixel_spacing_mm\":{\"x\":0.1,\"y\":0.2}},\"id\":9}",
              &r, why, sizeof why),
        0);
    assert_int_equal(r.type, TSN_REPLY_WELCOME);
    assert_int_equal(r.id, 9);
    assert_int_equal(r.stream_live, 1);
    /* Compact, keys sorted, numbers read back to the same values. */
    assert_non_null(r.stream_json);
    assert_int_equal(strncmp(r.stream_json, "{\"depth_mm\":40,\"live\":true,\"pixel_spacing_mm\":{",
                             strlen("{\"depth_mm\":40,\"live\":true,\"pixel_spacing_mm\":{")),
                     0);
    json_t *s = json_loads(r.stream_json, JSON_REJECT_DUPLICATES, NULL);
    assert_true(json_is_object(s));
    assert_int_equal(json_object_size(s), 4);
    json_t *sp = json_object_get(s, "pixel_spacing_mm");
    assert_true(json_real_value(json_object_get(sp, "x")) == 0.1);
    assert_true(json_real_value(json_object_get(sp, "y")) == 0.2);
    assert_string_equal(json_string_value(json_object_get(s, "probe")), "L14-5");
    json_decref(s);
    tsn_reply_clear(&r);
    assert_cleared(&r);

    /* live false, and live of another type counts as not live. */
    assert_int_equal(parse("{\"type\":\"welcome\",\"stream\":{\"probe\":\"x\",\"live\":false}}", &r,
                           why, sizeof why),
                     0);
    assert_int_equal(r.stream_live, 0);
    assert_string_equal(r.stream_json, "{\"live\":false,\"probe\":\"x\"}");
    tsn_reply_clear(&r);
    assert_int_equal(parse("{\"type\":\"welcome\",\"stream\":{\"live\":1}}", &r, why, sizeof why),
                     0);
    assert_int_equal(r.stream_live, 0);
    tsn_reply_clear(&r);

    REJECT("{\"type\":\"welcome\",\"stream\":\"live\"}", "stream");
    REJECT("{\"type\":\"welcome\",\"stream\":[1]}", "stream");
    REJECT("{\"type\":\"welcome\",\"stream\":true}", "stream");
}

static void test_welcome_fields(void **state)
{
    char text[1200];
    struct tsn_reply r;
    char why[160] = "";

    /* room: 127 bytes fit, 128 do not. */
    snprintf(text, sizeof text, "{\"type\":\"welcome\",\"room\":\"%s\"}", repeat('r', 127));
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    assert_int_equal(strlen(r.room), 127);
    tsn_reply_clear(&r);
    snprintf(text, sizeof text, "{\"type\":\"welcome\",\"room\":\"%s\"}", repeat('r', 128));
    REJECT(text, "room");

    /* role: 23 fit, 24 do not; an error after the room was copied clears it. */
    snprintf(text, sizeof text,
             "{\"type\":\"welcome\",\"room\":\"demo\",\"you\":{\"role\":\"%s\"}}", repeat('c', 23));
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    assert_string_equal(r.role, repeat('c', 23));
    tsn_reply_clear(&r);
    snprintf(text, sizeof text,
             "{\"type\":\"welcome\",\"room\":\"demo\",\"you\":{\"role\":\"%s\"}}", repeat('c', 24));
    REJECT(text, "role");

    REJECT("{\"type\":\"welcome\",\"room\":42}", "room");
    REJECT("{\"type\":\"welcome\",\"room\":null}", "room");
    REJECT("{\"type\":\"welcome\",\"you\":{\"role\":[\"capture\"]}}", "role");
    /* An error after the stream was dumped must free it (ASan would see a leak). */
    REJECT("{\"type\":\"welcome\",\"stream\":{\"live\":true},\"room\":7}", "room");
}

static void test_answer(void **state)
{
    struct tsn_reply r;
    char why[160] = "";
    assert_int_equal(parse("{\"type\":\"answer\",\"session\":\"" SESSION_ID
                           "\",\"sdp\":\"v=0\\r\\no=- 3 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 "
                           "0\\r\\na=ice-lite\\r\\n\",\"id\":3}",
                           &r, why, sizeof why),
                     0);
    assert_int_equal(r.type, TSN_REPLY_ANSWER);
    assert_int_equal(r.id, 3);
    assert_string_equal(r.session, SESSION_ID);
    assert_non_null(r.sdp);
    assert_string_equal(r.sdp, SDP_ANSWER);
    assert_null(r.stream_json);
    tsn_reply_clear(&r);
    assert_cleared(&r);

    /* session is optional. */
    assert_int_equal(parse("{\"type\":\"answer\",\"sdp\":\"v=0\"}", &r, why, sizeof why), 0);
    assert_string_equal(r.sdp, "v=0");
    assert_string_equal(r.session, "");
    assert_int_equal(r.id, -1);
    tsn_reply_clear(&r);

    REJECT("{\"type\":\"answer\",\"session\":\"" SESSION_ID "\"}", "sdp");
    REJECT("{\"type\":\"answer\",\"sdp\":\"\"}", "sdp");
    REJECT("{\"type\":\"answer\",\"sdp\":42}", "sdp");
    REJECT("{\"type\":\"answer\",\"sdp\":null}", "sdp");
    /* 33 characters do not fit; the sdp already copied is freed. */
    REJECT("{\"type\":\"answer\",\"sdp\":\"v=0\",\"session\":\"" SESSION_ID "0\"}", "session");
    REJECT("{\"type\":\"answer\",\"sdp\":\"v=0\",\"session\":1}", "session");
}

static void test_session(void **state)
{
    struct tsn_reply r;
    char why[160] = "";
    assert_int_equal(parse("{\"type\":\"session\",\"session\":\"" SESSION_ID
                           "\",\"state\":\"connected\",\"reason\":\"\"}",
                           &r, why, sizeof why),
                     0);
    assert_int_equal(r.type, TSN_REPLY_SESSION);
    assert_string_equal(r.session, SESSION_ID);
    assert_string_equal(r.state, "connected");
    assert_string_equal(r.reason, "");
    assert_int_equal(r.id, -1);
    assert_null(r.sdp);
    tsn_reply_clear(&r);

    assert_int_equal(parse("{\"type\":\"session\",\"session\":\"537675b6f7db09261f699b4e8d386710\","
                           "\"state\":\"closed\",\"reason\":\"relay is full\"}",
                           &r, why, sizeof why),
                     0);
    assert_string_equal(r.state, "closed");
    assert_string_equal(r.reason, "relay is full");
    assert_string_equal(r.session, "537675b6f7db09261f699b4e8d386710");
    tsn_reply_clear(&r);

    char text[1200];
    snprintf(text, sizeof text, "{\"type\":\"session\",\"state\":\"%s\"}", repeat('s', 23));
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    assert_int_equal(strlen(r.state), 23);
    tsn_reply_clear(&r);
    snprintf(text, sizeof text, "{\"type\":\"session\",\"state\":\"%s\"}", repeat('s', 24));
    REJECT(text, "state");
    REJECT("{\"type\":\"session\",\"state\":1}", "state");
    REJECT("{\"type\":\"session\",\"state\":\"closed\",\"reason\":false}", "reason");
    REJECT("{\"type\":\"session\",\"state\":\"closed\",\"session\":[]}", "session");

    /* A long reason is for a human: it is cut, and the notification that the
     * session closed is not lost. */
    snprintf(text, sizeof text,
             "{\"type\":\"session\",\"session\":\"" SESSION_ID
             "\",\"state\":\"closed\",\"reason\":\"%s\"}",
             repeat('w', 300));
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    assert_string_equal(r.state, "closed");
    assert_string_equal(r.session, SESSION_ID);
    assert_int_equal(strlen(r.reason), sizeof r.reason - 1);
    assert_string_equal(r.reason, repeat('w', sizeof r.reason - 1));
    tsn_reply_clear(&r);
}

static void test_stopped_pong(void **state)
{
    struct tsn_reply r;
    char why[160] = "";
    assert_int_equal(parse("{\"type\":\"stopped\",\"session\":\"" SESSION_ID "\",\"id\":4}", &r,
                           why, sizeof why),
                     0);
    assert_int_equal(r.type, TSN_REPLY_STOPPED);
    assert_int_equal(r.id, 4);
    assert_string_equal(r.session, SESSION_ID);
    tsn_reply_clear(&r);
    REJECT("{\"type\":\"stopped\",\"session\":{}}", "session");

    assert_int_equal(parse("{\"type\":\"pong\",\"id\":5}", &r, why, sizeof why), 0);
    assert_int_equal(r.type, TSN_REPLY_PONG);
    assert_int_equal(r.id, 5);
    tsn_reply_clear(&r);

    /* id: absent, 0, the largest int64; negative, real or string ids are not ids. */
    static const struct {
        const char *text;
        int64_t id;
    } ids[] = {
        {"{\"type\":\"pong\"}", -1},
        {"{\"type\":\"pong\",\"id\":0}", 0},
        {"{\"type\":\"pong\",\"id\":9223372036854775807}", INT64_MAX},
        {"{\"type\":\"pong\",\"id\":-3}", -1},
        {"{\"type\":\"pong\",\"id\":5.0}", -1},
        {"{\"type\":\"pong\",\"id\":\"5\"}", -1},
        {"{\"type\":\"pong\",\"id\":null}", -1},
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        assert_int_equal(parse(ids[i].text, &r, why, sizeof why), 0);
        assert_int_equal(r.type, TSN_REPLY_PONG);
        if (r.id != ids[i].id)
            fail_msg("%s: id %lld", ids[i].text, (long long)r.id);
        tsn_reply_clear(&r);
    }
    /* Larger than int64: jansson refuses the number, so the message. */
    REJECT("{\"type\":\"pong\",\"id\":9223372036854775808}", "not JSON");
}

static void test_stream(void **state)
{
    struct tsn_reply r;
    char why[160] = "";
    assert_int_equal(parse("{\"type\":\"stream\",\"stream\":{\"probe\":\"C5-1\",\"width\":640,"
                           "\"codec\":\"H264\",\"live\":true}}",
                           &r, why, sizeof why),
                     0);
    assert_int_equal(r.type, TSN_REPLY_STREAM);
    assert_int_equal(r.stream_live, 1);
    assert_string_equal(r.stream_json,
                        "{\"codec\":\"H264\",\"live\":true,\"probe\":\"C5-1\",\"width\":640}");
    /* The text is valid JSON for whoever consumes it. */
    json_t *o = json_loads(r.stream_json, JSON_REJECT_DUPLICATES, NULL);
    assert_true(json_is_object(o));
    assert_int_equal(json_integer_value(json_object_get(o, "width")), 640);
    json_decref(o);
    tsn_reply_clear(&r);

    /* Ended: live false. */
    assert_int_equal(parse("{\"type\":\"stream\",\"stream\":{\"probe\":\"C5-1\",\"live\":false}}",
                           &r, why, sizeof why),
                     0);
    assert_int_equal(r.stream_live, 0);
    assert_non_null(r.stream_json);
    tsn_reply_clear(&r);

    REJECT("{\"type\":\"stream\"}", "stream");
    REJECT("{\"type\":\"stream\",\"stream\":null}", "stream");
    REJECT("{\"type\":\"stream\",\"stream\":[]}", "stream");
    REJECT("{\"type\":\"stream\",\"stream\":\"{}\"}", "stream");
}

static void test_error(void **state)
{
    struct tsn_reply r;
    char why[160] = "";
    assert_int_equal(parse("{\"type\":\"error\",\"code\":401,\"reason\":\"send join with a token "
                           "first\",\"ref\":\"ping\",\"id\":1}",
                           &r, why, sizeof why),
                     0);
    assert_int_equal(r.type, TSN_REPLY_ERROR);
    assert_int_equal(r.code, 401);
    assert_string_equal(r.reason, "send join with a token first");
    assert_string_equal(r.ref_type, "ping");
    assert_int_equal(r.id, 1);
    tsn_reply_clear(&r);

    assert_int_equal(parse("{\"type\":\"error\",\"code\":400,\"reason\":\"message is not valid "
                           "JSON\",\"ref\":\"\"}",
                           &r, why, sizeof why),
                     0);
    assert_int_equal(r.code, 400);
    assert_string_equal(r.ref_type, "");
    assert_int_equal(r.id, -1);
    tsn_reply_clear(&r);

    /* The code range ends are inclusive; reason and ref are optional. */
    assert_int_equal(parse("{\"type\":\"error\",\"code\":100}", &r, why, sizeof why), 0);
    assert_int_equal(r.code, 100);
    assert_string_equal(r.reason, "");
    tsn_reply_clear(&r);
    assert_int_equal(parse("{\"type\":\"error\",\"code\":999}", &r, why, sizeof why), 0);
    assert_int_equal(r.code, 999);
    tsn_reply_clear(&r);

    REJECT("{\"type\":\"error\",\"code\":99}", "code");
    REJECT("{\"type\":\"error\",\"code\":1000}", "code");
    REJECT("{\"type\":\"error\",\"code\":-401}", "code");
    REJECT("{\"type\":\"error\",\"code\":\"401\"}", "code");
    REJECT("{\"type\":\"error\",\"code\":401.0}", "code");
    REJECT("{\"type\":\"error\",\"reason\":\"no code\"}", "code");
    REJECT("{\"type\":\"error\",\"code\":401,\"reason\":401}", "reason");
    /* ref does not fit: the code and reason already set are cleared. */
    char text[1200];
    snprintf(text, sizeof text,
             "{\"type\":\"error\",\"code\":403,\"reason\":\"no\",\"ref\":\"%s\"}", repeat('p', 24));
    REJECT(text, "ref");

    /* A reason longer than the buffer is cut to 255 bytes, not refused. */
    snprintf(text, sizeof text, "{\"type\":\"error\",\"code\":503,\"reason\":\"%s\"}",
             repeat('z', 400));
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    assert_int_equal(r.code, 503);
    assert_int_equal(strlen(r.reason), 255);
    assert_string_equal(r.reason, repeat('z', 255));
    tsn_reply_clear(&r);

    /* Cut at a character boundary: 254 ASCII bytes then 'é' (2 bytes) leaves
     * the 254 bytes, not half a character. */
    char reason[300];
    memset(reason, 'a', 254);
    strcpy(reason + 254, "\xc3\xa9\xc3\xa9");
    snprintf(text, sizeof text, "{\"type\":\"error\",\"code\":500,\"reason\":\"%s\"}", reason);
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    assert_int_equal(strlen(r.reason), 254);
    assert_int_equal(r.reason[253], 'a');
    tsn_reply_clear(&r);
    /* 253 + 'é' fits exactly in 255. */
    strcpy(reason + 253, "\xc3\xa9\xc3\xa9");
    snprintf(text, sizeof text, "{\"type\":\"error\",\"code\":500,\"reason\":\"%s\"}", reason);
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    assert_int_equal(strlen(r.reason), 255);
    assert_memory_equal(r.reason + 253, "\xc3\xa9", 3);
    tsn_reply_clear(&r);
}

static void test_unknown_type(void **state)
{
    struct tsn_reply r;
    char why[160] = "";
    assert_int_equal(
        parse("{\"type\":\"annotation\",\"x\":1,\"sdp\":\"v=0\",\"id\":7}", &r, why, sizeof why),
        0);
    assert_int_equal(r.type, TSN_REPLY_UNKNOWN);
    assert_int_equal(r.id, 7);
    assert_null(r.sdp); /* fields of other types are not picked up */
    assert_null(r.stream_json);
    tsn_reply_clear(&r);
    /* Type names are case-sensitive: "Pong" is not pong. */
    assert_int_equal(parse("{\"type\":\"Pong\"}", &r, why, sizeof why), 0);
    assert_int_equal(r.type, TSN_REPLY_UNKNOWN);
    tsn_reply_clear(&r);
    assert_int_equal(parse("{\"type\":\"\"}", &r, why, sizeof why), 0);
    assert_int_equal(r.type, TSN_REPLY_UNKNOWN);
    tsn_reply_clear(&r);
    /* Unknown members of a known type are ignored. */
    assert_int_equal(
        parse("{\"future\":[1,{\"a\":null}],\"type\":\"pong\",\"id\":2}", &r, why, sizeof why), 0);
    assert_int_equal(r.type, TSN_REPLY_PONG);
    assert_int_equal(r.id, 2);
    tsn_reply_clear(&r);
}

static void test_rejects(void **state)
{
    REJECT("", "not JSON");
    REJECT("{", "not JSON");
    REJECT("{\"type\":\"pong\"", "not JSON");
    REJECT("{'type':'pong'}", "not JSON");
    REJECT("{\"type\":\"pong\"} {}", "not JSON");
    REJECT("null", "not JSON"); /* jansson wants an array or an object at the top */
    REJECT("[{\"type\":\"pong\"}]", "type");
    REJECT("{}", "type");
    REJECT("{\"Type\":\"pong\"}", "type");
    REJECT("{\"type\":5}", "type");
    REJECT("{\"type\":null}", "type");
    REJECT("{\"type\":[\"pong\"]}", "type");
    REJECT("{\"type\":{\"name\":\"pong\"}}", "type");
    /* Duplicate keys, at the top and nested. */
    REJECT("{\"type\":\"pong\",\"type\":\"pong\"}", "not JSON");
    REJECT("{\"type\":\"pong\",\"id\":1,\"id\":2}", "not JSON");
    REJECT("{\"type\":\"welcome\",\"you\":{\"role\":\"capture\",\"role\":\"admin\"}}", "not JSON");
    REJECT("{\"type\":\"stream\",\"stream\":{\"live\":true,\"live\":false}}", "not JSON");
    /* Bad UTF-8 and a NUL after the object. */
    REJECT("{\"type\":\"p\xffong\"}", "not JSON");
    expect_reject_len("{\"type\":\"pong\"}\0{}", 18, "not JSON");
    REJECT("{\"type\":\"error\",\"code\":400,\"reason\":\"a\\u0000b\"}", "not JSON");
}

static void test_size_limit(void **state)
{
    const size_t limit = 256 * 1024;
    const char *head = "{\"type\":\"pong\",\"id\":6,\"pad\":\"";
    const char *tail = "\"}";
    char *text = malloc(limit + 2);
    assert_non_null(text);
    /* Exactly the limit: accepted. */
    size_t fill = limit - strlen(head) - strlen(tail);
    strcpy(text, head);
    memset(text + strlen(head), 'x', fill);
    strcpy(text + strlen(head) + fill, tail);
    assert_int_equal(strlen(text), limit);
    struct tsn_reply r;
    char why[160] = "";
    assert_int_equal(tsn_reply_parse(text, limit, &r, why, sizeof why), 0);
    assert_int_equal(r.type, TSN_REPLY_PONG);
    assert_int_equal(r.id, 6);
    tsn_reply_clear(&r);
    /* One byte more (a space before the closing brace): refused before parsing. */
    strcpy(text + strlen(head) + fill, "\" }");
    expect_reject_len(text, limit + 1, "too large");
    free(text);
}

static void test_small_why(void **state)
{
    struct tsn_reply r;
    char why[8];
    memset(why, 'Q', sizeof why);
    assert_int_equal(tsn_reply_parse("{", 1, &r, why, sizeof why), -EBADMSG);
    assert_int_equal(strlen(why), sizeof why - 1); /* cut, NUL-terminated */
    assert_cleared(&r);
    /* No room for a reason at all. */
    assert_int_equal(tsn_reply_parse("[]", 2, &r, NULL, 0), -EBADMSG);
    assert_cleared(&r);
}

/* Parses a builder's output and checks it is an object with `n` members. */
static json_t *load_built(char *text, size_t n)
{
    assert_non_null(text);
    json_error_t err;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!o)
        fail_msg("builder output is not JSON (%s): %s", err.text, text);
    assert_true(json_is_object(o));
    assert_int_equal(json_object_size(o), n);
    assert_null(strchr(text, '\n')); /* compact */
    free(text);
    return o;
}

static const char *str_member(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        fail_msg("member %s is not a string", key);
    return json_string_value(v);
}

static void test_build_join_ping(void **state)
{
    json_t *o = load_built(tsn_msg_join("eyJhbGciOiJIUzI1NiJ9.e30.sig"), 2);
    assert_string_equal(str_member(o, "type"), "join");
    assert_string_equal(str_member(o, "token"), "eyJhbGciOiJIUzI1NiJ9.e30.sig");
    json_decref(o);
    /* Quotes and backslashes are escaped, not spliced. */
    o = load_built(tsn_msg_join("a\"b\\c\",\"type\":\"x"), 2);
    assert_string_equal(str_member(o, "token"), "a\"b\\c\",\"type\":\"x");
    assert_string_equal(str_member(o, "type"), "join");
    json_decref(o);
    assert_null(tsn_msg_join(NULL));
    assert_null(tsn_msg_join("bad \xff utf-8"));

    o = load_built(tsn_msg_ping(5), 2);
    assert_string_equal(str_member(o, "type"), "ping");
    assert_true(json_is_integer(json_object_get(o, "id")));
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 5);
    json_decref(o);
    o = load_built(tsn_msg_ping(0), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 0);
    json_decref(o);
    o = load_built(tsn_msg_ping(INT64_MAX), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "id")), INT64_MAX);
    json_decref(o);
    o = load_built(tsn_msg_ping(-1), 1);
    assert_null(json_object_get(o, "id"));
    json_decref(o);
}

static void test_build_offer(void **state)
{
    const char *sdp = "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\n";
    json_t *o = load_built(tsn_msg_offer("publish", sdp, NULL, 2), 3);
    assert_string_equal(str_member(o, "type"), "publish");
    assert_string_equal(str_member(o, "sdp"), sdp);
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 2);
    assert_null(json_object_get(o, "stream"));
    json_decref(o);

    o = load_built(tsn_msg_offer("subscribe", sdp, NULL, -1), 2);
    assert_string_equal(str_member(o, "type"), "subscribe");
    assert_null(json_object_get(o, "id"));
    json_decref(o);

    o = load_built(tsn_msg_offer("publish", sdp,
                                 "{\"probe\":\"C5-1\",\"depth_mm\":120.5,\"pixel_spacing_mm\":"
                                 "{\"x\":0.25,\"y\":0.5},\"codec\":\"H264\"}",
                                 7),
                   4);
    json_t *s = json_object_get(o, "stream");
    assert_true(json_is_object(s));
    assert_int_equal(json_object_size(s), 4);
    assert_string_equal(str_member(s, "probe"), "C5-1");
    assert_true(json_real_value(json_object_get(s, "depth_mm")) == 120.5);
    assert_true(json_real_value(json_object_get(json_object_get(s, "pixel_spacing_mm"), "y")) ==
                0.5);
    assert_string_equal(str_member(s, "codec"), "H264");
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 7);
    json_decref(o);

    /* stream_json that is not one JSON object: no message at all. */
    static const char *const bad_streams[] = {"[1,2]", "42",       "\"probe\"", "null",
                                              "{",     "not json", "",          "{} {}"};
    for (size_t i = 0; i < sizeof bad_streams / sizeof bad_streams[0]; i++) {
        char *text = tsn_msg_offer("publish", sdp, bad_streams[i], 1);
        if (text)
            fail_msg("stream_json '%s' gave %s", bad_streams[i], text);
    }
    assert_null(tsn_msg_offer(NULL, sdp, NULL, 1));
    assert_null(tsn_msg_offer("publish", NULL, NULL, 1));
}

static void test_build_stream(void **state)
{
    json_t *o = load_built(tsn_msg_stream("{\"probe\":\"L14-5\",\"width\":820}"), 2);
    assert_string_equal(str_member(o, "type"), "stream");
    json_t *s = json_object_get(o, "stream");
    assert_true(json_is_object(s));
    assert_string_equal(str_member(s, "probe"), "L14-5");
    assert_int_equal(json_integer_value(json_object_get(s, "width")), 820);
    json_decref(o);
    assert_null(tsn_msg_stream("[]"));
    assert_null(tsn_msg_stream("3"));
    assert_null(tsn_msg_stream("{\"a\":"));
    assert_null(tsn_msg_stream(NULL));
}

/* What the relay formats, this parser reads. */
static void test_relay_formatters_parse(void **state)
{
    struct tsn_reply r;
    char why[160] = "";
    struct tsn_stream_meta m;
    memset(&m, 0, sizeof m);
    m.has_probe = 1;
    strcpy(m.probe, "L14-5");
    m.has_depth = 1;
    m.depth_mm = 40;
    m.has_codec = 1;
    m.codec = TSN_STREAM_CODEC_H264;

    char *text = tsn_sig_welcome("demo", "dr-lee", "clinician", &m, 1, NULL, 1);
    assert_non_null(text);
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    free(text);
    assert_int_equal(r.type, TSN_REPLY_WELCOME);
    assert_int_equal(r.id, 1);
    assert_string_equal(r.room, "demo");
    assert_string_equal(r.role, "clinician");
    assert_int_equal(r.stream_live, 1);
    assert_non_null(r.stream_json);
    json_t *s = json_loads(r.stream_json, 0, NULL);
    assert_string_equal(str_member(s, "probe"), "L14-5");
    assert_string_equal(str_member(s, "codec"), "H264");
    assert_true(json_number_value(json_object_get(s, "depth_mm")) == 40);
    json_decref(s);
    tsn_reply_clear(&r);

    text = tsn_sig_welcome("demo", "cam-1", "capture", NULL, 0, NULL, -1);
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    free(text);
    assert_string_equal(r.role, "capture");
    assert_null(r.stream_json);
    assert_int_equal(r.id, -1);
    tsn_reply_clear(&r);

    text = tsn_sig_stream(&m, 0, -1);
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    free(text);
    assert_int_equal(r.type, TSN_REPLY_STREAM);
    assert_int_equal(r.stream_live, 0);
    assert_non_null(strstr(r.stream_json, "\"probe\":\"L14-5\""));
    tsn_reply_clear(&r);

    text = tsn_sig_answer(SESSION_ID, SDP_ANSWER, 3);
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    free(text);
    assert_int_equal(r.type, TSN_REPLY_ANSWER);
    assert_string_equal(r.sdp, SDP_ANSWER);
    assert_string_equal(r.session, SESSION_ID);
    assert_int_equal(r.id, 3);
    tsn_reply_clear(&r);

    text = tsn_sig_session_state(SESSION_ID, "closed", "ICE consent expired");
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    free(text);
    assert_int_equal(r.type, TSN_REPLY_SESSION);
    assert_string_equal(r.state, "closed");
    assert_string_equal(r.reason, "ICE consent expired");
    tsn_reply_clear(&r);

    text = tsn_sig_stopped(SESSION_ID, 4);
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    free(text);
    assert_int_equal(r.type, TSN_REPLY_STOPPED);
    assert_int_equal(r.id, 4);
    tsn_reply_clear(&r);

    text = tsn_sig_pong(5);
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    free(text);
    assert_int_equal(r.type, TSN_REPLY_PONG);
    assert_int_equal(r.id, 5);
    tsn_reply_clear(&r);

    text = tsn_sig_error(403, "your role may not do this", "publish", 2);
    assert_int_equal(parse(text, &r, why, sizeof why), 0);
    free(text);
    assert_int_equal(r.type, TSN_REPLY_ERROR);
    assert_int_equal(r.code, 403);
    assert_string_equal(r.reason, "your role may not do this");
    assert_string_equal(r.ref_type, "publish");
    assert_int_equal(r.id, 2);
    tsn_reply_clear(&r);
}

/* What is built here, the relay's parser accepts. */
static void test_relay_parses_builders(void **state)
{
    struct tsn_sig_msg m;
    char why[200] = "";
    char *text = tsn_msg_join("abc.def.ghi");
    assert_int_equal(tsn_sig_parse(text, strlen(text), &m, why, sizeof why), 0);
    free(text);
    assert_int_equal(m.type, TSN_SIG_JOIN);
    assert_string_equal(m.token, "abc.def.ghi");
    tsn_sig_msg_clear(&m);

    text = tsn_msg_offer("publish", "v=0\r\n", "{\"probe\":\"C5-1\",\"depth_mm\":120.5}", 2);
    if (tsn_sig_parse(text, strlen(text), &m, why, sizeof why) != 0)
        fail_msg("relay refused %s: %s", text, why);
    free(text);
    assert_int_equal(m.type, TSN_SIG_PUBLISH);
    assert_string_equal(m.sdp, "v=0\r\n");
    assert_int_equal(m.has_id, 1);
    assert_int_equal(m.id, 2);
    assert_int_equal(m.has_stream, 1);
    assert_string_equal(m.stream.probe, "C5-1");
    assert_true(m.stream.depth_mm == 120.5);
    tsn_sig_msg_clear(&m);

    text = tsn_msg_offer("subscribe", "v=0\r\n", NULL, -1);
    assert_int_equal(tsn_sig_parse(text, strlen(text), &m, why, sizeof why), 0);
    free(text);
    assert_int_equal(m.type, TSN_SIG_SUBSCRIBE);
    assert_int_equal(m.has_id, 0);
    tsn_sig_msg_clear(&m);

    text = tsn_msg_stream("{\"width\":640,\"height\":480}");
    if (tsn_sig_parse(text, strlen(text), &m, why, sizeof why) != 0)
        fail_msg("relay refused %s: %s", text, why);
    free(text);
    assert_int_equal(m.type, TSN_SIG_STREAM);
    assert_int_equal(m.stream.width, 640);
    assert_int_equal(m.stream.height, 480);
    tsn_sig_msg_clear(&m);

    text = tsn_msg_ping(9);
    assert_int_equal(tsn_sig_parse(text, strlen(text), &m, why, sizeof why), 0);
    free(text);
    assert_int_equal(m.type, TSN_SIG_PING);
    assert_int_equal(m.id, 9);
    tsn_sig_msg_clear(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_welcome),
        cmocka_unit_test(test_welcome_stream),
        cmocka_unit_test(test_welcome_fields),
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_session),
        cmocka_unit_test(test_stopped_pong),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_error),
        cmocka_unit_test(test_unknown_type),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_small_why),
        cmocka_unit_test(test_build_join_ping),
        cmocka_unit_test(test_build_offer),
        cmocka_unit_test(test_build_stream),
        cmocka_unit_test(test_relay_formatters_parse),
        cmocka_unit_test(test_relay_parses_builders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
