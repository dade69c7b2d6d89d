/* RTCP (RFC 3550, 4585, 5104): walk compound packets, view the items the relay
 * acts on, and build the packets it sends. Pure functions over buffers: no I/O,
 * no allocation. It does not interpret SDES, APP or XR beyond skipping them. */
#ifndef TSN_RTCP_H
#define TSN_RTCP_H

#include <stddef.h>
#include <stdint.h>

#define TSN_RTCP_SR 200
#define TSN_RTCP_RR 201
#define TSN_RTCP_SDES 202
#define TSN_RTCP_BYE 203
#define TSN_RTCP_APP 204
#define TSN_RTCP_RTPFB 205 /* FMT 1 = generic NACK, 15 = transport-wide CC */
#define TSN_RTCP_PSFB 206  /* FMT 1 = PLI, 4 = FIR, 15 = application (REMB) */

#define TSN_RTCP_FMT_NACK 1
#define TSN_RTCP_FMT_PLI 1
#define TSN_RTCP_FMT_FIR 4

/* One report block of an SR or RR. */
struct tsn_rtcp_report_block {
    uint32_t ssrc;
    uint8_t fraction_lost;
    int32_t cumulative_lost; /* 24-bit signed, sign-extended */
    uint32_t highest_seq;    /* extended highest sequence number received */
    uint32_t jitter;
    uint32_t lsr;
    uint32_t dlsr;
};

/* One packet of a compound packet; pointers point into the buffer. */
struct tsn_rtcp_item {
    uint8_t type;          /* TSN_RTCP_* */
    uint8_t fmt;           /* the 5-bit count/FMT field */
    const uint8_t *data;   /* the whole item, starting with its 4-byte header */
    size_t len;            /* bytes of the whole item (from its length field) */
    uint32_t sender_ssrc;  /* first word after the header (0 if absent) */
    uint32_t media_ssrc;   /* RTPFB/PSFB: media source SSRC; else 0 */
};

/* Iterator over a compound packet. Usage:
 *   struct tsn_rtcp_iter it; struct tsn_rtcp_item item;
 *   tsn_rtcp_iter_init(&it, buf, len);
 *   while ((rc = tsn_rtcp_iter_next(&it, &item)) == 1) { ... }
 * tsn_rtcp_iter_next returns 1 with an item, 0 at the end, -EBADMSG if the
 * next item is malformed (version != 2, length past the end, too short for
 * its type); iteration stops there. */
struct tsn_rtcp_iter {
    const uint8_t *buf;
    size_t len;
    size_t off;
};
void tsn_rtcp_iter_init(struct tsn_rtcp_iter *it, const uint8_t *buf, size_t len);
int tsn_rtcp_iter_next(struct tsn_rtcp_iter *it, struct tsn_rtcp_item *item);

/* SR sender info; valid only for items of type SR. Returns 0 or -EBADMSG. */
struct tsn_rtcp_sender_info {
    uint32_t ssrc;
    uint64_t ntp;          /* 64-bit NTP timestamp */
    uint32_t rtp_ts;
    uint32_t packet_count;
    uint32_t octet_count;
};
int tsn_rtcp_sr_info(const struct tsn_rtcp_item *item, struct tsn_rtcp_sender_info *out);

/* Report block i (0-based) of an SR or RR item. Returns 0, -ENOENT past the
 * last block, or -EBADMSG. */
int tsn_rtcp_report_block(const struct tsn_rtcp_item *item, unsigned i,
                          struct tsn_rtcp_report_block *out);

/* Generic NACK (RTPFB FMT 1): calls `cb` once for every lost sequence number
 * named by the item's PID/BLP pairs. Returns the number of sequence numbers,
 * or -EBADMSG. `cb` may be NULL (just count). */
typedef void (*tsn_rtcp_nack_cb)(void *user, uint16_t seq);
int tsn_rtcp_nack_foreach(const struct tsn_rtcp_item *item, tsn_rtcp_nack_cb cb, void *user);

/* Builders. Each returns the number of bytes written, or 0 if `cap` is too
 * small or the arguments make no packet. */
size_t tsn_rtcp_build_pli(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
size_t tsn_rtcp_build_fir(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                          uint8_t seq_nr);
/* NACK for `n` sequence numbers (any order, duplicates allowed); packs them
 * into PID/BLP pairs. */
size_t tsn_rtcp_build_nack(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                           const uint16_t *seqs, size_t n);
size_t tsn_rtcp_build_sr(uint8_t *out, size_t cap, const struct tsn_rtcp_sender_info *si,
                         const struct tsn_rtcp_report_block *blocks, size_t n_blocks);
size_t tsn_rtcp_build_rr(uint8_t *out, size_t cap, uint32_t sender_ssrc,
                         const struct tsn_rtcp_report_block *blocks, size_t n_blocks);

/* The 64-bit NTP time (RFC 3550) for a CLOCK_REALTIME value in microseconds,
 * and the middle 32 bits used in LSR. */
uint64_t tsn_ntp_from_unix_us(uint64_t unix_us);
static inline uint32_t tsn_ntp_middle32(uint64_t ntp)
{
    return (uint32_t)(ntp >> 16);
}

#endif
