/* Unit tests for common/latency_stats.c: nearest-rank percentiles on known
 * distributions (uniform 1..N, an exponential built from its quantile
 * function), exact min/mean/max, rejection of non-finite samples, reset,
 * growth past the first allocation, and the reservoir beyond the cap. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "latency_stats.h"

/* Adds 0..n-1 mapped through f in a scrambled order (i * step mod n, step
 * coprime with n), so no test depends on samples arriving sorted. */
static void add_scrambled(struct tsn_latency_stats *st, size_t n, size_t step,
                          double (*f)(size_t i, size_t n))
{
    for (size_t k = 0; k < n; k++)
        assert_int_equal(tsn_latency_stats_add(st, f((k * step) % n, n)), 0);
}

static double one_based(size_t i, size_t n)
{
    return (double)(i + 1);
}

static double expo_10ms(size_t i, size_t n)
{
    return -10.0 * log(1.0 - ((double)i + 0.5) / (double)n);
}

static void test_empty(void **state)
{
    struct tsn_latency_stats *st = tsn_latency_stats_new(0);
    struct tsn_latency_summary s;
    assert_non_null(st);
    assert_int_equal(tsn_latency_stats_summary(st, &s), -ENODATA);
    assert_int_equal(s.count, 0);
    assert_true(isnan(tsn_latency_stats_percentile(st, 50)));
    assert_int_equal(tsn_latency_stats_count(st), 0);
    tsn_latency_stats_free(st);
    tsn_latency_stats_free(NULL);
}

static void test_uniform_100(void **state)
{
    struct tsn_latency_stats *st = tsn_latency_stats_new(0);
    struct tsn_latency_summary s;
    add_scrambled(st, 100, 37, one_based);
    assert_int_equal(tsn_latency_stats_summary(st, &s), 0);
    assert_int_equal(s.count, 100);
    assert_true(s.min_ms == 1 && s.max_ms == 100);
    assert_true(fabs(s.mean_ms - 50.5) < 1e-12);
    assert_true(s.p50_ms == 50 && s.p95_ms == 95 && s.p99_ms == 99);
    assert_true(tsn_latency_stats_percentile(st, 0) == 1);
    assert_true(tsn_latency_stats_percentile(st, 100) == 100);
    assert_true(tsn_latency_stats_percentile(st, 0.5) == 1);
    assert_true(tsn_latency_stats_percentile(st, 1) == 1);
    assert_true(tsn_latency_stats_percentile(st, 1.01) == 2);
    assert_true(tsn_latency_stats_percentile(st, 99.5) == 100);
    assert_true(isnan(tsn_latency_stats_percentile(st, -1)));
    assert_true(isnan(tsn_latency_stats_percentile(st, 100.1)));
    assert_true(isnan(tsn_latency_stats_percentile(st, NAN)));
    tsn_latency_stats_free(st);
}

/* 5000 samples: past the first allocation (1024), several regrowths. */
static void test_uniform_5000(void **state)
{
    struct tsn_latency_stats *st = tsn_latency_stats_new(0);
    struct tsn_latency_summary s;
    add_scrambled(st, 5000, 2999, one_based);
    assert_int_equal(tsn_latency_stats_summary(st, &s), 0);
    assert_true(s.p50_ms == 2500 && s.p95_ms == 4750 && s.p99_ms == 4950);
    assert_true(fabs(s.mean_ms - 2500.5) < 1e-9);
    /* Adding after a summary re-sorts. */
    assert_int_equal(tsn_latency_stats_add(st, 0.5), 0);
    assert_true(tsn_latency_stats_percentile(st, 0) == 0.5);
    tsn_latency_stats_free(st);
}

/* An exponential distribution with mean 10 ms: the sample of rank r is the
 * quantile at (r - 0.5)/n, so each percentile is known in closed form and
 * is close to the true quantile -10 ln(1 - p). */
static void test_exponential(void **state)
{
    const size_t n = 10000;
    struct tsn_latency_stats *st = tsn_latency_stats_new(0);
    struct tsn_latency_summary s;
    add_scrambled(st, n, 7919, expo_10ms);
    assert_int_equal(tsn_latency_stats_summary(st, &s), 0);
    assert_true(fabs(s.p50_ms - expo_10ms(4999, n)) < 1e-12);
    assert_true(fabs(s.p95_ms - expo_10ms(9499, n)) < 1e-12);
    assert_true(fabs(s.p99_ms - expo_10ms(9899, n)) < 1e-12);
    assert_true(fabs(s.p50_ms - 10 * log(2)) < 0.01);
    assert_true(fabs(s.p95_ms - 10 * log(20)) < 0.01);
    assert_true(fabs(s.p99_ms - 10 * log(100)) < 0.05);
    assert_true(fabs(s.mean_ms - 10) < 0.05);
    assert_true(s.min_ms > 0 && s.min_ms < 0.001);
    tsn_latency_stats_free(st);
}

