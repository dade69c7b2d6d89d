/* telesono-view session (see view.h).
 *
 * Everything here runs on the main context. A connection (struct conn) is
 * never freed from inside one of its own callbacks: a failure marks it and
 * an idle source tears it down, then a timer (the backoff) starts the next
 * one. Streaming threads (pad-added) reach the main context through
 * tsn_main_post with the connection's id, so a message about a
 * connection that is already gone is dropped. */
#include "view.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "abs_capture_time.h"
#include "backoff.h"
#include "exit_codes.h"
#include "frame_dump.h"
#include "log.h"
#include "main_post.h"
#include "sig_client.h"
#include "sig_reply.h"
#include "view_annot.h"
#include "view_decode.h"
#include "view_stats.h"
#include "webrtc_peer.h"

#define BACKOFF_MIN_MS        200
#define BACKOFF_MAX_MS        2000
#define PEER_CONNECT_MS       5000 /* ICE + DTLS after the answer; on loopback < 1 s */
#define NO_FRAME_RECONNECT_MS 3000
#define TICK_MS               1000
#define FASTSTART_MIN_PACKETS 2
#define SUBSCRIBE_ID          1

struct tsn_view;

struct conn {
    struct tsn_view *v;
    unsigned id;
    struct tsn_sig_client *sig;
    GstElement *pipeline; /* (transfer full, nullable) built at welcome */
    GstElement *webrtc;   /* (borrowed from pipeline) */
    struct tsn_webrtc_peer *peer;
    guint bus_watch;
    gint linked;   /* atomic: a decoder chain was linked */
    int connected; /* the WebRTC peer connected */
    int64_t connected_us;
    int failing;
    char session[33];
};

struct tsn_view {
    const struct tsn_view_opts *o;
    const char *token; /* (borrowed) never logged */
    GMainLoop *loop;
    struct tsn_view_stats *stats;
    struct tsn_frame_dump *dump;  /* (nullable) */
    struct tsn_view_annot *annot; /* (nullable: --no-annotations) outlives every pipeline */
    gint dump_index;              /* atomic, streaming threads */
    struct tsn_backoff backoff;
    struct conn *conn; /* (nullable) the one connection */
    unsigned next_conn_id;
    int ever_connected;
    int finishing;
    int exit_code;
    int stream_known; /* the relay told us about the stream (live or not) */
    int stream_live;
    char last_failure[256];
    const char *local_ips[2];
    guint retry_timer, tick_timer, duration_timer, deadline_timer, teardown_idle, finish_idle;
    guint sigint_watch, sigterm_watch;
};

static void connect_start(struct tsn_view *v);
static void poll_rtcp(struct tsn_view *v, struct conn *c);

/* ---- ending the run ---- */

static void conn_free(struct conn *c)
{
    if (!c)
        return;
    tsn_webrtc_peer_free(c->peer);
    if (c->webrtc)
        g_signal_handlers_disconnect_by_data(c->webrtc, c);
    if (c->pipeline) {
        gst_element_set_state(c->pipeline, GST_STATE_NULL);
        gst_object_unref(c->pipeline);
    }
    if (c->bus_watch)
        g_source_remove(c->bus_watch);
    tsn_sig_client_free(c->sig);
    g_free(c);
}

/* The connection's last receiver counters, then its end (stats totals). */
static void close_conn(struct tsn_view *v)
{
    struct conn *c = v->conn;
    if (!c)
        return;
    if (c->connected && c->peer)
        poll_rtcp(v, c);
    tsn_view_stats_connection_closed(v->stats);
    v->conn = NULL;
    conn_free(c);
    if (v->annot)
        tsn_view_annot_reset_pointers(v->annot);
}

static void remove_source(guint *id)
{
    if (*id)
        g_source_remove(*id);
    *id = 0;
}

static gboolean finish_idle(gpointer data)
{
    struct tsn_view *v = data;
    v->finish_idle = 0;
    close_conn(v);
    g_main_loop_quit(v->loop);
    return G_SOURCE_REMOVE;
}

/* Ends the run with `code`; the message is printed once (an error for a
 * non-zero code). Safe from any callback: the teardown runs from idle. */
