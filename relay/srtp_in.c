/* Inbound SRTP RTP transform on OpenSSL (see srtp_in.h for the contract).
 *
 * HMAC-SHA1 runs on the low-level SHA1_* calls over inner and outer states
 * computed once from the auth key, as in srtp_out.c and for the same reason:
 * on OpenSSL 3.0 EVP_MAC_init and EVP_MD_CTX_copy_ex allocate per call.
 * AES-CTR and AES-GCM stay on EVP: re-setting only the IV on a keyed
 * EVP_CIPHER_CTX allocates nothing and takes no lock.
 *
 * libsrtp's order of checks is kept so both paths give the same answer for
 * the same packet: header shape against the whole packet, replay window,
 * room for the tag, tag, decrypt, then the replay window learns the index.
 * For GCM, OpenSSL can only check the tag at EVP_DecryptFinal_ex, after the
 * payload was decrypted in place; when the check fails the keystream is
 * applied once more, which puts the ciphertext back. */
#include "srtp_in.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "bytes.h"
#include "log.h"
#include "srtp_out.h"

#define IN_KEY_BYTES       16
#define IN_CM_SALT_BYTES   14
#define IN_GCM_SALT_BYTES  12
#define IN_AUTH_KEY_BYTES  20 /* HMAC-SHA1 key, RFC 3711 4.2.1 */
#define IN_CM_TAG_BYTES    10 /* HMAC-SHA1 truncated to 80 bits */
#define IN_GCM_TAG_BYTES   16
#define IN_RTP_HDR_BYTES   12
#define IN_SHA1_BLOCK      64
#define IN_AES_BLOCK       16
#define IN_SEQ_HALF        0x8000
#define IN_INDEX_MASK      0xffffffffffffULL /* 48-bit packet index */
#define IN_WINDOW_WORDS    (TSN_SRTP_IN_WINDOW_PKTS / 64)
#define IN_WINDOW_POS_MASK (TSN_SRTP_IN_WINDOW_PKTS - 1)

_Static_assert((TSN_SRTP_IN_WINDOW_PKTS & IN_WINDOW_POS_MASK) == 0,
               "the replay window is a power of two");

/* Replay state of one SSRC, as libsrtp's replay database keeps it. */
struct in_ssrc {
    uint32_t ssrc;
    /* ROC << 16 | SEQ of the newest authenticated packet. Starts at 0 like
     * libsrtp's, which the index estimate depends on. */
    uint64_t highest_index;
    /* Bit (index % WINDOW) is set when that index, one of the WINDOW newest
     * up to highest_index, has been accepted. */
    uint64_t seen[IN_WINDOW_WORDS];
};

struct tsn_srtp_in {
    int gcm;
    size_t tag_bytes;
    /* Owned; AES-128-CTR (AES-CM profile) or AES-128-GCM, keyed with the
     * session cipher key in _new, decrypt direction. Only the IV changes per
     * packet. */
    EVP_CIPHER_CTX *cipher;
    /* AES-CM only: SHA-1 states after one block of auth_key ^ ipad and
     * auth_key ^ opad (RFC 2104). Key material: wiped in _free. */
    SHA_CTX hmac_inner, hmac_outer;
    uint8_t salt[IN_CM_SALT_BYTES]; /* session salt: 14 bytes, or 12 for GCM */
    size_t n_ssrcs;
    struct in_ssrc ssrcs[TSN_SRTP_IN_MAX_SSRCS];
};

/* --- HMAC-SHA1 over precomputed states ------------------------------------ */

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static int hmac_prepare(struct tsn_srtp_in *in, const uint8_t *auth_key)
{
    uint8_t ipad[IN_SHA1_BLOCK], opad[IN_SHA1_BLOCK];
    memset(ipad, 0x36, sizeof ipad);
    memset(opad, 0x5c, sizeof opad);
    for (size_t i = 0; i < IN_AUTH_KEY_BYTES; i++) {
        ipad[i] ^= auth_key[i];
        opad[i] ^= auth_key[i];
    }
    int ok =
        SHA1_Init(&in->hmac_inner) == 1 && SHA1_Update(&in->hmac_inner, ipad, sizeof ipad) == 1 &&
        SHA1_Init(&in->hmac_outer) == 1 && SHA1_Update(&in->hmac_outer, opad, sizeof opad) == 1;
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
    return ok ? 0 : -EIO;
}

