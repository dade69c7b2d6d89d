/* Unit tests for relay/http_range.c: a table of Range header values against
 * file sizes, with the status and the byte span each must give (single
 * ranges of the three forms, clamping, suffixes longer than the file,
 * unsatisfiable ranges, an empty file, numbers too long for 64 bits,
 * signs, spaces, other units, several ranges, empty list elements, bytes
 * after a NUL), and the Content-Range values of 206 and 416. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http_range.h"

#define NONE ((const char *)0)

struct range_case {
    const char *hdr; /* NONE: no header */
    uint64_t size;
    int status;
    uint64_t first, last; /* checked for 200 (non-empty file) and 206 */
};

static const struct range_case cases[] = {
    /* no header, or nothing to parse: the whole file */
    {NONE, 1000, 200, 0, 999},
    {"", 1000, 200, 0, 999},
    {"bytes=", 1000, 200, 0, 999},
    {"bytes=,", 1000, 200, 0, 999},
    {"bytes= , ,", 1000, 200, 0, 999},
    /* a-b */
    {"bytes=0-0", 1000, 206, 0, 0},
    {"bytes=0-99", 1000, 206, 0, 99},
    {"bytes=100-199", 1000, 206, 100, 199},
    {"bytes=999-999", 1000, 206, 999, 999},
    {"bytes=500-5000", 1000, 206, 500, 999}, /* last clamped */
    {"bytes=0-999", 1000, 206, 0, 999},
    {"BYTES=10-20", 1000, 206, 10, 20}, /* unit is case-insensitive */
    {"Bytes=10-20", 1000, 206, 10, 20},
    {"bytes=007-009", 1000, 206, 7, 9}, /* leading zeros are digits */
    /* a- */
    {"bytes=0-", 1000, 206, 0, 999},
    {"bytes=990-", 1000, 206, 990, 999},
    {"bytes=999-", 1000, 206, 999, 999},
    /* -n */
    {"bytes=-100", 1000, 206, 900, 999},
    {"bytes=-1", 1000, 206, 999, 999},
    {"bytes=-1000", 1000, 206, 0, 999},
    {"bytes=-5000", 1000, 206, 0, 999}, /* longer than the file: all of it */
    /* unsatisfiable */
    {"bytes=1000-", 1000, 416, 0, 0},
    {"bytes=1000-2000", 1000, 416, 0, 0},
    {"bytes=5000-6000", 1000, 416, 0, 0},
    {"bytes=-0", 1000, 416, 0, 0},
    /* an empty file: no range selects a byte */
    {"bytes=0-", 0, 416, 0, 0},
    {"bytes=0-0", 0, 416, 0, 0},
    {"bytes=-10", 0, 416, 0, 0},
    {NONE, 0, 200, 1, 0},
    {"bytes=5-3", 0, 200, 1, 0}, /* invalid: ignored even when empty */
    /* numbers too long for 64 bits saturate, never wrap */
    {"bytes=0-99999999999999999999999999", 1000, 206, 0, 999},
    {"bytes=18446744073709551615-", 1000, 416, 0, 0},
    {"bytes=18446744073709551616-18446744073709551617", 1000, 416, 0, 0},
    {"bytes=-99999999999999999999999999", 1000, 206, 0, 999},
    {"bytes=18446744073709551617-1", 1000, 200, 0, 999}, /* a > b once saturated: invalid */
    {"bytes=10-18446744073709551615", 1000, 206, 10, 999},
    /* invalid syntax: ignored, whole file */
    {"bytes=5-3", 1000, 200, 0, 999}, /* a > b */
    {"bytes=-", 1000, 200, 0, 999},
    {"bytes=--5", 1000, 200, 0, 999},
    {"bytes=-5-10", 1000, 200, 0, 999}, /* negative first */
    {"bytes=+5-10", 1000, 200, 0, 999},
    {"bytes=5--10", 1000, 200, 0, 999},
    {"bytes=5-+10", 1000, 200, 0, 999},
    {"bytes=5", 1000, 200, 0, 999},
    {"bytes=a-b", 1000, 200, 0, 999},
    {"bytes=0x10-0x20", 1000, 200, 0, 999},
    {"bytes=1.5-2", 1000, 200, 0, 999},
    {"bytes=5 -10", 1000, 200, 0, 999}, /* space inside a range */
    {"bytes=5- 10", 1000, 200, 0, 999},
    {"bytes=- 10", 1000, 200, 0, 999},
    {"bytes 5-10", 1000, 200, 0, 999},
    {"bytes =5-10", 1000, 200, 0, 999},
    {"bites=5-10", 1000, 200, 0, 999}, /* another unit */
    {"items=0-1", 1000, 200, 0, 999},
    {"5-10", 1000, 200, 0, 999},
    {"bytes=5-10;", 1000, 200, 0, 999},
    /* whitespace around the element is list syntax, allowed */
    {"bytes= 5-10", 1000, 206, 5, 10},
    {"bytes=5-10 ", 1000, 206, 5, 10},
    {"bytes=\t5-10\t", 1000, 206, 5, 10},
    {"bytes=5-10,", 1000, 206, 5, 10}, /* empty elements do not count */
    {"bytes=,5-10", 1000, 206, 5, 10},
    {"bytes=, ,5-10, ,", 1000, 206, 5, 10},
    /* several ranges: no multipart, the whole file */
    {"bytes=0-1,5-6", 1000, 200, 0, 999},
    {"bytes=0-1, 5-6", 1000, 200, 0, 999},
    {"bytes=-5,0-", 1000, 200, 0, 999},
    {"bytes=5000-,0-1", 1000, 200, 0, 999}, /* even if one alone is unsatisfiable */
    {"bytes=0-1,junk", 1000, 200, 0, 999},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct range_case *c = &cases[i];
        struct tsn_http_range r = {12345, 67890};
        int st = tsn_http_range_parse(c->hdr, c->hdr ? strlen(c->hdr) : 0, c->size, &r);
        if (st != c->status || r.first != c->first || r.last != c->last)
            fail_msg("case %zu '%s' size %llu: got %d %llu-%llu, want %d %llu-%llu", i,
                     c->hdr ? c->hdr : "(none)", (unsigned long long)c->size, st,
                     (unsigned long long)r.first, (unsigned long long)r.last, c->status,
                     (unsigned long long)c->first, (unsigned long long)c->last);
        if (st == 206)
            assert_true(r.first <= r.last && r.last < c->size);
    }
}

