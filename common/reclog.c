/* The recording's packet log: record encoding, decoding and a resynchronising
 * reader (format in reclog.h). The reader works on a window of the file: it
 * keeps at least one maximal record in memory, so a record is always decoded
 * from one contiguous buffer. */
#include "reclog.h"

#include "bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define READ_CHUNK  (256u * 1024u)
#define WINDOW_SIZE (TSN_REC_MAX_PAYLOAD + TSN_REC_OVERHEAD + READ_CHUNK)

static uint32_t crc_of(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    uLong c = crc32(0L, Z_NULL, 0);
    c = crc32(c, a, (uInt)alen);
    if (blen)
        c = crc32(c, b, (uInt)blen);
    return (uint32_t)c;
}

void tsn_rec_file_header(uint8_t out[TSN_REC_FILE_HEADER])
{
    memcpy(out, TSN_REC_FILE_MAGIC, 8);
    tsn_wr32(out + 8, TSN_REC_VERSION);
    tsn_wr32(out + 12, crc_of(out, 12, NULL, 0));
}

int tsn_rec_check_file_header(const uint8_t *buf, size_t len)
{
    if (len < TSN_REC_FILE_HEADER || memcmp(buf, TSN_REC_FILE_MAGIC, 8) != 0 ||
        tsn_rd32(buf + 12) != crc_of(buf, 12, NULL, 0) || tsn_rd32(buf + 8) != TSN_REC_VERSION)
        return -EBADMSG;
    return 0;
}

long tsn_rec_encode(uint8_t *out, size_t cap, enum tsn_rec_type type, uint8_t track,
                    uint64_t time_us, const void *payload, size_t len)
{
    if (len > TSN_REC_MAX_PAYLOAD)
        return -EINVAL;
    if (cap < len + TSN_REC_OVERHEAD)
        return -ENOSPC;
    tsn_wr32(out, TSN_REC_MAGIC);
    out[4] = (uint8_t)type;
    out[5] = track;
    tsn_wr16(out + 6, 0);
    tsn_wr32(out + 8, (uint32_t)len);
    tsn_wr32(out + 12, (uint32_t)(time_us >> 32));
    tsn_wr32(out + 16, (uint32_t)time_us);
    if (len)
        memcpy(out + TSN_REC_HEADER, payload, len);
    tsn_wr32(out + TSN_REC_HEADER + len,
             crc_of(out + 4, TSN_REC_HEADER - 4, out + TSN_REC_HEADER, len));
    return (long)(len + TSN_REC_OVERHEAD);
}

long tsn_rec_decode(const uint8_t *buf, size_t len, struct tsn_rec *r)
{
    if (len < 4)
        return 0;
    if (tsn_rd32(buf) != TSN_REC_MAGIC)
        return -EBADMSG;
    if (len < TSN_REC_HEADER)
        return 0;
    uint32_t plen = tsn_rd32(buf + 8);
    if (plen > TSN_REC_MAX_PAYLOAD)
        return -EBADMSG;
    size_t total = (size_t)plen + TSN_REC_OVERHEAD;
    if (len < total)
        return 0;
    uint32_t crc = tsn_rd32(buf + TSN_REC_HEADER + plen);
    if (crc != crc_of(buf + 4, TSN_REC_HEADER - 4, buf + TSN_REC_HEADER, plen))
        return -EBADMSG;
    r->type = (enum tsn_rec_type)buf[4];
    r->track = buf[5];
    r->flags = tsn_rd16(buf + 6);
    r->time_us = (uint64_t)tsn_rd32(buf + 12) << 32 | tsn_rd32(buf + 16);
    r->payload = buf + TSN_REC_HEADER;
    r->len = plen;
    r->offset = 0;
    return (long)total;
}

/* --- reader ------------------------------------------------------------ */

struct tsn_rec_reader {
    int fd;                 /* -1 for a memory reader */
    uint8_t *buf;           /* window (owned for files) */
    const uint8_t *mem;     /* memory reader's data */
    size_t cap, start, end; /* valid bytes are buf[start..end) */
    uint64_t base;          /* file offset of buf[0] */
    int eof;
    struct tsn_rec_reader_stats st;
};

static struct tsn_rec_reader *reader_new(void)
{
    struct tsn_rec_reader *rd = calloc(1, sizeof *rd);
    if (rd)
        rd->fd = -1;
    return rd;
}

struct tsn_rec_reader *tsn_rec_reader_mem(const uint8_t *buf, size_t len)
{
    if (tsn_rec_check_file_header(buf, len) != 0) {
        errno = EBADMSG;
        return NULL;
    }
    struct tsn_rec_reader *rd = reader_new();
    if (!rd)
        return NULL;
    rd->mem = buf;
    rd->cap = rd->end = len;
    rd->start = TSN_REC_FILE_HEADER;
    rd->eof = 1;
    rd->st.file_bytes = len;
    return rd;
}

