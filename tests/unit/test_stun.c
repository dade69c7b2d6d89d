/* Unit tests for relay/stun.c: the RFC 5769 test vectors checked byte-exactly,
 * round trips through the builders and the parser, tampering, truncation and
 * every malformed-input rule the parser enforces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stun.h"

/* RFC 5769 section 2: the short-term password shared by all three samples. */
static const char rfc_password[] = "VOkJxbRl1RmTxUk/WvJxBt";

/* RFC 5769 section 2.1: Binding request, SOFTWARE, PRIORITY, ICE-CONTROLLED,
 * USERNAME "evtj:h6vY" padded with spaces, MESSAGE-INTEGRITY, FINGERPRINT. */
static const uint8_t rfc_request[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};
#define RFC_REQUEST_MI_OFFSET 76

/* RFC 5769 section 2.2: Binding success, XOR-MAPPED-ADDRESS 192.0.2.1:32853. */
static const uint8_t rfc_response_v4[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};
#define RFC_V4_XMA_OFFSET 36

/* RFC 5769 section 2.3: XOR-MAPPED-ADDRESS
 * [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
static const uint8_t rfc_response_v6[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};
#define RFC_V6_XMA_OFFSET 36

static const uint8_t rfc_txid[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                     0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static const char ice_user[] = "relayufrag:clientufrag";
static const char ice_pwd[] = "0123456789abcdefghijklmn";

/* Parses a heap copy of exactly `len` bytes so ASan catches any over-read;
 * the copy is returned for tests that go on to check integrity. */
static uint8_t *dup_bytes(const uint8_t *p, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, p, len);
    return copy;
}

static int parse_exact(const uint8_t *p, size_t len, struct tsn_stun_msg *msg)
{
    uint8_t *copy = dup_bytes(p, len);
    int rc = tsn_stun_parse(copy, len, msg);
    free(copy);
    return rc;
}

static void set_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* ---- RFC 5769 vectors ---------------------------------------------------- */

static void test_rfc5769_request(void **state)
{
    struct tsn_stun_msg m;
    uint8_t *buf = dup_bytes(rfc_request, sizeof rfc_request);

    assert_true(tsn_stun_is_stun(buf, sizeof rfc_request));
    assert_int_equal(tsn_stun_parse(buf, sizeof rfc_request, &m), 0);
    assert_int_equal(m.type, TSN_STUN_BINDING_REQUEST);
    assert_int_equal(m.length, 0x58);
    assert_memory_equal(m.txid, rfc_txid, 12);
    assert_int_equal(m.username_len, 9);
    assert_memory_equal(m.username, "evtj:h6vY", 9);
    assert_true(m.has_priority);
    assert_int_equal(m.priority, 0x6e0001ff);
    assert_true(m.ice_controlled);
    assert_false(m.ice_controlling);
    assert_true(m.tiebreaker == 0x932ff9b151263b36ull);
    assert_false(m.use_candidate);
    assert_true(m.has_integrity);
    assert_int_equal(m.integrity_offset, RFC_REQUEST_MI_OFFSET);
    assert_true(m.has_fingerprint);
    assert_false(m.has_error_code);
    assert_false(m.has_xor_mapped);

    assert_int_equal(
        tsn_stun_check_integrity(buf, sizeof rfc_request, &m, rfc_password, strlen(rfc_password)),
        0);
    assert_int_equal(tsn_stun_check_integrity(buf, sizeof rfc_request, &m, "VOkJxbRl1RmTxUk/WvJxBu",
                                              strlen(rfc_password)),
                     -EACCES);
    assert_int_equal(tsn_stun_check_integrity(buf, sizeof rfc_request, &m, rfc_password,
                                              strlen(rfc_password) - 1),
                     -EACCES);
    free(buf);
}

