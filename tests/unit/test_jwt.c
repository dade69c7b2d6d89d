/* Unit tests for relay/jwt.c: known vectors computed independently (RFC 7515
 * appendix A.1, and HMACs computed here with OpenSSL over hand-written
 * base64url), sign/verify round trips, and every verification error. The
 * test-side base64url goes through OpenSSL's EVP_EncodeBlock/DecodeBlock so
 * it shares no code with the module under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "jwt.h"

static const uint8_t key32[] = "0123456789abcdef0123456789abcdef";
#define KEY32_LEN 32
#define NOW       1700000100

/* ---- test-side helpers (independent of jwt.c) --------------------------- */

/* base64url without padding, via OpenSSL's standard base64. */
static void t_b64url(const void *in, size_t len, char *out, size_t cap)
{
    char *tmp = malloc(len * 2 + 8);
    assert_non_null(tmp);
    int n = EVP_EncodeBlock((unsigned char *)tmp, in, (int)len);
    while (n > 0 && tmp[n - 1] == '=')
        n--;
    assert_true((size_t)n < cap);
    for (int i = 0; i < n; i++)
        out[i] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
    out[n] = '\0';
    free(tmp);
}

/* Decodes unpadded base64url (for the RFC's JWK key). Returns the length. */
static size_t t_b64url_decode(const char *in, uint8_t *out)
{
    size_t len = strlen(in);
    char *tmp = calloc(1, len + 4);
    assert_non_null(tmp);
    for (size_t i = 0; i < len; i++)
        tmp[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
    size_t pad = (4 - len % 4) % 4;
    memset(tmp + len, '=', pad);
    int n = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)(len + pad));
    assert_true(n >= 0);
    free(tmp);
    return (size_t)n - pad;
}

/* HMAC-SHA-256 over the exact signing input, as base64url. */
static void t_sig(const uint8_t *key, size_t key_len, const char *input, size_t input_len,
                  char out[64])
{
    uint8_t mac[32];
    unsigned int mac_len = 0;
    assert_non_null(HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)input, input_len,
                         mac, &mac_len));
    assert_int_equal(mac_len, 32);
    t_b64url(mac, 32, out, 64);
}

/* Builds header.payload.signature from JSON texts; the caller frees it. */
static char *t_token(const char *header_json, const char *payload_json, const uint8_t *key,
                     size_t key_len)
{
    size_t cap = 2 * (strlen(header_json) + strlen(payload_json)) + 128;
    char *t = malloc(cap);
    assert_non_null(t);
    t_b64url(header_json, strlen(header_json), t, cap);
    size_t n = strlen(t);
    t[n++] = '.';
    t_b64url(payload_json, strlen(payload_json), t + n, cap - n);
    n += strlen(t + n);
    char sig[64];
    t_sig(key, key_len, t, n, sig);
    t[n++] = '.';
    strcpy(t + n, sig);
    return t;
}

static const char *hs256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* Verifies a token built from `payload_json` with the standard header. */
static int t_verify_payload(const char *payload_json, int64_t now, int64_t leeway,
                            struct tsn_claims *c)
{
    char *t = t_token(hs256, payload_json, key32, KEY32_LEN);
    int rc = tsn_jwt_verify(t, strlen(t), key32, KEY32_LEN, now, leeway, c);
    free(t);
    return rc;
}

static int t_verify(const char *t, struct tsn_claims *c)
{
    return tsn_jwt_verify(t, strlen(t), key32, KEY32_LEN, NOW, 0, c);
}

/* ---- known vectors ------------------------------------------------------ */

/* RFC 7515 A.1: its claims are not ours, so a correct implementation accepts
 * the header (with CRLF whitespace) and the signature and then refuses the
 * claims; a tampered signature must fail earlier, with ESIGNATURE. */
static void test_rfc7515_a1(void **state)
{
    uint8_t key[128];
    size_t key_len = t_b64url_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3"
                                     "Yj0iPS4hcgUuTwjAzZr1Z9CAow",
                                     key);
    assert_int_equal(key_len, 64);
    const char *input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
                        "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
                        "bS9pc19yb290Ijp0cnVlfQ";
    char sig[64];
    t_sig(key, key_len, input, strlen(input), sig);
    assert_string_equal(sig, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");

    char tok[512];
    snprintf(tok, sizeof tok, "%s.%s", input, sig);
    struct tsn_claims c;
    assert_int_equal(tsn_jwt_verify(tok, strlen(tok), key, key_len, 1300819000, 0, &c),
                     TSN_JWT_ECLAIMS);
    tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'X' ? 'Y' : 'X';
    assert_int_equal(tsn_jwt_verify(tok, strlen(tok), key, key_len, 1300819000, 0, &c),
                     TSN_JWT_ESIGNATURE);
}

