/* Unit tests for relay/file_ticket.c: a ticket made for (room, id, name,
 * holder) verifies for exactly that file until its expiry and gives back
 * the holder; it fails as expired at and after the expiry, as not valid
 * (-EACCES) for another room, session, file, key, or after any change of
 * its text (every character flipped in turn, the expiry or the role or the
 * subject edited), and as malformed for shapes that are not a ticket. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "file_ticket.h"

static const uint8_t key[] = "0123456789abcdef0123456789abcdef";
static const uint8_t key2[] = "0123456789abcdef0123456789abcdeF";
#define KEY_LEN (sizeof key - 1)
#define ROOM    "roomA"
#define ID      "20261127T075012Z-3fa9c2d1"
#define NAME    "recording.mp4"
#define NOW     1795000000

static int make(const char *sub, enum tsn_role role, int64_t exp, char *out)
{
    return tsn_file_ticket_make(key, KEY_LEN, ROOM, ID, NAME, sub, role, exp, out,
                                TSN_FILE_TICKET_MAX + 1);
}

static int verify_full(const uint8_t *k, const char *room, const char *id, const char *name,
                       const char *t, int64_t now, char *sub, enum tsn_role *role)
{
    return tsn_file_ticket_verify(k, KEY_LEN, room, id, name, t, strlen(t), now, sub, role);
}

static int verify(const char *t, int64_t now)
{
    char sub[TSN_SUB_MAX + 1];
    enum tsn_role role;
    return verify_full(key, ROOM, ID, NAME, t, now, sub, &role);
}

static void test_valid(void **state)
{
    (void)state;
    char t[TSN_FILE_TICKET_MAX + 1], sub[TSN_SUB_MAX + 1];
    enum tsn_role role;
    int n = make("dr-a", TSN_ROLE_REVIEWER, NOW + TSN_FILE_TICKET_TTL_S, t);
    assert_true(n > 0 && (size_t)n == strlen(t));
    assert_int_equal(strspn(t, "0123456789.-_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
                     (size_t)n); /* goes in a URL as is */
    assert_int_equal(verify_full(key, ROOM, ID, NAME, t, NOW, sub, &role), 0);
    assert_string_equal(sub, "dr-a");
    assert_int_equal(role, TSN_ROLE_REVIEWER);
    assert_int_equal(verify(t, NOW + TSN_FILE_TICKET_TTL_S - 1), 0);
    /* Deterministic: the same inputs give the same text. */
    char t2[TSN_FILE_TICKET_MAX + 1];
    assert_int_equal(make("dr-a", TSN_ROLE_REVIEWER, NOW + TSN_FILE_TICKET_TTL_S, t2), n);
    assert_string_equal(t, t2);
    /* The longest subject of printable characters (space, '&', '#', '%',
     * '=' included: it is base64url inside) fits TSN_FILE_TICKET_MAX. */
    char longsub[TSN_SUB_MAX + 1];
    for (int i = 0; i < TSN_SUB_MAX; i++)
        longsub[i] = " &#%=?/+~}"[i % 10];
    longsub[TSN_SUB_MAX] = '\0';
    n = make(longsub, TSN_ROLE_ADMIN, INT64_C(999999999999999999), t);
    assert_true(n > 0 && n <= TSN_FILE_TICKET_MAX);
    assert_int_equal(verify_full(key, ROOM, ID, NAME, t, NOW, sub, &role), 0);
    assert_string_equal(sub, longsub);
    assert_int_equal(role, TSN_ROLE_ADMIN);
}

static void test_expired(void **state)
{
    (void)state;
    char t[TSN_FILE_TICKET_MAX + 1], sub[TSN_SUB_MAX + 1] = "x";
    enum tsn_role role = TSN_ROLE_ADMIN;
    make("dr-a", TSN_ROLE_REVIEWER, NOW + 600, t);
    assert_int_equal(verify_full(key, ROOM, ID, NAME, t, NOW + 600, sub, &role), -EKEYEXPIRED);
    assert_string_equal(sub, "");
    assert_int_equal(role, TSN_ROLE_NONE);
    assert_int_equal(verify(t, NOW + 100000), -EKEYEXPIRED);
    /* Expiry is judged only for a genuine ticket: a forged one says so. */
    assert_int_equal(verify_full(key2, ROOM, ID, NAME, t, NOW + 100000, sub, &role), -EACCES);
}

static void test_wrong_target(void **state)
{
    (void)state;
    char t[TSN_FILE_TICKET_MAX + 1], sub[TSN_SUB_MAX + 1];
    enum tsn_role role;
    make("dr-a", TSN_ROLE_REVIEWER, NOW + 600, t);
    assert_int_equal(verify_full(key, "roomB", ID, NAME, t, NOW, sub, &role), -EACCES);
    assert_int_equal(verify_full(key, ROOM, "20261127T075012Z-3fa9c2d2", NAME, t, NOW, sub, &role),
                     -EACCES);
    assert_int_equal(verify_full(key, ROOM, ID, "annotated.mp4", t, NOW, sub, &role), -EACCES);
    assert_int_equal(verify_full(key, ROOM, ID, "annotations.json", t, NOW, sub, &role), -EACCES);
    assert_int_equal(verify_full(key2, ROOM, ID, NAME, t, NOW, sub, &role), -EACCES);
    assert_int_equal(
        tsn_file_ticket_verify(key, KEY_LEN - 1, ROOM, ID, NAME, t, strlen(t), NOW, sub, &role),
        -EACCES);
    /* Fields cannot slide into each other: ("roomA", ID) vs ("roomA\n...", ...)
     * is refused at the argument check, never hashed. */
    assert_int_equal(verify_full(key, "roomA\nx", ID, NAME, t, NOW, sub, &role), -EINVAL);
}

