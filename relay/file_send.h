/* Streaming one file from disk as an HTTP reply over libwebsockets: the
 * status line and headers (Content-Length, Content-Range, Accept-Ranges,
 * Content-Type, Content-Disposition, no-store), then the body in pieces of
 * TSN_FILE_SEND_CHUNK_BYTES, one per LWS_CALLBACK_HTTP_WRITEABLE, read with
 * pread at the moment they are sent: the file is never whole in memory and
 * a slow client holds one chunk. It owns the file descriptor from
 * tsn_file_send_new on and closes it in tsn_file_send_free, which the
 * caller runs when the body is done or the connection closes.
 *
 * It does not decide which file or which range (the caller parsed the
 * Range header with http_range.c), nor authorisation. lws service thread
 * only. */
#ifndef TSN_FILE_SEND_H
#define TSN_FILE_SEND_H

#include <stdint.h>

#include "http_range.h"

struct lws;

#define TSN_FILE_SEND_CHUNK_BYTES (64 * 1024)

struct tsn_file_send_info {
    int status;                  /* 200 (whole file), 206 (range) or 416 (no body) */
    struct tsn_http_range range; /* 206: the part to send */
    uint64_t size;               /* the file's size when it was opened */
    const char *content_type;    /* copied */
    const char *filename;        /* nullable; copied; "inline; filename=..." (no quotes in it) */
};

struct tsn_file_send;

/* Opens `name` in the directory `dirfd` for reading: not following a
 * symbolic link, not blocking on a FIFO, close-on-exec; it must be a
 * regular file. 0 with *fd and *size, or -ENOENT, -ELOOP (a link), -EACCES
 * (not a regular file, or permission), -EIO. */
int tsn_file_send_open(int dirfd, const char *name, int *fd, uint64_t *size);

/* Takes `fd` (closed here on failure too). NULL: out of memory or an
 * invalid info (a range beyond size, an unknown status). */
struct tsn_file_send *tsn_file_send_new(int fd, const struct tsn_file_send_info *info);
void tsn_file_send_free(struct tsn_file_send *fs);

/* Writes the status line and headers. Returns 1 when a body follows (the
 * caller keeps fs and calls tsn_file_send_writeable on each WRITEABLE; the
 * first is requested here), 0 when the reply is already complete (HEAD,
 * 416, an empty file: the caller frees fs and completes the transaction),
 * -1 on error (close the connection). */
int tsn_file_send_headers(struct tsn_file_send *fs, struct lws *wsi, int head_only);

/* Sends the next chunk. 1: more to send (the next WRITEABLE is requested
 * here); 0: the body is complete (free fs, complete the transaction); -1:
 * a write or read failed, or the file shrank (close the connection: the
 * promised Content-Length can no longer be kept). */
int tsn_file_send_writeable(struct tsn_file_send *fs, struct lws *wsi);

/* Bytes of body sent so far (for logs and tests). */
uint64_t tsn_file_send_sent(const struct tsn_file_send *fs);

#endif
