/* Fuzz target for tsn_static_files_resolve (request path -> file below the
 * web root) and tsn_static_files_content_type. The first input byte picks
 * the mode (bit 0: 0 raw, 1 already decoded); the rest is the path.
 *
 * Invariants (abort on violation):
 *  - on error: one of -EACCES, -EISDIR, -ENAMETOOLONG, `rel` is "", and a
 *    non-empty reason;
 *  - on success: `rel` is 1..TSN_STATIC_FILES_MAX_PATH bytes of
 *    A-Z a-z 0-9 . _ - ~ + @ and '/', with no leading, trailing or doubled
 *    '/', no segment starting with '.' (so no "." or ".."), hence it can
 *    only name something below the root;
 *  - decoded input comes out unchanged (minus the leading '/'; "/" is
 *    index.html); raw input, once resolved, resolves to itself again as
 *    decoded input (decoding is done once and is final);
 *  - a smaller output buffer gives the same answer or -ENAMETOOLONG, never
 *    a cut path;
 *  - the Content-Type is never NULL. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "static_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int allowed(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '~' || c == '+' || c == '@' || c == '/';
}

static void check_rel(const char *rel)
{
    size_t n = strlen(rel);
    if (n == 0 || n > TSN_STATIC_FILES_MAX_PATH || rel[0] == '/' || rel[n - 1] == '/' ||
        strstr(rel, "//"))
        abort();
    for (size_t i = 0; i < n; i++) {
        if (!allowed((unsigned char)rel[i]))
            abort();
        if (rel[i] == '.' && (i == 0 || rel[i - 1] == '/'))
            abort();
    }
    if (!tsn_static_files_content_type(rel, NULL))
        abort();
}

static void check_error(int rc, const char *rel, const char *why)
{
    if (rc != -EACCES && rc != -EISDIR && rc != -ENAMETOOLONG)
        abort();
    if (rel[0] != '\0' || !why || !why[0])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    enum tsn_static_files_input in =
        (data[0] & 1) ? TSN_STATIC_FILES_DECODED : TSN_STATIC_FILES_RAW;
    const char *path = (const char *)data + 1;
    size_t len = size - 1;
    char rel[TSN_STATIC_FILES_MAX_PATH + 1];
    const char *why = NULL;
    int rc = tsn_static_files_resolve(path, len, in, rel, sizeof rel, &why);

    char small[17];
    const char *why_small = NULL;
    int rc_small = tsn_static_files_resolve(path, len, in, small, sizeof small, &why_small);
    if (rc_small == 0 && (rc != 0 || strcmp(small, rel) != 0))
        abort();
    if (rc_small != 0) {
        /* Same prefix, same checks: only the length may fail first. */
        check_error(rc_small, small, why_small);
        if (rc_small != rc && rc_small != -ENAMETOOLONG)
            abort();
    }

    if (rc != 0) {
        check_error(rc, rel, why);
        return 0;
    }
    check_rel(rel);
    if (in == TSN_STATIC_FILES_DECODED) {
        int is_index = len == 1 && strcmp(rel, "index.html") == 0;
        if (!is_index && (len != strlen(rel) + 1 || memcmp(path + 1, rel, len - 1) != 0))
            abort();
    }
    /* Resolving the result again, as decoded input, is the identity. */
    char again_path[TSN_STATIC_FILES_MAX_PATH + 2];
    char again[TSN_STATIC_FILES_MAX_PATH + 1];
    again_path[0] = '/';
    memcpy(again_path + 1, rel, strlen(rel) + 1);
    if (tsn_static_files_resolve(again_path, strlen(again_path), TSN_STATIC_FILES_DECODED, again,
                                 sizeof again, &why) != 0 ||
        strcmp(again, rel) != 0)
        abort();
    return 0;
}
