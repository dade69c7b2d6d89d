/* RTCP (RFC 3550, 4585, 5104): a compound-packet iterator, views of the items
 * the relay acts on (SR sender info, report blocks, generic NACK) and builders
 * for the packets it sends (PLI, FIR, NACK, SR, RR).
 *
 * Pure functions over caller buffers: no I/O, no allocation, no globals. The
 * iterator checks each item's header, length and padding and the minimum size
 * of its type, so the accessors can trust an item it returned but still check
 * their own bounds (the fuzz target calls them on every item). SDES, APP, XR
 * and unknown types are skipped without interpretation. SRTCP is undone by the
 * caller before anything here sees the bytes. */
#include "rtcp.h"
#include "bytes.h"

#include <errno.h>
#include <string.h>

#define RTCP_VERSION        2
#define RTCP_HDR_BYTES      4
#define RTCP_SENDER_BYTES   20 /* SR: NTP (8), RTP ts, packet and octet counts */
#define RTCP_BLOCK_BYTES    24
#define RTCP_FB_HDR_BYTES   12 /* header + sender SSRC + media SSRC */
#define RTCP_MAX_COUNT      31 /* five-bit RC field */
#define RTCP_FIR_FCI_BYTES  8
#define RTCP_NACK_FCI_BYTES 4
#define NACK_BLP_SEQS       16

/* RFC 3550 4: seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (Unix). */
#define NTP_UNIX_OFFSET_S 2208988800ull
#define US_PER_S          1000000ull

/* Cumulative packets lost is a signed 24-bit field (RFC 3550 6.4.1). */
#define CUM_LOST_MAX 0x7FFFFF
#define CUM_LOST_MIN (-0x800000)

/* The item's bytes without its padding (RFC 3550 6.4.1: when P is set the
 * last octet counts the padding, itself included). 0 when the padding does
 * not fit, which no valid item has since every item is at least 4 bytes. */
static size_t content_len(const uint8_t *p, size_t len)
{
    if (len < RTCP_HDR_BYTES)
        return 0;
    if (!(p[0] & 0x20))
        return len;
    size_t pad = p[len - 1];
    if (pad == 0 || pad > len - RTCP_HDR_BYTES)
        return 0;
    return len - pad;
}

/* The smallest content an item of this type and count can have. */
static size_t min_content_len(uint8_t type, uint8_t count)
{
    switch (type) {
    case TSN_RTCP_SR:
        return RTCP_HDR_BYTES + 4 + RTCP_SENDER_BYTES + (size_t)count * RTCP_BLOCK_BYTES;
    case TSN_RTCP_RR:
        return RTCP_HDR_BYTES + 4 + (size_t)count * RTCP_BLOCK_BYTES;
    case TSN_RTCP_BYE:
        return RTCP_HDR_BYTES + (size_t)count * 4;
    case TSN_RTCP_APP:
        return RTCP_HDR_BYTES + 8; /* SSRC + four-character name */
    case TSN_RTCP_RTPFB:
    case TSN_RTCP_PSFB:
        return RTCP_FB_HDR_BYTES;
    default:
        return RTCP_HDR_BYTES;
    }
}

void tsn_rtcp_iter_init(struct tsn_rtcp_iter *it, const uint8_t *buf, size_t len)
{
    it->buf = buf;
    it->len = buf ? len : 0;
    it->off = 0;
}

int tsn_rtcp_iter_next(struct tsn_rtcp_iter *it, struct tsn_rtcp_item *item)
{
    if (it->off >= it->len)
        return 0;
    /* On error `off` stays put, so every later call reports the same error
     * rather than resynchronising on bytes of unknown meaning. */
    const uint8_t *p = it->buf + it->off;
    size_t left = it->len - it->off;
    if (left < RTCP_HDR_BYTES || (p[0] >> 6) != RTCP_VERSION)
        return -EBADMSG;
    size_t len = ((size_t)tsn_rd16(p + 2) + 1) * 4;
    if (len > left)
        return -EBADMSG;
    uint8_t type = p[1];
    uint8_t fmt = p[0] & 0x1F;
    size_t body = content_len(p, len);
    if (body == 0 || body < min_content_len(type, fmt))
        return -EBADMSG;

    item->type = type;
    item->fmt = fmt;
    item->data = p;
    item->len = len;
    item->sender_ssrc = body >= 8 ? tsn_rd32(p + 4) : 0;
    item->media_ssrc = 0;
    if (type == TSN_RTCP_RTPFB || type == TSN_RTCP_PSFB)
        item->media_ssrc = tsn_rd32(p + 8);
    it->off += len;
    return 1;
}

