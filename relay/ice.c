/* ICE-lite (RFC 8445 section 2.5) and DTLS for media peers: answer
 * authenticated STUN binding requests, learn the peer's address from them,
 * keep ICE consent (RFC 7675), run the DTLS handshake as the passive side,
 * and turn its exported keys into an SRTP session. */
#include "media_ctx.h"

#include "log.h"
#include "stun.h"

#include <string.h>

#define HANDSHAKE_TIMEOUT_US (20 * 1000000ull)

static void drain_dtls(struct tsn_media *m, struct tsn_peer *p)
{
    uint8_t out[TSN_SENDQ_SLOT_BYTES];
    int n;
    while ((n = tsn_dtls_pop(p->dtls, out, sizeof out)) > 0)
        if (p->addr_len)
            tsn_sendq_push(m->sendq, (struct sockaddr *)&p->addr, p->addr_len, out, (size_t)n);
}

/* USERNAME is "<our ufrag>:<their ufrag>" in a check sent to us. */
static int split_username(const struct tsn_stun_msg *msg, const uint8_t **local, size_t *local_len,
                          const uint8_t **remote, size_t *remote_len)
{
    if (!msg->username)
        return -1;
    const uint8_t *colon = memchr(msg->username, ':', msg->username_len);
    if (!colon)
        return -1;
    *local = msg->username;
    *local_len = (size_t)(colon - msg->username);
    *remote = colon + 1;
    *remote_len = msg->username_len - *local_len - 1;
    return 0;
}

static int ufrag_is(const char *ufrag, const uint8_t *s, size_t len)
{
    return strlen(ufrag) == len && memcmp(ufrag, s, len) == 0;
}

static void start_dtls(struct tsn_media *m, struct tsn_peer *p)
{
    p->dtls = tsn_dtls_new(m->dtls_ctx, TSN_DTLS_SERVER, p->remote_fingerprint);
    if (!p->dtls) {
        tsn_media_kill_peer(m, p, "cannot create DTLS session");
        return;
    }
    p->state = TSN_PEER_DTLS;
    tsn_debug("[room %u peer %llu] ICE connected, DTLS handshaking", p->room_id,
              (unsigned long long)p->id);
}

void tsn_ice_on_stun(struct tsn_media *m, struct tsn_peer *known, const uint8_t *buf, size_t len,
                     const struct sockaddr *from, socklen_t from_len)
{
    struct tsn_stun_msg msg;
    /* RFC 8445 7.2.2: connectivity checks carry FINGERPRINT; anything else
     * on the media port that merely looks like STUN is dropped. */
    if (tsn_stun_parse(buf, len, &msg) != 0 || !msg.has_fingerprint) {
        tsn_metric_drop(m->metrics, TSN_DROP_BAD_STUN);
        return;
    }
    if (msg.type == TSN_STUN_BINDING_INDICATION)
        return; /* keepalive: nothing to answer */
    const uint8_t *local, *remote;
    size_t local_len, remote_len;
    if (msg.type != TSN_STUN_BINDING_REQUEST ||
        split_username(&msg, &local, &local_len, &remote, &remote_len) != 0) {
        tsn_metric_drop(m->metrics, known ? TSN_DROP_BAD_STUN : TSN_DROP_UNKNOWN_PEER);
        return;
    }
    struct tsn_peer *p = known;
    if (!p || !ufrag_is(p->local_ufrag, local, local_len))
        p = tsn_media_find_ufrag(m, local, local_len);
    if (!p || p->state == TSN_PEER_DEAD) {
        tsn_metric_drop(m->metrics, TSN_DROP_UNKNOWN_PEER);
        return;
    }
    if ((p->remote_ufrag[0] && !ufrag_is(p->remote_ufrag, remote, remote_len)) ||
        tsn_stun_check_integrity(buf, len, &msg, p->local_pwd, strlen(p->local_pwd)) != 0) {
        tsn_metric_drop(m->metrics, TSN_DROP_BAD_STUN);
        return;
    }
    uint8_t out[256];
    size_t n = tsn_stun_build_success(out, sizeof out, msg.txid, from, p->local_pwd,
                                      strlen(p->local_pwd));
    if (n)
        tsn_sendq_push(m->sendq, from, from_len, out, n);
    p->last_consent_us = m->now_us;
    if (msg.use_candidate)
        p->nominated = 1;
    if (p->state == TSN_PEER_WAIT_ICE) {
        if (tsn_media_bind_addr(m, p, from, from_len) != 0) {
            tsn_media_kill_peer(m, p, "cannot register peer address");
            return;
        }
        start_dtls(m, p);
    } else if (p != known && msg.use_candidate) {
        /* The controlling agent nominated another path (e.g. a network change). */
        if (tsn_media_bind_addr(m, p, from, from_len) == 0)
            tsn_info("[room %u peer %llu] ICE path changed", p->room_id,
                     (unsigned long long)p->id);
    }
}