/* The length is what counts: bytes after it are not read, a NUL inside
 * the header is refused (whole file). */
static void test_length_and_nul(void **state)
{
    (void)state;
    struct tsn_http_range r;
    const char h[] = "bytes=10-20,30-40";
    assert_int_equal(tsn_http_range_parse(h, 11, 1000, &r), 206); /* "bytes=10-20" */
    assert_int_equal(r.first, 10);
    assert_int_equal(r.last, 20);
    const char nul[] = "bytes=10-20\0,30-40";
    assert_int_equal(tsn_http_range_parse(nul, sizeof nul - 1, 1000, &r), 200);
    assert_int_equal(tsn_http_range_parse(h, 6, 1000, &r), 200);
    assert_int_equal(tsn_http_range_parse(NULL, 5, 1000, &r), 200);
    assert_int_equal(r.last, 999);
}

static void test_huge_file(void **state)
{
    (void)state;
    struct tsn_http_range r;
    uint64_t size = UINT64_MAX;
    const char *h = "bytes=18446744073709551613-";
    assert_int_equal(tsn_http_range_parse(h, strlen(h), size, &r), 206);
    assert_true(r.first == UINT64_MAX - 2 && r.last == UINT64_MAX - 1);
    h = "bytes=-18446744073709551615";
    assert_int_equal(tsn_http_range_parse(h, strlen(h), size, &r), 206);
    assert_true(r.first == 0 && r.last == UINT64_MAX - 1);
}

static void test_content_range(void **state)
{
    (void)state;
    char out[TSN_HTTP_RANGE_CONTENT_RANGE_MAX];
    struct tsn_http_range r = {100, 199};
    assert_int_equal(tsn_http_range_content_range(206, &r, 1000, out, sizeof out), 18);
    assert_string_equal(out, "bytes 100-199/1000");
    assert_int_equal(tsn_http_range_content_range(416, &r, 1000, out, sizeof out), 12);
    assert_string_equal(out, "bytes */1000");
    assert_int_equal(tsn_http_range_content_range(200, &r, 1000, out, sizeof out), 0);
    r = (struct tsn_http_range){UINT64_MAX - 1, UINT64_MAX - 1};
    int n = tsn_http_range_content_range(206, &r, UINT64_MAX, out, sizeof out);
    assert_int_equal(n, (int)strlen("bytes 18446744073709551614-18446744073709551614/"
                                    "18446744073709551615"));
    assert_int_equal(tsn_http_range_content_range(206, &r, UINT64_MAX, out, 10), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_length_and_nul),
        cmocka_unit_test(test_huge_file),
        cmocka_unit_test(test_content_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
