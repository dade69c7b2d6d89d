/* Recording over the /ws channel: the `record` request, the room's
 * `recording` messages, and the recorder's view of the room (events, joins,
 * leaves, failures). Called by ws_channel.c on the lws thread; the
 * recorder itself is recorder.h. */
#ifndef TSN_WS_RECORD_H
#define TSN_WS_RECORD_H

#include <jansson.h>

#include "sigmsg.h"

struct lws;
struct pss;
struct vhd;
struct tsn_relay;

/* {"type":"record","on":...} from a joined socket. */
void tsn_ws_record_request(struct lws *wsi, struct pss *pss, const struct tsn_sig_msg *m);
/* After a join's welcome and snapshot: the recorder hears of the join, the
 * joiner of a running recording. */
void tsn_ws_record_joined(struct lws *wsi, struct pss *pss);
/* After a publish (WS or WHIP) was accepted: starts recording the room
 * with --record always, tells the room. */
void tsn_ws_record_published(struct tsn_relay *r, struct vhd *v, const char *room, const char *by);
/* After a joined socket left (already unlinked from the room). */
void tsn_ws_record_left(struct tsn_relay *r, struct vhd *v, const struct pss *pss);
/* A publisher (WS or WHIP) of the room ended: with no joined socket left,
 * the room's recording stops. */
void tsn_ws_record_publisher_end(struct tsn_relay *r, struct vhd *v, const char *room);
/* An annotation event the room was sent. */
void tsn_ws_record_event(struct tsn_relay *r, const char *room, const json_t *event);
/* Takes the writer's notes (failed recordings) and tells their rooms. */
void tsn_ws_record_pump(struct tsn_relay *r, struct vhd *v);

#endif
