/* Unit tests for common/tls_pin.c: the fingerprint parser (plain hex, colon
 * pairs, the "sha256:" and "SHA256 Fingerprint=" prefixes, any case; 63 and
 * 65 digits, bad characters, stray colons and empty input refused), the
 * formatter and its round trip, and tsn_tls_check_peer on real TLS
 * connections: a self-signed EC P-256 certificate (SAN IP:127.0.0.1 and
 * DNS:relay.example) is made here, and a client and a server SSL handshake
 * over an in-memory BIO pair. The client trusts that certificate, nothing,
 * or another one; the check is then run with CA, pin and insecure options
 * against several host names, and its reasons are checked. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls_pin.h"

#define VEC_HEX                                                                                    \
    "00112233445566778899aabbccddeeff"                                                             \
    "0112233445566778899aabbccddeeff0"
#define VEC_COLONS                                                                                 \
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"                                             \
    "01:12:23:34:45:56:67:78:89:9A:AB:BC:CD:DE:EF:F0"

/* The bytes of VEC_HEX, decoded here independently of the module. */
static void vector(uint8_t out[32])
{
    static const char hex[] = VEC_HEX;
    for (int i = 0; i < 32; i++) {
        unsigned byte = 0;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &byte), 1);
        out[i] = (uint8_t)byte;
    }
}

static void expect_fp(const char *text)
{
    uint8_t want[32], got[32];
    char why[200] = "";
    vector(want);
    memset(got, 0xEE, sizeof got);
    if (tsn_tls_parse_fingerprint(text, got, why, sizeof why) != 0)
        fail_msg("'%s' refused: %s", text, why);
    assert_memory_equal(got, want, 32);
}

static void expect_bad_fp(const char *text, const char *part)
{
    uint8_t got[32];
    char why[200] = "";
    if (tsn_tls_parse_fingerprint(text, got, why, sizeof why) != -EINVAL)
        fail_msg("'%s' accepted", text ? text : "(null)");
    if (!strstr(why, part))
        fail_msg("reason '%s' for '%s' lacks '%s'", why, text ? text : "(null)", part);
}

static void test_parse_forms(void **state)
{
    uint8_t v[32];
    vector(v);
    assert_int_equal(v[15], 0xff);
    assert_int_equal(v[16], 0x01);
    assert_int_equal(v[31], 0xf0);
    expect_fp(VEC_HEX);
    expect_fp(VEC_COLONS);
    expect_fp("00112233445566778899AABBCCDDEEFF0112233445566778899AaBbCcDdEeFf0");
    expect_fp("sha256:" VEC_HEX);
    expect_fp("SHA256:" VEC_COLONS);
    expect_fp("sha256=" VEC_COLONS);
    /* As `openssl x509 -noout -fingerprint -sha256` prints it (3.0, and 1.1). */
    expect_fp("sha256 Fingerprint=" VEC_COLONS);
    expect_fp("SHA256 Fingerprint=" VEC_COLONS);
    expect_fp("Sha256 fingerprint=" VEC_HEX);
}

/* VEC_HEX with its `n` first digits, then `tail`. */
static const char *hex_then(size_t n, const char *tail)
{
    static char buf[200];
    snprintf(buf, sizeof buf, "%.*s%s", (int)n, VEC_HEX, tail);
    return buf;
}

static void test_parse_rejects(void **state)
{
    const char *digits = "the fingerprint must be 64 hex digits";
    assert_int_equal(strlen(VEC_HEX), 64);
    /* 63 and 65 digits, 62 and 66. */
    expect_bad_fp(hex_then(63, ""), digits);
    expect_bad_fp(hex_then(64, "0"), digits);
    expect_bad_fp(hex_then(62, ""), "31 bytes");
    expect_bad_fp(hex_then(64, "00"), digits);
    expect_bad_fp(VEC_COLONS ":00", digits);
    expect_bad_fp("", "0 bytes");
    expect_bad_fp("sha256:", "0 bytes");
    expect_bad_fp(NULL, "no fingerprint");
    /* Bad characters anywhere. */
    char text[160];
    snprintf(text, sizeof text, "g%s", &VEC_HEX[1]);
    expect_bad_fp(text, digits);
    expect_bad_fp(hex_then(63, "z"), digits);
    snprintf(text, sizeof text, "0x%s", &VEC_HEX[2]);
    expect_bad_fp(text, digits);
    expect_bad_fp(" " VEC_HEX, digits);
    expect_bad_fp(VEC_HEX " ", digits);
    expect_bad_fp(VEC_HEX "\n", digits);
    snprintf(text, sizeof text, "%.30s %s", VEC_HEX, &VEC_HEX[30]);
    expect_bad_fp(text, digits);
    expect_bad_fp(hex_then(62, "\xc3\xa9"), digits);
    /* Colons: trailing, leading, doubled, or splitting a pair. */
    expect_bad_fp(VEC_COLONS ":", digits);
    expect_bad_fp(":" VEC_COLONS, digits);
    snprintf(text, sizeof text, "00::%s", &VEC_COLONS[3]);
    expect_bad_fp(text, digits);
    snprintf(text, sizeof text, "%.44s::%s", VEC_COLONS, &VEC_COLONS[45]);
    expect_bad_fp(text, digits);
    snprintf(text, sizeof text, "0:0%s", &VEC_COLONS[2]);
    expect_bad_fp(text, digits);
    /* Another hash's name is not a prefix we know. */
    expect_bad_fp("sha1:" VEC_COLONS, digits);
    expect_bad_fp("sha-256:" VEC_COLONS, digits);
}