static void finish(struct tsn_view *v, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void finish(struct tsn_view *v, int code, const char *fmt, ...)
{
    if (v->finishing)
        return;
    v->finishing = 1;
    v->exit_code = code;
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (code == TSN_EXIT_OK)
        tsn_info("[view] %s", text);
    else
        tsn_err("[view] %s", text);
    g_free(text);
    tsn_view_stats_set_state(v->stats, "stopped");
    remove_source(&v->retry_timer);
    remove_source(&v->deadline_timer);
    remove_source(&v->teardown_idle);
    v->finish_idle = g_idle_add(finish_idle, v);
}

/* ---- reconnecting ---- */

static gboolean retry_timer(gpointer data)
{
    struct tsn_view *v = data;
    v->retry_timer = 0;
    connect_start(v);
    return G_SOURCE_REMOVE;
}

static gboolean teardown_idle(gpointer data)
{
    struct tsn_view *v = data;
    v->teardown_idle = 0;
    close_conn(v);
    /* Before the first success the deadline timer ends the retries. */
    int delay_ms = tsn_backoff_next_ms(&v->backoff);
    if (v->ever_connected)
        tsn_view_stats_set_state(v->stats, "reconnecting");
    tsn_info("[view] reconnecting in %d ms", delay_ms);
    v->retry_timer = g_timeout_add((guint)delay_ms, retry_timer, v);
    return G_SOURCE_REMOVE;
}

/* The connection failed or closed: log why, tear it down from idle, retry. */
static void conn_fail(struct conn *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void conn_fail(struct conn *c, const char *fmt, ...)
{
    struct tsn_view *v = c->v;
    if (v->finishing || c != v->conn || c->failing)
        return;
    c->failing = 1;
    va_list ap;
    va_start(ap, fmt);
    g_vsnprintf(v->last_failure, sizeof v->last_failure, fmt, ap);
    va_end(ap);
    tsn_warn("[view conn %u] %s", c->id, v->last_failure);
    v->teardown_idle = g_idle_add(teardown_idle, v);
}

/* A failure seen on a streaming thread, carried to the main context. */
struct conn_msg {
    struct tsn_view *v;
    unsigned conn_id;
    char *text;
};

static gboolean conn_msg_on_main(gpointer data)
{
    struct conn_msg *m = data;
    if (m->v->conn && m->v->conn->id == m->conn_id)
        conn_fail(m->v->conn, "%s", m->text);
    g_free(m->text);
    g_free(m);
    return G_SOURCE_REMOVE;
}

static void conn_fail_any_thread(struct conn *c, const char *text)
{
    struct conn_msg *m = g_new0(struct conn_msg, 1);
    m->v = c->v;
    m->conn_id = c->id;
    m->text = g_strdup(text);
    tsn_main_post(NULL, conn_msg_on_main, m, NULL);
}

/* ---- the media pipeline ---- */

static void on_pad_added(GstElement *webrtc, GstPad *pad, gpointer data)
{
    struct conn *c = data;
    struct tsn_view *v = c->v;
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC ||
        !g_atomic_int_compare_and_exchange(&c->linked, 0, 1))
        return;
    struct tsn_view_decode_cfg cfg = {.window = !v->o->headless,
                                      .dump = v->dump,
                                      .dump_gray = v->o->dump_gray,
                                      .annot = v->annot,
                                      .stats = v->stats,
                                      .dump_index = &v->dump_index,
                                      .conn_id = c->id};
    char codec[32], why[256];
    if (tsn_view_decode_link(c->pipeline, pad, &cfg, codec, sizeof codec, why, sizeof why) < 0) {
        conn_fail_any_thread(c, why);
        return;
    }
    tsn_view_stats_set_codec(v->stats, codec);
    tsn_info("[view conn %u] receiving %s", c->id, codec);
}

/* rtpjitterbuffer holds the first packet for its whole latency unless fast
 * start is on: show the first decodable frame at once. */
static void on_deep_element_added(GstBin *pipeline, GstBin *sub_bin, GstElement *element,
                                  gpointer data)
{
    GstElementFactory *f = gst_element_get_factory(element);
    if (f && strcmp(GST_OBJECT_NAME(f), "rtpjitterbuffer") == 0 &&
        g_object_class_find_property(G_OBJECT_GET_CLASS(element), "faststart-min-packets"))
        g_object_set(element, "faststart-min-packets", (guint)FASTSTART_MIN_PACKETS, NULL);
}

/* autovideosink's "Output window was closed" (xvimagesink, glimagesink...). */
static int is_window_closed(const GError *err)
{
    return g_error_matches(err, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND) && err->message &&
           strstr(err->message, "closed") != NULL;
}

static gboolean on_bus_message(GstBus *bus, GstMessage *msg, gpointer data)
{
    struct conn *c = data;
    GError *err = NULL;
    char *debug = NULL;
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR:
        gst_message_parse_error(msg, &err, &debug);
        if (tsn_view_decode_from_display(msg) && is_window_closed(err))
            finish(c->v, TSN_EXIT_OK, "the window was closed");
        else if (tsn_view_decode_from_display(msg))
            /* Reconnecting will not bring a display back. */
            finish(c->v, TSN_EXIT_PIPELINE, "cannot show the video: %s (use --headless?)",
                   err->message);
        else
            conn_fail(c, "pipeline error from %s: %s", GST_OBJECT_NAME(msg->src), err->message);
        tsn_debug("[view conn %u] error details: %s", c->id, debug ? debug : "none");
        break;
    case GST_MESSAGE_WARNING:
        gst_message_parse_warning(msg, &err, &debug);
        tsn_warn("[view conn %u] %s: %s", c->id, GST_OBJECT_NAME(msg->src), err->message);
        break;
    default:
        break;
    }
    g_clear_error(&err);
    g_free(debug);
    return G_SOURCE_CONTINUE;
}

