/* Media sessions as signalling sees them (HTTP thread only): turn an
 * authorised SDP offer into a media peer and the relay's answer, remember
 * which session id (the WHIP/WHEP resource) maps to which peer, end sessions
 * on request, and follow the media thread's events about them. Shared by the
 * WHIP/WHEP endpoints and the WebSocket channel. */
#ifndef TSN_SESSION_H
#define TSN_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "jwt.h"
#include "media.h"
#include "peer.h"

#define TSN_SESSION_ID_LEN 32 /* hex chars of a 128-bit random id */

struct tsn_sessions;

/* Called when a session owned by a WebSocket changes state. */
typedef void (*tsn_session_notify_fn)(void *owner, const char *session_id, const char *state,
                                      const char *reason);

/* Called when a publisher session ends for any reason (stop, DELETE, its
 * WebSocket closed, or the media thread removed it), once, after the
 * session's own notification. Not called by tsn_sessions_free. */
typedef void (*tsn_session_publisher_end_fn)(void *user, const char *room, const char *session_id);

struct tsn_sessions *tsn_sessions_new(const struct tsn_config *cfg, struct tsn_media *media,
                                      const char *dtls_fingerprint, tsn_session_notify_fn notify);
void tsn_sessions_free(struct tsn_sessions *s);
void tsn_sessions_on_publisher_end(struct tsn_sessions *s, tsn_session_publisher_end_fn fn,
                                   void *user);

/* Answers an offer from `who` (already authorised for `kind` in who->room).
 * `owner` (nullable) is the WebSocket that asked, for notifications.
 * Returns 201 with the answer in `answer` and the id in `session_id`, or an
 * HTTP status (400 bad SDP, 406 no acceptable codec, 503 relay full) with a
 * reason in `why`. */
int tsn_sessions_offer(struct tsn_sessions *s, enum tsn_peer_kind kind,
                       const struct tsn_claims *who, const char *sdp, size_t sdp_len, void *owner,
                       char *answer, size_t answer_cap, char session_id[TSN_SESSION_ID_LEN + 1],
                       char *why, size_t why_len);

/* Ends session `id` of `room`. 204, or 404 if there is no such session in
 * that room created by subject `sub` (other rooms' and other subjects'
 * sessions are invisible), or 503 if the media thread cannot take the
 * request now (the session is kept). `sub` NULL: any subject. `owner_only` restricts
 * to sessions created by that WebSocket. */
int tsn_sessions_delete(struct tsn_sessions *s, const char *room, const char *id, const char *sub,
                        void *owner_only);

/* Ends every session a closing WebSocket created. */
void tsn_sessions_drop_owner(struct tsn_sessions *s, void *owner);

/* Applies one media-thread event (forgets sessions whose peer is gone). */
void tsn_sessions_on_media_event(struct tsn_sessions *s, const struct tsn_media_event *ev);

/* The newest publisher session that WebSocket `owner` created in `room`:
 * 0 with its id in `id`, or -ENOENT. */
int tsn_sessions_owned_publisher(const struct tsn_sessions *s, const void *owner, const char *room,
                                 char id[TSN_SESSION_ID_LEN + 1]);

size_t tsn_sessions_count(const struct tsn_sessions *s);

#endif