static void check_rfc_response(const uint8_t *vec, size_t len, const struct sockaddr *want)
{
    struct tsn_stun_msg m;
    uint8_t *buf = dup_bytes(vec, len);

    assert_int_equal(tsn_stun_parse(buf, len, &m), 0);
    assert_int_equal(m.type, TSN_STUN_BINDING_SUCCESS);
    assert_memory_equal(m.txid, rfc_txid, 12);
    assert_true(m.has_integrity);
    assert_true(m.has_fingerprint);
    assert_null(m.username);
    assert_true(m.has_xor_mapped);
    assert_int_equal(m.xor_mapped.ss_family, want->sa_family);
    if (want->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&m.xor_mapped;
        const struct sockaddr_in *b = (const struct sockaddr_in *)want;
        assert_int_equal(a->sin_port, b->sin_port);
        assert_memory_equal(&a->sin_addr, &b->sin_addr, 4);
    } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&m.xor_mapped;
        const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)want;
        assert_int_equal(a->sin6_port, b->sin6_port);
        assert_memory_equal(&a->sin6_addr, &b->sin6_addr, 16);
    }
    assert_int_equal(tsn_stun_check_integrity(buf, len, &m, rfc_password, strlen(rfc_password)), 0);
    assert_int_equal(tsn_stun_check_integrity(buf, len, &m, ice_pwd, strlen(ice_pwd)), -EACCES);
    free(buf);
}

static void rfc_v4_addr(struct sockaddr_in *sin)
{
    memset(sin, 0, sizeof *sin);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(32853);
    assert_int_equal(inet_pton(AF_INET, "192.0.2.1", &sin->sin_addr), 1);
}

static void rfc_v6_addr(struct sockaddr_in6 *sin6)
{
    memset(sin6, 0, sizeof *sin6);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(32853);
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &sin6->sin6_addr),
                     1);
}

static void test_rfc5769_response_v4(void **state)
{
    struct sockaddr_in sin;
    rfc_v4_addr(&sin);
    check_rfc_response(rfc_response_v4, sizeof rfc_response_v4, (struct sockaddr *)&sin);
}

static void test_rfc5769_response_v6(void **state)
{
    struct sockaddr_in6 sin6;
    rfc_v6_addr(&sin6);
    check_rfc_response(rfc_response_v6, sizeof rfc_response_v6, (struct sockaddr *)&sin6);
}

/* Our encoder must produce the same XOR-MAPPED-ADDRESS bytes as the RFC. */
static void test_rfc5769_xor_mapped_bytes(void **state)
{
    uint8_t out[128];
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    rfc_v4_addr(&sin);
    rfc_v6_addr(&sin6);

    size_t n = tsn_stun_build_success(out, sizeof out, rfc_txid, (struct sockaddr *)&sin,
                                      rfc_password, strlen(rfc_password));
    assert_int_equal(n, 20 + 12 + 24 + 8);
    assert_memory_equal(out + 20, rfc_response_v4 + RFC_V4_XMA_OFFSET, 12);

    n = tsn_stun_build_success(out, sizeof out, rfc_txid, (struct sockaddr *)&sin6, rfc_password,
                               strlen(rfc_password));
    assert_int_equal(n, 20 + 24 + 24 + 8);
    assert_memory_equal(out + 20, rfc_response_v6 + RFC_V6_XMA_OFFSET, 24);
}

/* Changing any covered byte must break MESSAGE-INTEGRITY. The length field
 * (bytes 2..3) is replaced by the adjusted length before hashing, and the MI
 * attribute header is not hashed (the parser validates it instead). */
