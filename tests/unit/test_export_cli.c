/* Unit tests for viewer/export_cli.c: defaults, every flag in both forms,
 * --burn-in with and without a file, --help, and the refusals (unknown
 * flags, missing or empty values, two session directories, bad windows and
 * log levels), each with a reason. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "export_cli.h"
#include "export_reorder.h"
#include "log.h"

#define ARGV(...) ((char *[]){"telesono-export", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"telesono-export", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, why, ...)                                                                         \
    tsn_export_cli_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, why, sizeof why)

static void test_defaults(void **state)
{
    struct tsn_export_opts o;
    char why[200] = "";
    assert_int_equal(PARSE(&o, why, "/data/rec/ward-7/20261127T075012Z-3fa9c2d1"), 0);
    assert_string_equal(o.session_dir, "/data/rec/ward-7/20261127T075012Z-3fa9c2d1");
    assert_null(o.out);
    assert_null(o.annotations);
    assert_false(o.burn_in);
    assert_null(o.burn_out);
    assert_false(o.json);
    assert_int_equal(o.window, TSN_EXPORT_DEFAULT_WINDOW);
    assert_int_equal(o.log_level, TSN_LOG_WARN);
}

static void test_all_flags(void **state)
{
    struct tsn_export_opts o;
    char why[200] = "";
    assert_int_equal(PARSE(&o, why, "--out", "a.mp4", "--annotations=b.json", "--burn-in", "--json",
                           "--window", "64", "--log-level=debug", "dir"),
                     0);
    assert_string_equal(o.out, "a.mp4");
    assert_string_equal(o.annotations, "b.json");
    assert_true(o.burn_in);
    assert_null(o.burn_out);
    assert_true(o.json);
    assert_int_equal(o.window, 64);
    assert_int_equal(o.log_level, TSN_LOG_DEBUG);
    assert_string_equal(o.session_dir, "dir");
    /* --burn-in=FILE; SESSION_DIR first; "--" before a name starting with - */
    assert_int_equal(PARSE(&o, why, "dir", "--burn-in=c.mp4", "--out=x.webm"), 0);
    assert_true(o.burn_in);
    assert_string_equal(o.burn_out, "c.mp4");
    assert_string_equal(o.out, "x.webm");
    assert_int_equal(PARSE(&o, why, "--json", "--", "-odd-dir"), 0);
    assert_string_equal(o.session_dir, "-odd-dir");
}

static void test_help(void **state)
{
    struct tsn_export_opts o;
    char why[200] = "";
    assert_int_equal(PARSE(&o, why, "--help"), 1);
    assert_int_equal(PARSE(&o, why, "dir", "-h"), 1);
    FILE *f = tmpfile();
    tsn_export_cli_usage(f);
    char text[4096] = "";
    rewind(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_non_null(strstr(text, "WebM"));
    assert_non_null(strstr(text, "--burn-in"));
    assert_non_null(strstr(text, "3 no decodable video"));
}

static void refused(int rc, const char *why, const char *needle)
{
    assert_int_equal(rc, -EINVAL);
    if (!strstr(why, needle))
        fail_msg("reason '%s' does not mention '%s'", why, needle);
}

static void test_refusals(void **state)
{
    struct tsn_export_opts o;
    char why[200];
    refused(tsn_export_cli_parse(1, ARGV("x") /* argc 1: no arguments */, &o, why, sizeof why), why,
            "missing SESSION_DIR");
    refused(PARSE(&o, why, "a", "b"), why, "one SESSION_DIR only");
    refused(PARSE(&o, why, "--frobnicate", "a"), why, "unknown flag --frobnicate");
    refused(PARSE(&o, why, "-x", "a"), why, "unknown flag -x");
    refused(PARSE(&o, why, "a", "--out"), why, "--out needs a value");
    refused(PARSE(&o, why, "a", "--out="), why, "--out is empty");
    refused(PARSE(&o, why, "a", "--annotations", ""), why, "--annotations is empty");
    refused(PARSE(&o, why, "a", "--burn-in="), why, "--burn-in= needs a file name");
    refused(PARSE(&o, why, "a", "--json=1"), why, "--json takes no value");
    refused(PARSE(&o, why, "a", "--window", "0"), why, "--window");
    refused(PARSE(&o, why, "a", "--window", "40000"), why, "--window");
    refused(PARSE(&o, why, "a", "--window", "12x"), why, "--window");
    refused(PARSE(&o, why, "a", "--log-level", "loud"), why, "--log-level 'loud'");
    refused(PARSE(&o, why, ""), why, "SESSION_DIR is empty");
    refused(PARSE(&o, why, "a", "--", "b"), why, "one SESSION_DIR after --");
    refused(PARSE(&o, why, "--this-flag-name-is-far-too-long-to-be-any-flag", "a"), why,
            "unknown flag");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_all_flags),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
