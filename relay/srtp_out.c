/* Outbound SRTP RTP transform on OpenSSL (see srtp_out.h for the contract).
 *
 * Why not EVP_MAC for HMAC-SHA1: on OpenSSL 3.0 every EVP_MAC_init (even
 * with the key kept), EVP_MD_CTX_copy_ex and EVP_DigestInit_ex allocates a
 * fresh provider digest context (measured: 2 allocations per HMAC, 1 per
 * digest copy). The low-level SHA1_* calls work on a plain SHA_CTX that can
 * be copied by value, so HMAC here is RFC 2104 with the inner and outer
 * states computed once from the auth key: per packet, two struct copies and
 * no allocation. Those calls are deprecated in 3.0 but present in every 3.x;
 * the warnings are silenced for the two functions that use them only.
 *
 * AES-CTR and AES-GCM stay on EVP: re-setting only the IV on a keyed
 * EVP_CIPHER_CTX allocates nothing and takes no lock (also measured). */
#include "srtp_out.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "bytes.h"
#include "log.h"

#define OUT_KEY_BYTES      16
#define OUT_CM_SALT_BYTES  14
#define OUT_GCM_SALT_BYTES 12
#define OUT_AUTH_KEY_BYTES 20 /* HMAC-SHA1 key, RFC 3711 4.2.1 */
#define OUT_CM_TAG_BYTES   10 /* HMAC-SHA1 truncated to 80 bits */
#define OUT_GCM_TAG_BYTES  16
#define OUT_RTP_HDR_BYTES  12
#define OUT_SHA1_BLOCK     64
#define OUT_AES_BLOCK      16
#define OUT_SEQ_HALF       0x8000
#define OUT_INDEX_MASK     0xffffffffffffULL /* 48-bit packet index */

/* RFC 3711 4.3.1 key derivation labels (RTP only). */
enum { LABEL_RTP_CIPHER = 0x00, LABEL_RTP_AUTH = 0x01, LABEL_RTP_SALT = 0x02 };

struct out_ssrc {
    uint32_t ssrc;
    /* ROC << 16 | SEQ of the newest packet protected so far. Starts at 0
     * like libsrtp's replay database, which the estimate depends on. */
    uint64_t highest_index;
};

struct tsn_srtp_out {
    int gcm;
    size_t tag_bytes;
    /* Owned; AES-128-CTR (AES-CM profile) or AES-128-GCM, keyed with the
     * session cipher key in _new. Only the IV changes per packet. */
    EVP_CIPHER_CTX *cipher;
    /* AES-CM only: SHA-1 states after one block of auth_key ^ ipad and
     * auth_key ^ opad (RFC 2104). Key material: wiped in _free. */
    SHA_CTX hmac_inner, hmac_outer;
    uint8_t salt[OUT_CM_SALT_BYTES]; /* session salt: 14 bytes, or 12 for GCM */
    size_t n_ssrcs;
    struct out_ssrc ssrcs[TSN_SRTP_OUT_MAX_SSRCS];
};

/* --- HMAC-SHA1 over precomputed states ------------------------------------ */

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static int hmac_prepare(struct tsn_srtp_out *o, const uint8_t *auth_key)
{
    uint8_t ipad[OUT_SHA1_BLOCK], opad[OUT_SHA1_BLOCK];
    memset(ipad, 0x36, sizeof ipad);
    memset(opad, 0x5c, sizeof opad);
    for (size_t i = 0; i < OUT_AUTH_KEY_BYTES; i++) {
        ipad[i] ^= auth_key[i];
        opad[i] ^= auth_key[i];
    }
    int ok = SHA1_Init(&o->hmac_inner) == 1 &&
             SHA1_Update(&o->hmac_inner, ipad, sizeof ipad) == 1 &&
             SHA1_Init(&o->hmac_outer) == 1 && SHA1_Update(&o->hmac_outer, opad, sizeof opad) == 1;
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
    return ok ? 0 : -EIO;
}

