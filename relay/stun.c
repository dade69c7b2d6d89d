/* STUN (RFC 5389) for ICE-lite (RFC 8445): a strict parser for whole
 * messages, MESSAGE-INTEGRITY (HMAC-SHA1 with a short-term key) and
 * FINGERPRINT (CRC-32 xor 0x5354554e) checks, and builders for Binding
 * responses, errors and requests. Everything works on caller-owned buffers:
 * no I/O, no allocation by this module, no mutable globals (OpenSSL allocates
 * its MAC context internally per call). It does not do TURN, long-term
 * credentials, ALTERNATE-SERVER or the RFC 3489 (cookie-less) format. */
#include "stun.h"
#include "bytes.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define STUN_MAGIC_COOKIE      0x2112A442u
#define STUN_FINGERPRINT_XOR   0x5354554eu
#define STUN_ATTR_HEADER_BYTES 4
#define STUN_HMAC_BYTES        20
#define STUN_MI_ATTR_BYTES     (STUN_ATTR_HEADER_BYTES + STUN_HMAC_BYTES)
#define STUN_FP_ATTR_BYTES     (STUN_ATTR_HEADER_BYTES + 4)
#define STUN_MAX_BODY_BYTES    0xFFFCu /* largest multiple of 4 in the 16-bit length */

/* Attribute types used here (RFC 5389 section 18.2, RFC 8445 section 20.1). */
#define STUN_ATTR_MAPPED_ADDRESS     0x0001
#define STUN_ATTR_USERNAME           0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY  0x0008
#define STUN_ATTR_ERROR_CODE         0x0009
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTR_PRIORITY           0x0024
#define STUN_ATTR_USE_CANDIDATE      0x0025
#define STUN_ATTR_FINGERPRINT        0x8028
#define STUN_ATTR_ICE_CONTROLLED     0x8029
#define STUN_ATTR_ICE_CONTROLLING    0x802A

#define STUN_FAMILY_IPV4 0x01
#define STUN_FAMILY_IPV6 0x02

/* ---- byte helpers ------------------------------------------------------ */

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* ---- CRC-32 (ISO-HDLC: reflected, polynomial 0xEDB88320) -------------- */

/* A nibble-wide table: small enough to check by eye, and no runtime init.
 * Entry i is the CRC register change for the low 4 bits equal to i. */
static const uint32_t crc32_nibble[16] = {
    0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
    0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

/* Continues a CRC over more bytes; `crc` is the running register, start at
 * 0xFFFFFFFF and complement at the end. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ crc32_nibble[crc & 0x0f];
        crc = (crc >> 4) ^ crc32_nibble[crc & 0x0f];
    }
    return crc;
}

/* CRC-32 of buf[0..end) with the header length field replaced by
 * `fake_len`, xor the STUN constant: the FINGERPRINT value. */
static uint32_t stun_fingerprint(const uint8_t *buf, size_t end, uint16_t fake_len)
{
    uint8_t len_be[2];
    tsn_wr16(len_be, fake_len);
    uint32_t crc = crc32_update(0xFFFFFFFFu, buf, 2);
    crc = crc32_update(crc, len_be, 2);
    crc = crc32_update(crc, buf + 4, end - 4);
    return ~crc ^ STUN_FINGERPRINT_XOR;
}

/* ---- HMAC-SHA1 ---------------------------------------------------------- */

/* HMAC-SHA1 of buf[0..end) with the header length field replaced by
 * `fake_len`. The input stays const, so the header goes in as three pieces
 * instead of a patched copy. Returns 0 or -ENOMEM / -EIO. */
static int stun_hmac(const uint8_t *buf, size_t end, uint16_t fake_len, const void *key,
                     size_t key_len, uint8_t mac[STUN_HMAC_BYTES])
{
    static const uint8_t empty_key[1] = {0};
    char digest_name[] = "SHA1";
    uint8_t len_be[2];
    size_t mac_len = 0;
    int rc = -EIO;

    tsn_wr16(len_be, fake_len);
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!hmac)
        return -ENOMEM;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac);
    if (!ctx) {
        rc = -ENOMEM;
        goto out_mac;
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end(),
    };
    /* OpenSSL rejects a NULL key even with length 0; an empty key is legal. */
    const unsigned char *k = key_len ? key : empty_key;
    if (!EVP_MAC_init(ctx, k, key_len, params))
        goto out_ctx;
    if (!EVP_MAC_update(ctx, buf, 2) || !EVP_MAC_update(ctx, len_be, 2) ||
        !EVP_MAC_update(ctx, buf + 4, end - 4))
        goto out_ctx;
    if (!EVP_MAC_final(ctx, mac, &mac_len, STUN_HMAC_BYTES) || mac_len != STUN_HMAC_BYTES)
        goto out_ctx;
    rc = 0;
