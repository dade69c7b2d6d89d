/* Unit tests for common/reclog.c (the recording's packet log): records
 * encode and decode back exactly; a flipped bit, a bad magic or an
 * impossible length is refused; the file reader returns every record of a
 * file across its read window, skips a damaged stretch (and says where it
 * began and how long it was) to find the records after it, reports a record
 * cut short at the end as a torn tail, and refuses a file that is not a
 * recording. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "reclog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct file_rec {
    uint64_t offset;
    size_t len;
};

/* Writes a log of `n` records whose payload i is `sizes[i]` bytes of
 * (i * 7 + j) & 0xff into a temp file; fills offsets. Returns the path. */
static char *write_log(const size_t *sizes, size_t n, struct file_rec *recs)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/tsn-reclog-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    uint8_t hdr[TSN_REC_FILE_HEADER];
    tsn_rec_file_header(hdr);
    assert_int_equal(write(fd, hdr, sizeof hdr), (ssize_t)sizeof hdr);
    uint64_t off = sizeof hdr;
    for (size_t i = 0; i < n; i++) {
        uint8_t *payload = malloc(sizes[i] + 1);
        for (size_t j = 0; j < sizes[i]; j++)
            payload[j] = (uint8_t)(i * 7 + j);
        uint8_t *out = malloc(sizes[i] + TSN_REC_OVERHEAD);
        long len = tsn_rec_encode(out, sizes[i] + TSN_REC_OVERHEAD, TSN_REC_RTP, 0, 1000000u * i,
                                  payload, sizes[i]);
        assert_int_equal(len, (long)(sizes[i] + TSN_REC_OVERHEAD));
        assert_int_equal(write(fd, out, (size_t)len), len);
        recs[i].offset = off;
        recs[i].len = (size_t)len;
        off += (uint64_t)len;
        free(out);
        free(payload);
    }
    close(fd);
    return path;
}

static void check_payload(const struct tsn_rec *r, size_t i, size_t size)
{
    assert_int_equal(r->type, TSN_REC_RTP);
    assert_int_equal(r->len, size);
    assert_int_equal(r->time_us, 1000000u * i);
    for (size_t j = 0; j < size; j++)
        if (r->payload[j] != (uint8_t)(i * 7 + j))
            fail_msg("record %zu byte %zu differs", i, j);
}

static void patch(const char *path, uint64_t off, const void *bytes, size_t n)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, bytes, n, (off_t)off), (ssize_t)n);
    close(fd);
}

static void test_encode_decode(void **state)
{
    (void)state;
    uint8_t buf[256];
    const char payload[] = "{\"type\":\"event\",\"seq\":1}";
    long n = tsn_rec_encode(buf, sizeof buf, TSN_REC_EVENT, 3, 0x0102030405060708ull, payload,
                            strlen(payload));
    assert_int_equal(n, (long)(strlen(payload) + TSN_REC_OVERHEAD));
    struct tsn_rec r;
    assert_int_equal(tsn_rec_decode(buf, (size_t)n, &r), n);
    assert_int_equal(r.type, TSN_REC_EVENT);
    assert_int_equal(r.track, 3);
    assert_int_equal(r.time_us, 0x0102030405060708ull);
    assert_int_equal(r.len, strlen(payload));
    assert_memory_equal(r.payload, payload, strlen(payload));
    /* Every prefix is "need more", never a record or an error. */
    for (long k = 0; k < n; k++)
        assert_int_equal(tsn_rec_decode(buf, (size_t)k, &r), 0);
    /* Any single flipped bit after the magic is caught by the CRC (or the
     * length bound). */
    for (long k = 4; k < n; k++)
        for (int bit = 0; bit < 8; bit++) {
            buf[k] ^= (uint8_t)(1 << bit);
            long d = tsn_rec_decode(buf, (size_t)n, &r);
            assert_true(d < 0 || (d == 0 && k >= 8 && k < 12));
            buf[k] ^= (uint8_t)(1 << bit);
        }
    buf[0] ^= 1;
    assert_int_equal(tsn_rec_decode(buf, (size_t)n, &r), -EBADMSG);
    /* Bounds. */
    assert_int_equal(tsn_rec_encode(buf, 10, TSN_REC_RTP, 0, 0, payload, 5), -ENOSPC);
    assert_int_equal(tsn_rec_encode(buf, sizeof buf, TSN_REC_RTP, 0, 0, payload,
                                    (size_t)TSN_REC_MAX_PAYLOAD + 1),
                     -EINVAL);
    uint8_t big[TSN_REC_HEADER] = {0x54, 0x53, 0x52, 0x31, 3, 0, 0, 0, 0x00, 0x10, 0x00, 0x01};
    assert_int_equal(tsn_rec_decode(big, sizeof big, &r), -EBADMSG);
}

