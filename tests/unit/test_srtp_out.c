/* Unit tests for relay/srtp_out.c, the OpenSSL outbound SRTP transform,
 * against libsrtp itself: byte-exact equality with srtp_protect for both
 * profiles and many header shapes (CSRCs, a one-byte extension block, the P
 * bit, no payload), across sequence wraps and retransmissions; libsrtp's
 * srtp_unprotect accepting what we produce (ROC 0 -> 1, a retransmission
 * from before the wrap) and catching tampering; the published known-answer
 * packets; argument and room errors; the SSRC limit; and no OpenSSL
 * allocation per packet (counted through CRYPTO_set_mem_functions, which
 * main installs before anything else touches OpenSSL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "srtp_out.h"
#include "srtp_fixtures.h"

#define BUF_BYTES 1600




static struct tsn_srtp_out *ours(const struct master *m)
{
    struct tsn_srtp_out *o = tsn_srtp_out_new(m->profile, m->key, 16, m->salt, m->salt_len);
    assert_non_null(o);
    assert_int_equal(tsn_srtp_out_tag_bytes(o), m->tag);
    return o;
}


/* Header shapes: CSRC count, extension block words (-1: none), padding
 * bytes (0: P bit clear), payload bytes. */
struct shape {
    int cc;
    int ext_words;
    int pad_bytes;
    size_t payload;
};

static size_t build_rtp(uint8_t *buf, const struct shape *sh, uint16_t seq, uint32_t ssrc)
{
    size_t n = 12;
    buf[0] =
        (uint8_t)(0x80 | (sh->pad_bytes ? 0x20 : 0) | (sh->ext_words >= 0 ? 0x10 : 0) | sh->cc);
    buf[1] = (uint8_t)(96 | ((seq & 1) ? 0x80 : 0));
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    uint32_t ts = (uint32_t)seq * 3000u;
    for (int i = 0; i < 4; i++) {
        buf[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
        buf[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    }
    for (int c = 0; c < sh->cc; c++, n += 4)
        for (int i = 0; i < 4; i++)
            buf[n + (size_t)i] = (uint8_t)(0xc0 + c * 4 + i);
    if (sh->ext_words >= 0) {
        /* RFC 8285 one-byte form: id 1 (2 bytes), id 3 (1 byte), padding. */
        static const uint8_t elems[] = {0x11, 0xaa, 0xbb, 0x30, 0x7f};
        size_t ext_bytes = 4 * (size_t)sh->ext_words;
        buf[n++] = 0xbe;
        buf[n++] = 0xde;
        buf[n++] = (uint8_t)(sh->ext_words >> 8);
        buf[n++] = (uint8_t)sh->ext_words;
        for (size_t i = 0; i < ext_bytes; i++)
            buf[n + i] = i < sizeof elems ? elems[i] : 0;
        n += ext_bytes;
    }
    for (size_t i = 0; i < sh->payload; i++)
        buf[n + i] = (uint8_t)(i * 31 + seq);
    n += sh->payload;
    if (sh->pad_bytes) {
        memset(buf + n, 0, (size_t)sh->pad_bytes - 1);
        n += (size_t)sh->pad_bytes;
        buf[n - 1] = (uint8_t)sh->pad_bytes;
    }
    return n;
}

static const struct shape plain_shape = {0, -1, 0, 160};

/* Protects `plain` with both and checks they agree byte for byte; leaves
 * our output in `out` and returns its length. */
static size_t protect_both(struct tsn_srtp_out *o, srtp_t ref, const uint8_t *plain, size_t plen,
                           size_t tag, uint8_t *out)
{
    uint8_t theirs[BUF_BYTES];
    size_t len = plen;
    int n = (int)plen;
    memcpy(out, plain, plen);
    memcpy(theirs, plain, plen);
    assert_int_equal(tsn_srtp_out_protect(o, out, &len, BUF_BYTES), 0);
    assert_int_equal(srtp_protect(ref, theirs, &n), srtp_err_status_ok);
    assert_int_equal(len, plen + tag);
    assert_int_equal(n, (int)len);
    assert_memory_equal(out, theirs, len);
    return len;
}

static int group_setup(void **state)
{
    return srtp_init() == srtp_err_status_ok ? 0 : -1;
}

/* --- tests ----------------------------------------------------------------- */

static void check_known_vector(enum tsn_srtp_profile profile, const uint8_t *key_salt,
                               const uint8_t *ref, size_t ref_len)
{
    struct master m;
    master_from(profile, key_salt, &m);
    struct tsn_srtp_out *o = ours(&m);
    uint8_t buf[BUF_BYTES];
    size_t len = sizeof rtp_plain;
    memcpy(buf, rtp_plain, len);
    assert_int_equal(tsn_srtp_out_protect(o, buf, &len, sizeof buf), 0);
    assert_int_equal(len, ref_len);
    assert_memory_equal(buf, ref, ref_len);
    tsn_srtp_out_free(o);
}

static void test_known_vectors(void **state)
{
    check_known_vector(CM, cm_master, cm_srtp, sizeof cm_srtp);
    check_known_vector(GCM, gcm_master, gcm_srtp, sizeof gcm_srtp);
}

static void check_shapes_match(enum tsn_srtp_profile profile)
{
    static const struct shape shapes[] = {
        {0, -1, 0, 1200}, {0, -1, 0, 0},  {0, -1, 0, 1},   {0, -1, 0, 17},
        {3, -1, 0, 100},  {0, 2, 0, 100}, {0, 0, 0, 33},   {2, 1, 0, 999},
        {0, -1, 4, 96},   {15, 3, 7, 50}, {1, 2, 1, 1187}, {0, -1, 255, 64},
    };
    struct master m;
    master_pattern(profile, 7, &m);
    struct tsn_srtp_out *o = ours(&m);
    srtp_t ref = ref_session(&m, 0);
    uint8_t plain[BUF_BYTES], out[BUF_BYTES];
    uint16_t seq = 1000;
    /* Every shape several times in a row, so a partial keystream block left
     * over from one packet would show in the next. */
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            size_t plen = build_rtp(plain, &shapes[i], seq++, 0x11223344u);
            size_t len = protect_both(o, ref, plain, plen, m.tag, out);
            size_t hdr = plen - shapes[i].payload - (size_t)shapes[i].pad_bytes;
            assert_memory_equal(out, plain, hdr); /* header in the clear */
            if (plen > hdr + 4)
                assert_memory_not_equal(out + hdr, plain + hdr, plen - hdr);
            assert_int_equal(len, plen + m.tag);
        }
    }
    tsn_srtp_out_free(o);
    srtp_dealloc(ref);
}

