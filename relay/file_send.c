/* Streaming a file as an HTTP reply; see file_send.h. The chunk buffer
 * keeps LWS_PRE bytes of headroom in front, as lws_write requires. */
#include "file_send.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STALL_S 30 /* a client that takes no byte for this long is dropped */

struct tsn_file_send {
    int fd;
    int status;
    uint64_t size;
    uint64_t next; /* file offset of the next byte to send */
    uint64_t end;  /* one past the last byte to send */
    uint64_t sent;
    char content_type[96];
    char filename[64];
    unsigned char *buf; /* LWS_PRE + TSN_FILE_SEND_CHUNK_BYTES */
};

int tsn_file_send_open(int dirfd, const char *name, int *fd, uint64_t *size)
{
    struct stat st;
    *fd = -1;
    *size = 0;
    int f = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (f < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return -ENOENT;
        return errno == ELOOP ? -ELOOP : errno == EACCES || errno == EPERM ? -EACCES : -EIO;
    }
    if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(f);
        return -EACCES;
    }
    *fd = f;
    *size = (uint64_t)st.st_size;
    return 0;
}

static int info_valid(const struct tsn_file_send_info *in)
{
    if (!in->content_type || strlen(in->content_type) >= 96 ||
        (in->filename && (strlen(in->filename) >= 64 || strpbrk(in->filename, "\"\\\r\n;"))))
        return 0;
    if (in->status == 206)
        return in->range.first <= in->range.last && in->range.last < in->size;
    return in->status == 200 || in->status == 416;
}

struct tsn_file_send *tsn_file_send_new(int fd, const struct tsn_file_send_info *info)
{
    struct tsn_file_send *fs = NULL;
    if (!info_valid(info) || !(fs = calloc(1, sizeof *fs)) ||
        !(fs->buf = malloc(LWS_PRE + TSN_FILE_SEND_CHUNK_BYTES))) {
        free(fs);
        close(fd);
        return NULL;
    }
    fs->fd = fd;
    fs->status = info->status;
    fs->size = info->size;
    if (info->status == 206) {
        fs->next = info->range.first;
        fs->end = info->range.last + 1;
    } else if (info->status == 200) {
        fs->next = 0;
        fs->end = info->size;
    }
    snprintf(fs->content_type, sizeof fs->content_type, "%s", info->content_type);
    if (info->filename)
        snprintf(fs->filename, sizeof fs->filename, "%s", info->filename);
    return fs;
}

void tsn_file_send_free(struct tsn_file_send *fs)
{
    if (!fs)
        return;
    if (fs->fd >= 0)
        close(fs->fd);
    free(fs->buf);
    free(fs);
}

uint64_t tsn_file_send_sent(const struct tsn_file_send *fs)
{
    return fs->sent;
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                      unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

int tsn_file_send_headers(struct tsn_file_send *fs, struct lws *wsi, int head_only)
{
    unsigned char hdr[LWS_PRE + 1024];
    unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
    char range[TSN_HTTP_RANGE_CONTENT_RANGE_MAX] = "", disp[96];
    struct tsn_http_range r = {fs->next, fs->end ? fs->end - 1 : 0};
    uint64_t body = fs->end - fs->next;
    if (tsn_http_range_content_range(fs->status, &r, fs->size, range, sizeof range) < 0 ||
        lws_add_http_common_headers(wsi, (unsigned)fs->status, fs->content_type,
                                    (lws_filepos_t)body, &p, end) ||
        add_header(wsi, "accept-ranges:", "bytes", &p, end) ||
        (range[0] && add_header(wsi, "content-range:", range, &p, end)) ||
        add_header(wsi, "x-content-type-options:", "nosniff", &p, end) ||
        add_header(wsi, "cache-control:", "no-store", &p, end))
        return -1;
    if (fs->filename[0]) {
        snprintf(disp, sizeof disp, "inline; filename=\"%s\"", fs->filename);
        if (add_header(wsi, "content-disposition:", disp, &p, end))
            return -1;
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    if (head_only || body == 0)
        return 0;
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, STALL_S);
    lws_callback_on_writable(wsi);
    return 1;
}

int tsn_file_send_writeable(struct tsn_file_send *fs, struct lws *wsi)
{
    uint64_t left = fs->end - fs->next;
    size_t n = left > TSN_FILE_SEND_CHUNK_BYTES ? TSN_FILE_SEND_CHUNK_BYTES : (size_t)left;
    if (n == 0)
        return 0;
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fs->fd, fs->buf + LWS_PRE + got, n - got, (off_t)(fs->next + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1; /* an I/O error, or the file shrank under us */
        got += (size_t)k;
    }
    int final = n == left;
    if (lws_write(wsi, fs->buf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < 0)
        return -1;
    fs->next += n;
    fs->sent += n;
    /* Progress renews the deadline: a slow reader of a long file is served
     * to the end, one that stops reading is dropped after STALL_S. */
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, STALL_S);
    if (final)
        return 0;
    lws_callback_on_writable(wsi);
    return 1;
}
