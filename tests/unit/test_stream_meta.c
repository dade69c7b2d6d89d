/* Unit tests for relay/stream_meta.c: the metadata parser (every field valid
 * at both ends of its range, each field invalid by type and by range with the
 * field named in the reason, huge numbers, probe length counted in
 * characters, control characters, nothing kept on error), formatting that
 * reads back exactly, merge and equality, and the per-room record (set,
 * merge per publisher session, end, room isolation, eviction). */
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

#include "stream_meta.h"

#define SESSION_A "0123456789abcdef0123456789abcdef"
#define SESSION_B "fedcba9876543210fedcba9876543210"

static int parse(const char *text, struct tsn_stream_meta *m, char *why, size_t why_len)
{
    return tsn_stream_meta_parse(text, strlen(text), m, why, why_len);
}

/* Expects -EBADMSG, a zeroed result and `reason_part` in the reason. */
static void expect_reject(const char *text, const char *reason_part)
{
    struct tsn_stream_meta m;
    char why[256] = "";
    memset(&m, 0x5A, sizeof m);
    assert_int_equal(parse(text, &m, why, sizeof why), -EBADMSG);
    static const struct tsn_stream_meta zero;
    assert_memory_equal(&m, &zero, sizeof m);
    if (!strstr(why, reason_part))
        fail_msg("reason '%s' lacks '%s' for input %s", why, reason_part, text);
}

static void test_full_object(void **state)
{
    struct tsn_stream_meta m;
    char why[256];
    assert_int_equal(
        parse("{\"probe\":\"L14-5 linear\",\"pixel_spacing_mm\":{\"x\":0.1,\"y\":0.125},"
              "\"depth_mm\":40,\"width\":820,\"height\":616,\"fps\":11.63,"
              "\"codec\":\"H264\",\"source\":\"file\",\"future\":{\"a\":[1]}}",
              &m, why, sizeof why),
        0);
    assert_true(m.has_probe && m.has_pixel_spacing && m.has_depth && m.has_width && m.has_height &&
                m.has_fps && m.has_codec && m.has_source);
    assert_string_equal(m.probe, "L14-5 linear");
    assert_true(m.pixel_spacing_x_mm == 0.1);
    assert_true(m.pixel_spacing_y_mm == 0.125);
    assert_true(m.depth_mm == 40.0);
    assert_int_equal(m.width, 820);
    assert_int_equal(m.height, 616);
    assert_true(m.fps == 11.63);
    assert_int_equal(m.codec, TSN_STREAM_CODEC_H264);
    assert_int_equal(m.source, TSN_STREAM_SOURCE_FILE);

    /* One field is enough; the others stay absent. */
    assert_int_equal(parse("{\"source\":\"v4l2\"}", &m, why, sizeof why), 0);
    assert_int_equal(m.has_source, 1);
    assert_int_equal(m.source, TSN_STREAM_SOURCE_V4L2);
    assert_int_equal(m.has_probe + m.has_pixel_spacing + m.has_depth + m.has_width + m.has_height +
                         m.has_fps + m.has_codec,
                     0);
    assert_int_equal(parse("{\"source\":\"phantom\",\"codec\":\"VP8\"}", &m, why, sizeof why), 0);
    assert_int_equal(m.source, TSN_STREAM_SOURCE_PHANTOM);
    assert_int_equal(m.codec, TSN_STREAM_CODEC_VP8);
}

