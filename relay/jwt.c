/* HS256 JSON Web Tokens (RFC 7519 over RFC 7515 compact serialization).
 *
 * Verification order: the token's shape (three strict base64url parts, length
 * limit), then the protected header (it names the algorithm, so it is read
 * before anything else is trusted: only {"alg":"HS256"} is accepted, never
 * "none"), then the HMAC over the exact signing input with a constant-time
 * compare, and only then the claims JSON. Nothing in the claims is parsed
 * until the signature has been checked.
 *
 * Base64url is strict: no padding, no characters outside [A-Za-z0-9_-], and
 * the unused low bits of the last character must be zero, so each byte string
 * has exactly one accepted encoding (a token cannot be altered without
 * breaking its signature). The module has no state and does no I/O. */
#include "jwt.h"

#include "b64url.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define SIG_BYTES   32                              /* HMAC-SHA-256 output */
#define DECODED_MAX (TSN_JWT_MAX_TOKEN / 4 * 3 + 2) /* any part of a token, decoded */

/* The header tsn_jwt_sign writes, already encoded:
 * base64url('{"alg":"HS256","typ":"JWT"}'). */
static const char sign_header_b64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

static const struct {
    enum tsn_role role;
    const char *name;
} role_names[] = {
    {TSN_ROLE_CAPTURE, "capture"},   {TSN_ROLE_CLINICIAN, "clinician"},
    {TSN_ROLE_OBSERVER, "observer"}, {TSN_ROLE_REVIEWER, "reviewer"},
    {TSN_ROLE_ADMIN, "admin"},
};

/* ---- names -------------------------------------------------------------- */

const char *tsn_role_name(enum tsn_role role)
{
    if (role == TSN_ROLE_NONE)
        return "none";
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (role_names[i].role == role)
            return role_names[i].name;
    return "unknown";
}

enum tsn_role tsn_role_parse(const char *name)
{
    if (!name)
        return TSN_ROLE_NONE;
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (strcmp(role_names[i].name, name) == 0)
            return role_names[i].role;
    return TSN_ROLE_NONE;
}

/* Exactly one of the defined role bits. */
static int role_valid(enum tsn_role role)
{
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (role_names[i].role == role)
            return 1;
    return 0;
}

int tsn_room_name_valid(const char *room)
{
    if (!room)
        return 0;
    size_t n = 0;
    for (; room[n]; n++) {
        char c = room[n];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-';
        if (!ok || n >= TSN_ROOM_MAX)
            return 0;
    }
    return n > 0;
}

/* 1..TSN_SUB_MAX printable ASCII, no '"' or '\\': a subject can then be
 * written into JSON and log lines without escaping. */
static int sub_valid(const char *sub, size_t len)
{
    if (len == 0 || len > TSN_SUB_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)sub[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

const char *tsn_jwt_strerror(int code)
{
    switch (code) {
    case 0:
        return "token valid";
    case TSN_JWT_EMALFORMED:
        return "token malformed";
    case TSN_JWT_EALG:
        return "token algorithm not HS256";
    case TSN_JWT_ESIGNATURE:
        return "token signature invalid";
    case TSN_JWT_EEXPIRED:
        return "token expired";
    case TSN_JWT_ENOTYET:
        return "token not yet valid";
    case TSN_JWT_ECLAIMS:
        return "token claims missing or invalid";
    default:
        return "token error";
    }
}

/* ---- verification ------------------------------------------------------- */

static int hmac_sha256(const uint8_t *key, size_t key_len, const char *msg, size_t msg_len,
                       uint8_t mac[SIG_BYTES])
{
    unsigned int mac_len = 0;
    if (key_len > INT_MAX)
        return -1;
    if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, msg_len, mac,
              &mac_len) ||
        mac_len != SIG_BYTES)
        return -1;
    return 0;
}

/* Parses decoded bytes as a JSON object, duplicate keys refused (jansson
 * without JSON_ALLOW_NUL also refuses "\u0000" inside strings). Returns the
 * object (transfer full) or NULL. */
