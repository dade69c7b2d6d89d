/* The catalogue of annotation messages the invalid mode of
 * tsn-annot-clients sends one by one (annot_invalid.c), each with the reply
 * the protocol promises (docs/protocol.md, "Annotation errors"): mostly
 * refusals with their code and a substring of the reason, plus valid
 * messages at the limits (which must be accepted). Also builders of the
 * messages too big for a table (2000-point strokes, 200-character texts).
 * Data only: nothing here sends or checks. */
#ifndef TSN_ANNOT_CASES_H
#define TSN_ANNOT_CASES_H

#include <stddef.h>

/* Who sends a case. */
enum tsn_acase_who { TSN_ACASE_A, TSN_ACASE_B, TSN_ACASE_OBSERVER };

struct tsn_acase {
    enum tsn_acase_who who;
    const char *name;
    /* The message; "@ID" is replaced by the message id, "@MARK" by the id
     * of an existing mark, "@CHATSEQ" by the seq of a chat event (an id
     * that is no mark). */
    const char *text;
    int code;           /* expected error code; 0: must be accepted */
    const char *reason; /* a substring of the expected reason, or NULL */
};

const struct tsn_acase *tsn_acase_table(size_t *n);

/* {"type":"draw","item":{"kind":"freehand","points":[...n points...]},"id":ID} */
char *tsn_acase_freehand(size_t n_points, long id);
/* A string of n copies of unit (UTF-8), JSON-escaped by jansson, put in a
 * message: kind "text" item text, "chat" text or "bookmark" label. */
char *tsn_acase_long_text(const char *type, const char *unit, size_t n, long id);
/* A chat message of exactly total_bytes bytes (its text is padding).
 * NULL when total_bytes is too small. */
char *tsn_acase_chat_of_size(size_t total_bytes, long id);
/* text with every "@ID", "@MARK" and "@CHATSEQ" replaced (malloc'd). */
char *tsn_acase_fill(const char *text, long id, long long mark, long long chat_seq);

#endif
