/* Frame dump: writes decoded frames as PNG files for the end-to-end tests
 * (telesono-view --dump-frames DIR), from a worker thread so the streaming
 * thread only copies pixels into a bounded queue.
 *
 * Files: DIR/frame-<index, 6+ digits>-<capture time, Unix us, 0 if
 * unknown>.png, written as .tmp then renamed, so a reader never sees half a
 * file. Each PNG carries tEXt chunks "capture_us" (same number as the name)
 * and "index". Pixels are 8-bit GRAY (1 channel) or RGB (3 channels), zlib
 * level 1 with the SUB filter (fast; grey ultrasound compresses well anyway).
 *
 * When the queue is full, push waits: by default for ever, because a test
 * dump must hold every frame (the writer keeps up at test sizes and rates).
 * tsn_frame_dump_set_max_wait_ms() bounds the wait; a frame that still
 * finds no room is dropped and counted.
 *
 * Threads: one producer calls push (the streaming thread); any thread may
 * read the counts; new, set_max_wait_ms and free belong to the owner.
 * Not here: colour conversion (the caller hands RGB24 or GRAY8), reading
 * PNGs back (tests do that with libpng). */
#ifndef TSN_FRAME_DUMP_H
#define TSN_FRAME_DUMP_H

#include <stddef.h>
#include <stdint.h>

#define TSN_FRAME_DUMP_QUEUE_LEN 8 /* frames waiting to be written */

struct tsn_frame_dump;

struct tsn_frame_dump_counts {
    uint64_t written; /* files complete on disk */
    uint64_t dropped; /* frames the queue had no room for within the wait */
    uint64_t failed;  /* frames whose file could not be written */
};

/* Creates `dir` (and missing parents, mode 0755) and checks it is a writable
 * directory, then starts the writer thread. NULL with a reason in `why` when
 * it cannot (not a directory, permission, ...). */
struct tsn_frame_dump *tsn_frame_dump_new(const char *dir, char *why, size_t why_len);
/* Writes every queued frame, stops the thread, frees. NULL is a no-op. */
void tsn_frame_dump_free(struct tsn_frame_dump *fd);
/* -1 (the default): push waits for room for ever; 0: never waits; > 0: waits
 * up to that many milliseconds, then drops the frame. */
void tsn_frame_dump_set_max_wait_ms(struct tsn_frame_dump *fd, int max_wait_ms);
/* Copies a frame (`stride` bytes between rows, >= width * channels) and
 * queues it. capture_us < 0 means unknown (written as 0). Returns 0;
 * -EINVAL for bad geometry or channels not 1 or 3; -ENOBUFS when dropped
 * (counted); -ENOMEM when the copy cannot be allocated (counted as dropped);
 * -EIO once a file has failed to be written (later frames are refused so a
 * full disk is noticed, not filled). */
int tsn_frame_dump_push(struct tsn_frame_dump *fd, const uint8_t *pixels, int width, int height,
                        size_t stride, int channels, uint64_t index, int64_t capture_us);
/* Waits until every frame pushed so far is written (or failed). */
void tsn_frame_dump_flush(struct tsn_frame_dump *fd);
struct tsn_frame_dump_counts tsn_frame_dump_get_counts(struct tsn_frame_dump *fd);

#endif
