/* Unit tests for relay/srtp_session.c: known-answer vectors for both
 * profiles, round trips with keys from a real in-memory DTLS handshake,
 * tamper and replay detection, retransmission, buffer room, and the RFC 5764
 * key split and its direction (the DTLS server sends with the server half). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "cert.h"
#include "dtls.h"
#include "srtp_session.h"
#include "srtp_fixtures.h"

/* SRTCP reference packets from libsrtp's test/srtp_driver.c (the SRTP ones
 * and the master keys are in srtp_fixtures.h): first SRTCP index 1. */
static const uint8_t rtcp_plain[24] = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe,
                                       0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                       0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
static const uint8_t cm_srtcp[38] = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28,
                                     0x03, 0x5b, 0xe4, 0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41,
                                     0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00, 0x00, 0x01, 0x99, 0x3e,
                                     0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98};
static const uint8_t gcm_srtcp[44] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b, 0x5d, 0xf0, 0x39, 0x2a,
    0x55, 0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e, 0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3,
    0xb4, 0x46, 0xea, 0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01};

#define BUF_BYTES 1600

static int group_setup(void **state)
{
    return tsn_srtp_global_init() == 0 ? 0 : -1;
}

/* Material in RFC 5764 order with the reference master key as the SERVER
 * half; the client half is filler that must not be used for sending. */
static void keys_with_server_master(enum tsn_srtp_profile profile, const uint8_t *master,
                                    struct tsn_srtp_keys *k)
{
    size_t salt = profile == TSN_SRTP_AEAD_AES_128_GCM ? 12 : 14;
    uint8_t material[60];
    memset(material, 0x5a, sizeof material);
    memcpy(material + 16, master, 16);               /* server_key */
    memcpy(material + 32 + salt, master + 16, salt); /* server_salt */
    assert_int_equal(tsn_srtp_material_len(profile), 2 * (16 + salt));
    assert_int_equal(tsn_srtp_keys_from_material(profile, material, 2 * (16 + salt), k), 0);
}

static void check_known_vectors(enum tsn_srtp_profile profile, const uint8_t *master,
                                const uint8_t *srtp_ref, size_t srtp_len, const uint8_t *srtcp_ref,
                                size_t srtcp_len)
{
    struct tsn_srtp_keys k;
    keys_with_server_master(profile, master, &k);
    struct tsn_srtp *server = tsn_srtp_new(&k, 1);
    struct tsn_srtp *client = tsn_srtp_new(&k, 0);
    assert_non_null(server);
    assert_non_null(client);

    uint8_t buf[BUF_BYTES];
    size_t len = sizeof rtp_plain;
    memcpy(buf, rtp_plain, len);
    assert_int_equal(tsn_srtp_protect(server, buf, &len, sizeof buf), 0);
    assert_int_equal(len, srtp_len);
    assert_memory_equal(buf, srtp_ref, srtp_len);
    assert_int_equal(tsn_srtp_unprotect(client, buf, &len), 0);
    assert_int_equal(len, sizeof rtp_plain);
    assert_memory_equal(buf, rtp_plain, len);

    len = sizeof rtcp_plain;
    memcpy(buf, rtcp_plain, len);
    assert_int_equal(tsn_srtp_protect_rtcp(server, buf, &len, sizeof buf), 0);
    assert_int_equal(len, srtcp_len);
    assert_memory_equal(buf, srtcp_ref, srtcp_len);
    assert_int_equal(tsn_srtp_unprotect_rtcp(client, buf, &len), 0);
    assert_int_equal(len, sizeof rtcp_plain);
    assert_memory_equal(buf, rtcp_plain, len);

    /* The client sends with the other half: its packet is not the vector. */
    len = sizeof rtp_plain;
    memcpy(buf, rtp_plain, len);
    assert_int_equal(tsn_srtp_protect(client, buf, &len, sizeof buf), 0);
    assert_memory_not_equal(buf, srtp_ref, srtp_len);
    tsn_srtp_free(server);
    tsn_srtp_free(client);
}

static void test_known_vectors_aes_cm(void **state)
{
    check_known_vectors(TSN_SRTP_AES128_CM_SHA1_80, cm_master, cm_srtp, sizeof cm_srtp, cm_srtcp,
                        sizeof cm_srtcp);
}