static void test_tamper_every_byte(void **state)
{
    struct tsn_stun_msg m;
    size_t len = sizeof rfc_request;
    uint8_t *buf = dup_bytes(rfc_request, len);
    assert_int_equal(tsn_stun_parse(buf, len, &m), 0);

    for (size_t i = 0; i < RFC_REQUEST_MI_OFFSET + 24; i++) {
        if (i == 2 || i == 3 || (i >= RFC_REQUEST_MI_OFFSET && i < RFC_REQUEST_MI_OFFSET + 4))
            continue;
        buf[i] ^= 0x01;
        assert_int_equal(tsn_stun_check_integrity(buf, len, &m, rfc_password, strlen(rfc_password)),
                         -EACCES);
        buf[i] ^= 0x01;
    }
    /* A msg whose offset no longer points at an MI header is refused. */
    buf[RFC_REQUEST_MI_OFFSET + 1] ^= 0x01;
    assert_int_equal(tsn_stun_check_integrity(buf, len, &m, rfc_password, strlen(rfc_password)),
                     -EINVAL);
    buf[RFC_REQUEST_MI_OFFSET + 1] ^= 0x01;
    /* The FINGERPRINT is outside MESSAGE-INTEGRITY. */
    buf[len - 1] ^= 0x01;
    assert_int_equal(tsn_stun_check_integrity(buf, len, &m, rfc_password, strlen(rfc_password)), 0);
    /* ...but the parser catches it, and any other flipped byte too. */
    assert_int_equal(tsn_stun_parse(buf, len, &m), -EPROTO);
    buf[len - 1] ^= 0x01;
    buf[70] ^= 0x01; /* inside USERNAME */
    assert_int_equal(tsn_stun_parse(buf, len, &m), -EPROTO);
    free(buf);
}

/* The request vector minus its FINGERPRINT: integrity must still verify
 * (proving the length adjustment), and a tampered USERNAME must not. */
static void test_integrity_without_fingerprint(void **state)
{
    struct tsn_stun_msg m;
    size_t len = sizeof rfc_request - 8;
    uint8_t *buf = dup_bytes(rfc_request, len);
    set_be16(buf + 2, (uint16_t)(len - 20));

    assert_int_equal(tsn_stun_parse(buf, len, &m), 0);
    assert_false(m.has_fingerprint);
    assert_true(m.has_integrity);
    assert_int_equal(tsn_stun_check_integrity(buf, len, &m, rfc_password, strlen(rfc_password)), 0);
    buf[RFC_REQUEST_MI_OFFSET - 5] ^= 0x20; /* "evtj:h6vY" -> "evtj:h6VY" */
    assert_int_equal(tsn_stun_parse(buf, len, &m), 0);
    assert_int_equal(tsn_stun_check_integrity(buf, len, &m, rfc_password, strlen(rfc_password)),
                     -EACCES);
    free(buf);
}

/* Attributes after MESSAGE-INTEGRITY (other than FINGERPRINT) are ignored. */
static void test_attrs_after_integrity_ignored(void **state)
{
    struct tsn_stun_msg m;
    size_t base = sizeof rfc_request - 8;
    size_t len = base + 4;
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    memcpy(buf, rfc_request, base);
    static const uint8_t use_candidate[4] = {0x00, 0x25, 0x00, 0x00};
    memcpy(buf + base, use_candidate, 4);
    set_be16(buf + 2, (uint16_t)(len - 20));

    assert_int_equal(tsn_stun_parse(buf, len, &m), 0);
    assert_false(m.use_candidate);
    assert_int_equal(tsn_stun_check_integrity(buf, len, &m, rfc_password, strlen(rfc_password)), 0);
    free(buf);
}

static void test_is_stun(void **state)
{
    static const uint8_t rtp[24] = {0x80, 0x60, 0x00, 0x01, 0x21, 0x12, 0xa4, 0x42};
    static const uint8_t dtls[24] = {0x16, 0xfe, 0xfd, 0x00, 0x21, 0x12, 0xa4, 0x42};
    uint8_t bad_cookie[20];
    memcpy(bad_cookie, rfc_request, 20);
    bad_cookie[7] ^= 1;

    assert_true(tsn_stun_is_stun(rfc_response_v4, sizeof rfc_response_v4));
    assert_true(tsn_stun_is_stun(rfc_request, 20));
    assert_false(tsn_stun_is_stun(rfc_request, 19));
    assert_false(tsn_stun_is_stun(rtp, sizeof rtp));
    assert_false(tsn_stun_is_stun(dtls, sizeof dtls));
    assert_false(tsn_stun_is_stun(bad_cookie, sizeof bad_cookie));
    assert_false(tsn_stun_is_stun(NULL, 100));
}

/* ---- round trips ---------------------------------------------------------- */

