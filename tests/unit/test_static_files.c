/* Unit tests for relay/static_files.c: the path resolver in both input
 * modes (what it accepts and the exact relative path, every refusal with its
 * code and reason: dot segments, hidden files, backslashes, NUL, encoded
 * slashes, bad escapes, double encoding, odd characters, empty segments,
 * directories, length), Content-Type by extension, and reading from a real
 * temporary tree: regular files, the size cap (exactly at it and one byte
 * over), HEAD (size only), empty files, symbolic links inside and out of the
 * root (refused, even when they stay inside), a FIFO (refused without
 * blocking), directories, missing files and a missing root. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "static_files.h"

#define RAW TSN_STATIC_FILES_RAW
#define DEC TSN_STATIC_FILES_DECODED

static void expect_ok(const char *path, enum tsn_static_files_input in, const char *want)
{
    char rel[TSN_STATIC_FILES_MAX_PATH + 1];
    const char *why = NULL;
    int rc = tsn_static_files_resolve(path, strlen(path), in, rel, sizeof rel, &why);
    if (rc != 0)
        fail_msg("'%s' (%s) refused with %d: %s", path, in == RAW ? "raw" : "decoded", rc, why);
    assert_string_equal(rel, want);
}

static void expect_refused(const char *path, size_t len, enum tsn_static_files_input in, int code,
                           const char *reason_part)
{
    char rel[TSN_STATIC_FILES_MAX_PATH + 1];
    const char *why = NULL;
    memset(rel, 'X', sizeof rel);
    int rc = tsn_static_files_resolve(path, len, in, rel, sizeof rel, &why);
    if (rc != code)
        fail_msg("'%.*s' (%s): expected %d, got %d (%s)", (int)len, path,
                 in == RAW ? "raw" : "decoded", code, rc, rc ? why : rel);
    assert_non_null(why);
    if (!strstr(why, reason_part))
        fail_msg("'%.*s': reason '%s' lacks '%s'", (int)len, path, why, reason_part);
    assert_string_equal(rel, ""); /* nothing usable is left behind */
}

#define REFUSED(path, in, code, reason) expect_refused((path), strlen(path), (in), (code), (reason))

static void test_resolve_accepts(void **state)
{
    for (int in = RAW; in <= DEC; in++) {
        expect_ok("/", in, "index.html");
        expect_ok("/index.html", in, "index.html");
        expect_ok("/app.js", in, "app.js");
        expect_ok("/js/lib/util.mjs", in, "js/lib/util.mjs");
        expect_ok("/a-b_c~d+e@f.9.css", in, "a-b_c~d+e@f.9.css");
        expect_ok("/x..y", in, "x..y"); /* dots inside a name are fine */
        expect_ok("/v1.2/a.js", in, "v1.2/a.js");
    }
    /* Raw: a query or fragment ends the path; escapes are decoded once. */
    expect_ok("/?room=a", RAW, "index.html");
    expect_ok("/#room=a&token=x", RAW, "index.html");
    expect_ok("/app.js?v=3", RAW, "app.js");
    expect_ok("/%61pp.js", RAW, "app.js");
    expect_ok("/js%2dx/A%2Ejs", RAW, "js-x/A.js");
}

