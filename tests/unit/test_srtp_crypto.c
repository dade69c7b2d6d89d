/* Unit tests for relay/srtp_crypto.c, the SRTP primitives srtp_in and
 * srtp_out share: the RFC 3711 B.3 key-derivation vector and the GCM salt
 * padding; HMAC-SHA1-80 against RFC 2202 vectors and against OpenSSL's
 * one-shot HMAC() over packet || ROC for many lengths; the RTP header
 * length for CSRC and extension shapes and truncations; the packet index
 * estimate around the sequence wrap (with its delta); the AES-CM and GCM
 * IVs (RFC 7714's "Quid pro quo" example); and no OpenSSL allocation per
 * tag (counted through CRYPTO_set_mem_functions, installed in main before
 * OpenSSL's first allocation). The byte-exact comparisons with libsrtp are
 * in test_srtp_out.c and test_srtp_in.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "srtp_crypto.h"
#include "srtp_fixtures.h"



/* --- key derivation -------------------------------------------------------- */

static const uint8_t b3_master_key[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
                                          0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39};
static const uint8_t b3_master_salt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
                                           0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};

/* RFC 3711 B.3: the session keys derived from that master key and salt. */
static void test_kdf_rfc3711_b3(void **state)
{
    static const uint8_t cipher_key[16] = {0xc6, 0x1e, 0x7a, 0x93, 0x74, 0x4f, 0x39, 0xee,
                                           0x10, 0x73, 0x4a, 0xfe, 0x3f, 0xf7, 0xa0, 0x87};
    static const uint8_t salt[14] = {0x30, 0xcb, 0xbc, 0x08, 0x86, 0x3d, 0x8c,
                                     0x85, 0xd4, 0x9d, 0xb3, 0x4a, 0x9a, 0xe1};
    static const uint8_t auth_key[20] = {0xce, 0xbe, 0x32, 0x1f, 0x6f, 0xf7, 0x71,
                                         0x6b, 0x6f, 0xd4, 0xab, 0x49, 0xaf, 0x25,
                                         0x6a, 0x15, 0x6d, 0x38, 0xba, 0xa4};
    struct tsn_srtp_session_keys k;
    assert_int_equal(tsn_srtp_kdf(CM, b3_master_key, 16, b3_master_salt, 14, &k), 0);
    assert_memory_equal(k.cipher_key, cipher_key, sizeof cipher_key);
    assert_memory_equal(k.salt, salt, sizeof salt);
    assert_memory_equal(k.auth_key, auth_key, sizeof auth_key);
}

/* GCM: the 12-byte master salt is padded with two zero bytes (as libsrtp
 * does), only 12 salt bytes are derived and there is no auth key. */
static void test_kdf_gcm_pads_salt(void **state)
{
    uint8_t padded[14] = {0};
    memcpy(padded, b3_master_salt, 12);
    struct tsn_srtp_session_keys cm, gcm;
    static const uint8_t zero[20] = {0};
    assert_int_equal(tsn_srtp_kdf(CM, b3_master_key, 16, padded, 14, &cm), 0);
    assert_int_equal(tsn_srtp_kdf(GCM, b3_master_key, 16, b3_master_salt, 12, &gcm), 0);
    assert_memory_equal(gcm.cipher_key, cm.cipher_key, 16);
    assert_memory_equal(gcm.salt, cm.salt, 12);
    assert_memory_equal(gcm.salt + 12, zero, 2);
    assert_memory_equal(gcm.auth_key, zero, 20);
}

static void test_kdf_bad_args(void **state)
{
    struct tsn_srtp_session_keys k;
    static const uint8_t zero[sizeof k] = {0};
    memset(&k, 0xa5, sizeof k);
    assert_int_equal(tsn_srtp_kdf(CM, b3_master_key, 16, b3_master_salt, 12, &k), -EINVAL);
    assert_memory_equal(&k, zero, sizeof k); /* zeroed, not left stale */
    assert_int_equal(tsn_srtp_kdf(GCM, b3_master_key, 16, b3_master_salt, 14, &k), -EINVAL);
    assert_int_equal(tsn_srtp_kdf(CM, b3_master_key, 32, b3_master_salt, 14, &k), -EINVAL);
    assert_int_equal(tsn_srtp_kdf(CM, NULL, 16, b3_master_salt, 14, &k), -EINVAL);
    assert_int_equal(tsn_srtp_kdf(CM, b3_master_key, 16, NULL, 14, &k), -EINVAL);
    assert_int_equal(
        tsn_srtp_kdf((enum tsn_srtp_profile)2, b3_master_key, 16, b3_master_salt, 14, &k), -EINVAL);
    assert_int_equal(tsn_srtp_kdf(CM, b3_master_key, 16, b3_master_salt, 14, NULL), -EINVAL);
}

