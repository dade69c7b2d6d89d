/* telesono-export's view of one recorded RTP packet: the fixed header, the
 * RFC 8285 header extension block (one- and two-byte forms), and what the
 * payload says about frame boundaries and key frames for H.264 (RFC 6184:
 * single NAL unit, STAP-A, FU-A) and VP8 (RFC 7741 payload descriptor).
 * Pure functions over (buf, len): no allocation, no logging. Not here:
 * depayloading (GStreamer does that), sequence or timestamp unwrapping
 * (export_reorder.h), SRTP (the relay recorded decrypted packets). */
#ifndef TSN_EXPORT_RTP_H
#define TSN_EXPORT_RTP_H

#include <stddef.h>
#include <stdint.h>

enum tsn_export_codec {
    TSN_EXPORT_H264 = 0,
    TSN_EXPORT_VP8 = 1,
};

struct tsn_export_rtp {
    uint8_t pt;
    int marker;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint16_t ext_profile;   /* 0 when the packet has no extension block */
    const uint8_t *ext;     /* the extension block's elements (inside buf) */
    size_t ext_len;         /* bytes, a multiple of 4 */
    const uint8_t *payload; /* inside buf, padding removed */
    size_t payload_len;
};

/* Parses an RTP packet (version 2). Returns 0, or -EBADMSG when the header,
 * CSRC list, extension block or padding does not fit in len. An empty
 * payload is valid. */
int tsn_export_rtp_parse(const uint8_t *buf, size_t len, struct tsn_export_rtp *out);

/* The data of extension element `id` (1..14 one-byte form 0xBEDE; 1..255
 * two-byte form 0x100X). Returns 0 with *data and *len, or -ENOENT (no such
 * element, no block, a malformed block). */
int tsn_export_rtp_ext_find(const struct tsn_export_rtp *p, int id, const uint8_t **data,
                            size_t *len);

/* Capture time carried by an abs-capture-time element (8 or 16 bytes: NTP
 * UQ32.32 first) as Unix milliseconds, truncated as the relay truncates it
 * (relay/frame_clock.c), or -1 when the element is not such a value. */
int64_t tsn_export_act_unix_ms(const uint8_t *data, size_t len);

/* What a payload says (flags), or -EBADMSG for a payload too short to be
 * one of the codec's packets. */
#define TSN_EXPORT_PKT_START                                                                       \
    1 /* certainly begins a frame: H.264, its first NAL unit is an SPS,                            \
         SEI or access unit delimiter, or a slice whose first_mb_in_slice                          \
         is 0; VP8, the S bit on partition 0 */
#define TSN_EXPORT_PKT_KEY                                                                         \
    2 /* carries the start of an H.264 IDR slice (an SPS alone is not                              \
         a key frame), or the start of a VP8 key frame */
#define TSN_EXPORT_PKT_CONFIG                                                                      \
    4 /* carries what a decoder needs to start: an H.264 SPS; a VP8                                \
         key frame */
int tsn_export_payload_flags(enum tsn_export_codec codec, const uint8_t *payload, size_t len);

/* "H264" / "VP8" (case-insensitive) to the codec; -1 otherwise. */
int tsn_export_codec_parse(const char *name);
const char *tsn_export_codec_name(enum tsn_export_codec codec);

#endif
