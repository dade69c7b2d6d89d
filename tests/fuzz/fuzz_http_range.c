/* Fuzz target for tsn_http_range_parse and tsn_http_range_content_range.
 * The first input byte picks the file size (a table of edge sizes: 0, 1,
 * 1000, 2^32, 2^64-1, or the next 2 bytes as a small size); the rest is the
 * Range header value.
 *
 * Invariants (abort on violation):
 *  - the status is 200, 206 or 416;
 *  - 200: the whole file (0..size-1; first 1 > last 0 for an empty file);
 *  - 206: first <= last < size, and the same answer for the canonical
 *    "bytes=first-last" (re-parsing the result is the identity);
 *  - 416: zeroed span; with an empty file nothing but 200 or 416 comes out;
 *  - the Content-Range value fits TSN_HTTP_RANGE_CONTENT_RANGE_MAX;
 *  - the answer depends only on the given length: the same bytes copied
 *    into an exact-size heap buffer give the same result (ASan catches any
 *    read past the end). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t pick_size(const uint8_t **data, size_t *size)
{
    static const uint64_t sizes[] = {0, 1, 2, 1000, UINT64_C(1) << 32, UINT64_MAX};
    uint8_t sel = (*data)[0];
    (*data)++;
    (*size)--;
    if (sel < 6 * 32)
        return sizes[sel % 6];
    if (*size < 2)
        return 100;
    uint64_t v = (uint64_t)(*data)[0] | (uint64_t)(*data)[1] << 8;
    *data += 2;
    *size -= 2;
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint64_t file = pick_size(&data, &size);
    char *hdr = malloc(size ? size : 1);
    if (!hdr)
        return 0;
    memcpy(hdr, data, size);
    struct tsn_http_range r;
    int st = tsn_http_range_parse(hdr, size, file, &r);
    char cr[TSN_HTTP_RANGE_CONTENT_RANGE_MAX];
    switch (st) {
    case 200:
        if (file ? (r.first != 0 || r.last != file - 1) : (r.first != 1 || r.last != 0))
            abort();
        break;
    case 206: {
        if (file == 0 || r.first > r.last || r.last >= file)
            abort();
        char again[64];
        int n = snprintf(again, sizeof again, "bytes=%" PRIu64 "-%" PRIu64, r.first, r.last);
        struct tsn_http_range r2;
        if (tsn_http_range_parse(again, (size_t)n, file, &r2) != 206 || r2.first != r.first ||
            r2.last != r.last)
            abort();
        break;
    }
    case 416:
        if (r.first != 0 || r.last != 0)
            abort();
        break;
    default:
        abort();
    }
    if (tsn_http_range_content_range(st, &r, file, cr, sizeof cr) < 0)
        abort();
    struct tsn_http_range r3;
    if (tsn_http_range_parse(hdr, size, file, &r3) != st || r3.first != r.first ||
        r3.last != r.last)
        abort();
    free(hdr);
    return 0;
}
