/* Fuzz target: inbound SRTP for RTP (srtp_in), the first code that touches a
 * publisher's bytes after the media loop's demultiplexer. The input is a
 * sequence of datagrams, each prefixed by a 2-byte big-endian length, fed to
 * one AES-CM and one GCM receiver with fixed keys, so that state (rollover,
 * replay window, SSRC slots) carries across datagrams. The kept corpus holds
 * packets protected with the same keys by srtp_out, so valid packets reach
 * decryption. Invariants: no crash, and a failed unprotect leaves the
 * length unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srtp_crypto.h"
#include "srtp_in.h"

static const uint8_t master_key[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
                                       0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39};
static const uint8_t master_salt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
                                        0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tsn_srtp_in *cm = tsn_srtp_in_new(TSN_SRTP_AES128_CM_SHA1_80, master_key, 16,
                                             master_salt, 14);
    struct tsn_srtp_in *gcm = tsn_srtp_in_new(TSN_SRTP_AEAD_AES_128_GCM, master_key, 16,
                                              master_salt, 12);
    if (!cm || !gcm)
        abort();
    uint8_t buf[2048];
    size_t off = 0;
    while (off + 2 <= size) {
        size_t n = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (n > size - off)
            n = size - off;
        if (n > sizeof buf)
            n = sizeof buf;
        struct tsn_srtp_in *in = (n & 1) ? gcm : cm;
        memcpy(buf, data + off, n);
        size_t len = n, hdr = 0;
        (void)tsn_srtp_crypto_rtp_header_bytes(buf, len, &hdr);
        int rc = tsn_srtp_in_unprotect(in, buf, &len);
        if (rc != 0 && len != n)
            abort();
        if (rc == 0 && len > n)
            abort();
        off += n;
    }
    tsn_srtp_in_free(cm);
    tsn_srtp_in_free(gcm);
    return 0;
}
