/* Fuzz target for telesono-export's packet parsing (viewer/export_rtp.c):
 * the first byte picks the codec, the rest is one RTP packet.
 *
 * Invariants (abort on violation):
 *  - parse returns 0 or -EBADMSG; on 0 the payload and the extension block
 *    lie inside the input, and the extension length is a multiple of 4;
 *  - every extension element found lies inside the extension block;
 *  - payload flags are -EBADMSG or a combination of the three flags, and
 *    KEY without START never comes with CONFIG for VP8;
 *  - an abs-capture-time value is -1 unless the element has 8 or 16 bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "export_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *p, size_t n, const uint8_t *lo, size_t len)
{
    if (n && (p < lo || p + n > lo + len))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum tsn_export_codec codec = (data[0] & 1) ? TSN_EXPORT_VP8 : TSN_EXPORT_H264;
    const uint8_t *buf = data + 1;
    size_t len = size - 1;
    struct tsn_export_rtp p;
    int rc = tsn_export_rtp_parse(buf, len, &p);
    if (rc != 0) {
        if (rc != -EBADMSG)
            abort();
        return 0;
    }
    inside(p.payload, p.payload_len, buf, len);
    if (p.ext) {
        inside(p.ext, p.ext_len, buf, len);
        if (p.ext_len % 4)
            abort();
    }
    for (int id = 0; id <= 16; id++) {
        const uint8_t *d;
        size_t n;
        if (tsn_export_rtp_ext_find(&p, id, &d, &n) == 0) {
            inside(d, n, p.ext, p.ext_len);
            int64_t ms = tsn_export_act_unix_ms(d, n);
            if (ms != -1 && n != 8 && n != 16)
                abort();
        }
    }
    int flags = tsn_export_payload_flags(codec, p.payload, p.payload_len);
    const int all = TSN_EXPORT_PKT_START | TSN_EXPORT_PKT_KEY | TSN_EXPORT_PKT_CONFIG;
    if (flags != -EBADMSG && (flags < 0 || (flags & ~all)))
        abort();
    if (codec == TSN_EXPORT_VP8 && flags > 0 && (flags & TSN_EXPORT_PKT_KEY) &&
        !(flags & TSN_EXPORT_PKT_START))
        abort();
    return 0;
}