/* The signing input written by hand (base64url computed outside this code
 * base), signed here with OpenSSL; tsn_jwt_sign must produce the same bytes
 * and tsn_jwt_verify must accept the hand-built token. */
static const char *hand_header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
static const char *hand_payload =
    "eyJyb29tIjoid2FyZC0zIiwicm9sZSI6ImNsaW5pY2lhbiIsInN1YiI6ImRyLmxlZSIsImlhdCI6MTcwMDAwMDAwMCwiZ"
    "XhwIjoxNzAwMDAzNjAwfQ";
static const char *hand_sig = "9e_qce1LrbkiKHGai9PD_7e0HuRwxH3MOe5vXzlVmbg";

static void test_hand_built_token(void **state)
{
    char input[512], sig[64], tok[600];
    snprintf(input, sizeof input, "%s.%s", hand_header, hand_payload);
    t_sig(key32, KEY32_LEN, input, strlen(input), sig);
    assert_string_equal(sig, hand_sig);
    snprintf(tok, sizeof tok, "%s.%s", input, sig);

    struct tsn_claims c;
    assert_int_equal(t_verify(tok, &c), 0);
    assert_string_equal(c.room, "ward-3");
    assert_string_equal(c.sub, "dr.lee");
    assert_int_equal(c.role, TSN_ROLE_CLINICIAN);
    assert_int_equal(c.iat, 1700000000);
    assert_int_equal(c.exp, 1700003600);
    assert_int_equal(c.nbf, 0);
}

static void test_sign_known_vector(void **state)
{
    struct tsn_claims c = {.room = "ward-3",
                           .sub = "dr.lee",
                           .role = TSN_ROLE_CLINICIAN,
                           .iat = 1700000000,
                           .exp = 1700003600};
    char out[TSN_JWT_MAX_TOKEN + 1], want[600];
    snprintf(want, sizeof want, "%s.%s.%s", hand_header, hand_payload, hand_sig);
    int n = tsn_jwt_sign(&c, key32, KEY32_LEN, out, sizeof out);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(out, want);

    /* Exactly enough room (length + NUL), and one byte less. */
    char *exact = malloc((size_t)n + 1);
    assert_non_null(exact);
    assert_int_equal(tsn_jwt_sign(&c, key32, KEY32_LEN, exact, (size_t)n + 1), n);
    assert_string_equal(exact, want);
    assert_int_equal(tsn_jwt_sign(&c, key32, KEY32_LEN, exact, (size_t)n), -ENOSPC);
    free(exact);
}

/* The claims order and optional members as the brief fixes them. */
static void test_sign_claims_text(void **state)
{
    struct tsn_claims c = {
        .room = "R_1", .sub = "a b~!", .role = TSN_ROLE_CAPTURE, .iat = 10, .nbf = 20, .exp = 30};
    char out[1024], want[1024];
    int n = tsn_jwt_sign(&c, key32, KEY32_LEN, out, sizeof out);
    assert_true(n > 0);
    char *t = t_token(hs256,
                      "{\"room\":\"R_1\",\"role\":\"capture\",\"sub\":\"a b~!\",\"iat\":10,"
                      "\"nbf\":20,\"exp\":30}",
                      key32, KEY32_LEN);
    assert_string_equal(out, t);
    free(t);

    c.iat = 0;
    c.nbf = 0;
    n = tsn_jwt_sign(&c, key32, KEY32_LEN, out, sizeof out);
    assert_true(n > 0);
    t = t_token(hs256, "{\"room\":\"R_1\",\"role\":\"capture\",\"sub\":\"a b~!\",\"exp\":30}",
                key32, KEY32_LEN);
    snprintf(want, sizeof want, "%s", t);
    free(t);
    assert_string_equal(out, want);
}

/* ---- round trips -------------------------------------------------------- */