static void test_request_round_trip(void **state)
{
    static const uint8_t txid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    for (int use_candidate = 0; use_candidate <= 1; use_candidate++) {
        uint8_t out[256];
        struct tsn_stun_msg m;
        size_t n =
            tsn_stun_build_request(out, sizeof out, txid, ice_user, 0x6e7f1eff,
                                   0x0123456789abcdefull, use_candidate, ice_pwd, strlen(ice_pwd));
        /* header + USERNAME(4+24) + PRIORITY(8) + ICE-CONTROLLING(12)
         * + USE-CANDIDATE(4) + MI(24) + FINGERPRINT(8) */
        assert_int_equal(n, 20 + 28 + 8 + 12 + (use_candidate ? 4 : 0) + 24 + 8);
        assert_int_equal(n % 4, 0);

        uint8_t *buf = dup_bytes(out, n);
        assert_int_equal(tsn_stun_parse(buf, n, &m), 0);
        assert_int_equal(m.type, TSN_STUN_BINDING_REQUEST);
        assert_int_equal(m.length, n - 20);
        assert_memory_equal(m.txid, txid, 12);
        assert_int_equal(m.username_len, strlen(ice_user));
        assert_memory_equal(m.username, ice_user, strlen(ice_user));
        assert_true(m.has_priority);
        assert_int_equal(m.priority, 0x6e7f1eff);
        assert_true(m.ice_controlling);
        assert_false(m.ice_controlled);
        assert_true(m.tiebreaker == 0x0123456789abcdefull);
        assert_int_equal(m.use_candidate, use_candidate);
        assert_true(m.has_integrity);
        assert_int_equal(m.integrity_offset, n - 32);
        assert_true(m.has_fingerprint);
        /* USERNAME is 22 bytes: the 2 padding bytes must be zero. */
        assert_int_equal(buf[24 + 22], 0);
        assert_int_equal(buf[24 + 23], 0);
        assert_int_equal(tsn_stun_check_integrity(buf, n, &m, ice_pwd, strlen(ice_pwd)), 0);
        assert_int_equal(tsn_stun_check_integrity(buf, n, &m, "wrong", 5), -EACCES);
        free(buf);
    }
}

static void test_success_round_trip(void **state)
{
    static const uint8_t txid[12] = {0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa,
                                     0x99, 0x88, 0x77, 0x66, 0x55, 0x44};
    static const char *const v4[] = {"127.0.0.1", "0.0.0.0", "255.255.255.255", "10.1.2.3"};
    static const char *const v6[] = {"::1", "fe80::1234:5678:9abc:def0",
                                     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"};
    static const uint16_t ports[] = {0, 1, 9, 50000, 65535};
    uint8_t out[128];
    struct tsn_stun_msg m;

    for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
        for (size_t p = 0; p < sizeof ports / sizeof ports[0]; p++) {
            struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(ports[p])};
            assert_int_equal(inet_pton(AF_INET, v4[i], &sin.sin_addr), 1);
            size_t n = tsn_stun_build_success(out, sizeof out, txid, (struct sockaddr *)&sin,
                                              ice_pwd, strlen(ice_pwd));
            assert_int_equal(n, 64);
            assert_int_equal(parse_exact(out, n, &m), 0);
            assert_int_equal(m.type, TSN_STUN_BINDING_SUCCESS);
            assert_memory_equal(m.txid, txid, 12);
            assert_true(m.has_xor_mapped && m.has_integrity && m.has_fingerprint);
            const struct sockaddr_in *got = (const struct sockaddr_in *)&m.xor_mapped;
            assert_int_equal(got->sin_family, AF_INET);
            assert_int_equal(ntohs(got->sin_port), ports[p]);
            assert_memory_equal(&got->sin_addr, &sin.sin_addr, 4);
            assert_int_equal(tsn_stun_check_integrity(out, n, &m, ice_pwd, strlen(ice_pwd)), 0);
        }
    }
    for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++) {
        struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
        assert_int_equal(inet_pton(AF_INET6, v6[i], &sin6.sin6_addr), 1);
        size_t n = tsn_stun_build_success(out, sizeof out, txid, (struct sockaddr *)&sin6, ice_pwd,
                                          strlen(ice_pwd));
        assert_int_equal(n, 76);
        assert_int_equal(parse_exact(out, n, &m), 0);
        const struct sockaddr_in6 *got = (const struct sockaddr_in6 *)&m.xor_mapped;
        assert_int_equal(got->sin6_family, AF_INET6);
        assert_int_equal(ntohs(got->sin6_port), 443);
        assert_memory_equal(&got->sin6_addr, &sin6.sin6_addr, 16);
        assert_int_equal(tsn_stun_check_integrity(out, n, &m, ice_pwd, strlen(ice_pwd)), 0);
    }

    struct sockaddr bad = {.sa_family = AF_UNIX};
    assert_int_equal(tsn_stun_build_success(out, sizeof out, txid, &bad, ice_pwd, 4), 0);
    assert_int_equal(tsn_stun_build_success(out, sizeof out, txid, NULL, ice_pwd, 4), 0);
}

