/* Unit tests for relay/dtls.c: in-memory DTLS-SRTP handshakes between two
 * tsn_dtls objects (and against a plain OpenSSL peer), key agreement,
 * fingerprint checks, garbage input, loss recovered by retransmission, and
 * close_notify. Datagrams are shuttled by hand, so every loss is chosen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "cert.h"
#include "dtls.h"
#include "srtp_session.h"

#define DGRAM_CAP 2048

struct pair {
    struct tsn_cert *client_cert, *server_cert;
    struct tsn_dtls_ctx *client_ctx, *server_ctx;
    struct tsn_dtls *client, *server;
    char client_fp[TSN_FINGERPRINT_LEN], server_fp[TSN_FINGERPRINT_LEN];
};

/* Shared across tests: generating keys is the slow part. */
static struct tsn_cert *cert_a, *cert_b;

static int group_setup(void **state)
{
    cert_a = tsn_cert_generate("client", 1);
    cert_b = tsn_cert_generate("server", 1);
    return cert_a && cert_b ? 0 : -1;
}

static int group_teardown(void **state)
{
    tsn_cert_free(cert_a);
    tsn_cert_free(cert_b);
    return 0;
}

/* Client and server with their own certificates; each expects the other's
 * fingerprint unless overridden (NULL = the right one). */
static void pair_init(struct pair *p, const char *client_expects, const char *server_expects)
{
    memset(p, 0, sizeof *p);
    p->client_cert = cert_a;
    p->server_cert = cert_b;
    tsn_cert_fingerprint(p->client_cert, p->client_fp);
    tsn_cert_fingerprint(p->server_cert, p->server_fp);
    p->client_ctx = tsn_dtls_ctx_new(p->client_cert);
    p->server_ctx = tsn_dtls_ctx_new(p->server_cert);
    assert_non_null(p->client_ctx);
    assert_non_null(p->server_ctx);
    p->client = tsn_dtls_new(p->client_ctx, TSN_DTLS_CLIENT,
                             client_expects ? client_expects : p->server_fp);
    p->server = tsn_dtls_new(p->server_ctx, TSN_DTLS_SERVER,
                             server_expects ? server_expects : p->client_fp);
    assert_non_null(p->client);
    assert_non_null(p->server);
}

static void pair_free(struct pair *p)
{
    tsn_dtls_free(p->client);
    tsn_dtls_free(p->server);
    tsn_dtls_ctx_free(p->client_ctx);
    tsn_dtls_ctx_free(p->server_ctx);
}

/* Moves every queued datagram from `from` to `to`; returns how many. Checks
 * each is a DTLS record within the MTU (RFC 7983: first byte 20..63). */
static int shuttle(struct tsn_dtls *from, struct tsn_dtls *to)
{
    uint8_t buf[DGRAM_CAP];
    int n, moved = 0;
    while ((n = tsn_dtls_pop(from, buf, sizeof buf)) > 0) {
        assert_true(n <= TSN_DTLS_MTU);
        assert_true(n >= 13);
        assert_true(buf[0] >= 20 && buf[0] <= 63);
        assert_int_equal(buf[1], 0xfe);
        tsn_dtls_feed(to, buf, (size_t)n);
        moved++;
    }
    assert_int_equal(n, 0);
    return moved;
}

static void run_handshake(struct pair *p)
{
    assert_int_equal(tsn_dtls_connect(p->client), 0);
    for (int round = 0; round < 10; round++) {
        int moved = shuttle(p->client, p->server) + shuttle(p->server, p->client);
        if (moved == 0)
            break;
    }
}

static int all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

