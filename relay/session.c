/* Session registry and offer handling; see session.h. */
#include "session.h"

#include "log.h"
#include "sdp.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct session {
    char id[TSN_SESSION_ID_LEN + 1];
    uint64_t peer_id;
    enum tsn_peer_kind kind;
    enum tsn_codec codec;
    char room[TSN_ROOM_MAX + 1];
    char sub[TSN_SUB_MAX + 1]; /* who created it: only they may end it */
    void *owner;               /* nullable WebSocket (transfer none) */
    struct session *next;
};

struct tsn_sessions {
    const struct tsn_config *cfg;
    struct tsn_media *media;
    char fingerprint[TSN_FINGERPRINT_LEN];
    tsn_session_notify_fn notify;
    tsn_session_publisher_end_fn publisher_end;
    void *publisher_end_user;
    struct session *list; /* newest first */
    size_t count;
};

struct tsn_sessions *tsn_sessions_new(const struct tsn_config *cfg, struct tsn_media *media,
                                      const char *dtls_fingerprint, tsn_session_notify_fn notify)
{
    struct tsn_sessions *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = cfg;
    s->media = media;
    s->notify = notify;
    snprintf(s->fingerprint, sizeof s->fingerprint, "%s", dtls_fingerprint);
    return s;
}

void tsn_sessions_free(struct tsn_sessions *s)
{
    if (!s)
        return;
    while (s->list) {
        struct session *n = s->list->next;
        free(s->list);
        s->list = n;
    }
    free(s);
}

void tsn_sessions_on_publisher_end(struct tsn_sessions *s, tsn_session_publisher_end_fn fn,
                                   void *user)
{
    s->publisher_end = fn;
    s->publisher_end_user = user;
}

size_t tsn_sessions_count(const struct tsn_sessions *s)
{
    return s->count;
}

int tsn_sessions_owned_publisher(const struct tsn_sessions *s, const void *owner, const char *room,
                                 char id[TSN_SESSION_ID_LEN + 1])
{
    for (const struct session *x = s->list; x; x = x->next)
        if (x->kind == TSN_PEER_PUBLISHER && x->owner == owner && strcmp(x->room, room) == 0) {
            memcpy(id, x->id, sizeof x->id);
            return 0;
        }
    return -ENOENT;
}

/* The codec subscribers must take: that of the room's latest publisher. */
static enum tsn_codec room_codec(const struct tsn_sessions *s, const char *room)
{
    for (const struct session *x = s->list; x; x = x->next)
        if (x->kind == TSN_PEER_PUBLISHER && strcmp(x->room, room) == 0)
            return x->codec;
    return TSN_CODEC_NONE;
}

static int find_video(const struct tsn_sdp *offer)
{
    for (size_t i = 0; i < offer->n_media; i++)
        if (strcmp(offer->media[i].type, "video") == 0 && offer->media[i].port != 0)
            return (int)i;
    return -1;
}

static int check_transport(const struct tsn_sdp_media *v, enum tsn_peer_kind kind, char *why,
                           size_t why_len)
{
    int sends = v->dir == TSN_SDP_SENDRECV || v->dir == TSN_SDP_SENDONLY;
    int receives = v->dir == TSN_SDP_SENDRECV || v->dir == TSN_SDP_RECVONLY;
    if (kind == TSN_PEER_PUBLISHER && !sends) {
        snprintf(why, why_len, "a WHIP offer must send video (a=sendonly or a=sendrecv)");
        return 400;
    }
    if (kind == TSN_PEER_SUBSCRIBER && !receives) {
        snprintf(why, why_len, "a WHEP offer must receive video (a=recvonly or a=sendrecv)");
        return 400;
    }
    if (v->setup == TSN_SDP_SETUP_PASSIVE) {
        snprintf(why, why_len, "the relay is the DTLS server: offer a=setup:actpass or active");
        return 400;
    }
    if (strcmp(v->fingerprint_alg, "sha-256") != 0) {
        snprintf(why, why_len, "only a=fingerprint:sha-256 is supported");
        return 400;
    }
    if (!v->rtcp_mux) {
        snprintf(why, why_len, "a=rtcp-mux is required");
        return 400;
    }
    return 0;
}