static void test_format_round_trip(void **state)
{
    uint8_t v[32], back[32];
    char text[96], why[200] = "";
    vector(v);
    memset(text, 'Z', sizeof text);
    tsn_tls_format_fingerprint(v, text);
    assert_string_equal(text, VEC_COLONS);
    assert_int_equal(strlen(text), 95);
    assert_int_equal(tsn_tls_parse_fingerprint(text, back, why, sizeof why), 0);
    assert_memory_equal(back, v, 32);

    /* Every byte value survives the round trip. */
    for (int start = 0; start < 256; start += 32) {
        for (int i = 0; i < 32; i++)
            v[i] = (uint8_t)(start + i);
        tsn_tls_format_fingerprint(v, text);
        assert_int_equal(strlen(text), 95);
        assert_int_equal(tsn_tls_parse_fingerprint(text, back, why, sizeof why), 0);
        assert_memory_equal(back, v, 32);
    }
}

/* ---- real TLS over a memory BIO pair ---------------------------------- */

struct certs {
    EVP_PKEY *key, *key2;
    X509 *cert;    /* self-signed, SAN IP:127.0.0.1, DNS:relay.example */
    X509 *other;   /* another self-signed certificate with the same names */
    X509 *expired; /* `key`, same names, expired yesterday */
    uint8_t cert_sha256[32];
};

static X509 *make_cert(EVP_PKEY *key, long serial, long not_before_s, long not_after_s)
{
    X509 *x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), not_before_s));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), not_after_s));
    X509_NAME *name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"telesono-relay", -1, -1, 0),
                     1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_int_equal(X509_set_pubkey(x, key), 1);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext =
        X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1, DNS:relay.example");
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    return x;
}

static int setup_certs(void **state)
{
    struct certs *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->key = EVP_EC_gen("P-256");
    c->key2 = EVP_EC_gen("P-256");
    assert_non_null(c->key);
    assert_non_null(c->key2);
    c->cert = make_cert(c->key, 1, -3600, 86400);
    c->other = make_cert(c->key2, 2, -3600, 86400);
    c->expired = make_cert(c->key, 3, -2 * 86400, -86400);
    /* The SHA-256 of the DER, computed independently of X509_digest. */
    unsigned char *der = NULL;
    int der_len = i2d_X509(c->cert, &der);
    assert_true(der_len > 0);
    unsigned md_len = 0;
    assert_int_equal(EVP_Digest(der, (size_t)der_len, c->cert_sha256, &md_len, EVP_sha256(), NULL),
                     1);
    assert_int_equal(md_len, 32);
    OPENSSL_free(der);
    *state = c;
    return 0;
}

static int teardown_certs(void **state)
{
    struct certs *c = *state;
    X509_free(c->cert);
    X509_free(c->other);
    X509_free(c->expired);
    EVP_PKEY_free(c->key);
    EVP_PKEY_free(c->key2);
    free(c);
    return 0;
}

struct conn {
    SSL_CTX *cctx, *sctx;
    SSL *client, *server;
};

/* Handshakes a client whose store holds `trusted` (NULL: an empty store)
 * with a server presenting `cert`. The client does not enforce verification
 * (SSL_VERIFY_NONE, as libwebsockets is set up when the decision is ours):
 * OpenSSL records its verdict, which the module reads. */
