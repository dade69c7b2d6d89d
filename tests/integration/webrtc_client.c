/* WHIP/WHEP session driver for the test clients (see webrtc_client.h).
 * webrtcbin calls back on its own threads; every such callback only hops to
 * the main context (tsn_main_post), where all state below is read
 * and written, so the struct needs no lock except for the candidate list. */
#include "webrtc_client.h"

#include "https_client.h"
#include "main_post.h"
#include "webrtc_peer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#define GATHER_TIMEOUT_MS 5000

struct tsn_wc {
    GstElement *pipeline; /* borrowed */
    GstElement *webrtc;   /* borrowed */
    char *url;
    char *token;
    struct tsn_wc_callbacks cb;
    GMainContext *ctx; /* (transfer full) where callbacks run */
    guint bus_watch;
    guint connect_timer;
    guint gather_timer;
    int connect_timeout_ms;
    int offer_requested;
    int offer_set;
    int gathering_done;
    int posted;
    int connected;
    int failed;
    char *location_url;
    gint64 post_us;
    gint64 connected_us;
    int last_ice; /* states last logged */
    int last_pc;
    GMutex lock;         /* protects `candidates` (written on webrtcbin's threads) */
    GString *candidates; /* "a=candidate:...\r\n" lines for the bundled m-line */
};

/* A failure raised on another thread, carried to the main context. */
struct fail_msg {
    struct tsn_wc *wc;
    enum tsn_wc_failure why;
    char *text;
};