static void test_matches_libsrtp_shapes_cm(void **state)
{
    check_shapes_match(CM);
}

static void test_matches_libsrtp_shapes_gcm(void **state)
{
    check_shapes_match(GCM);
}

/* Four SSRCs interleaved, each through its own sequence story: wraps with
 * steps near 2^15, retransmissions from before a wrap, a first packet above
 * 2^15, and an early out-of-order packet while the ROC is still 0 (where
 * libsrtp refuses to guess ROC -1). Every packet must match libsrtp. */
static void check_sequences_match(enum tsn_srtp_profile profile)
{
    /* Each story stays within libsrtp's 4096-packet outbound window when it
     * goes back (libsrtp refuses older indices; srtp_out does not). The
     * third ends with a retransmission 4000 back across a wrap followed by
     * a jump of 29000 ahead: estimated from the newest packet that is the
     * same ROC, estimated from the retransmission it would be one less. */
    static const int32_t story[4][16] = {
        {65530, 65531, 65532, 65534, 65535, 0, 1, 3, 65533, 2, 4, 5, 62000, 6, 7, -1},
        {40000, 50000, 60000, 65000, 100, 30000, 32000, 32767, 33000, 64000, 100, 62000, 1000, 2000,
         -1},
        {10, 65535, 20, 30, 32768, 32769, 65535, 1, 0, 65534, 2, 1000, 62536, 30000, -1},
        {0, 0, 1, 5000, 37000, 36000, 37001, 65000, 62000, 100, 65535, 3000, 200, -1},
    };
    struct master m;
    master_pattern(profile, 42, &m);
    struct tsn_srtp_out *o = ours(&m);
    srtp_t ref = ref_session(&m, 0);
    uint8_t plain[BUF_BYTES], out[BUF_BYTES];
    int done[4] = {0};
    for (int step = 0; step < 16; step++) {
        for (int s = 0; s < 4; s++) {
            if (done[s] || story[s][step] < 0) {
                done[s] = 1;
                continue;
            }
            size_t plen =
                build_rtp(plain, &plain_shape, (uint16_t)story[s][step], 0xa0000000u + (uint32_t)s);
            protect_both(o, ref, plain, plen, m.tag, out);
        }
    }
    /* A long run: three wraps in steps of 997. */
    for (uint32_t i = 0; i < 3 * 66; i++) {
        size_t plen = build_rtp(plain, &plain_shape, (uint16_t)(i * 997u), 0xa0000003u);
        protect_both(o, ref, plain, plen, m.tag, out);
    }
    tsn_srtp_out_free(o);
    srtp_dealloc(ref);
}

