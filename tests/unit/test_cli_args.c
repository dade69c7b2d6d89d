/* Unit tests for common/cli_args.c: whole numbers and reals with inclusive
 * ranges and junk refused, WxH sizes (even, bounds, malformed forms), the
 * token file (trimming, first line only, empty, missing, the 8 KiB limit)
 * and the TLS trust flags (each mode, their exclusion, a --ca file that
 * cannot be read, a bad fingerprint). Every refusal's reason is checked to
 * name the flag. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_args.h"

#define FP_COLONS                                                                                  \
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:"   \
    "67:89"

static void expect_reason(const char *why, const char *part)
{
    if (!strstr(why, part))
        fail_msg("reason '%s' lacks '%s'", why, part);
    assert_null(strchr(why, '\n'));
}

static void test_int(void **state)
{
    long v = -7;
    char why[200] = "";
    assert_int_equal(tsn_cli_int("--bitrate", "2000", 100, 50000, &v, why, sizeof why), 0);
    assert_int_equal(v, 2000);
    assert_int_equal(tsn_cli_int("--bitrate", "100", 100, 50000, &v, why, sizeof why), 0);
    assert_int_equal(v, 100);
    assert_int_equal(tsn_cli_int("--bitrate", "50000", 100, 50000, &v, why, sizeof why), 0);
    assert_int_equal(v, 50000);
    assert_int_equal(tsn_cli_int("--n", "-3", -5, 5, &v, why, sizeof why), 0);
    assert_int_equal(v, -3);
    assert_int_equal(tsn_cli_int("--n", "0", 0, 0, &v, why, sizeof why), 0);
    assert_int_equal(v, 0);

    static const char *const bad[] = {
        "99",    "50001", "",    "abc", "12abc", "1.5",
        "2000 ", "0x10",  "1e3", "-",   "--5",   "99999999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        v = 12345;
        if (tsn_cli_int("--bitrate", bad[i], 100, 50000, &v, why, sizeof why) != -EINVAL)
            fail_msg("'%s' accepted as %ld", bad[i], v);
        expect_reason(why, "--bitrate needs a whole number from 100 to 50000");
        assert_int_equal(v, 12345); /* untouched on error */
    }
    assert_int_equal(tsn_cli_int("--bitrate", "99", 100, 50000, &v, why, sizeof why), -EINVAL);
    expect_reason(why, "not '99'");
    assert_int_equal(tsn_cli_int("--duration", NULL, 0, 10, &v, why, sizeof why), -EINVAL);
    expect_reason(why, "--duration");
    /* The extremes of long, and one past them. */
    assert_int_equal(tsn_cli_int("--n", "9223372036854775807", 0, LONG_MAX, &v, why, sizeof why),
                     0);
    assert_true(v == LONG_MAX);
    assert_int_equal(tsn_cli_int("--n", "9223372036854775808", 0, LONG_MAX, &v, why, sizeof why),
                     -EINVAL);
}

static void test_double(void **state)
{
    double d = -1;
    char why[200] = "";
    assert_int_equal(tsn_cli_double("--fps", "29.97", 1, 120, &d, why, sizeof why), 0);
    assert_true(d == 29.97);
    assert_int_equal(tsn_cli_double("--fps", "1", 1, 120, &d, why, sizeof why), 0);
    assert_true(d == 1.0);
    assert_int_equal(tsn_cli_double("--fps", "120", 1, 120, &d, why, sizeof why), 0);
    assert_true(d == 120.0);
    assert_int_equal(tsn_cli_double("--fps", "1.2e1", 1, 120, &d, why, sizeof why), 0);
    assert_true(d == 12.0);
    assert_int_equal(tsn_cli_double("--depth", ".5", 0.1, 1, &d, why, sizeof why), 0);
    assert_true(d == 0.5);

    static const char *const bad[] = {"0.999", "120.01", "",     "abc",   "30fps", "30 ",
                                      "nan",   "inf",    "-inf", "1e999", "-30",   "30,5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        d = 77;
        if (tsn_cli_double("--fps", bad[i], 1, 120, &d, why, sizeof why) != -EINVAL)
            fail_msg("'%s' accepted as %g", bad[i], d);
        expect_reason(why, "--fps needs a number from 1 to 120");
        assert_true(d == 77);
    }
    assert_int_equal(tsn_cli_double("--fps", NULL, 1, 120, &d, why, sizeof why), -EINVAL);
    /* A huge range still refuses infinity. */
    assert_int_equal(tsn_cli_double("--x", "inf", -INFINITY, INFINITY, &d, why, sizeof why),
                     -EINVAL);
}

