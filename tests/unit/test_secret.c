/* Unit tests for relay/secret.c: trimming, refusals with reasons, the
 * permission warning (captured from stderr, which must never show the key),
 * and first-run creation (mode 0600, 64 hex chars + newline, reused). Each
 * test works in its own fresh temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "secret.h"

struct dir {
    char path[64];
    char file[128];
};

static int setup(void **state)
{
    struct dir *d = calloc(1, sizeof *d);
    if (!d)
        return -1;
    strcpy(d->path, "/tmp/tsn_secret_XXXXXX");
    if (!mkdtemp(d->path)) {
        free(d);
        return -1;
    }
    snprintf(d->file, sizeof d->file, "%s/secret", d->path);
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    struct dir *d = *state;
    unlink(d->file);
    rmdir(d->path);
    free(d);
    return 0;
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0); /* umask would otherwise drop bits */
    close(fd);
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, cap);
    assert_true(n >= 0);
    close(fd);
    return (size_t)n;
}

/* Runs tsn_secret_load with stderr redirected into `log` (NUL-terminated). */
static int load_capturing(const char *path, uint8_t *out, size_t cap, size_t *len, char *why,
                          size_t why_len, char *log, size_t log_cap)
{
    char tmpl[] = "/tmp/tsn_secret_log_XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    int rc = tsn_secret_load(path, out, cap, len, why, why_len);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    size_t n = read_file(tmpl, log, log_cap - 1);
    log[n] = '\0';
    unlink(tmpl);
    return rc;
}

static void test_trailing_whitespace_trimmed(void **state)
{
    struct dir *d = *state;
    static const char text[] = "  lead-space key\twith inner ws \t\r\n\n \v\f";
    write_file(d->file, text, sizeof text - 1, 0600);
    uint8_t key[TSN_SECRET_MAX_BYTES];
    size_t len = 99;
    char why[256];
    assert_int_equal(tsn_secret_load(d->file, key, sizeof key, &len, why, sizeof why), 0);
    const char *want = "  lead-space key\twith inner ws";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(key, want, len);

    /* Binary bytes are kept as they are, NUL included. */
    static const uint8_t bin[] = {0x00, 0xff, 0x10, 0x20, 0x7f, 0x80, 1, 2,   3,
                                  4,    5,    6,    7,    8,    9,    9, 'X', 0x0a};
    write_file(d->file, bin, sizeof bin, 0600);
    assert_int_equal(tsn_secret_load(d->file, key, sizeof key, &len, why, sizeof why), 0);
    assert_int_equal(len, 17); /* only the final 0x0a is trailing whitespace */
    assert_memory_equal(key, bin, 17);
}

static void test_empty_refused(void **state)
{
    struct dir *d = *state;
    uint8_t key[64];
    size_t len = 99;
    char why[256];
    write_file(d->file, "", 0, 0600);
    assert_int_equal(tsn_secret_load(d->file, key, sizeof key, &len, why, sizeof why), -EINVAL);
    assert_int_equal(len, 0);
    assert_non_null(strstr(why, "empty"));
    assert_non_null(strstr(why, d->file));

    write_file(d->file, " \n\t\r\n", 5, 0600);
    assert_int_equal(tsn_secret_load(d->file, key, sizeof key, &len, why, sizeof why), -EINVAL);
    assert_non_null(strstr(why, "empty"));
}

static void test_short_refused(void **state)
{
    struct dir *d = *state;
    uint8_t key[64];
    size_t len = 99;
    char why[256];
    /* 15 bytes plus newline: too short after trimming. */
    write_file(d->file, "0123456789abcde\n", 16, 0600);
    assert_int_equal(tsn_secret_load(d->file, key, sizeof key, &len, why, sizeof why), -EINVAL);
    assert_int_equal(len, 0);
    assert_non_null(strstr(why, "too short"));
    assert_null(strstr(why, "0123456789abcde")); /* the reason never shows the key */
    /* The buffer is wiped on error. */
    static const uint8_t zero[64];
    assert_memory_equal(key, zero, sizeof key);

    write_file(d->file, "0123456789abcdef", 16, 0600);
    assert_int_equal(tsn_secret_load(d->file, key, sizeof key, &len, why, sizeof why), 0);
    assert_int_equal(len, 16);
    assert_memory_equal(key, "0123456789abcdef", 16);
}

static void test_larger_than_cap_refused(void **state)
{
    struct dir *d = *state;
    uint8_t key[32];
    size_t len = 99;
    char why[256];
    char text[200];
    memset(text, 'k', sizeof text);

    /* Exactly cap bytes, with a newline after: fits. */
    text[32] = '\n';
    write_file(d->file, text, 33, 0600);
    assert_int_equal(tsn_secret_load(d->file, key, sizeof key, &len, why, sizeof why), 0);
    assert_int_equal(len, 32);

    /* cap + 1 bytes of key. */
    text[32] = 'k';
    write_file(d->file, text, 33, 0600);
    assert_int_equal(tsn_secret_load(d->file, key, sizeof key, &len, why, sizeof why), -EFBIG);
    assert_int_equal(len, 0);
    assert_non_null(strstr(why, "larger"));

    /* Whitespace then more key past cap. */
    memset(text + 32, ' ', 10);
    text[42] = 'x';
    write_file(d->file, text, 43, 0600);
    assert_int_equal(tsn_secret_load(d->file, key, sizeof key, &len, why, sizeof why), -EFBIG);

    /* A huge file is refused from its size alone. */
    write_file(d->file, text, sizeof text, 0600);
    assert_int_equal(tsn_secret_load(d->file, key, sizeof key, &len, why, sizeof why), -EFBIG);
}

