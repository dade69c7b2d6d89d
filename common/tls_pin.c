/* Certificate trust decisions for the clients (see tls_pin.h). */
#include "tls_pin.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int tsn_tls_parse_fingerprint(const char *text, uint8_t out[32], char *why, size_t why_len)
{
    static const char *const prefixes[] = {"sha256 fingerprint=", "sha256:", "sha256=", NULL};
    if (!text) {
        snprintf(why, why_len, "no fingerprint given");
        return -EINVAL;
    }
    for (int i = 0; prefixes[i]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncasecmp(text, prefixes[i], n) == 0) {
            text += n;
            break;
        }
    }
    size_t n = 0;
    for (const char *p = text; *p;) {
        /* One ':' between two pairs: not first, last or doubled. */
        if (*p == ':' && n > 0 && p[-1] != ':' && p[1] != '\0') {
            p++;
            continue;
        }
        int hi = hexval((unsigned char)p[0]);
        int lo = hi >= 0 ? hexval((unsigned char)p[1]) : -1;
        if (hi < 0 || lo < 0 || n == 32) {
            snprintf(why, why_len,
                     "the fingerprint must be 64 hex digits (pairs may be separated by ':'), "
                     "as telesono-relay prints it");
            return -EINVAL;
        }
        out[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    if (n != 32) {
        snprintf(why, why_len, "the fingerprint has %zu bytes; a SHA-256 fingerprint has 32", n);
        return -EINVAL;
    }
    return 0;
}

void tsn_tls_format_fingerprint(const uint8_t fp[32], char out[96])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 3 * i, 4, i < 31 ? "%02X:" : "%02X", fp[i]);
}

static int is_ip_literal(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

int tsn_tls_check_peer(SSL *ssl, const struct tsn_tls_opts *opts, const char *host, char *why,
                       size_t why_len)
{
    if (opts->insecure)
        return 0;
    X509 *cert = SSL_get1_peer_certificate(ssl);
    int rc = -EPERM;
    if (!cert) {
        snprintf(why, why_len, "the relay presented no certificate");
        return rc;
    }
    if (opts->has_pin) {
        uint8_t md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;
        if (!X509_digest(cert, EVP_sha256(), md, &md_len) || md_len != 32) {
            snprintf(why, why_len, "cannot hash the relay's certificate");
        } else if (memcmp(md, opts->pin_sha256, 32) != 0) {
            char got[96];
            tsn_tls_format_fingerprint(md, got);
            snprintf(why, why_len,
                     "the relay's certificate (SHA-256 %s) does not match the pinned fingerprint",
                     got);
        } else {
            rc = 0;
        }
        goto out;
    }
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
        snprintf(why, why_len, "the relay's certificate is not trusted: %s%s",
                 X509_verify_cert_error_string(verify),
                 opts->ca_file ? "" : " (give the relay's cert.pem with --ca, or --fingerprint)");
        goto out;
    }
    int match = is_ip_literal(host) ? X509_check_ip_asc(cert, host, 0)
                                    : X509_check_host(cert, host, strlen(host), 0, NULL);
    if (match != 1) {
        snprintf(why, why_len, "the relay's certificate is not valid for %s", host);
        goto out;
    }
    rc = 0;
out:
    X509_free(cert);
    return rc;
}
