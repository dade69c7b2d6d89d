/* Unit tests for relay/sigmsg.c: every client message type, the optional id,
 * each rejection with its reason (not JSON, not an object, missing or unknown
 * type, wrong field types, empty or oversize fields, a malformed session id,
 * duplicate keys, too large), the "stream" member of publish and stream
 * (the metadata rules themselves are in test_stream_meta.c), and every
 * formatter, whose output is parsed back with jansson and checked field by
 * field: the participants list of welcome and presence too (order, roles,
 * the cap with "more", exact text). */
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

#include "jwt.h"
#include "sigmsg.h"

#define SESSION_ID "0123456789abcdef0123456789abcdef"

static int parse(const char *text, struct tsn_sig_msg *m, char *why, size_t why_len)
{
    return tsn_sig_parse(text, strlen(text), m, why, why_len);
}

/* Parses `text`, expects -EBADMSG, a cleared message and a reason that
 * contains `reason_part`. */
static void expect_reject(const char *text, size_t len, const char *reason_part)
{
    struct tsn_sig_msg m;
    char why[160] = "";
    memset(&m, 0x5A, sizeof m);
    assert_int_equal(tsn_sig_parse(text, len, &m, why, sizeof why), -EBADMSG);
    static const struct tsn_sig_msg zero;
    assert_memory_equal(&m, &zero, sizeof m);
    if (!strstr(why, reason_part))
        fail_msg("reason '%s' lacks '%s' for input %.60s", why, reason_part, text);
}

#define REJECT(text, reason) expect_reject((text), strlen(text), (reason))

static void test_join(void **state)
{
    struct tsn_sig_msg m;
    char why[128];
    assert_int_equal(
        parse("{\"type\":\"join\",\"token\":\"abc.def.ghi\",\"id\":7}", &m, why, sizeof why), 0);
    assert_int_equal(m.type, TSN_SIG_JOIN);
    assert_string_equal(m.token, "abc.def.ghi");
    assert_null(m.sdp);
    assert_int_equal(m.has_id, 1);
    assert_int_equal(m.id, 7);
    tsn_sig_msg_clear(&m);
    assert_null(m.token);
    assert_int_equal(m.has_id, 0);
    /* Clearing twice is harmless. */
    tsn_sig_msg_clear(&m);

    /* Unknown fields are ignored; whitespace and key order do not matter. */
    assert_int_equal(
        parse(" { \"future\" : [1,{\"x\":2}], \"token\" : \"t\", \"type\" : \"join\" }\n", &m, why,
              sizeof why),
        0);
    assert_int_equal(m.type, TSN_SIG_JOIN);
    assert_string_equal(m.token, "t");
    assert_int_equal(m.has_id, 0);
    tsn_sig_msg_clear(&m);

    /* A token of exactly TSN_JWT_MAX_TOKEN bytes is accepted. */
    char *big = malloc(TSN_JWT_MAX_TOKEN + 64);
    assert_non_null(big);
    int n = snprintf(big, 64, "{\"type\":\"join\",\"token\":\"");
    memset(big + n, 'a', TSN_JWT_MAX_TOKEN);
    strcpy(big + n + TSN_JWT_MAX_TOKEN, "\"}");
    assert_int_equal(parse(big, &m, why, sizeof why), 0);
    assert_int_equal(strlen(m.token), TSN_JWT_MAX_TOKEN);
    tsn_sig_msg_clear(&m);
    /* One more byte is not. */
    n = snprintf(big, 64, "{\"type\":\"join\",\"token\":\"");
    memset(big + n, 'a', TSN_JWT_MAX_TOKEN + 1);
    strcpy(big + n + TSN_JWT_MAX_TOKEN + 1, "\"}");
    REJECT(big, "'token'");
    free(big);
}

