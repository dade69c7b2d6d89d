/* Inbound SRTP for RTP (RFC 3711, RFC 7714) on OpenSSL, for the forwarding
 * hot path: once per publisher packet. libsrtp's NSS backend takes a lock
 * and allocates on every packet; this module takes neither once built. The
 * session keys come from srtp_crypto's tsn_srtp_kdf; every cipher context is
 * created and keyed in _new, and HMAC-SHA1 restarts from precomputed states.
 *
 * It does only SRTP unprotect: no SRTCP, no protect, no MKI, no header
 * extension decryption (RFC 6904), key derivation rate 0, no key usage
 * limit. It accepts and refuses exactly the packets a libsrtp inbound
 * session with a 1024-packet replay window does (same index estimate, same
 * window, same order of checks), and yields the same plaintext.
 *
 * An SSRC gets a slot only once one of its packets has authenticated, so
 * forged packets cannot use up the table. Replay and rollover state change
 * only for a packet that authenticated.
 *
 * One object belongs to one thread (no lock). */
#ifndef TSN_SRTP_IN_H
#define TSN_SRTP_IN_H

#include <stddef.h>
#include <stdint.h>

#include "srtp_session.h"

/* SSRCs one object tracks (video, audio, RTX, one spare). */
#define TSN_SRTP_IN_MAX_SSRCS 4
/* Packets of one SSRC accepted out of order (the newest included), as
 * srtp_session.c configures libsrtp's inbound window. */
#define TSN_SRTP_IN_WINDOW_PKTS 1024
/* Returned by tsn_srtp_in_unprotect for a new SSRC once all slots are
 * taken: nothing was checked or changed, and the caller unprotects the
 * packet another way (libsrtp). Slots are never freed, so such an SSRC is
 * declined for the object's life and its state lives in one place only.
 * Not an error. */
#define TSN_SRTP_IN_DECLINED 1

struct tsn_srtp_in;

/* Derives the RTP session keys from the peer's master key (16 bytes) and
 * salt (14 bytes for AES-CM, 12 for GCM) and keys every context. The master
 * key is not kept. NULL on bad arguments or an OpenSSL failure. */
struct tsn_srtp_in *tsn_srtp_in_new(enum tsn_srtp_profile profile, const uint8_t *master_key,
                                    size_t key_len, const uint8_t *master_salt, size_t salt_len);
/* Wipes the session keys. NULL is a no-op. */
void tsn_srtp_in_free(struct tsn_srtp_in *in);

/* Unprotects one SRTP packet in place: checks the replay window, then the
 * tag (HMAC-SHA1-80 over packet || ROC, before decrypting; or the GCM tag),
 * then decrypts and records the index. `*len` in: protected length; out:
 * plaintext length (the tag removed). Returns 0; TSN_SRTP_IN_DECLINED (see
 * above); -EALREADY for a replay or an index older than the window;
 * -EACCES when authentication fails; -EBADMSG for a packet shorter than 12
 * bytes, version not 2, or a header (CSRCs, extension) that leaves no room
 * for the tag; -EINVAL for a NULL argument; -EIO if OpenSSL fails. On any
 * non-zero return the buffer and `*len` are unchanged (after -EIO the
 * payload may be garbled) and no state changed. */
int tsn_srtp_in_unprotect(struct tsn_srtp_in *in, uint8_t *buf, size_t *len);

#endif
