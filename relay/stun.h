/* STUN (RFC 5389) as ICE-lite needs it (RFC 8445): recognise and parse binding
 * requests, check MESSAGE-INTEGRITY (HMAC-SHA1, short-term credentials) and
 * FINGERPRINT (CRC-32 xor 0x5354554e), and build binding responses, errors and
 * (for test and benchmark clients) requests. Pure functions over buffers: no
 * I/O, no globals, no allocation. It does not do TURN or long-term credentials. */
#ifndef TSN_STUN_H
#define TSN_STUN_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define TSN_STUN_BINDING_REQUEST 0x0001
#define TSN_STUN_BINDING_INDICATION 0x0011
#define TSN_STUN_BINDING_SUCCESS 0x0101
#define TSN_STUN_BINDING_ERROR 0x0111
#define TSN_STUN_HEADER_BYTES 20
#define TSN_STUN_MAX_USERNAME 512

/* A parsed message. Pointers point into the parsed buffer (transfer none). */
struct tsn_stun_msg {
    uint16_t type;
    uint16_t length;            /* body length from the header */
    uint8_t txid[12];
    const uint8_t *username;    /* nullable: USERNAME value, not NUL-terminated */
    size_t username_len;
    int has_integrity;          /* MESSAGE-INTEGRITY present */
    size_t integrity_offset;    /* offset of the MESSAGE-INTEGRITY attribute header */
    int has_fingerprint;        /* FINGERPRINT present and correct */
    int use_candidate;          /* USE-CANDIDATE present */
    int has_priority;
    uint32_t priority;
    int ice_controlling;        /* ICE-CONTROLLING present */
    int ice_controlled;         /* ICE-CONTROLLED present */
    uint64_t tiebreaker;
    int has_error_code;
    int error_code;             /* e.g. 401 */
    int has_xor_mapped;
    struct sockaddr_storage xor_mapped; /* decoded XOR-MAPPED-ADDRESS */
};

/* RFC 7983: first byte 0..3 and the magic cookie at offset 4. Cheap check. */
int tsn_stun_is_stun(const uint8_t *buf, size_t len);

/* Parses a whole message. Returns 0, or a negative errno: -EBADMSG for a
 * malformed header or attribute, -EPROTO for a FINGERPRINT that does not match.
 * Attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored, as
 * RFC 5389 section 15.4 requires. Unknown comprehension-optional attributes are
 * skipped; unknown comprehension-required ones are skipped too (ICE-lite has
 * no use for them) but the message still parses. */
int tsn_stun_parse(const uint8_t *buf, size_t len, struct tsn_stun_msg *out);

/* Checks MESSAGE-INTEGRITY with a short-term key (the ICE password). Returns 0
 * if it matches, -EACCES if not, -EINVAL if the message has none. */
int tsn_stun_check_integrity(const uint8_t *buf, size_t len, const struct tsn_stun_msg *msg,
                             const void *key, size_t key_len);

/* Builds a Binding success response with XOR-MAPPED-ADDRESS of `mapped`
 * (IPv4 or IPv6), MESSAGE-INTEGRITY keyed with `key` and FINGERPRINT.
 * Returns the length written, or 0 if `cap` is too small. */
size_t tsn_stun_build_success(uint8_t *out, size_t cap, const uint8_t txid[12],
                              const struct sockaddr *mapped, const void *key, size_t key_len);

/* Builds a Binding error response (ERROR-CODE with a short reason phrase, then
 * FINGERPRINT; MESSAGE-INTEGRITY only when key is non-NULL). Returns length or 0. */
size_t tsn_stun_build_error(uint8_t *out, size_t cap, const uint8_t txid[12], int code,
                            const void *key, size_t key_len);

/* Builds a Binding request as an ICE controlling agent would: USERNAME,
 * PRIORITY, ICE-CONTROLLING(tiebreaker), USE-CANDIDATE if asked,
 * MESSAGE-INTEGRITY keyed with `key` (the remote password), FINGERPRINT.
 * Returns length or 0. Used by test clients and the load generator. */
size_t tsn_stun_build_request(uint8_t *out, size_t cap, const uint8_t txid[12],
                              const char *username, uint32_t priority, uint64_t tiebreaker,
                              int use_candidate, const void *key, size_t key_len);

#endif
