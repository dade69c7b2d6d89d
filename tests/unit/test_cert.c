/* Unit tests for relay/cert.c: generation, PEM save/load round trip, key file
 * permissions, fingerprint format and a fixed certificate whose fingerprint
 * was computed independently with `openssl x509 -fingerprint -sha256`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/x509v3.h>

#include "cert.h"

/* A throwaway test fixture, generated once with
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes
 *     -subj /CN=telesono-test-fixture -days 36500 -sha256
 * It protects nothing. */
static const char fixture_crt[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBljCCAT2gAwIBAgIUDj6oD99IjHOConAc0bmb5QMHbwYwCgYIKoZIzj0EAwIw\n"
    "IDEeMBwGA1UEAwwVdGVsZXNvbm8tdGVzdC1maXh0dXJlMCAXDTI2MTEyNjIzMDUz\n"
    "OFoYDzIxMjYxMTAyMjMwNTM4WjAgMR4wHAYDVQQDDBV0ZWxlc29uby10ZXN0LWZp\n"
    "eHR1cmUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASQ5uBSbz9jwfSnrFFuno9p\n"
    "wjJbCSq5xHaApdouFmaRMuIIukp5AjTV8LLSmJDvZkLFjglkq7mltF1rDU3QzwmK\n"
    "o1MwUTAdBgNVHQ4EFgQUg6vKBDnuZp7bcNZCP4jwytGxxJUwHwYDVR0jBBgwFoAU\n"
    "g6vKBDnuZp7bcNZCP4jwytGxxJUwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD\n"
    "AgNHADBEAiAPK3BZJOeORqiErP2CCF0Ubi2e1PQQGwzQJ6W08r0okgIgfT6VQvqa\n"
    "EPfInyNVy3iU0moFqf3EwqpT2RmO1n45CqE=\n"
    "-----END CERTIFICATE-----\n";
static const char fixture_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgc5BWER6NK06npDRz\n"
    "Mj+G1uzmbkCOctKHkiU2GZtMJ+WhRANCAASQ5uBSbz9jwfSnrFFuno9pwjJbCSq5\n"
    "xHaApdouFmaRMuIIukp5AjTV8LLSmJDvZkLFjglkq7mltF1rDU3QzwmK\n"
    "-----END PRIVATE KEY-----\n";
static const char fixture_fp[] = "03:66:65:D1:C9:47:C9:3F:A5:D0:4F:43:27:14:C2:C0:"
                                 "97:AE:51:F7:14:0F:12:04:15:3E:86:AF:A3:D1:CC:87";

struct dir {
    char path[64];
    char crt[96];
    char key[96];
};

static int setup_dir(void **state)
{
    struct dir *d = calloc(1, sizeof *d);
    if (!d)
        return -1;
    snprintf(d->path, sizeof d->path, "/tmp/tsn_test_cert_XXXXXX");
    if (!mkdtemp(d->path)) {
        free(d);
        return -1;
    }
    snprintf(d->crt, sizeof d->crt, "%s/cert.pem", d->path);
    snprintf(d->key, sizeof d->key, "%s/key.pem", d->path);
    *state = d;
    return 0;
}

static int teardown_dir(void **state)
{
    struct dir *d = *state;
    unlink(d->crt);
    unlink(d->key);
    rmdir(d->path);
    free(d);
    return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    fchmod(fd, mode);
    close(fd);
}

static void assert_fingerprint_format(const char *fp)
{
    assert_int_equal(strlen(fp), 95);
    for (int i = 0; i < 95; i++) {
        if (i % 3 == 2)
            assert_int_equal(fp[i], ':');
        else
            assert_true(isxdigit((unsigned char)fp[i]) && !islower((unsigned char)fp[i]));
    }
}

static void test_fingerprint_format(void **state)
{
    struct tsn_cert *c = tsn_cert_generate("relay.example", 30);
    assert_non_null(c);
    char fp[TSN_FINGERPRINT_LEN];
    memset(fp, 'x', sizeof fp);
    tsn_cert_fingerprint(c, fp);
    assert_fingerprint_format(fp);
    tsn_cert_free(c);
}

/* The fingerprint is SHA-256 over the DER encoding, computed here without
 * X509_digest. */
static void test_fingerprint_is_sha256_of_der(void **state)
{
    struct tsn_cert *c = tsn_cert_generate("relay.example", 30);
    assert_non_null(c);
    unsigned char *der = NULL;
    int der_len = i2d_X509(tsn_cert_x509(c), &der);
    assert_true(der_len > 0);
    unsigned char md[32];
    unsigned int md_len = 0;
    assert_int_equal(EVP_Digest(der, (size_t)der_len, md, &md_len, EVP_sha256(), NULL), 1);
    OPENSSL_free(der);
    char expect[TSN_FINGERPRINT_LEN] = "";
    for (unsigned i = 0; i < md_len; i++)
        sprintf(expect + strlen(expect), i ? ":%02X" : "%02X", md[i]);

    char fp[TSN_FINGERPRINT_LEN];
    tsn_cert_fingerprint(c, fp);
    assert_string_equal(fp, expect);
    char fp2[TSN_FINGERPRINT_LEN];
    assert_int_equal(tsn_x509_fingerprint(tsn_cert_x509(c), fp2), 0);
    assert_string_equal(fp2, expect);
    tsn_cert_free(c);
}

static void test_fixture_known_fingerprint(void **state)
{
    struct dir *d = *state;
    write_file(d->crt, fixture_crt, 0644);
    write_file(d->key, fixture_key, 0600);
    char why[256] = "unset";
    struct tsn_cert *c = tsn_cert_load(d->crt, d->key, why, sizeof why);
    assert_non_null(c);
    assert_string_equal(why, "");
    char fp[TSN_FINGERPRINT_LEN];
    tsn_cert_fingerprint(c, fp);
    assert_string_equal(fp, fixture_fp);
    tsn_cert_free(c);
}

static void test_generated_properties(void **state)
{
    struct tsn_cert *c = tsn_cert_generate("127.0.0.1", 10);
    assert_non_null(c);
    X509 *x = tsn_cert_x509(c);
    EVP_PKEY *k = tsn_cert_pkey(c);

    char cn[64];
    assert_int_equal(
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn), 9);
    assert_string_equal(cn, "127.0.0.1");
    assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
    assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
    assert_int_equal(X509_verify(x, k), 1); /* self-signed with its own key */
    assert_true(EVP_PKEY_is_a(k, "EC"));
    char group[32];
    size_t glen = 0;
    assert_int_equal(EVP_PKEY_get_group_name(k, group, sizeof group, &glen), 1);
    assert_string_equal(group, "prime256v1");

    /* Valid from about a day ago until about `days` from now. */
    time_t now = time(NULL);
    time_t t = now - 23 * 3600;
    assert_true(X509_cmp_time(X509_get0_notBefore(x), &t) < 0);
    t = now - 25 * 3600;
    assert_true(X509_cmp_time(X509_get0_notBefore(x), &t) > 0);
    t = now + 9 * 86400;
    assert_true(X509_cmp_time(X509_get0_notAfter(x), &t) > 0);
    t = now + 11 * 86400;
    assert_true(X509_cmp_time(X509_get0_notAfter(x), &t) < 0);

    /* A subjectAltName carrying the IP address, for HTTPS clients. */
    assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
    tsn_cert_free(c);

    c = tsn_cert_generate("localhost", 10);
    assert_non_null(c);
    assert_int_equal(X509_check_host(tsn_cert_x509(c), "localhost", 0, 0, NULL), 1);
    tsn_cert_free(c);
}