static void test_handshake_connects_and_keys_match(void **state)
{
    struct pair p;
    pair_init(&p, NULL, NULL);
    assert_int_equal(tsn_dtls_state(p.server), TSN_DTLS_HANDSHAKING);
    assert_int_equal(tsn_dtls_timeout_us(p.server), -1);
    run_handshake(&p);
    assert_int_equal(tsn_dtls_state(p.client), TSN_DTLS_CONNECTED);
    assert_int_equal(tsn_dtls_state(p.server), TSN_DTLS_CONNECTED);
    assert_string_equal(tsn_dtls_error(p.client), "");
    assert_string_equal(tsn_dtls_error(p.server), "");

    struct tsn_srtp_keys kc, ks;
    assert_int_equal(tsn_dtls_srtp_keys(p.client, &kc), 0);
    assert_int_equal(tsn_dtls_srtp_keys(p.server, &ks), 0);
    /* Both offer GCM first: GCM is chosen. */
    assert_int_equal(kc.profile, TSN_SRTP_AEAD_AES_128_GCM);
    assert_int_equal(ks.profile, TSN_SRTP_AEAD_AES_128_GCM);
    assert_int_equal(kc.key_len, 16);
    assert_int_equal(kc.salt_len, 12);
    assert_int_equal(ks.salt_len, 12);
    assert_memory_equal(kc.client_key, ks.client_key, 16);
    assert_memory_equal(kc.server_key, ks.server_key, 16);
    assert_memory_equal(kc.client_salt, ks.client_salt, 12);
    assert_memory_equal(kc.server_salt, ks.server_salt, 12);
    assert_memory_not_equal(kc.client_key, kc.server_key, 16);
    assert_false(all_zero(kc.client_key, 16));
    assert_false(all_zero(kc.server_salt, 12));
    assert_int_equal(tsn_dtls_timeout_us(p.client), -1);

    /* Nothing more to say once connected; a repeated handshake record from
     * the peer does not change the state. */
    assert_int_equal(tsn_dtls_pop(p.client, NULL, 0), 0);
    pair_free(&p);
}

/* Two associations never agree on the same keys. */
static void test_keys_are_fresh_per_association(void **state)
{
    struct pair p, q;
    pair_init(&p, NULL, NULL);
    pair_init(&q, NULL, NULL);
    run_handshake(&p);
    run_handshake(&q);
    struct tsn_srtp_keys a, b;
    assert_int_equal(tsn_dtls_srtp_keys(p.server, &a), 0);
    assert_int_equal(tsn_dtls_srtp_keys(q.server, &b), 0);
    assert_memory_not_equal(a.client_key, b.client_key, 16);
    pair_free(&p);
    pair_free(&q);
}

static void test_fingerprint_case_insensitive(void **state)
{
    struct pair p;
    pair_init(&p, NULL, NULL);
    char lower[TSN_FINGERPRINT_LEN];
    tsn_dtls_free(p.server);
    for (size_t i = 0; i < sizeof lower; i++)
        lower[i] = (char)tolower((unsigned char)p.client_fp[i]);
    p.server = tsn_dtls_new(p.server_ctx, TSN_DTLS_SERVER, lower);
    assert_non_null(p.server);
    run_handshake(&p);
    assert_int_equal(tsn_dtls_state(p.server), TSN_DTLS_CONNECTED);
    assert_int_equal(tsn_dtls_state(p.client), TSN_DTLS_CONNECTED);
    pair_free(&p);
}

static const char wrong_fp[] = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                               "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";

static void test_wrong_fingerprint_server_side(void **state)
{
    struct pair p;
    pair_init(&p, NULL, wrong_fp);
    run_handshake(&p);
    assert_int_equal(tsn_dtls_state(p.server), TSN_DTLS_FAILED);
    assert_string_equal(tsn_dtls_error(p.server),
                        "peer certificate fingerprint does not match SDP");
    struct tsn_srtp_keys k;
    assert_int_equal(tsn_dtls_srtp_keys(p.server, &k), -EAGAIN);
    /* The server told the client it is done. */
    assert_int_equal(tsn_dtls_state(p.client), TSN_DTLS_CLOSED);
    pair_free(&p);
}

static void test_wrong_fingerprint_client_side(void **state)
{
    struct pair p;
    pair_init(&p, wrong_fp, NULL);
    run_handshake(&p);
    assert_int_equal(tsn_dtls_state(p.client), TSN_DTLS_FAILED);
    assert_string_equal(tsn_dtls_error(p.client),
                        "peer certificate fingerprint does not match SDP");
    struct tsn_srtp_keys k;
    assert_int_equal(tsn_dtls_srtp_keys(p.client, &k), -EAGAIN);
    assert_int_not_equal(tsn_dtls_state(p.server), TSN_DTLS_HANDSHAKING);
    pair_free(&p);
}

