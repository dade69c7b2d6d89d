/* Fuzz target for the pure parts of common/gst/abs_capture_time.c: parse an
 * extension element of any length, and check the conversion invariants on
 * the values it yields: NTP -> Unix us -> NTP keeps the time to within a
 * microsecond, and us -> NTP -> us and GStreamer ns -> NTP -> ns are exact
 * inside the readable era (1968..2104). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abs_capture_time.h"

/* 1968-01-20T03:14:08Z .. 2104-02-26 in Unix us: NTP era 0 second 2^31 to
 * era 1 second 2^31 - 1. */
#define MIN_US (((1LL << 31) - TSN_ACT_NTP_UNIX_DIFF) * 1000000LL)
#define MAX_US (((1LL << 32) + (1LL << 31) - 1 - TSN_ACT_NTP_UNIX_DIFF) * 1000000LL)

static void check_ntp(uint64_t ntp)
{
    int64_t us = tsn_act_unix_us_from_ntp(ntp);
    if (us < MIN_US || us > MAX_US + 1000000)
        abort();
    uint64_t back = tsn_act_ntp_from_unix_us(us);
    /* Same second (or the next when the fraction rounded up), fraction
     * within one microsecond (4295 units of 2^-32 s). */
    int64_t diff = (int64_t)(back - ntp);
    if (diff < -4295 || diff > 4295)
        abort();
    /* The last fraction of a second of the era can round up into the next
     * era, which then reads back as 1968: exact only below that. */
    uint64_t ns = tsn_act_gst_ns_from_ntp(ntp);
    if (ns < ((1ULL << 32) + (1ULL << 31)) * 1000000000ULL &&
        tsn_act_gst_ns_from_ntp(tsn_act_ntp_from_gst_ns(ns)) != ns)
        abort();
}

static void check_us(int64_t raw)
{
    int64_t span = MAX_US - MIN_US;
    int64_t us = MIN_US + (int64_t)((uint64_t)raw % (uint64_t)span);
    if (tsn_act_unix_us_from_ntp(tsn_act_ntp_from_unix_us(us)) != us)
        abort();
    if (tsn_act_unix_us_from_gst_ns(tsn_act_gst_ns_from_unix_us(us)) != us)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t ntp = 0;
    int64_t offset = 0;
    int rc = tsn_act_parse(data, size, &ntp, &offset);
    if ((rc == 0) != (size == 8 || size == 16))
        abort();
    if (rc == 0) {
        uint8_t again[8];
        tsn_act_pack(ntp, again);
        if (memcmp(again, data, 8) != 0)
            abort();
        check_ntp(ntp);
    }
    if (size >= 8) {
        int64_t raw;
        memcpy(&raw, data, sizeof raw);
        check_us(raw);
    }
    return 0;
}
