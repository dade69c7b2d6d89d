/* Static files of the web viewer: path resolution, Content-Type, and a
 * symlink-free read below the web root. The resolver only lets through
 * paths made of plain segments of a small character set, so what reaches
 * the filesystem can never climb out of the root; the reader then opens
 * each directory on the way itself (openat with O_NOFOLLOW), so a symbolic
 * link anywhere below the root is refused rather than followed. */
#include "static_files.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char index_file[] = "index.html";

static int refuse(const char **why, int code, const char *reason)
{
    *why = reason;
    return code;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The characters a served file name may have. Everything else (controls,
 * space, quotes, '\\', ':', '%', non-ASCII) is refused outright. */
static int name_char(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c == '.' || c == '_' || c == '-' || c == '~' || c == '+' || c == '@';
}

/* The reason for refusing character `c` (not a name character, not '/'). */
static const char *bad_char_reason(unsigned char c, enum tsn_static_files_input input)
{
    if (c == '\\')
        return "backslashes are not allowed in paths";
    if (c == '\0')
        return "NUL bytes are not allowed in paths";
    if (c == '%' && input == TSN_STATIC_FILES_DECODED)
        return "a '%' is left after decoding (encoded twice?)";
    return "the path has a character that is not served";
}

/* Decodes the escape at path[*i] == '%' (RAW input). 0 and the byte in *c,
 * or -EACCES with the reason. */
static int decode_escape(const char *path, size_t len, size_t *i, unsigned char *c,
                         const char **why)
{
    if (*i + 2 >= len)
        return refuse(why, -EACCES, "bad percent-escape in the path");
    int hi = hex_value(path[*i + 1]), lo = hex_value(path[*i + 2]);
    if (hi < 0 || lo < 0)
        return refuse(why, -EACCES, "bad percent-escape in the path");
    *c = (unsigned char)(hi << 4 | lo);
    *i += 2;
    if (*c == '/' || *c == '\\' || *c == '\0')
        return refuse(why, -EACCES, "encoded slashes, backslashes and NUL are not allowed");
    return 0;
}

static int index_path(char *rel, size_t rel_cap, const char **why)
{
    if (rel_cap < sizeof index_file)
        return refuse(why, -ENAMETOOLONG, "path too long");
    memcpy(rel, index_file, sizeof index_file);
    return 0;
}

int tsn_static_files_resolve(const char *path, size_t len, enum tsn_static_files_input input,
                             char *rel, size_t rel_cap, const char **why)
{
    assert(rel && rel_cap > 0 && why);
    rel[0] = '\0';
    if (!path || len == 0 || path[0] != '/')
        return refuse(why, -EACCES, "the path must start with '/'");
    size_t out = 0, seg = 0; /* bytes written; where the current segment starts */
    for (size_t i = 1; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        if (input == TSN_STATIC_FILES_RAW && (c == '?' || c == '#'))
            break;
        if (input == TSN_STATIC_FILES_RAW && c == '%') {
            int rc = decode_escape(path, len, &i, &c, why);
            if (rc) {
                rel[0] = '\0';
                return rc;
            }
        }
        int rc = 0;
        if (c == '/' && out == seg)
            rc = refuse(why, -EACCES, "empty path segments are not allowed");
        else if (c != '/' && !name_char(c))
            rc = refuse(why, -EACCES, bad_char_reason(c, input));
        else if (c == '.' && out == seg)
            rc = refuse(why, -EACCES, "hidden files and dot segments are not served");
        else if (out + 1 >= rel_cap || out >= TSN_STATIC_FILES_MAX_PATH)
            rc = refuse(why, -ENAMETOOLONG, "path too long");
        if (rc) {
            rel[0] = '\0';
            return rc;
        }
        rel[out++] = (char)c;
        if (c == '/')
            seg = out;
    }
    if (out == 0)
        return index_path(rel, rel_cap, why);
    rel[out] = '\0';
    if (out == seg) {
        rel[0] = '\0';
        return refuse(why, -EISDIR, "directories are not listed");
    }
    return 0;
}

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"ico", "image/x-icon"},
    {"woff2", "font/woff2"},
    {"txt", "text/plain; charset=utf-8"},
};