out_ctx:
    EVP_MAC_CTX_free(ctx);
out_mac:
    EVP_MAC_free(hmac);
    return rc;
}

/* ---- parsing ------------------------------------------------------------ */

int tsn_stun_is_stun(const uint8_t *buf, size_t len)
{
    return buf && len >= TSN_STUN_HEADER_BYTES && buf[0] <= 3 &&
           tsn_rd32(buf + 4) == STUN_MAGIC_COOKIE;
}

/* XOR-MAPPED-ADDRESS (RFC 5389 section 15.2): the port is xored with the top
 * half of the cookie, an IPv4 address with the cookie, an IPv6 address with
 * the cookie followed by the transaction id. */
static int parse_xor_mapped(const uint8_t *hdr, const uint8_t *v, size_t vlen,
                            struct sockaddr_storage *ss)
{
    if (vlen < 4)
        return -EBADMSG;
    uint8_t family = v[1];
    uint16_t port = tsn_rd16(v + 2) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16);

    memset(ss, 0, sizeof *ss);
    if (family == STUN_FAMILY_IPV4 && vlen == 8) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        uint8_t *a = (uint8_t *)&sin->sin_addr;
        for (int i = 0; i < 4; i++)
            a[i] = v[4 + i] ^ hdr[4 + i];
        return 0;
    }
    if (family == STUN_FAMILY_IPV6 && vlen == 20) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        /* Cookie and transaction id are contiguous at header offset 4. */
        for (int i = 0; i < 16; i++)
            sin6->sin6_addr.s6_addr[i] = v[4 + i] ^ hdr[4 + i];
        return 0;
    }
    return -EBADMSG;
}

/* ERROR-CODE (RFC 5389 section 15.6): 21 reserved bits, class 3..6 in 3
 * bits, number 0..99 in 8 bits, then a reason phrase we do not keep. */
static int parse_error_code(const uint8_t *v, size_t vlen, int *code)
{
    if (vlen < 4)
        return -EBADMSG;
    int cls = v[2] & 0x07;
    int number = v[3];
    if (cls < 3 || cls > 6 || number > 99)
        return -EBADMSG;
    *code = cls * 100 + number;
    return 0;
}

/* Interprets one attribute before MESSAGE-INTEGRITY. The first instance of
 * an attribute wins (RFC 5389 section 15); later duplicates are skipped. */
static int parse_attr(const uint8_t *buf, uint16_t type, const uint8_t *v, size_t vlen,
                      struct tsn_stun_msg *out)
{
    switch (type) {
    case STUN_ATTR_USERNAME:
        if (vlen > TSN_STUN_MAX_USERNAME)
            return -EBADMSG;
        if (!out->username) {
            out->username = v;
            out->username_len = vlen;
        }
        return 0;
    case STUN_ATTR_PRIORITY:
        if (vlen != 4)
            return -EBADMSG;
        if (!out->has_priority) {
            out->has_priority = 1;
            out->priority = tsn_rd32(v);
        }
        return 0;
    case STUN_ATTR_USE_CANDIDATE:
        if (vlen != 0)
            return -EBADMSG;
        out->use_candidate = 1;
        return 0;
    case STUN_ATTR_ICE_CONTROLLING:
    case STUN_ATTR_ICE_CONTROLLED:
        if (vlen != 8)
            return -EBADMSG;
        if (!out->ice_controlling && !out->ice_controlled)
            out->tiebreaker = ((uint64_t)tsn_rd32(v) << 32) | tsn_rd32(v + 4);
        if (type == STUN_ATTR_ICE_CONTROLLING)
            out->ice_controlling = 1;
        else
            out->ice_controlled = 1;
        return 0;
    case STUN_ATTR_ERROR_CODE:
        if (out->has_error_code)
            return 0;
        out->has_error_code = 1;
        return parse_error_code(v, vlen, &out->error_code);
    case STUN_ATTR_XOR_MAPPED_ADDRESS:
        if (out->has_xor_mapped)
            return 0;
        out->has_xor_mapped = 1;
        return parse_xor_mapped(buf, v, vlen, &out->xor_mapped);
    default:
        /* Unknown and unused attributes (SOFTWARE, MAPPED-ADDRESS, ...): an
         * ICE-lite agent has no use for them, so they are skipped. */
        return 0;
    }
}

