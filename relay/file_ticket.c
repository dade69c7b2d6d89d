/* Download tickets; see file_ticket.h. The MAC input starts with a domain
 * tag and a newline, which no JWT signing input (base64url text) contains,
 * so a ticket MAC can never be replayed as a token signature or back. Every
 * field is canonical (no leading zeros, no base64 padding, zero trailing
 * bits): one ticket text per (file, expiry, holder). */
#include "file_ticket.h"

#include "b64url.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#define MAC_BYTES     32
#define MAC_B64_CHARS 43  /* 32 bytes, no padding */
#define FIELD_MAX     128 /* room, id and name are far shorter */
#define MAC_TAG       "telesono-file-ticket-v1\n"

static int field_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= FIELD_MAX && !strchr(s, '\n');
}

/* A token subject: 1..TSN_SUB_MAX printable ASCII, no quote or backslash. */
static int sub_ok(const char *s, size_t n)
{
    if (n == 0 || n > TSN_SUB_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
            return 0;
    return 1;
}

static int role_ok(long role)
{
    return role == TSN_ROLE_CAPTURE || role == TSN_ROLE_CLINICIAN || role == TSN_ROLE_OBSERVER ||
           role == TSN_ROLE_REVIEWER || role == TSN_ROLE_ADMIN;
}

static int compute_mac(const uint8_t *key, size_t key_len, const char *room, const char *id,
                       const char *name, int64_t expiry_s, int role, const char *sub,
                       uint8_t mac[MAC_BYTES])
{
    char msg[sizeof MAC_TAG + 3 * (FIELD_MAX + 1) + 48 + TSN_SUB_MAX];
    int n = snprintf(msg, sizeof msg, MAC_TAG "%s\n%s\n%s\n%" PRId64 "\n%d\n%s", room, id, name,
                     expiry_s, role, sub);
    unsigned mac_len = 0;
    if (n < 0 || (size_t)n >= sizeof msg)
        return -EINVAL;
    if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, (size_t)n, mac,
              &mac_len) ||
        mac_len != MAC_BYTES)
        return -EINVAL;
    OPENSSL_cleanse(msg, sizeof msg);
    return 0;
}

int tsn_file_ticket_make(const uint8_t *key, size_t key_len, const char *room, const char *id,
                         const char *name, const char *sub, enum tsn_role role, int64_t expiry_s,
                         char *out, size_t cap)
{
    uint8_t mac[MAC_BYTES];
    char sub64[TSN_SUB_MAX / 3 * 4 + 8], mac64[MAC_B64_CHARS + 1];
    if (cap > 0)
        out[0] = '\0';
    if (!key || key_len == 0 || !field_ok(room) || !field_ok(id) || !field_ok(name) || !sub ||
        !sub_ok(sub, strlen(sub)) || !role_ok(role) || expiry_s <= 0)
        return -EINVAL;
    if (compute_mac(key, key_len, room, id, name, expiry_s, (int)role, sub, mac) != 0 ||
        tsn_b64url_encode((const uint8_t *)sub, strlen(sub), sub64, sizeof sub64) < 0 ||
        tsn_b64url_encode(mac, sizeof mac, mac64, sizeof mac64) != MAC_B64_CHARS)
        return -EINVAL;
    int n = snprintf(out, cap, "%" PRId64 ".%d.%s.%s", expiry_s, (int)role, sub64, mac64);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0';
        return -ENOSPC;
    }
    return n;
}

/* A canonical decimal (no sign, no leading zero) of at most 18 digits. */
static int parse_decimal(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > 18 || (s[0] == '0' && n > 1))
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Splits "EXP.ROLE.SUB.MAC" into its four parts (pointers into t). */
static int split4(const char *t, size_t len, const char *part[4], size_t part_len[4])
{
    size_t start = 0;
    int k = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && t[i] != '.')
            continue;
        if (k == 4)
            return -1;
        part[k] = t + start;
        part_len[k++] = i - start;
        start = i + 1;
    }
    return k == 4 ? 0 : -1;
}

int tsn_file_ticket_verify(const uint8_t *key, size_t key_len, const char *room, const char *id,
                           const char *name, const char *ticket, size_t len, int64_t now_s,
                           char *sub, enum tsn_role *role)
{
    const char *part[4];
    size_t plen[4];
    int64_t expiry_s = 0, role_v = 0;
    uint8_t want[MAC_BYTES], got[MAC_BYTES];
    sub[0] = '\0';
    *role = TSN_ROLE_NONE;
    if (!key || key_len == 0 || !field_ok(room) || !field_ok(id) || !field_ok(name) || !ticket ||
        len == 0 || len > TSN_FILE_TICKET_MAX || memchr(ticket, '\0', len) ||
        split4(ticket, len, part, plen) != 0)
        return -EINVAL;
    char claimed[TSN_SUB_MAX + 1];
    long sub_len = tsn_b64url_decode(part[2], plen[2], (uint8_t *)claimed, TSN_SUB_MAX);
    if (parse_decimal(part[0], plen[0], &expiry_s) != 0 || expiry_s <= 0 ||
        parse_decimal(part[1], plen[1], &role_v) != 0 || !role_ok((long)role_v) || sub_len <= 0 ||
        !sub_ok(claimed, (size_t)sub_len) || plen[3] != MAC_B64_CHARS ||
        tsn_b64url_decode(part[3], plen[3], got, sizeof got) != MAC_BYTES)
        return -EINVAL;
    claimed[sub_len] = '\0';
    if (compute_mac(key, key_len, room, id, name, expiry_s, (int)role_v, claimed, want) != 0)
        return -EINVAL;
    int same = CRYPTO_memcmp(want, got, MAC_BYTES) == 0;
    OPENSSL_cleanse(want, sizeof want);
    if (!same)
        return -EACCES;
    if (now_s >= expiry_s)
        return -EKEYEXPIRED;
    memcpy(sub, claimed, (size_t)sub_len + 1);
    *role = (enum tsn_role)role_v;
    return 0;
}

const char *tsn_file_ticket_strerror(int code)
{
    switch (code) {
    case 0:
        return "ok";
    case -EKEYEXPIRED:
        return "download ticket expired: ask for the export state again for a fresh link";
    case -EACCES:
        return "download ticket is not valid for this file";
    default:
        return "malformed download ticket";
    }
}