static void test_error_round_trip(void **state)
{
    uint8_t out[128];
    struct tsn_stun_msg m;

    /* 401 without a key: ERROR-CODE("Unauthorized") + FINGERPRINT only. */
    size_t n = tsn_stun_build_error(out, sizeof out, rfc_txid, 401, NULL, 0);
    assert_int_equal(n, 20 + 4 + 16 + 8);
    static const uint8_t want_attr[] = {0x00, 0x09, 0x00, 0x10, 0x00, 0x00, 0x04, 0x01, 'U', 'n',
                                        'a',  'u',  't',  'h',  'o',  'r',  'i',  'z',  'e', 'd'};
    assert_memory_equal(out + 20, want_attr, sizeof want_attr);
    assert_int_equal(parse_exact(out, n, &m), 0);
    assert_int_equal(m.type, TSN_STUN_BINDING_ERROR);
    assert_true(m.has_error_code);
    assert_int_equal(m.error_code, 401);
    assert_false(m.has_integrity);
    assert_true(m.has_fingerprint);
    assert_int_equal(tsn_stun_check_integrity(out, n, &m, ice_pwd, strlen(ice_pwd)), -EINVAL);

    /* 487 with a key: reason "Role Conflict" (13 bytes, 3 bytes padding). */
    n = tsn_stun_build_error(out, sizeof out, rfc_txid, 487, ice_pwd, strlen(ice_pwd));
    assert_int_equal(n, 20 + 4 + 20 + 24 + 8);
    assert_memory_equal(out + 28, "Role Conflict\0\0\0", 16);
    assert_int_equal(parse_exact(out, n, &m), 0);
    assert_int_equal(m.error_code, 487);
    assert_true(m.has_integrity);
    assert_int_equal(tsn_stun_check_integrity(out, n, &m, ice_pwd, strlen(ice_pwd)), 0);

    n = tsn_stun_build_error(out, sizeof out, rfc_txid, 400, NULL, 0);
    assert_int_not_equal(n, 0);
    assert_int_equal(parse_exact(out, n, &m), 0);
    assert_int_equal(m.error_code, 400);

    assert_int_equal(tsn_stun_build_error(out, sizeof out, rfc_txid, 200, NULL, 0), 0);
    assert_int_equal(tsn_stun_build_error(out, sizeof out, rfc_txid, 700, NULL, 0), 0);
}

/* Every capacity short of the full message yields 0 and writes nothing
 * past `cap` (the buffer is an exact-size heap block, so ASan would see it). */
