/* Token and role checks for HTTP and WebSocket requests. */
#include "auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *tsn_auth_bearer(const char *header)
{
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return NULL;
    header += 7;
    while (*header == ' ')
        header++;
    return *header ? header : NULL;
}

int tsn_auth_check(const struct tsn_auth *a, const char *token, const char *room,
                   unsigned allowed_roles, struct tsn_claims *who, char *why, size_t why_len)
{
    if (!token || !*token) {
        snprintf(why, why_len, "missing bearer token");
        return 401;
    }
    int rc = tsn_jwt_verify(token, strlen(token), a->key, a->key_len, (int64_t)time(NULL),
                            a->leeway_s, who);
    if (rc != 0) {
        snprintf(why, why_len, "invalid token: %s", tsn_jwt_strerror(rc));
        return 401;
    }
    if (room && strcmp(who->room, room) != 0) {
        snprintf(why, why_len, "token is not valid for this room");
        return 403;
    }
    if (!((unsigned)who->role & allowed_roles)) {
        snprintf(why, why_len, "role '%s' may not do this", tsn_role_name(who->role));
        return 403;
    }
    return 0;
}