static void test_range_ends(void **state)
{
    struct tsn_stream_meta m;
    char why[256];
    assert_int_equal(parse("{\"pixel_spacing_mm\":{\"x\":0.001,\"y\":10},\"depth_mm\":1,"
                           "\"width\":16,\"height\":4320,\"fps\":240}",
                           &m, why, sizeof why),
                     0);
    assert_true(m.pixel_spacing_x_mm == 0.001);
    assert_true(m.pixel_spacing_y_mm == 10.0);
    assert_true(m.depth_mm == 1.0);
    assert_int_equal(m.width, 16);
    assert_int_equal(m.height, 4320);
    assert_true(m.fps == 240.0);
    /* Integers are numbers too; exponents are fine. */
    assert_int_equal(parse("{\"pixel_spacing_mm\":{\"x\":10,\"y\":1e-3},\"depth_mm\":500.0,"
                           "\"width\":7680,\"height\":16,\"fps\":1}",
                           &m, why, sizeof why),
                     0);
    assert_true(m.pixel_spacing_y_mm == 0.001);
    assert_true(m.depth_mm == 500.0);
    assert_int_equal(m.width, 7680);
    assert_true(m.fps == 1.0);
}

static void test_invalid_fields(void **state)
{
    /* Not an object, nothing known, not JSON. */
    expect_reject("[]", "field 'stream' must be an object");
    expect_reject("null", "field 'stream' must be an object");
    expect_reject("\"probe\"", "field 'stream' must be an object");
    expect_reject("{}", "at least one of probe");
    expect_reject("{\"Probe\":\"x\",\"depth\":3}", "at least one of");
    expect_reject("{\"probe\":", "not valid JSON");
    expect_reject("{\"fps\":30,\"fps\":31}", "not valid JSON"); /* duplicate keys */
    /* probe */
    expect_reject("{\"probe\":5}", "field 'stream.probe' must be a string of 1 to 64");
    expect_reject("{\"probe\":null}", "'stream.probe'");
    expect_reject("{\"probe\":\"\"}", "'stream.probe'");
    expect_reject("{\"probe\":[\"x\"]}", "'stream.probe'");
    /* pixel_spacing_mm */
    expect_reject("{\"pixel_spacing_mm\":0.1}",
                  "field 'stream.pixel_spacing_mm' must be an object {\"x\":mm,\"y\":mm}");
    expect_reject("{\"pixel_spacing_mm\":[0.1,0.1]}", "'stream.pixel_spacing_mm'");
    expect_reject("{\"pixel_spacing_mm\":{\"y\":0.1}}",
                  "field 'stream.pixel_spacing_mm.x' must be a number from 0.001 to 10");
    expect_reject("{\"pixel_spacing_mm\":{\"x\":0.1}}",
                  "field 'stream.pixel_spacing_mm.y' must be a number from 0.001 to 10");
    expect_reject("{\"pixel_spacing_mm\":{\"x\":0.0009,\"y\":0.1}}", "'stream.pixel_spacing_mm.x'");
    expect_reject("{\"pixel_spacing_mm\":{\"x\":0.1,\"y\":10.001}}", "'stream.pixel_spacing_mm.y'");
    expect_reject("{\"pixel_spacing_mm\":{\"x\":\"0.1\",\"y\":0.1}}",
                  "'stream.pixel_spacing_mm.x'");
    expect_reject("{\"pixel_spacing_mm\":{\"x\":-0.1,\"y\":0.1}}", "'stream.pixel_spacing_mm.x'");
    expect_reject("{\"pixel_spacing_mm\":{\"x\":0,\"y\":0}}", "'stream.pixel_spacing_mm.x'");
    /* depth_mm */
    expect_reject("{\"depth_mm\":0.999}", "field 'stream.depth_mm' must be a number from 1 to 500");
    expect_reject("{\"depth_mm\":500.5}", "'stream.depth_mm'");
    expect_reject("{\"depth_mm\":\"40\"}", "'stream.depth_mm'");
    expect_reject("{\"depth_mm\":true}", "'stream.depth_mm'");
    expect_reject("{\"depth_mm\":null}", "'stream.depth_mm'");
    /* width / height: integers only */
    expect_reject("{\"width\":15}", "field 'stream.width' must be an integer from 16 to 7680");
    expect_reject("{\"width\":7681}", "'stream.width'");
    expect_reject("{\"width\":640.0}", "'stream.width'");
    expect_reject("{\"width\":\"640\"}", "'stream.width'");
    expect_reject("{\"width\":-640}", "'stream.width'");
    expect_reject("{\"height\":15}", "field 'stream.height' must be an integer from 16 to 4320");
    expect_reject("{\"height\":4321}", "'stream.height'");
    expect_reject("{\"height\":480.5}", "'stream.height'");
    /* fps */
    expect_reject("{\"fps\":0.5}", "field 'stream.fps' must be a number from 1 to 240");
    expect_reject("{\"fps\":240.01}", "'stream.fps'");
    expect_reject("{\"fps\":{}}", "'stream.fps'");
    /* codec / source: exact names */
    expect_reject("{\"codec\":\"h264\"}", "field 'stream.codec' must be \"H264\" or \"VP8\"");
    expect_reject("{\"codec\":\"H.264\"}", "'stream.codec'");
    expect_reject("{\"codec\":\"VP9\"}", "'stream.codec'");
    expect_reject("{\"codec\":1}", "'stream.codec'");
    expect_reject("{\"codec\":\"VP8\\u0000\"}", "'stream.codec'");
    expect_reject("{\"source\":\"camera\"}",
                  "field 'stream.source' must be \"phantom\", \"file\" or \"v4l2\"");
    expect_reject("{\"source\":\"\"}", "'stream.source'");
    /* One bad field refuses all, even after good ones. */
    expect_reject("{\"probe\":\"ok\",\"width\":640,\"height\":1}", "'stream.height'");
}