/* RFC 3711 4.2: HMAC-SHA1(auth_key, packet || ROC), first 10 bytes. */
static void hmac_sha1_80(const struct tsn_srtp_in *in, const uint8_t *pkt, size_t len,
                         const uint8_t roc_be[4], uint8_t *tag)
{
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA_CTX c = in->hmac_inner;
    SHA1_Update(&c, pkt, len);
    SHA1_Update(&c, roc_be, 4);
    SHA1_Final(digest, &c);
    c = in->hmac_outer;
    SHA1_Update(&c, digest, sizeof digest);
    SHA1_Final(digest, &c);
    memcpy(tag, digest, IN_CM_TAG_BYTES);
    OPENSSL_cleanse(&c, sizeof c);
}

#pragma GCC diagnostic pop

/* --- construction -------------------------------------------------------- */

static int key_contexts(struct tsn_srtp_in *in, const uint8_t *master_key,
                        const uint8_t *master_salt, size_t salt_len)
{
    enum tsn_srtp_profile profile =
        in->gcm ? TSN_SRTP_AEAD_AES_128_GCM : TSN_SRTP_AES128_CM_SHA1_80;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, in->gcm ? "AES-128-GCM" : "AES-128-CTR", NULL);
    struct tsn_srtp_session_keys keys;
    int rc = -EIO;

    memset(&keys, 0, sizeof keys);
    if (!cipher ||
        tsn_srtp_kdf(profile, master_key, IN_KEY_BYTES, master_salt, salt_len, &keys) != 0)
        goto out;
    memcpy(in->salt, keys.salt, sizeof in->salt);
    if (!in->gcm && hmac_prepare(in, keys.auth_key) != 0)
        goto out;
    /* GCM's default IV length is the 12 we use. */
    if (EVP_DecryptInit_ex(in->cipher, cipher, NULL, keys.cipher_key, NULL) != 1)
        goto out;
    rc = 0;
out:
    OPENSSL_cleanse(&keys, sizeof keys);
    EVP_CIPHER_free(cipher);
    return rc;
}