static void test_publish_subscribe(void **state)
{
    static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=\"q\"\r\n";
    struct tsn_sig_msg m;
    char why[128];
    char text[256];
    snprintf(text, sizeof text, "{\"type\":\"publish\",\"id\":0,\"sdp\":%s}",
             "\"v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\ns=\\\"q\\\"\\r\\n\"");
    assert_int_equal(parse(text, &m, why, sizeof why), 0);
    assert_int_equal(m.type, TSN_SIG_PUBLISH);
    assert_int_equal(m.has_id, 1);
    assert_int_equal(m.id, 0);
    assert_non_null(m.sdp);
    assert_int_equal(m.sdp_len, strlen(sdp));
    assert_string_equal(m.sdp, sdp);
    assert_null(m.token);
    tsn_sig_msg_clear(&m);

    assert_int_equal(parse("{\"type\":\"subscribe\",\"sdp\":\"v=0\\n\",\"id\":9007199254740993}",
                           &m, why, sizeof why),
                     0);
    assert_int_equal(m.type, TSN_SIG_SUBSCRIBE);
    assert_string_equal(m.sdp, "v=0\n");
    assert_int_equal(m.sdp_len, 4);
    assert_int_equal(m.id, 9007199254740993LL); /* exact: 64-bit, not a double */
    tsn_sig_msg_clear(&m);

    /* Non-ASCII UTF-8 is kept byte for byte. */
    assert_int_equal(
        parse("{\"type\":\"publish\",\"sdp\":\"s=\\u00e9\xc3\xa9\"}", &m, why, sizeof why), 0);
    assert_string_equal(m.sdp, "s=\xc3\xa9\xc3\xa9");
    assert_int_equal(m.sdp_len, 6);
    tsn_sig_msg_clear(&m);
}

static void test_stop_ping(void **state)
{
    struct tsn_sig_msg m;
    char why[128];
    assert_int_equal(
        parse("{\"type\":\"stop\",\"session\":\"" SESSION_ID "\",\"id\":3}", &m, why, sizeof why),
        0);
    assert_int_equal(m.type, TSN_SIG_STOP);
    assert_string_equal(m.session, SESSION_ID);
    assert_int_equal(m.id, 3);
    tsn_sig_msg_clear(&m);

    assert_int_equal(parse("{\"type\":\"ping\"}", &m, why, sizeof why), 0);
    assert_int_equal(m.type, TSN_SIG_PING);
    assert_int_equal(m.has_id, 0);
    tsn_sig_msg_clear(&m);
    assert_int_equal(parse("{\"type\":\"ping\",\"id\":42,\"token\":5}", &m, why, sizeof why), 0);
    assert_int_equal(m.type, TSN_SIG_PING);
    assert_int_equal(m.id, 42);
    assert_null(m.token); /* fields of other types are not looked at */
    tsn_sig_msg_clear(&m);
}

static void test_record(void **state)
{
    struct tsn_sig_msg m;
    char why[128];
    assert_int_equal(parse("{\"type\":\"record\",\"on\":true,\"id\":4}", &m, why, sizeof why), 0);
    assert_int_equal(m.type, TSN_SIG_RECORD);
    assert_int_equal(m.record_on, 1);
    assert_int_equal(m.id, 4);
    tsn_sig_msg_clear(&m);
    assert_int_equal(parse("{\"type\":\"record\",\"on\":false}", &m, why, sizeof why), 0);
    assert_int_equal(m.record_on, 0);
    tsn_sig_msg_clear(&m);
    assert_string_equal(tsn_sig_type_name(TSN_SIG_RECORD), "record");
    REJECT("{\"type\":\"record\"}", "field 'on' must be true or false");
    REJECT("{\"type\":\"record\",\"on\":1}", "field 'on' must be true or false");
    REJECT("{\"type\":\"record\",\"on\":\"true\"}", "field 'on' must be true or false");
    REJECT("{\"type\":\"record\",\"on\":null}", "field 'on' must be true or false");
}

