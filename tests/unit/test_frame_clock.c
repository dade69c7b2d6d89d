/* Unit tests for relay/frame_clock.c: set/get/forget per room (a set
 * replaces the room's frame, rooms are independent, an unknown or forgotten
 * room is -ENOENT, forgetting an unknown room is harmless), free(NULL), and
 * tsn_ntp_to_unix_ms on known timestamps (the Unix epoch, half a second, a
 * 2026 date, the fraction truncated to whole ms). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "frame_clock.h"

#define NTP_UNIX_OFFSET_S 2208988800ull

static void test_set_get_forget(void **state)
{
    (void)state;
    struct tsn_frame_clock *fc = tsn_frame_clock_new();
    assert_non_null(fc);
    struct tsn_frame_info got = {.rtp_ts = 99};
    assert_int_equal(tsn_frame_clock_get(fc, "r1", &got), -ENOENT);
    assert_int_equal(got.rtp_ts, 99); /* untouched */

    struct tsn_frame_info a = {.rtp_ts = 2714430, .has_capture_ms = 1, .capture_ms = 1795746031140};
    struct tsn_frame_info b = {.rtp_ts = 4000000000u, .has_capture_ms = 0};
    assert_int_equal(tsn_frame_clock_set(fc, "r1", &a), 0);
    assert_int_equal(tsn_frame_clock_set(fc, "r2", &b), 0);
    assert_int_equal(tsn_frame_clock_get(fc, "r1", &got), 0);
    assert_int_equal(got.rtp_ts, 2714430);
    assert_int_equal(got.has_capture_ms, 1);
    assert_int_equal(got.capture_ms, 1795746031140);
    assert_int_equal(tsn_frame_clock_get(fc, "r2", &got), 0);
    assert_int_equal(got.rtp_ts, 4000000000u);
    assert_int_equal(got.has_capture_ms, 0);

    /* A newer frame replaces the room's. */
    a.rtp_ts += 9000;
    a.capture_ms += 100;
    assert_int_equal(tsn_frame_clock_set(fc, "r1", &a), 0);
    assert_int_equal(tsn_frame_clock_get(fc, "r1", &got), 0);
    assert_int_equal(got.rtp_ts, 2714430 + 9000);
    assert_int_equal(got.capture_ms, 1795746031240);

    tsn_frame_clock_forget(fc, "r1");
    assert_int_equal(tsn_frame_clock_get(fc, "r1", &got), -ENOENT);
    assert_int_equal(tsn_frame_clock_get(fc, "r2", &got), 0); /* the other stays */
    assert_int_equal(got.rtp_ts, 4000000000u);
    tsn_frame_clock_forget(fc, "nobody"); /* no-op */
    tsn_frame_clock_forget(fc, "r1");     /* twice: no-op */
    /* A forgotten room can come back. */
    assert_int_equal(tsn_frame_clock_set(fc, "r1", &b), 0);
    assert_int_equal(tsn_frame_clock_get(fc, "r1", &got), 0);
    assert_int_equal(got.rtp_ts, 4000000000u);
    tsn_frame_clock_free(fc);
    tsn_frame_clock_free(NULL);
}

static void test_many_rooms(void **state)
{
    (void)state;
    struct tsn_frame_clock *fc = tsn_frame_clock_new();
    char name[16];
    for (uint32_t i = 0; i < 50; i++) {
        snprintf(name, sizeof name, "room-%u", i);
        struct tsn_frame_info f = {.rtp_ts = i * 3000, .has_capture_ms = 1, .capture_ms = i};
        assert_int_equal(tsn_frame_clock_set(fc, name, &f), 0);
    }
    for (uint32_t i = 0; i < 50; i += 2) {
        snprintf(name, sizeof name, "room-%u", i);
        tsn_frame_clock_forget(fc, name);
    }
    for (uint32_t i = 0; i < 50; i++) {
        struct tsn_frame_info f;
        snprintf(name, sizeof name, "room-%u", i);
        int rc = tsn_frame_clock_get(fc, name, &f);
        if (i % 2) {
            assert_int_equal(rc, 0);
            assert_int_equal(f.rtp_ts, i * 3000);
            assert_int_equal(f.capture_ms, i);
        } else {
            assert_int_equal(rc, -ENOENT);
        }
    }
    tsn_frame_clock_free(fc);
}

static uint64_t ntp(uint64_t seconds, uint32_t fraction)
{
    return seconds << 32 | fraction;
}

static void test_ntp_to_unix_ms(void **state)
{
    (void)state;
    /* The Unix epoch, plus half a second. */
    assert_int_equal(tsn_ntp_to_unix_ms(ntp(NTP_UNIX_OFFSET_S, 0)), 0);
    assert_int_equal(tsn_ntp_to_unix_ms(ntp(NTP_UNIX_OFFSET_S, 0x80000000u)), 500);
    assert_int_equal(tsn_ntp_to_unix_ms(ntp(NTP_UNIX_OFFSET_S, 0x40000000u)), 250);
    /* 2026-01-01T00:00:00Z = Unix 1767225600. */
    assert_int_equal(tsn_ntp_to_unix_ms(ntp(1767225600ull + NTP_UNIX_OFFSET_S, 0)),
                     1767225600000ll);
    /* 2026-11-27T05:00:00.250Z = Unix 1795755600.250 */
    assert_int_equal(tsn_ntp_to_unix_ms(ntp(1795755600ull + NTP_UNIX_OFFSET_S, 0x40000000u)),
                     1795755600250ll);
    /* The fraction is truncated to whole ms: 0.9999999998 s -> 999 ms. */
    assert_int_equal(tsn_ntp_to_unix_ms(ntp(NTP_UNIX_OFFSET_S + 1, 0xffffffffu)), 1999);
    /* 1 ms is 4294967.296 fraction units: 4294968 is just above, 4294967 just below. */
    assert_int_equal(tsn_ntp_to_unix_ms(ntp(NTP_UNIX_OFFSET_S, 4294968u)), 1);
    assert_int_equal(tsn_ntp_to_unix_ms(ntp(NTP_UNIX_OFFSET_S, 4294967u)), 0);
    /* Before 1970 (NTP era 0): negative Unix ms. */
    assert_int_equal(tsn_ntp_to_unix_ms(ntp(NTP_UNIX_OFFSET_S - 1, 0)), -1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_get_forget),
        cmocka_unit_test(test_many_rooms),
        cmocka_unit_test(test_ntp_to_unix_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