/* Accessors re-derive the content length from the item's own bytes so they
 * stay safe on an item the caller filled in by hand. */
static size_t item_content_len(const struct tsn_rtcp_item *item)
{
    if (!item || !item->data)
        return 0;
    return content_len(item->data, item->len);
}

int tsn_rtcp_sr_info(const struct tsn_rtcp_item *item, struct tsn_rtcp_sender_info *out)
{
    size_t body = item_content_len(item);
    if (body < RTCP_HDR_BYTES + 4 + RTCP_SENDER_BYTES || !out || item->type != TSN_RTCP_SR)
        return -EBADMSG;
    const uint8_t *p = item->data;
    out->ssrc = tsn_rd32(p + 4);
    out->ntp = ((uint64_t)tsn_rd32(p + 8) << 32) | tsn_rd32(p + 12);
    out->rtp_ts = tsn_rd32(p + 16);
    out->packet_count = tsn_rd32(p + 20);
    out->octet_count = tsn_rd32(p + 24);
    return 0;
}

static int32_t sign_extend24(uint32_t v)
{
    v &= 0xFFFFFF;
    return (v & 0x800000) ? (int32_t)v - 0x1000000 : (int32_t)v;
}

int tsn_rtcp_report_block(const struct tsn_rtcp_item *item, unsigned i,
                          struct tsn_rtcp_report_block *out)
{
    size_t body = item_content_len(item);
    if (!out || body == 0)
        return -EBADMSG;
    size_t first;
    if (item->type == TSN_RTCP_SR)
        first = RTCP_HDR_BYTES + 4 + RTCP_SENDER_BYTES;
    else if (item->type == TSN_RTCP_RR)
        first = RTCP_HDR_BYTES + 4;
    else
        return -EBADMSG;
    unsigned count = item->data[0] & 0x1F;
    if (i >= count)
        return -ENOENT;
    size_t off = first + (size_t)i * RTCP_BLOCK_BYTES;
    if (off > body || body - off < RTCP_BLOCK_BYTES)
        return -EBADMSG;

    const uint8_t *b = item->data + off;
    out->ssrc = tsn_rd32(b);
    out->fraction_lost = b[4];
    out->cumulative_lost = sign_extend24(tsn_rd32(b + 4));
    out->highest_seq = tsn_rd32(b + 8);
    out->jitter = tsn_rd32(b + 12);
    out->lsr = tsn_rd32(b + 16);
    out->dlsr = tsn_rd32(b + 20);
    return 0;
}

int tsn_rtcp_nack_foreach(const struct tsn_rtcp_item *item, tsn_rtcp_nack_cb cb, void *user)
{
    size_t body = item_content_len(item);
    if (body < RTCP_FB_HDR_BYTES || item->type != TSN_RTCP_RTPFB ||
        (item->data[0] & 0x1F) != TSN_RTCP_FMT_NACK)
        return -EBADMSG;
    /* RFC 4585 6.2.1: PID is lost; bit i of BLP means PID + i + 1 is lost.
     * uint16_t arithmetic wraps at 65535 exactly as sequence numbers do. */
    int n = 0;
    for (size_t off = RTCP_FB_HDR_BYTES; body - off >= RTCP_NACK_FCI_BYTES;
         off += RTCP_NACK_FCI_BYTES) {
        uint16_t pid = tsn_rd16(item->data + off);
        uint16_t blp = tsn_rd16(item->data + off + 2);
        if (cb)
            cb(user, pid);
        n++;
        for (unsigned bit = 0; bit < NACK_BLP_SEQS; bit++) {
            if (!(blp & (1u << bit)))
                continue;
            if (cb)
                cb(user, (uint16_t)(pid + bit + 1));
            n++;
        }
    }
    return n;
}

/* Writes the common header; `total` is the packet's byte count (a multiple
 * of four, checked by the callers' sizes). */