static void test_round_trip_all_roles(void **state)
{
    static const enum tsn_role roles[] = {TSN_ROLE_CAPTURE, TSN_ROLE_CLINICIAN, TSN_ROLE_OBSERVER,
                                          TSN_ROLE_REVIEWER, TSN_ROLE_ADMIN};
    for (size_t i = 0; i < 5; i++) {
        struct tsn_claims c = {.role = roles[i], .exp = NOW + 60 + (int64_t)i};
        snprintf(c.room, sizeof c.room, "room-%zu", i);
        snprintf(c.sub, sizeof c.sub, "user %zu", i);
        c.iat = i % 2 ? NOW : 0;
        c.nbf = i % 2 ? NOW - 5 : 0;
        char tok[TSN_JWT_MAX_TOKEN + 1];
        int n = tsn_jwt_sign(&c, key32, KEY32_LEN, tok, sizeof tok);
        assert_true(n > 0);
        assert_int_equal((size_t)n, strlen(tok));
        struct tsn_claims v;
        assert_int_equal(tsn_jwt_verify(tok, (size_t)n, key32, KEY32_LEN, NOW, 0, &v), 0);
        assert_string_equal(v.room, c.room);
        assert_string_equal(v.sub, c.sub);
        assert_int_equal(v.role, c.role);
        assert_int_equal(v.exp, c.exp);
        assert_int_equal(v.nbf, c.nbf);
        assert_int_equal(v.iat, c.iat);
    }
}

/* Longest room and subject, and a token that is not NUL-terminated. */
static void test_round_trip_max_fields(void **state)
{
    struct tsn_claims c = {.role = TSN_ROLE_ADMIN, .exp = INT64_MAX};
    memset(c.room, 'r', TSN_ROOM_MAX);
    memset(c.sub, '~', TSN_SUB_MAX);
    char tok[TSN_JWT_MAX_TOKEN + 1];
    int n = tsn_jwt_sign(&c, key32, KEY32_LEN, tok, sizeof tok);
    assert_true(n > 0);
    char *copy = malloc((size_t)n);
    assert_non_null(copy);
    memcpy(copy, tok, (size_t)n);
    struct tsn_claims v;
    assert_int_equal(tsn_jwt_verify(copy, (size_t)n, key32, KEY32_LEN, NOW, INT64_MAX, &v), 0);
    assert_int_equal(strlen(v.room), TSN_ROOM_MAX);
    assert_int_equal(strlen(v.sub), TSN_SUB_MAX);
    assert_true(v.exp == INT64_MAX);
    free(copy);
}

/* ---- signature and structure errors ------------------------------------ */

static void test_tampered_payload(void **state)
{
    char tok[600];
    snprintf(tok, sizeof tok, "%s.%s.%s", hand_header, hand_payload, hand_sig);
    /* Change one character inside the payload ("ward-3" becomes "ward-7"). */
    char *p = tok + strlen(hand_header) + 1 + 19;
    assert_int_equal(*p, 'z');
    *p = '3';
    struct tsn_claims c;
    memset(&c, 0xaa, sizeof c);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_ESIGNATURE);
    /* *out is zeroed on error. */
    struct tsn_claims zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&c, &zero, sizeof c);

    /* A well-formed payload with a better role under the original signature. */
    const char *admin = "{\"room\":\"ward-3\",\"role\":\"admin\",\"sub\":\"dr.lee\","
                        "\"iat\":1700000000,\"exp\":1700003600}";
    char p64[256];
    t_b64url(admin, strlen(admin), p64, sizeof p64);
    snprintf(tok, sizeof tok, "%s.%s.%s", hand_header, p64, hand_sig);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_ESIGNATURE);

    /* A payload signed with another key. */
    uint8_t other[KEY32_LEN];
    memcpy(other, key32, KEY32_LEN);
    other[0] ^= 1;
    char *t = t_token(hs256, "{\"room\":\"a\",\"role\":\"admin\",\"sub\":\"x\",\"exp\":1800000000}",
                      other, sizeof other);
    assert_int_equal(t_verify(t, &c), TSN_JWT_ESIGNATURE);
    assert_int_equal(tsn_jwt_verify(t, strlen(t), other, sizeof other, NOW, 0, &c), 0);
    free(t);
}

static void test_tampered_signature(void **state)
{
    char tok[600];
    snprintf(tok, sizeof tok, "%s.%s.%s", hand_header, hand_payload, hand_sig);
    struct tsn_claims c;
    size_t len = strlen(tok);
    assert_int_equal(t_verify(tok, &c), 0);
    tok[len - 5] ^= 0x01; /* 'l' -> 'm', both in the alphabet */
    assert_int_equal(t_verify(tok, &c), TSN_JWT_ESIGNATURE);
    tok[len - 5] ^= 0x01;
    tok[len - 40] = tok[len - 40] == 'A' ? 'B' : 'A';
    assert_int_equal(t_verify(tok, &c), TSN_JWT_ESIGNATURE);
    snprintf(tok, sizeof tok, "%s.%s.%s", hand_header, hand_payload, hand_sig);
    /* The last char 'g' (100000b) carries 4 data bits and 2 unused bits; 'h'
     * differs only in an unused bit. That non-canonical spelling of the same
     * signature bytes must not verify. */
    tok[len - 1] = 'h';
    assert_int_equal(t_verify(tok, &c), TSN_JWT_EMALFORMED);
    tok[len - 1] = 'g';
    /* Truncated (30 bytes) or extended (35 bytes) signature. */
    tok[len - 3] = '\0';
    assert_int_equal(t_verify(tok, &c), TSN_JWT_ESIGNATURE);
    snprintf(tok, sizeof tok, "%s.%s.%s", hand_header, hand_payload, hand_sig);
    strcpy(tok + len, "AAAA");
    assert_int_equal(t_verify(tok, &c), TSN_JWT_ESIGNATURE);
    /* Empty signature. */
    snprintf(tok, sizeof tok, "%s.%s.", hand_header, hand_payload);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_ESIGNATURE);
    /* No key at all never verifies. */
    snprintf(tok, sizeof tok, "%s.%s.%s", hand_header, hand_payload, hand_sig);
    assert_int_equal(tsn_jwt_verify(tok, strlen(tok), key32, 0, NOW, 0, &c), TSN_JWT_ESIGNATURE);
}