static void fail(struct tsn_wc *wc, enum tsn_wc_failure why, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static void fail(struct tsn_wc *wc, enum tsn_wc_failure why, const char *fmt, ...)
{
    if (wc->failed)
        return;
    wc->failed = 1;
    if (wc->connect_timer)
        g_source_remove(wc->connect_timer);
    if (wc->gather_timer)
        g_source_remove(wc->gather_timer);
    wc->connect_timer = wc->gather_timer = 0;
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", text);
    if (wc->cb.failed)
        wc->cb.failed(why, text, wc->cb.user);
    g_free(text);
}

static gboolean fail_on_main(gpointer data)
{
    struct fail_msg *m = data;
    fail(m->wc, m->why, "%s", m->text);
    g_free(m->text);
    g_free(m);
    return G_SOURCE_REMOVE;
}

static void fail_any_thread(struct tsn_wc *wc, enum tsn_wc_failure why, char *text_take)
{
    struct fail_msg *m = g_new0(struct fail_msg, 1);
    m->wc = wc;
    m->why = why;
    m->text = text_take;
    tsn_main_post(wc->ctx, fail_on_main, m, NULL);
}

/* The GError in a promise reply, if any (transfer full), else NULL. */
static GError *reply_error(GstPromise *promise)
{
    const GstStructure *reply = gst_promise_get_reply(promise);
    GError *err = NULL;
    if (reply && gst_structure_has_field(reply, "error"))
        gst_structure_get(reply, "error", G_TYPE_ERROR, &err, NULL);
    return err;
}

/* ---- connection state ---- */

/* "checking", "connected"...: the enum's nick (static storage). */
static const char *state_nick(GType type, int value)
{
    GEnumClass *klass = g_type_class_ref(type);
    GEnumValue *v = g_enum_get_value(klass, value);
    const char *nick = v ? v->value_nick : "?";
    g_type_class_unref(klass); /* the class of a registered enum stays alive */
    return nick;
}

static gboolean on_connect_timeout(gpointer data)
{
    struct tsn_wc *wc = data;
    wc->connect_timer = 0;
    GstWebRTCICEConnectionState ice = 0;
    GstWebRTCPeerConnectionState pc = 0;
    g_object_get(wc->webrtc, "ice-connection-state", &ice, "connection-state", &pc, NULL);
    fail(wc, TSN_WC_FAIL_CONNECT,
         "ICE/DTLS did not connect within %d ms (ice-connection-state=%s, connection-state=%s)",
         wc->connect_timeout_ms, state_nick(GST_TYPE_WEBRTC_ICE_CONNECTION_STATE, (int)ice),
         state_nick(GST_TYPE_WEBRTC_PEER_CONNECTION_STATE, (int)pc));
    return G_SOURCE_REMOVE;
}

static gboolean check_connection_on_main(gpointer data)
{
    struct tsn_wc *wc = data;
    GstWebRTCICEConnectionState ice = 0;
    GstWebRTCPeerConnectionState pc = 0;
    g_object_get(wc->webrtc, "ice-connection-state", &ice, "connection-state", &pc, NULL);
    if ((int)ice != wc->last_ice || (int)pc != wc->last_pc) {
        /* The timeline of a slow or failed connection is the first thing to look at. */
        fprintf(stderr,
                "+%" G_GINT64_FORMAT
                " ms after POST: ice-connection-state=%s connection-state=%s\n",
                wc->post_us ? (g_get_monotonic_time() - wc->post_us) / 1000 : 0,
                state_nick(GST_TYPE_WEBRTC_ICE_CONNECTION_STATE, (int)ice),
                state_nick(GST_TYPE_WEBRTC_PEER_CONNECTION_STATE, (int)pc));
        wc->last_ice = (int)ice;
        wc->last_pc = (int)pc;
    }
    if (pc == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !wc->connected && !wc->failed) {
        wc->connected = 1;
        wc->connected_us = g_get_monotonic_time();
        if (wc->connect_timer)
            g_source_remove(wc->connect_timer);
        wc->connect_timer = 0;
        fprintf(stderr, "connected after %" G_GINT64_FORMAT " ms\n", tsn_wc_connect_ms(wc));
        if (wc->cb.connected)
            wc->cb.connected(wc->cb.user);
        return G_SOURCE_REMOVE;
    }
    int broken = pc == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ||
                 ice == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED;
    if (broken && !wc->connected) {
        fail(wc, TSN_WC_FAIL_CONNECT, "ICE/DTLS failed before connecting (see the states above)");
    } else if (wc->connected && (broken || pc == GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED ||
                                 pc == GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED)) {
        fprintf(stderr, "warning: the connection dropped after it was up\n");
    }
    return G_SOURCE_REMOVE;
}

static void on_state_notify(GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
    struct tsn_wc *wc = data;
    g_main_context_invoke(wc->ctx, check_connection_on_main, wc);
}

/* ---- answer ---- */

static void on_remote_set(GstPromise *promise, gpointer data)
{
    struct tsn_wc *wc = data;
    GError *err = reply_error(promise);
    if (err) {
        fail_any_thread(wc, TSN_WC_FAIL_SDP,
                        g_strdup_printf("webrtcbin rejected the answer: %s", err->message));
        g_error_free(err);
    }
    gst_promise_unref(promise);
}

static int apply_answer(struct tsn_wc *wc, const char *text)
{
    GstSDPMessage *sdp = NULL;
    if (gst_sdp_message_new_from_text(text, &sdp) != GST_SDP_OK ||
        gst_sdp_message_medias_len(sdp) == 0) {
        if (sdp)
            gst_sdp_message_free(sdp);
        fail(wc, TSN_WC_FAIL_SDP, "the answer is not a usable SDP:\n%s", text);
        return -1;
    }
    if (wc->cb.edit_answer) {
        int rc = wc->cb.edit_answer(sdp, wc->cb.user);
        if (rc < 0) {
            gst_sdp_message_free(sdp);
            fail(wc, TSN_WC_FAIL_SDP, "cannot use the answer (code %d):\n%s", rc, text);
            return -1;
        }
    }
    /* The description takes the SDP message. */
    GstWebRTCSessionDescription *desc =
        gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
    GstPromise *promise = gst_promise_new_with_change_func(on_remote_set, wc, NULL);
    g_signal_emit_by_name(wc->webrtc, "set-remote-description", desc, promise);
    gst_webrtc_session_description_free(desc);
    wc->connect_timer = g_timeout_add(wc->connect_timeout_ms, on_connect_timeout, wc);
    return 0;
}

/* ---- offer ---- */

static void post_offer(struct tsn_wc *wc)
{
    wc->posted = 1;
    if (wc->gather_timer)
        g_source_remove(wc->gather_timer);
    wc->gather_timer = 0;

    GstWebRTCSessionDescription *local = NULL;
    g_object_get(wc->webrtc, "local-description", &local, NULL);
    if (!local) {
        fail(wc, TSN_WC_FAIL_SDP, "webrtcbin has no local description to send");
        return;
    }
    char *raw = gst_sdp_message_as_text(local->sdp);
    gst_webrtc_session_description_free(local);
    g_mutex_lock(&wc->lock);
    char *offer = tsn_webrtc_offer_with_candidates(raw, wc->candidates->str);
    g_mutex_unlock(&wc->lock);
    g_free(raw);
    if (wc->cb.edit_offer)
        wc->cb.edit_offer(&offer, wc->cb.user);
    if (g_getenv("TSN_DUMP_SDP"))
        fprintf(stderr, "---- offer ----\n%s", offer);

    wc->post_us = g_get_monotonic_time();
    struct tsn_https_response resp;
    int rc = tsn_https_request("POST", wc->url, "application/sdp", wc->token, offer, strlen(offer),
                               &resp);
    g_free(offer);
    if (rc < 0) {
        fail(wc, TSN_WC_FAIL_HTTP, "POST %s: %s", wc->url, tsn_https_strerror(rc));
        return;
    }
    if (resp.status != 201) {
        fail(wc, TSN_WC_FAIL_HTTP, "POST %s: HTTP %d (expected 201): %.400s", wc->url, resp.status,
             resp.body);
    } else if (!resp.location ||
               !(wc->location_url = tsn_https_resolve_location(wc->url, resp.location))) {
        fail(wc, TSN_WC_FAIL_HTTP, "POST %s: 201 without a usable Location header", wc->url);
    } else {
        if (g_getenv("TSN_DUMP_SDP"))
            fprintf(stderr, "---- answer (Location %s) ----\n%s", resp.location, resp.body);
        apply_answer(wc, resp.body);
    }
    tsn_https_response_clear(&resp);
}

static void maybe_post(struct tsn_wc *wc)
{
    if (wc->offer_set && wc->gathering_done && !wc->posted && !wc->failed)
        post_offer(wc);
}

static gboolean on_gather_timeout(gpointer data)
{
    struct tsn_wc *wc = data;
    wc->gather_timer = 0;
    /* An ICE-lite relay learns our address from our checks: go on without. */
    fprintf(stderr, "warning: ICE gathering not complete after %d ms, posting anyway\n",
            GATHER_TIMEOUT_MS);
    wc->gathering_done = 1;
    maybe_post(wc);
    return G_SOURCE_REMOVE;
}

static gboolean on_local_set_main(gpointer data)
{
    struct tsn_wc *wc = data;
    wc->offer_set = 1;
    if (!wc->gathering_done && !wc->failed)
        wc->gather_timer = g_timeout_add(GATHER_TIMEOUT_MS, on_gather_timeout, wc);
    maybe_post(wc);
    return G_SOURCE_REMOVE;
}

static void on_local_set(GstPromise *promise, gpointer data)
{
    struct tsn_wc *wc = data;
    GError *err = reply_error(promise);
    gst_promise_unref(promise);
    if (err) {
        fail_any_thread(wc, TSN_WC_FAIL_SDP,
                        g_strdup_printf("webrtcbin rejected its own offer: %s", err->message));
        g_error_free(err);
        return;
    }
    g_main_context_invoke(wc->ctx, on_local_set_main, wc);
}

static void on_offer_created(GstPromise *promise, gpointer data)
{
    struct tsn_wc *wc = data;
    GstWebRTCSessionDescription *offer = NULL;
    const GstStructure *reply = gst_promise_get_reply(promise);
    if (reply)
        gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
    GError *err = offer ? NULL : reply_error(promise);
    gst_promise_unref(promise);
    if (!offer) {
        fail_any_thread(
            wc, TSN_WC_FAIL_SDP,
            g_strdup_printf("create-offer failed: %s", err ? err->message : "no offer"));
        g_clear_error(&err);
        return;
    }
    GstPromise *set = gst_promise_new_with_change_func(on_local_set, wc, NULL);
    g_signal_emit_by_name(wc->webrtc, "set-local-description", offer, set);
    gst_webrtc_session_description_free(offer);
}

static gboolean create_offer_on_main(gpointer data)
{
    struct tsn_wc *wc = data;
    if (wc->offer_requested || wc->failed)
        return G_SOURCE_REMOVE; /* one negotiation per session, no renegotiation */
    wc->offer_requested = 1;
    GstPromise *promise = gst_promise_new_with_change_func(on_offer_created, wc, NULL);
    g_signal_emit_by_name(wc->webrtc, "create-offer", NULL, promise);
    return G_SOURCE_REMOVE;
}

static void on_negotiation_needed(GstElement *webrtc, gpointer data)
{
    struct tsn_wc *wc = data;
    g_main_context_invoke(wc->ctx, create_offer_on_main, wc);
}

static gboolean check_gathering_on_main(gpointer data)
{
    struct tsn_wc *wc = data;
    GstWebRTCICEGatheringState state = 0;
    g_object_get(wc->webrtc, "ice-gathering-state", &state, NULL);
    if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE && !wc->gathering_done) {
        wc->gathering_done = 1;
        maybe_post(wc);
    }
    return G_SOURCE_REMOVE;
}