static void test_stream_members(void **state)
{
    struct tsn_sig_msg m;
    char why[256];
    /* publish without "stream": no metadata. */
    assert_int_equal(parse("{\"type\":\"publish\",\"sdp\":\"v=0\\n\"}", &m, why, sizeof why), 0);
    assert_int_equal(m.has_stream, 0);
    assert_int_equal(m.stream.has_probe, 0);
    tsn_sig_msg_clear(&m);
    /* publish with "stream". */
    assert_int_equal(parse("{\"type\":\"publish\",\"sdp\":\"v=0\\n\",\"id\":4,"
                           "\"stream\":{\"probe\":\"L14-5\",\"depth_mm\":60,"
                           "\"pixel_spacing_mm\":{\"x\":0.1,\"y\":0.12}}}",
                           &m, why, sizeof why),
                     0);
    assert_int_equal(m.type, TSN_SIG_PUBLISH);
    assert_string_equal(m.sdp, "v=0\n");
    assert_int_equal(m.has_stream, 1);
    assert_int_equal(m.stream.has_probe, 1);
    assert_string_equal(m.stream.probe, "L14-5");
    assert_int_equal(m.stream.has_depth, 1);
    assert_true(m.stream.depth_mm == 60.0);
    assert_true(m.stream.pixel_spacing_x_mm == 0.1);
    assert_true(m.stream.pixel_spacing_y_mm == 0.12);
    assert_int_equal(m.stream.has_width, 0);
    assert_int_equal(m.id, 4);
    tsn_sig_msg_clear(&m);
    assert_int_equal(m.has_stream, 0);
    /* the stream message. */
    assert_int_equal(parse("{\"type\":\"stream\",\"stream\":{\"fps\":29.97,\"codec\":\"VP8\"},"
                           "\"id\":8}",
                           &m, why, sizeof why),
                     0);
    assert_int_equal(m.type, TSN_SIG_STREAM);
    assert_int_equal(m.has_stream, 1);
    assert_true(m.stream.fps == 29.97);
    assert_int_equal(m.stream.codec, TSN_STREAM_CODEC_VP8);
    assert_null(m.sdp);
    tsn_sig_msg_clear(&m);

    /* A bad stream object refuses the whole message, naming the field. */
    REJECT("{\"type\":\"publish\",\"sdp\":\"v=0\",\"stream\":{\"depth_mm\":0}}",
           "field 'stream.depth_mm' must be a number from 1 to 500");
    REJECT("{\"type\":\"publish\",\"sdp\":\"v=0\",\"stream\":null}",
           "field 'stream' must be an object");
    REJECT("{\"type\":\"publish\",\"sdp\":\"v=0\",\"stream\":{}}", "at least one of");
    /* The sdp is checked first. */
    REJECT("{\"type\":\"publish\",\"stream\":{\"fps\":30}}", "'sdp' must be a string");
    REJECT("{\"type\":\"stream\"}", "field 'stream' must be an object");
    REJECT("{\"type\":\"stream\",\"stream\":[1]}", "field 'stream' must be an object");
    REJECT("{\"type\":\"stream\",\"stream\":{\"future\":1}}", "at least one of");
    REJECT("{\"type\":\"stream\",\"stream\":{\"width\":640.5}}",
           "field 'stream.width' must be an integer from 16 to 7680");
    REJECT("{\"type\":\"stream\",\"stream\":{\"codec\":\"h264\"}}", "'stream.codec'");
    REJECT("{\"type\":\"stream\",\"stream\":{\"probe\":\"a\",\"probe\":\"b\"}}", "not valid JSON");
    /* subscribe ignores a stream member (it is not its field). */
    assert_int_equal(
        parse("{\"type\":\"subscribe\",\"sdp\":\"v\",\"stream\":5}", &m, why, sizeof why), 0);
    assert_int_equal(m.has_stream, 0);
    tsn_sig_msg_clear(&m);
}

static void test_type_names(void **state)
{
    assert_string_equal(tsn_sig_type_name(TSN_SIG_JOIN), "join");
    assert_string_equal(tsn_sig_type_name(TSN_SIG_PUBLISH), "publish");
    assert_string_equal(tsn_sig_type_name(TSN_SIG_SUBSCRIBE), "subscribe");
    assert_string_equal(tsn_sig_type_name(TSN_SIG_STOP), "stop");
    assert_string_equal(tsn_sig_type_name(TSN_SIG_PING), "ping");
    assert_string_equal(tsn_sig_type_name(TSN_SIG_STREAM), "stream");
    assert_string_equal(tsn_sig_type_name((enum tsn_sig_type)0), "unknown");
    assert_string_equal(tsn_sig_type_name((enum tsn_sig_type)99), "unknown");
}