static void put_header(uint8_t *out, uint8_t count, uint8_t type, size_t total)
{
    out[0] = (uint8_t)((RTCP_VERSION << 6) | (count & 0x1F));
    out[1] = type;
    tsn_wr16(out + 2, (uint16_t)(total / 4 - 1));
}

size_t tsn_rtcp_build_pli(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    if (!out || cap < RTCP_FB_HDR_BYTES)
        return 0;
    put_header(out, TSN_RTCP_FMT_PLI, TSN_RTCP_PSFB, RTCP_FB_HDR_BYTES);
    tsn_wr32(out + 4, sender_ssrc);
    tsn_wr32(out + 8, media_ssrc);
    return RTCP_FB_HDR_BYTES;
}

size_t tsn_rtcp_build_fir(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                          uint8_t seq_nr)
{
    size_t total = RTCP_FB_HDR_BYTES + RTCP_FIR_FCI_BYTES;
    if (!out || cap < total)
        return 0;
    /* RFC 5104 4.3.1.2: the media source SSRC of the common header is
     * unused and zero; the target SSRC goes in the FCI. */
    put_header(out, TSN_RTCP_FMT_FIR, TSN_RTCP_PSFB, total);
    tsn_wr32(out + 4, sender_ssrc);
    tsn_wr32(out + 8, 0);
    tsn_wr32(out + 12, media_ssrc);
    out[16] = seq_nr;
    out[17] = out[18] = out[19] = 0;
    return total;
}

/* A set of 16-bit sequence numbers as a 65536-bit bitmap (8 KB on the stack:
 * NACKs are built per loss event, and a bitmap dedups and orders for free). */
struct seq_set {
    uint64_t w[65536 / 64];
};

static int seq_set_has(const struct seq_set *s, uint32_t seq)
{
    seq &= 0xFFFF;
    return (int)((s->w[seq >> 6] >> (seq & 63)) & 1);
}

static void seq_set_del(struct seq_set *s, uint32_t seq)
{
    seq &= 0xFFFF;
    s->w[seq >> 6] &= ~(1ull << (seq & 63));
}

/* The first member at or after `from`, going round past 65535 to 0; -1 if
 * the set is empty. */
static int32_t seq_set_next(const struct seq_set *s, uint32_t from)
{
    from &= 0xFFFF;
    for (uint32_t step = 0; step <= 1024; step++) {
        uint32_t wi = ((from >> 6) + step) & 1023;
        uint64_t w = s->w[wi];
        if (step == 0)
            w &= ~0ull << (from & 63);
        else if (step == 1024)
            w &= (from & 63) ? ~(~0ull << (from & 63)) : 0;
        if (w)
            return (int32_t)(wi * 64 + (uint32_t)__builtin_ctzll(w));
    }
    return -1;
}

/* Where ascending serial order begins: the member after the widest gap, so
 * 65530..65535,0..5 starts at 65530 and packs as a sender would expect. */
static uint32_t seq_set_start(const struct seq_set *s, uint32_t first)
{
    uint32_t start = first, prev = first, widest = 0;
    int32_t cur;
    while ((cur = seq_set_next(s, prev + 1)) >= 0 && (uint32_t)cur > prev) {
        if ((uint32_t)cur - prev > widest) {
            widest = (uint32_t)cur - prev;
            start = (uint32_t)cur;
        }
        prev = (uint32_t)cur;
    }
    if (first + 65536 - prev > widest)
        start = first;
    return start;
}

