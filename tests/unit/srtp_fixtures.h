/* Test fixtures shared by the SRTP unit tests (test_srtp_crypto, test_srtp_in,
 * test_srtp_out): an OpenSSL allocation counter, libsrtp's known-answer
 * packets, master keys, and libsrtp reference sessions configured as
 * srtp_session.c configures its own. Each test program includes it once,
 * after <cmocka.h>; everything is static (test-only state). */
#ifndef TSN_TEST_SRTP_FIXTURES_H
#define TSN_TEST_SRTP_FIXTURES_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "srtp_session.h"

#define CM  TSN_SRTP_AES128_CM_SHA1_80
#define GCM TSN_SRTP_AEAD_AES_128_GCM

/* --- OpenSSL allocation counter: install with CRYPTO_set_mem_functions
 * before OpenSSL's first allocation (first thing in main). --- */

static __attribute__((unused)) int mem_hooked;
static __attribute__((unused)) long openssl_allocs;

static inline void *count_malloc(size_t n, const char *file, int line)
{
    (void)file, (void)line;
    openssl_allocs++;
    return malloc(n);
}

static inline void *count_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file, (void)line;
    openssl_allocs++;
    return realloc(p, n);
}

static inline void count_free(void *p, const char *file, int line)
{
    (void)file, (void)line;
    free(p);
}

/* --- libsrtp's known-answer vectors (test/srtp_driver.c: srtp_validate,
 * srtp_validate_gcm). The AES-CM master key and salt are RFC 3711 B.3's. --- */

static const uint8_t cm_master[30] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
                                      0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
                                      0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
static const uint8_t gcm_master[28] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                       0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3,
                                       0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
static const uint8_t rtp_plain[28] = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
                                      0xba, 0xbe, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                      0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
static const uint8_t cm_srtp[38] = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
                                    0xba, 0xbe, 0x4e, 0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8,
                                    0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d,
                                    0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb};
static const uint8_t gcm_srtp[44] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e,
    0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97,
    0x68, 0x26, 0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92};

/* --- master keys --- */

struct master {
    enum tsn_srtp_profile profile;
    uint8_t key[16];
    uint8_t salt[14];
    size_t salt_len;
    size_t tag;
};

static inline void master_from(enum tsn_srtp_profile profile, const uint8_t *key_salt,
                               struct master *m)
{
    memset(m, 0, sizeof *m);
    m->profile = profile;
    m->salt_len = profile == GCM ? 12 : 14;
    m->tag = profile == GCM ? 16 : 10;
    memcpy(m->key, key_salt, 16);
    memcpy(m->salt, key_salt + 16, m->salt_len);
}

/* Deterministic, non-trivial key material. */
static inline void master_pattern(enum tsn_srtp_profile profile, uint8_t seed, struct master *m)
{
    uint8_t ks[30];
    for (size_t i = 0; i < sizeof ks; i++)
        ks[i] = (uint8_t)(seed * 37 + i * 101 + (i >> 2));
    master_from(profile, ks, m);
}

/* A libsrtp session as srtp_session.c builds them: outbound allows repeated
 * indices (window 4096), inbound has a 1024-packet replay window. */
static inline srtp_t ref_session(const struct master *m, int inbound)
{
    uint8_t key_salt[30] = {0};
    srtp_policy_t pol;
    srtp_t s = NULL;
    memset(&pol, 0, sizeof pol);
    if (m->profile == GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
    } else {
        srtp_crypto_policy_set_rtp_default(&pol.rtp);
        srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
    }
    memcpy(key_salt, m->key, 16);
    memcpy(key_salt + 16, m->salt, m->salt_len);
    pol.key = key_salt;
    pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    pol.window_size = inbound ? 1024 : 4096;
    pol.allow_repeat_tx = !inbound;
    assert_int_equal(srtp_create(&s, &pol), srtp_err_status_ok);
    return s;
}

#endif
