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
    struct tsn_srtp_crypto_transform t; /* keys and cipher contexts */
    size_t n_ssrcs;
    struct out_ssrc ssrcs[TSN_SRTP_OUT_MAX_SSRCS];
};

/* --- construction ---------------------------------------------------------- */

/* Derives the session keys and keys o->t.cipher and the HMAC states. */
struct tsn_srtp_out *tsn_srtp_out_new(enum tsn_srtp_profile profile, const uint8_t *master_key,
                                      size_t key_len, const uint8_t *master_salt, size_t salt_len)
{
    struct tsn_srtp_out *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    int rc = tsn_srtp_crypto_transform_init(&o->t, profile, master_key, key_len, master_salt,
                                            salt_len, 1);
    if (rc != 0) {
        if (rc == -EIO)
            tsn_err("srtp_out: OpenSSL key setup failed");
        tsn_srtp_out_free(o);
        return NULL;
    }
    return o;
}

void tsn_srtp_out_free(struct tsn_srtp_out *o)
{
    if (!o)
        return;
    tsn_srtp_crypto_transform_clear(&o->t);
    OPENSSL_cleanse(o, sizeof *o);
    free(o);
}

size_t tsn_srtp_out_tag_bytes(const struct tsn_srtp_out *o)
{
    return o ? o->t.tag_bytes : 0;
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
    tsn_srtp_crypto_cm_iv(o->t.salt, buf, index, iv);
    if (EVP_EncryptInit_ex(o->t.cipher, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(o->t.cipher, buf + hdr_bytes, &n, buf + hdr_bytes,
                          (int)(len - hdr_bytes)) != 1)
        return -EIO;
    tsn_srtp_crypto_hmac_tag80(&o->t.hmac, buf, len, (uint32_t)(index >> 16), buf + len);
    return 0;
}

/* RFC 7714 8: AES-GCM with the header as AAD; the tag is appended. */
static int protect_gcm(struct tsn_srtp_out *o, uint8_t *buf, size_t len, size_t hdr_bytes,
                       uint64_t index)
{
    uint8_t iv[TSN_SRTP_CRYPTO_GCM_IV_BYTES];
    int n;
    tsn_srtp_crypto_gcm_iv(o->t.salt, buf, index, iv);
    if (EVP_EncryptInit_ex(o->t.cipher, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(o->t.cipher, NULL, &n, buf, (int)hdr_bytes) != 1 ||
        EVP_EncryptUpdate(o->t.cipher, buf + hdr_bytes, &n, buf + hdr_bytes,
                          (int)(len - hdr_bytes)) != 1 ||
        EVP_EncryptFinal_ex(o->t.cipher, buf + len, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(o->t.cipher, EVP_CTRL_AEAD_GET_TAG, OUT_GCM_TAG_BYTES, buf + len) != 1)
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
    if (*len > INT_MAX - o->t.tag_bytes || cap < *len + o->t.tag_bytes)
        return -ENOSPC;
    struct out_ssrc *st = ssrc_state(o, tsn_rd32(buf + 8));
    if (!st)
        return TSN_SRTP_OUT_DECLINED;
    /* The same estimate as srtp_in's, from the newest index protected: it
     * is libsrtp's choice of ROC for a packet sent again after a wrap. */
    uint64_t index = tsn_srtp_crypto_estimate_index(st->highest_index, tsn_rd16(buf + 2), NULL);
    int rc = o->t.gcm ? protect_gcm(o, buf, *len, hdr_bytes, index)
                    : protect_cm(o, buf, *len, hdr_bytes, index);
    if (rc != 0)
        return rc;
    if (index > st->highest_index)
        st->highest_index = index;
    *len += o->t.tag_bytes;
    return 0;
}
