/* Inbound SRTP RTP transform on OpenSSL (see srtp_in.h for the contract).
 *
 * The key derivation, HMAC-SHA1-80 over precomputed states, the header
 * length, the index estimate and the IVs are in srtp_crypto.c, shared with
 * srtp_out.c. AES-CTR and AES-GCM stay on EVP: re-setting only the IV on a
 * keyed EVP_CIPHER_CTX allocates nothing and takes no lock.
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

#include "bytes.h"
#include "log.h"
#include "srtp_crypto.h"

#define IN_KEY_BYTES       TSN_SRTP_CRYPTO_KEY_BYTES
#define IN_CM_SALT_BYTES   TSN_SRTP_CRYPTO_CM_SALT_BYTES
#define IN_GCM_SALT_BYTES  TSN_SRTP_CRYPTO_GCM_SALT_BYTES
#define IN_CM_TAG_BYTES    TSN_SRTP_CRYPTO_CM_TAG_BYTES
#define IN_GCM_TAG_BYTES   TSN_SRTP_CRYPTO_GCM_TAG_BYTES
#define IN_RTP_HDR_BYTES   TSN_SRTP_CRYPTO_RTP_HDR_BYTES
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
    struct tsn_srtp_crypto_transform t; /* keys and cipher contexts */
    size_t n_ssrcs;
    struct in_ssrc ssrcs[TSN_SRTP_IN_MAX_SSRCS];
};

/* --- construction -------------------------------------------------------- */

struct tsn_srtp_in *tsn_srtp_in_new(enum tsn_srtp_profile profile, const uint8_t *master_key,
                                    size_t key_len, const uint8_t *master_salt, size_t salt_len)
{
    struct tsn_srtp_in *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    int rc = tsn_srtp_crypto_transform_init(&in->t, profile, master_key, key_len, master_salt,
                                            salt_len, 0);
    if (rc != 0) {
        if (rc == -EIO)
            tsn_err("srtp_in: OpenSSL key setup failed");
        tsn_srtp_in_free(in);
        return NULL;
    }
    return in;
}

void tsn_srtp_in_free(struct tsn_srtp_in *in)
{
    if (!in)
        return;
    tsn_srtp_crypto_transform_clear(&in->t);
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

/* RFC 3711 4.2 then 4.1.1: check the HMAC tag, then AES-CM over the
 * payload. `len` includes the tag. */
static int unprotect_cm(struct tsn_srtp_in *in, uint8_t *buf, size_t len, size_t hdr_bytes,
                        uint64_t index)
{
    uint8_t iv[TSN_SRTP_CRYPTO_CM_IV_BYTES], tag[IN_CM_TAG_BYTES];
    size_t auth_bytes = len - IN_CM_TAG_BYTES;
    int n;
    tsn_srtp_crypto_hmac_tag80(&in->t.hmac, buf, auth_bytes, (uint32_t)(index >> 16), tag);
    if (CRYPTO_memcmp(tag, buf + auth_bytes, IN_CM_TAG_BYTES) != 0)
        return -EACCES;
    tsn_srtp_crypto_cm_iv(in->t.salt, buf, index, iv);
    if (EVP_DecryptInit_ex(in->t.cipher, NULL, NULL, NULL, iv) != 1 ||
        EVP_DecryptUpdate(in->t.cipher, buf + hdr_bytes, &n, buf + hdr_bytes,
                          (int)(auth_bytes - hdr_bytes)) != 1)
        return -EIO;
    return 0;
}

/* RFC 7714 8: AES-GCM with the header as AAD; the tag is the last 16
 * bytes. On a tag mismatch the ciphertext is put back (CTR mode: the same
 * keystream again) and -EACCES returned. */
static int unprotect_gcm(struct tsn_srtp_in *in, uint8_t *buf, size_t len, size_t hdr_bytes,
                         uint64_t index)
{
    uint8_t iv[TSN_SRTP_CRYPTO_GCM_IV_BYTES];
    uint8_t *payload = buf + hdr_bytes;
    int payload_bytes = (int)(len - IN_GCM_TAG_BYTES - hdr_bytes);
    int n;
    tsn_srtp_crypto_gcm_iv(in->t.salt, buf, index, iv);
    if (EVP_DecryptInit_ex(in->t.cipher, NULL, NULL, NULL, iv) != 1 ||
        EVP_DecryptUpdate(in->t.cipher, NULL, &n, buf, (int)hdr_bytes) != 1 ||
        EVP_DecryptUpdate(in->t.cipher, payload, &n, payload, payload_bytes) != 1 ||
        EVP_CIPHER_CTX_ctrl(in->t.cipher, EVP_CTRL_AEAD_SET_TAG, IN_GCM_TAG_BYTES,
                            buf + len - IN_GCM_TAG_BYTES) != 1)
        return -EIO;
    if (EVP_DecryptFinal_ex(in->t.cipher, payload + payload_bytes, &n) == 1)
        return 0;
    if (EVP_DecryptInit_ex(in->t.cipher, NULL, NULL, NULL, iv) != 1 ||
        EVP_DecryptUpdate(in->t.cipher, payload, &n, payload, payload_bytes) != 1)
        return -EIO;
    return -EACCES;
}

int tsn_srtp_in_unprotect(struct tsn_srtp_in *in, uint8_t *buf, size_t *len)
{
    size_t hdr_bytes;
    if (!in || !buf || !len)
        return -EINVAL;
    if (*len < IN_RTP_HDR_BYTES || *len > INT_MAX || (buf[0] >> 6) != 2 ||
        tsn_srtp_crypto_rtp_header_bytes(buf, *len, &hdr_bytes) != 0)
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
    /* The same estimate as srtp_out's (libsrtp's srtp_rdbx_estimate_index);
     * `delta`, the estimate minus the newest index, drives the window. */
    int64_t delta;
    uint64_t index = tsn_srtp_crypto_estimate_index(st->highest_index, tsn_rd16(buf + 2), &delta);
    int rc = window_check(st, index, delta);
    if (rc != 0)
        return rc;
    if (hdr_bytes + in->t.tag_bytes > *len)
        return -EBADMSG;
    rc = in->t.gcm ? unprotect_gcm(in, buf, *len, hdr_bytes, index)
                 : unprotect_cm(in, buf, *len, hdr_bytes, index);
    if (rc != 0)
        return rc;
    if (st == &fresh) {
        st = &in->ssrcs[in->n_ssrcs++];
        *st = fresh;
    }
    window_add(st, index, delta);
    *len -= in->t.tag_bytes;
    return 0;
}
