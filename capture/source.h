/* The capture source: produces raw frames, each stamped with its capture
 * time (CLOCK_REALTIME, microseconds) and its source frame index, from the
 * synthetic phantom, a looped clip or a V4L2 device. Phantom and file frames
 * are paced by a thread of this module at the configured rate (absolute
 * deadlines, so the rate does not drift); V4L2 frames come at the device's
 * pace from its own thread. The source runs for the whole life of the
 * program: connection losses downstream never restart it. */
#ifndef TSN_SOURCE_H
#define TSN_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include <gst/gst.h>

#include "capture_cli.h"

struct tsn_source;
struct tsn_v4l2_ops;

/* A frame: `buf` (transfer full) holds the pixels in `caps` (transfer none,
 * valid during the call); called on the source's thread. */
typedef void (*tsn_source_frame_cb)(GstBuffer *buf, GstCaps *caps, uint64_t index,
                                    int64_t capture_us, void *user);

/* The source gave up for good (V4L2: a device that stopped being usable in a
 * way retrying cannot fix, e.g. busy at start); called on the source's
 * thread with a sentence for a person. */
typedef void (*tsn_source_failed_cb)(const char *why, void *user);

struct tsn_source_info {
    int width, height;
    int fps_num, fps_den;
    int gray;          /* GRAY8 frames (grey-scale scanners) */
    double spacing_mm; /* phantom only: its pixel spacing; 0 otherwise */
    double depth_mm;   /* phantom only */
    const char *kind;  /* "phantom", "file" or "v4l2" */
};

/* Prepares the source (renders nothing yet): checks the device or loads
 * the clip. Returns NULL with a reason and sets *exit_code (TSN_EXIT_*). */
struct tsn_source *tsn_source_new(const struct tsn_capture_opts *o, tsn_source_frame_cb cb,
                                  tsn_source_failed_cb failed, void *user, int *exit_code,
                                  char *why, size_t why_len);
int tsn_source_start(struct tsn_source *s, char *why, size_t why_len);
/* What the source produces (for V4L2: what was asked until it streams). */
void tsn_source_info(const struct tsn_source *s, struct tsn_source_info *out);
uint64_t tsn_source_frames(const struct tsn_source *s);
/* Stops the thread; no callback runs after it returns. NULL is a no-op. */
void tsn_source_free(struct tsn_source *s);

/* For tests only (the program never calls it): the V4L2 device ops that
 * sources made from now on use, e.g. a fake device (tests/unit/mock_v4l2.h).
 * Process-wide; ops (transfer none) must outlive every source made while it
 * is set. NULL restores the system ops. Call it between sources, not while
 * another thread runs tsn_source_new. */
void tsn_source_set_v4l2_ops(const struct tsn_v4l2_ops *ops);

#endif