/* --- HMAC-SHA1-80 ---------------------------------------------------------- */

/* RFC 2202 test cases 1 and 3 (20-byte keys), the data split into "packet"
 * and a 4-byte big-endian "ROC". */
static void test_hmac_rfc2202(void **state)
{
    static const uint8_t tag1[10] = {0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b};
    static const uint8_t tag3[10] = {0x12, 0x5d, 0x73, 0x42, 0xb9, 0xac, 0x11, 0xcd, 0x91, 0xa3};
    uint8_t key[20], data[46], tag[10];
    struct tsn_srtp_crypto_hmac h;

    memset(key, 0x0b, sizeof key);
    assert_int_equal(tsn_srtp_crypto_hmac_init(&h, key), 0);
    tsn_srtp_crypto_hmac_tag80(&h, (const uint8_t *)"Hi T", 4, 0x68657265 /* "here" */, tag);
    assert_memory_equal(tag, tag1, sizeof tag1);

    memset(key, 0xaa, sizeof key);
    memset(data, 0xdd, sizeof data);
    assert_int_equal(tsn_srtp_crypto_hmac_init(&h, key), 0);
    tsn_srtp_crypto_hmac_tag80(&h, data, sizeof data, 0xdddddddd, tag);
    assert_memory_equal(tag, tag3, sizeof tag3);
}

/* The tag equals the first 10 bytes of OpenSSL's one-shot HMAC() over
 * packet || ROC, for lengths around the SHA-1 block edges and full-size
 * packets; the keyed states are reused unchanged between tags. */
static void test_hmac_matches_oneshot(void **state)
{
    static const size_t lens[] = {0, 1, 12, 51, 52, 55, 56, 63, 64, 65, 119, 120, 128, 1188, 1500};
    static const uint32_t rocs[] = {0, 1, 0x12345678, 0xffffffff};
    uint8_t key[20], pkt[1504], tag[10], again[10], full[EVP_MAX_MD_SIZE];
    unsigned int full_len;
    struct tsn_srtp_crypto_hmac h;

    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < sizeof key; i++)
            key[i] = (uint8_t)(k * 37 + i * 11 + 1);
        assert_int_equal(tsn_srtp_crypto_hmac_init(&h, key), 0);
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            size_t len = lens[li];
            for (size_t r = 0; r < sizeof rocs / sizeof rocs[0]; r++) {
                for (size_t i = 0; i < len; i++)
                    pkt[i] = (uint8_t)(i * 7 + r + k);
                pkt[len] = (uint8_t)(rocs[r] >> 24);
                pkt[len + 1] = (uint8_t)(rocs[r] >> 16);
                pkt[len + 2] = (uint8_t)(rocs[r] >> 8);
                pkt[len + 3] = (uint8_t)rocs[r];
                assert_non_null(HMAC(EVP_sha1(), key, sizeof key, pkt, len + 4, full, &full_len));
                assert_int_equal(full_len, 20);
                tsn_srtp_crypto_hmac_tag80(&h, pkt, len, rocs[r], tag);
                assert_memory_equal(tag, full, sizeof tag);
                tsn_srtp_crypto_hmac_tag80(&h, pkt, len, rocs[r], again);
                assert_memory_equal(again, tag, sizeof tag);
            }
        }
    }
    /* A different ROC gives a different tag over the same packet. */
    tsn_srtp_crypto_hmac_tag80(&h, pkt, 100, 1, tag);
    tsn_srtp_crypto_hmac_tag80(&h, pkt, 100, 2, again);
    assert_memory_not_equal(tag, again, sizeof tag);
}

static void test_hmac_no_alloc(void **state)
{
    uint8_t key[20], pkt[1200], tag[10];
    struct tsn_srtp_crypto_hmac h;
    memset(key, 0x42, sizeof key);
    memset(pkt, 0x17, sizeof pkt);
    assert_true(mem_hooked);
    assert_int_equal(tsn_srtp_crypto_hmac_init(&h, key), 0);
    long before = openssl_allocs;
    for (uint32_t i = 0; i < 10000; i++)
        tsn_srtp_crypto_hmac_tag80(&h, pkt, sizeof pkt, i, tag);
    assert_int_equal(openssl_allocs - before, 0);
    /* The counter does see OpenSSL allocating: the one-shot HMAC does. */
    unsigned int n;
    uint8_t full[EVP_MAX_MD_SIZE];
    assert_non_null(HMAC(EVP_sha1(), key, sizeof key, pkt, sizeof pkt, full, &n));
    assert_true(openssl_allocs - before > 0);
}