static void test_alg_none_and_others(void **state)
{
    const char *payload = "{\"room\":\"a\",\"role\":\"admin\",\"sub\":\"x\",\"exp\":1800000000}";
    struct tsn_claims c;
    char h[128], p[256], tok[512];
    t_b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}", 26, h, sizeof h);
    t_b64url(payload, strlen(payload), p, sizeof p);
    snprintf(tok, sizeof tok, "%s.%s.", h, p);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_EALG);

    /* Even correctly HMAC-signed, a header that is not HS256 is refused. */
    static const char *headers[] = {
        "{\"alg\":\"none\"}",  "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
        "{\"alg\":\"hs256\"}", "{\"typ\":\"JWT\"}",
        "{\"alg\":256}",       "{\"alg\":\"HS256 \"}",
        "{\"alg\":\"RS256\"}", "{\"alg\":null}",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        char *t = t_token(headers[i], payload, key32, KEY32_LEN);
        assert_int_equal(t_verify(t, &c), TSN_JWT_EALG);
        free(t);
    }
    /* typ optional; alg alone, extra members, and spacing are fine. */
    static const char *good[] = {"{\"alg\":\"HS256\"}", "{ \"typ\" : \"jwt\" , \"alg\":\"HS256\" }",
                                 "{\"alg\":\"HS256\",\"kid\":\"k1\"}"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char *t = t_token(good[i], payload, key32, KEY32_LEN);
        assert_int_equal(t_verify(t, &c), 0);
        free(t);
    }
    /* Bad typ, crit, duplicate alg, non-object or non-JSON headers. */
    static const char *bad[] = {
        "{\"alg\":\"HS256\",\"typ\":\"JWS\"}",
        "{\"alg\":\"HS256\",\"typ\":1}",
        "{\"alg\":\"HS256\",\"crit\":[\"b64\"]}",
        "{\"alg\":\"none\",\"alg\":\"HS256\"}",
        "[\"HS256\"]",
        "{\"alg\":\"HS256\"",
        "{\"alg\":\"HS256\"}x",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *t = t_token(bad[i], payload, key32, KEY32_LEN);
        assert_int_equal(t_verify(t, &c), TSN_JWT_EMALFORMED);
        free(t);
    }
}