/* Session ids are the WHIP/WHEP resource names: unguessable, 128 bits. */
static int new_session_id(char out[TSN_SESSION_ID_LEN + 1])
{
    unsigned char raw[TSN_SESSION_ID_LEN / 2];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

static int build_answer(const struct tsn_sessions *s, const struct tsn_sdp *offer, int video,
                        const struct tsn_peer *p, int codec_index, char *answer, size_t cap)
{
    struct tsn_sdp_answer a = {
        .session_id = p->id,
        .ice_ufrag = p->local_ufrag,
        .ice_pwd = p->local_pwd,
        .fingerprint = s->fingerprint,
        .cand_ip = s->cfg->public_ip,
        .cand_port = s->cfg->media_port,
        .n_media = offer->n_media,
    };
    for (size_t i = 0; i < offer->n_media; i++) {
        struct tsn_sdp_answer_media *am = &a.media[i];
        am->offer = &offer->media[i];
        am->rejected = (int)i != video;
        if (am->rejected)
            continue;
        am->codec_index = codec_index;
        am->ext_abs_capture_time = p->ext_abs_capture_time;
        if (p->kind == TSN_PEER_PUBLISHER) {
            am->dir = TSN_SDP_RECVONLY;
        } else {
            am->dir = TSN_SDP_SENDONLY;
            am->ssrc = p->ssrc;
            am->cname = "telesono";
            am->msid_stream = "telesono";
            am->msid_track = "video";
        }
    }
    return tsn_sdp_build_answer(&a, answer, cap);
}

static struct tsn_peer *peer_from_offer(const struct tsn_sdp_media *v, enum tsn_peer_kind kind,
                                        const struct tsn_claims *who, int codec_index,
                                        enum tsn_codec codec)
{
    struct tsn_peer *p = tsn_peer_new(kind, who->room, who->role);
    if (!p)
        return NULL;
    snprintf(p->remote_ufrag, sizeof p->remote_ufrag, "%s", v->ice_ufrag);
    snprintf(p->remote_fingerprint, sizeof p->remote_fingerprint, "%s", v->fingerprint);
    p->codec = codec;
    p->pt = v->codecs[codec_index].pt;
    p->ext_abs_capture_time = tsn_sdp_extmap_id(v, TSN_SDP_EXT_ABS_CAPTURE_TIME);
    if (p->ext_abs_capture_time > 14)
        p->ext_abs_capture_time = 0; /* two-byte ids are not forwarded */
    return p;
}

int tsn_sessions_offer(struct tsn_sessions *s, enum tsn_peer_kind kind,
                       const struct tsn_claims *who, const char *sdp, size_t sdp_len, void *owner,
                       char *answer, size_t answer_cap, char session_id[TSN_SESSION_ID_LEN + 1],
                       char *why, size_t why_len)
{
    int status = 500;
    struct tsn_peer *p = NULL;
    struct session *sess = NULL;
    struct tsn_sdp *offer = malloc(sizeof *offer);
    if (!offer) {
        snprintf(why, why_len, "out of memory");
        return 503;
    }
    if (tsn_sdp_parse(sdp, sdp_len, offer, why, why_len) != 0) {
        status = 400;
        goto out;
    }
    int video = find_video(offer);
    if (video < 0) {
        snprintf(why, why_len, "the offer has no video m-section");
        status = 400;
        goto out;
    }
    const struct tsn_sdp_media *v = &offer->media[video];
    if ((status = check_transport(v, kind, why, why_len)) != 0)
        goto out;
    enum tsn_codec want = kind == TSN_PEER_SUBSCRIBER ? room_codec(s, who->room) : TSN_CODEC_NONE;
    enum tsn_codec got;
    int ci = tsn_sdp_pick_codec(v, want, &got);
    if (ci < 0) {
        snprintf(why, why_len, "%s",
                 want == TSN_CODEC_VP8    ? "the stream is VP8 and the offer has no VP8"
                 : want == TSN_CODEC_H264 ? "the stream is H.264 and the offer has no H.264 "
                                            "(packetization-mode=1, constrained baseline)"
                                          : "no acceptable codec: offer H.264 "
                                            "(packetization-mode=1, constrained baseline) or VP8");
        status = 406;
        goto out;
    }
    p = peer_from_offer(v, kind, who, ci, got);
    sess = calloc(1, sizeof *sess);
    if (!p || !sess) {
        snprintf(why, why_len, "out of memory");
        status = 503;
        goto out;
    }
    if (build_answer(s, offer, video, p, ci, answer, answer_cap) < 0) {
        snprintf(why, why_len, "cannot build an answer for this offer");
        status = 500;
        goto out;
    }
    if (new_session_id(sess->id) != 0) {
        snprintf(why, why_len, "no randomness available");
        status = 503;
        goto out;
    }
    sess->peer_id = p->id;
    sess->kind = kind;
    sess->codec = got;
    sess->owner = owner;
    snprintf(sess->room, sizeof sess->room, "%s", who->room);
    snprintf(sess->sub, sizeof sess->sub, "%s", who->sub);
    uint64_t peer_id = p->id;
    if (tsn_media_add_peer(s->media, p) != 0) { /* takes p even on error */
        p = NULL;
        answer[0] = '\0';
        snprintf(why, why_len, "relay is busy, try again");
        status = 503;
        goto out;
    }
    tsn_info("[peer %llu] %s session created (%s)", (unsigned long long)peer_id,
             tsn_peer_kind_name(kind), got == TSN_CODEC_VP8 ? "VP8" : "H.264");
    p = NULL;
    memcpy(session_id, sess->id, sizeof sess->id);
    sess->next = s->list;
    s->list = sess;
    s->count++;
    sess = NULL;
    status = 201;
out:
    free(sess);
    tsn_peer_free(p);
    free(offer);
    return status;
}

static void unlink_session(struct tsn_sessions *s, struct session **pp)
{
    struct session *x = *pp;
    *pp = x->next;
    s->count--;
    if (x->kind == TSN_PEER_PUBLISHER && s->publisher_end)
        s->publisher_end(s->publisher_end_user, x->room, x->id);
    free(x);
}

int tsn_sessions_delete(struct tsn_sessions *s, const char *room, const char *id, const char *sub,
                        void *owner_only)
{
    for (struct session **pp = &s->list; *pp; pp = &(*pp)->next) {
        struct session *x = *pp;
        if (strcmp(x->id, id) != 0 || strcmp(x->room, room) != 0 ||
            (sub && strcmp(x->sub, sub) != 0) || (owner_only && x->owner != owner_only))
            continue;
        if (tsn_media_remove_peer(s->media, x->peer_id) != 0)
            return 503; /* media queue full: the session stays, the client may retry */
        unlink_session(s, pp);
        return 204;
    }
    return 404;
}

void tsn_sessions_drop_owner(struct tsn_sessions *s, void *owner)
{
    for (struct session **pp = &s->list; *pp;) {
        if ((*pp)->owner == owner) {
            /* If the media queue is full the peer ends at its consent timeout. */
            if (tsn_media_remove_peer(s->media, (*pp)->peer_id) != 0)
                tsn_warn("[peer %llu] media queue full: peer left to time out",
                         (unsigned long long)(*pp)->peer_id);
            unlink_session(s, pp);
        } else {
            pp = &(*pp)->next;
        }
    }
}

void tsn_sessions_on_media_event(struct tsn_sessions *s, const struct tsn_media_event *ev)
{
    for (struct session **pp = &s->list; *pp; pp = &(*pp)->next) {
        struct session *x = *pp;
        if (x->peer_id != ev->peer_id)
            continue;
        if (x->owner && s->notify)
            s->notify(x->owner, x->id, ev->type == TSN_MEDIA_EV_CONNECTED ? "connected" : "closed",
                      ev->reason);
        if (ev->type == TSN_MEDIA_EV_GONE)
            unlink_session(s, pp);
        return;
    }
}