/* JSON has no NaN or infinity; the nearest things are huge numbers. */
static void test_huge_numbers(void **state)
{
    expect_reject("{\"depth_mm\":1e308}", "'stream.depth_mm'");
    expect_reject("{\"depth_mm\":-1e308}", "'stream.depth_mm'");
    expect_reject("{\"fps\":1e-320}", "'stream.fps'"); /* subnormal */
    expect_reject("{\"pixel_spacing_mm\":{\"x\":1e300,\"y\":1}}", "'stream.pixel_spacing_mm.x'");
    expect_reject("{\"width\":9223372036854775807}", "'stream.width'");
    expect_reject("{\"width\":-9223372036854775807}", "'stream.width'");
    expect_reject("{\"height\":4294967312}", "'stream.height'"); /* 2^32 + 16 does not wrap */
    /* Beyond double or int64: jansson refuses the text. */
    expect_reject("{\"depth_mm\":1e400}", "not valid JSON");
    expect_reject("{\"width\":99999999999999999999}", "not valid JSON");
    expect_reject("{\"fps\":NaN}", "not valid JSON");
    expect_reject("{\"fps\":Infinity}", "not valid JSON");
}

static void test_probe_text(void **state)
{
    struct tsn_stream_meta m;
    char why[256], text[1024];
    /* 64 ASCII characters: accepted; 65: refused. */
    char p[80];
    memset(p, 'a', 64);
    p[64] = '\0';
    snprintf(text, sizeof text, "{\"probe\":\"%s\"}", p);
    assert_int_equal(parse(text, &m, why, sizeof why), 0);
    assert_int_equal(strlen(m.probe), 64);
    snprintf(text, sizeof text, "{\"probe\":\"%sb\"}", p);
    expect_reject(text, "'stream.probe' must be a string of 1 to 64 printable characters");
    /* Length is in characters: 64 four-byte characters (256 bytes) fit. */
    size_t o = (size_t)snprintf(text, sizeof text, "{\"probe\":\"");
    for (int i = 0; i < 64; i++, o += 4)
        memcpy(text + o, "\xf0\x9f\xa9\xba", 4); /* U+1FA7A */
    snprintf(text + o, sizeof text - o, "\"}");
    assert_int_equal(parse(text, &m, why, sizeof why), 0);
    assert_int_equal(strlen(m.probe), 256);
    snprintf(text + o, sizeof text - o, "x\"}");
    expect_reject(text, "'stream.probe'");
    /* Escapes and non-ASCII letters are fine. */
    assert_int_equal(
        parse("{\"probe\":\"Sonde \\u00e9 \\\"C5\\\" \xe2\x84\xa2\"}", &m, why, sizeof why), 0);
    assert_string_equal(m.probe, "Sonde \xc3\xa9 \"C5\" \xe2\x84\xa2");
    /* Control characters: C0 (tab, newline, NUL), DEL, C1. */
    expect_reject("{\"probe\":\"a\\tb\"}", "'stream.probe'");
    expect_reject("{\"probe\":\"a\\nb\"}", "'stream.probe'");
    expect_reject("{\"probe\":\"a\\u0000b\"}", "'stream.probe'");
    expect_reject("{\"probe\":\"\\u001f\"}", "'stream.probe'");
    expect_reject("{\"probe\":\"a\\u007f\"}", "'stream.probe'");
    expect_reject("{\"probe\":\"a\\u0085\"}", "'stream.probe'");
    expect_reject("{\"probe\":\"a\xc2\x9f\"}", "'stream.probe'");
    /* U+00A0 (after C1) is printable. */
    assert_int_equal(parse("{\"probe\":\"a\\u00a0b\"}", &m, why, sizeof why), 0);
    /* Invalid UTF-8 never gets this far. */
    expect_reject("{\"probe\":\"\xff\"}", "not valid JSON");
}