static void test_two_certs_differ(void **state)
{
    struct tsn_cert *a = tsn_cert_generate("same", 1);
    struct tsn_cert *b = tsn_cert_generate("same", 1);
    assert_non_null(a);
    assert_non_null(b);
    char fa[TSN_FINGERPRINT_LEN], fb[TSN_FINGERPRINT_LEN];
    tsn_cert_fingerprint(a, fa);
    tsn_cert_fingerprint(b, fb);
    assert_string_not_equal(fa, fb);
    const ASN1_INTEGER *sa = X509_get0_serialNumber(tsn_cert_x509(a));
    const ASN1_INTEGER *sb = X509_get0_serialNumber(tsn_cert_x509(b));
    assert_int_not_equal(ASN1_INTEGER_cmp(sa, sb), 0);
    BIGNUM *bn = ASN1_INTEGER_to_BN(sa, NULL);
    assert_non_null(bn);
    assert_false(BN_is_negative(bn));
    assert_false(BN_is_zero(bn));
    assert_true(BN_num_bytes(bn) <= 20);
    BN_free(bn);
    tsn_cert_free(a);
    tsn_cert_free(b);
}

static void test_generate_rejects_bad_args(void **state)
{
    char long_cn[100];
    memset(long_cn, 'a', sizeof long_cn - 1);
    long_cn[sizeof long_cn - 1] = '\0';
    assert_null(tsn_cert_generate(NULL, 10));
    assert_null(tsn_cert_generate("", 10));
    assert_null(tsn_cert_generate(long_cn, 10));
    assert_null(tsn_cert_generate("x", 0));
    assert_null(tsn_cert_generate("x", -5));
    tsn_cert_free(NULL); /* no-op */
    char fp[TSN_FINGERPRINT_LEN] = "x";
    tsn_cert_fingerprint(NULL, fp);
    assert_string_equal(fp, "");
    assert_int_equal(tsn_x509_fingerprint(NULL, fp), -EINVAL);
}