static void test_parts_and_alphabet(void **state)
{
    char good[600], tok[700];
    snprintf(good, sizeof good, "%s.%s.%s", hand_header, hand_payload, hand_sig);
    struct tsn_claims c;
    /* Two parts, four parts, empty parts, empty token. */
    snprintf(tok, sizeof tok, "%s.%s", hand_header, hand_payload);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_EMALFORMED);
    snprintf(tok, sizeof tok, "%s.%s.%s.%s", hand_header, hand_payload, hand_sig, hand_sig);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_EMALFORMED);
    snprintf(tok, sizeof tok, "%s.", good);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_EMALFORMED);
    snprintf(tok, sizeof tok, ".%s.%s", hand_payload, hand_sig);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_EMALFORMED);
    snprintf(tok, sizeof tok, "%s..%s", hand_header, hand_sig);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_EMALFORMED);
    assert_int_equal(t_verify("", &c), TSN_JWT_EMALFORMED);
    assert_int_equal(t_verify("..", &c), TSN_JWT_EMALFORMED);
    assert_int_equal(tsn_jwt_verify(NULL, 0, key32, KEY32_LEN, NOW, 0, &c), TSN_JWT_EMALFORMED);

    /* Padding in each part: the payload is 114 chars (114 % 4 == 2), so
     * "==" is its standard padding; the header is 36 (no padding needed);
     * the signature is 43, so "=" is its standard padding. */
    assert_int_equal(strlen(hand_payload), 114);
    snprintf(tok, sizeof tok, "%s.%s==.%s", hand_header, hand_payload, hand_sig);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_EMALFORMED);
    snprintf(tok, sizeof tok, "%s.%s.%s=", hand_header, hand_payload, hand_sig);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_EMALFORMED);
    snprintf(tok, sizeof tok, "%s=.%s.%s", hand_header, hand_payload, hand_sig);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_EMALFORMED);
    snprintf(tok, sizeof tok, "%s====.%s.%s", hand_header, hand_payload, hand_sig);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_EMALFORMED);

    /* Characters from standard base64 or outside any alphabet, and NUL. */
    static const char subst[] = {'+', '/', ' ', '\n', '*', '\0', (char)0xc3};
    size_t len = strlen(good);
    size_t where[] = {3, 37 + 10, len - 3};
    for (size_t i = 0; i < sizeof subst; i++) {
        for (size_t w = 0; w < 3; w++) {
            memcpy(tok, good, len + 1);
            tok[where[w]] = subst[i];
            assert_int_equal(tsn_jwt_verify(tok, len, key32, KEY32_LEN, NOW, 0, &c),
                             TSN_JWT_EMALFORMED);
        }
    }
    /* A part whose length is 1 mod 4 cannot be base64 (114 + 3 = 117). */
    snprintf(tok, sizeof tok, "%s.%sAAA.%s", hand_header, hand_payload, hand_sig);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_EMALFORMED);
    /* Trailing whitespace is not part of a token. */
    snprintf(tok, sizeof tok, "%s\n", good);
    assert_int_equal(t_verify(tok, &c), TSN_JWT_EMALFORMED);
    /* len shorter than the string: only `len` bytes count (a 40-character,
     * 30-byte signature). */
    assert_int_equal(tsn_jwt_verify(good, len - 3, key32, KEY32_LEN, NOW, 0, &c),
                     TSN_JWT_ESIGNATURE);
}

/* A token padded with an extra claim to exactly TSN_JWT_MAX_TOKEN bytes is
 * accepted; one byte longer is refused before any work. */
static void test_token_length_limit(void **state)
{
    int found_max = 0, found_over = 0;
    for (size_t pad = 2900; pad < 3100 && !(found_max && found_over); pad++) {
        char *payload = malloc(pad + 200);
        assert_non_null(payload);
        int n = snprintf(payload, pad + 200,
                         "{\"room\":\"a\",\"role\":\"admin\",\"sub\":\"x\",\"exp\":1800000000,"
                         "\"pad\":\"");
        memset(payload + n, 'p', pad);
        strcpy(payload + n + pad, "\"}");
        char *t = t_token(hs256, payload, key32, KEY32_LEN);
        size_t len = strlen(t);
        struct tsn_claims c;
        if (len == TSN_JWT_MAX_TOKEN) {
            assert_int_equal(t_verify(t, &c), 0);
            assert_string_equal(c.room, "a");
            found_max = 1;
        } else if (len == TSN_JWT_MAX_TOKEN + 1) {
            assert_int_equal(t_verify(t, &c), TSN_JWT_EMALFORMED);
            found_over = 1;
        }
        free(t);
        free(payload);
    }
    assert_true(found_max && found_over);

    /* Anything longer, even of valid characters. */
    char *big = malloc(3 * TSN_JWT_MAX_TOKEN);
    assert_non_null(big);
    memset(big, 'A', 3 * TSN_JWT_MAX_TOKEN);
    big[1000] = big[2000] = '.';
    struct tsn_claims c;
    assert_int_equal(tsn_jwt_verify(big, 3 * TSN_JWT_MAX_TOKEN, key32, KEY32_LEN, NOW, 0, &c),
                     TSN_JWT_EMALFORMED);
    free(big);
}

/* ---- time checks -------------------------------------------------------- */

static const char *claims_exp = "{\"room\":\"a\",\"role\":\"observer\",\"sub\":\"x\",\"exp\":1000}";
static const char *claims_nbf =
    "{\"room\":\"a\",\"role\":\"observer\",\"sub\":\"x\",\"nbf\":1000,\"exp\":2000}";