/* Formatting then parsing gives back exactly the same values. */
static void test_round_trip(void **state)
{
    struct tsn_stream_meta m, back;
    char why[256];
    assert_int_equal(parse("{\"probe\":\"P\",\"pixel_spacing_mm\":{\"x\":0.1234567890123456789,"
                           "\"y\":0.3},\"depth_mm\":123.456,\"fps\":29.97,\"width\":1920,"
                           "\"height\":1080,\"codec\":\"VP8\",\"source\":\"phantom\"}",
                           &m, why, sizeof why),
                     0);
    /* Rounded to 15 significant digits at parse time. */
    assert_true(m.pixel_spacing_x_mm == 0.123456789012346);
    char *text = tsn_stream_meta_dumps(&m, -1);
    assert_non_null(text);
    assert_null(strstr(text, "live"));
    assert_non_null(strstr(text, "\"y\":0.3}"));
    assert_non_null(strstr(text, "\"depth_mm\":123.456"));
    assert_int_equal(parse(text, &back, why, sizeof why), 0);
    assert_true(tsn_stream_meta_equal(&m, &back));
    assert_memory_equal(&m, &back, sizeof m);
    free(text);

    text = tsn_stream_meta_dumps(&m, 1);
    assert_non_null(strstr(text, "\"live\":true"));
    free(text);
    text = tsn_stream_meta_dumps(&m, 0);
    assert_non_null(strstr(text, "\"live\":false"));
    free(text);

    struct tsn_stream_meta only_w = {.has_width = 1, .width = 640};
    text = tsn_stream_meta_dumps(&only_w, 1);
    assert_string_equal(text, "{\"width\":640,\"live\":true}");
    free(text);
    /* A probe that is not UTF-8 (never parsed, but possible in a struct): NULL. */
    struct tsn_stream_meta bad = {.has_probe = 1, .probe = "\xc3"};
    assert_null(tsn_stream_meta_to_json(&bad, 1));
}

