/* Certificates for HTTPS and DTLS: generate a self-signed ECDSA P-256
 * certificate, load a PEM pair, save one (key file mode 0600), and compute the
 * SHA-256 fingerprint as SDP writes it ("AB:CD:..."). Wraps OpenSSL 3. */
#ifndef TSN_CERT_H
#define TSN_CERT_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>

#define TSN_FINGERPRINT_LEN 96 /* 32 hex pairs + 31 colons + NUL = 96 */

struct tsn_cert;

/* A new self-signed ECDSA P-256 certificate with common name `cn`, valid
 * from one day ago for `days` days. NULL on failure. */
struct tsn_cert *tsn_cert_generate(const char *cn, int days);
/* Loads PEM files. NULL on failure with a reason in `why`. */
struct tsn_cert *tsn_cert_load(const char *cert_path, const char *key_path, char *why,
                               size_t why_len);
/* Writes PEM files; the key is created with mode 0600. 0 or -errno. */
int tsn_cert_save(const struct tsn_cert *c, const char *cert_path, const char *key_path);
void tsn_cert_free(struct tsn_cert *c);

/* Upper-case hex pairs with colons, NUL-terminated, TSN_FINGERPRINT_LEN bytes. */
void tsn_cert_fingerprint(const struct tsn_cert *c, char out[TSN_FINGERPRINT_LEN]);
/* The same for any X509 (used to check a DTLS peer). 0 or -EINVAL. */
int tsn_x509_fingerprint(X509 *x, char out[TSN_FINGERPRINT_LEN]);

X509 *tsn_cert_x509(const struct tsn_cert *c);      /* transfer none */
EVP_PKEY *tsn_cert_pkey(const struct tsn_cert *c);  /* transfer none */

#endif
