/* Unit tests for relay/rec_ring.c (the media thread's lock-free hand-off to
 * the recorder): the slot count is rounded up to a power of two (a ring of
 * N slots holds exactly N items); items come back in order with their
 * handle, type, time and bytes; a payload over the slot size is refused
 * with -EMSGSIZE and not counted as a drop; a full ring refuses with
 * -ENOBUFS and counts each refusal; popping frees a slot and the indices
 * wrap. Then a producer thread puts 1,000,000 sequence-numbered items of
 * varying length through a small ring while the consumer checks strict
 * order and every byte (retrying when full, so none may be lost). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "rec_ring.h"

/* Puts until full; returns how many went in. */
static unsigned fill(struct tsn_rec_ring *q)
{
    unsigned n = 0;
    uint8_t b = 0;
    while (tsn_rec_ring_put(q, 1, 3, n, &b, 1) == 0)
        n++;
    return n;
}

static void test_rounding(void **state)
{
    (void)state;
    static const struct {
        unsigned asked, holds;
    } cases[] = {{0, 1}, {1, 1},     {2, 2},       {3, 4},      {4, 4},
                 {5, 8}, {100, 128}, {1024, 1024}, {1025, 2048}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tsn_rec_ring *q = tsn_rec_ring_new(cases[i].asked);
        assert_non_null(q);
        unsigned n = fill(q);
        if (n != cases[i].holds)
            fail_msg("ring of %u slots holds %u items, expected %u", cases[i].asked, n,
                     cases[i].holds);
        assert_int_equal(tsn_rec_ring_dropped(q), 1); /* the put that found it full */
        tsn_rec_ring_free(q);
    }
    tsn_rec_ring_free(NULL);
}

static void test_order_and_contents(void **state)
{
    (void)state;
    struct tsn_rec_ring *q = tsn_rec_ring_new(8);
    assert_non_null(q);
    assert_null(tsn_rec_ring_peek(q));

    uint8_t big[TSN_REC_RING_SLOT_BYTES];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7 + 1);
    const char *json = "{\"codec\":\"H264\"}";
    uint8_t one = 0xa5;
    assert_int_equal(tsn_rec_ring_put(q, 7, 2, 1000, json, strlen(json)), 0);
    assert_int_equal(tsn_rec_ring_put(q, 0xffffffffu, 3, UINT64_MAX, big, sizeof big), 0);
    assert_int_equal(tsn_rec_ring_put(q, 9, 4, 3, &one, 0), 0); /* empty payload */
    assert_int_equal(tsn_rec_ring_put(q, 9, 3, 4, &one, 1), 0);

    const struct tsn_rec_item *it = tsn_rec_ring_peek(q);
    assert_non_null(it);
    assert_ptr_equal(tsn_rec_ring_peek(q), it); /* peek does not consume */
    assert_int_equal(it->handle, 7);
    assert_int_equal(it->type, 2);
    assert_int_equal(it->time_us, 1000);
    assert_int_equal(it->len, strlen(json));
    assert_memory_equal(it->data, json, strlen(json));
    tsn_rec_ring_pop(q);

    it = tsn_rec_ring_peek(q);
    assert_non_null(it);
    assert_int_equal(it->handle, 0xffffffffu);
    assert_int_equal(it->type, 3);
    assert_true(it->time_us == UINT64_MAX);
    assert_int_equal(it->len, TSN_REC_RING_SLOT_BYTES);
    assert_memory_equal(it->data, big, sizeof big);
    tsn_rec_ring_pop(q);

    it = tsn_rec_ring_peek(q);
    assert_non_null(it);
    assert_int_equal(it->handle, 9);
    assert_int_equal(it->type, 4);
    assert_int_equal(it->time_us, 3);
    assert_int_equal(it->len, 0);
    tsn_rec_ring_pop(q);

    it = tsn_rec_ring_peek(q);
    assert_non_null(it);
    assert_int_equal(it->time_us, 4);
    assert_int_equal(it->len, 1);
    assert_int_equal(it->data[0], 0xa5);
    tsn_rec_ring_pop(q);
    assert_null(tsn_rec_ring_peek(q));
    assert_int_equal(tsn_rec_ring_dropped(q), 0);
    tsn_rec_ring_free(q);
}

static void test_too_long(void **state)
{
    (void)state;
    struct tsn_rec_ring *q = tsn_rec_ring_new(2);
    assert_non_null(q);
    static uint8_t big[TSN_REC_RING_SLOT_BYTES + 1];
    assert_int_equal(tsn_rec_ring_put(q, 1, 3, 0, big, sizeof big), -EMSGSIZE);
    assert_int_equal(tsn_rec_ring_put(q, 1, 3, 0, big, 65536 + 5), -EMSGSIZE); /* not cut to u16 */
    assert_null(tsn_rec_ring_peek(q));
    assert_int_equal(tsn_rec_ring_dropped(q), 0); /* refused, not a drop for a full ring */
    /* Still takes both slots afterwards. */
    assert_int_equal(fill(q), 2);
    tsn_rec_ring_free(q);
}

