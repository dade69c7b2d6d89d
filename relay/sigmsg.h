/* Signalling messages of the WebSocket channel (/ws), protocol version 1:
 * JSON objects with a "type". This module parses and validates what clients
 * send (a pure function over the bytes) and formats what the relay sends.
 * Every field is checked for type and size; unknown fields are ignored so
 * newer clients keep working. See docs/protocol.md. */
#ifndef TSN_SIGMSG_H
#define TSN_SIGMSG_H

#include <stddef.h>
#include <stdint.h>

#include "annot_request.h"
#include "stream_meta.h"

#define TSN_SIG_PROTOCOL    2 /* 2: annotations, chat, freeze, bookmarks */
#define TSN_SIG_MAX_MESSAGE (96 * 1024)

enum tsn_sig_type {
    TSN_SIG_JOIN = 1,  /* {"type":"join","token":T} — must come first */
    TSN_SIG_PUBLISH,   /* {"type":"publish","sdp":OFFER[,"stream":META]} */
    TSN_SIG_SUBSCRIBE, /* {"type":"subscribe","sdp":OFFER} */
    TSN_SIG_STOP,      /* {"type":"stop","session":ID} */
    TSN_SIG_PING,      /* {"type":"ping"} */
    TSN_SIG_STREAM,    /* {"type":"stream","stream":META} — capture updates metadata */
    /* Annotations (annot_request.h): the op is in m->annot.op. */
    TSN_SIG_DRAW,
    TSN_SIG_DELETE,
    TSN_SIG_UNDO,
    TSN_SIG_CLEAR,
    TSN_SIG_CHAT,
    TSN_SIG_FREEZE,
    TSN_SIG_BOOKMARK,
    TSN_SIG_POINTER,
    TSN_SIG_RECORD, /* {"type":"record","on":BOOL} — capture/clinician: recording on/off */
};

struct tsn_sig_msg {
    enum tsn_sig_type type;
    int has_id;
    int64_t id;  /* optional client correlation id, echoed back */
    char *token; /* JOIN (owned) */
    char *sdp;   /* PUBLISH/SUBSCRIBE (owned) */
    size_t sdp_len;
    char session[33]; /* STOP */
    int has_stream;   /* STREAM always; PUBLISH when given */
    struct tsn_stream_meta stream;
    struct tsn_annot_req annot; /* DRAW..POINTER (owned) */
    int record_on;              /* RECORD */
};

/* Parses one client message. Returns 0, or -EBADMSG with a reason for the
 * client in `why` (not JSON, not an object, unknown type, missing or wrong
 * field, too large); *out is then zero. On success free with
 * tsn_sig_msg_clear. */
int tsn_sig_parse(const char *buf, size_t len, struct tsn_sig_msg *out, char *why, size_t why_len);
void tsn_sig_msg_clear(struct tsn_sig_msg *m);
/* For the error about a message tsn_sig_parse refused: its known type and
 * its id (-1: none or invalid) when the text is a JSON object with them.
 * Returns 0, or -EBADMSG (not JSON, no known type: *type 0). */
int tsn_sig_peek(const char *buf, size_t len, enum tsn_sig_type *type, int64_t *id);
const char *tsn_sig_type_name(enum tsn_sig_type t);

/* Listed participants per message; a room with more joined WebSockets
 * lists the first ones to join and says how many more there are. Bounds
 * the size of "welcome" and "presence" and the cost of a join. */
#define TSN_SIG_MAX_PARTICIPANTS 32

/* The people in a room as "welcome" and "presence" list them: one entry per
 * joined WebSocket, in join order. A small value type; the strings are
 * borrowed (transfer none) and must outlive the formatting call. */
struct tsn_sig_participants {
    struct {
        const char *sub;
        const char *role;
        const char *color; /* "#rrggbb", nullable: not listed */
    } list[TSN_SIG_MAX_PARTICIPANTS];
    size_t count; /* entries used in list */
    size_t more;  /* joined but not listed (the list was full) */
};

/* Appends one participant, or counts it in `more` when the list is full. */
void tsn_sig_participants_add(struct tsn_sig_participants *p, const char *sub, const char *role,
                              const char *color);

/* Formatting: each returns a malloc'd NUL-terminated JSON text (caller
 * frees) or NULL. `id` < 0 means "no id". */
/* `stream` (nullable: the room never had metadata) becomes the "stream"
 * member, with "live". `people` (nullable: none) becomes "participants"
 * (an array of {"sub","role"}), and "more" when some are not listed. */
char *tsn_sig_welcome(const char *room, const char *sub, const char *role,
                      const struct tsn_stream_meta *stream, int live,
                      const struct tsn_sig_participants *people, int64_t id);
/* {"type":"presence","participants":[{"sub":S,"role":R},...][,"more":N]}:
 * pushed to a room's WebSockets when one joins or leaves; never an id. */
char *tsn_sig_presence(const struct tsn_sig_participants *people);
/* {"type":"stream","stream":{...,"live":L}} */
char *tsn_sig_stream(const struct tsn_stream_meta *stream, int live, int64_t id);
char *tsn_sig_answer(const char *session, const char *sdp, int64_t id);
char *tsn_sig_session_state(const char *session, const char *state, const char *reason);
char *tsn_sig_stopped(const char *session, int64_t id);
char *tsn_sig_pong(int64_t id);
char *tsn_sig_error(int code, const char *reason, const char *ref_type, int64_t id);
/* {"type":"pointer","from":S,"color":C,"x":X,"y":Y,"time":T} or with
 * "hide":true instead of x and y. */
char *tsn_sig_pointer(const char *from, const char *color, const struct tsn_annot_req *req,
                      int64_t time_ms);
/* Any JSON object (an annotation "event" or "annotations") as text in the
 * protocol's number format, with "id" when id >= 0; `o` is not consumed. */
char *tsn_sig_dump(const json_t *o, int64_t id);

#endif