/* --- RTP header length ----------------------------------------------------- */

/* Runs on an exact-size heap copy, so that under ASan a read past `len`
 * fails the test. */
static int hdr_bytes(const uint8_t *buf, size_t len, size_t *out)
{
    uint8_t *copy = malloc(len); /* malloc(0) is non-NULL, 0 bytes */
    assert_non_null(copy);
    memcpy(copy, buf, len);
    *out = 999;
    int rc = tsn_srtp_crypto_rtp_header_bytes(copy, len, out);
    free(copy);
    return rc;
}

static void test_rtp_header_bytes(void **state)
{
    uint8_t b[128] = {0};
    size_t n;

    b[0] = 0x80; /* V=2, no CSRC, no extension */
    assert_int_equal(hdr_bytes(b, 0, &n), -EBADMSG);
    assert_int_equal(hdr_bytes(b, 1, &n), -EBADMSG);
    assert_int_equal(hdr_bytes(b, 11, &n), -EBADMSG);
    assert_int_equal(n, 999); /* untouched on error */
    assert_int_equal(hdr_bytes(b, 12, &n), 0);
    assert_int_equal(n, 12);
    assert_int_equal(hdr_bytes(b, 100, &n), 0);
    assert_int_equal(n, 12);

    b[0] = 0x8f; /* 15 CSRCs */
    assert_int_equal(hdr_bytes(b, 71, &n), -EBADMSG);
    assert_int_equal(hdr_bytes(b, 72, &n), 0);
    assert_int_equal(n, 72);

    b[0] = 0x90; /* extension, no CSRC: profile + length at 12..15 */
    b[14] = 0, b[15] = 0;
    assert_int_equal(hdr_bytes(b, 15, &n), -EBADMSG); /* length field cut */
    assert_int_equal(hdr_bytes(b, 16, &n), 0);
    assert_int_equal(n, 16);
    b[15] = 2; /* two words of extension */
    assert_int_equal(hdr_bytes(b, 23, &n), -EBADMSG);
    assert_int_equal(hdr_bytes(b, 24, &n), 0);
    assert_int_equal(n, 24);
    b[14] = 0xff, b[15] = 0xff; /* 65535 words: far past the packet */
    assert_int_equal(hdr_bytes(b, sizeof b, &n), -EBADMSG);

    b[0] = 0x92; /* 2 CSRCs, then the extension header at 20..23 */
    memset(b + 12, 0, 16);
    b[23] = 1;
    assert_int_equal(hdr_bytes(b, 27, &n), -EBADMSG);
    assert_int_equal(hdr_bytes(b, 28, &n), 0);
    assert_int_equal(n, 28);

    /* The version is not its business: the callers check it. */
    b[0] = 0x00;
    assert_int_equal(hdr_bytes(b, 12, &n), 0);
    assert_int_equal(n, 12);
}

/* --- packet index estimate ------------------------------------------------- */

struct index_case {
    uint64_t highest;
    uint16_t seq;
    uint64_t index;
    int64_t delta;
};