static void test_resolve_refuses(void **state)
{
    for (int in = RAW; in <= DEC; in++) {
        REFUSED("", in, -EACCES, "must start with '/'");
        REFUSED("index.html", in, -EACCES, "must start with '/'");
        REFUSED("*", in, -EACCES, "must start with '/'");
        REFUSED("http://evil/x", in, -EACCES, "must start with '/'");
        REFUSED("/..", in, -EACCES, "dot segments");
        REFUSED("/../etc/passwd", in, -EACCES, "dot segments");
        REFUSED("/js/../../x", in, -EACCES, "dot segments");
        REFUSED("/./index.html", in, -EACCES, "dot segments");
        REFUSED("/...", in, -EACCES, "dot segments");
        REFUSED("/.git/config", in, -EACCES, "hidden files");
        REFUSED("/js/.env", in, -EACCES, "hidden files");
        REFUSED("/.htaccess", in, -EACCES, "hidden files");
        REFUSED("//etc/passwd", in, -EACCES, "empty path segments");
        REFUSED("/js//app.js", in, -EACCES, "empty path segments");
        REFUSED("/js/", in, -EISDIR, "directories are not listed");
        REFUSED("/index.html/", in, -EISDIR, "directories are not listed");
        REFUSED("/a\\..\\windows", in, -EACCES, "backslashes");
        REFUSED("/..\\windows", in, -EACCES, "dot segments"); /* the first rule that fails */
        REFUSED("/a\\b", in, -EACCES, "backslashes");
        REFUSED("/a b.js", in, -EACCES, "not served");
        REFUSED("/C:/x", in, -EACCES, "not served");
        REFUSED("/a\"b", in, -EACCES, "not served");
        REFUSED("/caf\xc3\xa9.js", in, -EACCES, "not served");
        REFUSED("/a\tb", in, -EACCES, "not served");
        REFUSED("/a\x7f", in, -EACCES, "not served");
        expect_refused("/a\0b", 4, in, -EACCES, "NUL");
        expect_refused("/index.html\0.png", 16, in, -EACCES, "NUL");
    }
    /* Raw: escapes that name separators or NUL, or that are malformed; a
     * decoded '%' (from %25) is not served either. */
    REFUSED("/..%2Fetc%2Fpasswd", RAW, -EACCES, "dot segments");
    REFUSED("/js%2Fapp.js", RAW, -EACCES, "encoded slashes");
    REFUSED("/js%2fapp.js", RAW, -EACCES, "encoded slashes");
    REFUSED("/a%5Cb", RAW, -EACCES, "encoded slashes");
    REFUSED("/index.html%00.png", RAW, -EACCES, "NUL");
    REFUSED("/%2e%2e/x", RAW, -EACCES, "dot segments");
    REFUSED("/%2E%2E", RAW, -EACCES, "dot segments");
    REFUSED("/%2esecret", RAW, -EACCES, "hidden files");
    REFUSED("/%252e%252e/x", RAW, -EACCES, "not served"); /* -> "%2e%2e": the % is refused */
    REFUSED("/a%", RAW, -EACCES, "bad percent-escape");
    REFUSED("/a%2", RAW, -EACCES, "bad percent-escape");
    REFUSED("/a%zz", RAW, -EACCES, "bad percent-escape");
    REFUSED("/a%%41", RAW, -EACCES, "bad percent-escape");
    REFUSED("/a%20b", RAW, -EACCES, "not served");
    REFUSED("/%C3%A9.js", RAW, -EACCES, "not served");
    /* Decoded (libwebsockets already decoded once): a '%' left means the
     * request was encoded twice; it is never decoded again. */
    REFUSED("/%2e%2e/x", DEC, -EACCES, "encoded twice");
    REFUSED("/%61pp.js", DEC, -EACCES, "encoded twice");
    REFUSED("/app.js?v=3", DEC, -EACCES, "not served");
    REFUSED("/#x", DEC, -EACCES, "not served");
}

static void test_resolve_lengths(void **state)
{
    char path[TSN_STATIC_FILES_MAX_PATH + 3];
    char rel[TSN_STATIC_FILES_MAX_PATH + 1];
    const char *why = NULL;
    /* Exactly the longest relative path, then one byte more. */
    path[0] = '/';
    memset(path + 1, 'a', TSN_STATIC_FILES_MAX_PATH);
    path[TSN_STATIC_FILES_MAX_PATH + 1] = '\0';
    assert_int_equal(tsn_static_files_resolve(path, strlen(path), DEC, rel, sizeof rel, &why), 0);
    assert_int_equal(strlen(rel), TSN_STATIC_FILES_MAX_PATH);
    strcat(path, "a");
    expect_refused(path, strlen(path), DEC, -ENAMETOOLONG, "too long");
    /* A small output buffer: refused, never cut. */
    char small[8];
    assert_int_equal(tsn_static_files_resolve("/abcdefgh", 9, DEC, small, sizeof small, &why),
                     -ENAMETOOLONG);
    assert_string_equal(small, "");
    assert_int_equal(tsn_static_files_resolve("/abcdefg", 8, DEC, small, sizeof small, &why), 0);
    assert_string_equal(small, "abcdefg");
    /* "/" needs room for "index.html". */
    assert_int_equal(tsn_static_files_resolve("/", 1, DEC, small, sizeof small, &why),
                     -ENAMETOOLONG);
    /* `len` is honoured: bytes past it are not read. */
    assert_int_equal(tsn_static_files_resolve("/app.js/../../x", 7, DEC, rel, sizeof rel, &why), 0);
    assert_string_equal(rel, "app.js");
    /* An escape cut by `len` is malformed. */
    assert_int_equal(tsn_static_files_resolve("/a%41", 4, RAW, rel, sizeof rel, &why), -EACCES);
    assert_int_equal(tsn_static_files_resolve(NULL, 0, RAW, rel, sizeof rel, &why), -EACCES);
}