/* Random bytes and truncated records are ignored: the association stays in
 * the handshake and a real client can still connect afterwards. */
static void test_garbage_is_ignored(void **state)
{
    struct pair p;
    pair_init(&p, NULL, NULL);
    uint8_t junk[1500];
    for (int i = 0; i < 200; i++) {
        size_t len = 1 + (size_t)(i * 7) % sizeof junk;
        assert_int_equal(RAND_bytes(junk, (int)len), 1);
        if (i % 2)
            junk[0] = 22; /* looks like a handshake record */
        if (i % 4 == 1) {
            junk[1] = 0xfe;
            junk[2] = 0xfd;
        }
        enum tsn_dtls_state st = tsn_dtls_feed(p.server, junk, len);
        assert_int_not_equal(st, TSN_DTLS_CONNECTED);
        if (st == TSN_DTLS_FAILED)
            break;
    }
    assert_int_equal(tsn_dtls_state(p.server), TSN_DTLS_HANDSHAKING);
    uint8_t out[DGRAM_CAP];
    while (tsn_dtls_pop(p.server, out, sizeof out) > 0)
        ;

    /* Truncations of a real ClientHello. */
    assert_int_equal(tsn_dtls_connect(p.client), 0);
    int hello_len = tsn_dtls_pop(p.client, out, sizeof out);
    assert_true(hello_len > 60);
    for (int cut = 1; cut < hello_len; cut += 5)
        assert_int_equal(tsn_dtls_feed(p.server, out, (size_t)cut), TSN_DTLS_HANDSHAKING);
    assert_int_equal(tsn_dtls_pop(p.server, junk, sizeof junk), 0);
    tsn_dtls_feed(p.server, NULL, 0);

    /* Now the real one. */
    tsn_dtls_feed(p.server, out, (size_t)hello_len);
    for (int round = 0; round < 10; round++)
        if (shuttle(p.server, p.client) + shuttle(p.client, p.server) == 0)
            break;
    assert_int_equal(tsn_dtls_state(p.server), TSN_DTLS_CONNECTED);
    assert_int_equal(tsn_dtls_state(p.client), TSN_DTLS_CONNECTED);

    /* Garbage after the handshake does not break the association. */
    for (int i = 0; i < 50; i++) {
        size_t len = 13 + (size_t)i * 11;
        assert_int_equal(RAND_bytes(junk, (int)len), 1);
        junk[0] = (uint8_t)(20 + i % 4);
        junk[1] = 0xfe;
        junk[2] = 0xfd;
        assert_int_equal(tsn_dtls_feed(p.client, junk, len), TSN_DTLS_CONNECTED);
    }
    pair_free(&p);
}

/* The first ClientHello is lost; the client's timer resends it. */
static void test_lost_client_hello_retransmitted(void **state)
{
    struct pair p;
    pair_init(&p, NULL, NULL);
    assert_int_equal(tsn_dtls_connect(p.client), 0);
    uint8_t first[DGRAM_CAP], again[DGRAM_CAP];
    int n1 = tsn_dtls_pop(p.client, first, sizeof first);
    assert_true(n1 > 13);
    assert_int_equal(first[0], 22); /* handshake */
    assert_int_equal(first[13], 1); /* client_hello */
    assert_int_equal(tsn_dtls_pop(p.client, again, sizeof again), 0);

    int64_t due_us = tsn_dtls_timeout_us(p.client);
    assert_true(due_us > 0 && due_us <= 100000);
    /* Not due yet: nothing is resent. */
    assert_int_equal(tsn_dtls_on_timer(p.client), TSN_DTLS_HANDSHAKING);
    assert_int_equal(tsn_dtls_pop(p.client, again, sizeof again), 0);

    usleep((useconds_t)due_us + 5000);
    assert_int_equal(tsn_dtls_timeout_us(p.client), 0);
    assert_int_equal(tsn_dtls_on_timer(p.client), TSN_DTLS_HANDSHAKING);
    int n2 = tsn_dtls_pop(p.client, again, sizeof again);
    assert_int_equal(n2, n1);
    /* Same handshake message; only the record sequence number differs. */
    assert_memory_equal(first + 13, again + 13, (size_t)n1 - 13);
    assert_memory_not_equal(first + 3, again + 3, 8);
    /* The timer backs off. */
    int64_t next_us = tsn_dtls_timeout_us(p.client);
    assert_true(next_us > 100000 && next_us <= 200000);

    tsn_dtls_feed(p.server, again, (size_t)n2);
    for (int round = 0; round < 10; round++)
        if (shuttle(p.server, p.client) + shuttle(p.client, p.server) == 0)
            break;
    assert_int_equal(tsn_dtls_state(p.client), TSN_DTLS_CONNECTED);
    assert_int_equal(tsn_dtls_state(p.server), TSN_DTLS_CONNECTED);
    pair_free(&p);
}