static void on_gathering_notify(GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
    struct tsn_wc *wc = data;
    g_main_context_invoke(wc->ctx, check_gathering_on_main, wc);
}

static void on_ice_candidate(GstElement *webrtc, guint mline, gchar *candidate, gpointer data)
{
    struct tsn_wc *wc = data;
    if (mline != 0 || !candidate || !*candidate)
        return; /* max-bundle: everything rides on the first m-line */
    g_mutex_lock(&wc->lock);
    g_string_append_printf(wc->candidates, "a=%s\r\n", candidate);
    g_mutex_unlock(&wc->lock);
}

/* ---- bus ---- */

static gboolean on_bus_message(GstBus *bus, GstMessage *msg, gpointer data)
{
    struct tsn_wc *wc = data;
    GError *err = NULL;
    char *debug = NULL;
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR:
        gst_message_parse_error(msg, &err, &debug);
        fail(wc, TSN_WC_FAIL_PIPELINE, "pipeline error from %s: %s (%s)", GST_OBJECT_NAME(msg->src),
             err->message, debug ? debug : "no details");
        break;
    case GST_MESSAGE_WARNING:
        gst_message_parse_warning(msg, &err, &debug);
        fprintf(stderr, "warning from %s: %s\n", GST_OBJECT_NAME(msg->src), err->message);
        break;
    default:
        break;
    }
    g_clear_error(&err);
    g_free(debug);
    return G_SOURCE_CONTINUE;
}