static void test_rejects(void **state)
{
    /* Not JSON at all, or not one complete JSON text. */
    REJECT("", "not valid JSON");
    REJECT("hello", "not valid JSON");
    REJECT("{\"type\":\"ping\"", "not valid JSON");
    REJECT("{\"type\":\"ping\"} {}", "not valid JSON");
    REJECT("{'type':'ping'}", "not valid JSON");
    REJECT("{\"type\":\"ping\",}", "not valid JSON");
    expect_reject("{\"type\":\"ping\"}\0", 16, "not valid JSON"); /* a NUL byte after it */
    REJECT("{\"type\":\"join\",\"token\":\"a\\u0000b\"}", "not valid JSON");
    REJECT("{\"type\":\"join\",\"token\":\"\xff\xfe\"}", "not valid JSON"); /* bad UTF-8 */
    /* Not an object. */
    REJECT("[{\"type\":\"ping\"}]", "JSON object");
    REJECT("[]", "JSON object");
    /* Type missing, not a string, unknown. */
    REJECT("{}", "'type'");
    REJECT("{\"id\":1}", "'type'");
    REJECT("{\"type\":1}", "'type'");
    REJECT("{\"type\":null}", "'type'");
    REJECT("{\"type\":[\"ping\"]}", "'type'");
    REJECT("{\"type\":\"dance\"}", "unknown message type");
    REJECT("{\"type\":\"PING\"}", "unknown message type");
    REJECT("{\"type\":\"\"}", "unknown message type");
    /* The id. */
    REJECT("{\"type\":\"ping\",\"id\":-1}", "'id'");
    REJECT("{\"type\":\"ping\",\"id\":1.5}", "'id'");
    REJECT("{\"type\":\"ping\",\"id\":\"7\"}", "'id'");
    REJECT("{\"type\":\"ping\",\"id\":null}", "'id'");
    /* join's token. */
    REJECT("{\"type\":\"join\"}", "'token' must be a string");
    REJECT("{\"type\":\"join\",\"token\":5}", "'token' must be a string");
    REJECT("{\"type\":\"join\",\"token\":null}", "'token' must be a string");
    REJECT("{\"type\":\"join\",\"token\":{}}", "'token' must be a string");
    REJECT("{\"type\":\"join\",\"token\":\"\"}", "'token' is empty");
    /* publish / subscribe sdp. */
    REJECT("{\"type\":\"publish\"}", "'sdp' must be a string");
    REJECT("{\"type\":\"publish\",\"sdp\":\"\"}", "'sdp' is empty");
    REJECT("{\"type\":\"subscribe\",\"sdp\":\"\"}", "'sdp' is empty");
    REJECT("{\"type\":\"subscribe\",\"sdp\":true}", "'sdp' must be a string");
    /* stop's session: exactly 32 lower-case hex characters. */
    REJECT("{\"type\":\"stop\"}", "'session'");
    REJECT("{\"type\":\"stop\",\"session\":5}", "'session'");
    REJECT("{\"type\":\"stop\",\"session\":\"\"}", "'session'");
    REJECT("{\"type\":\"stop\",\"session\":\"0123456789abcdef0123456789abcde\"}", "'session'");
    REJECT("{\"type\":\"stop\",\"session\":\"0123456789abcdef0123456789abcdef0\"}", "'session'");
    REJECT("{\"type\":\"stop\",\"session\":\"0123456789ABCDEF0123456789abcdef\"}", "'session'");
    REJECT("{\"type\":\"stop\",\"session\":\"0123456789abcdeg0123456789abcdef\"}", "'session'");
    REJECT("{\"type\":\"stop\",\"session\":\"../../0123456789abcdef0123456789\"}", "'session'");
    /* Duplicate keys: which one counts would be ambiguous. */
    REJECT("{\"type\":\"ping\",\"type\":\"join\",\"token\":\"x\"}", "not valid JSON");
    REJECT("{\"type\":\"join\",\"token\":\"a\",\"token\":\"b\"}", "not valid JSON");
}

