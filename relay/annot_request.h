/* Annotation requests: what a client asks of the room (draw, delete, undo,
 * clear, chat, freeze, bookmark, pointer; docs/protocol.md "Annotations"),
 * validated into a small value type. A pure function over one parsed JSON
 * object: every member is checked for type, range and size, coordinates are
 * checked to be finite numbers in 0..1 and rounded to 5 decimals, colours
 * are folded to lowercase, texts are counted in code points and refused
 * with control characters. It does not check who may ask or the room's
 * limits (annot_room.c does). */
#ifndef TSN_ANNOT_REQUEST_H
#define TSN_ANNOT_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define TSN_ANNOT_MAX_FREEHAND_POINTS 2000
#define TSN_ANNOT_TEXT_MAX_CHARS      200
#define TSN_ANNOT_CHAT_MAX_CHARS      1000
#define TSN_ANNOT_LABEL_MAX_CHARS     200

enum tsn_annot_op {
    TSN_ANNOT_DRAW = 1,
    TSN_ANNOT_DELETE,
    TSN_ANNOT_UNDO,
    TSN_ANNOT_CLEAR,
    TSN_ANNOT_CHAT,
    TSN_ANNOT_FREEZE,
    TSN_ANNOT_BOOKMARK,
    TSN_ANNOT_POINTER,
};

enum tsn_annot_kind {
    TSN_ANNOT_ARROW = 1,
    TSN_ANNOT_LINE,
    TSN_ANNOT_CALIPER,
    TSN_ANNOT_ELLIPSE,
    TSN_ANNOT_FREEHAND,
    TSN_ANNOT_TEXT,
};

struct tsn_annot_req {
    enum tsn_annot_op op;
    /* DRAW */
    enum tsn_annot_kind kind;
    size_t n_points;
    double *xy; /* owned: x0, y0, x1, y1, ... rounded to 5 decimals */
    int has_color;
    char color[8]; /* "#rrggbb", lowercase */
    /* DRAW text: the text; CHAT: the message; BOOKMARK: the label (owned,
     * NULL when absent) */
    char *text;
    int64_t item; /* DELETE */
    int frozen;   /* FREEZE */
    int has_frame_ms;
    int64_t frame_ms; /* DRAW, FREEZE, BOOKMARK: the frame the sender saw */
    int hide;         /* POINTER */
    double x, y;      /* POINTER, rounded like points */
};

/* Validates the members of message `root` (a JSON object whose "type" named
 * `op`) into *out (zeroed first). Returns 0, or -EBADMSG with a reason for
 * the client naming the field (*out is then clear). Free with
 * tsn_annot_req_clear. */
int tsn_annot_req_from_json(const json_t *root, enum tsn_annot_op op, struct tsn_annot_req *out,
                            char *why, size_t why_len);
void tsn_annot_req_clear(struct tsn_annot_req *r);

/* "arrow", "line", ... ("unknown" for anything else). */
const char *tsn_annot_kind_name(enum tsn_annot_kind k);
/* "draw", "delete", ... as the event's "op". */
const char *tsn_annot_op_name(enum tsn_annot_op op);

/* Rounds a normalised coordinate to the 5 decimals the protocol keeps. */
double tsn_annot_round(double v);

#endif
