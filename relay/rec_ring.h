/* The media thread's hand-off to the recorder: a single-producer,
 * single-consumer ring of fixed slots (one RTP packet or one small JSON
 * record each). The media thread puts without ever blocking or taking a
 * lock; when the recorder falls behind and the ring is full, the packet is
 * dropped and counted (the live stream never waits for a disk). The
 * recorder thread takes. */
#ifndef TSN_REC_RING_H
#define TSN_REC_RING_H

#include <stddef.h>
#include <stdint.h>

#define TSN_REC_RING_SLOT_BYTES 1600 /* RTP packets up to this size are recorded */

struct tsn_rec_item {
    uint32_t handle; /* the recording session (see recorder.h) */
    uint8_t type;    /* enum tsn_rec_type */
    uint16_t len;
    uint64_t time_us; /* CLOCK_REALTIME */
    uint8_t data[TSN_REC_RING_SLOT_BYTES];
};

struct tsn_rec_ring;

/* `slots` is rounded up to a power of two. NULL on OOM. */
struct tsn_rec_ring *tsn_rec_ring_new(unsigned slots);
void tsn_rec_ring_free(struct tsn_rec_ring *q);

/* Producer. 0, -EMSGSIZE (len over the slot) or -ENOBUFS (full: dropped). */
int tsn_rec_ring_put(struct tsn_rec_ring *q, uint32_t handle, uint8_t type, uint64_t time_us,
                     const void *data, size_t len);
/* Consumer: the oldest item or NULL; tsn_rec_ring_pop releases it. */
const struct tsn_rec_item *tsn_rec_ring_peek(struct tsn_rec_ring *q);
void tsn_rec_ring_pop(struct tsn_rec_ring *q);

/* Items dropped because the ring was full (any thread). */
uint64_t tsn_rec_ring_dropped(const struct tsn_rec_ring *q);

#endif
