/* The recording's packet log (docs/architecture.md, "Recording"): an
 * append-only file of checksummed records, written by the relay's recorder
 * thread and read by telesono-export and the relay's crash recovery.
 *
 * File layout: a 16-byte file header, then records back to back.
 *
 *   file header:  "TSNREC\r\n" (8 bytes) | u32 version (1) | u32 CRC-32 of the first 12 bytes
 *   record:       u32 magic 0x54535231 ("TSR1")
 *                 u8  type (enum tsn_rec_type)
 *                 u8  track (0: the room's video)
 *                 u16 flags (0; readers ignore bits they do not know)
 *                 u32 payload length (<= TSN_REC_MAX_PAYLOAD)
 *                 u64 time_us: CLOCK_REALTIME microseconds when the relay got it
 *                 payload
 *                 u32 CRC-32 (zlib's) of type..time_us and the payload
 *
 * All integers big-endian. A record is valid only when its magic, length
 * bound and CRC all hold. The reader never trusts a length it has not
 * checked against the CRC: on a bad record it warns once per damaged
 * stretch, scans forward byte by byte for the next valid record and counts
 * the bytes it skipped; a record cut short at the end of the file (the
 * writer was killed mid-write) ends the log and is reported as a torn tail.
 *
 * Pure code on memory buffers and file descriptors; no threads, no logging
 * (the reader returns what it found and callers log it). */
#ifndef TSN_RECLOG_H
#define TSN_RECLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TSN_REC_FILE_MAGIC      "TSNREC\r\n"
#define TSN_REC_VERSION         1u
#define TSN_REC_FILE_HEADER     16
#define TSN_REC_MAGIC           0x54535231u
#define TSN_REC_HEADER          20 /* magic .. time_us */
#define TSN_REC_TRAILER         4  /* CRC */
#define TSN_REC_OVERHEAD        (TSN_REC_HEADER + TSN_REC_TRAILER)
#define TSN_REC_MAX_PAYLOAD     (1u << 20)

enum tsn_rec_type {
    /* JSON object: {"room","session","started_ms","by"} — first record of a file. */
    TSN_REC_SESSION = 1,
    /* JSON object: the track's RTP set-up {"codec":"H264"|"VP8","payload_type",
     * "clock_rate":90000,"abs_capture_time_id":0..14,"generation"} and, when known,
     * "stream": the capture's stream metadata. Written at the start and again
     * whenever the publisher or its SSRC changes (a new generation). */
    TSN_REC_STREAM = 2,
    /* One decrypted RTP packet exactly as the publisher sent it (header,
     * extensions, payload). */
    TSN_REC_RTP = 3,
    /* JSON object: one annotation or chat event exactly as the relay sent it
     * to the room ({"type":"event","seq",...,"media":{...}}). */
    TSN_REC_EVENT = 4,
    /* JSON object: {"on":bool,"by","reason"} — recording paused/resumed/stopped. */
    TSN_REC_CONTROL = 5,
};

struct tsn_rec {
    enum tsn_rec_type type;
    uint8_t track;
    uint16_t flags;
    uint64_t time_us;
    const uint8_t *payload; /* points into the reader's buffer: valid until the next call */
    uint32_t len;
    uint64_t offset; /* file offset of the record's first byte */
};

/* Writes the file header into out[TSN_REC_FILE_HEADER]. */
void tsn_rec_file_header(uint8_t out[TSN_REC_FILE_HEADER]);
/* 0 when buf holds a valid file header of a version this code reads;
 * -EBADMSG otherwise. */
int tsn_rec_check_file_header(const uint8_t *buf, size_t len);

/* Encodes one record into out (cap >= len + TSN_REC_OVERHEAD). Returns the
 * bytes written, or -EINVAL (payload too long) / -ENOSPC. */
long tsn_rec_encode(uint8_t *out, size_t cap, enum tsn_rec_type type, uint8_t track,
                    uint64_t time_us, const void *payload, size_t len);

/* Decodes the record at buf[0..len). Returns the record's total size (> 0)
 * and fills *r; 0 when buf is a valid prefix of a record that needs more
 * bytes (len too short to tell, or shorter than the length says);
 * -EBADMSG when it is not a valid record (bad magic, length over the bound,
 * CRC mismatch). */
long tsn_rec_decode(const uint8_t *buf, size_t len, struct tsn_rec *r);

/* Sequential reader over a file, with resynchronisation. */
struct tsn_rec_reader;

struct tsn_rec_reader_stats {
    uint64_t records;       /* valid records returned */
    uint64_t bytes_skipped; /* bytes in damaged stretches */
    uint64_t damaged;       /* damaged stretches (one warning each) */
    uint64_t torn_tail;     /* bytes of an incomplete record at the end */
    uint64_t file_bytes;
};

/* Opens `path` and checks the file header. NULL with errno set (EBADMSG for a
 * file that is not a recording). */
struct tsn_rec_reader *tsn_rec_reader_open(const char *path);
/* Same over a memory buffer (fuzzing, tests); the buffer must outlive it. */
struct tsn_rec_reader *tsn_rec_reader_mem(const uint8_t *buf, size_t len);
void tsn_rec_reader_free(struct tsn_rec_reader *rd);

/* The next valid record: 1 and *r filled; 0 at the end; -errno on a read
 * error. When it had to skip damaged bytes before this record, *skipped (if
 * not NULL) gets how many and the offset where the damage began, so the
 * caller can warn ("skipped 37 damaged bytes at offset 1234"). */
int tsn_rec_reader_next(struct tsn_rec_reader *rd, struct tsn_rec *r, uint64_t *skipped,
                        uint64_t *damage_offset);
const struct tsn_rec_reader_stats *tsn_rec_reader_stats(const struct tsn_rec_reader *rd);

const char *tsn_rec_type_name(enum tsn_rec_type t);

#endif