static void test_file_header(void **state)
{
    (void)state;
    uint8_t h[TSN_REC_FILE_HEADER];
    tsn_rec_file_header(h);
    assert_int_equal(tsn_rec_check_file_header(h, sizeof h), 0);
    assert_int_equal(tsn_rec_check_file_header(h, sizeof h - 1), -EBADMSG);
    h[9] ^= 1;
    assert_int_equal(tsn_rec_check_file_header(h, sizeof h), -EBADMSG);
    const char junk[] = "ftypisom0000000000000000";
    errno = 0;
    assert_null(tsn_rec_reader_mem((const uint8_t *)junk, sizeof junk));
    assert_int_equal(errno, EBADMSG);
    char path[] = "/tmp/tsn-reclog-junk-XXXXXX";
    int fd = mkstemp(path);
    assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    close(fd);
    errno = 0;
    assert_null(tsn_rec_reader_open(path));
    assert_int_equal(errno, EBADMSG);
    unlink(path);
    errno = 0;
    assert_null(tsn_rec_reader_open("/nonexistent/media.tsr"));
    assert_int_equal(errno, ENOENT);
}

/* Sizes that make records straddle the reader's 256 KiB reads and include a
 * maximal one. */
static const size_t SIZES[] = {0,     1,    1200,   300000, 77,  TSN_REC_MAX_PAYLOAD,
                               65536, 1200, 262144, 5,      900, 1200};
#define N_SIZES (sizeof SIZES / sizeof SIZES[0])

static void read_all(const char *path, int *seen, uint64_t *skipped_total, uint64_t *first_damage)
{
    struct tsn_rec_reader *rd = tsn_rec_reader_open(path);
    assert_non_null(rd);
    struct tsn_rec r;
    uint64_t skipped, at;
    int rc;
    *skipped_total = 0;
    *first_damage = 0;
    while ((rc = tsn_rec_reader_next(rd, &r, &skipped, &at)) == 1) {
        size_t i = r.time_us / 1000000u;
        assert_true(i < N_SIZES);
        check_payload(&r, i, SIZES[i]);
        seen[i]++;
        if (skipped && !*first_damage)
            *first_damage = at;
        *skipped_total += skipped;
    }
    assert_int_equal(rc, 0);
    if (skipped && !*first_damage)
        *first_damage = at;
    *skipped_total += skipped;
    assert_int_equal(tsn_rec_reader_stats(rd)->bytes_skipped, *skipped_total);
    tsn_rec_reader_free(rd);
}