/* Checks the fixed header: size, the two zero bits, the cookie, and a
 * length that is a multiple of 4 and matches the buffer exactly. */
static int parse_header(const uint8_t *buf, size_t len, struct tsn_stun_msg *out)
{
    if (!buf || len < TSN_STUN_HEADER_BYTES)
        return -EBADMSG;
    if (buf[0] & 0xC0)
        return -EBADMSG;
    if (tsn_rd32(buf + 4) != STUN_MAGIC_COOKIE)
        return -EBADMSG;
    uint16_t body_len = tsn_rd16(buf + 2);
    if (body_len % 4 != 0 || (size_t)body_len + TSN_STUN_HEADER_BYTES != len)
        return -EBADMSG;
    out->type = tsn_rd16(buf);
    out->length = body_len;
    memcpy(out->txid, buf + 8, sizeof out->txid);
    return 0;
}

int tsn_stun_parse(const uint8_t *buf, size_t len, struct tsn_stun_msg *out)
{
    if (!out)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    int rc = parse_header(buf, len, out);
    if (rc < 0)
        return rc;

    size_t pos = TSN_STUN_HEADER_BYTES;
    while (pos < len) {
        if (len - pos < STUN_ATTR_HEADER_BYTES)
            return -EBADMSG;
        uint16_t type = tsn_rd16(buf + pos);
        size_t vlen = tsn_rd16(buf + pos + 2);
        const uint8_t *v = buf + pos + STUN_ATTR_HEADER_BYTES;
        /* The padded value must fit: the body length is a multiple of 4 and
         * every attribute is padded, so anything else is a lie. */
        if (pad4(vlen) > len - pos - STUN_ATTR_HEADER_BYTES)
            return -EBADMSG;

        if (type == STUN_ATTR_FINGERPRINT) {
            /* FINGERPRINT must be the last attribute (section 15.5). */
            if (vlen != 4 || pos + STUN_FP_ATTR_BYTES != len)
                return -EBADMSG;
            uint32_t want = stun_fingerprint(buf, pos, (uint16_t)(len - TSN_STUN_HEADER_BYTES));
            if (tsn_rd32(v) != want)
                return -EPROTO;
            out->has_fingerprint = 1;
            return 0;
        }
        if (out->has_integrity) {
            /* Section 15.4: after MESSAGE-INTEGRITY, only FINGERPRINT counts. */
        } else if (type == STUN_ATTR_MESSAGE_INTEGRITY) {
            if (vlen != STUN_HMAC_BYTES)
                return -EBADMSG;
            out->has_integrity = 1;
            out->integrity_offset = pos;
        } else {
            rc = parse_attr(buf, type, v, vlen, out);
            if (rc < 0)
                return rc;
        }
        pos += STUN_ATTR_HEADER_BYTES + pad4(vlen);
    }
    return 0;
}