static int has_property(gpointer obj, const char *name)
{
    return g_object_class_find_property(G_OBJECT_GET_CLASS(obj), name) != NULL;
}

/* ---- lifetime ---- */

struct tsn_wc *tsn_wc_new(GstElement *pipeline, GstElement *webrtc, const char *url,
                          const char *token, const struct tsn_wc_callbacks *cb)
{
    struct tsn_wc *wc = g_new0(struct tsn_wc, 1);
    wc->pipeline = pipeline;
    wc->webrtc = webrtc;
    wc->url = g_strdup(url);
    wc->token = g_strdup(token);
    if (cb)
        wc->cb = *cb;
    wc->ctx = g_main_context_ref_thread_default();
    g_mutex_init(&wc->lock);
    wc->candidates = g_string_new("");
    return wc;
}

void tsn_wc_free(struct tsn_wc *wc)
{
    if (!wc)
        return;
    if (wc->bus_watch)
        g_source_remove(wc->bus_watch);
    if (wc->connect_timer)
        g_source_remove(wc->connect_timer);
    if (wc->gather_timer)
        g_source_remove(wc->gather_timer);
    if (wc->webrtc)
        g_signal_handlers_disconnect_by_data(wc->webrtc, wc);
    g_main_context_unref(wc->ctx);
    g_string_free(wc->candidates, TRUE);
    g_mutex_clear(&wc->lock);
    g_free(wc->location_url);
    g_free(wc->url);
    g_free(wc->token);
    g_free(wc);
}

