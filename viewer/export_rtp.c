/* RTP header, header extensions and codec payload flags for telesono-export
 * (see export_rtp.h). Every read is bounds-checked against len: the packets
 * come from a file that may be damaged in ways the CRC did not catch (a
 * writer bug), and the fuzz target feeds this arbitrary bytes. */
#include "export_rtp.h"

#include <errno.h>
#include <strings.h>

#include "bytes.h"

#define RTP_HEADER_BYTES  12
#define NTP_UNIX_OFFSET_S 2208988800LL

int tsn_export_rtp_parse(const uint8_t *buf, size_t len, struct tsn_export_rtp *out)
{
    if (len < RTP_HEADER_BYTES || (buf[0] >> 6) != 2)
        return -EBADMSG;
    size_t off = RTP_HEADER_BYTES + 4u * (buf[0] & 0x0f);
    if (off > len)
        return -EBADMSG;
    *out = (struct tsn_export_rtp){
        .pt = buf[1] & 0x7f,
        .marker = (buf[1] & 0x80) != 0,
        .seq = tsn_rd16(buf + 2),
        .ts = tsn_rd32(buf + 4),
        .ssrc = tsn_rd32(buf + 8),
    };
    if (buf[0] & 0x10) {
        if (off + 4 > len)
            return -EBADMSG;
        size_t words = tsn_rd16(buf + off + 2);
        out->ext_profile = tsn_rd16(buf + off);
        out->ext = buf + off + 4;
        out->ext_len = 4 * words;
        off += 4 + 4 * words;
        if (off > len)
            return -EBADMSG;
    }
    size_t end = len;
    if (buf[0] & 0x20) {
        uint8_t pad = buf[len - 1];
        if (pad == 0 || pad > len - off)
            return -EBADMSG;
        end -= pad;
    }
    out->payload = buf + off;
    out->payload_len = end - off;
    return 0;
}

int tsn_export_rtp_ext_find(const struct tsn_export_rtp *p, int id, const uint8_t **data,
                            size_t *len)
{
    int one_byte = p->ext_profile == 0xBEDE;
    int two_byte = (p->ext_profile & 0xfff0) == 0x1000;
    if (!p->ext || (!one_byte && !two_byte) || id <= 0 || id > (one_byte ? 14 : 255))
        return -ENOENT;
    size_t i = 0;
    while (i < p->ext_len) {
        uint8_t b = p->ext[i];
        if (b == 0) { /* padding between elements */
            i++;
            continue;
        }
        int eid;
        size_t elen;
        if (one_byte) {
            eid = b >> 4;
            if (eid == 15) /* reserved: stop processing the block (RFC 8285 4.2) */
                return -ENOENT;
            elen = (size_t)(b & 0x0f) + 1;
            i++;
        } else {
            if (i + 2 > p->ext_len)
                return -ENOENT;
            eid = b;
            elen = p->ext[i + 1];
            i += 2;
        }
        if (i + elen > p->ext_len)
            return -ENOENT;
        if (eid == id) {
            *data = p->ext + i;
            *len = elen;
            return 0;
        }
        i += elen;
    }
    return -ENOENT;
}

int64_t tsn_export_act_unix_ms(const uint8_t *data, size_t len)
{
    if (len != 8 && len != 16)
        return -1;
    uint64_t secs = tsn_rd32(data), frac = tsn_rd32(data + 4);
    /* RFC 4330 3: a clear top bit means after the 2036 wrap. */
    if (!(secs & 0x80000000u))
        secs += 1ull << 32;
    return ((int64_t)secs - NTP_UNIX_OFFSET_S) * 1000 + (int64_t)((frac * 1000u) >> 32);
}

/* The flags of one NAL unit that starts in this packet: nal is its header
 * byte, rest (rest_len bytes) what follows it. */
