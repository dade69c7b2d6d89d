/* Internal to the media thread's modules (media.c, ice.c, room.c): the loop
 * context and the media-side room. Nothing here is touched by other threads
 * except the fields marked "shared", which are guarded by `lock`. */
#ifndef TSN_MEDIA_CTX_H
#define TSN_MEDIA_CTX_H

#include <pthread.h>
#include <stdint.h>

#include "addr_map.h"
#include "config.h"
#include "kf_cache.h"
#include "media.h"
#include "metrics.h"
#include "peer.h"
#include "rtx_cache.h"
#include "sendq.h"

/* A publisher's stream as the relay keeps it for its subscribers. */
struct tsn_stream {
    uint32_t generation; /* bumped when the publisher or its SSRC changes */
    uint32_t ssrc;
    int have_ssrc;
    enum tsn_codec codec;
    uint8_t pt;
    uint8_t ext_abs_capture_time;
    struct tsn_rtx_cache *rtx;
    struct tsn_kf_cache *kf;
    uint32_t kf_generation; /* generation of the cached keyframe */
    uint64_t last_pli_us;
    int pli_pending; /* a PLI was asked for during the rate-limit gap */
    uint8_t fir_seq;
    int have_frame;         /* last_frame_ts is valid */
    uint32_t last_frame_ts; /* RTP timestamp of the newest frame seen */
};

struct tsn_media_room {
    uint32_t id;
    char name[TSN_ROOM_MAX + 1];
    struct tsn_peer *publisher; /* transfer none: owned by the peer table */
    struct tsn_peer **subs;     /* subscribers, any state */
    size_t n_subs, cap_subs;
    struct tsn_stream stream;
    uint32_t rec_handle;     /* non-zero while recorded */
    uint32_t rec_generation; /* stream generation of the last stream record */
    struct tsn_media_room *next;
};

struct tsn_media_cmd {
    enum { CMD_ADD, CMD_REMOVE, CMD_RECORD } type;
    struct tsn_peer *peer;       /* CMD_ADD, transfer full */
    uint64_t peer_id;            /* CMD_REMOVE */
    char room[TSN_ROOM_MAX + 1]; /* CMD_RECORD */
    uint32_t rec_handle;         /* CMD_RECORD, 0 = stop */
};

/* A room recorded by name, so a room made again (its peers all left and
 * came back) is still recorded. Media thread only. */
struct tsn_media_rec_room {
    char room[TSN_ROOM_MAX + 1];
    uint32_t handle;
};

#define TSN_MEDIA_MAX_CMDS   1024
#define TSN_MEDIA_MAX_EVENTS 1024

struct tsn_media {
    const struct tsn_config *cfg;
    struct tsn_metrics *metrics;
    struct tsn_dtls_ctx *dtls_ctx;
    tsn_media_wake_fn wake;
    void *wake_user;

    int fd, epfd, evfd;
    pthread_t thread;
    int running, started;

    pthread_mutex_t lock; /* protects cmds[], n_cmds, events[], ev_head, ev_count (shared) */
    struct tsn_media_cmd cmds[TSN_MEDIA_MAX_CMDS];
    unsigned n_cmds;
    struct tsn_media_event events[TSN_MEDIA_MAX_EVENTS];
    unsigned ev_head, ev_count;

    /* Media thread only. */
    struct tsn_peer **peers; /* cfg->max_peers slots */
    size_t n_peers;
    struct tsn_addr_map *by_addr;
    struct tsn_media_room *rooms;
    uint32_t next_room_id;
    struct tsn_sendq *sendq;
    uint64_t now_us; /* CLOCK_MONOTONIC at the current loop iteration */

    struct tsn_frame_clock *frames; /* owned; thread-safe (its own lock) */

    struct tsn_rec_ring *rec_ring;        /* transfer none; NULL: recording off */
    struct tsn_media_rec_room *rec_rooms; /* media thread only */
    size_t n_rec_rooms;
};

/* media.c */
void tsn_media_post_event(struct tsn_media *m, enum tsn_media_event_type type, uint64_t peer_id,
                          const char *reason);
/* Marks a peer dead; the loop frees it at the end of the iteration. */
void tsn_media_kill_peer(struct tsn_media *m, struct tsn_peer *p, const char *reason);
struct tsn_peer *tsn_media_find_ufrag(struct tsn_media *m, const uint8_t *ufrag, size_t len);
int tsn_media_bind_addr(struct tsn_media *m, struct tsn_peer *p, const struct sockaddr *sa,
                        socklen_t len);
uint64_t tsn_now_us(void);

/* ice.c: STUN checks and DTLS for one peer. */
void tsn_ice_on_stun(struct tsn_media *m, struct tsn_peer *known, const uint8_t *buf, size_t len,
                     const struct sockaddr *from, socklen_t from_len);
void tsn_ice_on_dtls(struct tsn_media *m, struct tsn_peer *p, const uint8_t *buf, size_t len);
void tsn_ice_on_timer(struct tsn_media *m, struct tsn_peer *p);

/* room.c: rooms and forwarding. */
struct tsn_media_room *tsn_room_attach(struct tsn_media *m, struct tsn_peer *p);
void tsn_room_detach(struct tsn_media *m, struct tsn_peer *p);
void tsn_room_on_connected(struct tsn_media *m, struct tsn_peer *p);
void tsn_room_on_rtp(struct tsn_media *m, struct tsn_peer *p, uint8_t *pkt, size_t len);
void tsn_room_on_rtcp(struct tsn_media *m, struct tsn_peer *p, uint8_t *pkt, size_t len);
void tsn_room_on_timer(struct tsn_media *m, struct tsn_media_room *r);
/* Starts (handle != 0) or stops recording a room by name. */
void tsn_room_set_recording(struct tsn_media *m, const char *room, uint32_t handle);

/* Encrypts `len` plaintext bytes at `slot` (a sendq slot) for `p` and queues them. */
void tsn_media_send_rtp_slot(struct tsn_media *m, struct tsn_peer *p, uint8_t *slot, size_t len);
void tsn_media_send_rtcp(struct tsn_media *m, struct tsn_peer *p, const uint8_t *pkt, size_t len);

#endif