static int add_recv_transceiver(GstElement *webrtc)
{
    GstCaps *caps = tsn_view_decode_recv_caps();
    GstWebRTCRTPTransceiver *trans = NULL;
    g_signal_emit_by_name(webrtc, "add-transceiver", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY,
                          caps, &trans);
    gst_caps_unref(caps);
    if (!trans)
        return -EINVAL;
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(trans), "do-nack"))
        g_object_set(trans, "do-nack", TRUE, NULL);
    gst_object_unref(trans);
    return 0;
}

static void on_peer_offer(const char *sdp, void *user);
static void on_peer_state(enum tsn_peer_state state, const char *reason, void *user);

/* Builds webrtcbin with its recvonly transceiver and starts negotiating. */
static int start_media(struct conn *c, char *why, size_t why_len)
{
    struct tsn_view *v = c->v;
    char name[32];
    g_snprintf(name, sizeof name, "view-%u", c->id);
    c->pipeline = gst_pipeline_new(name);
    c->webrtc = gst_element_factory_make("webrtcbin", "webrtc");
    if (!c->webrtc) {
        g_snprintf(why, why_len, "GStreamer element 'webrtcbin' is missing");
        return -ENOENT;
    }
    g_object_set(c->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
                 (guint)v->o->latency_ms, NULL);
    gst_bin_add(GST_BIN(c->pipeline), c->webrtc);
    if (add_recv_transceiver(c->webrtc) < 0) {
        g_snprintf(why, why_len, "webrtcbin refused a recvonly video transceiver");
        return -EINVAL;
    }
    g_signal_connect(c->webrtc, "pad-added", G_CALLBACK(on_pad_added), c);
    g_signal_connect(c->pipeline, "deep-element-added", G_CALLBACK(on_deep_element_added), NULL);
    struct tsn_webrtc_peer_config cfg = {.local_ips = v->local_ips[0] ? v->local_ips : NULL,
                                         .connect_timeout_ms = PEER_CONNECT_MS,
                                         .jitter_latency_ms = v->o->latency_ms};
    struct tsn_webrtc_peer_cb cb = {.offer = on_peer_offer, .state = on_peer_state, .user = c};
    c->peer = tsn_webrtc_peer_new(c->webrtc, &cfg, &cb, why, why_len);
    if (!c->peer)
        return -EINVAL;
    GstBus *bus = gst_pipeline_get_bus(GST_PIPELINE(c->pipeline));
    c->bus_watch = gst_bus_add_watch(bus, on_bus_message, c);
    gst_object_unref(bus);
    if (gst_element_set_state(c->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        g_snprintf(why, why_len, "the pipeline does not start");
        return -EIO;
    }
    return 0;
}

static void on_peer_offer(const char *sdp, void *user)
{
    struct conn *c = user;
    char *msg = tsn_msg_offer("subscribe", sdp, NULL, SUBSCRIBE_ID);
    if (!msg || tsn_sig_client_send(c->sig, msg) < 0)
        conn_fail(c, "cannot send the subscribe offer");
    else
        tsn_debug("[view conn %u] subscribe offer sent", c->id);
    free(msg);
}

static void on_peer_state(enum tsn_peer_state state, const char *reason, void *user)
{
    struct conn *c = user;
    struct tsn_view *v = c->v;
    if (state == TSN_PEER_FAILED) {
        conn_fail(c, "media: %s", reason ? reason : "the WebRTC connection failed");
        return;
    }
    if (state != TSN_PEER_CONNECTED || c->connected)
        return;
    c->connected = 1;
    c->connected_us = g_get_real_time();
    tsn_backoff_reset(&v->backoff);
    tsn_view_stats_connected(v->stats);
    tsn_view_stats_set_state(v->stats, "connected");
    if (!v->ever_connected)
        remove_source(&v->deadline_timer);
    tsn_info("[view conn %u] media connected%s", c->id, v->ever_connected ? " again" : "");
    v->ever_connected = 1;
}

/* ---- signalling ---- */

static void on_welcome(struct conn *c, const struct tsn_reply *r)
{
    struct tsn_view *v = c->v;
    if (v->o->room && strcmp(v->o->room, r->room) != 0) {
        finish(v, TSN_EXIT_AUTH, "the token is for another room than --room");
        return;
    }
    tsn_info("[view conn %u] joined as %s", c->id, r->role[0] ? r->role : "?");
    char why[256];
    int rc = start_media(c, why, sizeof why);
    if (rc == -ENOENT)
        finish(v, TSN_EXIT_PIPELINE, "%s", why);
    else if (rc < 0)
        conn_fail(c, "%s", why);
}

static void note_stream(struct tsn_view *v, const struct tsn_reply *r)
{
    /* Keep the last metadata we saw (null only says there is none now). */
    if (r->stream_json)
        tsn_view_stats_set_stream(v->stats, r->stream_json);
    v->stream_known = r->stream_json != NULL;
    v->stream_live = r->stream_live;
}

static void on_relay_error(struct conn *c, const struct tsn_reply *r)
{
    if (r->code == 401 || r->code == 403) {
        /* Retrying cannot help a refused token, and hammering the relay with
         * it would look like an attack. */
        finish(c->v, TSN_EXIT_AUTH, "the relay refused the token: %s (%d)", r->reason, r->code);
        return;
    }
    conn_fail(c, "the relay answered %s with error %d: %s", r->ref_type[0] ? r->ref_type : "?",
              r->code, r->reason);
}

static void on_sig_message(const char *json, size_t len, void *user)
{
    struct conn *c = user;
    struct tsn_reply r;
    char why[200];
    /* Annotation messages (event, annotations, pointer) are the overlay's;
     * tsn_reply_parse sees them as unknown types and skips them. */
    if (c->v->annot)
        tsn_view_annot_handle(c->v->annot, json, len, g_get_monotonic_time(), c->id);
    if (tsn_reply_parse(json, len, &r, why, sizeof why) < 0) {
        tsn_warn("[view conn %u] ignoring a malformed relay message: %s", c->id, why);
        return;
    }
    switch (r.type) {
    case TSN_REPLY_WELCOME:
        note_stream(c->v, &r);
        on_welcome(c, &r);
        break;
    case TSN_REPLY_ANSWER:
        g_strlcpy(c->session, r.session, sizeof c->session);
        if (!c->peer || tsn_webrtc_peer_set_answer(c->peer, r.sdp, why, sizeof why) < 0)
            conn_fail(c, "%s", c->peer ? why : "an answer arrived before our offer");
        break;
    case TSN_REPLY_SESSION:
        if (strcmp(r.state, "closed") == 0 && strcmp(r.session, c->session) == 0)
            conn_fail(c, "the relay closed the session: %s", r.reason[0] ? r.reason : "no reason");
        break;
    case TSN_REPLY_STREAM:
        note_stream(c->v, &r);
        tsn_info("[view conn %u] stream metadata: %s", c->id, r.stream_live ? "live" : "not live");
        break;
    case TSN_REPLY_ERROR:
        on_relay_error(c, &r);
        break;
    default:
        break;
    }
    tsn_reply_clear(&r);
}

static void on_sig_opened(void *user)
{
    struct conn *c = user;
    char *join = tsn_msg_join(c->v->token);
    if (!join || tsn_sig_client_send(c->sig, join) < 0) {
        conn_fail(c, "cannot send join");
    } else {
        tsn_view_stats_joined(c->v->stats, g_get_real_time());
        tsn_info("[view conn %u] signalling connected, joining", c->id);
    }
    free(join);
}

static void on_sig_closed(const char *reason, void *user)
{
    struct conn *c = user;
    /* Before the first connection an untrusted certificate is a setting to
     * fix, not an outage to wait out; later it may be a renewal under way. */
    if (!c->v->ever_connected && tsn_sig_client_untrusted(c->sig)) {
        finish(c->v, TSN_EXIT_UNREACHABLE, "relay not trusted: %s", reason);
        return;
    }
    conn_fail(c, "signalling: %s", reason);
}

static void connect_start(struct tsn_view *v)
{
    struct conn *c = g_new0(struct conn, 1);
    c->v = v;
    c->id = ++v->next_conn_id;
    v->conn = c;
    tsn_view_stats_attempt(v->stats);
    struct tsn_sig_client_cb cb = {
        .opened = on_sig_opened, .message = on_sig_message, .closed = on_sig_closed, .user = c};
    char why[256] = "";
    tsn_debug("[view conn %u] connecting to the relay", c->id);
    c->sig = tsn_sig_client_new(v->o->ws_url, &v->o->tls, &cb, why, sizeof why);
    if (!c->sig)
        conn_fail(c, "signalling: %s", why[0] ? why : "cannot start the WebSocket client");
}

/* ---- timers ---- */

static void poll_rtcp(struct tsn_view *v, struct conn *c)
{
    GstStructure *st = tsn_webrtc_peer_stats(c->peer);
    const GstStructure *in = tsn_webrtc_stats_find(st, GST_WEBRTC_STATS_INBOUND_RTP);
    if (in) {
        struct tsn_view_rtcp_counters k = {
            .packets_lost = MAX(0, tsn_webrtc_stats_int(in, "packets-lost", -1)),
            .nack_count = tsn_webrtc_stats_int(in, "nack-count", -1),
            .pli_count = tsn_webrtc_stats_int(in, "pli-count", -1),
            .fir_count = tsn_webrtc_stats_int(in, "fir-count", -1),
        };
        tsn_view_stats_set_rtcp(v->stats, &k);
    }
    if (st)
        gst_structure_free(st);
}

/* Connected but no frame for a while, with a publisher said to be live (or
 * nothing said): the relay or the path may be wedged, start over. */
static void watchdog(struct tsn_view *v, struct conn *c)
{
    if (v->stream_known && !v->stream_live)
        return; /* the publisher is gone: frames cannot come, reconnecting will not
                   help */
    int64_t last = MAX(c->connected_us, tsn_view_stats_last_frame_us(v->stats));
    if (g_get_real_time() - last > NO_FRAME_RECONNECT_MS * 1000LL)
        conn_fail(c, "no frame for %d s while connected", NO_FRAME_RECONNECT_MS / 1000);
}

static void write_stats(struct tsn_view *v)
{
    char why[300];
    if (v->dump) {
        struct tsn_frame_dump_counts k = tsn_frame_dump_get_counts(v->dump);
        tsn_view_stats_set_dump(v->stats, k.written, k.dropped, k.failed);
    }
    if (v->annot) {
        struct tsn_view_annot_counts a;
        tsn_view_annot_counts(v->annot, &a);
        tsn_view_stats_set_annotations(v->stats, &a);
    }
    if (v->o->stats_json &&
        tsn_view_stats_write(v->stats, v->o->stats_json, g_get_real_time(), why, sizeof why) < 0)
        tsn_warn("[view] %s", why);
}

/* The final stats as one JSON line on stdout, for scripts without
 * --stats-json (logs go to stderr). */
static void print_report(struct tsn_view *v)
{
    json_t *j = tsn_view_stats_json(v->stats, g_get_real_time());
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (text) {
        printf("%s\n", text);
        fflush(stdout);
    }
    free(text);
    json_decref(j);
}

static gboolean on_tick(gpointer data)
{
    struct tsn_view *v = data;
    struct conn *c = v->conn;
    if (c && c->connected && !c->failing && !v->finishing) {
        poll_rtcp(v, c);
        watchdog(v, c);
    }
    write_stats(v);
    return G_SOURCE_CONTINUE;
}

static gboolean on_duration(gpointer data)
{
    struct tsn_view *v = data;
    v->duration_timer = 0;
    int64_t frames = tsn_view_stats_frames(v->stats);
    if (frames > 0)
        finish(v, TSN_EXIT_OK, "%g s passed, %" G_GINT64_FORMAT " frames decoded", v->o->duration_s,
               frames);
    else
        finish(v, TSN_EXIT_FAILURE, "no frame decoded in %g s", v->o->duration_s);
    return G_SOURCE_REMOVE;
}

static gboolean on_deadline(gpointer data)
{
    struct tsn_view *v = data;
    v->deadline_timer = 0;
    if (!v->ever_connected)
        finish(v, TSN_EXIT_UNREACHABLE, "relay unreachable: %s",
               v->last_failure[0] ? v->last_failure : "no connection within --connect-timeout");
    return G_SOURCE_REMOVE;
}

static gboolean on_signal(gpointer data)
{
    finish(data, TSN_EXIT_OK, "stopping on a signal");
    return G_SOURCE_CONTINUE;
}

/* ---- run ---- */

static gpointer warm_up_thread(gpointer data)
{
    tsn_view_decode_warm_up(GPOINTER_TO_INT(data));
    return NULL;
}

/* Whether frames get the annotation overlay: a window, or RGB dumps. */
static int draws_overlay(const struct tsn_view_opts *o)
{
    return !o->no_annotations && (!o->headless || (o->dump_dir != NULL && !o->dump_gray));
}

static int setup(struct tsn_view *v, char *why, size_t why_len)
{
    int overlay =
        !v->o->no_annotations && (!v->o->headless || (v->o->dump_dir != NULL && !v->o->dump_gray));
    if (tsn_view_decode_check(!v->o->headless, v->o->dump_dir != NULL, overlay, why, why_len) < 0)
        return TSN_EXIT_PIPELINE;
    if (!tsn_abs_capture_time_register())
        tsn_warn("[view] cannot register the abs-capture-time extension: no "
                 "latency figures");
    if (v->o->dump_dir) {
        v->dump = tsn_frame_dump_new(v->o->dump_dir, why, why_len);
        if (!v->dump)
            return TSN_EXIT_USAGE;
    }
    v->stats = tsn_view_stats_new(g_get_real_time());
    if (!v->o->no_annotations)
        v->annot = tsn_view_annot_new();
    if (!v->stats || (!v->o->no_annotations && !v->annot)) {
        g_snprintf(why, why_len, "out of memory");
        return TSN_EXIT_FAILURE;
    }
    return 0;
}

int tsn_view_run(const struct tsn_view_opts *opts, const char *token)
{
    struct tsn_view v = {.o = opts, .token = token, .exit_code = TSN_EXIT_OK};
    char why[300] = "";
    int rc = setup(&v, why, sizeof why);
    if (rc != 0) {
        tsn_err("[view] %s", why);
        goto out;
    }
    if (tsn_host_is_loopback(opts->relay_host))
        v.local_ips[0] = "127.0.0.1"; /* keep ICE on loopback: nothing leaves the machine */
    tsn_backoff_init(&v.backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS,
                     (uint32_t)g_get_real_time() ^ (uint32_t)getpid());
    GThread *warm_up =
        g_thread_new("tsn-warm-up", warm_up_thread, GINT_TO_POINTER(draws_overlay(opts)));
    v.loop = g_main_loop_new(NULL, FALSE);
    v.sigint_watch = g_unix_signal_add(SIGINT, on_signal, &v);
    v.sigterm_watch = g_unix_signal_add(SIGTERM, on_signal, &v);
    v.tick_timer = g_timeout_add(TICK_MS, on_tick, &v);
    v.deadline_timer = g_timeout_add((guint)opts->connect_timeout_ms, on_deadline, &v);
    if (opts->duration_s > 0)
        v.duration_timer = g_timeout_add((guint)(opts->duration_s * 1000), on_duration, &v);
    tsn_info("[view] connecting to the relay at %s:%d", opts->relay_host, opts->relay_port);
    connect_start(&v);
    g_main_loop_run(v.loop);
    rc = v.exit_code;

    remove_source(&v.sigint_watch);
    remove_source(&v.sigterm_watch);
    remove_source(&v.tick_timer);
    remove_source(&v.duration_timer);
    remove_source(&v.deadline_timer);
    remove_source(&v.retry_timer);
    remove_source(&v.teardown_idle);
    remove_source(&v.finish_idle);
    g_main_loop_unref(v.loop);
    g_thread_join(warm_up);
out:
    if (v.dump)
        tsn_frame_dump_flush(v.dump); /* the final counts include every queued PNG */
    if (v.stats) {
        write_stats(&v);
        print_report(&v);
        tsn_view_stats_free(v.stats);
    }
    tsn_frame_dump_free(v.dump);
    tsn_view_annot_free(v.annot);
    return rc;
}
