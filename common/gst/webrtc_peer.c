/* webrtcbin negotiation for capture and view (see webrtc_peer.h).
 * webrtcbin calls back on its own threads; every callback only hops to the
 * main context (tsn_main_post), where the state below is read and
 * written, except the candidate list (under `lock`). A peer that is freed
 * while hops are queued is kept alive by a reference each hop holds. */
#include "webrtc_peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define GST_USE_UNSTABLE_API
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include "log.h"
#include "main_post.h"

#define GATHER_TIMEOUT_MS 3000

struct tsn_webrtc_peer {
    gint refs;
    GstElement *webrtc; /* (transfer full) */
    struct tsn_webrtc_peer_cb cb;
    GMainContext *ctx; /* (transfer full) */
    int connect_timeout_ms;
    int detached; /* freed by the owner: no more callbacks */
    int offer_requested;
    int offer_set;
    int gathering_done;
    int offer_sent;
    enum tsn_peer_state state;
    guint gather_timer;
    guint connect_timer;
    GMutex lock;         /* protects `candidates` (written on webrtcbin's threads) */
    GString *candidates; /* "a=candidate:...\r\n" lines of the bundled m-line */
};

static struct tsn_webrtc_peer *peer_ref(struct tsn_webrtc_peer *p)
{
    g_atomic_int_inc(&p->refs);
    return p;
}

static void peer_unref(gpointer data)
{
    struct tsn_webrtc_peer *p = data;
    if (!g_atomic_int_dec_and_test(&p->refs))
        return;
    gst_object_unref(p->webrtc);
    g_main_context_unref(p->ctx);
    g_string_free(p->candidates, TRUE);
    g_mutex_clear(&p->lock);
    g_free(p);
}

/* Runs `fn` on the peer's main context with a reference held. */
static void hop(struct tsn_webrtc_peer *p, GSourceFunc fn)
{
    tsn_main_post(p->ctx, fn, peer_ref(p), peer_unref);
}

static void set_state(struct tsn_webrtc_peer *p, enum tsn_peer_state s, const char *reason)
{
    if (p->state == s || p->detached || p->state == TSN_PEER_FAILED)
        return;
    p->state = s;
    if (s != TSN_PEER_CONNECTING && p->connect_timer) {
        g_source_remove(p->connect_timer);
        p->connect_timer = 0;
    }
    if (p->cb.state)
        p->cb.state(s, reason, p->cb.user);
}

/* ---- failures raised on webrtcbin's threads ---- */

struct fail_hop {
    struct tsn_webrtc_peer *p;
    char *reason;
};

static gboolean fail_on_main(gpointer data)
{
    struct fail_hop *f = data;
    set_state(f->p, TSN_PEER_FAILED, f->reason);
    peer_unref(f->p);
    g_free(f->reason);
    g_free(f);
    return G_SOURCE_REMOVE;
}

static void fail_any_thread(struct tsn_webrtc_peer *p, char *reason_take)
{
    struct fail_hop *f = g_new0(struct fail_hop, 1);
    f->p = peer_ref(p);
    f->reason = reason_take;
    tsn_main_post(p->ctx, fail_on_main, f, NULL);
}

static GError *reply_error(GstPromise *promise)
{
    const GstStructure *reply = gst_promise_get_reply(promise);
    GError *err = NULL;
    if (reply && gst_structure_has_field(reply, "error"))
        gst_structure_get(reply, "error", G_TYPE_ERROR, &err, NULL);
    return err;
}

/* ---- connection state ---- */

static gboolean connect_timeout(gpointer data)
{
    struct tsn_webrtc_peer *p = data;
    p->connect_timer = 0;
    char reason[128];
    snprintf(reason, sizeof reason, "ICE/DTLS did not connect within %d ms", p->connect_timeout_ms);
    set_state(p, TSN_PEER_FAILED, reason);
    return G_SOURCE_REMOVE;
}