static void handshake(struct conn *k, X509 *cert, EVP_PKEY *key, X509 *trusted, int max_version)
{
    memset(k, 0, sizeof *k);
    k->sctx = SSL_CTX_new(TLS_server_method());
    k->cctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(k->sctx);
    assert_non_null(k->cctx);
    assert_int_equal(SSL_CTX_use_certificate(k->sctx, cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(k->sctx, key), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(k->cctx, max_version), 1);
    SSL_CTX_set_verify(k->cctx, SSL_VERIFY_NONE, NULL);
    if (trusted)
        assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(k->cctx), trusted), 1);
    k->client = SSL_new(k->cctx);
    k->server = SSL_new(k->sctx);
    BIO *cb = NULL, *sb = NULL;
    assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
    SSL_set_bio(k->client, cb, cb);
    SSL_set_bio(k->server, sb, sb);
    SSL_set_connect_state(k->client);
    SSL_set_accept_state(k->server);
    int cdone = 0, sdone = 0;
    for (int i = 0; i < 50 && !(cdone && sdone); i++) {
        SSL *sides[2] = {k->client, k->server};
        int *done[2] = {&cdone, &sdone};
        for (int s = 0; s < 2; s++) {
            if (*done[s])
                continue;
            int r = SSL_do_handshake(sides[s]);
            if (r == 1) {
                *done[s] = 1;
                continue;
            }
            int e = SSL_get_error(sides[s], r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                fail_msg("%s handshake failed: SSL error %d", s ? "server" : "client", e);
        }
    }
    assert_true(cdone && sdone);
    int v = SSL_version(k->client);
    assert_int_equal(v, max_version);
}

static void conn_free(struct conn *k)
{
    SSL_free(k->client);
    SSL_free(k->server);
    SSL_CTX_free(k->cctx);
    SSL_CTX_free(k->sctx);
}

static int check(struct conn *k, const struct tsn_tls_opts *o, const char *host, char *why,
                 size_t why_len)
{
    why[0] = '\0';
    return tsn_tls_check_peer(k->client, o, host, why, why_len);
}

static void expect_refused(struct conn *k, const struct tsn_tls_opts *o, const char *host,
                           const char *part)
{
    char why[400];
    int rc = check(k, o, host, why, sizeof why);
    if (rc != -EPERM)
        fail_msg("host %s: rc %d, want -EPERM", host, rc);
    if (!strstr(why, part))
        fail_msg("host %s: reason '%s' lacks '%s'", host, why, part);
    assert_null(strchr(why, '\n')); /* one line */
}

static void test_ca_trusted(void **state)
{
    struct certs *c = *state;
    static const int versions[] = {TLS1_3_VERSION, TLS1_2_VERSION};
    for (size_t vi = 0; vi < 2; vi++) {
        struct conn k;
        handshake(&k, c->cert, c->key, c->cert, versions[vi]);
        assert_int_equal(SSL_get_verify_result(k.client), X509_V_OK);
        struct tsn_tls_opts o = {.ca_file = "cert.pem"};
        char why[400] = "";
        assert_int_equal(check(&k, &o, "127.0.0.1", why, sizeof why), 0);
        assert_int_equal(check(&k, &o, "relay.example", why, sizeof why), 0);
        assert_int_equal(check(&k, &o, "RELAY.Example", why, sizeof why), 0);
        expect_refused(&k, &o, "10.0.0.1", "is not valid for 10.0.0.1");
        expect_refused(&k, &o, "127.0.0.2", "is not valid for 127.0.0.2");
        expect_refused(&k, &o, "::1", "is not valid for ::1");
        expect_refused(&k, &o, "other.example", "is not valid for other.example");
        expect_refused(&k, &o, "sub.relay.example", "is not valid for sub.relay.example");
        /* The CN is not a name when the certificate has a subjectAltName. */
        expect_refused(&k, &o, "telesono-relay", "is not valid for telesono-relay");
        /* The system-CA mode (no ca_file) decides the same way for a trusted chain. */
        o.ca_file = NULL;
        assert_int_equal(check(&k, &o, "127.0.0.1", why, sizeof why), 0);
        expect_refused(&k, &o, "other.example", "not valid for other.example");
        conn_free(&k);
    }
}

