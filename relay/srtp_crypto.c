/* Shared SRTP primitives on OpenSSL (see srtp_crypto.h for the contract).
 *
 * Why not EVP_MAC for HMAC-SHA1: on OpenSSL 3.0 every EVP_MAC_init (even
 * with the key kept), EVP_MD_CTX_copy_ex and EVP_DigestInit_ex allocates a
 * fresh provider digest context (measured: 2 allocations per HMAC, 1 per
 * digest copy). The low-level SHA1_* calls work on a plain SHA_CTX that can
 * be copied by value, so HMAC here is RFC 2104 with the inner and outer
 * states computed once from the auth key: per packet, two struct copies and
 * no allocation. Those calls are deprecated in 3.0 but present in every 3.x;
 * the warnings are silenced for the two functions that use them only. */
#include "srtp_crypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "bytes.h"

#define SHA1_BLOCK_BYTES 64
#define AES_BLOCK_BYTES  16
#define SEQ_HALF         0x8000
#define INDEX_MASK       0xffffffffffffULL /* 48-bit packet index */

/* RFC 3711 4.3.1 key derivation labels (RTP only). */
enum { LABEL_RTP_CIPHER = 0x00, LABEL_RTP_AUTH = 0x01, LABEL_RTP_SALT = 0x02 };

/* --- key derivation -------------------------------------------------------- */

/* RFC 3711 4.3.3 with kdr 0: keystream of AES-128-CTR under the master key
 * from IV = x || 00 00, where x is the 14-byte master salt (a 12-byte GCM
 * salt padded with zeros, as libsrtp pads it) with byte 7 XOR label. `kdf`
 * is keyed with the master key. */
static int kdf_generate(EVP_CIPHER_CTX *kdf, const uint8_t *x, uint8_t label, uint8_t *out,
                        size_t out_bytes)
{
    uint8_t iv[AES_BLOCK_BYTES] = {0};
    int n;
    memcpy(iv, x, TSN_SRTP_CRYPTO_CM_SALT_BYTES);
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
        key_len != TSN_SRTP_CRYPTO_KEY_BYTES ||
        salt_len != (gcm ? TSN_SRTP_CRYPTO_GCM_SALT_BYTES : TSN_SRTP_CRYPTO_CM_SALT_BYTES))
        return -EINVAL;
    EVP_CIPHER *ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
    EVP_CIPHER_CTX *kdf = EVP_CIPHER_CTX_new();
    uint8_t x[TSN_SRTP_CRYPTO_CM_SALT_BYTES] = {0};
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

/* --- HMAC-SHA1 over precomputed states ------------------------------------ */

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

int tsn_srtp_crypto_hmac_init(struct tsn_srtp_crypto_hmac *h,
                              const uint8_t key[TSN_SRTP_CRYPTO_AUTH_KEY_BYTES])
{
    uint8_t ipad[SHA1_BLOCK_BYTES], opad[SHA1_BLOCK_BYTES];
    memset(ipad, 0x36, sizeof ipad);
    memset(opad, 0x5c, sizeof opad);
    for (size_t i = 0; i < TSN_SRTP_CRYPTO_AUTH_KEY_BYTES; i++) {
        ipad[i] ^= key[i];
        opad[i] ^= key[i];
    }
    int ok = SHA1_Init(&h->inner) == 1 && SHA1_Update(&h->inner, ipad, sizeof ipad) == 1 &&
             SHA1_Init(&h->outer) == 1 && SHA1_Update(&h->outer, opad, sizeof opad) == 1;
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
    return ok ? 0 : -EIO;
}

void tsn_srtp_crypto_hmac_tag80(const struct tsn_srtp_crypto_hmac *h, const uint8_t *pkt,
                                size_t len, uint32_t roc, uint8_t tag[TSN_SRTP_CRYPTO_CM_TAG_BYTES])
{
    uint8_t digest[SHA_DIGEST_LENGTH], roc_be[4];
    SHA_CTX c = h->inner;
    tsn_wr32(roc_be, roc);
    SHA1_Update(&c, pkt, len);
    SHA1_Update(&c, roc_be, sizeof roc_be);
    SHA1_Final(digest, &c);
    c = h->outer;
    SHA1_Update(&c, digest, sizeof digest);
    SHA1_Final(digest, &c);
    memcpy(tag, digest, TSN_SRTP_CRYPTO_CM_TAG_BYTES);
    OPENSSL_cleanse(&c, sizeof c);
}

#pragma GCC diagnostic pop

/* --- RTP header, index, IVs ------------------------------------------------ */

