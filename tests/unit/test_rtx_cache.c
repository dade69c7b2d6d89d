/* Unit tests for relay/rtx_cache.c: capacity rounding, put/get with flags,
 * eviction once the ring laps, sequence numbers wrapping at 65535, oversize
 * and invalid packets, clear. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rtx_cache.h"

/* A recognisable packet for `seq`: its length and every byte depend on it. */
static size_t make_pkt(uint16_t seq, uint8_t *out)
{
    size_t len = 12 + (seq % 97);
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)(seq * 31 + i);
    return len;
}

static void expect_pkt(const struct tsn_rtx_cache *c, uint16_t seq, uint32_t want_flags)
{
    uint8_t want[TSN_RTX_SLOT_BYTES];
    size_t want_len = make_pkt(seq, want);
    size_t len = 0;
    uint32_t flags = 0xDEAD;
    const uint8_t *p = tsn_rtx_cache_get(c, seq, &len, &flags);
    assert_non_null(p);
    assert_int_equal(len, want_len);
    assert_int_equal(flags, want_flags);
    assert_memory_equal(p, want, want_len);
}

static void put_seq(struct tsn_rtx_cache *c, uint16_t seq, uint32_t flags)
{
    uint8_t pkt[TSN_RTX_SLOT_BYTES];
    size_t len = make_pkt(seq, pkt);
    assert_int_equal(tsn_rtx_cache_put(c, seq, pkt, len, flags), 0);
}

static void test_capacity(void **state)
{
    const unsigned asks[][2] = {{0, 16},    {1, 16},     {16, 16},       {17, 32},      {500, 512},
                                {512, 512}, {513, 1024}, {32767, 32768}, {32768, 32768}};
    for (size_t i = 0; i < sizeof asks / sizeof *asks; i++) {
        struct tsn_rtx_cache *c = tsn_rtx_cache_new(asks[i][0]);
        assert_non_null(c);
        assert_int_equal(tsn_rtx_cache_capacity(c), asks[i][1]);
        tsn_rtx_cache_free(c);
    }
    assert_null(tsn_rtx_cache_new(32769));
    assert_null(tsn_rtx_cache_new(~0u));
    tsn_rtx_cache_free(NULL);
    assert_int_equal(tsn_rtx_cache_capacity(NULL), 0);
}

static void test_put_get(void **state)
{
    struct tsn_rtx_cache *c = tsn_rtx_cache_new(64);
    assert_non_null(c);
    /* Nothing stored yet, including seq 0 (the zeroed slot's seq). */
    assert_null(tsn_rtx_cache_get(c, 0, NULL, NULL));
    assert_null(tsn_rtx_cache_get(c, 5, NULL, NULL));

    for (uint16_t s = 1000; s < 1040; s++)
        put_seq(c, s, s == 1010 ? 1u : 0u);
    for (uint16_t s = 1000; s < 1040; s++)
        expect_pkt(c, s, s == 1010 ? 1u : 0u);
    assert_null(tsn_rtx_cache_get(c, 999, NULL, NULL));
    assert_null(tsn_rtx_cache_get(c, 1040, NULL, NULL));

    /* len and flags may be NULL. */
    assert_non_null(tsn_rtx_cache_get(c, 1001, NULL, NULL));

    /* Re-putting the same seq replaces the packet and its flags. */
    const uint8_t other[] = {1, 2, 3};
    size_t len;
    uint32_t flags;
    assert_int_equal(tsn_rtx_cache_put(c, 1010, other, sizeof other, 7), 0);
    const uint8_t *p = tsn_rtx_cache_get(c, 1010, &len, &flags);
    assert_non_null(p);
    assert_int_equal(len, 3);
    assert_int_equal(flags, 7);
    assert_memory_equal(p, other, 3);

    /* The cache copied the bytes: changing the source changes nothing. */
    uint8_t src[16] = {9, 9, 9};
    assert_int_equal(tsn_rtx_cache_put(c, 2000, src, sizeof src, 0), 0);
    src[0] = 0;
    p = tsn_rtx_cache_get(c, 2000, &len, NULL);
    assert_int_equal(p[0], 9);
    tsn_rtx_cache_free(c);
}