/* The server's whole first flight is lost; its timer resends the flight. */
static void test_lost_server_flight_retransmitted(void **state)
{
    struct pair p;
    pair_init(&p, NULL, NULL);
    assert_int_equal(tsn_dtls_connect(p.client), 0);
    assert_int_equal(shuttle(p.client, p.server), 1);
    uint8_t buf[DGRAM_CAP];
    int dropped = 0;
    while (tsn_dtls_pop(p.server, buf, sizeof buf) > 0)
        dropped++;
    assert_true(dropped >= 1);
    int64_t due_us = tsn_dtls_timeout_us(p.server);
    assert_true(due_us > 0 && due_us <= 100000);
    usleep((useconds_t)due_us + 5000);
    assert_int_equal(tsn_dtls_on_timer(p.server), TSN_DTLS_HANDSHAKING);
    /* The server's retransmission crosses the client's own, which may also be
     * due by now; either way the handshake completes. */
    for (int round = 0; round < 10; round++)
        if (shuttle(p.server, p.client) + shuttle(p.client, p.server) == 0)
            break;
    assert_int_equal(tsn_dtls_state(p.client), TSN_DTLS_CONNECTED);
    assert_int_equal(tsn_dtls_state(p.server), TSN_DTLS_CONNECTED);
    pair_free(&p);
}

/* The server's last flight (ChangeCipherSpec + Finished) is lost: the server
 * is already CONNECTED, the client resends its flight on its timer, and the
 * connected server answers it by resending its last flight. */
static void test_lost_final_server_flight(void **state)
{
    struct pair p;
    pair_init(&p, NULL, NULL);
    assert_int_equal(tsn_dtls_connect(p.client), 0);
    assert_true(shuttle(p.client, p.server) >= 1); /* ClientHello */
    assert_true(shuttle(p.server, p.client) >= 1); /* ServerHello ... Done */
    assert_true(shuttle(p.client, p.server) >= 1); /* Certificate ... Finished */
    assert_int_equal(tsn_dtls_state(p.server), TSN_DTLS_CONNECTED);
    uint8_t buf[DGRAM_CAP];
    int dropped = 0;
    while (tsn_dtls_pop(p.server, buf, sizeof buf) > 0)
        dropped++;
    assert_true(dropped >= 1);
    assert_int_equal(tsn_dtls_state(p.client), TSN_DTLS_HANDSHAKING);

    int64_t due_us = tsn_dtls_timeout_us(p.client);
    assert_true(due_us > 0 && due_us <= 200000);
    usleep((useconds_t)due_us + 5000);
    assert_int_equal(tsn_dtls_on_timer(p.client), TSN_DTLS_HANDSHAKING);
    assert_true(shuttle(p.client, p.server) >= 1);
    assert_int_equal(tsn_dtls_state(p.server), TSN_DTLS_CONNECTED);
    assert_true(shuttle(p.server, p.client) >= 1);
    assert_int_equal(tsn_dtls_state(p.client), TSN_DTLS_CONNECTED);

    struct tsn_srtp_keys kc, ks;
    assert_int_equal(tsn_dtls_srtp_keys(p.client, &kc), 0);
    assert_int_equal(tsn_dtls_srtp_keys(p.server, &ks), 0);
    assert_memory_equal(&kc, &ks, sizeof kc);
    pair_free(&p);
}