size_t tsn_rtcp_build_nack(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                           const uint16_t *seqs, size_t n)
{
    if (!out || !seqs || n == 0 || cap < RTCP_FB_HDR_BYTES + RTCP_NACK_FCI_BYTES)
        return 0;
    struct seq_set set;
    memset(&set, 0, sizeof set);
    for (size_t i = 0; i < n; i++)
        set.w[seqs[i] >> 6] |= 1ull << (seqs[i] & 63);

    uint32_t first = (uint32_t)seq_set_next(&set, 0);
    uint32_t cursor = seq_set_start(&set, first);
    size_t off = RTCP_FB_HDR_BYTES;
    int32_t pid;
    /* Greedy packing: members are removed as they are written, so the scan
     * terminates and no sequence number is named twice. */
    while ((pid = seq_set_next(&set, cursor)) >= 0) {
        if (cap - off < RTCP_NACK_FCI_BYTES || off / 4 > 0xFFFF)
            return 0;
        seq_set_del(&set, (uint32_t)pid);
        uint16_t blp = 0;
        for (uint32_t bit = 0; bit < NACK_BLP_SEQS; bit++) {
            uint32_t seq = (uint32_t)pid + bit + 1;
            if (seq_set_has(&set, seq)) {
                blp |= (uint16_t)(1u << bit);
                seq_set_del(&set, seq);
            }
        }
        tsn_wr16(out + off, (uint16_t)pid);
        tsn_wr16(out + off + 2, blp);
        off += RTCP_NACK_FCI_BYTES;
        cursor = (uint32_t)pid + NACK_BLP_SEQS + 1;
    }
    put_header(out, TSN_RTCP_FMT_NACK, TSN_RTCP_RTPFB, off);
    tsn_wr32(out + 4, sender_ssrc);
    tsn_wr32(out + 8, media_ssrc);
    return off;
}

static void put_report_block(uint8_t *p, const struct tsn_rtcp_report_block *b)
{
    int32_t lost = b->cumulative_lost;
    if (lost > CUM_LOST_MAX)
        lost = CUM_LOST_MAX;
    if (lost < CUM_LOST_MIN)
        lost = CUM_LOST_MIN;
    tsn_wr32(p, b->ssrc);
    tsn_wr32(p + 4, ((uint32_t)b->fraction_lost << 24) | ((uint32_t)lost & 0xFFFFFF));
    tsn_wr32(p + 8, b->highest_seq);
    tsn_wr32(p + 12, b->jitter);
    tsn_wr32(p + 16, b->lsr);
    tsn_wr32(p + 20, b->dlsr);
}

static void put_report_blocks(uint8_t *p, const struct tsn_rtcp_report_block *blocks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_report_block(p + i * RTCP_BLOCK_BYTES, &blocks[i]);
}

size_t tsn_rtcp_build_sr(uint8_t *out, size_t cap, const struct tsn_rtcp_sender_info *si,
                         const struct tsn_rtcp_report_block *blocks, size_t n_blocks)
{
    if (!out || !si || n_blocks > RTCP_MAX_COUNT || (n_blocks && !blocks))
        return 0;
    size_t total = RTCP_HDR_BYTES + 4 + RTCP_SENDER_BYTES + n_blocks * RTCP_BLOCK_BYTES;
    if (cap < total)
        return 0;
    put_header(out, (uint8_t)n_blocks, TSN_RTCP_SR, total);
    tsn_wr32(out + 4, si->ssrc);
    tsn_wr32(out + 8, (uint32_t)(si->ntp >> 32));
    tsn_wr32(out + 12, (uint32_t)si->ntp);
    tsn_wr32(out + 16, si->rtp_ts);
    tsn_wr32(out + 20, si->packet_count);
    tsn_wr32(out + 24, si->octet_count);
    put_report_blocks(out + 28, blocks, n_blocks);
    return total;
}

size_t tsn_rtcp_build_rr(uint8_t *out, size_t cap, uint32_t sender_ssrc,
                         const struct tsn_rtcp_report_block *blocks, size_t n_blocks)
{
    if (!out || n_blocks > RTCP_MAX_COUNT || (n_blocks && !blocks))
        return 0;
    size_t total = RTCP_HDR_BYTES + 4 + n_blocks * RTCP_BLOCK_BYTES;
    if (cap < total)
        return 0;
    put_header(out, (uint8_t)n_blocks, TSN_RTCP_RR, total);
    tsn_wr32(out + 4, sender_ssrc);
    put_report_blocks(out + 8, blocks, n_blocks);
    return total;
}

uint64_t tsn_ntp_from_unix_us(uint64_t unix_us)
{
    uint64_t secs = unix_us / US_PER_S + NTP_UNIX_OFFSET_S;
    /* The remainder is < 10^6, so remainder * 2^32 < 2^52: no overflow. */
    uint64_t frac = ((unix_us % US_PER_S) << 32) / US_PER_S;
    return (secs << 32) | frac;
}