static gboolean check_state_on_main(gpointer data)
{
    struct tsn_webrtc_peer *p = data;
    if (p->detached)
        return G_SOURCE_REMOVE;
    GstWebRTCPeerConnectionState pc = 0;
    GstWebRTCICEConnectionState ice = 0;
    g_object_get(p->webrtc, "connection-state", &pc, "ice-connection-state", &ice, NULL);
    if (pc == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
        set_state(p, TSN_PEER_CONNECTED, NULL);
    else if (pc == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ||
             ice == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
        set_state(p, TSN_PEER_FAILED, "ICE/DTLS failed (the relay stopped answering)");
    else if (p->state == TSN_PEER_CONNECTED &&
             (pc == GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED ||
              pc == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED ||
              ice == GST_WEBRTC_ICE_CONNECTION_STATE_DISCONNECTED))
        set_state(p, TSN_PEER_FAILED, "the media connection to the relay dropped");
    return G_SOURCE_REMOVE;
}

static void on_state_notify(GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
    hop(data, check_state_on_main);
}

/* ---- offer ---- */

char *tsn_webrtc_offer_with_candidates(const char *text, const char *candidate_lines)
{
    GString *out = g_string_new(text);
    if (strstr(text, "a=end-of-candidates"))
        return g_string_free(out, FALSE);
    GString *lines = g_string_new(strstr(text, "a=candidate:") ? "" : candidate_lines);
    g_string_append(lines, "a=end-of-candidates\r\n");
    const char *first_m = strstr(text, "\nm=");
    const char *second_m = first_m ? strstr(first_m + 1, "\nm=") : NULL;
    if (first_m)
        g_string_insert(out, second_m ? (gssize)(second_m - text) + 1 : (gssize)out->len,
                        lines->str);
    g_string_free(lines, TRUE);
    return g_string_free(out, FALSE);
}

static void send_offer(struct tsn_webrtc_peer *p)
{
    p->offer_sent = 1;
    if (p->gather_timer)
        g_source_remove(p->gather_timer);
    p->gather_timer = 0;
    GstWebRTCSessionDescription *local = NULL;
    g_object_get(p->webrtc, "local-description", &local, NULL);
    if (!local) {
        set_state(p, TSN_PEER_FAILED, "webrtcbin has no local description");
        return;
    }
    char *raw = gst_sdp_message_as_text(local->sdp);
    gst_webrtc_session_description_free(local);
    g_mutex_lock(&p->lock);
    char *offer = tsn_webrtc_offer_with_candidates(raw, p->candidates->str);
    g_mutex_unlock(&p->lock);
    g_free(raw);
    if (!p->detached && p->cb.offer)
        p->cb.offer(offer, p->cb.user);
    g_free(offer);
}

static void maybe_send_offer(struct tsn_webrtc_peer *p)
{
    if (p->offer_set && p->gathering_done && !p->offer_sent && p->state != TSN_PEER_FAILED)
        send_offer(p);
}

static gboolean gather_timeout(gpointer data)
{
    struct tsn_webrtc_peer *p = data;
    p->gather_timer = 0;
    /* The ICE-lite relay learns our address from our checks: go on. */
    tsn_warn("[peer] ICE gathering not complete after %d ms, sending the offer anyway",
             GATHER_TIMEOUT_MS);
    p->gathering_done = 1;
    maybe_send_offer(p);
    return G_SOURCE_REMOVE;
}

static gboolean local_set_on_main(gpointer data)
{
    struct tsn_webrtc_peer *p = data;
    if (p->detached)
        return G_SOURCE_REMOVE;
    p->offer_set = 1;
    if (!p->gathering_done && !p->gather_timer)
        p->gather_timer = g_timeout_add(GATHER_TIMEOUT_MS, gather_timeout, p);
    maybe_send_offer(p);
    return G_SOURCE_REMOVE;
}

static void on_local_set(GstPromise *promise, gpointer data)
{
    struct tsn_webrtc_peer *p = data;
    GError *err = reply_error(promise);
    gst_promise_unref(promise);
    if (err) {
        fail_any_thread(p, g_strdup_printf("webrtcbin rejected its own offer: %s", err->message));
        g_error_free(err);
        return;
    }
    hop(p, local_set_on_main);
}

static void on_offer_created(GstPromise *promise, gpointer data)
{
    struct tsn_webrtc_peer *p = data;
    GstWebRTCSessionDescription *offer = NULL;
    const GstStructure *reply = gst_promise_get_reply(promise);
    if (reply)
        gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
    GError *err = offer ? NULL : reply_error(promise);
    gst_promise_unref(promise);
    if (!offer) {
        fail_any_thread(p, g_strdup_printf("webrtcbin could not create an offer: %s",
                                           err ? err->message : "no offer"));
        g_clear_error(&err);
        return;
    }
    GstPromise *set = gst_promise_new_with_change_func(on_local_set, peer_ref(p), peer_unref);
    g_signal_emit_by_name(p->webrtc, "set-local-description", offer, set);
    gst_webrtc_session_description_free(offer);
}

static gboolean create_offer_on_main(gpointer data)
{
    struct tsn_webrtc_peer *p = data;
    if (p->offer_requested || p->detached)
        return G_SOURCE_REMOVE; /* one negotiation per connection */
    p->offer_requested = 1;
    p->state = TSN_PEER_CONNECTING;
    GstPromise *promise =
        gst_promise_new_with_change_func(on_offer_created, peer_ref(p), peer_unref);
    g_signal_emit_by_name(p->webrtc, "create-offer", NULL, promise);
    return G_SOURCE_REMOVE;
}

static void on_negotiation_needed(GstElement *webrtc, gpointer data)
{
    hop(data, create_offer_on_main);
}

static gboolean check_gathering_on_main(gpointer data)
{
    struct tsn_webrtc_peer *p = data;
    if (p->detached)
        return G_SOURCE_REMOVE;
    GstWebRTCICEGatheringState st = 0;
    g_object_get(p->webrtc, "ice-gathering-state", &st, NULL);
    if (st == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE && !p->gathering_done) {
        p->gathering_done = 1;
        maybe_send_offer(p);
    }
    return G_SOURCE_REMOVE;
}

static void on_gathering_notify(GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
    hop(data, check_gathering_on_main);
}

static void on_ice_candidate(GstElement *webrtc, guint mline, gchar *candidate, gpointer data)
{
    struct tsn_webrtc_peer *p = data;
    if (mline != 0 || !candidate || !*candidate)
        return; /* max-bundle: everything rides on the first m-line */
    g_mutex_lock(&p->lock);
    g_string_append_printf(p->candidates, "a=%s\r\n", candidate);
    g_mutex_unlock(&p->lock);
}

/* ---- answer ---- */

static void on_remote_set(GstPromise *promise, gpointer data)
{
    struct tsn_webrtc_peer *p = data;
    GError *err = reply_error(promise);
    gst_promise_unref(promise);
    if (err) {
        fail_any_thread(p,
                        g_strdup_printf("webrtcbin rejected the relay's answer: %s", err->message));
        g_error_free(err);
    }
}

int tsn_webrtc_peer_set_answer(struct tsn_webrtc_peer *p, const char *sdp, char *why,
                               size_t why_len)
{
    GstSDPMessage *msg = NULL;
    if (gst_sdp_message_new_from_text(sdp, &msg) != GST_SDP_OK ||
        gst_sdp_message_medias_len(msg) == 0) {
        if (msg)
            gst_sdp_message_free(msg);
        snprintf(why, why_len, "the relay's answer is not a usable SDP");
        return -EINVAL;
    }
    GstWebRTCSessionDescription *desc =
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, msg); /* takes msg */
    GstPromise *promise = gst_promise_new_with_change_func(on_remote_set, peer_ref(p), peer_unref);
    g_signal_emit_by_name(p->webrtc, "set-remote-description", desc, promise);
    gst_webrtc_session_description_free(desc);
    if (!p->connect_timer)
        p->connect_timer = g_timeout_add(p->connect_timeout_ms, connect_timeout, p);
    return 0;
}

/* ---- ICE policy ---- */

static int has_property(gpointer obj, const char *name)
{
    return g_object_class_find_property(G_OBJECT_GET_CLASS(obj), name) != NULL;
}

int tsn_webrtc_ice_policy(GstElement *webrtc, const char *const *local_ips, char *why,
                          size_t why_len)
{
    GObject *ice = NULL, *agent = NULL;
    int rc = -EINVAL;
    g_object_get(webrtc, "ice-agent", &ice, NULL); /* (transfer full) */
    if (!ice) {
        snprintf(why, why_len, "webrtcbin has no ICE agent");
        goto out;
    }
    for (const char *const *ip = local_ips; ip && *ip; ip++) {
        gboolean added = FALSE;
        /* Naming an address also turns libnice's interface discovery off. */
        g_signal_emit_by_name(ice, "add-local-ip-address", *ip, &added);
        if (!added) {
            snprintf(why, why_len, "cannot use local address %s for ICE", *ip);
            goto out;
        }
    }
    g_object_set(ice, "ice-tcp", FALSE, NULL); /* the relay speaks ICE over UDP only */
    if (has_property(ice, "agent"))
        g_object_get(ice, "agent", &agent, NULL);
    if (!agent || !has_property(agent, "upnp")) {
        snprintf(why, why_len, "cannot reach the libnice agent to turn UPnP off");
        goto out;
    }
    /* A medical device must not open ports on the hospital's router. */
    g_object_set(agent, "upnp", FALSE, NULL);
    rc = 0;
out:
    if (agent)
        g_object_unref(agent);
    if (ice)
        g_object_unref(ice);
    return rc;
}

/* ---- lifetime ---- */

struct tsn_webrtc_peer *tsn_webrtc_peer_new(GstElement *webrtc,
                                            const struct tsn_webrtc_peer_config *cfg,
                                            const struct tsn_webrtc_peer_cb *cb, char *why,
                                            size_t why_len)
{
    if (tsn_webrtc_ice_policy(webrtc, cfg ? cfg->local_ips : NULL, why, why_len) != 0)
        return NULL;
    struct tsn_webrtc_peer *p = g_new0(struct tsn_webrtc_peer, 1);
    p->refs = 1;
    p->webrtc = gst_object_ref(webrtc);
    p->cb = *cb;
    p->ctx = g_main_context_ref_thread_default();
    p->connect_timeout_ms = cfg && cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
    g_mutex_init(&p->lock);
    p->candidates = g_string_new("");
    g_object_set(webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
    if (cfg && cfg->jitter_latency_ms > 0)
        g_object_set(webrtc, "latency", (guint)cfg->jitter_latency_ms, NULL);
    g_signal_connect(webrtc, "on-negotiation-needed", G_CALLBACK(on_negotiation_needed), p);
    g_signal_connect(webrtc, "on-ice-candidate", G_CALLBACK(on_ice_candidate), p);
    g_signal_connect(webrtc, "notify::ice-gathering-state", G_CALLBACK(on_gathering_notify), p);
    g_signal_connect(webrtc, "notify::ice-connection-state", G_CALLBACK(on_state_notify), p);
    g_signal_connect(webrtc, "notify::connection-state", G_CALLBACK(on_state_notify), p);
    return p;
}

enum tsn_peer_state tsn_webrtc_peer_state(const struct tsn_webrtc_peer *p)
{
    return p->state;
}

void tsn_webrtc_peer_free(struct tsn_webrtc_peer *p)
{
    if (!p)
        return;
    p->detached = 1;
    g_signal_handlers_disconnect_by_data(p->webrtc, p);
    if (p->gather_timer)
        g_source_remove(p->gather_timer);
    if (p->connect_timer)
        g_source_remove(p->connect_timer);
    p->gather_timer = p->connect_timer = 0;
    peer_unref(p);
}

/* ---- statistics ---- */

GstStructure *tsn_webrtc_peer_stats(struct tsn_webrtc_peer *p)
{
    GstPromise *promise = gst_promise_new();
    g_signal_emit_by_name(p->webrtc, "get-stats", NULL, promise);
    GstStructure *copy = NULL;
    if (gst_promise_wait(promise) == GST_PROMISE_RESULT_REPLIED) {
        const GstStructure *reply = gst_promise_get_reply(promise);
        if (reply)
            copy = gst_structure_copy(reply);
    }
    gst_promise_unref(promise);
    return copy;
}

const GstStructure *tsn_webrtc_stats_find(const GstStructure *stats, int type)
{
    int n = stats ? gst_structure_n_fields(stats) : 0;
    for (int i = 0; i < n; i++) {
        const GValue *v = gst_structure_get_value(stats, gst_structure_nth_field_name(stats, i));
        if (!v || !GST_VALUE_HOLDS_STRUCTURE(v))
            continue;
        const GstStructure *s = gst_value_get_structure(v);
        GstWebRTCStatsType t = 0;
        if (gst_structure_get(s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &t, NULL) && (int)t == type)
            return s;
    }
    return NULL;
}

gint64 tsn_webrtc_stats_int(const GstStructure *s, const char *field, gint64 fallback)
{
    const GValue *v = s ? gst_structure_get_value(s, field) : NULL;
    if (!v || !g_value_type_transformable(G_VALUE_TYPE(v), G_TYPE_INT64))
        return fallback;
    GValue out = G_VALUE_INIT;
    g_value_init(&out, G_TYPE_INT64);
    gint64 r = g_value_transform(v, &out) ? g_value_get_int64(&out) : fallback;
    g_value_unset(&out);
    return r;
}

int tsn_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (!host)
        return 0;
    if (strcmp(host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}
