/* The annotation overlay of telesono-view: turns a room's annotation state
 * (common/annot_state.h, jansson marks) into a compact render list of plain
 * numbers, and draws such a list, the participants' pointers and the
 * "frozen" banner onto a video frame with cairo. Building happens on the
 * main context whenever the state changes; drawing happens on a streaming
 * thread for every frame and never touches jansson. A list is immutable once
 * built and reference-counted, so the drawing thread can keep using the list
 * it took while the main context builds the next one.
 *
 * Coordinates are normalised to the picture (0..1, docs/protocol.md), so the
 * same list draws on any frame size. Each mark is drawn in its colour over a
 * dark outline, so it stays visible on grey ultrasound whatever the grey.
 * Not here: locking, receiving messages, or timing out pointers (the caller,
 * viewer/view_annot.c, owns those). */
#ifndef TSN_OVERLAY_H
#define TSN_OVERLAY_H

#include <stddef.h>
#include <stdint.h>

#include <cairo.h>

#include "annot_state.h"

enum tsn_overlay_kind {
    TSN_OVERLAY_ARROW,
    TSN_OVERLAY_LINE,
    TSN_OVERLAY_CALIPER,
    TSN_OVERLAY_ELLIPSE,
    TSN_OVERLAY_FREEHAND,
    TSN_OVERLAY_TEXT,
};

/* One mark of a render list: `n_points` (x, y) pairs from the list's point
 * array at `first`; `label` (nullable, inside the list) is the text of a
 * text mark, or the measurement of a caliper ("20.04 mm") or an ellipse
 * ("314.16 mm²"). */
struct tsn_overlay_item {
    enum tsn_overlay_kind kind;
    uint32_t rgb; /* 0xRRGGBB */
    uint32_t first;
    uint32_t n_points;
    const char *label;
};

struct tsn_overlay_list {
    size_t n_items;
    const struct tsn_overlay_item *items;
    const float *xy; /* 2 floats per point, normalised */
};

/* A participant's pointer as drawn: a dot with the participant's name. */
#define TSN_OVERLAY_NAME_LEN 48
struct tsn_overlay_pointer {
    float x, y;
    uint32_t rgb;
    char name[TSN_OVERLAY_NAME_LEN];
};

/* Builds the render list of the state's marks, in id order (later marks on
 * top). Marks the list cannot draw (unknown kind, too few points, points
 * that are not pairs of numbers) are left out, not fatal. NULL only when out
 * of memory. The result holds one reference. */
struct tsn_overlay_list *tsn_overlay_build(const struct tsn_annot_state *s);
/* Thread-safe reference counting; unref(NULL) is a no-op. */
struct tsn_overlay_list *tsn_overlay_ref(struct tsn_overlay_list *l);
void tsn_overlay_unref(struct tsn_overlay_list *l);

/* Copies UTF-8 `src` into dst (dst_len > 0), cut at a character boundary
 * when it does not fit, so cairo never gets half a character. */
void tsn_overlay_copy_text(char *dst, size_t dst_len, const char *src);

/* "#rrggbb" (either case) to 0xRRGGBB; -1 when it is not such a string. */
int32_t tsn_overlay_parse_color(const char *s);

/* Draws onto `cr`, whose target is width x height pixels: the marks of
 * `marks` (nullable), then the pointers, then the banner (nullable: none)
 * across the top. Leaves cr's state as it found it. */
void tsn_overlay_draw(cairo_t *cr, int width, int height, const struct tsn_overlay_list *marks,
                      const struct tsn_overlay_pointer *pointers, size_t n_pointers,
                      const char *banner);

/* Loads the font machinery (fontconfig's configuration takes tens of ms the
 * first time text is drawn) so the first annotated frame is not late.
 * Blocking, thread-safe. */
void tsn_overlay_warm_up(void);

#endif