static void test_matches_libsrtp_sequences_cm(void **state)
{
    check_sequences_match(CM);
}

static void test_matches_libsrtp_sequences_gcm(void **state)
{
    check_sequences_match(GCM);
}

/* libsrtp's receiver accepts our packets across the wrap 65530 -> 5 (ROC 0
 * to 1), then a retransmission of 65533 (lost the first time, ROC 0) after
 * the wrap; a second copy of it is a replay. */
static void check_libsrtp_unprotects(enum tsn_srtp_profile profile)
{
    struct master m;
    master_pattern(profile, 3, &m);
    struct tsn_srtp_out *o = ours(&m);
    srtp_t rx = ref_session(&m, 1);
    const uint32_t ssrc = 0x5eed0001u;
    uint8_t plain[BUF_BYTES], buf[BUF_BYTES], lost[BUF_BYTES];
    size_t lost_len = 0;
    for (uint32_t i = 65530; i <= 65536 + 5; i++) {
        uint16_t seq = (uint16_t)i;
        size_t plen = build_rtp(plain, &plain_shape, seq, ssrc);
        size_t len = plen;
        memcpy(buf, plain, plen);
        assert_int_equal(tsn_srtp_out_protect(o, buf, &len, sizeof buf), 0);
        if (seq == 65533) {
            memcpy(lost, buf, len);
            lost_len = len;
            continue;
        }
        int n = (int)len;
        assert_int_equal(srtp_unprotect(rx, buf, &n), srtp_err_status_ok);
        assert_int_equal(n, (int)plen);
        assert_memory_equal(buf, plain, plen);
    }
    uint32_t roc = 99;
    assert_int_equal(srtp_get_stream_roc(rx, ssrc, &roc), srtp_err_status_ok);
    assert_int_equal(roc, 1);

    /* The retransmission, protected again from the plaintext after the
     * wrap, is the same packet as the first copy and is accepted. */
    size_t plen = build_rtp(plain, &plain_shape, 65533, ssrc);
    size_t len = plen;
    memcpy(buf, plain, plen);
    assert_int_equal(tsn_srtp_out_protect(o, buf, &len, sizeof buf), 0);
    assert_int_equal(len, lost_len);
    assert_memory_equal(buf, lost, len);
    int n = (int)len;
    assert_int_equal(srtp_unprotect(rx, buf, &n), srtp_err_status_ok);
    assert_memory_equal(buf, plain, plen);
    n = (int)lost_len;
    assert_int_equal(srtp_unprotect(rx, lost, &n), srtp_err_status_replay_fail);

    /* And forward again at ROC 1. */
    plen = build_rtp(plain, &plain_shape, 6, ssrc);
    len = plen;
    memcpy(buf, plain, plen);
    assert_int_equal(tsn_srtp_out_protect(o, buf, &len, sizeof buf), 0);
    n = (int)len;
    assert_int_equal(srtp_unprotect(rx, buf, &n), srtp_err_status_ok);
    assert_memory_equal(buf, plain, plen);
    tsn_srtp_out_free(o);
    srtp_dealloc(rx);
}

static void test_libsrtp_unprotects_across_wrap_cm(void **state)
{
    check_libsrtp_unprotects(CM);
}

static void test_libsrtp_unprotects_across_wrap_gcm(void **state)
{
    check_libsrtp_unprotects(GCM);
}

/* One flipped bit anywhere, or a truncated tag, fails libsrtp's check; a
 * receiver with the other half of the keys fails too. */
