/* Single-producer single-consumer ring: the producer owns `head`, the
 * consumer owns `tail`; each publishes its index with a release store and
 * reads the other's with an acquire load, so a slot's bytes are visible
 * before its index is. */
#include "rec_ring.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct tsn_rec_ring {
    struct tsn_rec_item *slots;
    unsigned mask;
    _Alignas(64) atomic_uint head; /* next slot to write (producer) */
    _Alignas(64) atomic_uint tail; /* next slot to read (consumer) */
    atomic_uint_fast64_t dropped;
};

struct tsn_rec_ring *tsn_rec_ring_new(unsigned slots)
{
    if (slots > 1u << 30)
        return NULL;
    unsigned n = 1;
    while (n < slots)
        n <<= 1;
    struct tsn_rec_ring *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->slots = malloc((size_t)n * sizeof *q->slots);
    if (!q->slots) {
        free(q);
        return NULL;
    }
    /* Touched now, not on the media thread's first lap: a first write into
     * a fresh page costs a page fault (measured 20-80 us at p99). */
    volatile uint8_t *bytes = (volatile uint8_t *)q->slots;
    for (size_t i = 0; i < (size_t)n * sizeof *q->slots; i += 4096)
        bytes[i] = 0; /* not memset: the compiler would turn malloc+memset into calloc */
    q->mask = n - 1;
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    atomic_init(&q->dropped, 0);
    return q;
}

void tsn_rec_ring_free(struct tsn_rec_ring *q)
{
    if (!q)
        return;
    free(q->slots);
    free(q);
}

int tsn_rec_ring_put(struct tsn_rec_ring *q, uint32_t handle, uint8_t type, uint64_t time_us,
                     const void *data, size_t len)
{
    if (len > TSN_REC_RING_SLOT_BYTES)
        return -EMSGSIZE;
    unsigned head = atomic_load_explicit(&q->head, memory_order_relaxed);
    unsigned tail = atomic_load_explicit(&q->tail, memory_order_acquire);
    if (head - tail > q->mask) {
        atomic_fetch_add_explicit(&q->dropped, 1, memory_order_relaxed);
        return -ENOBUFS;
    }
    struct tsn_rec_item *it = &q->slots[head & q->mask];
    it->handle = handle;
    it->type = type;
    it->len = (uint16_t)len;
    it->time_us = time_us;
    memcpy(it->data, data, len);
    atomic_store_explicit(&q->head, head + 1, memory_order_release);
    return 0;
}

const struct tsn_rec_item *tsn_rec_ring_peek(struct tsn_rec_ring *q)
{
    unsigned tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    unsigned head = atomic_load_explicit(&q->head, memory_order_acquire);
    return head == tail ? NULL : &q->slots[tail & q->mask];
}

void tsn_rec_ring_pop(struct tsn_rec_ring *q)
{
    unsigned tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
}

uint64_t tsn_rec_ring_dropped(const struct tsn_rec_ring *q)
{
    return atomic_load_explicit(&((struct tsn_rec_ring *)q)->dropped, memory_order_relaxed);
}
