/* RTP header views (RFC 3550), RTP/RTCP demultiplexing (RFC 5761 / 7983),
 * header-extension lookup (RFC 8285) and keyframe detection for H.264
 * (RFC 6184) and VP8 (RFC 7741) payloads.
 *
 * Everything here is a pure function over a caller's buffer: no I/O, no
 * allocation, no globals. Parsers never read outside [buf, buf + len) and
 * report malformed network bytes with an error return, never an assert. This
 * module does not decode video, validate payload types against SDP, or track
 * sequence state; that belongs to the stream code. */
#include "rtp.h"
#include "bytes.h"

#include <errno.h>

/* RFC 8285 profile values: 0xBEDE for one-byte elements; 0x100 in the top
 * 12 bits (and 4 application bits) for two-byte elements. */
#define EXT_PROFILE_ONE_BYTE     0xBEDEu
#define EXT_PROFILE_TWO_BYTE     0x1000u
#define EXT_PROFILE_TWO_BYTE_MSK 0xFFF0u
#define EXT_ONE_BYTE_ID_STOP     15 /* RFC 8285 4.2: stop parsing at ID 15 */

/* H.264 NAL unit types (RFC 6184 table 1 and H.264 table 7-1). */
#define H264_NAL_IDR   5
#define H264_NAL_SPS   7
#define H264_NAL_STAPA 24
#define H264_NAL_FUA   28
#define H264_FU_START  0x80

/* VP8 payload descriptor bits (RFC 7741 section 4.2). */
#define VP8_X        0x80 /* extended control bits present */
#define VP8_S        0x10 /* start of VP8 partition */
#define VP8_PID_MASK 0x07 /* partition index */
#define VP8_I        0x80 /* PictureID present */
#define VP8_L        0x40 /* TL0PICIDX present */
#define VP8_T        0x20 /* TID present */
#define VP8_K        0x10 /* KEYIDX present */
#define VP8_M        0x80 /* 15-bit PictureID */
#define VP8_P        0x01 /* payload header: 0 = key frame, 1 = inter frame */

/* Reads the extension block header at buf + *off and advances *off past the
 * block. The caller has already checked the fixed header and the CSRCs. */
static int parse_ext_block(const uint8_t *buf, size_t len, size_t *off, struct tsn_rtp_hdr *h)
{
    if (len - *off < 4)
        return -EBADMSG;
    h->ext_profile = tsn_rd16(buf + *off);
    size_t ext_bytes = (size_t)tsn_rd16(buf + *off + 2) * 4;
    *off += 4;
    if (len - *off < ext_bytes)
        return -EBADMSG;
    h->ext = buf + *off;
    h->ext_len = ext_bytes;
    *off += ext_bytes;
    return 0;
}

int tsn_rtp_parse(const uint8_t *buf, size_t len, struct tsn_rtp_hdr *h)
{
    if (!buf || !h || len < TSN_RTP_HEADER_BYTES)
        return -EBADMSG;

    struct tsn_rtp_hdr v = {0};
    v.version = buf[0] >> 6;
    if (v.version != 2)
        return -EBADMSG;
    v.padding = (buf[0] >> 5) & 1;
    v.extension = (buf[0] >> 4) & 1;
    v.csrc_count = buf[0] & 0x0F;
    v.marker = buf[1] >> 7;
    v.payload_type = buf[1] & 0x7F;
    v.seq = tsn_rd16(buf + 2);
    v.timestamp = tsn_rd32(buf + 4);
    v.ssrc = tsn_rd32(buf + 8);

    size_t off = TSN_RTP_HEADER_BYTES + (size_t)v.csrc_count * 4;
    if (off > len)
        return -EBADMSG;
    if (v.extension && parse_ext_block(buf, len, &off, &v) != 0)
        return -EBADMSG;

    /* RFC 3550 5.1: the last octet counts the padding, itself included, so
     * zero is as malformed as a count reaching into the header. */
    size_t pad = 0;
    if (v.padding) {
        if (off == len)
            return -EBADMSG;
        pad = buf[len - 1];
        if (pad == 0 || pad > len - off)
            return -EBADMSG;
    }
    v.header_len = off;
    v.payload_len = len - off - pad;
    *h = v;
    return 0;
}

int tsn_rtp_is_rtp_or_rtcp(const uint8_t *buf, size_t len)
{
    return buf && len >= 1 && buf[0] >= 128 && buf[0] <= 191;
}