static void test_known_vectors_gcm(void **state)
{
    check_known_vectors(TSN_SRTP_AEAD_AES_128_GCM, gcm_master, gcm_srtp, sizeof gcm_srtp, gcm_srtcp,
                        sizeof gcm_srtcp);
}

/* Keys from a real in-memory DTLS handshake between two tsn_dtls. */
static void handshake_keys(struct tsn_srtp_keys *client_keys, struct tsn_srtp_keys *server_keys)
{
    struct tsn_cert *cc = tsn_cert_generate("c", 1), *sc = tsn_cert_generate("s", 1);
    assert_non_null(cc);
    assert_non_null(sc);
    char cfp[TSN_FINGERPRINT_LEN], sfp[TSN_FINGERPRINT_LEN];
    tsn_cert_fingerprint(cc, cfp);
    tsn_cert_fingerprint(sc, sfp);
    struct tsn_dtls_ctx *cctx = tsn_dtls_ctx_new(cc), *sctx = tsn_dtls_ctx_new(sc);
    struct tsn_dtls *c = tsn_dtls_new(cctx, TSN_DTLS_CLIENT, sfp);
    struct tsn_dtls *s = tsn_dtls_new(sctx, TSN_DTLS_SERVER, cfp);
    assert_int_equal(tsn_dtls_connect(c), 0);
    uint8_t buf[2048];
    for (int round = 0; round < 10; round++) {
        int n, moved = 0;
        while ((n = tsn_dtls_pop(c, buf, sizeof buf)) > 0) {
            tsn_dtls_feed(s, buf, (size_t)n);
            moved++;
        }
        while ((n = tsn_dtls_pop(s, buf, sizeof buf)) > 0) {
            tsn_dtls_feed(c, buf, (size_t)n);
            moved++;
        }
        if (!moved)
            break;
    }
    assert_int_equal(tsn_dtls_srtp_keys(c, client_keys), 0);
    assert_int_equal(tsn_dtls_srtp_keys(s, server_keys), 0);
    tsn_dtls_free(c);
    tsn_dtls_free(s);
    tsn_dtls_ctx_free(cctx);
    tsn_dtls_ctx_free(sctx);
    tsn_cert_free(cc);
    tsn_cert_free(sc);
}

/* An RTP packet: version 2, payload type 96, `seq`, `ssrc`, payload bytes
 * derived from seq so every packet differs. */