static void test_size(void **state)
{
    int w = 0, h = 0;
    char why[200] = "";
    assert_int_equal(tsn_cli_size("--size", "640x480", &w, &h, why, sizeof why), 0);
    assert_int_equal(w, 640);
    assert_int_equal(h, 480);
    assert_int_equal(tsn_cli_size("--size", "16x16", &w, &h, why, sizeof why), 0);
    assert_int_equal(w, 16);
    assert_int_equal(h, 16);
    assert_int_equal(tsn_cli_size("--size", "7680x4320", &w, &h, why, sizeof why), 0);
    assert_int_equal(w, 7680);
    assert_int_equal(h, 4320);
    assert_int_equal(tsn_cli_size("--size", "820x616", &w, &h, why, sizeof why), 0);
    assert_int_equal(w, 820);
    assert_int_equal(h, 616);

    static const char *const bad[] = {
        "640x",
        "x480",
        "640x480x3",
        "641x480",
        "640x481",
        "14x480",
        "640x14",
        "7682x480",
        "640x4322",
        "640*480",
        "640X480",
        "640",
        "",
        "x",
        "-640x480",
        "640x-480",
        "640.0x480",
        "640x480 ",
        "0x0",
        "99999999999999999999x480",
        "640x99999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        w = h = 3;
        if (tsn_cli_size("--size", bad[i], &w, &h, why, sizeof why) != -EINVAL)
            fail_msg("'%s' accepted as %dx%d", bad[i], w, h);
        expect_reason(why, "--size needs");
        expect_reason(why, bad[i]);
        assert_int_equal(w, 3);
        assert_int_equal(h, 3);
    }
    assert_int_equal(tsn_cli_size("--size", NULL, &w, &h, why, sizeof why), -EINVAL);
    expect_reason(why, "--size needs WIDTHxHEIGHT");
}