static void test_size_limit(void **state)
{
    /* A valid publish of exactly TSN_SIG_MAX_MESSAGE bytes is accepted... */
    size_t max = TSN_SIG_MAX_MESSAGE;
    char *buf = malloc(max + 2);
    assert_non_null(buf);
    static const char head[] = "{\"type\":\"publish\",\"sdp\":\"";
    size_t h = sizeof head - 1;
    memcpy(buf, head, h);
    memset(buf + h, 'v', max - h - 2);
    memcpy(buf + max - 2, "\"}", 2);
    struct tsn_sig_msg m;
    char why[128];
    assert_int_equal(tsn_sig_parse(buf, max, &m, why, sizeof why), 0);
    assert_int_equal(m.sdp_len, max - h - 2);
    assert_int_equal(strlen(m.sdp), m.sdp_len);
    tsn_sig_msg_clear(&m);
    /* ...one byte more (even harmless whitespace) is not. */
    buf[max] = ' ';
    expect_reject(buf, max + 1, "too large");
    free(buf);
}

/* `why` may be small or empty; the reason is truncated, never overflowed. */
static void test_small_why(void **state)
{
    struct tsn_sig_msg m;
    char why[8];
    memset(why, 'X', sizeof why);
    assert_int_equal(parse("{\"type\":\"dance\"}", &m, why, sizeof why), -EBADMSG);
    assert_int_equal(strlen(why), sizeof why - 1);
    assert_int_equal(parse("{\"type\":\"join\"}", &m, NULL, 0), -EBADMSG);
    assert_int_equal(parse("nope", &m, NULL, 0), -EBADMSG);
}

/* Parses a formatter's output (taking ownership of `text`). */
static json_t *load(char *text)
{
    assert_non_null(text);
    json_error_t err;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        fail_msg("formatter output is not JSON (%s): %s", err.text, text);
    assert_true(json_is_object(j));
    /* Compact: one line, so one WebSocket text frame per message. */
    assert_null(strchr(text, '\n'));
    free(text);
    return j;
}

static void expect_str(json_t *j, const char *key, const char *want)
{
    json_t *v = json_object_get(j, key);
    if (!json_is_string(v))
        fail_msg("field '%s' is not a string", key);
    assert_int_equal(json_string_length(v), strlen(want));
    assert_string_equal(json_string_value(v), want);
}

static void expect_int(json_t *j, const char *key, json_int_t want)
{
    json_t *v = json_object_get(j, key);
    if (!json_is_integer(v))
        fail_msg("field '%s' is not an integer", key);
    assert_int_equal(json_integer_value(v), want);
}

/* Checks that j's "participants" is exactly the pairs sub0, role0, sub1, ... */
static void expect_participants(json_t *j, size_t n, const char *const *pairs)
{
    json_t *arr = json_object_get(j, "participants");
    assert_true(json_is_array(arr));
    assert_int_equal(json_array_size(arr), n);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        assert_true(json_is_object(e));
        assert_int_equal(json_object_size(e), 2);
        expect_str(e, "sub", pairs[2 * i]);
        expect_str(e, "role", pairs[2 * i + 1]);
    }
}