static void test_merge_equal(void **state)
{
    struct tsn_stream_meta a, b;
    char why[256];
    assert_int_equal(parse("{\"probe\":\"L14\",\"depth_mm\":40,\"fps\":30}", &a, why, sizeof why),
                     0);
    assert_int_equal(parse("{\"depth_mm\":60,\"width\":640}", &b, why, sizeof why), 0);
    assert_false(tsn_stream_meta_equal(&a, &b));
    tsn_stream_meta_merge(&a, &b);
    assert_string_equal(a.probe, "L14");
    assert_true(a.depth_mm == 60.0);
    assert_int_equal(a.has_width, 1);
    assert_int_equal(a.width, 640);
    assert_true(a.fps == 30.0);
    assert_int_equal(a.has_height, 0);
    struct tsn_stream_meta c = a;
    assert_true(tsn_stream_meta_equal(&a, &c));
    c.fps = 25;
    assert_false(tsn_stream_meta_equal(&a, &c));
    c = a;
    c.has_height = 1;
    assert_false(tsn_stream_meta_equal(&a, &c));
    /* Values behind a clear has_* flag do not count. */
    struct tsn_stream_meta x = {.width = 5}, y = {.width = 6};
    assert_true(tsn_stream_meta_equal(&x, &y));
}

static void test_names(void **state)
{
    assert_string_equal(tsn_stream_codec_name(TSN_STREAM_CODEC_H264), "H264");
    assert_string_equal(tsn_stream_codec_name(TSN_STREAM_CODEC_VP8), "VP8");
    assert_string_equal(tsn_stream_codec_name((enum tsn_stream_codec)0), "unknown");
    assert_string_equal(tsn_stream_codec_name((enum tsn_stream_codec)9), "unknown");
    assert_string_equal(tsn_stream_source_name(TSN_STREAM_SOURCE_PHANTOM), "phantom");
    assert_string_equal(tsn_stream_source_name(TSN_STREAM_SOURCE_FILE), "file");
    assert_string_equal(tsn_stream_source_name(TSN_STREAM_SOURCE_V4L2), "v4l2");
    assert_string_equal(tsn_stream_source_name((enum tsn_stream_source)4), "unknown");
}

static struct tsn_stream_meta meta_of(const char *text)
{
    struct tsn_stream_meta m;
    char why[256];
    if (parse(text, &m, why, sizeof why) != 0)
        fail_msg("%s: %s", text, why);
    return m;
}

static void test_rooms(void **state)
{
    struct tsn_stream_rooms *r = tsn_stream_rooms_new(8);
    assert_non_null(r);
    struct tsn_stream_meta got;
    int live = -1;
    assert_int_equal(tsn_stream_rooms_get(r, "a", &got, &live), 0);
    assert_int_equal(live, -1);

    struct tsn_stream_meta m1 = meta_of("{\"probe\":\"L14\",\"depth_mm\":40}");
    assert_int_equal(tsn_stream_rooms_set(r, "a", SESSION_A, &m1, 0), 1);
    assert_int_equal(tsn_stream_rooms_get(r, "a", &got, &live), 1);
    assert_int_equal(live, 1);
    assert_true(tsn_stream_meta_equal(&got, &m1));
    /* Room isolation. */
    assert_int_equal(tsn_stream_rooms_get(r, "b", NULL, NULL), 0);
    assert_int_equal(tsn_stream_rooms_get(r, "A", NULL, NULL), 0);
    /* The same again: no change. */
    assert_int_equal(tsn_stream_rooms_set(r, "a", SESSION_A, &m1, 0), 0);
    assert_int_equal(tsn_stream_rooms_set(r, "a", SESSION_A, &m1, 1), 0);
    /* A merge by the same session keeps the other fields. */
    struct tsn_stream_meta d = meta_of("{\"depth_mm\":80}");
    assert_int_equal(tsn_stream_rooms_set(r, "a", SESSION_A, &d, 1), 1);
    tsn_stream_rooms_get(r, "a", &got, &live);
    assert_string_equal(got.probe, "L14");
    assert_true(got.depth_mm == 80.0);
    /* Ending another session changes nothing; ending this one keeps the values. */
    assert_int_equal(tsn_stream_rooms_end(r, "a", SESSION_B), 0);
    assert_int_equal(tsn_stream_rooms_end(r, "b", SESSION_A), 0);
    assert_int_equal(tsn_stream_rooms_end(r, "a", SESSION_A), 1);
    assert_int_equal(tsn_stream_rooms_end(r, "a", SESSION_A), 0); /* once */
    assert_int_equal(tsn_stream_rooms_get(r, "a", &got, &live), 1);
    assert_int_equal(live, 0);
    assert_true(got.depth_mm == 80.0);
    assert_string_equal(got.probe, "L14");
    /* A new publisher's update starts afresh, even with merge. */
    struct tsn_stream_meta w = meta_of("{\"width\":640}");
    assert_int_equal(tsn_stream_rooms_set(r, "a", SESSION_B, &w, 1), 1);
    tsn_stream_rooms_get(r, "a", &got, &live);
    assert_int_equal(live, 1);
    assert_true(tsn_stream_meta_equal(&got, &w));
    /* The same values, but live again, is a change. */
    assert_int_equal(tsn_stream_rooms_end(r, "a", SESSION_B), 1);
    assert_int_equal(tsn_stream_rooms_set(r, "a", SESSION_B, &w, 1), 1);
    /* A publisher replaced while live: the old one's end is ignored. */
    assert_int_equal(tsn_stream_rooms_set(r, "a", SESSION_A, &m1, 0), 1);
    assert_int_equal(tsn_stream_rooms_end(r, "a", SESSION_B), 0);
    tsn_stream_rooms_get(r, "a", &got, &live);
    assert_int_equal(live, 1);
    assert_true(tsn_stream_meta_equal(&got, &m1));
    assert_int_equal(tsn_stream_rooms_count(r), 1);
    tsn_stream_rooms_free(r);
    tsn_stream_rooms_free(NULL);
}