struct tsn_srtp_in *tsn_srtp_in_new(enum tsn_srtp_profile profile, const uint8_t *master_key,
                                    size_t key_len, const uint8_t *master_salt, size_t salt_len)
{
    int gcm = profile == TSN_SRTP_AEAD_AES_128_GCM;
    if (profile != TSN_SRTP_AES128_CM_SHA1_80 && !gcm)
        return NULL;
    if (!master_key || !master_salt || key_len != IN_KEY_BYTES ||
        salt_len != (gcm ? IN_GCM_SALT_BYTES : IN_CM_SALT_BYTES))
        return NULL;
    struct tsn_srtp_in *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    in->gcm = gcm;
    in->tag_bytes = gcm ? IN_GCM_TAG_BYTES : IN_CM_TAG_BYTES;
    in->cipher = EVP_CIPHER_CTX_new();
    if (!in->cipher || key_contexts(in, master_key, master_salt, salt_len) != 0) {
        tsn_err("srtp_in: OpenSSL key setup failed (%s)",
                gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80");
        tsn_srtp_in_free(in);
        return NULL;
    }
    return in;
}

void tsn_srtp_in_free(struct tsn_srtp_in *in)
{
    if (!in)
        return;
    EVP_CIPHER_CTX_free(in->cipher);
    OPENSSL_cleanse(in, sizeof *in);
    free(in);
}

/* --- replay window and index estimate ------------------------------------ */

/* The SSRC's slot, or NULL if it has none yet. */
static struct in_ssrc *ssrc_find(struct tsn_srtp_in *in, uint32_t ssrc)
{
    for (size_t i = 0; i < in->n_ssrcs; i++)
        if (in->ssrcs[i].ssrc == ssrc)
            return &in->ssrcs[i];
    return NULL;
}

/* RFC 3711 Appendix A, as libsrtp's srtp_rdbx_estimate_index does it: the
 * index nearest the newest accepted one, except that the ROC stays 0 while
 * that is at most 2^15 (so an early late packet never guesses ROC -1).
 * `*delta` is the estimate minus the newest index. */
static uint64_t estimate_index(uint64_t highest, uint16_t seq, int64_t *delta)
{
    uint64_t index = seq;
    if (highest > IN_SEQ_HALF) {
        uint32_t roc = (uint32_t)(highest >> 16);
        int s_l = (int)(highest & 0xffff), s = seq;
        uint32_t v = roc;
        if (s_l < IN_SEQ_HALF) {
            if (s - s_l > IN_SEQ_HALF)
                v = roc - 1; /* belongs before the last wrap; roc >= 1 here */
        } else if (s_l - IN_SEQ_HALF > s) {
            v = roc + 1; /* wrapped */
        }
        index = (((uint64_t)v << 16) | (uint64_t)s) & IN_INDEX_MASK;
    }
    *delta = (int64_t)index - (int64_t)highest;
    return index;
}

static int window_has(const struct in_ssrc *st, uint64_t index)
{
    size_t pos = (size_t)(index & IN_WINDOW_POS_MASK);
    return (int)((st->seen[pos / 64] >> (pos % 64)) & 1);
}

/* libsrtp's srtp_rdbx_check: ahead is new; older than the window is
 * refused; inside it, once only. */
static int window_check(const struct in_ssrc *st, uint64_t index, int64_t delta)
{
    if (delta > 0)
        return 0;
    if (delta <= -(int64_t)TSN_SRTP_IN_WINDOW_PKTS || window_has(st, index))
        return -EALREADY;
    return 0;
}

/* libsrtp's srtp_rdbx_add_index, for an authenticated packet: moving ahead
 * forgets the indices that fall out of the window. */
static void window_add(struct in_ssrc *st, uint64_t index, int64_t delta)
{
    if (delta >= TSN_SRTP_IN_WINDOW_PKTS) {
        memset(st->seen, 0, sizeof st->seen);
    } else {
        for (int64_t i = 1; i <= delta; i++) {
            size_t pos = (size_t)((st->highest_index + (uint64_t)i) & IN_WINDOW_POS_MASK);
            st->seen[pos / 64] &= ~(1ULL << (pos % 64));
        }
    }
    if (delta > 0)
        st->highest_index = index;
    size_t pos = (size_t)(index & IN_WINDOW_POS_MASK);
    st->seen[pos / 64] |= 1ULL << (pos % 64);
}

/* --- per packet ---------------------------------------------------------- */

/* Fixed header + CSRCs + extension block, or -EBADMSG if that runs past
 * `len` (which is at least 12). */
static int rtp_header_bytes(const uint8_t *buf, size_t len, size_t *out)
{
    size_t n = IN_RTP_HDR_BYTES + 4 * (size_t)(buf[0] & 0x0f);
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

/* RFC 3711 4.2 then 4.1.1: check the HMAC tag, then AES-CM over the
 * payload. `len` includes the tag. */
static int unprotect_cm(struct tsn_srtp_in *in, uint8_t *buf, size_t len, size_t hdr_bytes,
                        uint64_t index)
{
    uint8_t iv[IN_AES_BLOCK], roc_be[4], tag[IN_CM_TAG_BYTES];
    size_t auth_bytes = len - IN_CM_TAG_BYTES;
    int n;
    tsn_wr32(roc_be, (uint32_t)(index >> 16));
    hmac_sha1_80(in, buf, auth_bytes, roc_be, tag);
    if (CRYPTO_memcmp(tag, buf + auth_bytes, IN_CM_TAG_BYTES) != 0)
        return -EACCES;
    memcpy(iv, in->salt, IN_CM_SALT_BYTES);
    iv[14] = iv[15] = 0;
    for (int i = 0; i < 4; i++)
        iv[4 + i] ^= buf[8 + i]; /* SSRC, already big-endian in the header */
    for (int i = 0; i < 6; i++)
        iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
    if (EVP_DecryptInit_ex(in->cipher, NULL, NULL, NULL, iv) != 1 ||
        EVP_DecryptUpdate(in->cipher, buf + hdr_bytes, &n, buf + hdr_bytes,
                          (int)(auth_bytes - hdr_bytes)) != 1)
        return -EIO;
    return 0;
}

/* RFC 7714 8: IV = (00 00 || SSRC || ROC || SEQ) XOR salt, AAD = header;
 * the tag is the last 16 bytes. On a tag mismatch the ciphertext is put
 * back (CTR mode: the same keystream again) and -EACCES returned. */
static int unprotect_gcm(struct tsn_srtp_in *in, uint8_t *buf, size_t len, size_t hdr_bytes,
                         uint64_t index)
{
    uint8_t iv[IN_GCM_SALT_BYTES];
    uint8_t *payload = buf + hdr_bytes;
    int payload_bytes = (int)(len - IN_GCM_TAG_BYTES - hdr_bytes);
    int n;
    iv[0] = iv[1] = 0;
    memcpy(iv + 2, buf + 8, 4);
    for (int i = 0; i < 6; i++)
        iv[6 + i] = (uint8_t)(index >> (40 - 8 * i)); /* ROC || SEQ */
    for (int i = 0; i < IN_GCM_SALT_BYTES; i++)
        iv[i] ^= in->salt[i];
    if (EVP_DecryptInit_ex(in->cipher, NULL, NULL, NULL, iv) != 1 ||
        EVP_DecryptUpdate(in->cipher, NULL, &n, buf, (int)hdr_bytes) != 1 ||
        EVP_DecryptUpdate(in->cipher, payload, &n, payload, payload_bytes) != 1 ||
        EVP_CIPHER_CTX_ctrl(in->cipher, EVP_CTRL_AEAD_SET_TAG, IN_GCM_TAG_BYTES,
                            buf + len - IN_GCM_TAG_BYTES) != 1)
        return -EIO;
    if (EVP_DecryptFinal_ex(in->cipher, payload + payload_bytes, &n) == 1)
        return 0;
    if (EVP_DecryptInit_ex(in->cipher, NULL, NULL, NULL, iv) != 1 ||
        EVP_DecryptUpdate(in->cipher, payload, &n, payload, payload_bytes) != 1)
        return -EIO;
    return -EACCES;
}

int tsn_srtp_in_unprotect(struct tsn_srtp_in *in, uint8_t *buf, size_t *len)
{
    size_t hdr_bytes;
    if (!in || !buf || !len)
        return -EINVAL;
    if (*len < IN_RTP_HDR_BYTES || *len > INT_MAX || (buf[0] >> 6) != 2 ||
        rtp_header_bytes(buf, *len, &hdr_bytes) != 0)
        return -EBADMSG;
    uint32_t ssrc = tsn_rd32(buf + 8);
    struct in_ssrc *st = ssrc_find(in, ssrc);
    /* A new SSRC is checked against an empty window (libsrtp's provisional
     * stream) and gets a slot only once its packet authenticated. */
    struct in_ssrc fresh;
    if (!st) {
        if (in->n_ssrcs == TSN_SRTP_IN_MAX_SSRCS)
            return TSN_SRTP_IN_DECLINED;
        memset(&fresh, 0, sizeof fresh);
        fresh.ssrc = ssrc;
        st = &fresh;
    }
    int64_t delta;
    uint64_t index = estimate_index(st->highest_index, tsn_rd16(buf + 2), &delta);
    int rc = window_check(st, index, delta);
    if (rc != 0)
        return rc;
    if (hdr_bytes + in->tag_bytes > *len)
        return -EBADMSG;
    rc = in->gcm ? unprotect_gcm(in, buf, *len, hdr_bytes, index)
                 : unprotect_cm(in, buf, *len, hdr_bytes, index);
    if (rc != 0)
        return rc;
    if (st == &fresh) {
        st = &in->ssrcs[in->n_ssrcs++];
        *st = fresh;
    }
    window_add(st, index, delta);
    *len -= in->tag_bytes;
    return 0;
}
