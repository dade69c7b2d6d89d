/* Certificates: a self-signed ECDSA P-256 certificate generated at start-up
 * (the DTLS identity whose fingerprint goes into our SDP) or a PEM pair loaded
 * from disk (HTTPS). This module only creates, loads, saves and fingerprints;
 * it does not verify chains or hostnames: WebRTC peers authenticate each
 * other by the fingerprint exchanged over the authenticated signalling. */
#include "cert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define CERT_CN_MAX_BYTES  64 /* X.520 ub-common-name */
#define CERT_MAX_DAYS      36500
#define CERT_SERIAL_BYTES  16
#define CERT_BACKDATE_SECS (24L * 60 * 60)

struct tsn_cert {
    X509 *x509;     /* owned */
    EVP_PKEY *pkey; /* owned */
};

/* A positive random serial (RFC 5280 4.1.2.2: at most 20 octets, positive).
 * Random serials keep two certificates with the same CN distinguishable. */
static int set_random_serial(X509 *x)
{
    unsigned char raw[CERT_SERIAL_BYTES];
    int rc = -1;
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    raw[0] &= 0x7f;
    raw[0] |= 0x01; /* never zero, never negative */
    BIGNUM *bn = BN_bin2bn(raw, sizeof raw, NULL);
    if (bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
        rc = 0;
    BN_free(bn);
    return rc;
}

/* A host name we can safely put into a subjectAltName config string: letters,
 * digits, '.', '-' and '*' only (no ',' that would start another entry). */
static int is_plain_hostname(const char *s)
{
    for (; *s; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '-' || ch == '*'))
            return 0;
    }
    return 1;
}

/* Browsers ignore the CN for HTTPS and want a subjectAltName; add one when
 * the CN is an IP address or a plain host name. DTLS does not need it. */
static int add_subject_alt_name(X509 *x, const char *cn)
{
    unsigned char addr[16];
    char value[CERT_CN_MAX_BYTES + 8];
    if (inet_pton(AF_INET, cn, addr) == 1 || inet_pton(AF_INET6, cn, addr) == 1)
        snprintf(value, sizeof value, "IP:%s", cn);
    else if (is_plain_hostname(cn))
        snprintf(value, sizeof value, "DNS:%s", cn);
    else
        return 0;

    X509V3_CTX v3;
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

static X509 *build_self_signed(EVP_PKEY *pkey, const char *cn, int days)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    X509_NAME *name = X509_get_subject_name(x);
    if (!X509_set_version(x, X509_VERSION_3) || set_random_serial(x) != 0)
        goto fail;
    /* Backdated a day so a peer whose clock is a little behind accepts it. */
    if (!X509_gmtime_adj(X509_getm_notBefore(x), -CERT_BACKDATE_SECS) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL))
        goto fail;
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                    0) ||
        !X509_set_issuer_name(x, name))
        goto fail;
    if (!X509_set_pubkey(x, pkey) || add_subject_alt_name(x, cn) != 0)
        goto fail;
    if (X509_sign(x, pkey, EVP_sha256()) <= 0)
        goto fail;
    return x;
fail:
    X509_free(x);
    return NULL;
}

struct tsn_cert *tsn_cert_generate(const char *cn, int days)
{
    if (!cn || !cn[0] || strlen(cn) > CERT_CN_MAX_BYTES || days <= 0 || days > CERT_MAX_DAYS)
        return NULL;
    struct tsn_cert *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!c->pkey)
        goto fail;
    c->x509 = build_self_signed(c->pkey, cn, days);
    if (!c->x509)
        goto fail;
    return c;
fail:
    ERR_clear_error();
    tsn_cert_free(c);
    return NULL;
}

/* Reads the first PEM object of a kind from `path`. `key` selects a private
 * key instead of a certificate. Sets `why` on failure. */
static void *read_pem(const char *path, int key, char *why, size_t why_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_len, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    void *obj = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL)
                    : (void *)PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!obj) {
        unsigned long e = ERR_peek_last_error();
        const char *reason = e ? ERR_reason_error_string(e) : NULL;
        snprintf(why, why_len, "no PEM %s in %s%s%s", key ? "private key" : "certificate", path,
                 reason ? ": " : "", reason ? reason : "");
        ERR_clear_error();
    }
    return obj;
}

struct tsn_cert *tsn_cert_load(const char *cert_path, const char *key_path, char *why,
                               size_t why_len)
{
    char dummy[1];
    if (!why || why_len == 0) {
        why = dummy;
        why_len = sizeof dummy;
    }
    why[0] = '\0';
    if (!cert_path || !key_path) {
        snprintf(why, why_len, "certificate and key paths are required");
        return NULL;
    }
    struct tsn_cert *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    c->x509 = read_pem(cert_path, 0, why, why_len);
    if (!c->x509)
        goto fail;
    c->pkey = read_pem(key_path, 1, why, why_len);
    if (!c->pkey)
        goto fail;
    if (X509_check_private_key(c->x509, c->pkey) != 1) {
        snprintf(why, why_len, "private key in %s does not match certificate in %s", key_path,
                 cert_path);
        goto fail;
    }
    return c;
fail:
    ERR_clear_error();
    tsn_cert_free(c);
    return NULL;
}

/* fclose() that reports a failed flush; returns 0 or -errno. */
static int close_checked(FILE *f, int write_ok)
{
    int err = write_ok ? 0 : -EIO;
    if (fflush(f) != 0 && err == 0)
        err = errno ? -errno : -EIO;
    if (fclose(f) != 0 && err == 0)
        err = errno ? -errno : -EIO;
    return err;
}

static int save_cert(X509 *x, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    int ok = PEM_write_X509(f, x) == 1;
    return close_checked(f, ok);
}

/* The key file is created 0600 and also fchmod'ed: O_CREAT's mode does not
 * apply to a file that already exists with looser permissions. */
static int save_key(EVP_PKEY *pkey, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    if (fchmod(fd, 0600) != 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int err = -errno;
        close(fd);
        return err;
    }
    int ok = PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) == 1;
    return close_checked(f, ok);
}

int tsn_cert_save(const struct tsn_cert *c, const char *cert_path, const char *key_path)
{
    if (!c || !cert_path || !key_path)
        return -EINVAL;
    int err = save_key(c->pkey, key_path);
    if (err == 0)
        err = save_cert(c->x509, cert_path);
    ERR_clear_error();
    return err;
}

void tsn_cert_free(struct tsn_cert *c)
{
    if (!c)
        return;
    X509_free(c->x509);
    EVP_PKEY_free(c->pkey);
    free(c);
}

int tsn_x509_fingerprint(X509 *x, char out[TSN_FINGERPRINT_LEN])
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    out[0] = '\0';
    if (!x || X509_digest(x, EVP_sha256(), md, &md_len) != 1 || md_len != 32) {
        ERR_clear_error();
        return -EINVAL;
    }
    char *p = out;
    for (unsigned int i = 0; i < md_len; i++) {
        if (i > 0)
            *p++ = ':';
        *p++ = hex[md[i] >> 4];
        *p++ = hex[md[i] & 0x0f];
    }
    *p = '\0';
    return 0;
}

void tsn_cert_fingerprint(const struct tsn_cert *c, char out[TSN_FINGERPRINT_LEN])
{
    if (!c) {
        out[0] = '\0';
        return;
    }
    tsn_x509_fingerprint(c->x509, out);
}

X509 *tsn_cert_x509(const struct tsn_cert *c)
{
    return c ? c->x509 : NULL;
}

EVP_PKEY *tsn_cert_pkey(const struct tsn_cert *c)
{
    return c ? c->pkey : NULL;
}
