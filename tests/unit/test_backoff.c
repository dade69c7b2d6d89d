/* Unit tests for common/backoff.c: the doubling from the initial delay to the
 * maximum, the +-20% jitter (bounds, both signs, spread), reset, the same
 * sequence for the same seed, a delay never <= 0 and the maximum kept even
 * at the extremes of int. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backoff.h"

/* The delay may be base - base/5 .. base + base/5 (never below 1). */
static void assert_jittered(int delay, int base)
{
    long lo = (long)base - base / 5, hi = (long)base + base / 5;
    if (lo < 1)
        lo = 1;
    if (delay < lo || delay > hi)
        fail_msg("delay %d outside %ld..%ld for base %d", delay, lo, hi, base);
}

static void test_doubling(void **state)
{
    struct tsn_backoff b;
    tsn_backoff_init(&b, 1000, 30000, 42);
    assert_int_equal(b.initial_ms, 1000);
    assert_int_equal(b.max_ms, 30000);
    assert_int_equal(b.next_ms, 1000);
    assert_int_equal(b.failures, 0);
    static const int bases[] = {1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        assert_jittered(tsn_backoff_next_ms(&b), bases[i]);
        assert_int_equal(b.failures, (int)i + 1);
    }
    assert_int_equal(b.next_ms, 30000);

    /* A step that would pass the maximum stops at it. */
    tsn_backoff_init(&b, 7000, 30000, 1);
    static const int bases2[] = {7000, 14000, 28000, 30000, 30000};
    for (size_t i = 0; i < sizeof bases2 / sizeof bases2[0]; i++)
        assert_jittered(tsn_backoff_next_ms(&b), bases2[i]);
}

static void test_jitter_spread(void **state)
{
    struct tsn_backoff b;
    tsn_backoff_init(&b, 10000, 10000, 12345);
    int lo = INT_MAX, hi = 0, below = 0, above = 0;
    for (int i = 0; i < 2000; i++) {
        int d = tsn_backoff_next_ms(&b);
        assert_jittered(d, 10000);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
        below += d < 10000;
        above += d > 10000;
    }
    /* Uniform over 8000..12000: 2000 draws reach near both ends and fall on
     * both sides in roughly equal numbers. */
    if (lo > 8100 || hi < 11900)
        fail_msg("jitter covers only %d..%d", lo, hi);
    if (below < 800 || above < 800)
        fail_msg("jitter is lopsided: %d below, %d above", below, above);
}

static void test_deterministic(void **state)
{
    struct tsn_backoff a, b, c;
    tsn_backoff_init(&a, 500, 60000, 7);
    tsn_backoff_init(&b, 500, 60000, 7);
    tsn_backoff_init(&c, 500, 60000, 8);
    int differ = 0;
    for (int i = 0; i < 50; i++) {
        int da = tsn_backoff_next_ms(&a), db = tsn_backoff_next_ms(&b);
        assert_int_equal(da, db);
        differ += da != tsn_backoff_next_ms(&c);
    }
    assert_true(differ > 25); /* another seed gives another sequence */

    /* Seed 0 is replaced by a fixed non-zero state: still jittered. */
    tsn_backoff_init(&a, 10000, 10000, 0);
    tsn_backoff_init(&b, 10000, 10000, 0);
    int first = tsn_backoff_next_ms(&a), varied = 0;
    assert_int_equal(first, tsn_backoff_next_ms(&b));
    for (int i = 0; i < 20; i++)
        varied += tsn_backoff_next_ms(&a) != first;
    assert_true(varied > 10);
}

static void test_reset(void **state)
{
    struct tsn_backoff b;
    tsn_backoff_init(&b, 250, 8000, 99);
    for (int i = 0; i < 10; i++)
        tsn_backoff_next_ms(&b);
    assert_int_equal(b.next_ms, 8000);
    assert_int_equal(b.failures, 10);
    tsn_backoff_reset(&b);
    assert_int_equal(b.next_ms, 250);
    assert_int_equal(b.failures, 0);
    assert_jittered(tsn_backoff_next_ms(&b), 250);
    assert_jittered(tsn_backoff_next_ms(&b), 500);
    assert_int_equal(b.failures, 2);
}

static void test_small_and_bad_values(void **state)
{
    struct tsn_backoff b;
    /* Non-positive initial becomes 1, a maximum below it becomes initial. */
    tsn_backoff_init(&b, 0, 0, 5);
    assert_int_equal(b.initial_ms, 1);
    assert_int_equal(b.max_ms, 1);
    for (int i = 0; i < 10; i++)
        assert_int_equal(tsn_backoff_next_ms(&b), 1);
    tsn_backoff_init(&b, -100, -5, 5);
    assert_int_equal(b.initial_ms, 1);
    assert_int_equal(tsn_backoff_next_ms(&b), 1);
    tsn_backoff_init(&b, 3000, 2000, 5);
    assert_int_equal(b.max_ms, 3000);
    for (int i = 0; i < 5; i++)
        assert_jittered(tsn_backoff_next_ms(&b), 3000);

    /* Below 5 ms there is no room for jitter: exact doubling 1, 2, 4, 8. */
    tsn_backoff_init(&b, 1, 8, 5);
    assert_int_equal(tsn_backoff_next_ms(&b), 1);
    assert_int_equal(tsn_backoff_next_ms(&b), 2);
    assert_int_equal(tsn_backoff_next_ms(&b), 4);
    assert_jittered(tsn_backoff_next_ms(&b), 8);
    assert_jittered(tsn_backoff_next_ms(&b), 8);
}

static void test_extreme_max(void **state)
{
    /* A maximum of INT_MAX: the doubling must not overflow and the jitter
     * must not wrap the delay negative (the result is capped at INT_MAX). */
    struct tsn_backoff b;
    tsn_backoff_init(&b, INT_MAX / 3, INT_MAX, 77);
    assert_jittered(tsn_backoff_next_ms(&b), INT_MAX / 3);
    assert_int_equal(b.next_ms, INT_MAX / 3 * 2);
    assert_jittered(tsn_backoff_next_ms(&b), INT_MAX / 3 * 2);
    assert_int_equal(b.next_ms, INT_MAX);
    for (int i = 0; i < 200; i++) {
        int d = tsn_backoff_next_ms(&b);
        if (d < INT_MAX - INT_MAX / 5)
            fail_msg("delay %d at a maximum of INT_MAX", d);
    }
    tsn_backoff_init(&b, 1000, INT_MAX, 3);
    for (int i = 0; i < 64; i++)
        assert_true(tsn_backoff_next_ms(&b) > 0);
    assert_int_equal(b.next_ms, INT_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doubling),
        cmocka_unit_test(test_jitter_spread),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_small_and_bad_values),
        cmocka_unit_test(test_extreme_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