static void test_single_and_negative(void **state)
{
    struct tsn_latency_stats *st = tsn_latency_stats_new(0);
    struct tsn_latency_summary s;
    assert_int_equal(tsn_latency_stats_add(st, -3.5), 0);
    assert_int_equal(tsn_latency_stats_summary(st, &s), 0);
    assert_true(s.min_ms == -3.5 && s.max_ms == -3.5 && s.mean_ms == -3.5);
    assert_true(s.p50_ms == -3.5 && s.p95_ms == -3.5 && s.p99_ms == -3.5);
    tsn_latency_stats_free(st);
}

static void test_rejects_non_finite(void **state)
{
    struct tsn_latency_stats *st = tsn_latency_stats_new(0);
    assert_int_equal(tsn_latency_stats_add(st, NAN), -EINVAL);
    assert_int_equal(tsn_latency_stats_add(st, INFINITY), -EINVAL);
    assert_int_equal(tsn_latency_stats_add(st, -INFINITY), -EINVAL);
    assert_int_equal(tsn_latency_stats_count(st), 0);
    assert_int_equal(tsn_latency_stats_add(st, 4), 0);
    assert_int_equal(tsn_latency_stats_count(st), 1);
    tsn_latency_stats_free(st);
}

static void test_reset(void **state)
{
    struct tsn_latency_stats *st = tsn_latency_stats_new(0);
    struct tsn_latency_summary s;
    add_scrambled(st, 100, 37, one_based);
    tsn_latency_stats_reset(st);
    assert_int_equal(tsn_latency_stats_summary(st, &s), -ENODATA);
    assert_int_equal(tsn_latency_stats_add(st, 42), 0);
    assert_int_equal(tsn_latency_stats_summary(st, &s), 0);
    assert_true(s.count == 1 && s.min_ms == 42 && s.max_ms == 42 && s.p99_ms == 42);
    tsn_latency_stats_free(st);
}

/* Past the cap: count/min/mean/max stay exact, percentiles come from a
 * uniform sample of 2000 out of 200000, so they land near the truth. */
static void test_reservoir(void **state)
{
    struct tsn_latency_stats *st = tsn_latency_stats_new(2000);
    struct tsn_latency_summary s;
    for (size_t i = 0; i < 200000; i++) /* ascending: the worst order for a naive store */
        assert_int_equal(tsn_latency_stats_add(st, (double)i), 0);
    assert_int_equal(tsn_latency_stats_summary(st, &s), 0);
    assert_int_equal(s.count, 200000);
    assert_true(s.min_ms == 0 && s.max_ms == 199999);
    assert_true(fabs(s.mean_ms - 99999.5) < 1e-6);
    /* Standard error of a quantile of 2000 uniform samples is about
     * 200000 * sqrt(p(1-p)/2000): 2236 at p50, 975 at p95, 445 at p99.
     * Allow three of those. */
    assert_true(fabs(s.p50_ms - 100000) < 3 * 2236);
    assert_true(fabs(s.p95_ms - 190000) < 3 * 975);
    assert_true(fabs(s.p99_ms - 198000) < 3 * 445);
    /* Not just the first 2000 kept. */
    assert_true(s.p50_ms > 2000);
    tsn_latency_stats_free(st);
}

static void test_format(void **state)
{
    struct tsn_latency_summary s = {120, 10.12, 12.34, 12.0, 15.25, 17.94, 18.4};
    char buf[128];
    tsn_latency_summary_format(&s, buf, sizeof buf);
    assert_string_equal(buf, "n=120 min=10.1 mean=12.3 p50=12.0 p95=15.2 p99=17.9 max=18.4 ms");
    char small[8];
    int n = tsn_latency_summary_format(&s, small, sizeof small);
    assert_true(n > (int)sizeof small);
    assert_string_equal(small, "n=120 m");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_uniform_100),
        cmocka_unit_test(test_uniform_5000),
        cmocka_unit_test(test_exponential),
        cmocka_unit_test(test_single_and_negative),
        cmocka_unit_test(test_rejects_non_finite),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_reservoir),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
