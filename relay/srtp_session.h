/* SRTP/SRTCP (RFC 3711, 7714) for one DTLS-SRTP association, created once
 * from the keys DTLS exported; protect/unprotect in place. RTP in both
 * directions (the forwarding path) goes through srtp_out.c and srtp_in.c on
 * OpenSSL: Debian's libsrtp2 uses NSS, which allocates and locks on every
 * packet. Their results are identical to libsrtp's (tested packet by packet).
 * libsrtp2 handles SRTCP and any SSRC beyond the few per session they keep.
 * Profiles: AEAD_AES_128_GCM (preferred) and AES_CM_128_HMAC_SHA1_80.
 * tsn_srtp_global_init() must run once before any other call. */
#ifndef TSN_SRTP_SESSION_H
#define TSN_SRTP_SESSION_H

#include <stddef.h>
#include <stdint.h>

/* IANA DTLS-SRTP protection profile numbers. */
enum tsn_srtp_profile {
    TSN_SRTP_AES128_CM_SHA1_80 = 0x0001,
    TSN_SRTP_AEAD_AES_128_GCM = 0x0007,
};

/* Bytes protect may add: room the caller leaves. SRTP adds a 10 (AES-CM) or
 * 16 (GCM) byte tag; SRTCP adds the tag plus a 4-byte E flag/index word, so
 * GCM SRTCP needs 20. */
#define TSN_SRTP_MAX_TRAILER 20

/* Keying material as RFC 5764 section 4.2 splits it. */
struct tsn_srtp_keys {
    enum tsn_srtp_profile profile;
    uint8_t client_key[16], server_key[16];
    uint8_t client_salt[14], server_salt[14];
    size_t key_len;  /* 16 */
    size_t salt_len; /* 14 for AES-CM, 12 for GCM */
};

struct tsn_srtp;

int tsn_srtp_global_init(void);
/* Splits `material` (as SSL_export_keying_material wrote it, 2*(key+salt)
 * bytes) into keys. 0, or -EINVAL for an unknown profile or short material. */
int tsn_srtp_keys_from_material(enum tsn_srtp_profile profile, const uint8_t *material,
                                size_t len, struct tsn_srtp_keys *out);
/* Bytes of keying material to export for `profile`, or 0 if unknown. */
size_t tsn_srtp_material_len(enum tsn_srtp_profile profile);

/* Creates the inbound (remote's key) and outbound (own key) sessions.
 * `is_dtls_server`: our DTLS role decides which half is ours. Outbound allows
 * repeated transmission of an index (retransmissions); inbound uses a replay
 * window of 1024 packets. NULL on failure. */
struct tsn_srtp *tsn_srtp_new(const struct tsn_srtp_keys *keys, int is_dtls_server);
void tsn_srtp_free(struct tsn_srtp *s);

/* In place. `*len` in: plaintext length; out: protected length. `cap` is the
 * buffer size (needs *len + TSN_SRTP_MAX_TRAILER). 0 or a negative code. */
int tsn_srtp_protect(struct tsn_srtp *s, uint8_t *buf, size_t *len, size_t cap);
int tsn_srtp_protect_rtcp(struct tsn_srtp *s, uint8_t *buf, size_t *len, size_t cap);
/* In place. 0, -EACCES for an authentication failure, -EALREADY for a replay,
 * -EBADMSG for anything else. */
int tsn_srtp_unprotect(struct tsn_srtp *s, uint8_t *buf, size_t *len);
int tsn_srtp_unprotect_rtcp(struct tsn_srtp *s, uint8_t *buf, size_t *len);

const char *tsn_srtp_profile_name(enum tsn_srtp_profile p);

#endif