const char *tsn_static_files_content_type(const char *rel, int *is_html)
{
    const char *slash = strrchr(rel, '/');
    const char *name = slash ? slash + 1 : rel;
    const char *dot = strrchr(name, '.');
    if (is_html)
        *is_html = 0;
    if (!dot || dot == name)
        return "application/octet-stream";
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcasecmp(dot + 1, types[i].ext) == 0) {
            if (is_html)
                *is_html = strncmp(types[i].type, "text/html", 9) == 0;
            return types[i].type;
        }
    }
    return "application/octet-stream";
}

/* The reply for a failed open or stat of something below the root. */
static int open_error(int err, const char **why)
{
    switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
        return refuse(why, -ENOENT, "not found");
    case ELOOP:
        return refuse(why, -ELOOP, "symbolic links are not followed");
    case EACCES:
    case EPERM:
        return refuse(why, -EACCES, "permission denied");
    case ENOMEM:
        return refuse(why, -ENOMEM, "out of memory");
    default:
        return refuse(why, -EIO, "cannot read the file");
    }
}

/* Opens the directory holding `rel`'s last segment, one directory at a
 * time without following links. Returns its fd, or a negative errno. *leaf
 * points at the last segment inside `rel`. */
static int open_parent(const char *root, const char *rel, const char **leaf, const char **why)
{
    int dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return refuse(why, -ENXIO, "the web viewer is not installed on this relay");
    const char *p = rel;
    for (const char *slash; (slash = strchr(p, '/')) != NULL; p = slash + 1) {
        char name[TSN_STATIC_FILES_MAX_PATH + 1];
        size_t n = (size_t)(slash - p);
        if (n == 0 || n >= sizeof name) {
            close(dir);
            return refuse(why, -ENOENT, "not found");
        }
        memcpy(name, p, n);
        name[n] = '\0';
        int next = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int err = errno;
        struct stat st;
        /* A link to a directory fails with ELOOP or ENOTDIR depending on the
         * kernel's order of checks: say "link" either way. */
        if (next < 0 && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            err = ELOOP;
        close(dir);
        if (next < 0)
            return open_error(err, why);
        dir = next;
    }
    *leaf = p;
    return dir;
}

static int check_stat(const struct stat *st, size_t max_bytes, const char **why)
{
    if (S_ISLNK(st->st_mode))
        return refuse(why, -ELOOP, "symbolic links are not followed");
    if (S_ISDIR(st->st_mode))
        return refuse(why, -EISDIR, "directories are not listed");
    if (!S_ISREG(st->st_mode))
        return refuse(why, -EACCES, "only regular files are served");
    if ((unsigned long long)st->st_size > max_bytes)
        return refuse(why, -EFBIG, "the file is too large to serve");
    return 0;
}

static int read_all(int fd, size_t size, char **body, size_t *len, const char **why)
{
    if (size == 0)
        return 0; /* *body stays NULL */
    char *buf = malloc(size);
    if (!buf)
        return refuse(why, -ENOMEM, "out of memory");
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            return refuse(why, -EIO, "cannot read the file");
        }
        if (n == 0)
            break; /* shrank since fstat: serve what is there */
        got += (size_t)n;
    }
    *body = buf;
    *len = got;
    return 0;
}

int tsn_static_files_read(const char *root, const char *rel, size_t max_bytes, int want_body,
                          char **body, size_t *len, const char **why)
{
    *body = NULL;
    *len = 0;
    const char *leaf = NULL;
    int dir = open_parent(root, rel, &leaf, why);
    if (dir < 0)
        return dir;
    /* lstat first: a FIFO or device is refused without being opened. */
    struct stat st, st2;
    int rc = fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0 ? open_error(errno, why)
                                                               : check_stat(&st, max_bytes, why);
    int fd = -1;
    if (rc == 0) {
        fd = openat(dir, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            rc = open_error(errno, why);
    }
    close(dir);
    if (rc)
        return rc;
    /* The same file as the one checked (not swapped in between), and still
     * within the limits. */
    if (fstat(fd, &st2) != 0)
        rc = open_error(errno, why);
    else if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)
        rc = refuse(why, -EACCES, "the file changed while it was opened");
    else
        rc = check_stat(&st2, max_bytes, why);
    if (rc == 0 && want_body)
        rc = read_all(fd, (size_t)st2.st_size, body, len, why);
    else if (rc == 0)
        *len = (size_t)st2.st_size;
    close(fd);
    return rc;
}