static void test_not_trusted(void **state)
{
    struct certs *c = *state;
    struct conn k;
    char why[400] = "";
    /* An empty store. */
    handshake(&k, c->cert, c->key, NULL, TLS1_3_VERSION);
    assert_int_not_equal(SSL_get_verify_result(k.client), X509_V_OK);
    struct tsn_tls_opts o = {0};
    expect_refused(&k, &o, "127.0.0.1", "the relay's certificate is not trusted: ");
    expect_refused(&k, &o, "127.0.0.1", "self-signed");
    /* Without --ca the reason says what to do; with it, not. */
    expect_refused(&k, &o, "127.0.0.1", "--ca");
    o.ca_file = "/etc/telesono/relay.pem";
    assert_int_equal(check(&k, &o, "relay.example", why, sizeof why), -EPERM);
    assert_non_null(strstr(why, "not trusted"));
    assert_null(strstr(why, "--fingerprint"));
    conn_free(&k);

    /* A store with another certificate of the same names. */
    handshake(&k, c->cert, c->key, c->other, TLS1_3_VERSION);
    expect_refused(&k, &o, "relay.example", "not trusted");
    conn_free(&k);

    /* The trusted certificate itself, but expired. */
    handshake(&k, c->expired, c->key, c->expired, TLS1_2_VERSION);
    expect_refused(&k, &o, "127.0.0.1", "not trusted: certificate has expired");
    conn_free(&k);
}

static void test_pin(void **state)
{
    struct certs *c = *state;
    struct conn k;
    char why[400] = "";
    handshake(&k, c->cert, c->key, NULL, TLS1_3_VERSION);
    struct tsn_tls_opts o = {.has_pin = 1};
    memcpy(o.pin_sha256, c->cert_sha256, 32);
    /* The pin decides alone: an empty store and any host name. */
    assert_int_equal(check(&k, &o, "127.0.0.1", why, sizeof why), 0);
    assert_int_equal(check(&k, &o, "other.example", why, sizeof why), 0);
    assert_int_equal(check(&k, &o, "10.0.0.1", why, sizeof why), 0);

    /* The pin as `openssl x509 -fingerprint -sha256` would print it. */
    char printed[128] = "sha256 Fingerprint=";
    tsn_tls_format_fingerprint(c->cert_sha256, printed + strlen(printed));
    struct tsn_tls_opts p = {0};
    assert_int_equal(tsn_tls_parse_fingerprint(printed, p.pin_sha256, why, sizeof why), 0);
    p.has_pin = 1;
    assert_int_equal(check(&k, &p, "relay.example", why, sizeof why), 0);

    /* One bit off: refused, naming the certificate's real fingerprint. */
    o.pin_sha256[31] ^= 1;
    expect_refused(&k, &o, "127.0.0.1", "does not match the pinned fingerprint");
    char real[96];
    tsn_tls_format_fingerprint(c->cert_sha256, real);
    expect_refused(&k, &o, "127.0.0.1", real);
    /* A pin wins over a CA that would have trusted the certificate. */
    conn_free(&k);
    handshake(&k, c->cert, c->key, c->cert, TLS1_2_VERSION);
    o.ca_file = "cert.pem";
    expect_refused(&k, &o, "127.0.0.1", "does not match");
    o.pin_sha256[31] ^= 1;
    assert_int_equal(check(&k, &o, "127.0.0.1", why, sizeof why), 0);
    conn_free(&k);

    /* The other certificate does not match the first one's pin. */
    handshake(&k, c->other, c->key2, NULL, TLS1_3_VERSION);
    o.ca_file = NULL;
    expect_refused(&k, &o, "relay.example", "does not match");
    conn_free(&k);
}

static void test_insecure_and_no_cert(void **state)
{
    struct certs *c = *state;
    struct conn k;
    char why[400] = "";
    handshake(&k, c->other, c->key2, NULL, TLS1_3_VERSION);
    struct tsn_tls_opts o = {.insecure = 1};
    assert_int_equal(check(&k, &o, "10.0.0.1", why, sizeof why), 0);
    assert_int_equal(check(&k, &o, "other.example", why, sizeof why), 0);
    conn_free(&k);

    /* No handshake yet, so no peer certificate. */
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = SSL_new(ctx);
    struct tsn_tls_opts none = {0};
    assert_int_equal(tsn_tls_check_peer(ssl, &none, "127.0.0.1", why, sizeof why), -EPERM);
    assert_string_equal(why, "the relay presented no certificate");
    struct tsn_tls_opts pinned = {.has_pin = 1};
    memcpy(pinned.pin_sha256, c->cert_sha256, 32);
    assert_int_equal(tsn_tls_check_peer(ssl, &pinned, "127.0.0.1", why, sizeof why), -EPERM);
    assert_string_equal(why, "the relay presented no certificate");
    assert_int_equal(tsn_tls_check_peer(ssl, &o, "127.0.0.1", why, sizeof why), 0);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_forms),          cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_format_round_trip),    cmocka_unit_test(test_ca_trusted),
        cmocka_unit_test(test_not_trusted),          cmocka_unit_test(test_pin),
        cmocka_unit_test(test_insecure_and_no_cert),
    };
    return cmocka_run_group_tests(tests, setup_certs, teardown_certs);
}