/* Every single-character change of the text is caught. */
static void test_tampered(void **state)
{
    (void)state;
    char t[TSN_FILE_TICKET_MAX + 1], bad[TSN_FILE_TICKET_MAX + 2];
    int n = make("dr-a", TSN_ROLE_REVIEWER, NOW + 600, t);
    static const char subst[] = "0A_-.a9Z";
    for (int i = 0; i < n; i++) {
        for (const char *c = subst; *c; c++) {
            if (t[i] == *c)
                continue;
            memcpy(bad, t, (size_t)n + 1);
            bad[i] = *c;
            int rc = verify(bad, NOW);
            if (rc != -EACCES && rc != -EINVAL)
                fail_msg("changing position %d to '%c' gave %d", i, *c, rc);
        }
    }
    /* Edits a holder would try: a later expiry, the admin role, another
     * subject (each re-encoded canonically), a cut or extended MAC. */
    char exp_edit[TSN_FILE_TICKET_MAX + 8];
    snprintf(exp_edit, sizeof exp_edit, "%d%s", NOW + 6000, strchr(t, '.'));
    assert_int_equal(verify(exp_edit, NOW), -EACCES);
    char role_edit[TSN_FILE_TICKET_MAX + 8];
    const char *after_role = strchr(strchr(t, '.') + 1, '.');
    snprintf(role_edit, sizeof role_edit, "%d.16%s", NOW + 600, after_role);
    assert_int_equal(verify(role_edit, NOW), -EACCES);
    char other[TSN_FILE_TICKET_MAX + 1], sub_edit[TSN_FILE_TICKET_MAX * 3];
    make("dr-b", TSN_ROLE_REVIEWER, NOW + 600, other);
    const char *mac = strrchr(t, '.');
    int prefix = (int)(strrchr(other, '.') - other);
    snprintf(sub_edit, sizeof sub_edit, "%.*s%s", prefix, other, mac);
    assert_int_equal(verify(sub_edit, NOW), -EACCES);
    memcpy(bad, t, (size_t)n + 1);
    bad[n - 1] = '\0';
    assert_int_equal(verify(bad, NOW), -EINVAL);
    memcpy(bad, t, (size_t)n);
    bad[n] = 'A';
    bad[n + 1] = '\0';
    assert_int_equal(verify(bad, NOW), -EINVAL);
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *const shapes[] = {
        "",
        ".",
        "...",
        "1.8.ZHItYQ",
        "1795000600.8.ZHItYQ.AAAA",
        "1795000600.8.ZHItYQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.x",
        "01795000600.8.ZHItYQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "-1.8.ZHItYQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "0.8.ZHItYQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "1795000600.3.ZHItYQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  /* two role bits */
        "1795000600.08.ZHItYQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* leading zero */
        "1795000600.8..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",        /* no subject */
        "1795000600.8.ZHItYR.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  /* trailing bits */
        "1795000600.8.ZHItYQ==.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "1795000600.8.ZHItYQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", /* trailing bits */
        "1795000600.8.ZHItYQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+A",
        "1795000600.8.IiI.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* subject '""' */
        "99999999999999999999.8.ZHItYQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (verify(shapes[i], NOW) != -EINVAL)
            fail_msg("shape %zu '%s' gave %d", i, shapes[i], verify(shapes[i], NOW));
    /* A NUL inside the given length, and an over-long ticket. */
    char sub[TSN_SUB_MAX + 1];
    enum tsn_role role;
    char t[TSN_FILE_TICKET_MAX + 1];
    int n = make("dr-a", TSN_ROLE_REVIEWER, NOW + 600, t);
    assert_int_equal(
        tsn_file_ticket_verify(key, KEY_LEN, ROOM, ID, NAME, t, (size_t)n + 1, NOW, sub, &role),
        -EINVAL);
    char huge[400];
    memset(huge, 'A', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    assert_int_equal(verify(huge, NOW), -EINVAL);
    assert_int_equal(tsn_file_ticket_verify(key, KEY_LEN, ROOM, ID, NAME, NULL, 0, NOW, sub, &role),
                     -EINVAL);
}

static void test_make_refuses(void **state)
{
    (void)state;
    char t[TSN_FILE_TICKET_MAX + 1];
    assert_int_equal(make("", TSN_ROLE_REVIEWER, NOW, t), -EINVAL);
    assert_int_equal(make("a\"b", TSN_ROLE_REVIEWER, NOW, t), -EINVAL);
    assert_int_equal(make("a\nb", TSN_ROLE_REVIEWER, NOW, t), -EINVAL);
    assert_int_equal(make("dr-a", TSN_ROLE_NONE, NOW, t), -EINVAL);
    assert_int_equal(make("dr-a", TSN_ROLE_REVIEWER | TSN_ROLE_ADMIN, NOW, t), -EINVAL);
    assert_int_equal(make("dr-a", TSN_ROLE_REVIEWER, 0, t), -EINVAL);
    assert_int_equal(tsn_file_ticket_make(key, KEY_LEN, "", ID, NAME, "dr-a", TSN_ROLE_REVIEWER,
                                          NOW, t, sizeof t),
                     -EINVAL);
    assert_int_equal(
        tsn_file_ticket_make(key, 0, ROOM, ID, NAME, "dr-a", TSN_ROLE_REVIEWER, NOW, t, sizeof t),
        -EINVAL);
    assert_int_equal(
        tsn_file_ticket_make(key, KEY_LEN, ROOM, ID, NAME, "dr-a", TSN_ROLE_REVIEWER, NOW, t, 20),
        -ENOSPC);
    assert_string_equal(t, "");
    assert_non_null(strstr(tsn_file_ticket_strerror(-EKEYEXPIRED), "expired"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_wrong_target), cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_malformed),    cmocka_unit_test(test_make_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