static void test_reader_whole_file(void **state)
{
    (void)state;
    struct file_rec recs[N_SIZES];
    char *path = write_log(SIZES, N_SIZES, recs);
    int seen[N_SIZES] = {0};
    uint64_t skipped, at;
    read_all(path, seen, &skipped, &at);
    for (size_t i = 0; i < N_SIZES; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(skipped, 0);
    struct tsn_rec_reader *rd = tsn_rec_reader_open(path);
    struct tsn_rec r;
    size_t i = 0;
    while (tsn_rec_reader_next(rd, &r, NULL, NULL) == 1)
        assert_int_equal(r.offset, recs[i++].offset);
    const struct tsn_rec_reader_stats *st = tsn_rec_reader_stats(rd);
    assert_int_equal(st->records, N_SIZES);
    assert_int_equal(st->torn_tail, 0);
    assert_int_equal(st->damaged, 0);
    assert_int_equal(st->file_bytes, recs[N_SIZES - 1].offset + recs[N_SIZES - 1].len);
    tsn_rec_reader_free(rd);
    unlink(path);
}

static void test_reader_skips_damage(void **state)
{
    (void)state;
    struct file_rec recs[N_SIZES];
    char *path = write_log(SIZES, N_SIZES, recs);
    /* 37 garbage bytes inside record 2's payload, and a length field of
     * record 8 raised (still under the bound) so its "end" is far away. */
    uint8_t junk[37];
    memset(junk, 0xA5, sizeof junk);
    patch(path, recs[2].offset + 100, junk, sizeof junk);
    uint8_t len[4] = {0x00, 0x0f, 0x00, 0x00};
    patch(path, recs[8].offset + 8, len, sizeof len);
    int seen[N_SIZES] = {0};
    uint64_t skipped, at;
    read_all(path, seen, &skipped, &at);
    for (size_t i = 0; i < N_SIZES; i++)
        assert_int_equal(seen[i], (i == 2 || i == 8) ? 0 : 1);
    assert_int_equal(at, recs[2].offset);
    assert_int_equal(skipped, recs[2].len + recs[8].len);
    unlink(path);
}

static void test_reader_fake_magic_in_damage(void **state)
{
    (void)state;
    /* Record 3's payload starts with a magic and a plausible header: after
     * damage to record 2 the reader must not take it for a record. */
    size_t sizes[] = {10, 10, 10, 64, 10};
    struct file_rec recs[5];
    char *path = write_log(sizes, 5, recs);
    uint8_t fake[12] = {0x54, 0x53, 0x52, 0x31, 3, 0, 0, 0, 0, 0, 0, 8};
    patch(path, recs[3].offset + TSN_REC_HEADER, fake, sizeof fake);
    uint8_t bad = 0xFF;
    patch(path, recs[2].offset + 5, &bad, 1);
    struct tsn_rec_reader *rd = tsn_rec_reader_open(path);
    struct tsn_rec r;
    uint64_t got[5] = {0};
    int n = 0;
    while (tsn_rec_reader_next(rd, &r, NULL, NULL) == 1)
        got[n++] = r.offset;
    /* Record 3 was patched after encoding, so its CRC fails too: 0, 1, 4. */
    assert_int_equal(n, 3);
    assert_int_equal(got[0], recs[0].offset);
    assert_int_equal(got[1], recs[1].offset);
    assert_int_equal(got[2], recs[4].offset);
    assert_int_equal(tsn_rec_reader_stats(rd)->damaged, 1);
    tsn_rec_reader_free(rd);
    unlink(path);
}

static void test_reader_torn_tail(void **state)
{
    (void)state;
    size_t sizes[] = {1200, 1200, 1200, 1200};
    struct file_rec recs[4];
    char *path = write_log(sizes, 4, recs);
    assert_int_equal(truncate(path, (off_t)(recs[3].offset + 500)), 0);
    struct tsn_rec_reader *rd = tsn_rec_reader_open(path);
    struct tsn_rec r;
    int n = 0;
    uint64_t skipped = 99;
    while (tsn_rec_reader_next(rd, &r, &skipped, NULL) == 1)
        n++;
    assert_int_equal(n, 3);
    assert_int_equal(skipped, 0);
    const struct tsn_rec_reader_stats *st = tsn_rec_reader_stats(rd);
    assert_int_equal(st->torn_tail, 500);
    assert_int_equal(st->damaged, 0);
    tsn_rec_reader_free(rd);
    /* A tail of fewer than 4 bytes is torn too. */
    assert_int_equal(truncate(path, (off_t)(recs[3].offset + 3)), 0);
    rd = tsn_rec_reader_open(path);
    n = 0;
    while (tsn_rec_reader_next(rd, &r, NULL, NULL) == 1)
        n++;
    assert_int_equal(n, 3);
    assert_int_equal(tsn_rec_reader_stats(rd)->torn_tail, 3);
    tsn_rec_reader_free(rd);
    unlink(path);
}

static void test_reader_mem_matches_file(void **state)
{
    (void)state;
    size_t sizes[] = {3, 1500, 0, 20};
    struct file_rec recs[4];
    char *path = write_log(sizes, 4, recs);
    FILE *f = fopen(path, "rb");
    uint8_t buf[4096];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    buf[recs[1].offset + 30] ^= 0x40;
    struct tsn_rec_reader *rd = tsn_rec_reader_mem(buf, len);
    assert_non_null(rd);
    struct tsn_rec r;
    uint64_t skipped, at;
    int n = 0;
    while (tsn_rec_reader_next(rd, &r, &skipped, &at) == 1) {
        n++;
        if (r.offset == recs[2].offset) {
            assert_int_equal(skipped, recs[1].len);
            assert_int_equal(at, recs[1].offset);
        }
    }
    assert_int_equal(n, 3);
    tsn_rec_reader_free(rd);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_decode),
        cmocka_unit_test(test_file_header),
        cmocka_unit_test(test_reader_whole_file),
        cmocka_unit_test(test_reader_skips_damage),
        cmocka_unit_test(test_reader_fake_magic_in_damage),
        cmocka_unit_test(test_reader_torn_tail),
        cmocka_unit_test(test_reader_mem_matches_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
