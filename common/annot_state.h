/* A room's annotation state as the relay's sequenced events build it
 * (docs/protocol.md, "Annotations"): the marks in id order, the bookmarks,
 * the freeze, the last chat messages, and the sequence number of the last
 * event applied. The relay and every client (telesono-view, the test
 * clients) apply the same events with the same function, so their states
 * are equal, and tsn_annot_state_dumps gives the same text for equal states.
 *
 * Marks, bookmarks and chat entries are kept as the relay's JSON objects
 * (jansson), exactly as sent: the relay produced them in canonical form
 * (coordinates rounded, colours lowercase), so nothing is re-formatted.
 * This module checks an event's shape (op, seq, the members it needs) but
 * not the limits or the sender's rights: the relay does that before it
 * makes an event (relay/annot_room.c). Not thread-safe; one owner. */
#ifndef TSN_ANNOT_STATE_H
#define TSN_ANNOT_STATE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define TSN_ANNOT_CHAT_KEPT 100 /* chat events kept for late joiners */

/* jansson dump flags of every annotation message and of state dumps. */
#define TSN_ANNOT_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

struct tsn_annot_state;

struct tsn_annot_state *tsn_annot_state_new(void);
void tsn_annot_state_free(struct tsn_annot_state *s);

/* Applies one {"type":"event",...} object. Returns 0; -EBADMSG with a reason
 * for a malformed event (state unchanged); -EALREADY when its seq is not
 * above the state's (already applied: state unchanged). An event whose seq
 * skips numbers is applied (the gap is the caller's to detect with
 * tsn_annot_state_seq before applying). */
int tsn_annot_state_apply(struct tsn_annot_state *s, const json_t *event, char *why,
                          size_t why_len);

/* Replaces the whole state with an {"type":"annotations",...} snapshot.
 * Returns 0, or -EBADMSG (state unchanged). */
int tsn_annot_state_load(struct tsn_annot_state *s, const json_t *snapshot, char *why,
                         size_t why_len);

/* For clients: parses one relay message and applies it when it is an
 * "event" or loads it when it is "annotations". Returns 1 when the state
 * changed, 0 for any other message type (or an event already applied),
 * -EBADMSG for a malformed annotation message or text that is not JSON. */
int tsn_annot_state_handle(struct tsn_annot_state *s, const char *text, size_t len, char *why,
                           size_t why_len);

/* The state as an "annotations" message (a new reference; NULL on OOM).
 * It shares the state's arrays: dump or json_deep_copy it before the state
 * changes again. */
json_t *tsn_annot_state_snapshot(const struct tsn_annot_state *s);
/* The same as malloc'd text in TSN_ANNOT_JSON_FLAGS with sorted keys:
 * equal states give equal text. */
char *tsn_annot_state_dumps(const struct tsn_annot_state *s);

int64_t tsn_annot_state_seq(const struct tsn_annot_state *s);
size_t tsn_annot_state_count(const struct tsn_annot_state *s);
/* The i-th mark in id order (borrowed; valid until the next change). */
const json_t *tsn_annot_state_item(const struct tsn_annot_state *s, size_t i);
/* The mark with this id, or NULL. */
const json_t *tsn_annot_state_find(const struct tsn_annot_state *s, int64_t id);
/* The id of the newest mark drawn by `sub`, or -1. */
int64_t tsn_annot_state_newest_by(const struct tsn_annot_state *s, const char *sub);
/* Points over all marks. */
size_t tsn_annot_state_points(const struct tsn_annot_state *s);
size_t tsn_annot_state_bookmarks(const struct tsn_annot_state *s);
/* Who froze the picture (borrowed), or NULL when it is not frozen. */
const char *tsn_annot_state_frozen_by(const struct tsn_annot_state *s);

#endif
