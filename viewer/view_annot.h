/* telesono-view's side of the room's annotations (docs/protocol.md,
 * "Annotations"): keeps the room's state (common/annot_state.h) from the
 * relay's "annotations" snapshot and "event" messages, the newest pointer of
 * each participant (hidden after TSN_VIEW_ANNOT_POINTER_MS without an
 * update, or on "hide") and who froze the picture, and draws all of it onto
 * decoded frames (viewer/overlay.h).
 *
 * Threads: handle, reset and counts run on the main context, which owns the
 * jansson state; draw runs on a streaming thread. On every change the main
 * context rebuilds a compact render list and swaps it in under a mutex, so
 * the streaming thread only ever reads plain numbers and holds the mutex
 * for a pointer copy, never while it draws. Not here: the WebSocket, or
 * where in the pipeline frames are drawn on (viewer/view_decode.c). */
#ifndef TSN_VIEW_ANNOT_H
#define TSN_VIEW_ANNOT_H

#include <stddef.h>
#include <stdint.h>

#include <cairo.h>

#define TSN_VIEW_ANNOT_POINTER_MS   3000 /* a pointer not moved for this long is hidden */
#define TSN_VIEW_ANNOT_MAX_POINTERS 32   /* participants whose pointers are drawn */

struct tsn_view_annot;

/* What the stats JSON reports (viewer/view_stats.h, "annotations"). */
struct tsn_view_annot_counts {
    int64_t seq;          /* the last event applied (0: none) */
    int64_t marks;        /* marks in the state */
    int64_t events;       /* "event" messages applied */
    int64_t snapshots;    /* "annotations" snapshots loaded */
    int64_t pointers;     /* pointer messages taken */
    int64_t rejected;     /* malformed annotation messages ignored */
    int frozen;           /* the room's picture is frozen */
    int64_t frames_drawn; /* frames that had something drawn on them */
    double draw_us_mean;  /* time to draw those, microseconds */
    double draw_us_max;
};

struct tsn_view_annot *tsn_view_annot_new(void);
/* NULL is a no-op. No draw may be running or start. */
void tsn_view_annot_free(struct tsn_view_annot *a);

/* Main context: one message from the relay (any type; `json` need not be
 * NUL-terminated). Returns 1 when what is drawn changed, 0 otherwise (not an
 * annotation message, already applied), -EBADMSG for a malformed annotation
 * message (logged once per connection with `conn_id`; ignored). `now_us` is
 * a monotonic time (pointer ages). */
int tsn_view_annot_handle(struct tsn_view_annot *a, const char *json, size_t len, int64_t now_us,
                          unsigned conn_id);
/* Main context: the connection ended: pointers go (the next connection's
 * snapshot replaces the marks and the freeze). */
void tsn_view_annot_reset_pointers(struct tsn_view_annot *a);
void tsn_view_annot_counts(struct tsn_view_annot *a, struct tsn_view_annot_counts *out);

/* Any thread: draws the current marks, pointers and banner with `cr`, whose
 * target is width x height pixels. Cheap when there is nothing to draw. */
void tsn_view_annot_draw(struct tsn_view_annot *a, cairo_t *cr, int width, int height,
                         int64_t now_us);

#endif