static void test_close_notify(void **state)
{
    struct pair p;
    pair_init(&p, NULL, NULL);
    run_handshake(&p);
    assert_int_equal(tsn_dtls_state(p.server), TSN_DTLS_CONNECTED);
    tsn_dtls_close(p.client);
    assert_int_equal(tsn_dtls_state(p.client), TSN_DTLS_CLOSED);
    uint8_t buf[DGRAM_CAP];
    int n = tsn_dtls_pop(p.client, buf, sizeof buf);
    assert_true(n > 13);
    assert_int_equal(buf[0], 21); /* alert */
    assert_int_equal(tsn_dtls_feed(p.server, buf, (size_t)n), TSN_DTLS_CLOSED);
    assert_string_equal(tsn_dtls_error(p.server), "");
    struct tsn_srtp_keys k;
    assert_int_equal(tsn_dtls_srtp_keys(p.server, &k), -EAGAIN);
    /* The server answers with its own close_notify. */
    n = tsn_dtls_pop(p.server, buf, sizeof buf);
    assert_true(n > 13);
    assert_int_equal(buf[0], 21);
    assert_int_equal(tsn_dtls_feed(p.client, buf, (size_t)n), TSN_DTLS_CLOSED);
    pair_free(&p);
}

static void test_api_misuse(void **state)
{
    struct pair p;
    pair_init(&p, NULL, NULL);
    assert_int_equal(tsn_dtls_connect(p.server), -EINVAL);
    /* A client that has not connected ignores input. */
    uint8_t junk[40] = {22, 0xfe, 0xfd};
    assert_int_equal(tsn_dtls_feed(p.client, junk, sizeof junk), TSN_DTLS_HANDSHAKING);
    assert_int_equal(tsn_dtls_pop(p.client, junk, sizeof junk), 0);
    assert_int_equal(tsn_dtls_connect(p.client), 0);
    assert_int_equal(tsn_dtls_connect(p.client), -EALREADY);
    /* A datagram that does not fit stays queued. */
    uint8_t small[16], big[DGRAM_CAP];
    assert_int_equal(tsn_dtls_pop(p.client, small, sizeof small), -ENOSPC);
    assert_true(tsn_dtls_pop(p.client, big, sizeof big) > 16);
    assert_int_equal(tsn_dtls_pop(p.client, big, sizeof big), 0);
    struct tsn_srtp_keys k;
    assert_int_equal(tsn_dtls_srtp_keys(p.client, &k), -EAGAIN);
    tsn_dtls_close(p.client); /* not connected: nothing to close */
    assert_int_equal(tsn_dtls_state(p.client), TSN_DTLS_HANDSHAKING);

    char too_long[200];
    memset(too_long, 'A', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    assert_null(tsn_dtls_new(p.server_ctx, TSN_DTLS_SERVER, NULL));
    assert_null(tsn_dtls_new(p.server_ctx, TSN_DTLS_SERVER, too_long));
    assert_null(tsn_dtls_new(NULL, TSN_DTLS_SERVER, p.client_fp));
    assert_null(tsn_dtls_ctx_new(NULL));
    tsn_dtls_free(NULL);
    tsn_dtls_ctx_free(NULL);
    pair_free(&p);
}

/* ---- against a plain OpenSSL peer over memory BIOs -------------------- */

struct raw_peer {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *in, *out; /* owned by ssl */
};

static int raw_accept_any(int ok, X509_STORE_CTX *store)
{
    return 1;
}

static void raw_server_init(struct raw_peer *r, X509 *x, EVP_PKEY *k, const char *profiles)
{
    r->ctx = SSL_CTX_new(DTLS_method());
    assert_non_null(r->ctx);
    assert_int_equal(SSL_CTX_use_certificate(r->ctx, x), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(r->ctx, k), 1);
    assert_int_equal(SSL_CTX_set_tlsext_use_srtp(r->ctx, profiles), 0);
    SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, raw_accept_any);
    r->ssl = SSL_new(r->ctx);
    r->in = BIO_new(BIO_s_mem());
    r->out = BIO_new(BIO_s_mem());
    SSL_set_bio(r->ssl, r->in, r->out);
    SSL_set_options(r->ssl, SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(r->ssl, 1200);
    SSL_set_accept_state(r->ssl);
}

static void raw_free(struct raw_peer *r)
{
    SSL_free(r->ssl);
    SSL_CTX_free(r->ctx);
}

/* Runs our client against the raw server until both are done. */
static void run_against_raw(struct tsn_dtls *client, struct raw_peer *r)
{
    uint8_t buf[8192];
    assert_int_equal(tsn_dtls_connect(client), 0);
    for (int round = 0; round < 10; round++) {
        int n, moved = 0;
        while ((n = tsn_dtls_pop(client, buf, sizeof buf)) > 0) {
            BIO_write(r->in, buf, n);
            SSL_do_handshake(r->ssl); /* one datagram at a time */
            ERR_clear_error();
            moved++;
        }
        /* Everything the raw peer wrote, as one datagram of several records. */
        while ((n = BIO_read(r->out, buf, sizeof buf)) > 0) {
            tsn_dtls_feed(client, buf, (size_t)n);
            moved++;
        }
        if (moved == 0)
            break;
    }
}

/* A peer offering only AES-CM (Chromium as DTLS server picks it): our client
 * gets the CM profile and the same key material the peer exports. */
static void test_cm_profile_with_plain_openssl_peer(void **state)
{
    struct tsn_dtls_ctx *ctx = tsn_dtls_ctx_new(cert_a);
    assert_non_null(ctx);
    char fp[TSN_FINGERPRINT_LEN];
    tsn_cert_fingerprint(cert_b, fp);
    struct tsn_dtls *client = tsn_dtls_new(ctx, TSN_DTLS_CLIENT, fp);
    struct raw_peer r;
    raw_server_init(&r, tsn_cert_x509(cert_b), tsn_cert_pkey(cert_b), "SRTP_AES128_CM_SHA1_80");
    run_against_raw(client, &r);
    assert_int_equal(SSL_is_init_finished(r.ssl), 1);
    assert_int_equal(tsn_dtls_state(client), TSN_DTLS_CONNECTED);

    struct tsn_srtp_keys k, expect;
    assert_int_equal(tsn_dtls_srtp_keys(client, &k), 0);
    assert_int_equal(k.profile, TSN_SRTP_AES128_CM_SHA1_80);
    assert_int_equal(k.salt_len, 14);
    uint8_t material[60];
    assert_int_equal(SSL_export_keying_material(r.ssl, material, sizeof material,
                                                "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0),
                     1);
    assert_int_equal(tsn_srtp_keys_from_material(TSN_SRTP_AES128_CM_SHA1_80, material, 60, &expect),
                     0);
    assert_memory_equal(k.client_key, material, 16);
    assert_memory_equal(k.server_key, material + 16, 16);
    assert_memory_equal(k.client_salt, material + 32, 14);
    assert_memory_equal(k.server_salt, material + 46, 14);
    assert_memory_equal(&k, &expect, sizeof k);

    /* The raw peer saw our certificate. */
    X509 *peer = SSL_get0_peer_certificate(r.ssl);
    assert_non_null(peer);
    char peer_fp[TSN_FINGERPRINT_LEN], own_fp[TSN_FINGERPRINT_LEN];
    assert_int_equal(tsn_x509_fingerprint(peer, peer_fp), 0);
    tsn_cert_fingerprint(cert_a, own_fp);
    assert_string_equal(peer_fp, own_fp);

    raw_free(&r);
    tsn_dtls_free(client);
    tsn_dtls_ctx_free(ctx);
}

/* A peer with an RSA certificate (ECDHE-RSA suites) and no SRTP at all: the
 * handshake completes at the TLS layer, but without DTLS-SRTP we fail. */
static void test_rsa_peer_without_srtp_fails(void **state)
{
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    assert_non_null(rsa);
    X509 *x = X509_new();
    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"rsa-peer", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, rsa);
    assert_true(X509_sign(x, rsa, EVP_sha256()) > 0);
    char fp[TSN_FINGERPRINT_LEN];
    assert_int_equal(tsn_x509_fingerprint(x, fp), 0);

    struct tsn_dtls_ctx *ctx = tsn_dtls_ctx_new(cert_a);
    struct tsn_dtls *client = tsn_dtls_new(ctx, TSN_DTLS_CLIENT, fp);
    struct raw_peer r;
    memset(&r, 0, sizeof r);
    r.ctx = SSL_CTX_new(DTLS_method());
    assert_int_equal(SSL_CTX_use_certificate(r.ctx, x), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(r.ctx, rsa), 1);
    r.ssl = SSL_new(r.ctx);
    r.in = BIO_new(BIO_s_mem());
    r.out = BIO_new(BIO_s_mem());
    SSL_set_bio(r.ssl, r.in, r.out);
    SSL_set_accept_state(r.ssl);
    run_against_raw(client, &r);
    assert_int_equal(SSL_is_init_finished(r.ssl), 1);
    assert_non_null(strstr(SSL_get_cipher_name(r.ssl), "ECDHE-RSA"));
    assert_int_equal(tsn_dtls_state(client), TSN_DTLS_FAILED);
    assert_string_equal(tsn_dtls_error(client), "peer did not negotiate DTLS-SRTP");

    raw_free(&r);
    tsn_dtls_free(client);
    tsn_dtls_ctx_free(ctx);
    X509_free(x);
    EVP_PKEY_free(rsa);
}

/* A peer with no cipher suite in common fails at the TLS layer: FAILED,
 * with a fatal alert queued for the peer, and the state is terminal. */
static void test_no_common_cipher_fails(void **state)
{
    struct tsn_dtls_ctx *ctx = tsn_dtls_ctx_new(cert_b);
    struct tsn_dtls *server = tsn_dtls_new(ctx, TSN_DTLS_SERVER, wrong_fp);
    SSL_CTX *cctx = SSL_CTX_new(DTLS_method());
    assert_int_equal(SSL_CTX_set_cipher_list(cctx, "AES128-SHA"), 1); /* RSA kx only */
    SSL *c = SSL_new(cctx);
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
    SSL_set_bio(c, in, out);
    SSL_set_connect_state(c);
    SSL_do_handshake(c);
    ERR_clear_error();
    uint8_t buf[4096];
    int n = BIO_read(out, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(tsn_dtls_feed(server, buf, (size_t)n), TSN_DTLS_FAILED);
    assert_string_equal(tsn_dtls_error(server), "DTLS handshake failed");
    n = tsn_dtls_pop(server, buf, sizeof buf);
    assert_true(n > 13);
    assert_int_equal(buf[0], 21); /* a fatal alert for the peer */
    /* Terminal: more input changes nothing. */
    assert_int_equal(tsn_dtls_feed(server, buf, (size_t)n), TSN_DTLS_FAILED);
    assert_int_equal(tsn_dtls_on_timer(server), TSN_DTLS_FAILED);
    SSL_free(c);
    SSL_CTX_free(cctx);
    tsn_dtls_free(server);
    tsn_dtls_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_connects_and_keys_match),
        cmocka_unit_test(test_keys_are_fresh_per_association),
        cmocka_unit_test(test_fingerprint_case_insensitive),
        cmocka_unit_test(test_wrong_fingerprint_server_side),
        cmocka_unit_test(test_wrong_fingerprint_client_side),
        cmocka_unit_test(test_garbage_is_ignored),
        cmocka_unit_test(test_lost_client_hello_retransmitted),
        cmocka_unit_test(test_lost_server_flight_retransmitted),
        cmocka_unit_test(test_lost_final_server_flight),
        cmocka_unit_test(test_close_notify),
        cmocka_unit_test(test_api_misuse),
        cmocka_unit_test(test_cm_profile_with_plain_openssl_peer),
        cmocka_unit_test(test_rsa_peer_without_srtp_fails),
        cmocka_unit_test(test_no_common_cipher_fails),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
