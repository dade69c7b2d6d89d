/* Download tickets: short-lived capabilities for one recording file, so a
 * <video src> (which cannot send an Authorization header) may fetch it.
 * A ticket is "EXP.ROLE.SUB.MAC": the expiry (Unix seconds), the role bit
 * and the base64url subject of the token it was made for (so a download is
 * audited with who asked), and a base64url HMAC-SHA-256 with the relay's
 * secret over a domain tag, room, session id, file name, expiry, role and
 * subject. Only characters of [0-9A-Za-z._-], so it goes in a URL as is.
 *
 * Pure functions of their arguments (the clock is a parameter); no I/O, no
 * logging. A ticket is as secret as a token: never log one. It does not
 * decide what a role may download: that is rec_api.c's business. */
#ifndef TSN_FILE_TICKET_H
#define TSN_FILE_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "jwt.h"

#define TSN_FILE_TICKET_TTL_S 600 /* the lifetime the REST API gives its tickets */
/* Longest ticket text (without the NUL): 20 + 1 + 2 + 1 + 86 (base64url of a
 * 64-byte subject) + 1 + 43 (base64url of 32 bytes). */
#define TSN_FILE_TICKET_MAX 160

/* Makes the ticket for (room, id, name) valid until `expiry_s`, for the
 * token subject `sub` and its `role`. Writes it NUL-terminated into `out`
 * and returns its length; -EINVAL for an empty or over-long argument, a
 * newline in one, a subject that is not a token's, expiry_s <= 0 or no
 * role; -ENOSPC when `cap` is too small. */
int tsn_file_ticket_make(const uint8_t *key, size_t key_len, const char *room, const char *id,
                         const char *name, const char *sub, enum tsn_role role, int64_t expiry_s,
                         char *out, size_t cap);

/* Checks `ticket` (`len` bytes, need not be NUL-terminated) for (room, id,
 * name) at `now_s`. The MAC is compared in constant time before anything
 * else of the ticket is trusted. Returns 0 and fills sub (capacity
 * TSN_SUB_MAX + 1) and *role, or -EINVAL (malformed), -EACCES (MAC does not
 * match: tampered, another file/room/session, or another key) or
 * -EKEYEXPIRED (a genuine ticket past its expiry: now_s >= expiry). On error
 * `sub` is "" and *role TSN_ROLE_NONE. */
int tsn_file_ticket_verify(const uint8_t *key, size_t key_len, const char *room, const char *id,
                           const char *name, const char *ticket, size_t len, int64_t now_s,
                           char *sub, enum tsn_role *role);

/* A short reason for the client for a code of tsn_file_ticket_verify. */
const char *tsn_file_ticket_strerror(int code);

#endif