int tsn_rtp_is_rtcp(const uint8_t *buf, size_t len)
{
    /* RFC 5761 4: the whole second byte, marker bit included, is the RTCP
     * packet type; RTP payload types 64..95 are avoided so this is unique. */
    return tsn_rtp_is_rtp_or_rtcp(buf, len) && len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

void tsn_rtp_set_seq(uint8_t *buf, uint16_t seq)
{
    tsn_wr16(buf + 2, seq);
}

void tsn_rtp_set_timestamp(uint8_t *buf, uint32_t ts)
{
    tsn_wr32(buf + 4, ts);
}

void tsn_rtp_set_ssrc(uint8_t *buf, uint32_t ssrc)
{
    tsn_wr32(buf + 8, ssrc);
}

void tsn_rtp_set_payload_type(uint8_t *buf, uint8_t pt)
{
    /* Keep the marker bit: only the low seven bits are the payload type. */
    buf[1] = (uint8_t)((buf[1] & 0x80) | (pt & 0x7F));
}

/* RFC 8285 4.2: a one-byte header per element, ID in the high nibble and
 * length - 1 in the low nibble; zero bytes between elements are padding. */
static int find_one_byte(const uint8_t *p, size_t n, uint8_t id, const uint8_t **data, size_t *len)
{
    size_t off = 0;
    while (off < n) {
        uint8_t b = p[off++];
        if (b == 0)
            continue;
        uint8_t el_id = b >> 4;
        size_t el_len = (size_t)(b & 0x0F) + 1;
        if (el_id == EXT_ONE_BYTE_ID_STOP || el_len > n - off)
            return -ENOENT;
        if (el_id == id) {
            *data = p + off;
            *len = el_len;
            return 0;
        }
        off += el_len;
    }
    return -ENOENT;
}

/* RFC 8285 4.3: an ID byte and a length byte per element (length may be
 * zero); a lone zero ID byte is padding. */
static int find_two_byte(const uint8_t *p, size_t n, uint8_t id, const uint8_t **data, size_t *len)
{
    size_t off = 0;
    while (off < n) {
        uint8_t el_id = p[off++];
        if (el_id == 0)
            continue;
        if (off == n)
            return -ENOENT;
        size_t el_len = p[off++];
        if (el_len > n - off)
            return -ENOENT;
        if (el_id == id) {
            *data = p + off;
            *len = el_len;
            return 0;
        }
        off += el_len;
    }
    return -ENOENT;
}

int tsn_rtp_find_ext(const struct tsn_rtp_hdr *h, uint8_t id, const uint8_t **data, size_t *len)
{
    if (!h || !h->extension || !h->ext || !data || !len || id == 0)
        return -ENOENT;
    if (h->ext_profile == EXT_PROFILE_ONE_BYTE) {
        if (id >= EXT_ONE_BYTE_ID_STOP)
            return -ENOENT;
        return find_one_byte(h->ext, h->ext_len, id, data, len);
    }
    if ((h->ext_profile & EXT_PROFILE_TWO_BYTE_MSK) == EXT_PROFILE_TWO_BYTE)
        return find_two_byte(h->ext, h->ext_len, id, data, len);
    return -ENOENT;
}

static unsigned h264_nal_key_flags(uint8_t nal_type)
{
    if (nal_type == H264_NAL_IDR)
        return TSN_KEY_START | TSN_KEY_PICTURE;
    return nal_type == H264_NAL_SPS ? TSN_KEY_START : 0;
}

/* RFC 6184 5.7.1: after the STAP-A byte, each NAL is a 16-bit size and that
 * many bytes. The whole aggregate must be well formed before any of its NALs
 * counts, as a depacketizer would drop a broken one entirely. */
static unsigned h264_stapa_key_flags(const uint8_t *p, size_t len)
{
    unsigned key = 0;
    size_t off = 1;
    while (off < len) {
        if (len - off < 2)
            return 0;
        size_t nal_bytes = tsn_rd16(p + off);
        off += 2;
        if (nal_bytes == 0 || nal_bytes > len - off)
            return 0;
        key |= h264_nal_key_flags(p[off] & 0x1F);
        off += nal_bytes;
    }
    return key;
}

unsigned tsn_h264_key_flags(const uint8_t *payload, size_t len)
{
    if (!payload || len < 1)
        return 0;
    uint8_t type = payload[0] & 0x1F;
    if (type >= 1 && type <= 23)
        return h264_nal_key_flags(type);
    if (type == H264_NAL_STAPA)
        return h264_stapa_key_flags(payload, len);
    if (type == H264_NAL_FUA) {
        /* RFC 6184 5.8: FU indicator, then the FU header (S E R type). Only
         * the start fragment begins the frame a decoder can start from. */
        if (len < 2)
            return 0;
        return (payload[1] & H264_FU_START) ? h264_nal_key_flags(payload[1] & 0x1F) : 0;
    }
    return 0; /* STAP-B, MTAP, FU-B: not used in packetization-mode 1 */
}

int tsn_h264_is_keyframe(const uint8_t *payload, size_t len)
{
    return tsn_h264_key_flags(payload, len) != 0;
}

unsigned tsn_vp8_key_flags(const uint8_t *payload, size_t len)
{
    return tsn_vp8_is_keyframe(payload, len) ? TSN_KEY_START | TSN_KEY_PICTURE : 0;
}

/* Returns the offset of the VP8 payload header after the RFC 7741 payload
 * descriptor, or 0 if the descriptor does not fit in len bytes. */
static size_t vp8_descriptor_bytes(const uint8_t *p, size_t len)
{
    size_t off = 1;
    if (!(p[0] & VP8_X))
        return off;
    if (len < 2)
        return 0;
    uint8_t ext = p[1];
    off = 2;
    if (ext & VP8_I) {
        if (off >= len)
            return 0;
        off += (p[off] & VP8_M) ? 2 : 1;
    }
    if (ext & VP8_L)
        off += 1;
    if (ext & (VP8_T | VP8_K))
        off += 1; /* TID, Y and KEYIDX share one byte */
    return off;
}

int tsn_vp8_is_keyframe(const uint8_t *payload, size_t len)
{
    if (!payload || len < 1)
        return 0;
    if (!(payload[0] & VP8_S) || (payload[0] & VP8_PID_MASK) != 0)
        return 0;
    size_t off = vp8_descriptor_bytes(payload, len);
    if (off == 0 || off >= len)
        return 0;
    /* RFC 7741 4.3: P is bit 0 of the first payload-header byte; clear on a
     * key frame (the inverse key frame flag of RFC 6386 9.1). */
    return (payload[off] & VP8_P) == 0;
}