static json_t *parse_object(const uint8_t *raw, size_t len)
{
    if (len == 0)
        return NULL;
    json_t *j = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static int check_header(const char *b64, size_t len)
{
    uint8_t raw[DECODED_MAX];
    long n = tsn_b64url_decode(b64, len, raw, sizeof raw);
    json_t *h = n > 0 ? parse_object(raw, (size_t)n) : NULL;
    if (!h)
        return TSN_JWT_EMALFORMED;
    int rc = 0;
    json_t *alg = json_object_get(h, "alg");
    json_t *typ = json_object_get(h, "typ");
    if (!json_is_string(alg) || strcmp(json_string_value(alg), "HS256") != 0)
        rc = TSN_JWT_EALG;
    else if (typ && (!json_is_string(typ) || strcasecmp(json_string_value(typ), "JWT") != 0))
        rc = TSN_JWT_EMALFORMED;
    /* RFC 7515 4.1.11: extensions we do not implement must be refused. */
    else if (json_object_get(h, "crit"))
        rc = TSN_JWT_EMALFORMED;
    json_decref(h);
    return rc;
}

/* A string claim copied into `dst` (capacity cap, NUL-terminated). */
static int get_string_claim(json_t *claims, const char *name, char *dst, size_t cap)
{
    json_t *v = json_object_get(claims, name);
    if (!json_is_string(v))
        return -1;
    size_t len = json_string_length(v);
    if (len >= cap)
        return -1;
    /* JSON_ALLOW_NUL is not set, so the string holds no embedded NUL. */
    memcpy(dst, json_string_value(v), len + 1);
    return 0;
}

/* An optional non-negative integer claim; absent leaves *dst at 0. */
static int get_time_claim(json_t *claims, const char *name, int required, int64_t *dst)
{
    json_t *v = json_object_get(claims, name);
    if (!v)
        return required ? -1 : 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *dst = (int64_t)json_integer_value(v);
    return 0;
}

static int parse_claims(const uint8_t *raw, size_t len, struct tsn_claims *c)
{
    json_t *j = parse_object(raw, len);
    if (!j)
        return TSN_JWT_EMALFORMED;
    int rc = TSN_JWT_ECLAIMS;
    char role[16];
    if (get_string_claim(j, "room", c->room, sizeof c->room) != 0 || !tsn_room_name_valid(c->room))
        goto out;
    if (get_string_claim(j, "sub", c->sub, sizeof c->sub) != 0 ||
        !sub_valid(c->sub, strlen(c->sub)))
        goto out;
    if (get_string_claim(j, "role", role, sizeof role) != 0 ||
        (c->role = tsn_role_parse(role)) == TSN_ROLE_NONE)
        goto out;
    if (get_time_claim(j, "exp", 1, &c->exp) != 0 || c->exp == 0 ||
        get_time_claim(j, "nbf", 0, &c->nbf) != 0 || get_time_claim(j, "iat", 0, &c->iat) != 0)
        goto out;
    rc = 0;
out:
    json_decref(j);
    return rc;
}

/* Saturating arithmetic: `now` and `leeway` come from the caller, exp/nbf
 * from the token, and none of them may overflow. */
static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int check_times(const struct tsn_claims *c, int64_t now_s, int64_t leeway_s)
{
    if (leeway_s < 0)
        leeway_s = 0;
    /* Expired when now >= exp, i.e. now - leeway >= exp. */
    if (sat_add(now_s, -leeway_s) >= c->exp)
        return TSN_JWT_EEXPIRED;
    if (c->nbf && sat_add(now_s, leeway_s) < c->nbf)
        return TSN_JWT_ENOTYET;
    return 0;
}

int tsn_jwt_verify(const char *token, size_t len, const uint8_t *key, size_t key_len, int64_t now_s,
                   int64_t leeway_s, struct tsn_claims *out)
{
    assert(out);
    memset(out, 0, sizeof *out);
    if (!token || len == 0 || len > TSN_JWT_MAX_TOKEN)
        return TSN_JWT_EMALFORMED;

    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return TSN_JWT_EMALFORMED;
    size_t h_len = (size_t)(dot1 - token);
    size_t p_len = (size_t)(dot2 - dot1 - 1);
    size_t s_len = len - (size_t)(dot2 + 1 - token);
    if (h_len == 0 || p_len == 0)
        return TSN_JWT_EMALFORMED;

    int rc = check_header(token, h_len);
    if (rc != 0)
        return rc;

    /* Every part must be canonical base64url before any key is used, so a
     * malformed token reads as malformed whatever its signature. */
    uint8_t payload[DECODED_MAX], sig[DECODED_MAX], mac[SIG_BYTES];
    long payload_len = tsn_b64url_decode(dot1 + 1, p_len, payload, sizeof payload);
    long sig_len = tsn_b64url_decode(dot2 + 1, s_len, sig, sizeof sig);
    if (payload_len <= 0 || sig_len < 0)
        return TSN_JWT_EMALFORMED;
    if (!key || key_len == 0 || sig_len != SIG_BYTES)
        return TSN_JWT_ESIGNATURE;
    if (hmac_sha256(key, key_len, token, (size_t)(dot2 - token), mac) != 0)
        return TSN_JWT_ESIGNATURE;
    rc = CRYPTO_memcmp(mac, sig, SIG_BYTES) == 0 ? 0 : TSN_JWT_ESIGNATURE;
    OPENSSL_cleanse(mac, sizeof mac);
    if (rc != 0)
        return rc;

    struct tsn_claims c;
    memset(&c, 0, sizeof c);
    rc = parse_claims(payload, (size_t)payload_len, &c);
    if (rc == 0)
        rc = check_times(&c, now_s, leeway_s);
    if (rc == 0)
        *out = c;
    return rc;
}

/* ---- signing ------------------------------------------------------------ */

static int claims_valid(const struct tsn_claims *c)
{
    size_t sub_len = strnlen(c->sub, sizeof c->sub);
    return strnlen(c->room, sizeof c->room) < sizeof c->room && tsn_room_name_valid(c->room) &&
           sub_len < sizeof c->sub && sub_valid(c->sub, sub_len) && role_valid(c->role) &&
           c->exp > 0 && c->nbf >= 0 && c->iat >= 0;
}

int tsn_jwt_sign(const struct tsn_claims *c, const uint8_t *key, size_t key_len, char *out,
                 size_t cap)
{
    if (!c || !key || key_len == 0 || !out || !claims_valid(c))
        return -EINVAL;

    /* Room and subject need no JSON escaping (checked above). Fixed member
     * order makes tokens reproducible for tests. */
    char json[512], iat[32] = "", nbf[32] = "";
    if (c->iat)
        snprintf(iat, sizeof iat, ",\"iat\":%" PRId64, c->iat);
    if (c->nbf)
        snprintf(nbf, sizeof nbf, ",\"nbf\":%" PRId64, c->nbf);
    int jn = snprintf(json, sizeof json,
                      "{\"room\":\"%s\",\"role\":\"%s\",\"sub\":\"%s\"%s%s,\"exp\":%" PRId64 "}",
                      c->room, tsn_role_name(c->role), c->sub, iat, nbf, c->exp);
    if (jn < 0 || (size_t)jn >= sizeof json)
        return -EINVAL;

    char buf[TSN_JWT_MAX_TOKEN + 1];
    size_t n = sizeof sign_header_b64 - 1;
    memcpy(buf, sign_header_b64, n);
    buf[n++] = '.';
    long pn = tsn_b64url_encode((const uint8_t *)json, (size_t)jn, buf + n, sizeof buf - n);
    if (pn < 0)
        return -ENOSPC;
    n += (size_t)pn;

    uint8_t mac[SIG_BYTES];
    if (hmac_sha256(key, key_len, buf, n, mac) != 0)
        return -EINVAL;
    buf[n++] = '.';
    long sn = tsn_b64url_encode(mac, sizeof mac, buf + n, sizeof buf - n);
    OPENSSL_cleanse(mac, sizeof mac);
    if (sn < 0)
        return -ENOSPC;
    n += (size_t)sn;

    if (n + 1 > cap)
        return -ENOSPC;
    memcpy(out, buf, n + 1);
    return (int)n;
}