int tsn_wc_start(struct tsn_wc *wc, int connect_timeout_ms)
{
    /* Loopback only: nothing a test starts may leave the machine. */
    static const char *const loopback[] = {"127.0.0.1", NULL};
    char why[256];
    if (tsn_webrtc_ice_policy(wc->webrtc, loopback, why, sizeof why) < 0) {
        fprintf(stderr, "%s\n", why);
        return -1;
    }
    wc->connect_timeout_ms = connect_timeout_ms;
    g_signal_connect(wc->webrtc, "on-negotiation-needed", G_CALLBACK(on_negotiation_needed), wc);
    g_signal_connect(wc->webrtc, "on-ice-candidate", G_CALLBACK(on_ice_candidate), wc);
    g_signal_connect(wc->webrtc, "notify::ice-gathering-state", G_CALLBACK(on_gathering_notify),
                     wc);
    g_signal_connect(wc->webrtc, "notify::ice-connection-state", G_CALLBACK(on_state_notify), wc);
    g_signal_connect(wc->webrtc, "notify::connection-state", G_CALLBACK(on_state_notify), wc);
    GstBus *bus = gst_pipeline_get_bus(GST_PIPELINE(wc->pipeline));
    wc->bus_watch = gst_bus_add_watch(bus, on_bus_message, wc);
    gst_object_unref(bus);
    return 0;
}

int tsn_wc_is_connected(const struct tsn_wc *wc)
{
    return wc->connected;
}

gint64 tsn_wc_post_time_us(const struct tsn_wc *wc)
{
    return wc->post_us;
}

gint64 tsn_wc_connect_ms(const struct tsn_wc *wc)
{
    return wc->connected ? (wc->connected_us - wc->post_us) / 1000 : -1;
}

int tsn_wc_delete(struct tsn_wc *wc)
{
    if (!wc->location_url)
        return 0;
    struct tsn_https_response resp;
    int rc = tsn_https_request("DELETE", wc->location_url, NULL, wc->token, NULL, 0, &resp);
    if (rc < 0) {
        fprintf(stderr, "DELETE %s: %s\n", wc->location_url, tsn_https_strerror(rc));
        return rc;
    }
    if (resp.status < 200 || resp.status > 299)
        fprintf(stderr, "DELETE %s: HTTP %d: %.300s\n", wc->location_url, resp.status, resp.body);
    rc = resp.status;
    tsn_https_response_clear(&resp);
    return rc;
}

/* ---- statistics ---- */

GstStructure *tsn_wc_get_stats(struct tsn_wc *wc)
{
    GstPromise *promise = gst_promise_new();
    g_signal_emit_by_name(wc->webrtc, "get-stats", NULL, promise);
    GstStructure *copy = NULL;
    if (gst_promise_wait(promise) == GST_PROMISE_RESULT_REPLIED) {
        const GstStructure *reply = gst_promise_get_reply(promise);
        if (reply)
            copy = gst_structure_copy(reply);
    }
    gst_promise_unref(promise);
    return copy;
}

gint64 tsn_wc_sum_element_stat(GstElement *bin, const char *factory_name, const char *prop,
                               const char *field)
{
    gint64 sum = -1;
    GstIterator *it = gst_bin_iterate_recurse(GST_BIN(bin));
    GValue item = G_VALUE_INIT;
    gboolean done = FALSE;
    while (!done) {
        switch (gst_iterator_next(it, &item)) {
        case GST_ITERATOR_OK: {
            GstElement *el = g_value_get_object(&item);
            GstElementFactory *f = gst_element_get_factory(el);
            if (f && strcmp(GST_OBJECT_NAME(f), factory_name) == 0 && has_property(el, prop)) {
                GstStructure *st = NULL;
                g_object_get(el, prop, &st, NULL);
                gint64 v = tsn_webrtc_stats_int(st, field, -1);
                if (v >= 0)
                    sum = (sum < 0 ? 0 : sum) + v;
                if (st)
                    gst_structure_free(st);
            }
            g_value_reset(&item);
            break;
        }
        case GST_ITERATOR_RESYNC:
            gst_iterator_resync(it);
            sum = -1;
            break;
        default:
            done = TRUE;
            break;
        }
    }
    g_value_unset(&item);
    gst_iterator_free(it);
    return sum;
}

void tsn_wc_json_string(GString *out, const char *s)
{
    if (!s) {
        g_string_append(out, "null");
        return;
    }
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_printf(out, "\\%c", *p);
        else if (*p < 0x20)
            g_string_append_printf(out, "\\u%04x", *p);
        else
            g_string_append_c(out, (char)*p);
    }
    g_string_append_c(out, '"');
}