static void test_content_type(void **state)
{
    static const struct {
        const char *name, *type;
        int html;
    } cases[] = {
        {"index.html", "text/html; charset=utf-8", 1},
        {"a/B.HTM", "text/html; charset=utf-8", 1},
        {"app.js", "text/javascript; charset=utf-8", 0},
        {"lib/x.mjs", "text/javascript; charset=utf-8", 0},
        {"style.css", "text/css; charset=utf-8", 0},
        {"m.json", "application/json", 0},
        {"app.js.map", "application/json", 0},
        {"logo.svg", "image/svg+xml", 0},
        {"p.png", "image/png", 0},
        {"favicon.ico", "image/x-icon", 0},
        {"f.woff2", "font/woff2", 0},
        {"robots.txt", "text/plain; charset=utf-8", 0},
        {"README", "application/octet-stream", 0},
        {"x.exe", "application/octet-stream", 0},
        {"x.html.gz", "application/octet-stream", 0},
        {"x.", "application/octet-stream", 0},
        {"dir.js/file", "application/octet-stream", 0}, /* only the last segment counts */
        {"x.woff", "application/octet-stream", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int html = -1;
        assert_string_equal(tsn_static_files_content_type(cases[i].name, &html), cases[i].type);
        assert_int_equal(html, cases[i].html);
    }
    assert_string_equal(tsn_static_files_content_type("a.css", NULL), "text/css; charset=utf-8");
}

/* --- reading from a real tree ------------------------------------------ */

struct tree {
    char root[64];
    char outside[64]; /* a sibling directory the links point to */
};

static void put(const char *dir, const char *name, const char *text, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        assert_true(n > 0);
        off += (size_t)n;
    }
    close(fd);
}