static void test_expired(void **state)
{
    struct tsn_claims c;
    assert_int_equal(t_verify_payload(claims_exp, 999, 0, &c), 0);
    assert_int_equal(c.exp, 1000);
    assert_int_equal(t_verify_payload(claims_exp, 1000, 0, &c), TSN_JWT_EEXPIRED);
    assert_int_equal(t_verify_payload(claims_exp, 5000, 0, &c), TSN_JWT_EEXPIRED);
    /* Within leeway: now - leeway < exp. */
    assert_int_equal(t_verify_payload(claims_exp, 1009, 10, &c), 0);
    assert_int_equal(t_verify_payload(claims_exp, 1010, 10, &c), TSN_JWT_EEXPIRED);
    /* Extreme clocks neither overflow nor accept. */
    assert_int_equal(t_verify_payload(claims_exp, INT64_MAX, INT64_MAX, &c), 0);
    assert_int_equal(t_verify_payload(claims_exp, INT64_MAX, 0, &c), TSN_JWT_EEXPIRED);
    assert_int_equal(t_verify_payload(claims_exp, INT64_MIN, INT64_MAX, &c), 0);
    /* A negative leeway counts as none. */
    assert_int_equal(t_verify_payload(claims_exp, 999, -100, &c), 0);
}

static void test_not_yet_valid(void **state)
{
    struct tsn_claims c;
    assert_int_equal(t_verify_payload(claims_nbf, 999, 0, &c), TSN_JWT_ENOTYET);
    assert_int_equal(c.nbf, 0); /* zeroed on error */
    assert_int_equal(t_verify_payload(claims_nbf, 1000, 0, &c), 0);
    assert_int_equal(c.nbf, 1000);
    assert_int_equal(t_verify_payload(claims_nbf, 990, 10, &c), 0);
    assert_int_equal(t_verify_payload(claims_nbf, 989, 10, &c), TSN_JWT_ENOTYET);
    assert_int_equal(t_verify_payload(claims_nbf, INT64_MIN, 10, &c), TSN_JWT_ENOTYET);
}

/* ---- claims errors ------------------------------------------------------ */

static void expect_claims(const char *payload, int want)
{
    struct tsn_claims c;
    int rc = t_verify_payload(payload, 100, 0, &c);
    if (rc != want)
        fail_msg("payload %s: got %d, want %d", payload, rc, want);
}

#define BASE "\"room\":\"a\",\"role\":\"admin\",\"sub\":\"x\""

static void test_claims_errors(void **state)
{
    expect_claims("{" BASE ",\"exp\":200}", 0);
    expect_claims("{" BASE ",\"exp\":200,\"iss\":\"x\",\"jti\":[1]}", 0); /* unknown: ignored */
    /* exp */
    expect_claims("{" BASE "}", TSN_JWT_ECLAIMS);
    expect_claims("{" BASE ",\"exp\":\"200\"}", TSN_JWT_ECLAIMS);
    expect_claims("{" BASE ",\"exp\":200.0}", TSN_JWT_ECLAIMS);
    expect_claims("{" BASE ",\"exp\":2e2}", TSN_JWT_ECLAIMS);
    expect_claims("{" BASE ",\"exp\":null}", TSN_JWT_ECLAIMS);
    expect_claims("{" BASE ",\"exp\":true}", TSN_JWT_ECLAIMS);
    expect_claims("{" BASE ",\"exp\":-5}", TSN_JWT_ECLAIMS);
    expect_claims("{" BASE ",\"exp\":0}", TSN_JWT_ECLAIMS);
    expect_claims("{" BASE ",\"exp\":99999999999999999999999}", TSN_JWT_EMALFORMED);
    /* nbf, iat */
    expect_claims("{" BASE ",\"exp\":200,\"nbf\":\"1\"}", TSN_JWT_ECLAIMS);
    expect_claims("{" BASE ",\"exp\":200,\"iat\":1.5}", TSN_JWT_ECLAIMS);
    expect_claims("{" BASE ",\"exp\":200,\"iat\":-1}", TSN_JWT_ECLAIMS);
    expect_claims("{" BASE ",\"exp\":200,\"iat\":50,\"nbf\":50}", 0);
    /* role */
    expect_claims("{\"room\":\"a\",\"role\":\"root\",\"sub\":\"x\",\"exp\":200}", TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":\"a\",\"role\":\"Admin\",\"sub\":\"x\",\"exp\":200}", TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":\"a\",\"role\":16,\"sub\":\"x\",\"exp\":200}", TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":\"a\",\"role\":\"none\",\"sub\":\"x\",\"exp\":200}", TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":\"a\",\"role\":\"\",\"sub\":\"x\",\"exp\":200}", TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":\"a\",\"role\":[\"admin\"],\"sub\":\"x\",\"exp\":200}",
                  TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":\"a\",\"sub\":\"x\",\"exp\":200}", TSN_JWT_ECLAIMS);
    /* room */
    expect_claims("{\"room\":\"ward 3\",\"role\":\"admin\",\"sub\":\"x\",\"exp\":200}",
                  TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":\"\",\"role\":\"admin\",\"sub\":\"x\",\"exp\":200}", TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":\"../x\",\"role\":\"admin\",\"sub\":\"x\",\"exp\":200}",
                  TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":\"caf\\u00e9\",\"role\":\"admin\",\"sub\":\"x\",\"exp\":200}",
                  TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":1,\"role\":\"admin\",\"sub\":\"x\",\"exp\":200}", TSN_JWT_ECLAIMS);
    expect_claims("{\"role\":\"admin\",\"sub\":\"x\",\"exp\":200}", TSN_JWT_ECLAIMS);
    /* sub */
    expect_claims("{\"room\":\"a\",\"role\":\"admin\",\"sub\":\"\",\"exp\":200}", TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":\"a\",\"role\":\"admin\",\"sub\":\"a\\\"b\",\"exp\":200}",
                  TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":\"a\",\"role\":\"admin\",\"sub\":\"a\\\\b\",\"exp\":200}",
                  TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":\"a\",\"role\":\"admin\",\"sub\":\"a\\nb\",\"exp\":200}",
                  TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":\"a\",\"role\":\"admin\",\"sub\":\"a\\u0000b\",\"exp\":200}",
                  TSN_JWT_EMALFORMED);
    expect_claims("{\"room\":\"a\",\"role\":\"admin\",\"sub\":null,\"exp\":200}", TSN_JWT_ECLAIMS);
    expect_claims("{\"room\":\"a\",\"role\":\"admin\",\"exp\":200}", TSN_JWT_ECLAIMS);
    /* duplicate keys, non-objects, bad JSON */
    expect_claims("{" BASE ",\"exp\":200,\"exp\":300}", TSN_JWT_EMALFORMED);
    expect_claims("{\"room\":\"a\",\"room\":\"b\",\"role\":\"admin\",\"sub\":\"x\",\"exp\":200}",
                  TSN_JWT_EMALFORMED);
    expect_claims("{\"room\":\"a\",\"role\":\"observer\",\"role\":\"admin\",\"sub\":\"x\","
                  "\"exp\":200}",
                  TSN_JWT_EMALFORMED);
    expect_claims("[" BASE "]", TSN_JWT_EMALFORMED);
    expect_claims("\"x\"", TSN_JWT_EMALFORMED);
    expect_claims("{" BASE ",\"exp\":200", TSN_JWT_EMALFORMED);
    expect_claims("{" BASE ",\"exp\":200} {}", TSN_JWT_EMALFORMED);
    expect_claims("", TSN_JWT_EMALFORMED);
}

