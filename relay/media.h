/* The media thread: one UDP socket (RFC 7983 demultiplexing of STUN, DTLS,
 * SRTP and SRTCP), an epoll loop with batched recvmmsg/sendmmsg, and the
 * media-side rooms it forwards between. Other threads reach it only through
 * the calls below, which queue a command and wake the loop (eventfd).
 * It never decodes video and never blocks on anything but epoll. */
#ifndef TSN_MEDIA_H
#define TSN_MEDIA_H

#include <stdint.h>

#include "config.h"
#include "dtls.h"
#include "frame_clock.h"
#include "metrics.h"
#include "peer.h"

struct tsn_media;

enum tsn_media_event_type {
    TSN_MEDIA_EV_CONNECTED = 1, /* DTLS done, media flowing */
    TSN_MEDIA_EV_GONE,          /* removed: failure, timeout, replaced, or asked */
};

struct tsn_media_event {
    enum tsn_media_event_type type;
    uint64_t peer_id;
    char reason[96]; /* for GONE */
};

/* Called on the media thread when events are queued; must be thread-safe and
 * cheap (e.g. lws_cancel_service). */
typedef void (*tsn_media_wake_fn)(void *user);

/* `cfg`, `metrics` and `dtls_ctx` must outlive the media thread (transfer none). */
struct tsn_media *tsn_media_new(const struct tsn_config *cfg, struct tsn_metrics *metrics,
                                struct tsn_dtls_ctx *dtls_ctx, tsn_media_wake_fn wake,
                                void *wake_user);
/* Binds the UDP port and starts the thread. 0 or -errno (e.g. -EADDRINUSE). */
int tsn_media_start(struct tsn_media *m);
/* Stops and joins the thread; frees every peer. Safe to call twice. */
void tsn_media_stop(struct tsn_media *m);
void tsn_media_free(struct tsn_media *m);

/* Thread-safe. Hands `p` to the media thread (transfer full, even on error). */
int tsn_media_add_peer(struct tsn_media *m, struct tsn_peer *p);
/* Thread-safe. Asks the media thread to remove a peer (no-op if gone). */
int tsn_media_remove_peer(struct tsn_media *m, uint64_t peer_id);
/* Thread-safe. Pops one event; returns 1 if one was popped, else 0. */
int tsn_media_pop_event(struct tsn_media *m, struct tsn_media_event *ev);

/* Set once before tsn_media_start: where recorded rooms' packets go (the
 * media thread is the ring's only producer). NULL: no recording. */
struct tsn_rec_ring;
void tsn_media_set_rec_ring(struct tsn_media *m, struct tsn_rec_ring *ring);
/* Thread-safe. Records `room` under `handle` from now on (0 stops): its
 * packets go to the ring, starting with a stream set-up record and a
 * keyframe request. 0 or -EAGAIN (command queue full). */
int tsn_media_record(struct tsn_media *m, const char *room, uint32_t handle);

/* Thread-safe. Room `room`'s newest forwarded frame: 0, or -ENOENT when the
 * room has no publisher stream. */
int tsn_media_current_frame(struct tsn_media *m, const char *room, struct tsn_frame_info *out);

#endif
