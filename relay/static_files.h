/* Static files of the web viewer (--web-root): the request-path resolver (a
 * pure function over the path bytes), the Content-Type of a file name, and
 * reading one file below the root without following any symbolic link. It
 * does not speak HTTP: http.c routes the request, adds the headers and sends
 * the bytes. See docs/security.md ("Static files") for the rules. */
#ifndef TSN_STATIC_FILES_H
#define TSN_STATIC_FILES_H

#include <stddef.h>

/* Files larger than this are refused (403): the web app is a few small
 * files, and each is read whole on the lws thread. */
#define TSN_STATIC_FILES_MAX_BYTES (4u * 1024 * 1024)
/* Longest resolved relative path (bytes, without the NUL). */
#define TSN_STATIC_FILES_MAX_PATH 200

enum tsn_static_files_input {
    /* As on the request line: percent-escapes are decoded here, once. A
     * query ('?') or fragment ('#') ends the path. */
    TSN_STATIC_FILES_RAW,
    /* Already decoded once (libwebsockets does it, and folds "//", "/./" and
     * "/../"): a '%' left is refused, never decoded a second time. */
    TSN_STATIC_FILES_DECODED,
};

/* Maps a request path to a path relative to the web root: "/" becomes
 * "index.html", "/js/app.js" becomes "js/app.js". Refused: a path not
 * starting with '/', bad or encoded-separator escapes (%2F, %5C, %00), a
 * character outside A-Z a-z 0-9 and . _ - ~ + @ (so no backslash, NUL,
 * space, ':' or '%' after decoding), an empty segment ("//"), a segment
 * starting with '.' ("." and ".." included, and hidden files), a directory
 * (a trailing '/'), more than TSN_STATIC_FILES_MAX_PATH bytes.
 * Returns 0 and writes `rel` (NUL-terminated, rel_cap > 0), or -EACCES
 * (403), -EISDIR (a directory: 403), -ENAMETOOLONG (414), with `*why` a
 * short static reason for the client. `rel` is "" on error. */
int tsn_static_files_resolve(const char *path, size_t len, enum tsn_static_files_input input,
                             char *rel, size_t rel_cap, const char **why);

/* The Content-Type of a file by its extension (case-insensitive); never
 * NULL: application/octet-stream when unknown. *is_html (nullable) is set
 * to 1 for text/html, which gets the page's security headers. */
const char *tsn_static_files_content_type(const char *rel, int *is_html);

/* Reads `rel` (from tsn_static_files_resolve) below the directory `root`:
 * every directory on the way is opened with O_NOFOLLOW | O_DIRECTORY, the
 * file with O_NOFOLLOW | O_NONBLOCK (a FIFO cannot block), and it must be a
 * regular file of at most `max_bytes`. With want_body == 0 only the size is
 * returned (for HEAD). Returns 0 with *body (malloc'd, caller frees; NULL
 * when want_body == 0 or the file is empty) and *len, or a negative errno
 * with `*why` for the client: -ENXIO (the root itself cannot be opened),
 * -ENOENT (no such file: 404), -ELOOP (a symbolic link: 403), -EACCES (not a
 * regular file, or permission: 403), -EISDIR (403), -EFBIG (403), -ENOMEM,
 * -EIO. */
int tsn_static_files_read(const char *root, const char *rel, size_t max_bytes, int want_body,
                          char **body, size_t *len, const char **why);

#endif