/* Writes `len` bytes to a new temporary file; returns its malloc'd path. */
static char *temp_file(const void *data, size_t len)
{
    char *path = strdup("/tmp/tsn_test_cli_args_XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static void expect_token(const char *content, const char *want)
{
    char *path = temp_file(content, strlen(content));
    char *tok = NULL;
    char why[300] = "";
    if (tsn_cli_token_file(path, &tok, why, sizeof why) != 0)
        fail_msg("'%s' refused: %s", content, why);
    assert_string_equal(tok, want);
    free(tok);
    unlink(path);
    free(path);
}

static void expect_token_refused(const void *content, size_t len, const char *part)
{
    char *path = temp_file(content, len);
    char *tok = (char *)"sentinel";
    char why[300] = "";
    assert_int_equal(tsn_cli_token_file(path, &tok, why, sizeof why), -EINVAL);
    expect_reason(why, "--token-file");
    expect_reason(why, path);
    expect_reason(why, part);
    assert_string_equal(tok, "sentinel");
    unlink(path);
    free(path);
}

static void test_token_file(void **state)
{
    expect_token("eyJhbGciOiJIUzI1NiJ9.e30.c2ln", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln");
    expect_token("eyJ.abc.def\n", "eyJ.abc.def");
    expect_token("eyJ.abc.def\r\n", "eyJ.abc.def");
    expect_token("  \t eyJ.abc.def \t \n", "eyJ.abc.def");
    expect_token("first.line.tok\nsecond.line\n", "first.line.tok");
    expect_token("first.line.tok\r\nsecond.line\r\n", "first.line.tok");

    expect_token_refused("", 0, "is empty");
    expect_token_refused("\n", 1, "is empty");
    expect_token_refused(" \t\r\n", 4, "is empty");

    /* 8 KiB is the limit: a token that fills it exactly is read, one byte
     * more is refused. */
    char *big = malloc(8194);
    assert_non_null(big);
    memset(big, 'A', 8191);
    big[8191] = '\n';
    big[8192] = '\0';
    char *path = temp_file(big, 8192);
    char *tok = NULL;
    char why[300] = "";
    assert_int_equal(tsn_cli_token_file(path, &tok, why, sizeof why), 0);
    assert_int_equal(strlen(tok), 8191);
    assert_int_equal(tok[8190], 'A');
    free(tok);
    unlink(path);
    free(path);
    memset(big, 'A', 8193);
    expect_token_refused(big, 8193, "larger than 8192 bytes");
    free(big);

    /* Missing file, a path through a regular file. */
    tok = NULL;
    assert_int_equal(tsn_cli_token_file("/nonexistent/tsn/token.jwt", &tok, why, sizeof why),
                     -EINVAL);
    expect_reason(why, "--token-file /nonexistent/tsn/token.jwt: No such file or directory");
    assert_null(tok);
    assert_int_equal(tsn_cli_token_file("/dev/null/x", &tok, why, sizeof why), -EINVAL);
    expect_reason(why, "Not a directory");
    /* A directory is not a token file. */
    assert_int_equal(tsn_cli_token_file("/tmp", &tok, why, sizeof why), -EINVAL);
    expect_reason(why, "--token-file /tmp");
    assert_null(tok);
}

static void test_tls_modes(void **state)
{
    char why[300] = "";
    struct tsn_tls_opts o = {0};
    assert_int_equal(tsn_cli_tls_flag("--insecure", NULL, &o, why, sizeof why), 0);
    assert_int_equal(o.insecure, 1);
    assert_int_equal(o.has_pin, 0);
    assert_null(o.ca_file);

    o = (struct tsn_tls_opts){0};
    assert_int_equal(tsn_cli_tls_flag("--fingerprint", FP_COLONS, &o, why, sizeof why), 0);
    assert_int_equal(o.has_pin, 1);
    assert_int_equal(o.pin_sha256[0], 0xAB);
    assert_int_equal(o.pin_sha256[1], 0xCD);
    assert_int_equal(o.pin_sha256[31], 0x89);
    assert_int_equal(o.insecure, 0);
    assert_null(o.ca_file);

    const char *pem = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
    char *ca = temp_file(pem, strlen(pem));
    o = (struct tsn_tls_opts){0};
    assert_int_equal(tsn_cli_tls_flag("--ca", ca, &o, why, sizeof why), 0);
    assert_ptr_equal(o.ca_file, ca); /* points at the argument, not a copy */
    assert_int_equal(o.has_pin, 0);
    assert_int_equal(o.insecure, 0);

    /* Any second mode (or the same one twice) is refused, opts unchanged. */
    static const struct {
        const char *flag, *value;
    } modes[] = {{"--insecure", NULL}, {"--fingerprint", FP_COLONS}, {"--ca", NULL}};
    for (size_t first = 0; first < 3; first++) {
        for (size_t second = 0; second < 3; second++) {
            struct tsn_tls_opts t = {0};
            const char *v1 = modes[first].value ? modes[first].value : ca;
            const char *v2 = modes[second].value ? modes[second].value : ca;
            if (first == 0)
                v1 = NULL;
            if (second == 0)
                v2 = NULL;
            assert_int_equal(tsn_cli_tls_flag(modes[first].flag, v1, &t, why, sizeof why), 0);
            struct tsn_tls_opts before = t;
            why[0] = '\0';
            assert_int_equal(tsn_cli_tls_flag(modes[second].flag, v2, &t, why, sizeof why),
                             -EINVAL);
            expect_reason(why, "--ca, --fingerprint and --insecure exclude each other");
            assert_memory_equal(&t, &before, sizeof t);
        }
    }
    unlink(ca);
    free(ca);
}

static void test_tls_bad_values(void **state)
{
    char why[300] = "";
    struct tsn_tls_opts o = {0};
    const struct tsn_tls_opts zero = {0};

    assert_int_equal(tsn_cli_tls_flag("--ca", "/nonexistent/relay.pem", &o, why, sizeof why),
                     -EINVAL);
    expect_reason(why, "--ca /nonexistent/relay.pem: No such file or directory");
    assert_memory_equal(&o, &zero, sizeof o);
    assert_int_equal(tsn_cli_tls_flag("--ca", "/dev/null/x", &o, why, sizeof why), -EINVAL);
    expect_reason(why, "--ca /dev/null/x");
    /* A directory cannot be a CA bundle. */
    assert_int_equal(tsn_cli_tls_flag("--ca", "/tmp", &o, why, sizeof why), -EINVAL);
    expect_reason(why, "--ca /tmp");
    assert_memory_equal(&o, &zero, sizeof o);
    /* An unreadable file (root reads everything, so only as another user). */
    if (geteuid() != 0) {
        char *path = temp_file("x", 1);
        assert_int_equal(chmod(path, 0), 0);
        assert_int_equal(tsn_cli_tls_flag("--ca", path, &o, why, sizeof why), -EINVAL);
        expect_reason(why, "Permission denied");
        unlink(path);
        free(path);
    }

    /* A bad fingerprint: refused, no pin recorded, the reason names the flag. */
    static const char *const bad_fp[] = {"12:34", "", "zz", FP_COLONS ":", FP_COLONS "00"};
    for (size_t i = 0; i < sizeof bad_fp / sizeof bad_fp[0]; i++) {
        o = (struct tsn_tls_opts){0};
        why[0] = '\0';
        assert_int_equal(tsn_cli_tls_flag("--fingerprint", bad_fp[i], &o, why, sizeof why),
                         -EINVAL);
        expect_reason(why, "--fingerprint");
        assert_memory_equal(&o, &zero, sizeof o);
    }
    /* After a refused flag, a good one is still accepted. */
    assert_int_equal(tsn_cli_tls_flag("--fingerprint", "sha256:" FP_COLONS, &o, why, sizeof why),
                     0);
    assert_int_equal(o.has_pin, 1);
}

static void test_insecure_warning(void **state)
{
    const char *w = tsn_cli_insecure_warning();
    assert_non_null(w);
    expect_reason(w, "--insecure");
    expect_reason(w, "NOT verified");
    expect_reason(w, "--ca or --fingerprint");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_token_file),
        cmocka_unit_test(test_tls_modes),
        cmocka_unit_test(test_tls_bad_values),
        cmocka_unit_test(test_insecure_warning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
