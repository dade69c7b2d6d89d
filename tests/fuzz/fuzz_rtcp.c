/* Fuzz target for relay/rtcp.c: iterate a compound packet and, for every item
 * the iterator returns, call every accessor (SR sender info, all report
 * blocks the count names and one past, NACK expansion) whatever the item's
 * type, so the accessors' own bounds checks are exercised too. Also feeds the
 * input's bytes to the NACK builder and checks the round trip. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcp.h"

static void count_seq(void *user, uint16_t seq)
{
    (*(unsigned *)user)++;
    (void)seq;
}

static void visit(const struct tsn_rtcp_item *item, const uint8_t *buf, size_t len)
{
    if (item->data < buf || item->len > len || item->data + item->len > buf + len)
        abort();
    struct tsn_rtcp_sender_info si;
    (void)tsn_rtcp_sr_info(item, &si);
    struct tsn_rtcp_report_block rb;
    for (unsigned i = 0; i <= 32; i++)
        if (tsn_rtcp_report_block(item, i, &rb) == -ENOENT)
            break;
    unsigned calls = 0;
    int n = tsn_rtcp_nack_foreach(item, count_seq, &calls);
    if (n >= 0 && (unsigned)n != calls)
        abort();
}

/* Builds a NACK from the input read as 16-bit sequence numbers and checks
 * it parses back to the same number of distinct sequence numbers. */
static void nack_roundtrip(const uint8_t *data, size_t size)
{
    static uint8_t seen[65536 / 8];
    static uint8_t out[1 << 16];
    uint16_t seqs[256] = {0};
    size_t n = size / 2 > 256 ? 256 : size / 2;
    unsigned distinct = 0;
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < n; i++) {
        seqs[i] = (uint16_t)((data[2 * i] << 8) | data[2 * i + 1]);
        if (!(seen[seqs[i] >> 3] & (1u << (seqs[i] & 7))))
            distinct++;
        seen[seqs[i] >> 3] |= (uint8_t)(1u << (seqs[i] & 7));
    }
    size_t len = tsn_rtcp_build_nack(out, sizeof out, 1, 2, seqs, n);
    if (n == 0) {
        if (len != 0)
            abort();
        return;
    }
    struct tsn_rtcp_iter it;
    struct tsn_rtcp_item item;
    tsn_rtcp_iter_init(&it, out, len);
    if (tsn_rtcp_iter_next(&it, &item) != 1 ||
        tsn_rtcp_nack_foreach(&item, NULL, NULL) != (int)distinct)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tsn_rtcp_iter it;
    struct tsn_rtcp_item item;
    tsn_rtcp_iter_init(&it, data, size);
    int rc;
    unsigned items = 0;
    while ((rc = tsn_rtcp_iter_next(&it, &item)) == 1) {
        visit(&item, data, size);
        if (++items > size)
            abort(); /* every item is at least 4 bytes: no progress = a bug */
    }
    nack_roundtrip(data, size);
    return 0;
}
