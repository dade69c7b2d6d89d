/* Token secret file: load with trailing-whitespace trimming, size and
 * permission checks; first-run creation with O_EXCL and mode 0600.
 *
 * Every buffer that held key bytes is wiped with OPENSSL_cleanse before it
 * goes out of scope or on error. Reasons given to the caller name the path
 * and the problem, never any byte of the key. */
#include "secret.h"

#include "why.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

/* Trailing whitespace allowed past `cap`: a key of exactly `cap` bytes
 * followed by a newline (or CRLF, or a few blanks) still loads. */
#define TRAILING_SLACK_BYTES 64

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Reads until EOF: the first `cap` bytes into `out`, anything past that into
 * a small scratch buffer that must hold whitespace only. Returns the number
 * of bytes in `out`, -EFBIG, or -errno. */
static long read_key(int fd, uint8_t *out, size_t cap)
{
    uint8_t extra[TRAILING_SLACK_BYTES + 1];
    size_t n = 0, n_extra = 0;
    long rc = 0;
    for (;;) {
        uint8_t *dst = n < cap ? out + n : extra + n_extra;
        size_t room = n < cap ? cap - n : sizeof extra - n_extra;
        if (room == 0) {
            rc = -EFBIG; /* more than TRAILING_SLACK_BYTES past cap */
            break;
        }
        ssize_t r = read(fd, dst, room);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            break;
        }
        if (r == 0)
            break;
        if (n < cap)
            n += (size_t)r;
        else
            n_extra += (size_t)r;
    }
    for (size_t i = 0; rc == 0 && i < n_extra; i++)
        if (!is_space(extra[i]))
            rc = -EFBIG;
    OPENSSL_cleanse(extra, sizeof extra);
    return rc < 0 ? rc : (long)n;
}

int tsn_secret_load(const char *path, uint8_t *out, size_t cap, size_t *len, char *why,
                    size_t why_len)
{
    int rc = 0;
    int fd = -1;
    *len = 0;
    tsn_why(why, why_len, 0, "ok");

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        rc = -errno;
        tsn_why(why, why_len, 0, "cannot open secret file %s: %s", path, strerror(errno));
        goto fail;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        tsn_why(why, why_len, 0, "cannot stat secret file %s: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = -EINVAL;
        tsn_why(why, why_len, 0, "secret file %s is not a regular file", path);
        goto fail;
    }
    if (st.st_size > (off_t)(cap + TRAILING_SLACK_BYTES)) {
        rc = -EFBIG;
        tsn_why(why, why_len, 0, "secret file %s is larger than %zu bytes", path, cap);
        goto fail;
    }
    long n = read_key(fd, out, cap);
    if (n < 0) {
        rc = (int)n;
        if (rc == -EFBIG)
            tsn_why(why, why_len, 0, "secret file %s is larger than %zu bytes", path, cap);
        else
            tsn_why(why, why_len, 0, "cannot read secret file %s: %s", path, strerror(-rc));
        goto fail;
    }
    while (n > 0 && is_space(out[n - 1]))
        n--;
    if (n == 0) {
        rc = -EINVAL;
        tsn_why(why, why_len, 0, "secret file %s is empty", path);
        goto fail;
    }
    if ((size_t)n < TSN_SECRET_MIN_BYTES) {
        rc = -EINVAL;
        tsn_why(why, why_len, 0, "secret in %s is too short: fewer than %d bytes", path,
                TSN_SECRET_MIN_BYTES);
        goto fail;
    }
    if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH))
        tsn_warn("[secret] %s is accessible by group or others (mode %03o): chmod 600 it", path,
                 (unsigned)(st.st_mode & 0777));
    /* Wipe the trimmed tail so no key-adjacent bytes linger in the buffer. */
    OPENSSL_cleanse(out + n, cap - (size_t)n);
    *len = (size_t)n;
    close(fd);
    return 0;

fail:
    if (fd >= 0)
        close(fd);
    if (cap)
        OPENSSL_cleanse(out, cap);
    return rc;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Creates `path` with a fresh random key. Returns 0, -EEXIST if the file is
 * already there (not an error for the caller), or -errno. A file that could
 * not be written completely is removed again. */
static int create_secret(const char *path, char *why, size_t why_len)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t raw[TSN_SECRET_NEW_BYTES];
    char text[2 * TSN_SECRET_NEW_BYTES + 1];
    int rc = 0;

    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = -errno;
        if (rc != -EEXIST)
            tsn_why(why, why_len, 0, "cannot create secret file %s: %s", path, strerror(errno));
        return rc;
    }
    if (RAND_bytes(raw, sizeof raw) != 1) {
        rc = -EIO;
        tsn_why(why, why_len, 0, "cannot create secret file %s: no random bytes", path);
        goto out;
    }
    for (size_t i = 0; i < sizeof raw; i++) {
        text[2 * i] = hex[raw[i] >> 4];
        text[2 * i + 1] = hex[raw[i] & 15];
    }
    text[sizeof text - 1] = '\n';
    rc = write_all(fd, text, sizeof text);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (rc != 0)
        tsn_why(why, why_len, 0, "cannot write secret file %s: %s", path, strerror(-rc));
    else
        tsn_info("[secret] created a new token secret in %s", path);

out:
    OPENSSL_cleanse(raw, sizeof raw);
    OPENSSL_cleanse(text, sizeof text);
    if (close(fd) != 0 && rc == 0) {
        rc = -errno;
        tsn_why(why, why_len, 0, "cannot write secret file %s: %s", path, strerror(-rc));
    }
    if (rc != 0)
        unlink(path);
    return rc;
}

int tsn_secret_load_or_create(const char *path, uint8_t *out, size_t cap, size_t *len, char *why,
                              size_t why_len)
{
    *len = 0;
    if (cap < 2 * TSN_SECRET_NEW_BYTES) {
        tsn_why(why, why_len, 0, "secret buffer too small (%zu bytes)", cap);
        return -EINVAL;
    }
    int rc = create_secret(path, why, why_len);
    if (rc != 0 && rc != -EEXIST)
        return rc;
    return tsn_secret_load(path, out, cap, len, why, why_len);
}
