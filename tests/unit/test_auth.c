/* Unit tests for relay/auth.c: tokens minted with tsn_jwt_sign are accepted
 * for their room and an allowed role (0 and the claims), refused with 401 when
 * missing, malformed, expired, not yet valid or signed with another key, and
 * with 403 for another room or a role the action does not allow; and the
 * "Authorization: Bearer" header parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "auth.h"
#include "jwt.h"

static const uint8_t key[] = "unit-test-hmac-key-0123456789abcdef";
static const uint8_t other_key[] = "another-hmac-key-0123456789abcdef!";

static const struct tsn_auth auth = {key, sizeof key - 1, 30};

static void mint_with(const uint8_t *k, size_t k_len, const char *room, enum tsn_role role,
                      int64_t exp, int64_t nbf, char *out, size_t cap)
{
    struct tsn_claims c;
    memset(&c, 0, sizeof c);
    snprintf(c.room, sizeof c.room, "%s", room);
    snprintf(c.sub, sizeof c.sub, "user-%s", tsn_role_name(role));
    c.role = role;
    c.exp = exp;
    c.nbf = nbf;
    c.iat = (int64_t)time(NULL);
    int n = tsn_jwt_sign(&c, k, k_len, out, cap);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(out));
}

static void mint(const char *room, enum tsn_role role, char *out, size_t cap)
{
    mint_with(key, sizeof key - 1, room, role, (int64_t)time(NULL) + 3600, 0, out, cap);
}

/* Runs the check and returns the status; `why` gets the reason. */
static int check(const char *token, const char *room, unsigned roles, struct tsn_claims *who,
                 char *why, size_t why_len)
{
    why[0] = '\0';
    return tsn_auth_check(&auth, token, room, roles, who, why, why_len);
}

static void test_accept(void **state)
{
    char tok[TSN_JWT_MAX_TOKEN + 1], why[128];
    struct tsn_claims who;

    mint("ward-7", TSN_ROLE_CAPTURE, tok, sizeof tok);
    assert_int_equal(check(tok, "ward-7", TSN_ROLES_PUBLISH, &who, why, sizeof why), 0);
    assert_string_equal(who.room, "ward-7");
    assert_string_equal(who.sub, "user-capture");
    assert_int_equal(who.role, TSN_ROLE_CAPTURE);
    assert_true(who.exp > (int64_t)time(NULL));
    assert_int_equal(check(tok, "ward-7", TSN_ROLES_ANY_MEDIA, &who, why, sizeof why), 0);

    mint("ward-7", TSN_ROLE_CLINICIAN, tok, sizeof tok);
    assert_int_equal(check(tok, "ward-7", TSN_ROLES_VIEW, &who, why, sizeof why), 0);
    assert_int_equal(who.role, TSN_ROLE_CLINICIAN);
    assert_string_equal(who.sub, "user-clinician");

    mint("ward-7", TSN_ROLE_OBSERVER, tok, sizeof tok);
    assert_int_equal(check(tok, "ward-7", TSN_ROLES_VIEW, &who, why, sizeof why), 0);
    assert_int_equal(who.role, TSN_ROLE_OBSERVER);

    /* Admin and reviewer pass where their own role is asked for. */
    mint("ward-7", TSN_ROLE_ADMIN, tok, sizeof tok);
    assert_int_equal(check(tok, "ward-7", TSN_ROLE_ADMIN, &who, why, sizeof why), 0);
    mint("ward-7", TSN_ROLE_REVIEWER, tok, sizeof tok);
    assert_int_equal(check(tok, "ward-7", TSN_ROLE_REVIEWER, &who, why, sizeof why), 0);

    /* room NULL: any room (room-independent endpoints). */
    mint("other-room", TSN_ROLE_ADMIN, tok, sizeof tok);
    assert_int_equal(check(tok, NULL, TSN_ROLE_ADMIN, &who, why, sizeof why), 0);
    assert_string_equal(who.room, "other-room");
}

