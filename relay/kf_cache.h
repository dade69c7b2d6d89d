/* The last complete keyframe of a stream (every RTP packet of the access unit
 * that starts with a keyframe packet, through the marker bit), so a new
 * subscriber sees a picture at once instead of waiting for the next keyframe.
 * Two fixed buffers: one being filled, one complete; completion swaps them.
 * Memory is allocated once; offering a packet never allocates. */
#ifndef TSN_KF_CACHE_H
#define TSN_KF_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "rtp.h"

struct tsn_kf_cache;

/* Holds keyframes of up to `max_packets` packets. NULL on failure. */
struct tsn_kf_cache *tsn_kf_cache_new(unsigned max_packets);
void tsn_kf_cache_free(struct tsn_kf_cache *k);

/* Offers a plaintext RTP packet of the stream. `key_flags` are the packet's
 * TSN_KEY_* flags (tsn_h264_key_flags, tsn_vp8_key_flags): a packet with
 * TSN_KEY_START begins an access unit to cache; the unit is kept only if some
 * packet of it had TSN_KEY_PICTURE. Returns 1 when a keyframe was completed
 * (now the cached one) by this call, else 0. A unit is complete at its marker
 * packet (once it holds the picture) or when the next timestamp begins, and
 * only if its sequence numbers are contiguous; a unit with a gap or more
 * packets than fit is dropped, and the previous keyframe stays cached. */
int tsn_kf_cache_offer(struct tsn_kf_cache *k, const uint8_t *pkt, size_t len,
                       const struct tsn_rtp_hdr *h, unsigned key_flags);
/* Packets of the complete keyframe, in sequence order (0 if none). */
unsigned tsn_kf_cache_count(const struct tsn_kf_cache *k);
/* Packet i (transfer none; valid until the next offer). */
const uint8_t *tsn_kf_cache_packet(const struct tsn_kf_cache *k, unsigned i, size_t *len);
/* RTP timestamp of the complete keyframe. */
uint32_t tsn_kf_cache_timestamp(const struct tsn_kf_cache *k);
void tsn_kf_cache_clear(struct tsn_kf_cache *k);

#endif