static void test_eviction(void **state)
{
    struct tsn_rtx_cache *c = tsn_rtx_cache_new(16);
    assert_non_null(c);
    for (uint16_t s = 0; s < 16; s++)
        put_seq(c, s, 0);
    for (uint16_t s = 0; s < 16; s++)
        expect_pkt(c, s, 0);

    /* One more lap: 16..31 replace 0..15 slot by slot. */
    for (uint16_t s = 16; s < 24; s++)
        put_seq(c, s, 0);
    for (uint16_t s = 0; s < 8; s++)
        assert_null(tsn_rtx_cache_get(c, s, NULL, NULL));
    for (uint16_t s = 8; s < 24; s++)
        expect_pkt(c, s, 0);
    /* The slot of 24 still holds 8: asking for 24 or 40 must miss. */
    assert_null(tsn_rtx_cache_get(c, 24, NULL, NULL));
    assert_null(tsn_rtx_cache_get(c, 40, NULL, NULL));
    tsn_rtx_cache_free(c);
}

static void test_seq_wrap(void **state)
{
    struct tsn_rtx_cache *c = tsn_rtx_cache_new(32);
    assert_non_null(c);
    for (uint32_t i = 0; i < 20; i++)
        put_seq(c, (uint16_t)(65526 + i), i == 10 ? 1u : 0u);
    /* 65526..65535 then 0..9 are all there. */
    for (uint32_t i = 0; i < 20; i++)
        expect_pkt(c, (uint16_t)(65526 + i), i == 10 ? 1u : 0u);
    assert_null(tsn_rtx_cache_get(c, 65525, NULL, NULL));
    assert_null(tsn_rtx_cache_get(c, 10, NULL, NULL));

    /* Keep going past one lap: 65526..65535 are evicted by 22..31. */
    for (uint16_t s = 10; s < 32; s++)
        put_seq(c, s, 0);
    for (uint32_t i = 0; i < 10; i++)
        assert_null(tsn_rtx_cache_get(c, (uint16_t)(65526 + i), NULL, NULL));
    for (uint16_t s = 0; s < 32; s++)
        expect_pkt(c, s, s == 0 ? 1u : 0u);
    tsn_rtx_cache_free(c);
}

static void test_oversize_and_invalid(void **state)
{
    struct tsn_rtx_cache *c = tsn_rtx_cache_new(16);
    assert_non_null(c);
    static uint8_t big[TSN_RTX_SLOT_BYTES + 1];
    memset(big, 0xAB, sizeof big);

    assert_int_equal(tsn_rtx_cache_put(c, 3, big, sizeof big, 0), -EMSGSIZE);
    assert_null(tsn_rtx_cache_get(c, 3, NULL, NULL));

    /* Exactly the slot size is kept. */
    size_t len = 0;
    assert_int_equal(tsn_rtx_cache_put(c, 3, big, TSN_RTX_SLOT_BYTES, 2), 0);
    const uint8_t *p = tsn_rtx_cache_get(c, 3, &len, NULL);
    assert_non_null(p);
    assert_int_equal(len, TSN_RTX_SLOT_BYTES);
    assert_memory_equal(p, big, TSN_RTX_SLOT_BYTES);

    /* A refused oversize put leaves the slot's earlier packet intact. */
    assert_int_equal(tsn_rtx_cache_put(c, 19, big, sizeof big, 0), -EMSGSIZE);
    assert_non_null(tsn_rtx_cache_get(c, 3, NULL, NULL));

    assert_int_equal(tsn_rtx_cache_put(c, 4, big, 0, 0), -EINVAL);
    assert_int_equal(tsn_rtx_cache_put(c, 4, NULL, 10, 0), -EINVAL);
    assert_int_equal(tsn_rtx_cache_put(NULL, 4, big, 10, 0), -EINVAL);
    assert_null(tsn_rtx_cache_get(NULL, 4, NULL, NULL));
    tsn_rtx_cache_free(c);
}

static void test_clear(void **state)
{
    struct tsn_rtx_cache *c = tsn_rtx_cache_new(16);
    assert_non_null(c);
    for (uint16_t s = 0; s < 16; s++)
        put_seq(c, s, 1);
    tsn_rtx_cache_clear(c);
    for (uint16_t s = 0; s < 16; s++)
        assert_null(tsn_rtx_cache_get(c, s, NULL, NULL));
    assert_int_equal(tsn_rtx_cache_capacity(c), 16);
    /* Usable again after a clear. */
    put_seq(c, 5, 0);
    expect_pkt(c, 5, 0);
    tsn_rtx_cache_clear(NULL);
    tsn_rtx_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_put_get),
        cmocka_unit_test(test_eviction),
        cmocka_unit_test(test_seq_wrap),
        cmocka_unit_test(test_oversize_and_invalid),
        cmocka_unit_test(test_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