static void test_builders_respect_capacity(void **state)
{
    static const uint8_t txid[12] = {7};
    uint8_t full[256];
    struct sockaddr_in6 sin6;
    rfc_v6_addr(&sin6);

    size_t need_req = tsn_stun_build_request(full, sizeof full, txid, ice_user, 1, 2, 1, ice_pwd,
                                             strlen(ice_pwd));
    size_t need_ok = tsn_stun_build_success(full, sizeof full, txid, (struct sockaddr *)&sin6,
                                            ice_pwd, strlen(ice_pwd));
    size_t need_err = tsn_stun_build_error(full, sizeof full, txid, 487, ice_pwd, strlen(ice_pwd));
    assert_true(need_req > 0 && need_ok > 0 && need_err > 0);

    for (size_t cap = 0; cap <= need_req; cap++) {
        uint8_t *b = malloc(cap ? cap : 1);
        assert_non_null(b);
        size_t n =
            tsn_stun_build_request(b, cap, txid, ice_user, 1, 2, 1, ice_pwd, strlen(ice_pwd));
        assert_int_equal(n, cap == need_req ? need_req : 0);
        free(b);
    }
    for (size_t cap = 0; cap <= need_ok; cap++) {
        uint8_t *b = malloc(cap ? cap : 1);
        assert_non_null(b);
        size_t n = tsn_stun_build_success(b, cap, txid, (struct sockaddr *)&sin6, ice_pwd,
                                          strlen(ice_pwd));
        assert_int_equal(n, cap == need_ok ? need_ok : 0);
        free(b);
    }
    for (size_t cap = 0; cap <= need_err; cap++) {
        uint8_t *b = malloc(cap ? cap : 1);
        assert_non_null(b);
        size_t n = tsn_stun_build_error(b, cap, txid, 487, ice_pwd, strlen(ice_pwd));
        assert_int_equal(n, cap == need_err ? need_err : 0);
        free(b);
    }
}

static void test_request_username_limits(void **state)
{
    static const uint8_t txid[12] = {0};
    char name[TSN_STUN_MAX_USERNAME + 2];
    uint8_t out[1024];
    struct tsn_stun_msg m;

    memset(name, 'u', TSN_STUN_MAX_USERNAME);
    name[TSN_STUN_MAX_USERNAME] = '\0';
    size_t n = tsn_stun_build_request(out, sizeof out, txid, name, 1, 1, 0, "k", 1);
    assert_int_not_equal(n, 0);
    assert_int_equal(parse_exact(out, n, &m), 0);
    assert_int_equal(m.username_len, TSN_STUN_MAX_USERNAME);

    name[TSN_STUN_MAX_USERNAME] = 'u';
    name[TSN_STUN_MAX_USERNAME + 1] = '\0';
    assert_int_equal(tsn_stun_build_request(out, sizeof out, txid, name, 1, 1, 0, "k", 1), 0);
    assert_int_equal(tsn_stun_build_request(out, sizeof out, txid, NULL, 1, 1, 0, "k", 1), 0);
    assert_int_equal(tsn_stun_build_request(out, sizeof out, txid, "a:b", 1, 1, 0, NULL, 0), 0);

    /* An empty key is a legal HMAC key. */
    n = tsn_stun_build_request(out, sizeof out, txid, "a:b", 1, 1, 0, "", 0);
    assert_int_not_equal(n, 0);
    assert_int_equal(parse_exact(out, n, &m), 0);
    assert_int_equal(tsn_stun_check_integrity(out, n, &m, "", 0), 0);
    assert_int_equal(tsn_stun_check_integrity(out, n, &m, "x", 1), -EACCES);
}

/* ---- malformed input -------------------------------------------------------- */

static void test_truncated(void **state)
{
    struct tsn_stun_msg m;
    const uint8_t *vecs[] = {rfc_request, rfc_response_v4, rfc_response_v6};
    size_t lens[] = {sizeof rfc_request, sizeof rfc_response_v4, sizeof rfc_response_v6};

    for (size_t v = 0; v < 3; v++) {
        for (size_t len = 0; len < lens[v]; len++)
            assert_int_equal(parse_exact(vecs[v], len, &m), -EBADMSG);
        assert_int_equal(parse_exact(vecs[v], lens[v], &m), 0);
    }
    assert_int_equal(tsn_stun_parse(NULL, 20, &m), -EBADMSG);
    assert_int_equal(tsn_stun_parse(rfc_request, sizeof rfc_request, NULL), -EINVAL);
}

/* Sets one byte of a copy of the request vector and expects `want`. */
static void expect_request_edit(size_t off, uint8_t value, int want)
{
    struct tsn_stun_msg m;
    uint8_t buf[sizeof rfc_request];
    memcpy(buf, rfc_request, sizeof buf);
    buf[off] = value;
    assert_int_equal(parse_exact(buf, sizeof buf, &m), want);
}

