/* Unit tests for capture/capture_cli.c: the defaults (phantom 640x480 at 30
 * fps, keyframes every 2 s and at most one per 500 ms on PLI, a 10 s first
 * connection), every flag in "--flag VALUE" and "--flag=VALUE" forms, the
 * source forms, repeated --mask and --ice-ip up to their limits, the pixel
 * spacing forms, the token from --token or --token-file, and each refusal
 * with the reason the user sees (missing --relay or token, unknown flags,
 * stray arguments, bad values, two TLS modes). Also: --help alone is
 * accepted, the options are zero after a refusal and after
 * tsn_capture_opts_clear, and a refused parse does not disturb the next. */
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

#include "capture_cli.h"

#define RELAY "https://127.0.0.1:8443"
#define FP_HEX                                                                                     \
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:"   \
    "67:89"

/* Parses a NULL-terminated list of arguments (argv[0] is added). The array
 * is static because getopt_long permutes it and options point into it. */
static int parse_list(struct tsn_capture_opts *o, char *why, size_t why_len, const char *first, ...)
{
    static char *argv[80];
    int argc = 0;
    argv[argc++] = (char *)"telesono-capture";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        assert_true(argc < 79);
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;
    memset(o, 0x5A, sizeof *o);
    return tsn_capture_cli_parse(argc, argv, o, why, why_len);
}

#define PARSE(o, why, ...) parse_list(o, why, sizeof why, __VA_ARGS__, (const char *)NULL)
#define BASE               "--relay", RELAY, "--token", "tok.en.x"

static void assert_zero(const struct tsn_capture_opts *o)
{
    struct tsn_capture_opts zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(o, &zero, sizeof zero);
}

/* Expects a refusal whose reason contains `part`, and zeroed options. */
#define EXPECT_REFUSED(part, ...)                                                                  \
    do {                                                                                           \
        struct tsn_capture_opts o_;                                                                \
        char why_[300] = "";                                                                       \
        assert_int_equal(PARSE(&o_, why_, __VA_ARGS__), -EINVAL);                                  \
        if (!strstr(why_, part))                                                                   \
            fail_msg("reason '%s' does not contain '%s'", why_, part);                             \
        assert_null(strchr(why_, '\n'));                                                           \
        assert_zero(&o_);                                                                          \
    } while (0)

static void test_defaults(void **state)
{
    struct tsn_capture_opts o;
    char why[200] = "";
    assert_int_equal(PARSE(&o, why, BASE), 0);
    assert_string_equal(o.relay_url, RELAY);
    assert_string_equal(o.token, "tok.en.x");
    assert_null(o.room);
    assert_int_equal(o.source, TSN_SOURCE_PHANTOM);
    assert_null(o.source_path);
    assert_int_equal(o.width, 640);
    assert_int_equal(o.height, 480);
    assert_int_equal(o.fps_num, 30);
    assert_int_equal(o.fps_den, 1);
    assert_int_equal(o.n_masks, 0);
    assert_int_equal(o.vp8, 0);
    assert_int_equal(o.bitrate_kbps, 0);
    assert_true(o.keyframe_interval_s == 2.0);
    assert_int_equal(o.keyframe_min_interval_ms, 500);
    assert_null(o.probe);
    assert_true(o.spacing_x_mm == 0 && o.spacing_y_mm == 0 && o.depth_mm == 0);
    assert_null(o.tls.ca_file);
    assert_int_equal(o.tls.has_pin, 0);
    assert_int_equal(o.tls.insecure, 0);
    assert_int_equal(o.connect_timeout_s, 10);
    assert_int_equal(o.duration_s, 0);
    assert_int_equal(o.wait_for_device, 0);
    assert_int_equal(o.record, 0);
    assert_null(o.stats_json);
    assert_null(o.frame_log);
    assert_int_equal(o.n_ice_ips, 0);
    assert_null(o.ice_ips[0]);
    assert_null(o.log_level);
    assert_int_equal(o.help, 0);
    tsn_capture_opts_clear(&o);
    assert_zero(&o);
    tsn_capture_opts_clear(&o); /* twice is harmless */
}

