/* Fuzz target for relay/dtls.c: a DTLS server association fed the input as
 * a sequence of datagrams, each prefixed by a 2-byte big-endian length (a
 * length past the end takes what is left). Every queued outgoing datagram is
 * drained after each feed. It must never crash, assert or leak, whatever the
 * bytes; reaching CONNECTED is impossible without the client's secrets.
 * The certificate and context are made once per process (key generation is
 * the slow part) and intentionally live until exit. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cert.h"
#include "dtls.h"
#include "log.h"

#define FUZZ_MAX_DGRAMS 64

static struct tsn_cert *fuzz_cert;
static struct tsn_dtls_ctx *fuzz_ctx;

/* Any well-formed fingerprint: the handshake never completes here. */
static const char peer_fp[] = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                              "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";

static void drain(struct tsn_dtls *d)
{
    uint8_t out[1500];
    int n;
    while ((n = tsn_dtls_pop(d, out, sizeof out)) > 0)
        if (n > TSN_DTLS_MTU)
            abort(); /* a datagram over the MTU is a bug */
    if (n < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_ctx) {
        tsn_log_set_level(TSN_LOG_ERROR);
        fuzz_cert = tsn_cert_generate("fuzz", 1);
        fuzz_ctx = tsn_dtls_ctx_new(fuzz_cert);
        if (!fuzz_ctx)
            abort();
    }
    struct tsn_dtls *d = tsn_dtls_new(fuzz_ctx, TSN_DTLS_SERVER, peer_fp);
    if (!d)
        abort();
    size_t off = 0;
    for (int i = 0; i < FUZZ_MAX_DGRAMS && off + 2 <= size; i++) {
        size_t len = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (len > size - off)
            len = size - off;
        tsn_dtls_feed(d, data + off, len);
        off += len;
        drain(d);
    }
    /* Exercise the rest of the API on whatever state the input reached. */
    (void)tsn_dtls_timeout_us(d);
    tsn_dtls_on_timer(d);
    struct tsn_srtp_keys keys;
    if (tsn_dtls_srtp_keys(d, &keys) == 0 && tsn_dtls_state(d) != TSN_DTLS_CONNECTED)
        abort();
    (void)tsn_dtls_error(d);
    tsn_dtls_close(d);
    drain(d);
    tsn_dtls_free(d);
    return 0;
}
