/* Tokens: HS256 JSON Web Tokens (RFC 7519) carrying Telesono's claims
 * (room, role, sub, exp, optional nbf and iat). Verification is a pure
 * function of the token text, the key and the current time; signing is for
 * telesono-token and tests. The key is never logged, nor is the token. */
#ifndef TSN_JWT_H
#define TSN_JWT_H

#include <stddef.h>
#include <stdint.h>

#define TSN_JWT_MAX_TOKEN 4096
#define TSN_ROOM_MAX 64 /* room names: 1..64 of [A-Za-z0-9_-] */
#define TSN_SUB_MAX 64  /* subject: 1..64 printable ASCII, no quotes or backslash */

/* Roles are bits so a policy can name a set of them; a token holds one. */
enum tsn_role {
    TSN_ROLE_NONE = 0,
    TSN_ROLE_CAPTURE = 1 << 0,   /* publishes media into its room */
    TSN_ROLE_CLINICIAN = 1 << 1, /* views, talks, annotates */
    TSN_ROLE_OBSERVER = 1 << 2,  /* views only */
    TSN_ROLE_REVIEWER = 1 << 3,  /* recordings only */
    TSN_ROLE_ADMIN = 1 << 4,     /* administration: metrics and rooms, no media */
};

struct tsn_claims {
    char room[TSN_ROOM_MAX + 1];
    char sub[TSN_SUB_MAX + 1];
    enum tsn_role role;
    int64_t exp; /* seconds since the epoch, required */
    int64_t nbf; /* 0 if absent */
    int64_t iat; /* 0 if absent */
};

/* Error codes (negative) returned by verify. */
enum {
    TSN_JWT_EMALFORMED = -1001, /* not three base64url parts, bad JSON, too long */
    TSN_JWT_EALG = -1002,       /* header alg is not HS256 (alg "none" included) */
    TSN_JWT_ESIGNATURE = -1003, /* signature does not match */
    TSN_JWT_EEXPIRED = -1004,   /* now >= exp */
    TSN_JWT_ENOTYET = -1005,    /* now < nbf */
    TSN_JWT_ECLAIMS = -1006,    /* a claim missing, of the wrong type, or invalid */
};

/* Verifies signature (constant-time compare), then header and claims.
 * `leeway_s` tolerates clock skew on exp and nbf. Returns 0 and fills *out,
 * or one of the codes above; *out is zeroed on error. */
int tsn_jwt_verify(const char *token, size_t len, const uint8_t *key, size_t key_len,
                   int64_t now_s, int64_t leeway_s, struct tsn_claims *out);

/* A one-line English reason for a code from tsn_jwt_verify ("token expired"). */
const char *tsn_jwt_strerror(int code);

/* Signs claims into `out`. Returns the length, -EINVAL for invalid claims
 * (bad room name, no role, exp <= 0), or -ENOSPC. */
int tsn_jwt_sign(const struct tsn_claims *c, const uint8_t *key, size_t key_len, char *out,
                 size_t cap);

/* "capture", "clinician", ... ; tsn_role_parse returns TSN_ROLE_NONE for
 * anything else. */
const char *tsn_role_name(enum tsn_role role);
enum tsn_role tsn_role_parse(const char *name);

/* 1 if `room` is a valid room name, else 0. */
int tsn_room_name_valid(const char *room);

#endif