static int nal_flags(uint8_t nal, const uint8_t *rest, size_t rest_len)
{
    switch (nal & 0x1f) {
    case 7: /* sequence parameter set: sent first in a key frame, but not a
               picture (a payloader may send it alone) */
        return TSN_EXPORT_PKT_START | TSN_EXPORT_PKT_CONFIG;
    case 6: /* SEI */
    case 9: /* access unit delimiter */
        return TSN_EXPORT_PKT_START;
    case 1: /* non-IDR slice */
    case 5: /* IDR slice */ {
        /* first_mb_in_slice is ue(v): a leading 1 bit is 0, the frame's first slice */
        int first = rest_len >= 1 && (rest[0] & 0x80);
        return (first ? TSN_EXPORT_PKT_START : 0) | ((nal & 0x1f) == 5 ? TSN_EXPORT_PKT_KEY : 0);
    }
    default:
        return 0;
    }
}

static int h264_flags(const uint8_t *p, size_t len)
{
    if (len < 1)
        return -EBADMSG;
    uint8_t type = p[0] & 0x1f;
    if (type >= 1 && type <= 23)
        return nal_flags(p[0], p + 1, len - 1);
    if (type == 24) { /* STAP-A: 16-bit size, NAL unit, ...; the first one says if it starts */
        int flags = 0, first = 1;
        size_t off = 1;
        while (off + 2 < len) {
            size_t size = tsn_rd16(p + off);
            off += 2;
            if (size == 0 || size > len - off)
                break;
            int f = nal_flags(p[off], p + off + 1, size - 1);
            flags |= first ? f : (f & ~TSN_EXPORT_PKT_START);
            first = 0;
            off += size;
        }
        return flags;
    }
    if (type == 28 || type == 29) {       /* FU-A / FU-B: the FU header's S bit starts the NAL */
        size_t skip = type == 29 ? 4 : 2; /* FU-B carries a 16-bit DON */
        if (len < skip)
            return -EBADMSG;
        if (!(p[1] & 0x80))
            return 0;
        return nal_flags((uint8_t)((p[0] & 0xe0) | (p[1] & 0x1f)), p + skip, len - skip);
    }
    return 0; /* STAP-B, MTAPs (interleaved mode, not used by WebRTC), reserved */
}

static int vp8_flags(const uint8_t *p, size_t len)
{
    if (len < 1)
        return -EBADMSG;
    size_t off = 1;
    if (p[0] & 0x80) { /* X: the extension byte and what it announces */
        if (len < 2)
            return -EBADMSG;
        uint8_t x = p[1];
        off = 2;
        if (x & 0x80) { /* I: picture id, 7 or 15 bits */
            if (off >= len)
                return -EBADMSG;
            off += (p[off] & 0x80) ? 2 : 1;
        }
        if (x & 0x40) /* L: TL0PICIDX */
            off++;
        if (x & 0x30) /* T or K: TID/Y/KEYIDX */
            off++;
    }
    int start = (p[0] & 0x10) && (p[0] & 0x07) == 0; /* S and partition 0 */
    if (!start)
        return off <= len ? 0 : -EBADMSG;
    if (off >= len)
        return -EBADMSG;
    /* The VP8 payload header's P bit: 0 for a key frame. */
    return TSN_EXPORT_PKT_START |
           ((p[off] & 0x01) ? 0 : TSN_EXPORT_PKT_KEY | TSN_EXPORT_PKT_CONFIG);
}

int tsn_export_payload_flags(enum tsn_export_codec codec, const uint8_t *payload, size_t len)
{
    return codec == TSN_EXPORT_VP8 ? vp8_flags(payload, len) : h264_flags(payload, len);
}

int tsn_export_codec_parse(const char *name)
{
    if (name && strcasecmp(name, "H264") == 0)
        return TSN_EXPORT_H264;
    if (name && strcasecmp(name, "VP8") == 0)
        return TSN_EXPORT_VP8;
    return -1;
}

const char *tsn_export_codec_name(enum tsn_export_codec codec)
{
    return codec == TSN_EXPORT_VP8 ? "VP8" : "H264";
}