static void test_401(void **state)
{
    char tok[TSN_JWT_MAX_TOKEN + 1], why[128];
    struct tsn_claims who;
    int64_t now = (int64_t)time(NULL);

    assert_int_equal(check(NULL, "r", TSN_ROLES_VIEW, &who, why, sizeof why), 401);
    assert_string_equal(why, "missing bearer token");
    assert_int_equal(check("", "r", TSN_ROLES_VIEW, &who, why, sizeof why), 401);
    assert_string_equal(why, "missing bearer token");

    static const char *const garbage[] = {
        "x", "a.b.c", "not a token", "....", "eyJhbGciOiJIUzI1NiJ9..", "Bearer abc"};
    for (size_t i = 0; i < sizeof garbage / sizeof *garbage; i++) {
        memset(&who, 0x55, sizeof who);
        assert_int_equal(check(garbage[i], "r", TSN_ROLES_VIEW, &who, why, sizeof why), 401);
        assert_non_null(strstr(why, "invalid token: "));
        static const struct tsn_claims zero;
        assert_memory_equal(&who, &zero, sizeof who); /* nothing of a bad token is kept */
    }

    /* Expired beyond the leeway; inside the leeway it still counts. */
    mint_with(key, sizeof key - 1, "r", TSN_ROLE_OBSERVER, now - 3600, 0, tok, sizeof tok);
    assert_int_equal(check(tok, "r", TSN_ROLES_VIEW, &who, why, sizeof why), 401);
    assert_non_null(strstr(why, "invalid token: "));
    assert_string_equal(why + strlen("invalid token: "), tsn_jwt_strerror(TSN_JWT_EEXPIRED));
    mint_with(key, sizeof key - 1, "r", TSN_ROLE_OBSERVER, now - 5, 0, tok, sizeof tok);
    assert_int_equal(check(tok, "r", TSN_ROLES_VIEW, &who, why, sizeof why), 0);

    /* Not valid yet. */
    mint_with(key, sizeof key - 1, "r", TSN_ROLE_OBSERVER, now + 7200, now + 3600, tok, sizeof tok);
    assert_int_equal(check(tok, "r", TSN_ROLES_VIEW, &who, why, sizeof why), 401);
    assert_string_equal(why + strlen("invalid token: "), tsn_jwt_strerror(TSN_JWT_ENOTYET));

    /* Signed with another key. */
    mint_with(other_key, sizeof other_key - 1, "r", TSN_ROLE_OBSERVER, now + 3600, 0, tok,
              sizeof tok);
    assert_int_equal(check(tok, "r", TSN_ROLES_VIEW, &who, why, sizeof why), 401);
    assert_string_equal(why + strlen("invalid token: "), tsn_jwt_strerror(TSN_JWT_ESIGNATURE));

    /* A valid token with one signature character changed. */
    mint("r", TSN_ROLE_OBSERVER, tok, sizeof tok);
    size_t n = strlen(tok);
    tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(check(tok, "r", TSN_ROLES_VIEW, &who, why, sizeof why), 401);
    /* A valid token with its claims part changed (room swapped). */
    char a[TSN_JWT_MAX_TOKEN + 1], b[TSN_JWT_MAX_TOKEN + 1];
    mint("room-a", TSN_ROLE_OBSERVER, a, sizeof a);
    mint("room-b", TSN_ROLE_CAPTURE, b, sizeof b);
    char *a_dot2 = strrchr(a, '.'), *b_dot1 = strchr(b, '.'), *b_dot2 = strrchr(b, '.');
    char mixed[3 * TSN_JWT_MAX_TOKEN];
    snprintf(mixed, sizeof mixed, "%.*s%.*s%s", (int)(strchr(a, '.') - a), a,
             (int)(b_dot2 - b_dot1), b_dot1, a_dot2);
    assert_int_equal(check(mixed, "room-b", TSN_ROLES_PUBLISH, &who, why, sizeof why), 401);
}