static void test_rooms_eviction(void **state)
{
    struct tsn_stream_rooms *r = tsn_stream_rooms_new(3);
    struct tsn_stream_meta m = meta_of("{\"fps\":30}");
    assert_int_equal(tsn_stream_rooms_set(r, "r1", SESSION_A, &m, 0), 1);
    assert_int_equal(tsn_stream_rooms_set(r, "r2", SESSION_A, &m, 0), 1);
    assert_int_equal(tsn_stream_rooms_set(r, "r3", SESSION_A, &m, 0), 1);
    assert_int_equal(tsn_stream_rooms_end(r, "r2", SESSION_A), 1);
    /* Full: the ended room goes first, although r1 is older. */
    assert_int_equal(tsn_stream_rooms_set(r, "r4", SESSION_A, &m, 0), 1);
    assert_int_equal(tsn_stream_rooms_count(r), 3);
    assert_int_equal(tsn_stream_rooms_get(r, "r2", NULL, NULL), 0);
    assert_int_equal(tsn_stream_rooms_get(r, "r1", NULL, NULL), 1);
    /* All live: the one changed longest ago goes. */
    assert_int_equal(tsn_stream_rooms_set(r, "r5", SESSION_A, &m, 0), 1);
    assert_int_equal(tsn_stream_rooms_get(r, "r1", NULL, NULL), 0);
    assert_int_equal(tsn_stream_rooms_get(r, "r3", NULL, NULL), 1);
    assert_int_equal(tsn_stream_rooms_get(r, "r4", NULL, NULL), 1);
    assert_int_equal(tsn_stream_rooms_get(r, "r5", NULL, NULL), 1);
    assert_int_equal(tsn_stream_rooms_count(r), 3);
    tsn_stream_rooms_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_object),    cmocka_unit_test(test_range_ends),
        cmocka_unit_test(test_invalid_fields), cmocka_unit_test(test_huge_numbers),
        cmocka_unit_test(test_probe_text),     cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_merge_equal),    cmocka_unit_test(test_names),
        cmocka_unit_test(test_rooms),          cmocka_unit_test(test_rooms_eviction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