static void test_room_and_sub_limits(void **state)
{
    char payload[512], name[TSN_ROOM_MAX + 2];
    memset(name, 'z', sizeof name);
    name[TSN_ROOM_MAX] = '\0';
    snprintf(payload, sizeof payload,
             "{\"room\":\"%s\",\"role\":\"admin\",\"sub\":\"x\",\"exp\":200}", name);
    expect_claims(payload, 0);
    name[TSN_ROOM_MAX] = 'z';
    name[TSN_ROOM_MAX + 1] = '\0';
    snprintf(payload, sizeof payload,
             "{\"room\":\"%s\",\"role\":\"admin\",\"sub\":\"x\",\"exp\":200}", name);
    expect_claims(payload, TSN_JWT_ECLAIMS);
    snprintf(payload, sizeof payload,
             "{\"room\":\"a\",\"role\":\"admin\",\"sub\":\"%s\",\"exp\":200}", name);
    expect_claims(payload, TSN_JWT_ECLAIMS);
    name[TSN_SUB_MAX] = '\0';
    snprintf(payload, sizeof payload,
             "{\"room\":\"a\",\"role\":\"admin\",\"sub\":\"%s\",\"exp\":200}", name);
    expect_claims(payload, 0);
}

/* ---- signing errors and names ------------------------------------------ */

