/* Holding the picture while the room is frozen (docs/protocol.md, "Freeze"):
 * when a clinician freezes the picture, telesono-capture keeps sending the
 * frame it had when the freeze arrived (the same pixels, with new capture
 * times, at the source's normal rate) until the room is unfrozen, so every
 * viewer measures on the same picture.
 *
 * This module is the hold logic only: it remembers the newest source frame
 * and, while holding, replaces each new frame with the held one. Whether the
 * room is frozen comes from the caller (capture.c reads the room's
 * annotation state); it has no clock, no I/O and no GStreamer pipeline.
 *
 * Threads: set and frozen from the main context, frame from the source's
 * thread; a mutex makes every call safe from any thread. */
#ifndef TSN_FREEZE_H
#define TSN_FREEZE_H

#include <stdint.h>

#include <gst/gst.h>

struct tsn_freeze;

/* honour = 0 (--ignore-freeze): set is recorded but frames always pass. */
struct tsn_freeze *tsn_freeze_new(int honour);
/* Drops the remembered frame. NULL is a no-op. */
void tsn_freeze_free(struct tsn_freeze *f);

enum tsn_freeze_change {
    TSN_FREEZE_NO_CHANGE = 0,
    TSN_FREEZE_HOLD_STARTED, /* from now on frames are the held one */
    TSN_FREEZE_HOLD_ENDED,   /* live frames again */
    TSN_FREEZE_IGNORED,      /* frozen, but not honoured (--ignore-freeze) */
};

/* The room is (frozen != 0) or is not frozen. Holding starts with the newest
 * frame seen so far (or, when none came yet, with the next one). */
enum tsn_freeze_change tsn_freeze_set(struct tsn_freeze *f, int frozen);

/* One frame from the source: *buf (transfer full) and *caps (transfer none
 * on entry). On return *buf (transfer full) and *caps (transfer full: unref
 * it) are what to send: the same frame, or while holding a new buffer
 * sharing the held frame's memory, with its caps and, in *index, its source
 * index (capture times are the caller's: it stamps the new time). */
void tsn_freeze_frame(struct tsn_freeze *f, GstBuffer **buf, GstCaps **caps, uint64_t *index);

/* Whether frames are being held now; the source index of the held frame
 * (when holding); how many frames were replaced so far. */
int tsn_freeze_holding(struct tsn_freeze *f);
uint64_t tsn_freeze_held_index(struct tsn_freeze *f);
uint64_t tsn_freeze_frames_held(struct tsn_freeze *f);

#endif