int tsn_stun_check_integrity(const uint8_t *buf, size_t len, const struct tsn_stun_msg *msg,
                             const void *key, size_t key_len)
{
    if (!buf || !msg || !msg->has_integrity)
        return -EINVAL;
    if (!key && key_len)
        return -EINVAL;
    size_t mi = msg->integrity_offset;
    /* Guard against a msg that does not describe this buffer. */
    if (mi < TSN_STUN_HEADER_BYTES || mi > len || len - mi < STUN_MI_ATTR_BYTES ||
        tsn_rd16(buf + mi) != STUN_ATTR_MESSAGE_INTEGRITY)
        return -EINVAL;

    uint8_t mac[STUN_HMAC_BYTES];
    /* The length covers the body up to and including MESSAGE-INTEGRITY. */
    uint16_t fake_len = (uint16_t)(mi + STUN_MI_ATTR_BYTES - TSN_STUN_HEADER_BYTES);
    int rc = stun_hmac(buf, mi, fake_len, key, key_len, mac);
    if (rc < 0)
        return rc;
    const uint8_t *got = buf + mi + STUN_ATTR_HEADER_BYTES;
    rc = CRYPTO_memcmp(mac, got, STUN_HMAC_BYTES) == 0 ? 0 : -EACCES;
    OPENSSL_cleanse(mac, sizeof mac);
    return rc;
}

/* ---- building ----------------------------------------------------------- */

/* A bounded writer: once anything does not fit, `overflow` sticks and every
 * later call is a no-op, so builders check once at the end. */
struct stun_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int overflow;
};

/* Keeps the header length field equal to the body written so far, which is
 * what MESSAGE-INTEGRITY and FINGERPRINT need when they are appended. */
static void writer_sync_len(struct stun_writer *w)
{
    if (!w->overflow)
        tsn_wr16(w->buf + 2, (uint16_t)(w->len - TSN_STUN_HEADER_BYTES));
}

static void writer_header(struct stun_writer *w, uint16_t type, const uint8_t txid[12])
{
    if (w->cap < TSN_STUN_HEADER_BYTES) {
        w->overflow = 1;
        return;
    }
    tsn_wr16(w->buf, type);
    tsn_wr16(w->buf + 2, 0);
    tsn_wr32(w->buf + 4, STUN_MAGIC_COOKIE);
    memcpy(w->buf + 8, txid, 12);
    w->len = TSN_STUN_HEADER_BYTES;
}

/* Appends an attribute with its value zero-padded to 4 bytes; returns a
 * pointer to the value so the caller may fill it in, or NULL on overflow. */
static uint8_t *writer_attr(struct stun_writer *w, uint16_t type, const void *value, size_t vlen)
{
    size_t total = STUN_ATTR_HEADER_BYTES + pad4(vlen);
    if (w->overflow || vlen > 0xFFFF || total > w->cap - w->len ||
        w->len + total - TSN_STUN_HEADER_BYTES > STUN_MAX_BODY_BYTES) {
        w->overflow = 1;
        return NULL;
    }
    uint8_t *p = w->buf + w->len;
    tsn_wr16(p, type);
    tsn_wr16(p + 2, (uint16_t)vlen);
    if (value && vlen)
        memcpy(p + STUN_ATTR_HEADER_BYTES, value, vlen);
    memset(p + STUN_ATTR_HEADER_BYTES + vlen, 0, pad4(vlen) - vlen);
    w->len += total;
    writer_sync_len(w);
    return p + STUN_ATTR_HEADER_BYTES;
}

static void writer_u32_attr(struct stun_writer *w, uint16_t type, uint32_t value)
{
    uint8_t v[4];
    tsn_wr32(v, value);
    writer_attr(w, type, v, sizeof v);
}

static void writer_integrity(struct stun_writer *w, const void *key, size_t key_len)
{
    size_t mi = w->len;
    uint8_t *v = writer_attr(w, STUN_ATTR_MESSAGE_INTEGRITY, NULL, STUN_HMAC_BYTES);
    if (!v)
        return;
    uint16_t body_len = (uint16_t)(w->len - TSN_STUN_HEADER_BYTES);
    if (stun_hmac(w->buf, mi, body_len, key, key_len, v) < 0)
        w->overflow = 1;
}

static void writer_fingerprint(struct stun_writer *w)
{
    size_t fp = w->len;
    uint8_t *v = writer_attr(w, STUN_ATTR_FINGERPRINT, NULL, 4);
    if (!v)
        return;
    tsn_wr32(v, stun_fingerprint(w->buf, fp, (uint16_t)(w->len - TSN_STUN_HEADER_BYTES)));
}

static size_t writer_finish(const struct stun_writer *w)
{
    return w->overflow ? 0 : w->len;
}