static void test_missing_and_not_regular(void **state)
{
    struct dir *d = *state;
    uint8_t key[64];
    size_t len = 99;
    char why[256];
    assert_int_equal(tsn_secret_load(d->file, key, sizeof key, &len, why, sizeof why), -ENOENT);
    assert_int_equal(len, 0);
    assert_non_null(strstr(why, d->file));
    assert_int_equal(tsn_secret_load(d->path, key, sizeof key, &len, why, sizeof why), -EINVAL);
    assert_non_null(strstr(why, "not a regular file"));
    /* why may be omitted. */
    assert_int_equal(tsn_secret_load(d->file, key, sizeof key, &len, NULL, 0), -ENOENT);
}

static void test_permission_warning(void **state)
{
    struct dir *d = *state;
    static const char text[] = "SuperSecretKeyBytes-0123456789\n";
    uint8_t key[64];
    size_t len = 0;
    char why[256], log[2048];

    write_file(d->file, text, sizeof text - 1, 0644);
    int rc = load_capturing(d->file, key, sizeof key, &len, why, sizeof why, log, sizeof log);
    assert_int_equal(rc, 0); /* a warning, not a refusal */
    assert_int_equal(len, sizeof text - 2);
    assert_non_null(strstr(log, "WARN"));
    assert_non_null(strstr(log, "group or others"));
    assert_null(strstr(log, "SuperSecret"));

    write_file(d->file, text, sizeof text - 1, 0600);
    rc = load_capturing(d->file, key, sizeof key, &len, why, sizeof why, log, sizeof log);
    assert_int_equal(rc, 0);
    assert_string_equal(log, "");

    write_file(d->file, text, sizeof text - 1, 0604);
    rc = load_capturing(d->file, key, sizeof key, &len, why, sizeof why, log, sizeof log);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(log, "group or others"));
}

static int is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static void test_create_then_reuse(void **state)
{
    struct dir *d = *state;
    uint8_t key1[TSN_SECRET_MAX_BYTES], key2[TSN_SECRET_MAX_BYTES];
    size_t len1 = 0, len2 = 0;
    char why[256], text[256];

    mode_t old = umask(0); /* the file must be 0600 even under a permissive umask */
    int rc = tsn_secret_load_or_create(d->file, key1, sizeof key1, &len1, why, sizeof why);
    umask(old);
    assert_int_equal(rc, 0);

    struct stat st;
    assert_int_equal(stat(d->file, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, 65);

    size_t n = read_file(d->file, text, sizeof text);
    assert_int_equal(n, 65);
    assert_int_equal(text[64], '\n');
    assert_true(is_lower_hex(text, 64));
    assert_int_equal(len1, 64);
    assert_memory_equal(key1, text, 64);

    /* Second call: same bytes, file untouched. */
    assert_int_equal(tsn_secret_load_or_create(d->file, key2, sizeof key2, &len2, why, sizeof why),
                     0);
    assert_int_equal(len2, 64);
    assert_memory_equal(key1, key2, 64);
    struct stat st2;
    assert_int_equal(stat(d->file, &st2), 0);
    assert_int_equal(st2.st_ino, st.st_ino);
    assert_int_equal(st2.st_mtim.tv_sec, st.st_mtim.tv_sec);
    assert_int_equal(st2.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
    char text2[256];
    assert_int_equal(read_file(d->file, text2, sizeof text2), 65);
    assert_memory_equal(text, text2, 65);

    /* A fresh file gets a different random key. */
    char other[160];
    snprintf(other, sizeof other, "%s/other", d->path);
    assert_int_equal(tsn_secret_load_or_create(other, key2, sizeof key2, &len2, why, sizeof why),
                     0);
    assert_int_equal(len2, 64);
    assert_memory_not_equal(key1, key2, 64);
    unlink(other);
}

static void test_create_keeps_existing(void **state)
{
    struct dir *d = *state;
    static const char text[] = "an-operator-chosen-secret-value\n";
    write_file(d->file, text, sizeof text - 1, 0600);
    uint8_t key[TSN_SECRET_MAX_BYTES];
    size_t len = 0;
    char why[256], back[128];
    assert_int_equal(tsn_secret_load_or_create(d->file, key, sizeof key, &len, why, sizeof why), 0);
    assert_int_equal(len, sizeof text - 2);
    assert_memory_equal(key, text, len);
    assert_int_equal(read_file(d->file, back, sizeof back), sizeof text - 1);
    assert_memory_equal(back, text, sizeof text - 1);

    /* An existing but unusable file is refused, not replaced. */
    write_file(d->file, "short\n", 6, 0600);
    assert_int_equal(tsn_secret_load_or_create(d->file, key, sizeof key, &len, why, sizeof why),
                     -EINVAL);
    assert_int_equal(read_file(d->file, back, sizeof back), 6);
}

static void test_create_errors(void **state)
{
    struct dir *d = *state;
    uint8_t key[TSN_SECRET_MAX_BYTES];
    size_t len = 0;
    char why[256], path[192];
    snprintf(path, sizeof path, "%s/no/such/dir/secret", d->path);
    assert_int_equal(tsn_secret_load_or_create(path, key, sizeof key, &len, why, sizeof why),
                     -ENOENT);
    assert_non_null(strstr(why, "cannot create"));

    /* A buffer too small for a created key is refused before creating. */
    assert_int_equal(tsn_secret_load_or_create(d->file, key, 63, &len, why, sizeof why), -EINVAL);
    assert_int_equal(access(d->file, F_OK), -1);
}

int main(void)
{
    tsn_log_set_level(TSN_LOG_INFO);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_trailing_whitespace_trimmed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_larger_than_cap_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_not_regular, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permission_warning, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_then_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_keeps_existing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