static void test_full_drops_and_wraps(void **state)
{
    (void)state;
    struct tsn_rec_ring *q = tsn_rec_ring_new(4);
    assert_non_null(q);
    uint32_t v;
    for (v = 0; v < 4; v++)
        assert_int_equal(tsn_rec_ring_put(q, v, 3, v, &v, sizeof v), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(tsn_rec_ring_put(q, 99, 3, 99, &v, sizeof v), -ENOBUFS);
    assert_int_equal(tsn_rec_ring_dropped(q), 5);

    /* One pop frees exactly one slot; the dropped items never appear. */
    tsn_rec_ring_pop(q);
    v = 4;
    assert_int_equal(tsn_rec_ring_put(q, v, 3, v, &v, sizeof v), 0);
    v = 5;
    assert_int_equal(tsn_rec_ring_put(q, v, 3, v, &v, sizeof v), -ENOBUFS);
    assert_int_equal(tsn_rec_ring_dropped(q), 6);

    /* Many laps around the ring keep FIFO order. */
    uint32_t next_out = 1, next_in = 5;
    for (int lap = 0; lap < 1000; lap++) {
        for (int k = 0; k < 3; k++) {
            const struct tsn_rec_item *it = tsn_rec_ring_peek(q);
            assert_non_null(it);
            uint32_t got;
            memcpy(&got, it->data, sizeof got);
            assert_int_equal(got, next_out);
            assert_int_equal(it->handle, next_out);
            assert_int_equal(it->time_us, next_out);
            next_out++;
            tsn_rec_ring_pop(q);
        }
        for (int k = 0; k < 3; k++, next_in++)
            assert_int_equal(tsn_rec_ring_put(q, next_in, 3, next_in, &next_in, sizeof next_in), 0);
    }
    assert_int_equal(tsn_rec_ring_dropped(q), 6);
    unsigned left = 0;
    while (tsn_rec_ring_peek(q)) {
        tsn_rec_ring_pop(q);
        left++;
    }
    assert_int_equal(left, 4);
    assert_int_equal(next_in - next_out, 4);
    tsn_rec_ring_free(q);
}

/* ---- two threads -------------------------------------------------------- */

#define STRESS_ITEMS 1000000u

struct stress {
    struct tsn_rec_ring *q;
    uint64_t full; /* puts refused because the ring was full (producer only) */
};

static size_t item_len(uint32_t seq)
{
    return 4 + (seq * 2654435761u >> 7) % (TSN_REC_RING_SLOT_BYTES - 4 + 1);
}

static uint8_t item_byte(uint32_t seq, size_t i)
{
    return (uint8_t)(seq ^ (seq >> 8) ^ (i * 31));
}

static void *producer(void *arg)
{
    struct stress *s = arg;
    static uint8_t buf[TSN_REC_RING_SLOT_BYTES];
    for (uint32_t seq = 0; seq < STRESS_ITEMS; seq++) {
        size_t len = item_len(seq);
        memcpy(buf, &seq, 4);
        for (size_t i = 4; i < len; i++)
            buf[i] = item_byte(seq, i);
        int rc;
        while ((rc = tsn_rec_ring_put(s->q, seq, (uint8_t)(seq % 5 + 1), (uint64_t)seq * 3, buf,
                                      len)) == -ENOBUFS) {
            s->full++;
            sched_yield();
        }
        if (rc != 0)
            return (void *)1;
    }
    return NULL;
}

static void test_two_threads(void **state)
{
    (void)state;
    struct stress s = {.q = tsn_rec_ring_new(64)};
    assert_non_null(s.q);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, producer, &s), 0);
    uint32_t expect = 0;
    uint64_t bad = 0, empty_polls = 0;
    while (expect < STRESS_ITEMS) {
        const struct tsn_rec_item *it = tsn_rec_ring_peek(s.q);
        if (!it) {
            empty_polls++;
            sched_yield();
            continue;
        }
        uint32_t seq;
        memcpy(&seq, it->data, 4);
        size_t len = item_len(expect);
        int ok = seq == expect && it->handle == expect && it->type == expect % 5 + 1 &&
                 it->time_us == (uint64_t)expect * 3 && it->len == len;
        for (size_t i = 4; ok && i < len; i++)
            ok = it->data[i] == item_byte(expect, i);
        if (!ok && bad++ < 5)
            print_error("item %u: got seq %u handle %u len %u\n", expect, seq, it->handle, it->len);
        tsn_rec_ring_pop(s.q);
        expect++;
    }
    void *ret;
    assert_int_equal(pthread_join(th, &ret), 0);
    assert_null(ret);
    assert_int_equal(bad, 0);
    assert_null(tsn_rec_ring_peek(s.q));
    /* Every refusal was counted, none of those items was lost (retried). */
    assert_int_equal(tsn_rec_ring_dropped(s.q), s.full);
    print_message("stress: %u items, %llu full-ring retries, %llu empty polls\n", STRESS_ITEMS,
                  (unsigned long long)s.full, (unsigned long long)empty_polls);
    tsn_rec_ring_free(s.q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rounding),    cmocka_unit_test(test_order_and_contents),
        cmocka_unit_test(test_too_long),    cmocka_unit_test(test_full_drops_and_wraps),
        cmocka_unit_test(test_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