int tsn_srtp_crypto_rtp_header_bytes(const uint8_t *buf, size_t len, size_t *out)
{
    if (len < TSN_SRTP_CRYPTO_RTP_HDR_BYTES)
        return -EBADMSG;
    size_t n = TSN_SRTP_CRYPTO_RTP_HDR_BYTES + 4 * (size_t)(buf[0] & 0x0f);
    if (buf[0] & 0x10) {
        if (n + 4 > len)
            return -EBADMSG;
        n += 4 + 4 * (size_t)tsn_rd16(buf + n + 2);
    }
    if (n > len)
        return -EBADMSG;
    *out = n;
    return 0;
}

uint64_t tsn_srtp_crypto_estimate_index(uint64_t highest, uint16_t seq, int64_t *delta)
{
    uint64_t index = seq;
    if (highest > SEQ_HALF) {
        uint32_t roc = (uint32_t)(highest >> 16);
        int s_l = (int)(highest & 0xffff), s = seq;
        uint32_t v = roc;
        if (s_l < SEQ_HALF) {
            if (s - s_l > SEQ_HALF)
                v = roc - 1; /* belongs before the last wrap; roc >= 1 here */
        } else if (s_l - SEQ_HALF > s) {
            v = roc + 1; /* wrapped */
        }
        index = (((uint64_t)v << 16) | (uint64_t)s) & INDEX_MASK;
    }
    if (delta)
        *delta = (int64_t)index - (int64_t)highest;
    return index;
}

void tsn_srtp_crypto_cm_iv(const uint8_t *salt, const uint8_t *rtp, uint64_t index,
                           uint8_t iv[TSN_SRTP_CRYPTO_CM_IV_BYTES])
{
    memcpy(iv, salt, TSN_SRTP_CRYPTO_CM_SALT_BYTES);
    iv[14] = iv[15] = 0;
    for (int i = 0; i < 4; i++)
        iv[4 + i] ^= rtp[8 + i]; /* SSRC, already big-endian in the header */
    for (int i = 0; i < 6; i++)
        iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

void tsn_srtp_crypto_gcm_iv(const uint8_t *salt, const uint8_t *rtp, uint64_t index,
                            uint8_t iv[TSN_SRTP_CRYPTO_GCM_IV_BYTES])
{
    iv[0] = iv[1] = 0;
    memcpy(iv + 2, rtp + 8, 4);
    for (int i = 0; i < 6; i++)
        iv[6 + i] = (uint8_t)(index >> (40 - 8 * i)); /* ROC || SEQ */
    for (int i = 0; i < TSN_SRTP_CRYPTO_GCM_IV_BYTES; i++)
        iv[i] ^= salt[i];
}

int tsn_srtp_crypto_transform_init(struct tsn_srtp_crypto_transform *t,
                                   enum tsn_srtp_profile profile, const uint8_t *master_key,
                                   size_t key_len, const uint8_t *master_salt, size_t salt_len,
                                   int encrypt)
{
    int gcm = profile == TSN_SRTP_AEAD_AES_128_GCM;
    memset(t, 0, sizeof *t);
    if ((profile != TSN_SRTP_AES128_CM_SHA1_80 && !gcm) || !master_key || !master_salt ||
        key_len != TSN_SRTP_CRYPTO_KEY_BYTES ||
        salt_len != (gcm ? TSN_SRTP_CRYPTO_GCM_SALT_BYTES : TSN_SRTP_CRYPTO_CM_SALT_BYTES))
        return -EINVAL;
    t->gcm = gcm;
    t->tag_bytes = gcm ? TSN_SRTP_CRYPTO_GCM_TAG_BYTES : TSN_SRTP_CRYPTO_CM_TAG_BYTES;
    t->cipher = EVP_CIPHER_CTX_new();
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, gcm ? "AES-128-GCM" : "AES-128-CTR", NULL);
    struct tsn_srtp_session_keys keys;
    int rc = -EIO;
    memset(&keys, 0, sizeof keys);
    if (!t->cipher || !cipher ||
        tsn_srtp_kdf(profile, master_key, key_len, master_salt, salt_len, &keys) != 0)
        goto out;
    memcpy(t->salt, keys.salt, sizeof t->salt);
    if (!gcm && tsn_srtp_crypto_hmac_init(&t->hmac, keys.auth_key) != 0)
        goto out;
    /* The context keeps its own expanded key; the IV comes with each packet.
     * GCM's default IV length is the 12 bytes SRTP uses. */
    if ((encrypt ? EVP_EncryptInit_ex(t->cipher, cipher, NULL, keys.cipher_key, NULL)
                 : EVP_DecryptInit_ex(t->cipher, cipher, NULL, keys.cipher_key, NULL)) != 1)
        goto out;
    rc = 0;
out:
    OPENSSL_cleanse(&keys, sizeof keys);
    EVP_CIPHER_free(cipher);
    return rc;
}

void tsn_srtp_crypto_transform_clear(struct tsn_srtp_crypto_transform *t)
{
    EVP_CIPHER_CTX_free(t->cipher);
    OPENSSL_cleanse(t, sizeof *t);
}