static void test_every_flag(void **state)
{
    struct tsn_capture_opts o;
    char why[200] = "";
    assert_int_equal(
        PARSE(&o, why, "--relay", "wss://relay.example:9443", "--token", "t.o.k", "--room",
              "demo_1", "--source", "v4l2:/dev/video2", "--size", "1280x720", "--fps", "29.97",
              "--mask", "0,0,100,40", "--mask", "600,10,40,20", "--codec", "vp8", "--bitrate",
              "2500", "--keyframe-interval", "1.5", "--keyframe-min-interval-ms", "250", "--probe",
              "L14-5 linear", "--pixel-spacing", "0.12,0.15", "--depth", "45.5", "--fingerprint",
              FP_HEX, "--connect-timeout", "0", "--duration", "3600", "--wait-for-device",
              "--record", "--stats-json", "/tmp/s.json", "--frame-log", "/tmp/f.jsonl", "--ice-ip",
              "127.0.0.1", "--ice-ip", "::1", "--log-level", "debug"),
        0);
    assert_string_equal(o.relay_url, "wss://relay.example:9443");
    assert_string_equal(o.token, "t.o.k");
    assert_string_equal(o.room, "demo_1");
    assert_int_equal(o.source, TSN_SOURCE_V4L2);
    assert_string_equal(o.source_path, "/dev/video2");
    assert_int_equal(o.width, 1280);
    assert_int_equal(o.height, 720);
    assert_int_equal(o.fps_num, 29970);
    assert_int_equal(o.fps_den, 1000);
    assert_int_equal(o.n_masks, 2);
    assert_int_equal(o.masks[0].x, 0);
    assert_int_equal(o.masks[0].y, 0);
    assert_int_equal(o.masks[0].w, 100);
    assert_int_equal(o.masks[0].h, 40);
    assert_int_equal(o.masks[1].x, 600);
    assert_int_equal(o.masks[1].y, 10);
    assert_int_equal(o.masks[1].w, 40);
    assert_int_equal(o.masks[1].h, 20);
    assert_int_equal(o.vp8, 1);
    assert_int_equal(o.bitrate_kbps, 2500);
    assert_true(o.keyframe_interval_s == 1.5);
    assert_int_equal(o.keyframe_min_interval_ms, 250);
    assert_string_equal(o.probe, "L14-5 linear");
    assert_true(o.spacing_x_mm == 0.12);
    assert_true(o.spacing_y_mm == 0.15);
    assert_true(o.depth_mm == 45.5);
    assert_int_equal(o.tls.has_pin, 1);
    assert_int_equal(o.tls.pin_sha256[0], 0xAB);
    assert_int_equal(o.tls.pin_sha256[31], 0x89);
    assert_int_equal(o.connect_timeout_s, 0);
    assert_int_equal(o.duration_s, 3600);
    assert_int_equal(o.wait_for_device, 1);
    assert_int_equal(o.record, 1);
    assert_string_equal(o.stats_json, "/tmp/s.json");
    assert_string_equal(o.frame_log, "/tmp/f.jsonl");
    assert_int_equal(o.n_ice_ips, 2);
    assert_string_equal(o.ice_ips[0], "127.0.0.1");
    assert_string_equal(o.ice_ips[1], "::1");
    assert_null(o.ice_ips[2]);
    assert_string_equal(o.log_level, "debug");
    assert_int_equal(o.help, 0);
    tsn_capture_opts_clear(&o);
    assert_zero(&o);
}

static void test_equals_form(void **state)
{
    struct tsn_capture_opts o;
    char why[200] = "";
    assert_int_equal(PARSE(&o, why, "--relay=" RELAY, "--token=abc", "--size=320x240", "--fps=10",
                           "--codec=h264", "--insecure", "--pixel-spacing=0.2", "--mask=1,2,3,4"),
                     0);
    assert_string_equal(o.relay_url, RELAY);
    assert_string_equal(o.token, "abc");
    assert_int_equal(o.width, 320);
    assert_int_equal(o.height, 240);
    assert_int_equal(o.fps_num, 10000);
    assert_int_equal(o.fps_den, 1000);
    assert_int_equal(o.vp8, 0);
    assert_int_equal(o.tls.insecure, 1);
    assert_true(o.spacing_x_mm == 0.2 && o.spacing_y_mm == 0.2);
    assert_int_equal(o.n_masks, 1);
    assert_int_equal(o.masks[0].h, 4);
    tsn_capture_opts_clear(&o);
}

