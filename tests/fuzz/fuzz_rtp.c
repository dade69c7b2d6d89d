/* Fuzz target for relay/rtp.c: parse an RTP packet, look up every possible
 * header extension id, run both keyframe detectors on its payload, and check
 * the invariants the forwarding path relies on (every view stays inside the
 * input). The detectors also see the raw input, as a payload of any shape. */
#include <stdint.h>
#include <stdlib.h>

#include "rtp.h"

static void check_inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
    if (p < buf || n > len || p + n > buf + len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Keyframe detectors must accept arbitrary bytes as a payload. */
    (void)tsn_h264_is_keyframe(data, size);
    (void)tsn_vp8_is_keyframe(data, size);
    (void)tsn_rtp_is_rtp_or_rtcp(data, size);
    (void)tsn_rtp_is_rtcp(data, size);

    struct tsn_rtp_hdr h;
    if (tsn_rtp_parse(data, size, &h) != 0)
        return 0;
    if (h.version != 2 || h.header_len + h.payload_len > size)
        abort();
    if (h.ext)
        check_inside(h.ext, h.ext_len, data, size);

    for (unsigned id = 0; id <= 255; id++) {
        const uint8_t *ext = NULL;
        size_t ext_len = 0;
        if (tsn_rtp_find_ext(&h, (uint8_t)id, &ext, &ext_len) == 0)
            check_inside(ext, ext_len, h.ext, h.ext_len);
    }

    const uint8_t *payload = data + h.header_len;
    (void)tsn_h264_is_keyframe(payload, h.payload_len);
    (void)tsn_vp8_is_keyframe(payload, h.payload_len);
    return 0;
}
