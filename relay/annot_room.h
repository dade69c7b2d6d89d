/* The relay's annotation rooms (signalling thread only, no locking): per
 * room, the annotation state (common/annot_state.h), the participants'
 * colours, and how many WebSockets are joined. It turns a validated request
 * (annot_request.h) into the room's next sequenced event: it checks the
 * room's limits and the request against the state (a mark to delete must
 * exist, undo needs a mark of one's own), stamps the event with the server
 * time and the frame it belongs to, measures calipers and ellipses in mm
 * from the stream metadata, and applies the event to the state. Who may
 * annotate, rate limits and sending are ws_channel.c's. A room's state is
 * kept while someone is joined and for `linger_ms` after the last leaves. */
#ifndef TSN_ANNOT_ROOM_H
#define TSN_ANNOT_ROOM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "annot_request.h"
#include "frame_clock.h"
#include "stream_meta.h"

#define TSN_ANNOT_MAX_MARKS       500
#define TSN_ANNOT_MAX_POINTS      50000
#define TSN_ANNOT_MAX_BOOKMARKS   500
#define TSN_ANNOT_FRAME_WINDOW_MS 10000 /* how old a client's frame_ms may be */
#define TSN_ANNOT_LINGER_MS       (60 * 60 * 1000)

struct tsn_annot_rooms;

struct tsn_annot_rooms *tsn_annot_rooms_new(int64_t linger_ms);
void tsn_annot_rooms_free(struct tsn_annot_rooms *rs);

/* A WebSocket of `sub` joined `room`. Returns the subject's colour
 * ("#rrggbb", owned by the room, stable while the room exists), or NULL
 * when out of memory. Rooms that lingered too long are dropped here. */
const char *tsn_annot_rooms_join(struct tsn_annot_rooms *rs, const char *room, const char *sub,
                                 int64_t now_ms);

/* A joined WebSocket of `sub` left `room`; `sub_gone` says it was the
 * subject's last one there. Returns the event to send to the room when the
 * leave ended the subject's freeze (a new reference), else NULL. */
json_t *tsn_annot_rooms_leave(struct tsn_annot_rooms *rs, const char *room, const char *sub,
                              int sub_gone, int64_t now_ms);

/* The colour of `sub` in `room`, or NULL when it never joined. */
const char *tsn_annot_rooms_color(const struct tsn_annot_rooms *rs, const char *room,
                                  const char *sub);

/* The room's "annotations" message (a new reference; an empty state for an
 * unknown room), or NULL when out of memory. */
json_t *tsn_annot_rooms_snapshot(const struct tsn_annot_rooms *rs, const char *room);

/* What the event is stamped with. */
struct tsn_annot_ctx {
    const char *sub;                    /* the sender */
    int64_t now_ms;                     /* server time, Unix ms */
    const struct tsn_frame_info *frame; /* the room's newest frame; NULL: no stream */
    const struct tsn_stream_meta *meta; /* the room's stream metadata; NULL: none */
};

/* Turns `req` (any op but POINTER) from a joined sender into the room's
 * next event, applied to the state. Returns 0 with *event (a new reference,
 * without "id"), or an HTTP-style status with a reason in `why` and the
 * state unchanged: 404 (no such mark / nothing to undo), 409 (a room
 * limit), 503 (out of memory). */
int tsn_annot_rooms_apply(struct tsn_annot_rooms *rs, const char *room,
                          const struct tsn_annot_req *req, const struct tsn_annot_ctx *ctx,
                          json_t **event, char *why, size_t why_len);

/* The caliper length and the ellipse semi-axes in mm for the picture the
 * metadata describes: 0, or -ENOENT when the metadata lacks pixel spacing or
 * the frame size. Exposed for tests. */
int tsn_annot_measure(const struct tsn_stream_meta *meta, const double *xy, double *dx_mm,
                      double *dy_mm);

#endif