static void test_malformed_header(void **state)
{
    struct tsn_stun_msg m;
    expect_request_edit(0, 0x40, -EBADMSG); /* top bit 2 set */
    expect_request_edit(0, 0x80, -EBADMSG); /* top bit 1 set */
    expect_request_edit(4, 0x20, -EBADMSG); /* cookie */
    expect_request_edit(7, 0x43, -EBADMSG);
    expect_request_edit(3, 0x59, -EBADMSG); /* length not a multiple of 4 */
    expect_request_edit(3, 0x5c, -EBADMSG); /* longer than the buffer */
    expect_request_edit(3, 0x54, -EBADMSG); /* shorter than the buffer */

    /* A length that matches the buffer but is not a multiple of 4. */
    uint8_t odd[25];
    memcpy(odd, rfc_request, 20);
    set_be16(odd + 2, 5);
    static const uint8_t one_byte_attr[5] = {0x80, 0x22, 0x00, 0x01, 'x'};
    memcpy(odd + 20, one_byte_attr, 5);
    assert_int_equal(parse_exact(odd, sizeof odd, &m), -EBADMSG);

    /* A bare header with zero length is a valid (empty) message. */
    uint8_t hdr[20];
    memcpy(hdr, rfc_request, 20);
    set_be16(hdr + 2, 0);
    assert_int_equal(parse_exact(hdr, 20, &m), 0);
    assert_false(m.has_integrity || m.has_fingerprint || m.username);
}