static void test_welcome(void **state)
{
    json_t *j = load(tsn_sig_welcome("ward-7", "dr.who@example", "clinician", NULL, 0, NULL, 12));
    expect_str(j, "type", "welcome");
    expect_int(j, "protocol", TSN_SIG_PROTOCOL);
    expect_str(j, "room", "ward-7");
    expect_int(j, "id", 12);
    json_t *you = json_object_get(j, "you");
    assert_true(json_is_object(you));
    expect_str(you, "sub", "dr.who@example");
    expect_str(you, "role", "clinician");
    /* No metadata in the room: "stream" is null. No people given: []. */
    assert_true(json_is_null(json_object_get(j, "stream")));
    expect_participants(j, 0, NULL);
    assert_null(json_object_get(j, "more"));
    assert_int_equal(json_object_size(j), 7);
    json_decref(j);

    struct tsn_stream_meta meta = {
        .has_depth = 1, .depth_mm = 45.5, .has_codec = 1, .codec = TSN_STREAM_CODEC_H264};
    struct tsn_sig_participants people = {.count = 0};
    tsn_sig_participants_add(&people, "cart-3", "capture", NULL);
    tsn_sig_participants_add(&people, "s", "observer", NULL);
    j = load(tsn_sig_welcome("r", "s", "observer", &meta, 0, &people, -1));
    assert_null(json_object_get(j, "id"));
    assert_int_equal(json_object_size(j), 6);
    static const char *const two[] = {"cart-3", "capture", "s", "observer"};
    expect_participants(j, 2, two);
    json_t *st = json_object_get(j, "stream");
    assert_true(json_is_object(st));
    assert_int_equal(json_object_size(st), 3);
    assert_true(json_real_value(json_object_get(st, "depth_mm")) == 45.5);
    expect_str(st, "codec", "H264");
    assert_true(json_is_false(json_object_get(st, "live")));
    json_decref(j);
    j = load(tsn_sig_welcome("r", "s", "observer", &meta, 1, NULL, -1));
    assert_true(json_is_true(json_object_get(json_object_get(j, "stream"), "live")));
    json_decref(j);
}

/* The exact text clients see (docs/protocol.md shows these). */
static void test_presence_text(void **state)
{
    struct tsn_sig_participants people = {.count = 0};
    char *text = tsn_sig_presence(&people);
    assert_string_equal(text, "{\"type\":\"presence\",\"participants\":[]}");
    free(text);
    tsn_sig_participants_add(&people, "dr-lee", "clinician", NULL);
    tsn_sig_participants_add(&people, "probe-cart-1", "capture", NULL);
    text = tsn_sig_presence(&people);
    assert_string_equal(text, "{\"type\":\"presence\",\"participants\":[{\"sub\":\"dr-lee\","
                              "\"role\":\"clinician\"},{\"sub\":\"probe-cart-1\",\"role\":"
                              "\"capture\"}]}");
    free(text);
    text = tsn_sig_welcome("demo", "dr-lee", "clinician", NULL, 0, &people, 1);
    assert_string_equal(text, "{\"type\":\"welcome\",\"protocol\":2,\"room\":\"demo\",\"you\":{"
                              "\"sub\":\"dr-lee\",\"role\":\"clinician\"},\"stream\":null,"
                              "\"participants\":[{\"sub\":\"dr-lee\",\"role\":\"clinician\"},{"
                              "\"sub\":\"probe-cart-1\",\"role\":\"capture\"}],\"id\":1}");
    free(text);
}

/* Past TSN_SIG_MAX_PARTICIPANTS the list stops growing and "more" counts
 * the rest, in both messages; the order is the order of adding. */
static void test_participants_cap(void **state)
{
    static char subs[TSN_SIG_MAX_PARTICIPANTS + 5][16];
    struct tsn_sig_participants people = {.count = 0};
    for (size_t i = 0; i < TSN_SIG_MAX_PARTICIPANTS + 5; i++) {
        snprintf(subs[i], sizeof subs[i], "viewer-%zu", i);
        tsn_sig_participants_add(&people, subs[i], i == 0 ? "capture" : "observer", NULL);
        assert_int_equal(people.count,
                         i < TSN_SIG_MAX_PARTICIPANTS ? i + 1 : TSN_SIG_MAX_PARTICIPANTS);
        assert_int_equal(people.more,
                         i < TSN_SIG_MAX_PARTICIPANTS ? 0 : i + 1 - TSN_SIG_MAX_PARTICIPANTS);
    }
    json_t *j = load(tsn_sig_presence(&people));
    expect_str(j, "type", "presence");
    expect_int(j, "more", 5);
    assert_null(json_object_get(j, "id"));
    assert_int_equal(json_object_size(j), 3);
    json_t *arr = json_object_get(j, "participants");
    assert_int_equal(json_array_size(arr), TSN_SIG_MAX_PARTICIPANTS);
    expect_str(json_array_get(arr, 0), "role", "capture");
    for (size_t i = 0; i < TSN_SIG_MAX_PARTICIPANTS; i++)
        expect_str(json_array_get(arr, i), "sub", subs[i]);
    json_decref(j);
    j = load(tsn_sig_welcome("r", "viewer-7", "observer", NULL, 0, &people, 4));
    expect_int(j, "more", 5);
    assert_int_equal(json_array_size(json_object_get(j, "participants")), TSN_SIG_MAX_PARTICIPANTS);
    json_decref(j);
}

