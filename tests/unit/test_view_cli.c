/* Unit tests for viewer/view_cli.c: the defaults, every flag in both
 * "--flag VALUE" and "--flag=VALUE" forms, the relay URL split (schemes,
 * IPv6, ports, paths), and each refusal with the reason the user sees
 * (missing or doubled flags, bad numbers, token and TLS rules). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "view_cli.h"

#define FP_HEX                                                                                     \
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:"   \
    "67:89"

/* Parses a NULL-terminated list of arguments (argv[0] is added). */
static int parse_list(struct tsn_view_opts *o, char *why, size_t why_len, const char *first, ...)
{
    char *argv[64] = {"telesono-view"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    memset(o, 0x5A, sizeof *o);
    return tsn_view_cli_parse(argc, argv, o, why, why_len);
}

#define PARSE(o, why, ...) parse_list(o, why, sizeof why, __VA_ARGS__, (const char *)NULL)

/* Expects a refusal whose reason contains `part`. */
#define EXPECT_REFUSED(part, ...)                                                                  \
    do {                                                                                           \
        struct tsn_view_opts o_;                                                                   \
        char why_[300] = "";                                                                       \
        assert_int_equal(PARSE(&o_, why_, __VA_ARGS__), -EINVAL);                                  \
        if (!strstr(why_, part))                                                                   \
            fail_msg("reason '%s' does not contain '%s'", why_, part);                             \
    } while (0)

static void test_defaults(void **state)
{
    struct tsn_view_opts o;
    char why[200] = "";
    assert_int_equal(PARSE(&o, why, "--relay", "https://127.0.0.1:8443", "--token", "abc"), 0);
    assert_string_equal(o.relay_url, "https://127.0.0.1:8443");
    assert_string_equal(o.relay_host, "127.0.0.1");
    assert_int_equal(o.relay_port, 8443);
    assert_string_equal(o.ws_url, "wss://127.0.0.1:8443/ws");
    assert_string_equal(o.token, "abc");
    assert_null(o.token_file);
    assert_null(o.room);
    assert_null(o.tls.ca_file);
    assert_int_equal(o.tls.has_pin, 0);
    assert_int_equal(o.tls.insecure, 0);
    assert_int_equal(o.headless, 0);
    assert_true(o.duration_s == 0.0);
    assert_null(o.stats_json);
    assert_null(o.dump_dir);
    assert_int_equal(o.connect_timeout_ms, 10000);
    assert_int_equal(o.latency_ms, 50);
    assert_int_equal(o.log_level, TSN_LOG_INFO);
}

static void test_every_flag(void **state)
{
    struct tsn_view_opts o;
    char why[200] = "";
    assert_int_equal(PARSE(&o, why, "--relay", "wss://relay.example:9443/ws", "--token-file",
                           "/tmp/t.jwt", "--room", "demo_1-A", "--fingerprint", FP_HEX,
                           "--headless", "--duration", "2.5", "--stats-json", "/tmp/s.json",
                           "--dump-frames", "/tmp/frames", "--connect-timeout", "0.5",
                           "--latency-ms", "0", "--log-level", "debug"),
                     0);
    assert_string_equal(o.relay_host, "relay.example");
    assert_int_equal(o.relay_port, 9443);
    assert_string_equal(o.ws_url, "wss://relay.example:9443/ws");
    assert_null(o.token);
    assert_string_equal(o.token_file, "/tmp/t.jwt");
    assert_string_equal(o.room, "demo_1-A");
    assert_int_equal(o.tls.has_pin, 1);
    assert_int_equal(o.tls.pin_sha256[0], 0xAB);
    assert_int_equal(o.tls.pin_sha256[31], 0x89);
    assert_int_equal(o.headless, 1);
    assert_true(o.duration_s == 2.5);
    assert_string_equal(o.stats_json, "/tmp/s.json");
    assert_string_equal(o.dump_dir, "/tmp/frames");
    assert_int_equal(o.connect_timeout_ms, 500);
    assert_int_equal(o.latency_ms, 0);
    assert_int_equal(o.log_level, TSN_LOG_DEBUG);
}

static void test_equals_form(void **state)
{
    struct tsn_view_opts o;
    char why[200] = "";
    assert_int_equal(PARSE(&o, why, "--relay=https://[::1]:7000", "--token=x.y.z", "--duration=0",
                           "--latency-ms=200", "--insecure", "--connect-timeout=30"),
                     0);
    assert_string_equal(o.relay_host, "::1");
    assert_int_equal(o.relay_port, 7000);
    assert_string_equal(o.ws_url, "wss://[::1]:7000/ws");
    assert_string_equal(o.token, "x.y.z");
    assert_int_equal(o.tls.insecure, 1);
    assert_int_equal(o.latency_ms, 200);
    assert_int_equal(o.connect_timeout_ms, 30000);
}

static void test_ca_file(void **state)
{
    char path[] = "/tmp/test_view_cli_ca_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct tsn_view_opts o;
    char why[300] = "";
    assert_int_equal(PARSE(&o, why, "--relay", "https://h:1", "--token", "t", "--ca", path), 0);
    assert_string_equal(o.tls.ca_file, path);
    unlink(path);
    EXPECT_REFUSED("--ca", "--relay", "https://h:1", "--token", "t", "--ca", path);
}

static void test_help(void **state)
{
    struct tsn_view_opts o;
    char why[200] = "";
    assert_int_equal(PARSE(&o, why, "--help"), 1);
    /* --help wins over anything else on the line, even errors. */
    assert_int_equal(PARSE(&o, why, "--bogus", "-h"), 1);
}

static void test_required_and_exclusive(void **state)
{
    EXPECT_REFUSED("--relay URL is required", "--token", "t");
    EXPECT_REFUSED("exactly one of --token", "--relay", "https://h:1");
    EXPECT_REFUSED("exactly one of --token", "--relay", "https://h:1", "--token", "t",
                   "--token-file", "/f");
    EXPECT_REFUSED("exclude each other", "--relay", "https://h:1", "--token", "t", "--insecure",
                   "--fingerprint", FP_HEX);
    EXPECT_REFUSED("--token is given twice", "--relay", "https://h:1", "--token", "t", "--token",
                   "u");
    EXPECT_REFUSED("--headless is given twice", "--relay", "https://h:1", "--token", "t",
                   "--headless", "--headless");
}

static void test_bad_syntax(void **state)
{
    EXPECT_REFUSED("unknown flag '--frobnicate'", "--relay", "https://h:1", "--token", "t",
                   "--frobnicate");
    EXPECT_REFUSED("unexpected argument 5: not a --flag", "--relay", "https://h:1", "--token", "t",
                   "extra");
    EXPECT_REFUSED("unknown flag '-t'", "-t", "x");
    /* A value after '=' is never echoed (it may be a token). */
    EXPECT_REFUSED("unknown flag '--tokn' (see", "--tokn=eyJsecret");
    {
        struct tsn_view_opts o;
        char why[300] = "";
        assert_int_equal(PARSE(&o, why, "--relay", "https://h:1", "eyJsecret.part.sig"), -EINVAL);
        assert_null(strstr(why, "eyJ"));
        assert_int_equal(PARSE(&o, why, "--tokn=eyJsecret"), -EINVAL);
        assert_null(strstr(why, "eyJ"));
    }
    EXPECT_REFUSED("--duration needs a value", "--relay", "https://h:1", "--token", "t",
                   "--duration");
    EXPECT_REFUSED("--headless takes no value", "--relay", "https://h:1", "--token", "t",
                   "--headless=1");
    EXPECT_REFUSED("--token is empty", "--relay", "https://h:1", "--token", "");
    /* A prefix of a flag is not that flag. */
    EXPECT_REFUSED("unknown flag '--dur'", "--relay", "https://h:1", "--token", "t", "--dur", "3");
}

static void test_bad_values(void **state)
{
#define BASE "--relay", "https://h:1", "--token", "t"
    EXPECT_REFUSED("--duration needs a number", BASE, "--duration", "-1");
    EXPECT_REFUSED("--duration needs a number", BASE, "--duration", "abc");
    EXPECT_REFUSED("--duration needs a number", BASE, "--duration", "5s");
    EXPECT_REFUSED("--duration needs a number", BASE, "--duration", "inf");
    EXPECT_REFUSED("--connect-timeout needs a number", BASE, "--connect-timeout", "0");
    EXPECT_REFUSED("--connect-timeout needs a number", BASE, "--connect-timeout", "99999");
    EXPECT_REFUSED("--latency-ms needs a whole number", BASE, "--latency-ms", "1.5");
    EXPECT_REFUSED("--latency-ms needs a whole number", BASE, "--latency-ms", "-3");
    EXPECT_REFUSED("--latency-ms needs a whole number", BASE, "--latency-ms", "10001");
    EXPECT_REFUSED("--log-level 'loud'", BASE, "--log-level", "loud");
    EXPECT_REFUSED("--room: use 1-64", BASE, "--room", "a/b");
    EXPECT_REFUSED("--room: use 1-64", BASE, "--room", "");
    EXPECT_REFUSED("--room: use 1-64", BASE, "--room",
                   "x2345678901234567890123456789012345678901234567890123456789012345");
    EXPECT_REFUSED("", BASE, "--fingerprint", "12:34");
    EXPECT_REFUSED("--stats-json is empty", BASE, "--stats-json", "");
    EXPECT_REFUSED("--dump-frames is empty", BASE, "--dump-frames", "");
#undef BASE
}

static void test_room_max_length(void **state)
{
    struct tsn_view_opts o;
    char why[200] = "";
    const char *room64 = "x234567890123456789012345678901234567890123456789012345678901234";
    assert_int_equal(strlen(room64), 64);
    assert_int_equal(PARSE(&o, why, "--relay", "https://h:1", "--token", "t", "--room", room64), 0);
    assert_string_equal(o.room, room64);
}

/* The signalling URL: https:// means the relay's /ws; a wss:// path is kept. */
static void test_ws_url(void **state)
{
    static const char *const cases[][2] = {
        {"https://h:1", "wss://h:1/ws"},
        {"https://h:1/", "wss://h:1/ws"},
        {"https://h:1/whatever", "wss://h:1/ws"},
        {"wss://h:1", "wss://h:1/ws"},
        {"wss://h:1/", "wss://h:1/ws"},
        {"wss://h/ws", "wss://h:443/ws"},
        {"wss://h:2/other/ws", "wss://h:2/other/ws"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tsn_view_opts o;
        char why[200] = "";
        assert_int_equal(PARSE(&o, why, "--relay", cases[i][0], "--token", "t"), 0);
        assert_string_equal(o.ws_url, cases[i][1]);
    }
}

static void url_ok(const char *url, const char *host, int port)
{
    char h[256] = "", why[200] = "";
    int p = -1;
    if (tsn_view_cli_parse_url(url, h, sizeof h, &p, why, sizeof why) != 0)
        fail_msg("'%s' refused: %s", url, why);
    assert_string_equal(h, host);
    assert_int_equal(p, port);
}

static void url_bad(const char *url, const char *part)
{
    char h[256] = "", why[200] = "";
    int p = -1;
    assert_int_equal(tsn_view_cli_parse_url(url, h, sizeof h, &p, why, sizeof why), -EINVAL);
    if (!strstr(why, part))
        fail_msg("'%s': reason '%s' does not contain '%s'", url, why, part);
}

static void test_urls(void **state)
{
    url_ok("https://127.0.0.1:8443", "127.0.0.1", 8443);
    url_ok("https://127.0.0.1:8443/", "127.0.0.1", 8443);
    url_ok("wss://127.0.0.1:8443/ws", "127.0.0.1", 8443);
    url_ok("wss://relay.example.org/ws", "relay.example.org", 443);
    url_ok("https://[::1]:8443/ws", "::1", 8443);
    url_ok("https://localhost:1", "localhost", 1);
    url_ok("https://h:65535", "h", 65535);

    url_bad("http://127.0.0.1:8443", "use https://HOST:PORT");
    url_bad("ws://127.0.0.1:8443/ws", "use https://HOST:PORT");
    url_bad("127.0.0.1:8443", "use https://HOST:PORT");
    url_bad("https://", "has no host");
    url_bad("https://:8443", "has no host");
    url_bad("https://h:0", "port must be a number");
    url_bad("https://h:65536", "port must be a number");
    url_bad("https://h:99999999999999999999", "port must be a number");
    url_bad("https://h:", "port must be a number");
    url_bad("https://h:12ab", "unexpected 'ab'");
    url_bad("https://[::1:8443", "unterminated");
    url_bad("https://h st:1", "bad character");
    url_bad("https://user@h:1", "bad character");
}

static void test_long_host(void **state)
{
    char url[400];
    memset(url, 0, sizeof url);
    strcpy(url, "https://");
    memset(url + 8, 'a', 300);
    char h[256], why[200] = "";
    int p = 0;
    assert_int_equal(tsn_view_cli_parse_url(url, h, sizeof h, &p, why, sizeof why), -EINVAL);
    assert_non_null(strstr(why, "too long"));
}

static void test_usage_mentions_every_flag(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    tsn_view_cli_usage(f);
    fclose(f);
    static const char *const names[] = {
        "--relay",       "--token",           "--token-file", "--room",      "--ca",
        "--fingerprint", "--insecure",        "--headless",   "--duration",  "--stats-json",
        "--dump-frames", "--connect-timeout", "--latency-ms", "--log-level", "--help"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strstr(text, names[i]))
            fail_msg("usage does not mention %s", names[i]);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_flag),
        cmocka_unit_test(test_equals_form),
        cmocka_unit_test(test_ca_file),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_required_and_exclusive),
        cmocka_unit_test(test_bad_syntax),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_room_max_length),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_ws_url),
        cmocka_unit_test(test_long_host),
        cmocka_unit_test(test_usage_mentions_every_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
