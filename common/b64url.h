/* base64url without padding (RFC 4648 section 5), as JSON Web Tokens and
 * download tickets use it. Strict decoding: a character outside the
 * alphabet (padding included), an impossible length or non-zero leftover
 * bits is an error, so every value has exactly one encoding. Pure. */
#ifndef TSN_B64URL_H
#define TSN_B64URL_H

#include <stddef.h>
#include <stdint.h>

/* Writes the encoding NUL-terminated into `out`. Returns its length, or -1
 * when `cap` is too small. */
long tsn_b64url_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* Decodes `len` characters into `out`. Returns the decoded length, or -1 for
 * invalid input or no room. */
long tsn_b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