static void test_stream_formatter(void **state)
{
    struct tsn_stream_meta meta = {.has_probe = 1,
                                   .probe = "C5-1 \xc3\xa9",
                                   .has_pixel_spacing = 1,
                                   .pixel_spacing_x_mm = 0.1,
                                   .pixel_spacing_y_mm = 0.2,
                                   .has_fps = 1,
                                   .fps = 29.97};
    char *text = tsn_sig_stream(&meta, 1, 6);
    assert_non_null(text);
    /* Reals with 15 digits: 0.1 is "0.1", not 0.10000000000000001. */
    assert_non_null(strstr(text, "\"pixel_spacing_mm\":{\"x\":0.1,\"y\":0.2}"));
    assert_non_null(strstr(text, "\"fps\":29.97"));
    json_t *j = load(text);
    expect_str(j, "type", "stream");
    expect_int(j, "id", 6);
    assert_int_equal(json_object_size(j), 3);
    json_t *st = json_object_get(j, "stream");
    expect_str(st, "probe", "C5-1 \xc3\xa9");
    assert_true(json_is_true(json_object_get(st, "live")));
    assert_int_equal(json_object_size(st), 4);
    /* The client-side parser reads back the same metadata ("live" is ignored). */
    struct tsn_stream_meta back;
    char why[128];
    assert_int_equal(tsn_stream_meta_from_json(st, "stream", &back, why, sizeof why), 0);
    assert_true(tsn_stream_meta_equal(&back, &meta));
    json_decref(j);

    j = load(tsn_sig_stream(&meta, 0, -1));
    assert_null(json_object_get(j, "id"));
    assert_true(json_is_false(json_object_get(json_object_get(j, "stream"), "live")));
    json_decref(j);
}

static void test_answer(void **state)
{
    /* An SDP with CRLFs, quotes and a backslash survives the round trip. */
    static const char sdp[] = "v=0\r\ns=\"x\\y\"\r\na=ice-lite\r\n";
    json_t *j = load(tsn_sig_answer(SESSION_ID, sdp, 5));
    expect_str(j, "type", "answer");
    expect_str(j, "session", SESSION_ID);
    expect_str(j, "sdp", sdp);
    expect_int(j, "id", 5);
    assert_int_equal(json_object_size(j), 4);
    json_decref(j);
    j = load(tsn_sig_answer(SESSION_ID, sdp, -1));
    assert_null(json_object_get(j, "id"));
    json_decref(j);
    /* id 0 is an id. */
    j = load(tsn_sig_answer(SESSION_ID, sdp, 0));
    expect_int(j, "id", 0);
    json_decref(j);
}