static size_t make_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, size_t payload_bytes)
{
    buf[0] = 0x80;
    buf[1] = 96;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    uint32_t ts = (uint32_t)seq * 3000u;
    for (int i = 0; i < 4; i++) {
        buf[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
        buf[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    }
    for (size_t i = 0; i < payload_bytes; i++)
        buf[12 + i] = (uint8_t)(i * 31 + seq);
    return 12 + payload_bytes;
}

/* A receiver report with one block, from `ssrc`. */
static size_t make_rtcp_rr(uint8_t *buf, uint32_t ssrc)
{
    memset(buf, 0, 32);
    buf[0] = 0x81;
    buf[1] = 201;
    buf[3] = 7; /* length in words minus one */
    for (int i = 0; i < 4; i++)
        buf[4 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    for (int i = 8; i < 32; i++)
        buf[i] = (uint8_t)i;
    return 32;
}

/* Sends RTP and RTCP both ways between a DTLS server's and client's
 * sessions and checks every byte comes back. */
static void check_round_trips(const struct tsn_srtp_keys *ck, const struct tsn_srtp_keys *sk)
{
    struct tsn_srtp *server = tsn_srtp_new(sk, 1);
    struct tsn_srtp *client = tsn_srtp_new(ck, 0);
    assert_non_null(server);
    assert_non_null(client);
    uint8_t plain[BUF_BYTES], buf[BUF_BYTES];
    size_t tag = sk->profile == TSN_SRTP_AEAD_AES_128_GCM ? 16 : 10;

    for (int dir = 0; dir < 2; dir++) {
        struct tsn_srtp *tx = dir ? client : server, *rx = dir ? server : client;
        for (uint16_t seq = 1; seq < 60; seq++) {
            size_t plen = make_rtp(plain, seq, 0x11223344u + (uint32_t)dir, (size_t)seq * 20);
            size_t len = plen;
            memcpy(buf, plain, len);
            assert_int_equal(tsn_srtp_protect(tx, buf, &len, sizeof buf), 0);
            assert_int_equal(len, plen + tag);
            assert_memory_equal(buf, plain, 12); /* header in the clear */
            assert_memory_not_equal(buf + 12, plain + 12, plen - 12);
            assert_int_equal(tsn_srtp_unprotect(rx, buf, &len), 0);
            assert_int_equal(len, plen);
            assert_memory_equal(buf, plain, plen);
        }
        for (int i = 0; i < 5; i++) {
            size_t plen = make_rtcp_rr(plain, 0x55667788u);
            size_t len = plen;
            memcpy(buf, plain, len);
            assert_int_equal(tsn_srtp_protect_rtcp(tx, buf, &len, sizeof buf), 0);
            assert_int_equal(len, plen + tag + 4);
            assert_memory_not_equal(buf + 8, plain + 8, plen - 8);
            /* E flag set, SRTCP index counting from 1: before the tag with
             * AES-CM (RFC 3711 3.4), after it with GCM (RFC 7714 17). */
            size_t at = tag == 16 ? plen + tag : plen;
            assert_int_equal(buf[at], 0x80);
            assert_int_equal(buf[at + 3], i + 1);
            assert_int_equal(tsn_srtp_unprotect_rtcp(rx, buf, &len), 0);
            assert_int_equal(len, plen);
            assert_memory_equal(buf, plain, plen);
        }
    }
    /* A packet a side sent cannot be read back by the same side: the two
     * directions use different keys. */
    size_t len = make_rtp(buf, 500, 1, 100);
    assert_int_equal(tsn_srtp_protect(server, buf, &len, sizeof buf), 0);
    assert_int_equal(tsn_srtp_unprotect(server, buf, &len), -EACCES);
    tsn_srtp_free(server);
    tsn_srtp_free(client);
}

static void test_round_trip_gcm_from_handshake(void **state)
{
    struct tsn_srtp_keys ck, sk;
    handshake_keys(&ck, &sk);
    assert_int_equal(sk.profile, TSN_SRTP_AEAD_AES_128_GCM);
    check_round_trips(&ck, &sk);
}

static void fixed_cm_keys(struct tsn_srtp_keys *k)
{
    uint8_t material[60];
    for (size_t i = 0; i < sizeof material; i++)
        material[i] = (uint8_t)(i * 7 + 3);
    assert_int_equal(tsn_srtp_keys_from_material(TSN_SRTP_AES128_CM_SHA1_80, material, 60, k), 0);
    assert_int_equal(k->salt_len, 14);
    assert_memory_equal(k->client_key, material, 16);
    assert_memory_equal(k->server_key, material + 16, 16);
    assert_memory_equal(k->client_salt, material + 32, 14);
    assert_memory_equal(k->server_salt, material + 46, 14);
}

static void test_round_trip_aes_cm_fixed_material(void **state)
{
    struct tsn_srtp_keys k;
    fixed_cm_keys(&k);
    check_round_trips(&k, &k);
}

static void check_tamper(const struct tsn_srtp_keys *k)
{
    struct tsn_srtp *tx = tsn_srtp_new(k, 1), *rx = tsn_srtp_new(k, 0);
    uint8_t sent[BUF_BYTES], buf[BUF_BYTES];
    size_t len = make_rtp(sent, 10, 42, 200);
    assert_int_equal(tsn_srtp_protect(tx, sent, &len, sizeof sent), 0);
    /* One flipped bit anywhere (header, payload, tag) fails authentication,
     * and a failed packet does not poison the replay window. */
    size_t spots[] = {1, 3, 11, 12, 100, len - 1};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        size_t l = len;
        memcpy(buf, sent, len);
        buf[spots[i]] ^= 0x01;
        assert_int_equal(tsn_srtp_unprotect(rx, buf, &l), -EACCES);
    }
    size_t l = len - 1; /* truncated */
    memcpy(buf, sent, len);
    assert_int_equal(tsn_srtp_unprotect(rx, buf, &l), -EACCES);
    l = len;
    memcpy(buf, sent, len);
    assert_int_equal(tsn_srtp_unprotect(rx, buf, &l), 0);

    len = make_rtcp_rr(sent, 42);
    assert_int_equal(tsn_srtp_protect_rtcp(tx, sent, &len, sizeof sent), 0);
    l = len;
    memcpy(buf, sent, len);
    buf[9] ^= 0x80;
    assert_int_equal(tsn_srtp_unprotect_rtcp(rx, buf, &l), -EACCES);
    tsn_srtp_free(tx);
    tsn_srtp_free(rx);
}

static void test_tamper_detected(void **state)
{
    struct tsn_srtp_keys ck, sk, cm;
    handshake_keys(&ck, &sk);
    check_tamper(&sk);
    fixed_cm_keys(&cm);
    check_tamper(&cm);
}

static void check_replay(const struct tsn_srtp_keys *k)
{
    struct tsn_srtp *tx = tsn_srtp_new(k, 1), *rx = tsn_srtp_new(k, 0);
    uint8_t sent[BUF_BYTES], buf[BUF_BYTES];
    size_t len = make_rtp(sent, 3000, 7, 50);
    assert_int_equal(tsn_srtp_protect(tx, sent, &len, sizeof sent), 0);
    size_t l = len;
    memcpy(buf, sent, len);
    assert_int_equal(tsn_srtp_unprotect(rx, buf, &l), 0);
    l = len;
    memcpy(buf, sent, len);
    assert_int_equal(tsn_srtp_unprotect(rx, buf, &l), -EALREADY);

    /* Far ahead, then one more than the 1024-packet window behind it. */
    len = make_rtp(sent, 5000, 7, 50);
    assert_int_equal(tsn_srtp_protect(tx, sent, &len, sizeof sent), 0);
    assert_int_equal(tsn_srtp_unprotect(rx, sent, &len), 0);
    len = make_rtp(sent, 5000 - 1025, 7, 50);
    assert_int_equal(tsn_srtp_protect(tx, sent, &len, sizeof sent), 0);
    assert_int_equal(tsn_srtp_unprotect(rx, sent, &len), -EALREADY);
    /* Late but inside the window: accepted once. */
    len = make_rtp(sent, 5000 - 1000, 7, 50);
    assert_int_equal(tsn_srtp_protect(tx, sent, &len, sizeof sent), 0);
    memcpy(buf, sent, len);
    l = len;
    assert_int_equal(tsn_srtp_unprotect(rx, buf, &l), 0);
    assert_int_equal(tsn_srtp_unprotect(rx, sent, &len), -EALREADY);

    len = make_rtcp_rr(sent, 7);
    assert_int_equal(tsn_srtp_protect_rtcp(tx, sent, &len, sizeof sent), 0);
    l = len;
    memcpy(buf, sent, len);
    assert_int_equal(tsn_srtp_unprotect_rtcp(rx, buf, &l), 0);
    assert_int_equal(tsn_srtp_unprotect_rtcp(rx, sent, &len), -EALREADY);
    tsn_srtp_free(tx);
    tsn_srtp_free(rx);
}

static void test_replay_detected(void **state)
{
    struct tsn_srtp_keys ck, sk, cm;
    handshake_keys(&ck, &sk);
    check_replay(&sk);
    fixed_cm_keys(&cm);
    check_replay(&cm);
}

/* A NACKed packet is protected again from the plaintext cache: allowed, the
 * same bytes come out, and a receiver that lost the first copy accepts it. */
static void test_retransmission_protects_again(void **state)
{
    struct tsn_srtp_keys k;
    fixed_cm_keys(&k);
    struct tsn_srtp *tx = tsn_srtp_new(&k, 1), *rx = tsn_srtp_new(&k, 0);
    uint8_t plain[BUF_BYTES], first[BUF_BYTES], again[BUF_BYTES];
    size_t plen = make_rtp(plain, 100, 9, 300);
    size_t l1 = plen, l2 = plen;
    memcpy(first, plain, plen);
    assert_int_equal(tsn_srtp_protect(tx, first, &l1, sizeof first), 0);
    /* Later packets go out; 100 is lost on the way. */
    for (uint16_t seq = 101; seq < 1100; seq++) {
        size_t len = make_rtp(again, seq, 9, 40);
        assert_int_equal(tsn_srtp_protect(tx, again, &len, sizeof again), 0);
        assert_int_equal(tsn_srtp_unprotect(rx, again, &len), 0);
    }
    memcpy(again, plain, plen);
    assert_int_equal(tsn_srtp_protect(tx, again, &l2, sizeof again), 0);
    assert_int_equal(l1, l2);
    assert_memory_equal(first, again, l1);
    assert_int_equal(tsn_srtp_unprotect(rx, again, &l2), 0);
    assert_memory_equal(again, plain, plen);
    tsn_srtp_free(tx);
    tsn_srtp_free(rx);
}

/* protect checks the room it needs and writes nothing past it. GCM SRTCP
 * needs the full TSN_SRTP_MAX_TRAILER (16-byte tag + 4-byte index). */
static void test_trailer_room(void **state)
{
    struct tsn_srtp_keys ck, sk;
    handshake_keys(&ck, &sk);
    struct tsn_srtp *tx = tsn_srtp_new(&sk, 1);
    uint8_t buf[64 + TSN_SRTP_MAX_TRAILER + 8];
    size_t len = make_rtcp_rr(buf, 1);
    memset(buf + len, 0xee, sizeof buf - len);
    assert_int_equal(tsn_srtp_protect_rtcp(tx, buf, &len, len + 19), -ENOSPC);
    assert_int_equal(len, 32);
    assert_int_equal(tsn_srtp_protect_rtcp(tx, buf, &len, 32 + TSN_SRTP_MAX_TRAILER), 0);
    assert_int_equal(len, 32 + TSN_SRTP_MAX_TRAILER);
    for (size_t i = len; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xee);

    len = make_rtp(buf, 1, 1, 20);
    memset(buf + len, 0xee, sizeof buf - len);
    assert_int_equal(tsn_srtp_protect(tx, buf, &len, len + 15), -ENOSPC);
    assert_int_equal(tsn_srtp_protect(tx, buf, &len, len + 16), 0);
    assert_int_equal(len, 32 + 16);
    for (size_t i = len; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xee);
    tsn_srtp_free(tx);
}

static void test_bad_input(void **state)
{
    struct tsn_srtp_keys k;
    fixed_cm_keys(&k);
    struct tsn_srtp *s = tsn_srtp_new(&k, 0);
    uint8_t buf[BUF_BYTES];
    memset(buf, 0x80, sizeof buf);
    for (size_t n = 0; n < 22; n++) {
        size_t l = n;
        assert_int_equal(tsn_srtp_unprotect(s, buf, &l), -EBADMSG);
        l = n;
        assert_int_equal(tsn_srtp_unprotect_rtcp(s, buf, &l), -EBADMSG);
    }
    /* Not version 2. */
    size_t l = 100;
    buf[0] = 0x40;
    assert_int_equal(tsn_srtp_unprotect(s, buf, &l), -EBADMSG);
    /* A header claiming 15 CSRCs and an extension past the end. */
    buf[0] = 0x9f;
    l = 40;
    assert_int_not_equal(tsn_srtp_unprotect(s, buf, &l), 0);
    l = 8;
    assert_int_equal(tsn_srtp_protect(s, buf, &l, sizeof buf), -EINVAL);
    assert_int_equal(tsn_srtp_protect(NULL, buf, &l, sizeof buf), -EINVAL);
    tsn_srtp_free(s);
    tsn_srtp_free(NULL);
}

static void test_key_material_split(void **state)
{
    uint8_t m[60];
    struct tsn_srtp_keys k;
    for (size_t i = 0; i < sizeof m; i++)
        m[i] = (uint8_t)i;
    assert_int_equal(tsn_srtp_material_len(TSN_SRTP_AES128_CM_SHA1_80), 60);
    assert_int_equal(tsn_srtp_material_len(TSN_SRTP_AEAD_AES_128_GCM), 56);
    assert_int_equal(tsn_srtp_material_len((enum tsn_srtp_profile)2), 0);
    assert_int_equal(tsn_srtp_keys_from_material(TSN_SRTP_AEAD_AES_128_GCM, m, 56, &k), 0);
    assert_int_equal(k.profile, TSN_SRTP_AEAD_AES_128_GCM);
    assert_int_equal(k.key_len, 16);
    assert_int_equal(k.salt_len, 12);
    assert_int_equal(k.client_key[0], 0);
    assert_int_equal(k.server_key[0], 16);
    assert_int_equal(k.client_salt[0], 32);
    assert_int_equal(k.server_salt[0], 44);
    assert_int_equal(k.server_salt[11], 55);
    assert_int_equal(tsn_srtp_keys_from_material(TSN_SRTP_AEAD_AES_128_GCM, m, 55, &k), -EINVAL);
    assert_int_equal(tsn_srtp_keys_from_material(TSN_SRTP_AES128_CM_SHA1_80, m, 59, &k), -EINVAL);
    assert_int_equal(tsn_srtp_keys_from_material((enum tsn_srtp_profile)2, m, 60, &k), -EINVAL);
    assert_int_equal(tsn_srtp_keys_from_material(TSN_SRTP_AES128_CM_SHA1_80, NULL, 60, &k),
                     -EINVAL);
    assert_string_equal(tsn_srtp_profile_name(TSN_SRTP_AES128_CM_SHA1_80),
                        "SRTP_AES128_CM_SHA1_80");
    assert_string_equal(tsn_srtp_profile_name(TSN_SRTP_AEAD_AES_128_GCM), "SRTP_AEAD_AES_128_GCM");
    assert_string_equal(tsn_srtp_profile_name((enum tsn_srtp_profile)99), "unknown");

    /* Inconsistent keys are refused. */
    assert_int_equal(tsn_srtp_keys_from_material(TSN_SRTP_AES128_CM_SHA1_80, m, 60, &k), 0);
    k.salt_len = 12;
    assert_null(tsn_srtp_new(&k, 1));
    k.salt_len = 14;
    k.profile = (enum tsn_srtp_profile)2;
    assert_null(tsn_srtp_new(&k, 1));
    assert_null(tsn_srtp_new(NULL, 1));
}

/* One session carries several SSRCs (video, audio, RTX) in each direction. */
static void test_many_ssrcs(void **state)
{
    struct tsn_srtp_keys ck, sk;
    handshake_keys(&ck, &sk);
    struct tsn_srtp *tx = tsn_srtp_new(&sk, 1), *rx = tsn_srtp_new(&ck, 0);
    uint8_t plain[BUF_BYTES], buf[BUF_BYTES];
    for (uint16_t seq = 0; seq < 20; seq++) {
        for (uint32_t ssrc = 1; ssrc <= 4; ssrc++) {
            size_t plen = make_rtp(plain, (uint16_t)(seq + ssrc * 1000), ssrc, 64);
            size_t len = plen;
            memcpy(buf, plain, plen);
            assert_int_equal(tsn_srtp_protect(tx, buf, &len, sizeof buf), 0);
            assert_int_equal(tsn_srtp_unprotect(rx, buf, &len), 0);
            assert_memory_equal(buf, plain, plen);
        }
    }
    tsn_srtp_free(tx);
    tsn_srtp_free(rx);
}

/* libsrtp's own outbound session with the DTLS server's half of `k`, as a
 * reference for what tsn_srtp_protect must produce. */
static srtp_t reference_out(const struct tsn_srtp_keys *k)
{
    uint8_t key_salt[30] = {0};
    struct master m;
    memcpy(key_salt, k->server_key, 16);
    memcpy(key_salt + 16, k->server_salt, k->salt_len);
    master_from(k->profile, key_salt, &m);
    return ref_session(&m, 0);
}

/* tsn_srtp_protect (OpenSSL for the first SSRCs, libsrtp past them) gives
 * libsrtp's bytes across a wrap 65530 -> 5 and a retransmission from before
 * it, for six interleaved SSRCs, and the peer reads every packet. */
static void check_protect_matches_libsrtp(const struct tsn_srtp_keys *ck,
                                          const struct tsn_srtp_keys *sk)
{
    /* The first 65533 (index 3) is lost on the way and sent again later. */
    static const uint16_t seqs[] = {65530, 65531, 65532, 65533, 65534, 65535, 0,
                                    1,     2,     65533, 3,     4,     5};
    struct tsn_srtp *tx = tsn_srtp_new(sk, 1), *rx = tsn_srtp_new(ck, 0);
    srtp_t ref = reference_out(sk);
    assert_non_null(tx);
    assert_non_null(rx);
    uint8_t plain[BUF_BYTES], ours[BUF_BYTES], theirs[BUF_BYTES];
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        for (uint32_t ssrc = 1; ssrc <= 6; ssrc++) {
            size_t plen = make_rtp(plain, seqs[i], 0x7000u + ssrc, 1188);
            size_t len = plen;
            int n = (int)plen;
            memcpy(ours, plain, plen);
            memcpy(theirs, plain, plen);
            assert_int_equal(tsn_srtp_protect(tx, ours, &len, sizeof ours), 0);
            assert_int_equal(srtp_protect(ref, theirs, &n), srtp_err_status_ok);
            assert_int_equal(len, (size_t)n);
            assert_memory_equal(ours, theirs, len);
            if (i != 3) {
                assert_int_equal(tsn_srtp_unprotect(rx, ours, &len), 0);
                assert_int_equal(len, plen);
                assert_memory_equal(ours, plain, plen);
            }
        }
    }
    srtp_dealloc(ref);
    tsn_srtp_free(tx);
    tsn_srtp_free(rx);
}

static void test_protect_matches_libsrtp(void **state)
{
    struct tsn_srtp_keys ck, sk, cm;
    handshake_keys(&ck, &sk);
    check_protect_matches_libsrtp(&ck, &sk);
    fixed_cm_keys(&cm);
    check_protect_matches_libsrtp(&cm, &cm);
}

/* protect's errors, for an SSRC on either path: short and malformed packets
 * are -EINVAL, no room is -ENOSPC, and neither touches the packet. */
static void test_protect_errors_leave_packet(void **state)
{
    struct tsn_srtp_keys k;
    fixed_cm_keys(&k);
    struct tsn_srtp *tx = tsn_srtp_new(&k, 1);
    uint8_t plain[BUF_BYTES], buf[BUF_BYTES];
    for (uint32_t ssrc = 1; ssrc <= 6; ssrc++) {
        size_t plen = make_rtp(plain, 7, ssrc, 100);
        size_t len = plen;
        memcpy(buf, plain, plen);
        assert_int_equal(tsn_srtp_protect(tx, buf, &len, plen + 9), -ENOSPC);
        assert_int_equal(len, plen);
        assert_memory_equal(buf, plain, plen);
        len = 11;
        assert_int_equal(tsn_srtp_protect(tx, buf, &len, sizeof buf), -EINVAL);
        assert_int_equal(len, 11);
        assert_memory_equal(buf, plain, plen);
        len = plen;
        assert_int_equal(tsn_srtp_protect(tx, buf, &len, plen + 10), 0);
        assert_int_equal(len, plen + 10);
    }
    /* 15 CSRCs claimed in a 40-byte packet. */
    size_t len = make_rtp(buf, 8, 1, 28);
    buf[0] = 0x8f;
    assert_int_equal(tsn_srtp_protect(tx, buf, &len, sizeof buf), -EINVAL);
    tsn_srtp_free(tx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vectors_aes_cm),
        cmocka_unit_test(test_known_vectors_gcm),
        cmocka_unit_test(test_round_trip_gcm_from_handshake),
        cmocka_unit_test(test_round_trip_aes_cm_fixed_material),
        cmocka_unit_test(test_tamper_detected),
        cmocka_unit_test(test_replay_detected),
        cmocka_unit_test(test_retransmission_protects_again),
        cmocka_unit_test(test_trailer_room),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_key_material_split),
        cmocka_unit_test(test_many_ssrcs),
        cmocka_unit_test(test_protect_matches_libsrtp),
        cmocka_unit_test(test_protect_errors_leave_packet),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
