/* Unit tests for viewer/export_reorder.c: packets come out in sequence
 * order whatever order they went in (within the window), duplicates and
 * late packets are dropped and counted, missing numbers are reported before
 * the packet that follows them, the 16-bit wrap is crossed, a flush starts a
 * new numbering, and the unwrapping helpers pick the nearest extension. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "export_reorder.h"

#define MAX_OUT 4096

struct sink {
    uint16_t seq[MAX_OUT];
    uint64_t missing[MAX_OUT];
    uint64_t time_us[MAX_OUT];
    size_t n;
};

static void on_pkt(void *ctx, struct tsn_export_pkt *p, uint64_t missing)
{
    struct sink *s = ctx;
    assert_true(s->n < MAX_OUT);
    assert_int_equal(p->len, 2);
    s->seq[s->n] = (uint16_t)(p->data[0] << 8 | p->data[1]);
    s->missing[s->n] = missing;
    s->time_us[s->n] = p->time_us;
    s->n++;
    tsn_export_pkt_free(p);
}

static int push(struct tsn_export_reorder *r, uint16_t seq)
{
    uint8_t b[2] = {(uint8_t)(seq >> 8), (uint8_t)seq};
    return tsn_export_reorder_push(r, seq, b, sizeof b, 1000u + seq, 0);
}

static void test_in_order_and_swapped(void **state)
{
    struct sink s = {0};
    struct tsn_export_reorder *r = tsn_export_reorder_new(8, on_pkt, &s);
    assert_non_null(r);
    static const uint16_t in[] = {100, 102, 101, 103, 105, 104, 99, 106, 107};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        assert_int_equal(push(r, in[i]), 0);
    tsn_export_reorder_flush(r);
    assert_int_equal(s.n, 9);
    for (size_t i = 0; i < s.n; i++) {
        assert_int_equal(s.seq[i], 99 + i);
        assert_int_equal(s.missing[i], 0);
        assert_int_equal(s.time_us[i], 1000u + 99 + i);
    }
    const struct tsn_export_reorder_stats *st = tsn_export_reorder_stats(r);
    assert_int_equal(st->packets, 9);
    assert_int_equal(st->duplicates + st->late + st->missing, 0);
    tsn_export_reorder_free(r);
}

static void test_duplicates_late_missing(void **state)
{
    struct sink s = {0};
    struct tsn_export_reorder *r = tsn_export_reorder_new(4, on_pkt, &s);
    assert_int_equal(push(r, 10), 0);
    assert_int_equal(push(r, 10), 1); /* held: a duplicate */
    assert_int_equal(push(r, 11), 0);
    assert_int_equal(push(r, 14), 0); /* 12, 13 lost */
    assert_int_equal(push(r, 20), 0); /* pushes 10, 11, 14 out */
    assert_int_equal(s.n, 3);
    assert_int_equal(push(r, 11), 1); /* already handed on: late */
    assert_int_equal(push(r, 15), 1); /* before the window's start now: late */
    tsn_export_reorder_flush(r);
    assert_int_equal(s.n, 4);
    static const uint16_t want[] = {10, 11, 14, 20};
    static const uint64_t miss[] = {0, 0, 2, 5};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(s.seq[i], want[i]);
        assert_int_equal(s.missing[i], miss[i]);
    }
    const struct tsn_export_reorder_stats *st = tsn_export_reorder_stats(r);
    assert_int_equal(st->duplicates, 1);
    assert_int_equal(st->late, 2);
    assert_int_equal(st->missing, 7);
    assert_int_equal(st->packets, 4);
    tsn_export_reorder_free(r);
}

static void test_wrap(void **state)
{
    struct sink s = {0};
    struct tsn_export_reorder *r = tsn_export_reorder_new(16, on_pkt, &s);
    static const uint16_t in[] = {65533, 65535, 65534, 1, 0, 2, 3};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        assert_int_equal(push(r, in[i]), 0);
    tsn_export_reorder_flush(r);
    static const uint16_t want[] = {65533, 65534, 65535, 0, 1, 2, 3};
    assert_int_equal(s.n, 7);
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(s.seq[i], want[i]);
        assert_int_equal(s.missing[i], 0);
    }
    tsn_export_reorder_free(r);
}

/* A flush ends a numbering: the next packet may have any number (a new
 * generation) and nothing is counted missing across it. */
static void test_flush_new_numbering(void **state)
{
    struct sink s = {0};
    struct tsn_export_reorder *r = tsn_export_reorder_new(32, on_pkt, &s);
    push(r, 5000);
    push(r, 5001);
    tsn_export_reorder_flush(r);
    assert_int_equal(s.n, 2);
    push(r, 17);
    push(r, 16);
    tsn_export_reorder_flush(r);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.seq[2], 16);
    assert_int_equal(s.seq[3], 17);
    assert_int_equal(s.missing[2], 0);
    assert_int_equal(tsn_export_reorder_stats(r)->missing, 0);
    tsn_export_reorder_free(r);
}

/* A long in-order run through a small window: memory stays bounded (the
 * window hands packets on as it goes) and every packet comes out once. */
static void test_long_run(void **state)
{
    static struct sink s;
    memset(&s, 0, sizeof s);
    struct tsn_export_reorder *r = tsn_export_reorder_new(3, on_pkt, &s);
    for (unsigned i = 0; i < 3000; i++) {
        assert_int_equal(push(r, (uint16_t)(60000 + i)), 0);
        assert_true(s.n + 3 >= i); /* at most the window is held back */
    }
    tsn_export_reorder_flush(r);
    assert_int_equal(s.n, 3000);
    for (unsigned i = 0; i < 3000; i++)
        assert_int_equal(s.seq[i], (uint16_t)(60000 + i));
    tsn_export_reorder_free(r);
}

static void test_bad_window(void **state)
{
    struct sink s = {0};
    assert_null(tsn_export_reorder_new(0, on_pkt, &s));
    assert_null(tsn_export_reorder_new(TSN_EXPORT_MAX_WINDOW + 1, on_pkt, &s));
    assert_null(tsn_export_reorder_new(8, NULL, &s));
    tsn_export_reorder_free(NULL);
}

static void test_extend(void **state)
{
    assert_int_equal(tsn_export_seq_extend(0x10005, 7), 0x10007);
    assert_int_equal(tsn_export_seq_extend(0x1fff0, 3), 0x20003);     /* forward over the wrap */
    assert_int_equal(tsn_export_seq_extend(0x20003, 65530), 0x1fffa); /* back over it */
    assert_int_equal(tsn_export_seq_extend(5, 65530), 65530);         /* never below 0 */
    uint64_t c = 1ull << 32;
    assert_int_equal(tsn_export_ts_extend(c + 100, 4000), c + 4000);
    assert_int_equal(tsn_export_ts_extend(c + 0xfffff000u, 0x10), 2 * c + 0x10);
    assert_int_equal(tsn_export_ts_extend(2 * c + 0x10, 0xfffff000u), c + 0xfffff000u);
    assert_int_equal(tsn_export_ts_extend(c, 0x7fffffffu), c + 0x7fffffffu);
    assert_int_equal(tsn_export_ts_extend(c, 0x80000001u), 0x80000001u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_and_swapped),
        cmocka_unit_test(test_duplicates_late_missing),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_flush_new_numbering),
        cmocka_unit_test(test_long_run),
        cmocka_unit_test(test_bad_window),
        cmocka_unit_test(test_extend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
