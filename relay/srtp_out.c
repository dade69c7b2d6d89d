/* Outbound SRTP RTP transform on OpenSSL (see srtp_out.h for the contract).
 *
 * The key derivation, HMAC-SHA1-80 over precomputed states (and why it is
 * not EVP_MAC), the header length, the index estimate and the IVs are in
 * srtp_crypto.c, shared with srtp_in.c. This file keeps the per-SSRC
 * rollover state and the cipher context.
 *
 * AES-CTR and AES-GCM stay on EVP: re-setting only the IV on a keyed
 * EVP_CIPHER_CTX allocates nothing and takes no lock (measured). */
#include "srtp_out.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "bytes.h"
#include "log.h"
#include "srtp_crypto.h"

#define OUT_KEY_BYTES      TSN_SRTP_CRYPTO_KEY_BYTES
#define OUT_CM_SALT_BYTES  TSN_SRTP_CRYPTO_CM_SALT_BYTES
#define OUT_GCM_SALT_BYTES TSN_SRTP_CRYPTO_GCM_SALT_BYTES
#define OUT_CM_TAG_BYTES   TSN_SRTP_CRYPTO_CM_TAG_BYTES
#define OUT_GCM_TAG_BYTES  TSN_SRTP_CRYPTO_GCM_TAG_BYTES
#define OUT_RTP_HDR_BYTES  TSN_SRTP_CRYPTO_RTP_HDR_BYTES

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
    /* AES-CM only: HMAC-SHA1 states keyed with the session auth key. Key
     * material: wiped in _free. */
    struct tsn_srtp_crypto_hmac hmac;
    uint8_t salt[OUT_CM_SALT_BYTES]; /* session salt: 14 bytes, or 12 for GCM */
    size_t n_ssrcs;
    struct out_ssrc ssrcs[TSN_SRTP_OUT_MAX_SSRCS];
};

/* --- construction ---------------------------------------------------------- */

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
    if (!o->gcm && tsn_srtp_crypto_hmac_init(&o->hmac, keys.auth_key) != 0)
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

/* RFC 3711 4.1.1 + 4.2: AES-CM over the payload, then the HMAC tag. */
static int protect_cm(struct tsn_srtp_out *o, uint8_t *buf, size_t len, size_t hdr_bytes,
                      uint64_t index)
{
    uint8_t iv[TSN_SRTP_CRYPTO_CM_IV_BYTES];
    int n;
    tsn_srtp_crypto_cm_iv(o->salt, buf, index, iv);
    if (EVP_EncryptInit_ex(o->cipher, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(o->cipher, buf + hdr_bytes, &n, buf + hdr_bytes,
                          (int)(len - hdr_bytes)) != 1)
        return -EIO;
    tsn_srtp_crypto_hmac_tag80(&o->hmac, buf, len, (uint32_t)(index >> 16), buf + len);
    return 0;
}

/* RFC 7714 8: AES-GCM with the header as AAD; the tag is appended. */
static int protect_gcm(struct tsn_srtp_out *o, uint8_t *buf, size_t len, size_t hdr_bytes,
                       uint64_t index)
{
    uint8_t iv[TSN_SRTP_CRYPTO_GCM_IV_BYTES];
    int n;
    tsn_srtp_crypto_gcm_iv(o->salt, buf, index, iv);
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
    if (tsn_srtp_crypto_rtp_header_bytes(buf, *len, &hdr_bytes) != 0)
        return -EINVAL;
    /* EVP takes int lengths; the tag goes right after the packet. */
    if (*len > INT_MAX - o->tag_bytes || cap < *len + o->tag_bytes)
        return -ENOSPC;
    struct out_ssrc *st = ssrc_state(o, tsn_rd32(buf + 8));
    if (!st)
        return TSN_SRTP_OUT_DECLINED;
    /* The same estimate as srtp_in's, from the newest index protected: it
     * is libsrtp's choice of ROC for a packet sent again after a wrap. */
    uint64_t index = tsn_srtp_crypto_estimate_index(st->highest_index, tsn_rd16(buf + 2), NULL);
    int rc = o->gcm ? protect_gcm(o, buf, *len, hdr_bytes, index)
                    : protect_cm(o, buf, *len, hdr_bytes, index);
    if (rc != 0)
        return rc;
    if (index > st->highest_index)
        st->highest_index = index;
    *len += o->tag_bytes;
    return 0;
}