static void test_malformed_attributes(void **state)
{
    /* SOFTWARE length 0x10 -> 0xff: runs past the end. */
    expect_request_edit(23, 0xff, -EBADMSG);
    /* USERNAME length 9 -> 0x2d: runs past the end. */
    expect_request_edit(63, 0x2d, -EBADMSG);
    expect_request_edit(43, 0x05, -EBADMSG);                        /* PRIORITY of 5 bytes */
    expect_request_edit(51, 0x04, -EBADMSG);                        /* ICE-CONTROLLED of 4 bytes */
    expect_request_edit(RFC_REQUEST_MI_OFFSET + 3, 0x10, -EBADMSG); /* MESSAGE-INTEGRITY of 16 */
    expect_request_edit(RFC_REQUEST_MI_OFFSET + 24 + 3, 0x00, -EBADMSG); /* FINGERPRINT of 0 */

    struct tsn_stun_msg m;
    uint8_t buf[64];

    /* FINGERPRINT not last. */
    size_t fp_len = sizeof rfc_response_v4;
    uint8_t tail[sizeof rfc_response_v4 + 4];
    memcpy(tail, rfc_response_v4, fp_len);
    memset(tail + fp_len, 0, 4);
    tail[fp_len + 1] = 0x25;
    set_be16(tail + 2, (uint16_t)(sizeof tail - 20));
    assert_int_equal(parse_exact(tail, sizeof tail, &m), -EBADMSG);

    /* Hand-built bodies: header + one attribute. */
    struct {
        uint8_t attr[24];
        size_t len;
        int want;
    } cases[] = {
        /* XOR-MAPPED-ADDRESS with family 3 */
        {{0x00, 0x20, 0x00, 0x08, 0x00, 0x03, 0x00, 0x01, 1, 2, 3, 4}, 12, -EBADMSG},
        /* XOR-MAPPED-ADDRESS IPv4 with IPv6 length */
        {{0x00, 0x20, 0x00, 0x14, 0x00, 0x01, 0x00, 0x01}, 24, -EBADMSG},
        /* XOR-MAPPED-ADDRESS too short */
        {{0x00, 0x20, 0x00, 0x02, 0x00, 0x01}, 8, -EBADMSG},
        /* ERROR-CODE class 7 */
        {{0x00, 0x09, 0x00, 0x04, 0x00, 0x00, 0x07, 0x00}, 8, -EBADMSG},
        /* ERROR-CODE number 100 */
        {{0x00, 0x09, 0x00, 0x04, 0x00, 0x00, 0x04, 100}, 8, -EBADMSG},
        /* USE-CANDIDATE with a value */
        {{0x00, 0x25, 0x00, 0x04, 1, 2, 3, 4}, 8, -EBADMSG},
        /* unknown comprehension-required attribute: skipped */
        {{0x00, 0x7f, 0x00, 0x03, 1, 2, 3, 0}, 8, 0},
        /* unknown comprehension-optional attribute: skipped */
        {{0xc0, 0x57, 0x00, 0x04, 1, 2, 3, 4}, 8, 0},
        /* ERROR-CODE 438 without reason phrase */
        {{0x00, 0x09, 0x00, 0x04, 0x00, 0x00, 0x04, 38}, 8, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(buf, rfc_response_v4, 20);
        memcpy(buf + 20, cases[i].attr, cases[i].len);
        set_be16(buf + 2, (uint16_t)cases[i].len);
        assert_int_equal(parse_exact(buf, 20 + cases[i].len, &m), cases[i].want);
    }
    assert_int_equal(m.error_code, 438);

    /* USERNAME over the RFC limit of 512 bytes. */
    size_t ulen = TSN_STUN_MAX_USERNAME + 4;
    uint8_t *big = calloc(1, 20 + 4 + ulen);
    assert_non_null(big);
    memcpy(big, rfc_request, 20);
    set_be16(big + 2, (uint16_t)(4 + ulen));
    set_be16(big + 20, 0x0006);
    set_be16(big + 22, (uint16_t)ulen);
    assert_int_equal(parse_exact(big, 20 + 4 + ulen, &m), -EBADMSG);
    set_be16(big + 22, TSN_STUN_MAX_USERNAME);
    set_be16(big + 2, (uint16_t)(4 + TSN_STUN_MAX_USERNAME));
    assert_int_equal(parse_exact(big, 20 + 4 + TSN_STUN_MAX_USERNAME, &m), 0);
    assert_int_equal(m.username_len, TSN_STUN_MAX_USERNAME);
    free(big);
}

/* A msg that does not describe the buffer must not make check_integrity
 * read out of bounds. */
static void test_integrity_argument_checks(void **state)
{
    struct tsn_stun_msg m;
    assert_int_equal(parse_exact(rfc_request, sizeof rfc_request, &m), 0);
    assert_int_equal(tsn_stun_check_integrity(rfc_request, 60, &m, rfc_password, 22), -EINVAL);
    m.integrity_offset = 4;
    assert_int_equal(
        tsn_stun_check_integrity(rfc_request, sizeof rfc_request, &m, rfc_password, 22), -EINVAL);
    m.integrity_offset = RFC_REQUEST_MI_OFFSET + 4; /* not an MI attribute header */
    assert_int_equal(
        tsn_stun_check_integrity(rfc_request, sizeof rfc_request, &m, rfc_password, 22), -EINVAL);
    m.integrity_offset = RFC_REQUEST_MI_OFFSET;
    assert_int_equal(tsn_stun_check_integrity(rfc_request, sizeof rfc_request, &m, NULL, 22),
                     -EINVAL);
    assert_int_equal(
        tsn_stun_check_integrity(rfc_request, sizeof rfc_request, NULL, rfc_password, 22), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5769_request),
        cmocka_unit_test(test_rfc5769_response_v4),
        cmocka_unit_test(test_rfc5769_response_v6),
        cmocka_unit_test(test_rfc5769_xor_mapped_bytes),
        cmocka_unit_test(test_tamper_every_byte),
        cmocka_unit_test(test_integrity_without_fingerprint),
        cmocka_unit_test(test_attrs_after_integrity_ignored),
        cmocka_unit_test(test_is_stun),
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_success_round_trip),
        cmocka_unit_test(test_error_round_trip),
        cmocka_unit_test(test_builders_respect_capacity),
        cmocka_unit_test(test_request_username_limits),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_malformed_header),
        cmocka_unit_test(test_malformed_attributes),
        cmocka_unit_test(test_integrity_argument_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
