/* A per-stream retransmission cache: the last N plaintext RTP packets of a
 * publisher stream indexed by sequence number, answered from when a subscriber
 * NACKs and replayed (from the last keyframe) when a subscriber joins.
 * Fixed memory allocated once (N slots of TSN_RTX_SLOT_BYTES); put and get
 * never allocate. Single-threaded: it belongs to one media loop. */
#ifndef TSN_RTX_CACHE_H
#define TSN_RTX_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define TSN_RTX_SLOT_BYTES 1500

struct tsn_rtx_cache;

/* `capacity` is rounded up to a power of two (16..32768). NULL on failure. */
struct tsn_rtx_cache *tsn_rtx_cache_new(unsigned capacity);
void tsn_rtx_cache_free(struct tsn_rtx_cache *c);
unsigned tsn_rtx_cache_capacity(const struct tsn_rtx_cache *c);

/* Copies packet `seq` in (replacing whatever held its slot). Packets longer
 * than TSN_RTX_SLOT_BYTES are not kept (returns -EMSGSIZE). `flags` are kept
 * with the packet (e.g. a keyframe-start bit). */
int tsn_rtx_cache_put(struct tsn_rtx_cache *c, uint16_t seq, const uint8_t *pkt, size_t len,
                      uint32_t flags);
/* The packet with exactly this sequence number, or NULL if evicted or never
 * stored (transfer none; valid until the next put). */
const uint8_t *tsn_rtx_cache_get(const struct tsn_rtx_cache *c, uint16_t seq, size_t *len,
                                 uint32_t *flags);
/* Forgets every packet (publisher restart). */
void tsn_rtx_cache_clear(struct tsn_rtx_cache *c);

#endif