static void check_tamper(enum tsn_srtp_profile profile)
{
    static const struct shape sh = {2, 1, 3, 300};
    struct master m, other;
    master_pattern(profile, 11, &m);
    master_pattern(profile, 12, &other);
    struct tsn_srtp_out *o = ours(&m);
    srtp_t rx = ref_session(&m, 1), wrong = ref_session(&other, 1);
    uint8_t sent[BUF_BYTES], buf[BUF_BYTES];
    size_t len = build_rtp(sent, &sh, 77, 42);
    assert_int_equal(tsn_srtp_out_protect(o, sent, &len, sizeof sent), 0);
    size_t spots[] = {0, 1, 3, 8, 11, 12, 20, 30, 100, len - m.tag - 1, len - m.tag, len - 1};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            int n = (int)len;
            memcpy(buf, sent, len);
            buf[spots[i]] ^= (uint8_t)(1u << bit);
            srtp_err_status_t st = srtp_unprotect(rx, buf, &n);
            /* A flip in the CSRC count or X bit may make the header not
             * parse at all; any refusal is fine, acceptance is not. */
            assert_int_not_equal(st, srtp_err_status_ok);
            if (spots[i] != 0)
                assert_int_equal(st, srtp_err_status_auth_fail);
        }
    }
    int n = (int)len - 1;
    memcpy(buf, sent, len);
    assert_int_equal(srtp_unprotect(rx, buf, &n), srtp_err_status_auth_fail);
    n = (int)len;
    memcpy(buf, sent, len);
    assert_int_equal(srtp_unprotect(wrong, buf, &n), srtp_err_status_auth_fail);
    n = (int)len;
    assert_int_equal(srtp_unprotect(rx, sent, &n), srtp_err_status_ok);
    tsn_srtp_out_free(o);
    srtp_dealloc(rx);
    srtp_dealloc(wrong);
}

static void test_tamper_detected_by_libsrtp(void **state)
{
    check_tamper(CM);
    check_tamper(GCM);
}

/* -ENOSPC leaves packet and length alone; exactly enough room works and
 * nothing is written past the tag. */
static void check_room(enum tsn_srtp_profile profile)
{
    struct master m;
    master_pattern(profile, 5, &m);
    struct tsn_srtp_out *o = ours(&m);
    uint8_t plain[BUF_BYTES], buf[BUF_BYTES];
    size_t plen = build_rtp(plain, &plain_shape, 9, 9);
    size_t len = plen;
    memcpy(buf, plain, plen);
    memset(buf + plen, 0xee, sizeof buf - plen);
    assert_int_equal(tsn_srtp_out_protect(o, buf, &len, plen + m.tag - 1), -ENOSPC);
    assert_int_equal(len, plen);
    assert_memory_equal(buf, plain, plen);
    assert_int_equal(tsn_srtp_out_protect(o, buf, &len, 0), -ENOSPC);
    assert_int_equal(tsn_srtp_out_protect(o, buf, &len, plen + m.tag), 0);
    assert_int_equal(len, plen + m.tag);
    for (size_t i = len; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xee);
    tsn_srtp_out_free(o);
}

static void test_buffer_room(void **state)
{
    check_room(CM);
    check_room(GCM);
}

static void test_bad_input(void **state)
{
    struct master m;
    master_pattern(CM, 1, &m);
    struct tsn_srtp_out *o = ours(&m);
    uint8_t buf[BUF_BYTES], copy[BUF_BYTES];
    size_t len;
    memset(buf, 0x80, sizeof buf);
    for (size_t n = 0; n < 12; n++) {
        len = n;
        assert_int_equal(tsn_srtp_out_protect(o, buf, &len, sizeof buf), -EINVAL);
        assert_int_equal(len, n);
    }
    len = build_rtp(buf, &plain_shape, 1, 1);
    buf[0] = 0x40; /* version 1 */
    assert_int_equal(tsn_srtp_out_protect(o, buf, &len, sizeof buf), -EINVAL);
    assert_int_equal(tsn_srtp_out_protect(NULL, buf, &len, sizeof buf), -EINVAL);
    assert_int_equal(tsn_srtp_out_protect(o, NULL, &len, sizeof buf), -EINVAL);
    assert_int_equal(tsn_srtp_out_protect(o, buf, NULL, sizeof buf), -EINVAL);

    /* CSRCs past the end: 15 CSRCs need 72 bytes. */
    static const struct shape csrcs = {15, -1, 0, 0};
    size_t full = build_rtp(buf, &csrcs, 1, 1);
    assert_int_equal(full, 72);
    len = 71;
    memcpy(copy, buf, full);
    assert_int_equal(tsn_srtp_out_protect(o, buf, &len, sizeof buf), -EINVAL);
    assert_memory_equal(buf, copy, full);
    len = 72; /* header only: protects */
    assert_int_equal(tsn_srtp_out_protect(o, buf, &len, sizeof buf), 0);

    /* Extension header or its body past the end. */
    static const struct shape ext = {0, 2, 0, 0};
    full = build_rtp(buf, &ext, 2, 1);
    assert_int_equal(full, 24);
    for (len = 12; len < 24; len++) {
        size_t l = len;
        assert_int_equal(tsn_srtp_out_protect(o, buf, &l, sizeof buf), -EINVAL);
    }
    buf[14] = 0xff; /* 65280 + 2 words claimed */
    len = full;
    assert_int_equal(tsn_srtp_out_protect(o, buf, &len, sizeof buf), -EINVAL);
    tsn_srtp_out_free(o);

    /* Constructor arguments. */
    assert_null(tsn_srtp_out_new(CM, m.key, 16, m.salt, 12));
    assert_null(tsn_srtp_out_new(GCM, m.key, 16, m.salt, 14));
    assert_null(tsn_srtp_out_new(CM, m.key, 32, m.salt, 14));
    assert_null(tsn_srtp_out_new(CM, NULL, 16, m.salt, 14));
    assert_null(tsn_srtp_out_new(CM, m.key, 16, NULL, 14));
    assert_null(tsn_srtp_out_new((enum tsn_srtp_profile)2, m.key, 16, m.salt, 14));
    assert_int_equal(tsn_srtp_out_tag_bytes(NULL), 0);
    tsn_srtp_out_free(NULL);
}