static void sub(const char *dir, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static int tree_setup(void **state)
{
    struct tree *t = calloc(1, sizeof *t);
    assert_non_null(t);
    snprintf(t->root, sizeof t->root, "/tmp/tsn_static_XXXXXX");
    assert_non_null(mkdtemp(t->root));
    snprintf(t->outside, sizeof t->outside, "/tmp/tsn_static_out_XXXXXX");
    assert_non_null(mkdtemp(t->outside));
    char p[256], q[256];
    put(t->root, "index.html", "<!doctype html><title>t</title>\n", 32);
    put(t->root, "empty.css", "", 0);
    sub(t->root, "js", p, sizeof p);
    assert_int_equal(mkdir(p, 0755), 0);
    put(p, "app.js", "export const x = 1;\n", 20);
    put(t->outside, "secret.txt", "top secret\n", 11);
    /* Links: to a file outside, to a directory outside, to a file inside. */
    sub(t->outside, "secret.txt", q, sizeof q);
    sub(t->root, "leak.txt", p, sizeof p);
    assert_int_equal(symlink(q, p), 0);
    sub(t->root, "out", p, sizeof p);
    assert_int_equal(symlink(t->outside, p), 0);
    sub(t->root, "alias.html", p, sizeof p);
    assert_int_equal(symlink("index.html", p), 0);
    sub(t->root, "jsdir", p, sizeof p);
    assert_int_equal(symlink("js", p), 0);
    sub(t->root, "fifo.js", p, sizeof p);
    assert_int_equal(mkfifo(p, 0644), 0);
    /* Exactly at the cap, and one byte over. */
    char *big = malloc(TSN_STATIC_FILES_MAX_BYTES + 1);
    assert_non_null(big);
    memset(big, 'b', TSN_STATIC_FILES_MAX_BYTES + 1);
    put(t->root, "at_cap.js", big, TSN_STATIC_FILES_MAX_BYTES);
    put(t->root, "over_cap.js", big, TSN_STATIC_FILES_MAX_BYTES + 1);
    free(big);
    *state = t;
    return 0;
}

static int tree_teardown(void **state)
{
    struct tree *t = *state;
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", t->root, t->outside);
    assert_int_equal(system(cmd), 0);
    free(t);
    return 0;
}

static void expect_read(const struct tree *t, const char *rel, const char *want, size_t want_len)
{
    char *body = (char *)1;
    size_t len = 99;
    const char *why = NULL;
    int rc = tsn_static_files_read(t->root, rel, TSN_STATIC_FILES_MAX_BYTES, 1, &body, &len, &why);
    if (rc != 0)
        fail_msg("read %s: %d %s", rel, rc, why);
    assert_int_equal(len, want_len);
    if (want_len)
        assert_memory_equal(body, want, want_len);
    else
        assert_null(body);
    free(body);
}

static void expect_read_error(const struct tree *t, const char *root, const char *rel, int code,
                              const char *reason_part)
{
    char *body = (char *)1;
    size_t len = 99;
    const char *why = NULL;
    int rc = tsn_static_files_read(root ? root : t->root, rel, TSN_STATIC_FILES_MAX_BYTES, 1, &body,
                                   &len, &why);
    if (rc != code)
        fail_msg("read %s: expected %d, got %d (%s)", rel, code, rc, why ? why : "");
    assert_null(body);
    assert_int_equal(len, 0);
    if (!strstr(why, reason_part))
        fail_msg("read %s: reason '%s' lacks '%s'", rel, why, reason_part);
}

static void test_read_files(void **state)
{
    const struct tree *t = *state;
    expect_read(t, "index.html", "<!doctype html><title>t</title>\n", 32);
    expect_read(t, "js/app.js", "export const x = 1;\n", 20);
    expect_read(t, "empty.css", NULL, 0);

    /* Exactly at the cap: served whole. One byte over: refused. */
    char *body = NULL;
    size_t len = 0;
    const char *why = NULL;
    assert_int_equal(tsn_static_files_read(t->root, "at_cap.js", TSN_STATIC_FILES_MAX_BYTES, 1,
                                           &body, &len, &why),
                     0);
    assert_int_equal(len, TSN_STATIC_FILES_MAX_BYTES);
    assert_int_equal(body[0], 'b');
    assert_int_equal(body[len - 1], 'b');
    free(body);
    expect_read_error(t, NULL, "over_cap.js", -EFBIG, "too large");

    /* HEAD: the size, no body. */
    body = (char *)1;
    assert_int_equal(tsn_static_files_read(t->root, "js/app.js", TSN_STATIC_FILES_MAX_BYTES, 0,
                                           &body, &len, &why),
                     0);
    assert_null(body);
    assert_int_equal(len, 20);
    /* A smaller cap applies too. */
    assert_int_equal(tsn_static_files_read(t->root, "index.html", 31, 1, &body, &len, &why),
                     -EFBIG);
    assert_null(body);
}

static void test_read_refusals(void **state)
{
    const struct tree *t = *state;
    expect_read_error(t, NULL, "missing.js", -ENOENT, "not found");
    expect_read_error(t, NULL, "nodir/app.js", -ENOENT, "not found");
    expect_read_error(t, NULL, "index.html/app.js", -ENOENT, "not found");
    expect_read_error(t, NULL, "js", -EISDIR, "directories");
    /* Every symbolic link is refused: out of the root, and inside it. */
    expect_read_error(t, NULL, "leak.txt", -ELOOP, "symbolic links");
    expect_read_error(t, NULL, "out/secret.txt", -ELOOP, "symbolic links");
    expect_read_error(t, NULL, "alias.html", -ELOOP, "symbolic links");
    expect_read_error(t, NULL, "jsdir/app.js", -ELOOP, "symbolic links");
    /* A FIFO is refused at once (opening it would block). */
    expect_read_error(t, NULL, "fifo.js", -EACCES, "only regular files");
    /* The root itself missing or not a directory. */
    expect_read_error(t, "/nonexistent/telesono/web", "index.html", -ENXIO, "not installed");
    char file_root[128];
    snprintf(file_root, sizeof file_root, "%s/index.html", t->root);
    expect_read_error(t, file_root, "index.html", -ENXIO, "not installed");
}

/* The resolver and the reader together, as http.c uses them. */
static void test_resolve_then_read(void **state)
{
    const struct tree *t = *state;
    static const struct {
        const char *path;
        int code;
    } cases[] = {
        {"/", 0},
        {"/js/app.js", 0},
        {"/../tsn_static_out/secret.txt", -EACCES},
        {"/out/secret.txt", -ELOOP},
        {"/.%2e/x", -EACCES},
        {"/js/", -EISDIR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rel[TSN_STATIC_FILES_MAX_PATH + 1];
        const char *why = NULL;
        char *body = NULL;
        size_t len = 0;
        int rc = tsn_static_files_resolve(cases[i].path, strlen(cases[i].path), RAW, rel,
                                          sizeof rel, &why);
        if (rc == 0)
            rc = tsn_static_files_read(t->root, rel, TSN_STATIC_FILES_MAX_BYTES, 1, &body, &len,
                                       &why);
        if (rc != cases[i].code)
            fail_msg("%s: expected %d, got %d (%s)", cases[i].path, cases[i].code, rc, why);
        assert_true(rc != 0 || len > 0);
        free(body);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_accepts),
        cmocka_unit_test(test_resolve_refuses),
        cmocka_unit_test(test_resolve_lengths),
        cmocka_unit_test(test_content_type),
        cmocka_unit_test_setup_teardown(test_read_files, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_read_refusals, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_resolve_then_read, tree_setup, tree_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
