/* Fuzz target for common/reclog.c: the input is a packet log body after a
 * valid file header (and, when it starts with one, taken as a whole file).
 * Every record the reader returns must decode again to itself, lie inside
 * the input, and the reader's accounting must add up: records' bytes +
 * skipped bytes + torn tail = the body's length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reclog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_through(const uint8_t *buf, size_t len)
{
    struct tsn_rec_reader *rd = tsn_rec_reader_mem(buf, len);
    if (!rd)
        return;
    struct tsn_rec r;
    uint64_t skipped, at, total_skipped = 0, record_bytes = 0;
    int rc;
    while ((rc = tsn_rec_reader_next(rd, &r, &skipped, &at)) == 1) {
        if (r.offset < TSN_REC_FILE_HEADER || r.offset + r.len + TSN_REC_OVERHEAD > len)
            abort();
        struct tsn_rec again;
        long n = tsn_rec_decode(buf + r.offset, len - r.offset, &again);
        if (n != (long)(r.len + TSN_REC_OVERHEAD) || again.len != r.len ||
            again.time_us != r.time_us || again.payload != r.payload)
            abort();
        if (skipped && (at < TSN_REC_FILE_HEADER || at >= r.offset))
            abort();
        total_skipped += skipped;
        record_bytes += r.len + TSN_REC_OVERHEAD;
    }
    if (rc != 0)
        abort();
    total_skipped += skipped;
    const struct tsn_rec_reader_stats *st = tsn_rec_reader_stats(rd);
    if (st->bytes_skipped != total_skipped ||
        record_bytes + st->bytes_skipped + st->torn_tail != len - TSN_REC_FILE_HEADER)
        abort();
    tsn_rec_reader_free(rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (4u << 20))
        return 0;
    uint8_t *buf = malloc(size + TSN_REC_FILE_HEADER);
    if (!buf)
        return 0;
    tsn_rec_file_header(buf);
    if (size)
        memcpy(buf + TSN_REC_FILE_HEADER, data, size);
    read_through(buf, size + TSN_REC_FILE_HEADER);
    read_through(data, size);
    free(buf);
    return 0;
}
