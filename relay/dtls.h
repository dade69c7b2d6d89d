/* DTLS 1.2 for DTLS-SRTP (RFC 5764) over memory: the media loop feeds each
 * received datagram in and sends each datagram this module produces; OpenSSL
 * never touches a socket. After the handshake the peer's certificate is
 * checked against the fingerprint from its SDP, and SRTP keys are exported.
 * One tsn_dtls_ctx (SSL_CTX) is shared by all peers of a thread; it is
 * immutable after creation. */
#ifndef TSN_DTLS_H
#define TSN_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include "cert.h"
#include "srtp_session.h"

#define TSN_DTLS_MTU 1200

struct tsn_dtls_ctx;
struct tsn_dtls;

enum tsn_dtls_role { TSN_DTLS_SERVER, TSN_DTLS_CLIENT };
enum tsn_dtls_state {
    TSN_DTLS_HANDSHAKING = 0,
    TSN_DTLS_CONNECTED,  /* keys available */
    TSN_DTLS_FAILED,     /* handshake failed or fingerprint mismatch; see error */
    TSN_DTLS_CLOSED,     /* peer sent close_notify */
};

/* SSL_CTX for DTLS 1.2 with `cert` (referenced, not copied: it must outlive
 * the ctx), use_srtp "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80" (GCM
 * preferred), peer certificate requested and accepted at the TLS layer (the
 * fingerprint check happens after the handshake). NULL on failure. */
struct tsn_dtls_ctx *tsn_dtls_ctx_new(const struct tsn_cert *cert);
void tsn_dtls_ctx_free(struct tsn_dtls_ctx *ctx);

/* A new association. `peer_fingerprint`: SHA-256 hex pairs with colons from
 * the peer's SDP (case-insensitive); copied. NULL on failure. */
struct tsn_dtls *tsn_dtls_new(struct tsn_dtls_ctx *ctx, enum tsn_dtls_role role,
                              const char *peer_fingerprint);
void tsn_dtls_free(struct tsn_dtls *d);

/* Client only: starts the handshake (queues the ClientHello). */
int tsn_dtls_connect(struct tsn_dtls *d);
/* Feeds one received datagram. Returns the new state. Outgoing datagrams
 * (handshake flights, alerts) are queued: drain them with tsn_dtls_pop. */
enum tsn_dtls_state tsn_dtls_feed(struct tsn_dtls *d, const uint8_t *buf, size_t len);
/* Pops the next queued outgoing datagram into `out`. Returns its length,
 * 0 if none is queued, or -ENOSPC if `cap` is too small (the datagram stays). */
int tsn_dtls_pop(struct tsn_dtls *d, uint8_t *out, size_t cap);
/* Retransmission: call when tsn_dtls_timeout_us says it is due. Queues
 * datagrams to send. Returns the state. */
enum tsn_dtls_state tsn_dtls_on_timer(struct tsn_dtls *d);
/* Microseconds until the next retransmission timer, or -1 if none is armed. */
int64_t tsn_dtls_timeout_us(struct tsn_dtls *d);

enum tsn_dtls_state tsn_dtls_state(const struct tsn_dtls *d);
/* Why it failed (static string), or "" if it has not. */
const char *tsn_dtls_error(const struct tsn_dtls *d);
/* After CONNECTED: the negotiated profile and exported keys. 0 or -EAGAIN. */
int tsn_dtls_srtp_keys(struct tsn_dtls *d, struct tsn_srtp_keys *out);
/* Queues a close_notify alert (drain with tsn_dtls_pop). */
void tsn_dtls_close(struct tsn_dtls *d);

#endif
