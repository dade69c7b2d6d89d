/* Internal to the HTTPS + WSS server: the per-connection and per-vhost state
 * that http.c (lws set-up, HTTP routes) and ws_channel.c (the /ws signalling
 * channel) both touch, and small helpers they share. Not an API: nothing
 * outside those two files includes it. Everything here lives on the lws
 * service thread only. */
#ifndef TSN_HTTP_INT_H
#define TSN_HTTP_INT_H

#include "relay.h"

#include "annot_room.h"
#include "file_send.h"
#include "jwt.h"
#include "rate_limit.h"
#include "rec_api.h"
#include "rec_index.h"
#include "stream_meta.h"

#include <libwebsockets.h>
#include <stddef.h>

enum tsn_http_method { M_OTHER = 0, M_GET, M_POST, M_DELETE, M_OPTIONS, M_PATCH, M_HEAD };

struct ws_out; /* one queued outgoing WS message; defined and owned by ws_channel.c */

/* Per-connection state, zeroed by lws. A connection is either an HTTP
 * request or, after upgrade, a WebSocket; each part is written only by the
 * file that owns it. */
struct pss {
    /* HTTP, owned by http.c: reset per request, freed in its close callbacks */
    enum tsn_http_method method;
    char path[256];
    int path_too_long; /* the request path did not fit `path`: 414 */
    char auth[TSN_JWT_MAX_TOKEN + 16];
    char *body;
    size_t body_len;
    int body_too_large;
    unsigned char *resp; /* LWS_PRE headroom + body */
    size_t resp_len;
    size_t resp_sent;           /* bytes of resp already written */
    struct tsn_file_send *file; /* a file reply being streamed instead of resp (owned) */
    /* WebSocket, owned by ws_channel.c: zeroed at ESTABLISHED, freed at CLOSED */
    int joined;
    struct tsn_claims who;
    char *rx;
    size_t rx_len;
    struct ws_out *out_head, *out_tail;
    unsigned out_count;
    size_t out_bytes;
    int close_after_send;          /* closing: nothing more is read or dispatched */
    struct lws *wsi;               /* set at join, for room broadcasts */
    struct pss *ws_prev, *ws_next; /* in vhd.joined while joined */
    struct tsn_rate annot_rate;    /* annotation events */
    struct tsn_rate chat_rate;
    uint64_t last_pointer_us;             /* the last pointer forwarded */
    int pointer_pending;                  /* pending_pointer waits for the timer */
    struct tsn_annot_req pending_pointer; /* x, y only: owns nothing */
};

/* Per-vhost state of the protocol (lws owns the memory, we own the members).
 * http.c creates it and frees `streams` at stop; GET /stream/<room> reads
 * `streams`; ws_channel.c sets `streams` and keeps `joined`. */
struct vhd {
    struct tsn_stream_rooms *streams; /* owned */
    struct tsn_annot_rooms *annots;   /* owned */
    struct pss *joined;               /* joined WebSockets, newest first (transfer none) */
    int stopping;                     /* set by http.c before the context goes: push nothing more */
    /* Recordings (http.c): the HTTP thread's own index handle (NULL when it
     * cannot be opened: then rec_why says why), the REST API, and the timer
     * that reaps exporters while any runs. */
    struct tsn_rec_index *rec_index; /* owned, nullable */
    char rec_why[256];
    struct tsn_rec_api *rec_api; /* owned */
    struct lws_context *ctx;
    lws_sorted_usec_list_t rec_sul;
};

#define RELAY_FULL "relay is full: try another relay or later"

static inline struct tsn_relay *relay_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

static inline struct vhd *vhd_of(struct lws *wsi)
{
    return lws_protocol_vh_priv_get(lws_get_vhost(wsi), lws_get_protocol(wsi));
}

/* Checked before an offer is answered (WHIP/WHEP and WS publish/subscribe),
 * so a refused client gets a clear 503 instead of an answer for a session
 * the media thread will not take. */
static inline int relay_full(struct tsn_relay *r)
{
    int64_t peers =
        atomic_load(&r->metrics.peers_publishers) + atomic_load(&r->metrics.peers_subscribers);
    return peers >= (int64_t)r->cfg.max_peers;
}

#endif
