/* telesono-export's reorder window: puts one generation's RTP packets back in
 * sequence-number order. The recording holds packets in arrival order, which
 * may be slightly reordered or duplicated; the window holds up to `window`
 * packets keyed by extended (unwrapped) sequence number and hands them on in
 * order, telling the consumer how many numbers are missing before each one.
 * A packet older than the window's start (too late) or one already held or
 * emitted (a duplicate) is dropped and counted.
 *
 * Also the pure unwrapping helpers the exporter uses for sequence numbers
 * (16 bits) and RTP timestamps (32 bits). Not here: parsing packets beyond
 * their sequence number (export_rtp.h), frames (export_scan.h). */
#ifndef TSN_EXPORT_REORDER_H
#define TSN_EXPORT_REORDER_H

#include <stddef.h>
#include <stdint.h>

#define TSN_EXPORT_DEFAULT_WINDOW 512
#define TSN_EXPORT_MAX_WINDOW     32768

/* One packet handed on by the window; owned by whoever receives it
 * (tsn_export_pkt_free). */
struct tsn_export_pkt {
    uint64_t ext_seq;
    uint64_t time_us; /* the record's time (relay clock) */
    uint64_t offset;  /* the record's offset in the log */
    size_t len;
    uint8_t data[]; /* the RTP packet */
};

void tsn_export_pkt_free(struct tsn_export_pkt *p);

/* Called for every packet in order. `missing` = sequence numbers lost
 * between the previous packet handed on (since the last flush) and this one
 * (0 for the first). Takes ownership of p. */
typedef void (*tsn_export_pkt_fn)(void *ctx, struct tsn_export_pkt *p, uint64_t missing);

struct tsn_export_reorder_stats {
    uint64_t packets;    /* accepted into the window */
    uint64_t duplicates; /* dropped: the same number is held in the window */
    uint64_t late;       /* dropped: older than the window's start (late, or a duplicate of a
                            packet already handed on) */
    uint64_t missing;    /* numbers never seen between packets handed on */
};

struct tsn_export_reorder;

/* window: 1..TSN_EXPORT_MAX_WINDOW packets. NULL on OOM or a bad window. */
struct tsn_export_reorder *tsn_export_reorder_new(size_t window, tsn_export_pkt_fn fn, void *ctx);
void tsn_export_reorder_free(struct tsn_export_reorder *r);

/* Adds one packet (copied). Returns 0 when accepted, 1 when dropped as a
 * duplicate or late, -ENOMEM. */
int tsn_export_reorder_push(struct tsn_export_reorder *r, uint16_t seq, const uint8_t *data,
                            size_t len, uint64_t time_us, uint64_t offset);

/* Hands on everything held, in order, and forgets the sequence base (the
 * next packet starts a new numbering: a new generation). */
void tsn_export_reorder_flush(struct tsn_export_reorder *r);

const struct tsn_export_reorder_stats *tsn_export_reorder_stats(const struct tsn_export_reorder *r);

/* The extension of `seq` (16 bits) nearest to `ref` (an extended number). */
uint64_t tsn_export_seq_extend(uint64_t ref, uint16_t seq);
/* The extension of `ts` (32 bits) nearest to `ref` (an extended timestamp);
 * never below 0 (a timestamp before the first one in the first cycle maps to
 * the next cycle's, so callers start `ref` at 1 << 32 or more). */
uint64_t tsn_export_ts_extend(uint64_t ref, uint32_t ts);

#endif