struct tsn_rec_reader *tsn_rec_reader_open(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    uint8_t hdr[TSN_REC_FILE_HEADER];
    ssize_t n = pread(fd, hdr, sizeof hdr, 0);
    if (n != (ssize_t)sizeof hdr || tsn_rec_check_file_header(hdr, sizeof hdr) != 0) {
        close(fd);
        errno = n < 0 ? errno : EBADMSG;
        return NULL;
    }
    struct tsn_rec_reader *rd = reader_new();
    uint8_t *buf = malloc(WINDOW_SIZE);
    if (!rd || !buf) {
        free(rd);
        free(buf);
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    rd->fd = fd;
    rd->buf = buf;
    rd->cap = WINDOW_SIZE;
    rd->base = TSN_REC_FILE_HEADER;
    rd->st.file_bytes = TSN_REC_FILE_HEADER;
    if (lseek(fd, TSN_REC_FILE_HEADER, SEEK_SET) < 0) {
        tsn_rec_reader_free(rd);
        return NULL;
    }
    return rd;
}

void tsn_rec_reader_free(struct tsn_rec_reader *rd)
{
    if (!rd)
        return;
    if (rd->fd >= 0)
        close(rd->fd);
    free(rd->buf);
    free(rd);
}

static const uint8_t *data_of(const struct tsn_rec_reader *rd)
{
    return rd->mem ? rd->mem : rd->buf;
}

/* Reads more of the file into the window, first moving the unread bytes to
 * its front. Returns bytes added (0 at the end of the file) or -errno. */
static long fill(struct tsn_rec_reader *rd)
{
    if (rd->eof)
        return 0;
    if (rd->start > 0) {
        memmove(rd->buf, rd->buf + rd->start, rd->end - rd->start);
        rd->base += rd->start;
        rd->end -= rd->start;
        rd->start = 0;
    }
    size_t room = rd->cap - rd->end;
    if (room > READ_CHUNK)
        room = READ_CHUNK;
    ssize_t n;
    do
        n = read(rd->fd, rd->buf + rd->end, room);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (n == 0)
        rd->eof = 1;
    rd->end += (size_t)n;
    rd->st.file_bytes += (uint64_t)n;
    return n;
}

/* At the end of the file: 1 when a valid record starts somewhere after
 * `from` in the window, i.e. the bytes at `from` are damage, not a torn tail. */
static int valid_record_after(const struct tsn_rec_reader *rd, size_t from)
{
    struct tsn_rec probe;
    for (size_t i = from + 1; i + TSN_REC_OVERHEAD <= rd->end; i++)
        if (tsn_rd32(data_of(rd) + i) == TSN_REC_MAGIC &&
            tsn_rec_decode(data_of(rd) + i, rd->end - i, &probe) > 0)
            return 1;
    return 0;
}

static void close_stretch(struct tsn_rec_reader *rd, uint64_t skip, uint64_t damage_at,
                          uint64_t *skipped, uint64_t *damage_offset)
{
    if (skip) {
        rd->st.bytes_skipped += skip;
        rd->st.damaged++;
    }
    if (skipped)
        *skipped = skip;
    if (damage_offset)
        *damage_offset = damage_at;
}

int tsn_rec_reader_next(struct tsn_rec_reader *rd, struct tsn_rec *r, uint64_t *skipped,
                        uint64_t *damage_offset)
{
    uint64_t skip = 0, damage_at = 0;
    for (;;) {
        size_t avail = rd->end - rd->start;
        long n = tsn_rec_decode(data_of(rd) + rd->start, avail, r);
        if (n > 0) {
            r->offset = rd->base + rd->start;
            rd->start += (size_t)n;
            rd->st.records++;
            close_stretch(rd, skip, damage_at, skipped, damage_offset);
            return 1;
        }
        if (n == 0 && !rd->eof) {
            long got = fill(rd); /* the window always has room for a whole record */
            if (got < 0)
                return (int)got;
            continue;
        }
        if (n == 0 && (avail == 0 || skip > 0 || !valid_record_after(rd, rd->start))) {
            /* The end: a record cut short by a killed writer is a torn
             * tail; after damage, the rest belongs to the damaged stretch. */
            if (skip)
                skip += avail;
            else
                rd->st.torn_tail += avail;
            rd->start = rd->end;
            close_stretch(rd, skip, damage_at, skipped, damage_offset);
            return 0;
        }
        /* Damaged (or an impossible length before more valid records): step
         * past this byte to the next candidate magic. */
        if (skip == 0)
            damage_at = rd->base + rd->start;
        do {
            rd->start++;
            skip++;
        } while (rd->start + 4 <= rd->end && tsn_rd32(data_of(rd) + rd->start) != TSN_REC_MAGIC);
        if (rd->start + 4 > rd->end && rd->eof) {
            skip += rd->end - rd->start;
            rd->start = rd->end;
            close_stretch(rd, skip, damage_at, skipped, damage_offset);
            return 0;
        }
    }
}

const struct tsn_rec_reader_stats *tsn_rec_reader_stats(const struct tsn_rec_reader *rd)
{
    return &rd->st;
}

const char *tsn_rec_type_name(enum tsn_rec_type t)
{
    switch (t) {
    case TSN_REC_SESSION:
        return "session";
    case TSN_REC_STREAM:
        return "stream";
    case TSN_REC_RTP:
        return "rtp";
    case TSN_REC_EVENT:
        return "event";
    case TSN_REC_CONTROL:
        return "control";
    }
    return "unknown";
}