static void test_403(void **state)
{
    char tok[TSN_JWT_MAX_TOKEN + 1], why[128];
    struct tsn_claims who;

    /* Right token, other room. */
    mint("ward-7", TSN_ROLE_CAPTURE, tok, sizeof tok);
    assert_int_equal(check(tok, "ward-8", TSN_ROLES_PUBLISH, &who, why, sizeof why), 403);
    assert_string_equal(why, "token is not valid for this room");
    assert_int_equal(check(tok, "ward-", TSN_ROLES_PUBLISH, &who, why, sizeof why), 403);
    assert_int_equal(check(tok, "ward-77", TSN_ROLES_PUBLISH, &who, why, sizeof why), 403);
    assert_int_equal(check(tok, "WARD-7", TSN_ROLES_PUBLISH, &who, why, sizeof why), 403);

    /* A capture token may not view. */
    assert_int_equal(check(tok, "ward-7", TSN_ROLES_VIEW, &who, why, sizeof why), 403);
    assert_string_equal(why, "role 'capture' may not do this");

    /* Viewers may not publish. */
    mint("ward-7", TSN_ROLE_OBSERVER, tok, sizeof tok);
    assert_int_equal(check(tok, "ward-7", TSN_ROLES_PUBLISH, &who, why, sizeof why), 403);
    assert_string_equal(why, "role 'observer' may not do this");
    mint("ward-7", TSN_ROLE_CLINICIAN, tok, sizeof tok);
    assert_int_equal(check(tok, "ward-7", TSN_ROLES_PUBLISH, &who, why, sizeof why), 403);

    /* Reviewer and admin get no live media at all. */
    const enum tsn_role no_media[] = {TSN_ROLE_REVIEWER, TSN_ROLE_ADMIN};
    for (size_t i = 0; i < 2; i++) {
        mint("ward-7", no_media[i], tok, sizeof tok);
        assert_int_equal(check(tok, "ward-7", TSN_ROLES_PUBLISH, &who, why, sizeof why), 403);
        assert_int_equal(check(tok, "ward-7", TSN_ROLES_VIEW, &who, why, sizeof why), 403);
        assert_int_equal(check(tok, "ward-7", TSN_ROLES_ANY_MEDIA, &who, why, sizeof why), 403);
        char want[64];
        snprintf(want, sizeof want, "role '%s' may not do this", tsn_role_name(no_media[i]));
        assert_string_equal(why, want);
    }
    /* And no role set allows nothing. */
    mint("ward-7", TSN_ROLE_ADMIN, tok, sizeof tok);
    assert_int_equal(check(tok, "ward-7", 0, &who, why, sizeof why), 403);

    /* The room is checked before the role: another room's viewer learns
     * nothing about the roles of this one. */
    mint("ward-7", TSN_ROLE_OBSERVER, tok, sizeof tok);
    assert_int_equal(check(tok, "ward-9", TSN_ROLES_PUBLISH, &who, why, sizeof why), 403);
    assert_string_equal(why, "token is not valid for this room");
}

/* The reason never contains the token (it is logged and sent to clients). */
static void test_reason_has_no_token(void **state)
{
    char tok[TSN_JWT_MAX_TOKEN + 1], why[512];
    struct tsn_claims who;
    mint("r", TSN_ROLE_OBSERVER, tok, sizeof tok);
    size_t n = strlen(tok);
    tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(check(tok, "r", TSN_ROLES_VIEW, &who, why, sizeof why), 401);
    char sig[16];
    memcpy(sig, strrchr(tok, '.') + 1, 10);
    sig[10] = '\0';
    assert_null(strstr(why, sig));
    assert_null(strstr(why, "eyJ"));
    /* A tiny why buffer is truncated safely. */
    char small[4];
    assert_int_equal(tsn_auth_check(&auth, tok, "r", TSN_ROLES_VIEW, &who, small, sizeof small),
                     401);
    assert_int_equal(strlen(small), 3);
}

static void test_bearer(void **state)
{
    const char *h;
    h = "Bearer abc.def.ghi";
    assert_ptr_equal(tsn_auth_bearer(h), h + 7);
    h = "bearer  x";
    assert_ptr_equal(tsn_auth_bearer(h), h + 8);
    assert_string_equal(tsn_auth_bearer(h), "x");
    h = "BEARER tok";
    assert_string_equal(tsn_auth_bearer(h), "tok");
    assert_null(tsn_auth_bearer("Basic dXNlcjpwYXNz"));
    assert_null(tsn_auth_bearer("Bearer "));
    assert_null(tsn_auth_bearer("Bearer      "));
    assert_null(tsn_auth_bearer("Bearer"));
    assert_null(tsn_auth_bearer("Bearerabc"));
    assert_null(tsn_auth_bearer(""));
    assert_null(tsn_auth_bearer(NULL));
}

/* End to end: header -> token -> check. */
static void test_header_to_check(void **state)
{
    char tok[TSN_JWT_MAX_TOKEN + 1], header[TSN_JWT_MAX_TOKEN + 16], why[128];
    struct tsn_claims who;
    mint("icu", TSN_ROLE_CLINICIAN, tok, sizeof tok);
    snprintf(header, sizeof header, "Bearer %s", tok);
    assert_int_equal(check(tsn_auth_bearer(header), "icu", TSN_ROLES_VIEW, &who, why, sizeof why),
                     0);
    assert_int_equal(
        check(tsn_auth_bearer("Basic x"), "icu", TSN_ROLES_VIEW, &who, why, sizeof why), 401);
    assert_string_equal(why, "missing bearer token");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept), cmocka_unit_test(test_401),
        cmocka_unit_test(test_403),    cmocka_unit_test(test_reason_has_no_token),
        cmocka_unit_test(test_bearer), cmocka_unit_test(test_header_to_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
