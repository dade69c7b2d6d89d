/* Per-stream retransmission cache: a ring of fixed-size slots indexed by
 * seq & (capacity - 1). Each slot remembers which sequence number it holds,
 * so a lookup for a sequence number that was overwritten one lap of the ring
 * later, or never stored, misses instead of returning the wrong packet.
 *
 * All memory is allocated in _new; put/get/clear never allocate, which keeps
 * the per-packet path malloc-free. It does not parse RTP, decide what is a
 * keyframe (the caller passes that in `flags`) or lock: one media loop owns
 * each cache. */
#include "rtx_cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RTX_MIN_CAPACITY 16u
#define RTX_MAX_CAPACITY 32768u

struct rtx_slot {
    uint16_t seq;   /* the sequence number whose packet is in this slot */
    uint16_t len;   /* bytes of the packet; 0 = empty */
    uint32_t flags; /* caller's flags, kept verbatim */
};

struct tsn_rtx_cache {
    unsigned capacity;      /* a power of two */
    struct rtx_slot *slots; /* owned; capacity entries */
    uint8_t *data;          /* owned; capacity * TSN_RTX_SLOT_BYTES */
};

/* Rounds up to a power of two within [RTX_MIN_CAPACITY, RTX_MAX_CAPACITY];
 * 0 if the request is above the maximum. */
static unsigned round_capacity(unsigned want)
{
    if (want > RTX_MAX_CAPACITY)
        return 0;
    unsigned cap = RTX_MIN_CAPACITY;
    while (cap < want)
        cap <<= 1;
    return cap;
}

struct tsn_rtx_cache *tsn_rtx_cache_new(unsigned capacity)
{
    unsigned cap = round_capacity(capacity);
    if (cap == 0)
        return NULL;
    struct tsn_rtx_cache *c = calloc(1, sizeof *c);
    if (!c)
        goto fail;
    c->capacity = cap;
    c->slots = calloc(cap, sizeof *c->slots);
    if (!c->slots)
        goto fail_slots;
    /* Packet bytes are only ever read after a put wrote them, so the data
     * area needs no zeroing (and its pages are touched only when used). */
    c->data = malloc((size_t)cap * TSN_RTX_SLOT_BYTES);
    if (!c->data)
        goto fail_data;
    return c;

fail_data:
    free(c->slots);
fail_slots:
    free(c);
fail:
    return NULL;
}

void tsn_rtx_cache_free(struct tsn_rtx_cache *c)
{
    if (!c)
        return;
    free(c->data);
    free(c->slots);
    free(c);
}

unsigned tsn_rtx_cache_capacity(const struct tsn_rtx_cache *c)
{
    return c ? c->capacity : 0;
}

static unsigned slot_index(const struct tsn_rtx_cache *c, uint16_t seq)
{
    return seq & (c->capacity - 1);
}

int tsn_rtx_cache_put(struct tsn_rtx_cache *c, uint16_t seq, const uint8_t *pkt, size_t len,
                      uint32_t flags)
{
    if (!c || !pkt || len == 0)
        return -EINVAL;
    if (len > TSN_RTX_SLOT_BYTES)
        return -EMSGSIZE;
    unsigned i = slot_index(c, seq);
    memcpy(c->data + (size_t)i * TSN_RTX_SLOT_BYTES, pkt, len);
    c->slots[i].seq = seq;
    c->slots[i].len = (uint16_t)len;
    c->slots[i].flags = flags;
    return 0;
}

const uint8_t *tsn_rtx_cache_get(const struct tsn_rtx_cache *c, uint16_t seq, size_t *len,
                                 uint32_t *flags)
{
    if (!c)
        return NULL;
    unsigned i = slot_index(c, seq);
    const struct rtx_slot *s = &c->slots[i];
    if (s->len == 0 || s->seq != seq)
        return NULL;
    if (len)
        *len = s->len;
    if (flags)
        *flags = s->flags;
    return c->data + (size_t)i * TSN_RTX_SLOT_BYTES;
}

void tsn_rtx_cache_clear(struct tsn_rtx_cache *c)
{
    if (!c)
        return;
    /* Emptying the slot table is enough: stale bytes are unreachable. */
    memset(c->slots, 0, (size_t)c->capacity * sizeof *c->slots);
}