/* RFC 3711 4.2: HMAC-SHA1(auth_key, packet || ROC), first 10 bytes. */
static void hmac_sha1_80(const struct tsn_srtp_out *o, const uint8_t *pkt, size_t len,
                         const uint8_t roc_be[4], uint8_t *tag)
{
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA_CTX c = o->hmac_inner;
    SHA1_Update(&c, pkt, len);
    SHA1_Update(&c, roc_be, 4);
    SHA1_Final(digest, &c);
    c = o->hmac_outer;
    SHA1_Update(&c, digest, sizeof digest);
    SHA1_Final(digest, &c);
    memcpy(tag, digest, OUT_CM_TAG_BYTES);
    OPENSSL_cleanse(&c, sizeof c);
}

#pragma GCC diagnostic pop

/* --- key derivation -------------------------------------------------------- */

/* RFC 3711 4.3.3 with kdr 0: keystream of AES-128-CTR under the master key
 * from IV = x || 00 00, where x is the 14-byte master salt (a 12-byte GCM
 * salt padded with zeros, as libsrtp pads it) with byte 7 XOR label. `kdf`
 * is keyed with the master key. */
static int kdf_generate(EVP_CIPHER_CTX *kdf, const uint8_t *x, uint8_t label, uint8_t *out,
                        size_t out_bytes)
{
    uint8_t iv[OUT_AES_BLOCK] = {0};
    int n;
    memcpy(iv, x, OUT_CM_SALT_BYTES);
    iv[7] ^= label;
    memset(out, 0, out_bytes);
    if (EVP_EncryptInit_ex(kdf, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(kdf, out, &n, out, (int)out_bytes) != 1)
        return -EIO;
    return 0;
}

int tsn_srtp_kdf(enum tsn_srtp_profile profile, const uint8_t *master_key, size_t key_len,
                 const uint8_t *master_salt, size_t salt_len, struct tsn_srtp_session_keys *out)
{
    int gcm = profile == TSN_SRTP_AEAD_AES_128_GCM;
    if (!out)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    if ((profile != TSN_SRTP_AES128_CM_SHA1_80 && !gcm) || !master_key || !master_salt ||
        key_len != OUT_KEY_BYTES || salt_len != (gcm ? OUT_GCM_SALT_BYTES : OUT_CM_SALT_BYTES))
        return -EINVAL;
    EVP_CIPHER *ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
    EVP_CIPHER_CTX *kdf = EVP_CIPHER_CTX_new();
    uint8_t x[OUT_CM_SALT_BYTES] = {0};
    int rc = -EIO;

    memcpy(x, master_salt, salt_len);
    if (!ctr || !kdf || EVP_EncryptInit_ex(kdf, ctr, NULL, master_key, NULL) != 1)
        goto out;
    if (kdf_generate(kdf, x, LABEL_RTP_CIPHER, out->cipher_key, sizeof out->cipher_key) != 0 ||
        kdf_generate(kdf, x, LABEL_RTP_SALT, out->salt, salt_len) != 0)
        goto out;
    if (!gcm && kdf_generate(kdf, x, LABEL_RTP_AUTH, out->auth_key, sizeof out->auth_key) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        OPENSSL_cleanse(out, sizeof *out);
    OPENSSL_cleanse(x, sizeof x);
    EVP_CIPHER_CTX_free(kdf);
    EVP_CIPHER_free(ctr);
    return rc;
}

/* Derives the session keys and keys o->cipher and the HMAC states. */
static int derive_and_key(struct tsn_srtp_out *o, const uint8_t *master_key,
                          const uint8_t *master_salt, size_t salt_len)
{
    enum tsn_srtp_profile profile = o->gcm ? TSN_SRTP_AEAD_AES_128_GCM : TSN_SRTP_AES128_CM_SHA1_80;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, o->gcm ? "AES-128-GCM" : "AES-128-CTR", NULL);
    struct tsn_srtp_session_keys keys;
    int rc = -EIO;

    if (!cipher ||
        tsn_srtp_kdf(profile, master_key, OUT_KEY_BYTES, master_salt, salt_len, &keys) != 0)
        goto out;
    memcpy(o->salt, keys.salt, sizeof o->salt);
    if (!o->gcm && hmac_prepare(o, keys.auth_key) != 0)
        goto out;
    /* The cipher context keeps its own copy of the expanded key; the IV
     * comes with each packet. GCM's default IV length is the 12 we use. */
    if (EVP_EncryptInit_ex(o->cipher, cipher, NULL, keys.cipher_key, NULL) != 1)
        goto out;
    rc = 0;
out:
    OPENSSL_cleanse(&keys, sizeof keys);
    EVP_CIPHER_free(cipher);
    return rc;
}

struct tsn_srtp_out *tsn_srtp_out_new(enum tsn_srtp_profile profile, const uint8_t *master_key,
                                      size_t key_len, const uint8_t *master_salt, size_t salt_len)
{
    int gcm = profile == TSN_SRTP_AEAD_AES_128_GCM;
    if (profile != TSN_SRTP_AES128_CM_SHA1_80 && !gcm)
        return NULL;
    if (!master_key || !master_salt || key_len != OUT_KEY_BYTES ||
        salt_len != (gcm ? OUT_GCM_SALT_BYTES : OUT_CM_SALT_BYTES))
        return NULL;
    struct tsn_srtp_out *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->gcm = gcm;
    o->tag_bytes = gcm ? OUT_GCM_TAG_BYTES : OUT_CM_TAG_BYTES;
    o->cipher = EVP_CIPHER_CTX_new();
    if (!o->cipher || derive_and_key(o, master_key, master_salt, salt_len) != 0) {
        tsn_err("srtp_out: OpenSSL key setup failed (%s)",
                gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80");
        tsn_srtp_out_free(o);
        return NULL;
    }
    return o;
}

void tsn_srtp_out_free(struct tsn_srtp_out *o)
{
    if (!o)
        return;
    EVP_CIPHER_CTX_free(o->cipher);
    OPENSSL_cleanse(o, sizeof *o);
    free(o);
}

size_t tsn_srtp_out_tag_bytes(const struct tsn_srtp_out *o)
{
    return o ? o->tag_bytes : 0;
}

/* --- per packet -------------------------------------------------------------- */

/* Fixed header + CSRCs + extension block, or -EINVAL if that runs past
 * `len` (which is at least 12). */
static int rtp_header_bytes(const uint8_t *buf, size_t len, size_t *out)
{
    size_t n = OUT_RTP_HDR_BYTES + 4 * (size_t)(buf[0] & 0x0f);
    if (buf[0] & 0x10) {
        if (n + 4 > len)
            return -EINVAL;
        n += 4 + 4 * (size_t)tsn_rd16(buf + n + 2);
    }
    if (n > len)
        return -EINVAL;
    *out = n;
    return 0;
}

/* The SSRC's state; a new slot if there is room; NULL when all are taken. */
static struct out_ssrc *ssrc_state(struct tsn_srtp_out *o, uint32_t ssrc)
{
    for (size_t i = 0; i < o->n_ssrcs; i++)
        if (o->ssrcs[i].ssrc == ssrc)
            return &o->ssrcs[i];
    if (o->n_ssrcs == TSN_SRTP_OUT_MAX_SSRCS)
        return NULL;
    struct out_ssrc *st = &o->ssrcs[o->n_ssrcs++];
    st->ssrc = ssrc;
    st->highest_index = 0;
    return st;
}

/* RFC 3711 Appendix A: the index nearest the newest one sent. As libsrtp
 * does (and its receivers expect), the ROC stays 0 while the newest index is
 * at most 2^15, so an early out-of-order packet never guesses ROC -1. */
static uint64_t estimate_index(uint64_t highest, uint16_t seq)
{
    if (highest <= OUT_SEQ_HALF)
        return seq;
    uint32_t roc = (uint32_t)(highest >> 16);
    int s_l = (int)(highest & 0xffff), s = seq;
    uint32_t v = roc;
    if (s_l < OUT_SEQ_HALF) {
        if (s - s_l > OUT_SEQ_HALF)
            v = roc - 1; /* belongs before the last wrap; roc >= 1 here */
    } else if (s_l - OUT_SEQ_HALF > s) {
        v = roc + 1; /* wrapped */
    }
    return (((uint64_t)v << 16) | (uint64_t)s) & OUT_INDEX_MASK;
}

/* RFC 3711 4.1.1 + 4.2: AES-CM over the payload, then the HMAC tag. */
static int protect_cm(struct tsn_srtp_out *o, uint8_t *buf, size_t len, size_t hdr_bytes,
                      uint64_t index)
{
    uint8_t iv[OUT_AES_BLOCK], roc_be[4];
    int n;
    memcpy(iv, o->salt, OUT_CM_SALT_BYTES);
    iv[14] = iv[15] = 0;
    for (int i = 0; i < 4; i++)
        iv[4 + i] ^= buf[8 + i]; /* SSRC, already big-endian in the header */
    for (int i = 0; i < 6; i++)
        iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
    if (EVP_EncryptInit_ex(o->cipher, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(o->cipher, buf + hdr_bytes, &n, buf + hdr_bytes,
                          (int)(len - hdr_bytes)) != 1)
        return -EIO;
    tsn_wr32(roc_be, (uint32_t)(index >> 16));
    hmac_sha1_80(o, buf, len, roc_be, buf + len);
    return 0;
}

/* RFC 7714 8: IV = (00 00 || SSRC || ROC || SEQ) XOR salt, AAD = header. */
static int protect_gcm(struct tsn_srtp_out *o, uint8_t *buf, size_t len, size_t hdr_bytes,
                       uint64_t index)
{
    uint8_t iv[OUT_GCM_SALT_BYTES];
    int n;
    iv[0] = iv[1] = 0;
    memcpy(iv + 2, buf + 8, 4);
    for (int i = 0; i < 6; i++)
        iv[6 + i] = (uint8_t)(index >> (40 - 8 * i)); /* ROC || SEQ */
    for (int i = 0; i < OUT_GCM_SALT_BYTES; i++)
        iv[i] ^= o->salt[i];
    if (EVP_EncryptInit_ex(o->cipher, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(o->cipher, NULL, &n, buf, (int)hdr_bytes) != 1 ||
        EVP_EncryptUpdate(o->cipher, buf + hdr_bytes, &n, buf + hdr_bytes,
                          (int)(len - hdr_bytes)) != 1 ||
        EVP_EncryptFinal_ex(o->cipher, buf + len, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(o->cipher, EVP_CTRL_AEAD_GET_TAG, OUT_GCM_TAG_BYTES, buf + len) != 1)
        return -EIO;
    return 0;
}

int tsn_srtp_out_protect(struct tsn_srtp_out *o, uint8_t *buf, size_t *len, size_t cap)
{
    size_t hdr_bytes;
    if (!o || !buf || !len || *len < OUT_RTP_HDR_BYTES || (buf[0] >> 6) != 2)
        return -EINVAL;
    if (rtp_header_bytes(buf, *len, &hdr_bytes) != 0)
        return -EINVAL;
    /* EVP takes int lengths; the tag goes right after the packet. */
    if (*len > INT_MAX - o->tag_bytes || cap < *len + o->tag_bytes)
        return -ENOSPC;
    struct out_ssrc *st = ssrc_state(o, tsn_rd32(buf + 8));
    if (!st)
        return TSN_SRTP_OUT_DECLINED;
    uint64_t index = estimate_index(st->highest_index, tsn_rd16(buf + 2));
    int rc = o->gcm ? protect_gcm(o, buf, *len, hdr_bytes, index)
                    : protect_cm(o, buf, *len, hdr_bytes, index);
    if (rc != 0)
        return rc;
    if (index > st->highest_index)
        st->highest_index = index;
    *len += o->tag_bytes;
    return 0;
}
