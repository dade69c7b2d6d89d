/* The burn-in timeline of telesono-export: what the annotated copy shows at
 * each frame. The state at frame K is the initial snapshot plus every event
 * whose frame is <= K, applied in recording (seq) order with
 * common/annot_state.c, exactly as a reviewer's player rebuilds it. The
 * timeline holds one prebuilt overlay render list (viewer/overlay.h) and
 * "FROZEN by" banner per frame where that state changes, so drawing a frame
 * is a binary search and a cairo draw, from any thread, with no jansson.
 *
 * Not here: the mapping of events to frames (export_annot.h), GStreamer
 * (export_pipe.h). Pointers are not recorded, so none are drawn. */
#ifndef TSN_EXPORT_TIMELINE_H
#define TSN_EXPORT_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include <cairo.h>

#include "export_annot.h"

struct tsn_export_timeline;

/* Builds the timeline of a's events (mapped: tsn_export_annot_map) over the
 * output's frames (n >= 1). Events the state refuses are skipped and counted
 * in *skipped (nullable). NULL on OOM. */
struct tsn_export_timeline *tsn_export_timeline_build(const struct tsn_export_annot *a,
                                                      const struct tsn_export_frame_ref *frames,
                                                      size_t n, size_t *skipped);
void tsn_export_timeline_free(struct tsn_export_timeline *t);

/* How many distinct states it holds (the initial one included). */
size_t tsn_export_timeline_states(const struct tsn_export_timeline *t);
/* The index of the state shown at presentation time pts_ns (a frame's PTS
 * in nanoseconds; times within half a millisecond of a change count as at
 * it). */
size_t tsn_export_timeline_state_at(const struct tsn_export_timeline *t, uint64_t pts_ns);
/* Number of marks drawn in state i. */
size_t tsn_export_timeline_marks(const struct tsn_export_timeline *t, size_t i);

/* Draws the state shown at pts_ns onto cr (a width x height target). */
void tsn_export_timeline_draw(const struct tsn_export_timeline *t, cairo_t *cr, int width,
                              int height, uint64_t pts_ns);

/* 90 kHz ticks to nanoseconds, as the exporter stamps its buffers. */
uint64_t tsn_export_ns_of_90k(int64_t t_90k);

#endif
