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

/* Offers a plaintext RTP packet of the stream. `is_key` says whether the
 * packet itself carries keyframe data (tsn_h264_is_keyframe and friends).
 * Returns 1 when this packet completed a keyframe (now the cached one), else 0.
 * A keyframe is complete when its marker packet arrived and its sequence
 * numbers are contiguous; a keyframe with a gap or too many packets is dropped. */
int tsn_kf_cache_offer(struct tsn_kf_cache *k, const uint8_t *pkt, size_t len,
                       const struct tsn_rtp_hdr *h, int is_key);
/* Packets of the complete keyframe, in sequence order (0 if none). */
unsigned tsn_kf_cache_count(const struct tsn_kf_cache *k);
/* Packet i (transfer none; valid until the next offer). */
const uint8_t *tsn_kf_cache_packet(const struct tsn_kf_cache *k, unsigned i, size_t *len);
/* RTP timestamp of the complete keyframe. */
uint32_t tsn_kf_cache_timestamp(const struct tsn_kf_cache *k);
void tsn_kf_cache_clear(struct tsn_kf_cache *k);

#endif
