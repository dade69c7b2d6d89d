/* SRTP primitives shared by the OpenSSL RTP transforms srtp_out (protect)
 * and srtp_in (unprotect), so both directions compute keys, tags, IVs and
 * packet indices in one place: the RFC 3711 key derivation, HMAC-SHA1-80
 * from precomputed inner/outer states, the RTP header length, the packet
 * index estimate, and the AES-CM and AES-GCM IVs.
 *
 * Internal to the relay: it holds no state of its own, does no I/O and
 * allocates nothing except inside tsn_srtp_kdf (once per key setup). The
 * per-packet functions take no lock and allocate nothing. Replay windows,
 * per-SSRC state and cipher contexts stay with srtp_in and srtp_out. */
#ifndef TSN_SRTP_CRYPTO_H
#define TSN_SRTP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <openssl/sha.h>

#include "srtp_session.h"

#define TSN_SRTP_CRYPTO_KEY_BYTES      16 /* AES-128 master and session key */
#define TSN_SRTP_CRYPTO_CM_SALT_BYTES  14
#define TSN_SRTP_CRYPTO_GCM_SALT_BYTES 12
#define TSN_SRTP_CRYPTO_AUTH_KEY_BYTES 20 /* HMAC-SHA1 key, RFC 3711 4.2.1 */
#define TSN_SRTP_CRYPTO_CM_TAG_BYTES   10 /* HMAC-SHA1 truncated to 80 bits */
#define TSN_SRTP_CRYPTO_GCM_TAG_BYTES  16
#define TSN_SRTP_CRYPTO_CM_IV_BYTES    16
#define TSN_SRTP_CRYPTO_GCM_IV_BYTES   12
#define TSN_SRTP_CRYPTO_RTP_HDR_BYTES  12 /* fixed RTP header */

/* Session keys for one direction of SRTP (RTP only), as RFC 3711 4.3
 * derives them. Key material: the holder wipes it (OPENSSL_cleanse). */
struct tsn_srtp_session_keys {
    uint8_t cipher_key[16];
    uint8_t salt[14];     /* 14 bytes for AES-CM, the first 12 for GCM */
    uint8_t auth_key[20]; /* HMAC-SHA1 key; AES-CM only (zero for GCM) */
};

/* The SRTP key derivation (RFC 3711 4.3.3, AES-CM PRF, kdr 0, RTP labels).
 * `master_key` is 16 bytes; `salt_len` is 14 (AES-CM) or 12 (GCM, padded
 * with zeros as libsrtp pads it). 0, -EINVAL for bad arguments, or -EIO if
 * OpenSSL fails (then `out` is zeroed). */
int tsn_srtp_kdf(enum tsn_srtp_profile profile, const uint8_t *master_key, size_t key_len,
                 const uint8_t *master_salt, size_t salt_len, struct tsn_srtp_session_keys *out);

/* HMAC-SHA1 keyed once (RFC 2104): the SHA-1 states after one block of
 * auth_key ^ ipad and auth_key ^ opad. A tag restarts from copies of them,
 * so it allocates nothing. Key material: the holder wipes it. */
struct tsn_srtp_crypto_hmac {
    SHA_CTX inner, outer;
};

/* Computes both states from the 20-byte auth key. 0, or -EIO if OpenSSL
 * fails. */
int tsn_srtp_crypto_hmac_init(struct tsn_srtp_crypto_hmac *h,
                              const uint8_t key[TSN_SRTP_CRYPTO_AUTH_KEY_BYTES]);

/* RFC 3711 4.2: the first 10 bytes of HMAC-SHA1(auth_key, pkt || ROC), the
 * ROC as 4 big-endian bytes. `tag` may not overlap pkt[0..len). */
void tsn_srtp_crypto_hmac_tag80(const struct tsn_srtp_crypto_hmac *h, const uint8_t *pkt,
                                size_t len, uint32_t roc,
                                uint8_t tag[TSN_SRTP_CRYPTO_CM_TAG_BYTES]);

/* The bytes SRTP leaves in the clear: fixed header + CSRCs + extension
 * block, in `*out`. 0, or -EBADMSG if `len` is under 12 or that header runs
 * past `len`. The version is not checked. Pure: safe on network bytes. */
int tsn_srtp_crypto_rtp_header_bytes(const uint8_t *buf, size_t len, size_t *out);

/* RFC 3711 Appendix A, as libsrtp's srtp_rdbx_estimate_index does it: the
 * 48-bit index (ROC << 16 | seq) nearest `highest`, the newest index seen,
 * except that the ROC stays 0 while `highest` is at most 2^15, so an early
 * out-of-order packet never guesses ROC -1. The ROC is 32-bit arithmetic
 * (past ROC 2^32 - 1 it wraps to 0). `delta` (nullable) gets the estimate
 * minus `highest`. Both directions use this one estimate: srtp_out to match
 * libsrtp's protect, srtp_in its replay window. */
uint64_t tsn_srtp_crypto_estimate_index(uint64_t highest, uint16_t seq, int64_t *delta);

/* RFC 3711 4.1.1: IV = (salt << 16) ^ (SSRC << 64) ^ (index << 16), the
 * SSRC taken from bytes 8..11 of the RTP header `rtp` (at least 12 bytes).
 * `salt` is the 14-byte session salt. */
void tsn_srtp_crypto_cm_iv(const uint8_t *salt, const uint8_t *rtp, uint64_t index,
                           uint8_t iv[TSN_SRTP_CRYPTO_CM_IV_BYTES]);

/* RFC 7714 8.1: IV = (00 00 || SSRC || ROC || SEQ) ^ salt, the SSRC from
 * the RTP header `rtp` (at least 12 bytes), `salt` the 12-byte session
 * salt. */
void tsn_srtp_crypto_gcm_iv(const uint8_t *salt, const uint8_t *rtp, uint64_t index,
                            uint8_t iv[TSN_SRTP_CRYPTO_GCM_IV_BYTES]);

/* The keyed state of one direction of SRTP for RTP, shared by srtp_in and
 * srtp_out: one cipher context (AES-128-CTR for AES-CM, AES-128-GCM) keyed
 * once, the HMAC-SHA1 states (AES-CM) and the session salt. Key material:
 * wiped by _clear. */
struct tsn_srtp_crypto_transform {
    int gcm;
    size_t tag_bytes;               /* 10 (AES-CM) or 16 (GCM) */
    EVP_CIPHER_CTX *cipher;         /* owned; only the IV changes per packet */
    struct tsn_srtp_crypto_hmac hmac; /* AES-CM only */
    uint8_t salt[TSN_SRTP_CRYPTO_CM_SALT_BYTES]; /* 14 bytes, or the first 12 for GCM */
};

/* Checks the arguments (16-byte master key; 14-byte salt for AES-CM, 12 for
 * GCM), derives the session keys and keys the contexts to `encrypt` (1) or
 * decrypt (0). The master key is not kept. 0, -EINVAL for bad arguments, or
 * -EIO if OpenSSL fails (then _clear is still safe). */
int tsn_srtp_crypto_transform_init(struct tsn_srtp_crypto_transform *t,
                                   enum tsn_srtp_profile profile, const uint8_t *master_key,
                                   size_t key_len, const uint8_t *master_salt, size_t salt_len,
                                   int encrypt);
void tsn_srtp_crypto_transform_clear(struct tsn_srtp_crypto_transform *t);

#endif
