/* How a client decides to trust the relay's TLS certificate, and the check
 * done once the handshake is over. Three modes, strongest first:
 *   - a pinned SHA-256 fingerprint of the relay's certificate (--fingerprint),
 *     compared with the leaf certificate the relay presented;
 *   - a CA file (--ca FILE, e.g. the relay's own self-signed cert.pem) or the
 *     system CAs (the default): OpenSSL verifies the chain, and this module
 *     checks the host name or IP address against the certificate;
 *   - --insecure: nothing is checked (development only; callers say so loudly).
 * The check runs after the TLS handshake and before the client sends any
 * secret (the token goes in the first WebSocket message), so a failed check
 * closes the connection with nothing disclosed. Plain OpenSSL, no I/O. */
#ifndef TSN_TLS_PIN_H
#define TSN_TLS_PIN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct tsn_tls_opts {
    const char *ca_file; /* (nullable) PEM CA bundle; NULL = system CAs */
    int has_pin;
    uint8_t pin_sha256[32]; /* the relay certificate's SHA-256 when has_pin */
    int insecure;           /* accept any certificate (development only) */
};

/* Parses a SHA-256 fingerprint as printed by the relay or by
 * `openssl x509 -fingerprint -sha256`: 64 hex digits, optionally in pairs
 * separated by ':' and optionally prefixed "sha256:" or "SHA256 Fingerprint=".
 * Returns 0 or -EINVAL with a reason in `why`. */
int tsn_tls_parse_fingerprint(const char *text, uint8_t out[32], char *why, size_t why_len);

/* Formats a fingerprint as "AB:CD:..." (96 bytes with the NUL). */
void tsn_tls_format_fingerprint(const uint8_t fp[32], char out[96]);

/* Checks the peer of an established TLS connection against `opts` for a
 * connection made to `host` (a DNS name or an IP literal). Returns 0 when it
 * may be trusted, or -EPERM with a one-line reason in `why`. */
int tsn_tls_check_peer(SSL *ssl, const struct tsn_tls_opts *opts, const char *host, char *why,
                       size_t why_len);

#endif
