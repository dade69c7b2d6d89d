/* Outbound SRTP for RTP (RFC 3711, RFC 7714) on OpenSSL, for the forwarding
 * hot path: one packet per subscriber per forwarded packet. libsrtp's NSS
 * backend takes a lock and allocates on every packet; this module takes
 * neither once built. Every cipher context is created and keyed in _new; a
 * packet only sets a new IV, and HMAC-SHA1 restarts from inner/outer states
 * precomputed from the auth key.
 *
 * It does only SRTP protect: no SRTCP, no unprotect, no MKI, no header
 * extension encryption (RFC 6904), key derivation rate 0. Its output is byte
 * for byte what libsrtp's srtp_protect produces for the same master key, salt
 * and packets, including libsrtp's choice of rollover counter for a packet
 * sent again after a sequence wrap. Unlike libsrtp it does not refuse to
 * protect an index older than a window: the caller (the NACK cache) only
 * protects again the plaintext it already sent under that index.
 *
 * One object belongs to one thread (no lock): it keeps per-SSRC rollover
 * state. */
#ifndef TSN_SRTP_OUT_H
#define TSN_SRTP_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "srtp_crypto.h" /* tsn_srtp_kdf, for callers that derive keys themselves */
#include "srtp_session.h"

/* SSRCs one object tracks (video, audio, RTX, one spare). A packet with an
 * SSRC beyond these is declined, not protected. */
#define TSN_SRTP_OUT_MAX_SSRCS 4
/* Returned by tsn_srtp_out_protect for an SSRC it cannot track: nothing was
 * written, and the caller protects the packet another way (libsrtp). That
 * SSRC stays declined for the object's life, so its rollover state lives in
 * one place only. Not an error. */
#define TSN_SRTP_OUT_DECLINED 1

struct tsn_srtp_out;

/* Derives the RTP session keys (RFC 3711 4.3, AES-CM PRF, kdr 0) from our own
 * master key (16 bytes) and salt (14 bytes for AES-CM, 12 for GCM) and keys
 * every context. The master key is not kept. NULL on bad arguments or an
 * OpenSSL failure. */
struct tsn_srtp_out *tsn_srtp_out_new(enum tsn_srtp_profile profile, const uint8_t *master_key,
                                      size_t key_len, const uint8_t *master_salt, size_t salt_len);
/* Wipes the session keys. NULL is a no-op. */
void tsn_srtp_out_free(struct tsn_srtp_out *o);

/* Bytes protect appends: 10 (AES-CM) or 16 (GCM). */
size_t tsn_srtp_out_tag_bytes(const struct tsn_srtp_out *o);

/* Protects one RTP packet in place: encrypts everything after the header
 * (fixed header, CSRCs and extension block stay in the clear) and appends the
 * tag. `*len` in: plaintext length; out: protected length. `cap` is the
 * buffer size. Returns 0; TSN_SRTP_OUT_DECLINED (see above); -EINVAL for a
 * NULL argument, a packet shorter than 12 bytes, version not 2, or CSRCs or
 * an extension block running past `*len`; -ENOSPC when `cap` has no room for
 * the tag; -EIO if OpenSSL fails. On any non-zero return the buffer and
 * `*len` are unchanged, except after -EIO (the payload may be garbled). */
int tsn_srtp_out_protect(struct tsn_srtp_out *o, uint8_t *buf, size_t *len, size_t cap);

#endif