static void test_session_state_stopped_pong(void **state)
{
    json_t *j = load(tsn_sig_session_state(SESSION_ID, "closed", "DTLS failed"));
    expect_str(j, "type", "session");
    expect_str(j, "session", SESSION_ID);
    expect_str(j, "state", "closed");
    expect_str(j, "reason", "DTLS failed");
    assert_null(json_object_get(j, "id"));
    json_decref(j);
    j = load(tsn_sig_session_state(SESSION_ID, "connected", NULL));
    expect_str(j, "state", "connected");
    expect_str(j, "reason", "");
    json_decref(j);

    j = load(tsn_sig_stopped(SESSION_ID, 77));
    expect_str(j, "type", "stopped");
    expect_str(j, "session", SESSION_ID);
    expect_int(j, "id", 77);
    assert_int_equal(json_object_size(j), 3);
    json_decref(j);

    j = load(tsn_sig_pong(INT64_C(1) << 40));
    expect_str(j, "type", "pong");
    expect_int(j, "id", INT64_C(1) << 40);
    assert_int_equal(json_object_size(j), 2);
    json_decref(j);
    j = load(tsn_sig_pong(-1));
    assert_int_equal(json_object_size(j), 1);
    json_decref(j);
}

static void test_error(void **state)
{
    json_t *j = load(tsn_sig_error(400, "field 'sdp' is empty", "publish", 3));
    expect_str(j, "type", "error");
    expect_int(j, "code", 400);
    expect_str(j, "reason", "field 'sdp' is empty");
    expect_str(j, "ref", "publish");
    expect_int(j, "id", 3);
    json_decref(j);
    j = load(tsn_sig_error(403, "role 'observer' may not do this", NULL, -1));
    expect_int(j, "code", 403);
    expect_str(j, "ref", "");
    assert_null(json_object_get(j, "id"));
    json_decref(j);
}

/* Missing or non-UTF-8 inputs give NULL rather than broken JSON. */
static void test_formatter_bad_input(void **state)
{
    assert_null(tsn_sig_answer(NULL, "v=0", 1));
    assert_null(tsn_sig_answer(SESSION_ID, NULL, 1));
    assert_null(tsn_sig_welcome(NULL, "s", "observer", NULL, 0, NULL, 1));
    struct tsn_stream_meta meta = {.has_width = 1, .width = 640};
    assert_null(tsn_sig_welcome(NULL, "s", "observer", &meta, 1, NULL, 1)); /* and no leak */
    /* A participant without a sub, or with a non-UTF-8 one: NULL, no leak. */
    struct tsn_sig_participants people = {.count = 0};
    tsn_sig_participants_add(&people, "ok", "observer", NULL);
    tsn_sig_participants_add(&people, NULL, "observer", NULL);
    assert_null(tsn_sig_presence(&people));
    assert_null(tsn_sig_welcome("r", "s", "observer", &meta, 1, &people, 1));
    people.list[1].sub = "\xff";
    assert_null(tsn_sig_presence(&people));
    struct tsn_stream_meta bad_probe = {.has_probe = 1, .probe = "\xff"};
    assert_null(tsn_sig_stream(&bad_probe, 1, 1));
    assert_null(tsn_sig_error(400, NULL, "x", 1));
    assert_null(tsn_sig_answer(SESSION_ID, "v=0\xff", 1));
}

/* A parsed message's fields go back out through the formatters unchanged. */
static void test_round_trip(void **state)
{
    struct tsn_sig_msg m;
    char why[128];
    assert_int_equal(
        parse("{\"type\":\"subscribe\",\"id\":31,\"sdp\":\"v=0\\r\\na=x:\\\"y\\\"\\r\\n\"}", &m,
              why, sizeof why),
        0);
    json_t *j = load(tsn_sig_answer(SESSION_ID, m.sdp, m.id));
    expect_str(j, "sdp", m.sdp);
    expect_int(j, "id", 31);
    json_decref(j);
    j = load(tsn_sig_error(406, "no codec", tsn_sig_type_name(m.type), m.id));
    expect_str(j, "ref", "subscribe");
    json_decref(j);
    tsn_sig_msg_clear(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_publish_subscribe),
        cmocka_unit_test(test_stop_ping),
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_small_why),
        cmocka_unit_test(test_welcome),
        cmocka_unit_test(test_presence_text),
        cmocka_unit_test(test_participants_cap),
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_session_state_stopped_pong),
        cmocka_unit_test(test_error),
        cmocka_unit_test(test_formatter_bad_input),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_stream_members),
        cmocka_unit_test(test_stream_formatter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