static void writer_xor_mapped(struct stun_writer *w, const struct sockaddr *sa)
{
    uint8_t v[20];
    size_t vlen;
    /* Cookie followed by transaction id: the xor pad for the address. */
    const uint8_t *pad = w->buf + 4;

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        const uint8_t *a = (const uint8_t *)&sin->sin_addr;
        v[1] = STUN_FAMILY_IPV4;
        tsn_wr16(v + 2, ntohs(sin->sin_port) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
        for (int i = 0; i < 4; i++)
            v[4 + i] = a[i] ^ pad[i];
        vlen = 8;
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        v[1] = STUN_FAMILY_IPV6;
        tsn_wr16(v + 2, ntohs(sin6->sin6_port) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
        for (int i = 0; i < 16; i++)
            v[4 + i] = sin6->sin6_addr.s6_addr[i] ^ pad[i];
        vlen = 20;
    } else {
        w->overflow = 1;
        return;
    }
    v[0] = 0;
    writer_attr(w, STUN_ATTR_XOR_MAPPED_ADDRESS, v, vlen);
}

size_t tsn_stun_build_success(uint8_t *out, size_t cap, const uint8_t txid[12],
                              const struct sockaddr *mapped, const void *key, size_t key_len)
{
    if (!out || !txid || !mapped || !key)
        return 0;
    struct stun_writer w = {.buf = out, .cap = cap};
    writer_header(&w, TSN_STUN_BINDING_SUCCESS, txid);
    if (w.overflow)
        return 0;
    writer_xor_mapped(&w, mapped);
    writer_integrity(&w, key, key_len);
    writer_fingerprint(&w);
    return writer_finish(&w);
}

/* Reason phrases from RFC 5389 section 15.6 and RFC 8445 section 7.3.1.1. */
static const char *error_reason(int code)
{
    switch (code) {
    case 300:
        return "Try Alternate";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 420:
        return "Unknown Attribute";
    case 438:
        return "Stale Nonce";
    case 487:
        return "Role Conflict";
    case 500:
        return "Server Error";
    default:
        return "Error";
    }
}

size_t tsn_stun_build_error(uint8_t *out, size_t cap, const uint8_t txid[12], int code,
                            const void *key, size_t key_len)
{
    if (!out || !txid || code < 300 || code > 699)
        return 0;
    const char *reason = error_reason(code);
    size_t reason_len = strlen(reason);
    uint8_t v[4 + 32];

    memset(v, 0, 2);
    v[2] = (uint8_t)(code / 100);
    v[3] = (uint8_t)(code % 100);
    memcpy(v + 4, reason, reason_len);

    struct stun_writer w = {.buf = out, .cap = cap};
    writer_header(&w, TSN_STUN_BINDING_ERROR, txid);
    writer_attr(&w, STUN_ATTR_ERROR_CODE, v, 4 + reason_len);
    if (key)
        writer_integrity(&w, key, key_len);
    writer_fingerprint(&w);
    return writer_finish(&w);
}

size_t tsn_stun_build_request(uint8_t *out, size_t cap, const uint8_t txid[12],
                              const char *username, uint32_t priority, uint64_t tiebreaker,
                              int use_candidate, const void *key, size_t key_len)
{
    if (!out || !txid || !username || !key)
        return 0;
    size_t username_len = strlen(username);
    if (username_len > TSN_STUN_MAX_USERNAME)
        return 0;
    uint8_t tb[8];
    tsn_wr32(tb, (uint32_t)(tiebreaker >> 32));
    tsn_wr32(tb + 4, (uint32_t)tiebreaker);

    struct stun_writer w = {.buf = out, .cap = cap};
    writer_header(&w, TSN_STUN_BINDING_REQUEST, txid);
    writer_attr(&w, STUN_ATTR_USERNAME, username, username_len);
    writer_u32_attr(&w, STUN_ATTR_PRIORITY, priority);
    writer_attr(&w, STUN_ATTR_ICE_CONTROLLING, tb, sizeof tb);
    if (use_candidate)
        writer_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
    writer_integrity(&w, key, key_len);
    writer_fingerprint(&w);
    return writer_finish(&w);
}