/* Four SSRCs are tracked; a fifth is declined untouched, and stays declined
 * while the first four go on. */
static void test_declines_fifth_ssrc(void **state)
{
    struct master m;
    master_pattern(GCM, 9, &m);
    struct tsn_srtp_out *o = ours(&m);
    srtp_t ref = ref_session(&m, 0);
    uint8_t plain[BUF_BYTES], out[BUF_BYTES];
    for (int round = 0; round < 2; round++) {
        for (uint32_t ssrc = 1; ssrc <= TSN_SRTP_OUT_MAX_SSRCS; ssrc++) {
            size_t plen = build_rtp(plain, &plain_shape, (uint16_t)(round + 10), ssrc);
            protect_both(o, ref, plain, plen, m.tag, out);
        }
        for (uint32_t ssrc = 100; ssrc < 102; ssrc++) {
            size_t plen = build_rtp(plain, &plain_shape, 10, ssrc);
            size_t len = plen;
            memcpy(out, plain, plen);
            assert_int_equal(tsn_srtp_out_protect(o, out, &len, sizeof out), TSN_SRTP_OUT_DECLINED);
            assert_int_equal(len, plen);
            assert_memory_equal(out, plain, plen);
        }
    }
    tsn_srtp_out_free(o);
    srtp_dealloc(ref);
}

/* Once keyed, protecting allocates nothing through OpenSSL. */
static void check_no_alloc(enum tsn_srtp_profile profile)
{
    static const struct shape sh = {0, -1, 0, 1188};
    struct master m;
    master_pattern(profile, 21, &m);
    struct tsn_srtp_out *o = ours(&m);
    uint8_t plain[BUF_BYTES], buf[BUF_BYTES];
    size_t plen = build_rtp(plain, &sh, 0, 1);
    assert_true(mem_hooked);
    long before = openssl_allocs;
    for (uint32_t i = 0; i < 20000; i++) {
        size_t len = plen;
        memcpy(buf, plain, plen);
        buf[2] = (uint8_t)(i >> 8);
        buf[3] = (uint8_t)i;
        assert_int_equal(tsn_srtp_out_protect(o, buf, &len, sizeof buf), 0);
    }
    assert_int_equal(openssl_allocs - before, 0);
    /* The counter does see OpenSSL allocating: creating an object does. */
    struct tsn_srtp_out *o2 = ours(&m);
    assert_true(openssl_allocs - before > 0);
    tsn_srtp_out_free(o2);
    tsn_srtp_out_free(o);
}

static void test_no_openssl_alloc_per_packet(void **state)
{
    check_no_alloc(CM);
    check_no_alloc(GCM);
}

int main(void)
{
    /* Must come before OpenSSL's first allocation. */
    mem_hooked = CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vectors),
        cmocka_unit_test(test_matches_libsrtp_shapes_cm),
        cmocka_unit_test(test_matches_libsrtp_shapes_gcm),
        cmocka_unit_test(test_matches_libsrtp_sequences_cm),
        cmocka_unit_test(test_matches_libsrtp_sequences_gcm),
        cmocka_unit_test(test_libsrtp_unprotects_across_wrap_cm),
        cmocka_unit_test(test_libsrtp_unprotects_across_wrap_gcm),
        cmocka_unit_test(test_tamper_detected_by_libsrtp),
        cmocka_unit_test(test_buffer_room),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_declines_fifth_ssrc),
        cmocka_unit_test(test_no_openssl_alloc_per_packet),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