static void test_estimate_index(void **state)
{
    static const struct index_case cases[] = {
        {0, 0, 0, 0},
        {0, 0xffff, 0xffff, 0xffff},         /* ROC stays 0 while highest <= 2^15 */
        {0x8000, 0xffff, 0xffff, 0x7fff},    /* ... including at 2^15 */
        {0x8001, 0, 0x10000, 0x7fff},        /* past it, 0 after 0x8001 wraps */
        {0x8001, 1, 0x0001, -0x8000},        /* exactly half behind: no wrap */
        {0xfff0, 0x0005, 0x10005, 0x15},     /* forward across the wrap */
        {0x10005, 0xfff0, 0xfff0, -0x15},    /* late packet from before it */
        {0x10005, 0x8005, 0x18005, 0x8000},  /* half ahead stays in this ROC */
        {0x10005, 0x8006, 0x8006, -0x7fff},  /* one more belongs to ROC - 1 */
        {0x1ffff, 0x7fff, 0x17fff, -0x8000}, /* s_l - 2^15 == seq: same ROC */
        {0x1ffff, 0x7ffe, 0x27ffe, 0x7fff},  /* one less: next ROC */
        {0x1ffff, 0xffff, 0x1ffff, 0},       /* the newest itself */
        {0x123456789abcULL, 0x9abd, 0x123456789abdULL, 1},
        {0xffffffffffffULL, 0, 0, -(int64_t)0xffffffffffffULL}, /* 32-bit ROC wraps to 0 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct index_case *c = &cases[i];
        int64_t delta = 12345;
        uint64_t index = tsn_srtp_crypto_estimate_index(c->highest, c->seq, &delta);
        if (index != c->index || delta != c->delta)
            fail_msg("case %zu: highest %#llx seq %#x -> index %#llx delta %lld", i,
                     (unsigned long long)c->highest, c->seq, (unsigned long long)index,
                     (long long)delta);
        assert_int_equal(tsn_srtp_crypto_estimate_index(c->highest, c->seq, NULL), c->index);
    }
}

/* --- IVs ------------------------------------------------------------------- */

static void test_cm_iv(void **state)
{
    static const uint8_t salt[14] = {0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6,
                                     0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
    static const uint8_t want[16] = {0xf0, 0xf1, 0xf2, 0xf3, 0xe5, 0xd7, 0xc5, 0xb3,
                                     0xf8, 0xf9, 0xfa, 0xfa, 0x7c, 0xfc, 0x00, 0x00};
    static const uint8_t want_hi[16] = {0,    0,    0,    0,    0,    0,    0, 0,
                                        0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0, 0};
    uint8_t rtp[12] = {0x80, 0, 0, 0, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44};
    uint8_t iv[16];
    memset(iv, 0xa5, sizeof iv); /* every byte must be written */
    /* RFC 3711 4.1.1: salt, SSRC at bytes 4..7, index (ROC 1, SEQ 0x8001) at
     * bytes 8..13, two zero bytes for the block counter. */
    tsn_srtp_crypto_cm_iv(salt, rtp, 0x18001, iv);
    assert_memory_equal(iv, want, sizeof want);
    static const uint8_t zero_salt[14] = {0};
    memset(rtp + 8, 0, 4);
    memset(iv, 0x5a, sizeof iv);
    tsn_srtp_crypto_cm_iv(zero_salt, rtp, 0xabcdef012345ULL, iv);
    assert_memory_equal(iv, want_hi, sizeof want_hi);
}

/* RFC 7714 16.1.1: SSRC 0x5501a0b2, SEQ 0xf17b, ROC 0 and that salt give
 * the IV "Quid pro quo". */
static void test_gcm_iv(void **state)
{
    static const uint8_t salt[12] = {0x51, 0x75, 0x3c, 0x65, 0x80, 0xc2,
                                     0x72, 0x6f, 0x20, 0x71, 0x84, 0x14};
    static const uint8_t rtp[12] = {0x80, 0x40, 0xf1, 0x7b, 0x80, 0x41,
                                    0xf8, 0xd3, 0x55, 0x01, 0xa0, 0xb2};
    uint8_t iv[12];
    memset(iv, 0xa5, sizeof iv); /* every byte must be written */
    tsn_srtp_crypto_gcm_iv(salt, rtp, 0xf17b, iv);
    assert_memory_equal(iv, "Quid pro quo", 12);
    /* ROC 0x03040102 lands in bytes 6..9, SEQ in 10..11. */
    tsn_srtp_crypto_gcm_iv(salt, rtp, (0x03040102ULL << 16) | 0xf17b, iv);
    static const uint8_t want[12] = {0x51,        0x75,        0x69,        0x64,
                                     0x20,        0x70,        0x72 ^ 0x03, 0x6f ^ 0x04,
                                     0x20 ^ 0x01, 0x71 ^ 0x02, 0x75,        0x6f};
    assert_memory_equal(iv, want, sizeof want);
}

int main(void)
{
    /* Must come before OpenSSL's first allocation. */
    mem_hooked = CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kdf_rfc3711_b3),
        cmocka_unit_test(test_kdf_gcm_pads_salt),
        cmocka_unit_test(test_kdf_bad_args),
        cmocka_unit_test(test_hmac_rfc2202),
        cmocka_unit_test(test_hmac_matches_oneshot),
        cmocka_unit_test(test_hmac_no_alloc),
        cmocka_unit_test(test_rtp_header_bytes),
        cmocka_unit_test(test_estimate_index),
        cmocka_unit_test(test_cm_iv),
        cmocka_unit_test(test_gcm_iv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