static void test_save_load_roundtrip(void **state)
{
    struct dir *d = *state;
    struct tsn_cert *c = tsn_cert_generate("relay.example", 30);
    assert_non_null(c);
    assert_int_equal(tsn_cert_save(c, d->crt, d->key), 0);

    char why[256];
    struct tsn_cert *l = tsn_cert_load(d->crt, d->key, why, sizeof why);
    assert_non_null(l);
    char f1[TSN_FINGERPRINT_LEN], f2[TSN_FINGERPRINT_LEN];
    tsn_cert_fingerprint(c, f1);
    tsn_cert_fingerprint(l, f2);
    assert_string_equal(f1, f2);
    assert_int_equal(EVP_PKEY_eq(tsn_cert_pkey(c), tsn_cert_pkey(l)), 1);
    tsn_cert_free(l);
    tsn_cert_free(c);
}

static void test_key_file_mode_0600(void **state)
{
    struct dir *d = *state;
    /* Even over an existing world-readable file. */
    write_file(d->key, "old", 0644);
    struct tsn_cert *c = tsn_cert_generate("relay.example", 30);
    assert_non_null(c);
    assert_int_equal(tsn_cert_save(c, d->crt, d->key), 0);
    struct stat st;
    assert_int_equal(stat(d->key, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_true(st.st_size > 100);
    tsn_cert_free(c);
}

static void test_save_to_missing_dir_fails(void **state)
{
    struct tsn_cert *c = tsn_cert_generate("relay.example", 30);
    assert_non_null(c);
    assert_int_equal(tsn_cert_save(c, "/nonexistent-dir/c.pem", "/nonexistent-dir/k.pem"), -ENOENT);
    assert_int_equal(tsn_cert_save(NULL, "a", "b"), -EINVAL);
    tsn_cert_free(c);
}

static void test_load_missing_file(void **state)
{
    struct dir *d = *state;
    char why[256] = "";
    assert_null(tsn_cert_load(d->crt, d->key, why, sizeof why));
    assert_non_null(strstr(why, "cannot open"));
    assert_non_null(strstr(why, d->crt));
    assert_non_null(strstr(why, "No such file"));
}

static void test_load_garbage(void **state)
{
    struct dir *d = *state;
    char why[256] = "";
    write_file(d->crt, "this is not a certificate\n", 0644);
    write_file(d->key, fixture_key, 0600);
    assert_null(tsn_cert_load(d->crt, d->key, why, sizeof why));
    assert_non_null(strstr(why, "no PEM certificate in"));

    write_file(d->crt, fixture_crt, 0644);
    write_file(d->key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0600);
    why[0] = '\0';
    assert_null(tsn_cert_load(d->crt, d->key, why, sizeof why));
    assert_non_null(strstr(why, "no PEM private key in"));

    /* A NULL reason buffer is allowed. */
    assert_null(tsn_cert_load(d->crt, d->key, NULL, 0));
}

static void test_load_mismatched_key(void **state)
{
    struct dir *d = *state;
    struct tsn_cert *other = tsn_cert_generate("other", 1);
    assert_non_null(other);
    assert_int_equal(tsn_cert_save(other, d->crt, d->key), 0);
    write_file(d->crt, fixture_crt, 0644); /* fixture cert, other's key */
    char why[256] = "";
    assert_null(tsn_cert_load(d->crt, d->key, why, sizeof why));
    assert_non_null(strstr(why, "does not match"));
    tsn_cert_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fingerprint_format),
        cmocka_unit_test(test_fingerprint_is_sha256_of_der),
        cmocka_unit_test_setup_teardown(test_fixture_known_fingerprint, setup_dir, teardown_dir),
        cmocka_unit_test(test_generated_properties),
        cmocka_unit_test(test_two_certs_differ),
        cmocka_unit_test(test_generate_rejects_bad_args),
        cmocka_unit_test_setup_teardown(test_save_load_roundtrip, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_key_file_mode_0600, setup_dir, teardown_dir),
        cmocka_unit_test(test_save_to_missing_dir_fails),
        cmocka_unit_test_setup_teardown(test_load_missing_file, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_load_garbage, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_load_mismatched_key, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
