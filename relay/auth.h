/* Request authorisation: a bearer token (HS256 JWT) checked against the
 * relay's key, the room being addressed, and the roles an action allows.
 * A role never grants more than it names: capture publishes; clinician and
 * observer view; reviewer reads recordings; admin administers. */
#ifndef TSN_AUTH_H
#define TSN_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "jwt.h"

#define TSN_ROLES_PUBLISH (TSN_ROLE_CAPTURE)
#define TSN_ROLES_VIEW (TSN_ROLE_CLINICIAN | TSN_ROLE_OBSERVER)
#define TSN_ROLES_ANY_MEDIA (TSN_ROLES_PUBLISH | TSN_ROLES_VIEW)

struct tsn_auth {
    const uint8_t *key; /* transfer none: the relay's HMAC key */
    size_t key_len;
    int64_t leeway_s;
};

/* Checks `token` (the JWT text, not "Bearer ...") for `room` and a role in
 * `allowed_roles`. Returns 0 and fills *who, 401 (missing, malformed, bad
 * signature, expired, not yet valid) or 403 (other room, role not allowed),
 * with a reason for the client in `why`. The token itself is never logged. */
int tsn_auth_check(const struct tsn_auth *a, const char *token, const char *room,
                   unsigned allowed_roles, struct tsn_claims *who, char *why, size_t why_len);

/* Extracts the token from an "Authorization: Bearer <token>" value. Returns
 * a pointer into `header` or NULL. */
const char *tsn_auth_bearer(const char *header);

#endif