static void test_sign_errors(void **state)
{
    char out[TSN_JWT_MAX_TOKEN + 1];
    struct tsn_claims ok = {.room = "a", .sub = "x", .role = TSN_ROLE_ADMIN, .exp = 10};
    assert_true(tsn_jwt_sign(&ok, key32, KEY32_LEN, out, sizeof out) > 0);

    struct tsn_claims c = ok;
    strcpy(c.room, "a b");
    assert_int_equal(tsn_jwt_sign(&c, key32, KEY32_LEN, out, sizeof out), -EINVAL);
    c = ok;
    c.room[0] = '\0';
    assert_int_equal(tsn_jwt_sign(&c, key32, KEY32_LEN, out, sizeof out), -EINVAL);
    c = ok;
    memset(c.room, 'a', sizeof c.room); /* not NUL-terminated */
    assert_int_equal(tsn_jwt_sign(&c, key32, KEY32_LEN, out, sizeof out), -EINVAL);
    c = ok;
    c.role = TSN_ROLE_NONE;
    assert_int_equal(tsn_jwt_sign(&c, key32, KEY32_LEN, out, sizeof out), -EINVAL);
    c.role = TSN_ROLE_ADMIN | TSN_ROLE_CAPTURE;
    assert_int_equal(tsn_jwt_sign(&c, key32, KEY32_LEN, out, sizeof out), -EINVAL);
    c = ok;
    c.exp = 0;
    assert_int_equal(tsn_jwt_sign(&c, key32, KEY32_LEN, out, sizeof out), -EINVAL);
    c.exp = -1;
    assert_int_equal(tsn_jwt_sign(&c, key32, KEY32_LEN, out, sizeof out), -EINVAL);
    c = ok;
    strcpy(c.sub, "a\"b");
    assert_int_equal(tsn_jwt_sign(&c, key32, KEY32_LEN, out, sizeof out), -EINVAL);
    c.sub[0] = '\0';
    assert_int_equal(tsn_jwt_sign(&c, key32, KEY32_LEN, out, sizeof out), -EINVAL);
    c = ok;
    c.nbf = -1;
    assert_int_equal(tsn_jwt_sign(&c, key32, KEY32_LEN, out, sizeof out), -EINVAL);
    assert_int_equal(tsn_jwt_sign(&ok, key32, 0, out, sizeof out), -EINVAL);
    assert_int_equal(tsn_jwt_sign(&ok, key32, KEY32_LEN, out, 10), -ENOSPC);
}

static void test_names(void **state)
{
    static const char *names[] = {"capture", "clinician", "observer", "reviewer", "admin"};
    for (int i = 0; i < 5; i++) {
        enum tsn_role r = tsn_role_parse(names[i]);
        assert_int_equal(r, 1 << i);
        assert_string_equal(tsn_role_name(r), names[i]);
    }
    assert_int_equal(tsn_role_parse("ADMIN"), TSN_ROLE_NONE);
    assert_int_equal(tsn_role_parse("admin "), TSN_ROLE_NONE);
    assert_int_equal(tsn_role_parse(""), TSN_ROLE_NONE);
    assert_int_equal(tsn_role_parse(NULL), TSN_ROLE_NONE);
    assert_string_equal(tsn_role_name(TSN_ROLE_NONE), "none");
    assert_string_equal(tsn_role_name(TSN_ROLE_ADMIN | TSN_ROLE_CAPTURE), "unknown");

    assert_true(tsn_room_name_valid("a"));
    assert_true(tsn_room_name_valid("Ward_3-B"));
    assert_false(tsn_room_name_valid(""));
    assert_false(tsn_room_name_valid(NULL));
    assert_false(tsn_room_name_valid("a.b"));
    assert_false(tsn_room_name_valid("a/b"));
    char room[TSN_ROOM_MAX + 2];
    memset(room, 'x', sizeof room);
    room[TSN_ROOM_MAX] = '\0';
    assert_true(tsn_room_name_valid(room));
    room[TSN_ROOM_MAX] = 'x';
    room[TSN_ROOM_MAX + 1] = '\0';
    assert_false(tsn_room_name_valid(room));

    const int codes[] = {TSN_JWT_EMALFORMED, TSN_JWT_EALG,    TSN_JWT_ESIGNATURE,
                         TSN_JWT_EEXPIRED,   TSN_JWT_ENOTYET, TSN_JWT_ECLAIMS};
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < i; j++)
            assert_string_not_equal(tsn_jwt_strerror(codes[i]), tsn_jwt_strerror(codes[j]));
    assert_string_equal(tsn_jwt_strerror(TSN_JWT_EEXPIRED), "token expired");
    assert_non_null(tsn_jwt_strerror(-12345));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7515_a1),
        cmocka_unit_test(test_hand_built_token),
        cmocka_unit_test(test_sign_known_vector),
        cmocka_unit_test(test_sign_claims_text),
        cmocka_unit_test(test_round_trip_all_roles),
        cmocka_unit_test(test_round_trip_max_fields),
        cmocka_unit_test(test_tampered_payload),
        cmocka_unit_test(test_tampered_signature),
        cmocka_unit_test(test_alg_none_and_others),
        cmocka_unit_test(test_parts_and_alphabet),
        cmocka_unit_test(test_token_length_limit),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_not_yet_valid),
        cmocka_unit_test(test_claims_errors),
        cmocka_unit_test(test_room_and_sub_limits),
        cmocka_unit_test(test_sign_errors),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