static void test_sources(void **state)
{
    struct tsn_capture_opts o;
    char why[200] = "";
    /* A file or a device keeps its own size and rate unless asked. */
    assert_int_equal(PARSE(&o, why, BASE, "--source", "file:/work/clip.mkv"), 0);
    assert_int_equal(o.source, TSN_SOURCE_FILE);
    assert_string_equal(o.source_path, "/work/clip.mkv");
    assert_int_equal(o.width, 0);
    assert_int_equal(o.height, 0);
    assert_int_equal(o.fps_num, 0);
    assert_int_equal(o.fps_den, 0);
    tsn_capture_opts_clear(&o);
    assert_int_equal(PARSE(&o, why, BASE, "--source", "v4l2:/dev/video0", "--fps", "60"), 0);
    assert_int_equal(o.source, TSN_SOURCE_V4L2);
    assert_string_equal(o.source_path, "/dev/video0");
    assert_int_equal(o.width, 0);
    assert_int_equal(o.fps_num, 60000);
    tsn_capture_opts_clear(&o);
    /* A path may contain ':'. */
    assert_int_equal(PARSE(&o, why, BASE, "--source", "file:a:b.mkv"), 0);
    assert_string_equal(o.source_path, "a:b.mkv");
    tsn_capture_opts_clear(&o);
    /* The phantom at another size and rate; the last --source wins. */
    assert_int_equal(PARSE(&o, why, BASE, "--source", "file:x.mkv", "--source", "phantom", "--size",
                           "320x240", "--fps", "15"),
                     0);
    assert_int_equal(o.source, TSN_SOURCE_PHANTOM);
    assert_int_equal(o.width, 320);
    assert_int_equal(o.height, 240);
    assert_int_equal(o.fps_num, 15000);
    assert_int_equal(o.fps_den, 1000);
    tsn_capture_opts_clear(&o);

    static const char *const bad[] = {"file:",     "v4l2:", "camera",  "",     "FILE:x",
                                      "phantom:x", "file",  "Phantom", "v4l2", " file:/tmp/x.mkv"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        EXPECT_REFUSED("--source must be phantom, file:PATH or v4l2:DEVICE", BASE, "--source",
                       bad[i]);
}

static void test_masks(void **state)
{
    struct tsn_capture_opts o;
    char why[200] = "";
    char texts[TSN_CAPTURE_MAX_MASKS + 1][32];
    const char *args[2 * (TSN_CAPTURE_MAX_MASKS + 1) + 5];
    for (int n = TSN_CAPTURE_MAX_MASKS; n <= TSN_CAPTURE_MAX_MASKS + 1; n++) {
        int argc = 0;
        args[argc++] = "telesono-capture";
        args[argc++] = "--relay";
        args[argc++] = RELAY;
        args[argc++] = "--token";
        args[argc++] = "t";
        for (int i = 0; i < n; i++) {
            snprintf(texts[i], sizeof texts[i], "%d,%d,%d,%d", i, 2 * i, i + 1, i + 2);
            args[argc++] = "--mask";
            args[argc++] = texts[i];
        }
        memset(&o, 0x5A, sizeof o);
        int rc = tsn_capture_cli_parse(argc, (char **)args, &o, why, sizeof why);
        if (n == TSN_CAPTURE_MAX_MASKS) {
            assert_int_equal(rc, 0);
            assert_int_equal(o.n_masks, n);
            for (int i = 0; i < n; i++) {
                assert_int_equal(o.masks[i].x, i);
                assert_int_equal(o.masks[i].y, 2 * i);
                assert_int_equal(o.masks[i].w, i + 1);
                assert_int_equal(o.masks[i].h, i + 2);
            }
            tsn_capture_opts_clear(&o);
        } else {
            assert_int_equal(rc, -EINVAL);
            assert_non_null(strstr(why, "at most 16 --mask"));
            assert_zero(&o);
        }
    }

    static const char *const bad[] = {"1,2,3",    "1,2,3,0",    "1,2,0,4", "-1,0,4,4",
                                      "a,b,c,d",  "1,2,3,4,5",  "",        "1, 2,3,4",
                                      "1,2,3,4,", "65536,0,1,1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "--mask %s: ", bad[i]);
        EXPECT_REFUSED(want, BASE, "--mask", bad[i]);
    }
    EXPECT_REFUSED("W must be at least 1", BASE, "--mask", "1,2,0,4");
}

static void test_spacing_and_metadata(void **state)
{
    struct tsn_capture_opts o;
    char why[200] = "";
    assert_int_equal(PARSE(&o, why, BASE, "--pixel-spacing", "0.1"), 0);
    assert_true(o.spacing_x_mm == 0.1 && o.spacing_y_mm == 0.1);
    tsn_capture_opts_clear(&o);
    assert_int_equal(PARSE(&o, why, BASE, "--pixel-spacing", "0.001,10"), 0);
    assert_true(o.spacing_x_mm == 0.001 && o.spacing_y_mm == 10);
    tsn_capture_opts_clear(&o);

    static const char *const bad[] = {"0",     "11",         ",0.1",   "0.1,", "0.1,0.2,0.3", "a",
                                      "0.1;2", "0.0009,0.1", "0.1,20", "",     "0.1 ,0.2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        EXPECT_REFUSED("--pixel-spacing", BASE, "--pixel-spacing", bad[i]);

    /* Probe names of 1 to 64 characters. */
    char name64[65], name65[66];
    memset(name64, 'p', 64);
    name64[64] = '\0';
    memset(name65, 'p', 65);
    name65[65] = '\0';
    assert_int_equal(PARSE(&o, why, BASE, "--probe", name64), 0);
    assert_string_equal(o.probe, name64);
    tsn_capture_opts_clear(&o);
    EXPECT_REFUSED("--probe needs a name of 1 to 64 characters", BASE, "--probe", name65);
    EXPECT_REFUSED("--probe needs a name of 1 to 64 characters", BASE, "--probe", "");

    assert_int_equal(PARSE(&o, why, BASE, "--depth", "1"), 0);
    assert_true(o.depth_mm == 1);
    tsn_capture_opts_clear(&o);
    EXPECT_REFUSED("--depth needs a number from 1 to 500", BASE, "--depth", "500.5");
    EXPECT_REFUSED("--depth", BASE, "--depth", "0.5");
}

static void test_numbers(void **state)
{
    struct tsn_capture_opts o;
    char why[200] = "";
    assert_int_equal(PARSE(&o, why, BASE, "--bitrate", "100", "--keyframe-interval", "60",
                           "--keyframe-min-interval-ms", "0", "--connect-timeout", "86400",
                           "--duration", "0", "--fps", "120"),
                     0);
    assert_int_equal(o.bitrate_kbps, 100);
    assert_true(o.keyframe_interval_s == 60);
    assert_int_equal(o.keyframe_min_interval_ms, 0);
    assert_int_equal(o.connect_timeout_s, 86400);
    assert_int_equal(o.duration_s, 0);
    assert_int_equal(o.fps_num, 120000);
    tsn_capture_opts_clear(&o);

    EXPECT_REFUSED("--bitrate needs a whole number from 100 to 50000", BASE, "--bitrate", "99");
    EXPECT_REFUSED("--bitrate", BASE, "--bitrate", "50001");
    EXPECT_REFUSED("--bitrate", BASE, "--bitrate", "2M");
    EXPECT_REFUSED("--keyframe-interval", BASE, "--keyframe-interval", "0.05");
    EXPECT_REFUSED("--keyframe-interval", BASE, "--keyframe-interval", "61");
    EXPECT_REFUSED("--keyframe-min-interval-ms", BASE, "--keyframe-min-interval-ms", "-1");
    EXPECT_REFUSED("--keyframe-min-interval-ms", BASE, "--keyframe-min-interval-ms", "10001");
    EXPECT_REFUSED("--connect-timeout", BASE, "--connect-timeout", "-1");
    EXPECT_REFUSED("--connect-timeout", BASE, "--connect-timeout", "1.5");
    EXPECT_REFUSED("--duration", BASE, "--duration", "2678401");
    EXPECT_REFUSED("--fps needs a number from 1 to 120", BASE, "--fps", "0");
    EXPECT_REFUSED("--fps", BASE, "--fps", "121");
    EXPECT_REFUSED("--fps", BASE, "--fps", "30/1");
    EXPECT_REFUSED("--size needs even WIDTHxHEIGHT", BASE, "--size", "641x480");
    EXPECT_REFUSED("--size", BASE, "--size", "640x");
    EXPECT_REFUSED("--size", BASE, "--size", "x480");
    EXPECT_REFUSED("--size", BASE, "--size", "640x480x3");
}

static void test_codec(void **state)
{
    struct tsn_capture_opts o;
    char why[200] = "";
    assert_int_equal(PARSE(&o, why, BASE, "--codec", "vp8", "--codec", "h264"), 0);
    assert_int_equal(o.vp8, 0); /* the last one wins */
    tsn_capture_opts_clear(&o);
    assert_int_equal(PARSE(&o, why, BASE, "--codec", "vp8"), 0);
    assert_int_equal(o.vp8, 1);
    tsn_capture_opts_clear(&o);
    EXPECT_REFUSED("--codec must be h264 or vp8, not 'H264'", BASE, "--codec", "H264");
    EXPECT_REFUSED("--codec must be h264 or vp8, not 'av1'", BASE, "--codec", "av1");
    EXPECT_REFUSED("--codec", BASE, "--codec", "");
}

static void test_ice_ips(void **state)
{
    struct tsn_capture_opts o;
    char why[200] = "";
    assert_int_equal(PARSE(&o, why, BASE, "--ice-ip", "10.0.0.1", "--ice-ip", "10.0.0.2",
                           "--ice-ip", "10.0.0.3", "--ice-ip", "10.0.0.4", "--ice-ip", "10.0.0.5",
                           "--ice-ip", "10.0.0.6", "--ice-ip", "10.0.0.7", "--ice-ip", "10.0.0.8"),
                     0);
    assert_int_equal(o.n_ice_ips, TSN_CAPTURE_MAX_ICE_IPS);
    assert_string_equal(o.ice_ips[0], "10.0.0.1");
    assert_string_equal(o.ice_ips[7], "10.0.0.8");
    assert_null(o.ice_ips[8]);
    tsn_capture_opts_clear(&o);
    EXPECT_REFUSED("at most 8 --ice-ip", BASE, "--ice-ip", "10.0.0.1", "--ice-ip", "10.0.0.2",
                   "--ice-ip", "10.0.0.3", "--ice-ip", "10.0.0.4", "--ice-ip", "10.0.0.5",
                   "--ice-ip", "10.0.0.6", "--ice-ip", "10.0.0.7", "--ice-ip", "10.0.0.8",
                   "--ice-ip", "10.0.0.9");
}

static void test_tls(void **state)
{
    struct tsn_capture_opts o;
    char why[200] = "";
    char ca[] = "/tmp/tsn_test_capture_ca_XXXXXX";
    int fd = mkstemp(ca);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(PARSE(&o, why, BASE, "--ca", ca), 0);
    assert_string_equal(o.tls.ca_file, ca);
    tsn_capture_opts_clear(&o);
    assert_int_equal(PARSE(&o, why, BASE, "--insecure"), 0);
    assert_int_equal(o.tls.insecure, 1);
    tsn_capture_opts_clear(&o);
    EXPECT_REFUSED("exclude each other", BASE, "--ca", ca, "--insecure");
    EXPECT_REFUSED("exclude each other", BASE, "--insecure", "--fingerprint", FP_HEX);
    EXPECT_REFUSED("exclude each other", BASE, "--fingerprint", FP_HEX, "--ca", ca);
    EXPECT_REFUSED("--ca /nonexistent/ca.pem", BASE, "--ca", "/nonexistent/ca.pem");
    EXPECT_REFUSED("--fingerprint", BASE, "--fingerprint", "12:34");
    unlink(ca);
}

static void test_token_sources(void **state)
{
    struct tsn_capture_opts o;
    char why[300] = "";
    char path[] = "/tmp/tsn_test_capture_tok_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *content = "  eyJ.file.token \n";
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);

    assert_int_equal(PARSE(&o, why, "--relay", RELAY, "--token-file", path), 0);
    assert_string_equal(o.token, "eyJ.file.token");
    tsn_capture_opts_clear(&o);
    assert_zero(&o);
    /* The last of --token and --token-file wins. */
    assert_int_equal(PARSE(&o, why, "--relay", RELAY, "--token", "cli.tok", "--token-file", path),
                     0);
    assert_string_equal(o.token, "eyJ.file.token");
    tsn_capture_opts_clear(&o);
    assert_int_equal(PARSE(&o, why, "--relay", RELAY, "--token-file", path, "--token", "cli.tok"),
                     0);
    assert_string_equal(o.token, "cli.tok");
    tsn_capture_opts_clear(&o);

    EXPECT_REFUSED("--token-file /nonexistent/t.jwt", "--relay", RELAY, "--token-file",
                   "/nonexistent/t.jwt");
    char empty[] = "/tmp/tsn_test_capture_empty_XXXXXX";
    fd = mkstemp(empty);
    assert_true(fd >= 0);
    close(fd);
    EXPECT_REFUSED("is empty", "--relay", RELAY, "--token-file", empty);
    /* A token given before a refused --token-file is not kept (nor leaked). */
    EXPECT_REFUSED("is empty", "--relay", RELAY, "--token", "x", "--token-file", empty);
    unlink(empty);
    unlink(path);
}

static void test_required(void **state)
{
    EXPECT_REFUSED("--relay URL is required", "--token", "t");
    EXPECT_REFUSED("--relay URL is required", "--source", "phantom");
    EXPECT_REFUSED("a capture token is required: --token JWT or --token-file FILE", "--relay",
                   RELAY);
    EXPECT_REFUSED("--relay URL is required", "--wait-for-device");
}

static void test_bad_syntax(void **state)
{
    EXPECT_REFUSED("unknown option or missing value: --bogus", BASE, "--bogus");
    EXPECT_REFUSED("unknown option or missing value: --bogus=1", BASE, "--bogus=1");
    EXPECT_REFUSED("unknown option or missing value: -x", BASE, "-x");
    EXPECT_REFUSED("unknown option or missing value: --relay", "--token", "t", "--relay");
    EXPECT_REFUSED("unknown option or missing value: --insecure=yes", BASE, "--insecure=yes");
    EXPECT_REFUSED("unexpected argument 'extra'", BASE, "extra");
    /* getopt moves operands to the end: a stray word in the middle is found too. */
    EXPECT_REFUSED("unexpected argument 'stray'", "--relay", RELAY, "stray", "--token", "t");
    EXPECT_REFUSED("unexpected argument", BASE, "--", "--size");
    EXPECT_REFUSED("--help", "--help", "--bogus");
}

static void test_help(void **state)
{
    struct tsn_capture_opts o;
    char why[200] = "";
    assert_int_equal(PARSE(&o, why, "--help"), 0);
    assert_int_equal(o.help, 1);
    assert_null(o.relay_url);
    assert_null(o.token);
    tsn_capture_opts_clear(&o);
    assert_int_equal(PARSE(&o, why, "-h"), 0);
    assert_int_equal(o.help, 1);
    tsn_capture_opts_clear(&o);
    /* With other valid flags too. */
    assert_int_equal(PARSE(&o, why, "--size", "320x240", "--help"), 0);
    assert_int_equal(o.help, 1);
    tsn_capture_opts_clear(&o);
}

/* A parse refused in the middle of a group of short options must not leave
 * getopt pointing into the old argv: the next parse starts afresh. */
static void test_parse_again(void **state)
{
    struct tsn_capture_opts o;
    char why[200] = "";
    char *bad[] = {(char *)"telesono-capture", strdup("-hz9"), NULL};
    assert_non_null(bad[1]);
    assert_int_equal(tsn_capture_cli_parse(2, bad, &o, why, sizeof why), -EINVAL);
    free(bad[1]);
    why[0] = '\0';
    assert_int_equal(PARSE(&o, why, BASE), 0);
    assert_string_equal(why, "");
    assert_int_equal(o.width, 640);
    tsn_capture_opts_clear(&o);
    /* And many good and bad parses in a row give the same results. */
    for (int i = 0; i < 3; i++) {
        EXPECT_REFUSED("--codec", BASE, "--codec", "x");
        assert_int_equal(PARSE(&o, why, BASE, "--codec", "vp8"), 0);
        assert_int_equal(o.vp8, 1);
        tsn_capture_opts_clear(&o);
    }
}

static void test_usage(void **state)
{
    const char *u = tsn_capture_usage();
    static const char *const names[] = {"--relay",
                                        "--token",
                                        "--token-file",
                                        "--room",
                                        "--source",
                                        "--size",
                                        "--fps",
                                        "--mask",
                                        "--codec",
                                        "--bitrate",
                                        "--keyframe-interval",
                                        "--keyframe-min-interval-ms",
                                        "--probe",
                                        "--pixel-spacing",
                                        "--depth",
                                        "--ca",
                                        "--fingerprint",
                                        "--insecure",
                                        "--connect-timeout",
                                        "--duration",
                                        "--wait-for-device",
                                        "--stats-json",
                                        "--frame-log",
                                        "--ice-ip",
                                        "--log-level"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strstr(u, names[i]))
            fail_msg("usage does not mention %s", names[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),      cmocka_unit_test(test_every_flag),
        cmocka_unit_test(test_equals_form),   cmocka_unit_test(test_sources),
        cmocka_unit_test(test_masks),         cmocka_unit_test(test_spacing_and_metadata),
        cmocka_unit_test(test_numbers),       cmocka_unit_test(test_codec),
        cmocka_unit_test(test_ice_ips),       cmocka_unit_test(test_tls),
        cmocka_unit_test(test_token_sources), cmocka_unit_test(test_required),
        cmocka_unit_test(test_bad_syntax),    cmocka_unit_test(test_help),
        cmocka_unit_test(test_parse_again),   cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