static void on_dtls_connected(struct tsn_media *m, struct tsn_peer *p)
{
    struct tsn_srtp_keys keys;
    if (tsn_dtls_srtp_keys(p->dtls, &keys) != 0 || !(p->srtp = tsn_srtp_new(&keys, 1))) {
        tsn_metric_add(&m->metrics->dtls_failures, 1);
        tsn_media_kill_peer(m, p, "cannot set up SRTP from DTLS keys");
        return;
    }
    p->state = TSN_PEER_CONNECTED;
    tsn_metric_add(&m->metrics->dtls_connected, 1);
    tsn_info("[room %u peer %llu] %s connected (%s)", p->room_id, (unsigned long long)p->id,
             tsn_peer_kind_name(p->kind), tsn_srtp_profile_name(keys.profile));
    tsn_room_on_connected(m, p);
    tsn_media_post_event(m, TSN_MEDIA_EV_CONNECTED, p->id, NULL);
}

void tsn_ice_on_dtls(struct tsn_media *m, struct tsn_peer *p, const uint8_t *buf, size_t len)
{
    if (!p->dtls) {
        tsn_metric_drop(m->metrics, TSN_DROP_NOT_READY);
        return;
    }
    enum tsn_dtls_state st = tsn_dtls_feed(p->dtls, buf, len);
    drain_dtls(m, p);
    if (st == TSN_DTLS_CONNECTED && p->state == TSN_PEER_DTLS) {
        on_dtls_connected(m, p);
    } else if (st == TSN_DTLS_FAILED) {
        tsn_metric_add(&m->metrics->dtls_failures, 1);
        tsn_warn("[room %u peer %llu] DTLS failed: %s", p->room_id, (unsigned long long)p->id,
                 tsn_dtls_error(p->dtls));
        tsn_media_kill_peer(m, p, tsn_dtls_error(p->dtls));
    } else if (st == TSN_DTLS_CLOSED) {
        tsn_media_kill_peer(m, p, "peer closed the DTLS session");
    }
}

void tsn_ice_on_timer(struct tsn_media *m, struct tsn_peer *p)
{
    uint64_t consent_us = (uint64_t)m->cfg->consent_timeout_s * 1000000u;
    if (p->state == TSN_PEER_DEAD)
        return;
    if (p->state == TSN_PEER_WAIT_ICE) {
        if (m->now_us - p->created_us > consent_us) {
            tsn_metric_add(&m->metrics->ice_timeouts, 1);
            tsn_media_kill_peer(m, p, "no ICE connectivity check arrived");
        }
        return;
    }
    if (m->now_us - p->last_consent_us > consent_us) {
        tsn_metric_add(&m->metrics->ice_timeouts, 1);
        tsn_media_kill_peer(m, p, "ICE consent expired");
        return;
    }
    if (p->state != TSN_PEER_DTLS)
        return;
    if (m->now_us - p->created_us > HANDSHAKE_TIMEOUT_US) {
        tsn_metric_add(&m->metrics->dtls_failures, 1);
        tsn_media_kill_peer(m, p, "DTLS handshake timed out");
        return;
    }
    int64_t due = tsn_dtls_timeout_us(p->dtls);
    if (due == 0) {
        enum tsn_dtls_state st = tsn_dtls_on_timer(p->dtls);
        drain_dtls(m, p);
        if (st == TSN_DTLS_FAILED) {
            tsn_metric_add(&m->metrics->dtls_failures, 1);
            tsn_media_kill_peer(m, p, tsn_dtls_error(p->dtls));
        }
    }
}
