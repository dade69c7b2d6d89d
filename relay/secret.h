/* The shared token secret: the HMAC key that signs and verifies Telesono's
 * JWTs, kept in a file readable only by the relay's user. The key is the
 * file's bytes with trailing whitespace removed (so `echo ... > file` and
 * editors that add a newline both work). This module reads and creates that
 * file; it never logs the key, and it does not watch the file for changes. */
#ifndef TSN_SECRET_H
#define TSN_SECRET_H

#include <stddef.h>
#include <stdint.h>

#define TSN_SECRET_MIN_BYTES 16  /* shorter keys are refused */
#define TSN_SECRET_MAX_BYTES 512 /* a sensible `cap` for callers' buffers */
#define TSN_SECRET_NEW_BYTES 32  /* random bytes in a created file (written as 64 hex chars) */

/* Loads the key from `path` into `out` (capacity `cap`) and sets *len.
 * Refuses (-EINVAL) a file that is not a regular file, is empty after
 * trimming, or holds fewer than TSN_SECRET_MIN_BYTES; refuses (-EFBIG) a key
 * longer than `cap`. Warns, without failing, when the file is readable or
 * writable by group or others. Returns 0, or a negative errno with a one-line
 * reason (naming the path, never the key) in `why`; on error `out` is wiped
 * and *len is 0. */
int tsn_secret_load(const char *path, uint8_t *out, size_t cap, size_t *len, char *why,
                    size_t why_len);

/* As tsn_secret_load, but first creates `path` if it does not exist: mode
 * 0600, exclusive create, holding TSN_SECRET_NEW_BYTES from the OpenSSL
 * CSPRNG as lower-case hex and a newline. An existing file is never
 * modified. `cap` must be at least 2 * TSN_SECRET_NEW_BYTES (-EINVAL). */
int tsn_secret_load_or_create(const char *path, uint8_t *out, size_t cap, size_t *len, char *why,
                              size_t why_len);

#endif
