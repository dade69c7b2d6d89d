/* The /ws signalling channel of the relay's HTTPS server: the JSON messages
 * of joined WebSockets (join, publish, subscribe, stream, stop, ping), each
 * connection's bounded outgoing queue, and the pushes to every joined
 * WebSocket of one room: its stream metadata, and its participants
 * ("presence") when a WebSocket of the room joins or leaves. http.c owns the lws
 * context and calls these from its protocol callback; everything runs on the
 * lws service thread. It does not parse messages (sigmsg.c), decide sessions
 * (session.c) or keep the metadata store's rules (stream_meta.c). */
#ifndef TSN_WS_CHANNEL_H
#define TSN_WS_CHANNEL_H

#include <stddef.h>

struct lws;
struct pss;

/* LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: 0 to accept the upgrade (the
 * path is /ws), -1 to refuse it. */
int tsn_ws_channel_accept(struct lws *wsi);
/* LWS_CALLBACK_ESTABLISHED: starts the connection's WebSocket state. */
void tsn_ws_channel_established(struct lws *wsi, struct pss *pss);
/* LWS_CALLBACK_RECEIVE: gathers fragments and dispatches whole messages.
 * 0, or -1 to close the connection (out of memory). */
int tsn_ws_channel_receive(struct lws *wsi, struct pss *pss, const void *in, size_t len);
/* LWS_CALLBACK_SERVER_WRITEABLE: sends one queued message. 0, or -1 to close. */
int tsn_ws_channel_writeable(struct lws *wsi, struct pss *pss);
/* LWS_CALLBACK_TIMER: sends the pointer held back by the throttle. */
void tsn_ws_channel_timer(struct lws *wsi, struct pss *pss);
/* LWS_CALLBACK_CLOSED: leaves the room list (the room's others get a
 * presence), drops the connection's sessions and frees its queue and
 * receive buffer. */
void tsn_ws_channel_closed(struct lws *wsi, struct pss *pss);

/* Session registry hooks (see session.h): tsn_session_notify_fn for a
 * WebSocket `owner` (a struct lws *), and the publisher-end hook, whose
 * `user` is the per-vhost state (struct vhd *). */
void tsn_ws_channel_notify_owner(void *owner, const char *session_id, const char *state,
                                 const char *reason);
void tsn_ws_channel_publisher_end(void *user, const char *room, const char *session_id);

/* LWS_CALLBACK_EVENT_WAIT_CANCELLED: the recorder's notes (ws_record.c). */
void tsn_ws_channel_wake(struct lws *wsi);

/* For ws_record.c: queue to one socket, and a copy to every joined socket
 * of a room but `skip`. Both take ownership of `json` (nullable). */
struct vhd;
void tsn_ws_queue(struct lws *wsi, struct pss *pss, char *json);
void tsn_ws_room_send(struct vhd *v, const char *room, const struct pss *skip, char *json);

#endif
