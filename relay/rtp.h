/* RTP (RFC 3550) header views and in-place rewriting, RFC 5761 RTP/RTCP
 * demultiplexing, header extensions (RFC 8285 one- and two-byte forms) and
 * keyframe detection for the payloads the relay forwards: H.264 (RFC 6184,
 * packetization-mode 1: single NAL, STAP-A, FU-A) and VP8 (RFC 7741).
 * Pure functions over buffers; no I/O, no allocation. It never decodes video. */
#ifndef TSN_RTP_H
#define TSN_RTP_H

#include <stddef.h>
#include <stdint.h>

#define TSN_RTP_HEADER_BYTES 12
#define TSN_RTP_MAX_PACKET 1500

/* A parsed header. `ext` points into the parsed buffer (transfer none). */
struct tsn_rtp_hdr {
    uint8_t version;      /* always 2 after a successful parse */
    uint8_t padding;      /* P bit */
    uint8_t extension;    /* X bit */
    uint8_t csrc_count;
    uint8_t marker;
    uint8_t payload_type;
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    size_t header_len;    /* fixed header + CSRCs + extension block */
    size_t payload_len;   /* bytes after header_len, padding removed */
    uint16_t ext_profile; /* 0xBEDE (one-byte) or 0x100x (two-byte); 0 if none */
    const uint8_t *ext;   /* extension data (after the 4-byte ext header), or NULL */
    size_t ext_len;       /* bytes of extension data */
};

/* Returns 0, or -EBADMSG if the buffer is not a well-formed RTP packet
 * (version != 2, lengths that do not fit, padding larger than the payload). */
int tsn_rtp_parse(const uint8_t *buf, size_t len, struct tsn_rtp_hdr *h);

/* RFC 5761 / 7983: true for RTP or RTCP (first byte 128..191). */
int tsn_rtp_is_rtp_or_rtcp(const uint8_t *buf, size_t len);
/* RFC 5761: true when the second byte's payload type is 192..223 (RTCP). */
int tsn_rtp_is_rtcp(const uint8_t *buf, size_t len);

/* In-place rewrites of a packet already known to be >= 12 bytes. */
void tsn_rtp_set_seq(uint8_t *buf, uint16_t seq);
void tsn_rtp_set_timestamp(uint8_t *buf, uint32_t ts);
void tsn_rtp_set_ssrc(uint8_t *buf, uint32_t ssrc);
void tsn_rtp_set_payload_type(uint8_t *buf, uint8_t pt);

/* Finds header extension element `id` (1..14 one-byte, 1..255 two-byte).
 * Returns 0 and sets *data and *len (pointing into the packet), or -ENOENT. */
int tsn_rtp_find_ext(const struct tsn_rtp_hdr *h, uint8_t id, const uint8_t **data,
                     size_t *len);

/* Keyframe detection on the RTP payload (after header_len, payload_len bytes).
 * H.264: true if the packet carries an IDR slice (NAL 5) or SPS (NAL 7) as a
 * single NAL, inside a STAP-A, or as the start fragment of an FU-A.
 * VP8: true if this is the first packet of a partition (S=1, PID=0) whose
 * payload header has the P bit clear (a key frame). Malformed payloads are
 * simply "not a keyframe". */
int tsn_h264_is_keyframe(const uint8_t *payload, size_t len);
int tsn_vp8_is_keyframe(const uint8_t *payload, size_t len);

/* Finer keyframe flags. TSN_KEY_START: a decoder may start at this packet
 * (SPS or the start of an IDR slice; a VP8 key frame). TSN_KEY_PICTURE: the
 * packet carries the keyframe picture itself (IDR slice start; VP8 key frame).
 * Publishers may send SPS/PPS in a packet of their own, even with the marker
 * bit set, before the IDR: only PICTURE says the access unit is decodable. */
#define TSN_KEY_START 1u
#define TSN_KEY_PICTURE 2u
unsigned tsn_h264_key_flags(const uint8_t *payload, size_t len);
unsigned tsn_vp8_key_flags(const uint8_t *payload, size_t len);

/* Serial-number arithmetic on 16-bit sequence numbers: the signed distance
 * from a to b (b - a), in -32768..32767. */
static inline int tsn_seq_diff(uint16_t a, uint16_t b)
{
    return (int16_t)(uint16_t)(b - a);
}

#endif
