/* Unit tests for relay/rate_limit.c (token bucket): a fresh bucket gives a
 * full burst at its first use, then refuses; tokens come back at `per_s`
 * (partial tokens accumulate, the bucket never holds more than `burst`); a
 * refusal takes nothing; time going backwards refills nothing. The limits
 * the relay uses (20/s burst 40, chat 2/s burst 10) are exercised as
 * numbers, not through ws_channel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rate_limit.h"

#define S_US 1000000ull

/* Takes until refused at `now_us`; returns how many were allowed. */
static int drain(struct tsn_rate *r, double per_s, double burst, uint64_t now_us)
{
    int n = 0;
    while (tsn_rate_take(r, per_s, burst, now_us)) {
        n++;
        if (n > 100000)
            fail_msg("bucket never empties");
    }
    return n;
}

static void test_burst_then_refuse(void **state)
{
    (void)state;
    struct tsn_rate r = {0};
    assert_int_equal(drain(&r, 20.0, 40.0, 5 * S_US), 40);
    /* Refusals take nothing and keep refusing at the same instant. */
    for (int i = 0; i < 10; i++)
        assert_int_equal(tsn_rate_take(&r, 20.0, 40.0, 5 * S_US), 0);
    assert_true(r.tokens >= 0.0 && r.tokens < 1.0);

    struct tsn_rate chat = {0};
    assert_int_equal(drain(&chat, 2.0, 10.0, 7 * S_US), 10);
}

static void test_refill_at_rate(void **state)
{
    (void)state;
    struct tsn_rate r = {0};
    uint64_t t = 10 * S_US;
    assert_int_equal(drain(&r, 20.0, 40.0, t), 40);
    /* 20 per second: one token per 50 ms. 49 ms is not enough. */
    assert_int_equal(tsn_rate_take(&r, 20.0, 40.0, t + 49000), 0);
    assert_int_equal(tsn_rate_take(&r, 20.0, 40.0, t + 50000), 1);
    assert_int_equal(tsn_rate_take(&r, 20.0, 40.0, t + 50000), 0);
    /* Half a second later: 10 tokens. */
    t += 50000;
    assert_int_equal(drain(&r, 20.0, 40.0, t + S_US / 2), 10);
    /* Partial tokens add up across refused calls: 25 ms + 25 ms = 1. */
    t += S_US / 2;
    assert_int_equal(tsn_rate_take(&r, 20.0, 40.0, t + 25000), 0);
    assert_int_equal(tsn_rate_take(&r, 20.0, 40.0, t + 50000), 1);
}

static void test_refill_capped_at_burst(void **state)
{
    (void)state;
    struct tsn_rate r = {0};
    assert_int_equal(drain(&r, 2.0, 10.0, 1 * S_US), 10);
    /* An hour idle gives back the burst, not 7200 tokens. */
    assert_int_equal(drain(&r, 2.0, 10.0, 3601 * S_US), 10);
    /* Steady use at the rate always passes: one every 500 ms. */
    for (uint64_t k = 1; k <= 50; k++)
        assert_int_equal(tsn_rate_take(&r, 2.0, 10.0, 3601 * S_US + k * S_US / 2), 1);
}

static void test_time_backwards_no_refill(void **state)
{
    (void)state;
    struct tsn_rate r = {0};
    uint64_t t = 100 * S_US;
    assert_int_equal(drain(&r, 20.0, 40.0, t), 40);
    /* Earlier clock readings never give tokens. */
    assert_int_equal(tsn_rate_take(&r, 20.0, 40.0, t - S_US), 0);
    assert_int_equal(tsn_rate_take(&r, 20.0, 40.0, t - 50 * S_US), 0);
    assert_int_equal(tsn_rate_take(&r, 20.0, 40.0, 1), 0);
    assert_true(r.tokens < 1.0);
}

static void test_fresh_bucket_full(void **state)
{
    (void)state;
    /* Zeroed = full at first use, whatever the first time is. */
    struct tsn_rate r = {0};
    assert_int_equal(tsn_rate_take(&r, 1.0, 1.0, 123456789), 1);
    assert_int_equal(tsn_rate_take(&r, 1.0, 1.0, 123456789), 0);
    assert_int_equal(tsn_rate_take(&r, 1.0, 1.0, 123456789 + S_US), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_refuse),
        cmocka_unit_test(test_refill_at_rate),
        cmocka_unit_test(test_refill_capped_at_burst),
        cmocka_unit_test(test_time_backwards_no_refill),
        cmocka_unit_test(test_fresh_bucket_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
