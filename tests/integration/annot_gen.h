/* Annotation client messages for tsn-annot-clients: a small seeded PRNG
 * and builders of valid draw/delete/undo/clear/chat/freeze/bookmark/pointer
 * messages (docs/protocol.md, "Annotations"), random or exact. The
 * messages are JSON text (malloc'd, the caller frees). Invalid messages are
 * written by annot_invalid.c itself; this module only makes valid ones, at
 * the documented limits when asked (2000 points, 200 characters). */
#ifndef TSN_ANNOT_GEN_H
#define TSN_ANNOT_GEN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "annot_state.h"

struct tsn_agen_rng {
    uint64_t s;
};

void tsn_agen_seed(struct tsn_agen_rng *r, uint64_t seed);
uint64_t tsn_agen_u64(struct tsn_agen_rng *r);
/* Uniform in 0..n-1 (n > 0). */
unsigned tsn_agen_below(struct tsn_agen_rng *r, unsigned n);
/* Uniform in [0, 1]. */
double tsn_agen_unit(struct tsn_agen_rng *r);

/* What tsn_agen_random produced. */
enum tsn_agen_op {
    TSN_AGEN_DRAW,
    TSN_AGEN_DELETE,
    TSN_AGEN_UNDO,
    TSN_AGEN_CLEAR,
    TSN_AGEN_CHAT,
    TSN_AGEN_FREEZE,
    TSN_AGEN_BOOKMARK,
    TSN_AGEN_POINTER,
    TSN_AGEN_N_OPS
};
const char *tsn_agen_op_name(enum tsn_agen_op op);

/* A valid item of kind (arrow, line, caliper, ellipse, freehand, text) with
 * random coordinates; freehand gets n_points points (2..2000, a random
 * walk), the others their fixed count. A colour half of the time (upper or
 * lower case hex). NULL on OOM. */
json_t *tsn_agen_item(struct tsn_agen_rng *r, const char *kind, size_t n_points);

/* {"type":"draw","item":ITEM,"id":ID}; takes the item's reference. */
char *tsn_agen_draw(json_t *item, long id);
/* Exact messages. */
char *tsn_agen_delete(int64_t mark_id, long id);
char *tsn_agen_simple(const char *type, long id); /* undo, clear */
char *tsn_agen_chat(const char *text, long id);
char *tsn_agen_freeze(int frozen, long id);
char *tsn_agen_bookmark(const char *label, long id); /* label may be NULL */
char *tsn_agen_pointer(double x, double y);

/* One random valid message for the convergence run. deletes pick a mark of
 * `seen` (the client's current state); allow_clear says whether a clear
 * may come out. *op says which kind it is; pointers carry no id. */
char *tsn_agen_random(struct tsn_agen_rng *r, const struct tsn_annot_state *seen, long id,
                      int allow_clear, enum tsn_agen_op *op);

/* A random freehand item size: mostly short strokes, sometimes long ones,
 * rarely up to 2000 points. */
size_t tsn_agen_freehand_points(struct tsn_agen_rng *r);

#endif
