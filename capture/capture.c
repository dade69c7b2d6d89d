/* telesono-capture's session (see capture.h). Everything here runs on the
 * default GMainContext except on_frame (the source's thread), which only
 * touches `live` under `live_lock` and the freeze hold (its own lock).
 * The room's annotation state (common/annot_state.h) is kept from the
 * relay's messages only to know whether the picture is frozen. */
#include "capture.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "annot_state.h"
#include "backoff.h"
#include "exit_codes.h"
#include "freeze.h"
#include "log.h"
#include "main_post.h"
#include "pipeline.h"
#include "sig_client.h"
#include "sig_reply.h"
#include "source.h"
#include "webrtc_peer.h"

#define ATTEMPT_TIMEOUT_MS 10000
#define STATS_PERIOD_MS    1000
#define TICK_MS            100

struct conn {
    struct tsn_sig_client *sig;
    struct tsn_pipeline *pipe;
    struct tsn_webrtc_peer *peer;
    int welcomed;
    int connected;
    gint64 started_us;
};

struct tsn_capture {
    const struct tsn_capture_opts *o;
    GMainLoop *loop;
    struct tsn_source *source;
    struct tsn_capture_counters counters;
    FILE *frame_log;
    GMutex frame_log_lock;
    char *stream_json;             /* metadata sent with the offer */
    struct tsn_annot_state *annot; /* the room's annotations (main context) */
    struct tsn_freeze *freeze;     /* holds the picture while frozen (any thread) */
    char relay_host[256];
    /* Connection state (main context). */
    struct conn conn;
    struct tsn_backoff backoff;
    guint retry_timer, attempt_timer, stats_timer, tick_timer, duration_timer;
    int ever_connected;
    int reconnects;
    gint64 start_us;
    char last_error[512];
    int exit_code;
    int stopping;
    /* The source thread's view of the pipeline. */
    GMutex live_lock;          /* protects live, last_caps */
    struct tsn_pipeline *live; /* pipeline frames go to, or NULL */
    GstCaps *last_caps;        /* caps of the last frame */
    int rebuild;               /* atomic: the source's caps changed media type */
    /* Stats bookkeeping (main context). */
    uint64_t last_bytes;
    gint64 last_stats_us;
    double bitrate_kbps;
};

static void schedule_retry(struct tsn_capture *c, const char *reason);
static void connect_now(struct tsn_capture *c);

static void fatal(struct tsn_capture *c, int code, const char *reason)
{
    if (c->stopping)
        return;
    tsn_err("[capture] %s", reason);
    snprintf(c->last_error, sizeof c->last_error, "%s", reason);
    c->exit_code = code;
    tsn_capture_stop(c);
}

/* ---- frames from the source thread ---- */

static void on_frame(GstBuffer *buf, GstCaps *caps, uint64_t index, int64_t capture_us, void *user)
{
    struct tsn_capture *c = user;
    /* While frozen, the held frame (and its caps and index) replaces this one;
     * capture_us stays this frame's: a held frame is sent anew. */
    tsn_freeze_frame(c->freeze, &buf, &caps, &index);
    g_mutex_lock(&c->live_lock);
    if (!c->last_caps || !gst_caps_is_equal(c->last_caps, caps))
        gst_caps_replace(&c->last_caps, caps);
    int rc = -1;
    if (c->live)
        rc = tsn_pipeline_push(c->live, buf, caps, index, capture_us); /* takes buf */
    else
        gst_buffer_unref(buf);
    g_mutex_unlock(&c->live_lock);
    gst_caps_unref(caps);
    if (rc == -EAGAIN)
        g_atomic_int_set(&c->rebuild, 1);
    if (rc != 0)
        atomic_fetch_add(&c->counters.frames_dropped, 1);
}

struct failure {
    struct tsn_capture *c;
    char *why;
};

static gboolean source_failed_on_main(gpointer data)
{
    struct failure *f = data;
    fatal(f->c, TSN_EXIT_SOURCE, f->why);
    g_free(f->why);
    g_free(f);
    return G_SOURCE_REMOVE;
}

/* The source gave up (its thread): end capture with exit 5 on the main loop. */
static void on_source_failed(const char *why, void *user)
{
    struct failure *f = g_new0(struct failure, 1);
    f->c = user;
    f->why = g_strdup(why);
    tsn_main_post(NULL, source_failed_on_main, f, NULL);
}

static void set_live(struct tsn_capture *c, struct tsn_pipeline *p)
{
    g_mutex_lock(&c->live_lock);
    c->live = p;
    g_mutex_unlock(&c->live_lock);
}

/* ---- one connection ---- */

static void drop_connection(struct tsn_capture *c)
{
    struct conn *k = &c->conn;
    set_live(c, NULL);
    if (c->attempt_timer)
        g_source_remove(c->attempt_timer);
    c->attempt_timer = 0;
    tsn_webrtc_peer_free(k->peer);
    tsn_pipeline_free(k->pipe);
    tsn_sig_client_free(k->sig);
    if (k->connected)
        tsn_info("[capture] media connection closed");
    memset(k, 0, sizeof *k);
}

static void on_peer_offer(const char *sdp, void *user)
{
    struct tsn_capture *c = user;
    tsn_debug("[capture] offer ready after %" G_GINT64_FORMAT " ms",
              (g_get_monotonic_time() - c->conn.started_us) / 1000);
    char *msg = tsn_msg_offer("publish", sdp, c->stream_json, -1);
    if (!msg || tsn_sig_client_send(c->conn.sig, msg) != 0)
        schedule_retry(c, "cannot send the offer to the relay");
    free(msg);
}

static void on_peer_state(enum tsn_peer_state st, const char *reason, void *user)
{
    struct tsn_capture *c = user;
    if (st == TSN_PEER_FAILED) {
        schedule_retry(c, reason ? reason : "the media connection failed");
        return;
    }
    if (st != TSN_PEER_CONNECTED)
        return;
    c->conn.connected = 1;
    if (c->attempt_timer)
        g_source_remove(c->attempt_timer);
    c->attempt_timer = 0;
    tsn_backoff_reset(&c->backoff);
    tsn_info("[capture] publishing to the relay (connected in %" G_GINT64_FORMAT " ms%s)",
             (g_get_monotonic_time() - c->conn.started_us) / 1000,
             c->ever_connected ? ", reconnected" : "");
    if (c->ever_connected)
        c->reconnects++;
    c->ever_connected = 1;
    c->last_error[0] = '\0';
    /* The encoder's first IDR may have left before DTLS was up. */
    tsn_pipeline_set_connected(c->conn.pipe);
    tsn_pipeline_force_keyframe(c->conn.pipe);
}

static int output_size(struct tsn_capture *c, GstCaps *caps, int *w, int *h)
{
    if (c->o->width) {
        *w = c->o->width;
        *h = c->o->height;
        return 0;
    }
    GstStructure *st = gst_caps_get_structure(caps, 0);
    return gst_structure_get_int(st, "width", w) && gst_structure_get_int(st, "height", h) ? 0 : -1;
}

static int fill_pipeline_config(struct tsn_capture *c, GstCaps *caps,
                                struct tsn_pipeline_config *pc, char *why, size_t why_len)
{
    struct tsn_source_info si;
    tsn_source_info(c->source, &si);
    memset(pc, 0, sizeof *pc);
    pc->opts = c->o;
    pc->src_caps = caps;
    pc->gray = si.gray;
    pc->counters = &c->counters;
    pc->frame_log = c->frame_log;
    pc->frame_log_lock = &c->frame_log_lock;
    tsn_encoder_config_init(&pc->enc);
    pc->enc.codec = c->o->vp8 ? TSN_CODEC_VP8 : TSN_CODEC_H264;
    if (c->o->bitrate_kbps)
        pc->enc.bitrate_kbps = c->o->bitrate_kbps;
    double fps = si.fps_num ? (double)si.fps_num / si.fps_den : 30;
    pc->enc.fps = fps < 1 ? 1 : (int)(fps + 0.5);
    pc->enc.keyframe_interval_frames = (int)(c->o->keyframe_interval_s * fps + 0.5);
    if (pc->enc.keyframe_interval_frames < 1)
        pc->enc.keyframe_interval_frames = 1;
    if (output_size(c, caps, &pc->enc.width, &pc->enc.height) != 0) {
        snprintf(why, why_len, "the source's frames have no size");
        return -EINVAL;
    }
    for (int i = 0; i < c->o->n_masks; i++) {
        const struct tsn_mask_rect_opt *m = &c->o->masks[i];
        struct tsn_mask_rect r = {.x = m->x, .y = m->y, .w = m->w, .h = m->h};
        if (tsn_mask_fit(&r, pc->enc.width, pc->enc.height, why, why_len) != 0)
            return -ERANGE;
        pc->masks[pc->n_masks++] = r;
    }
    return tsn_encoder_config_check(&pc->enc, why, why_len);
}

static void start_media(struct tsn_capture *c)
{
    char why[512];
    g_mutex_lock(&c->live_lock);
    GstCaps *caps = c->last_caps ? gst_caps_ref(c->last_caps) : NULL;
    g_mutex_unlock(&c->live_lock);
    if (!caps) {
        schedule_retry(c, "the source has not produced a frame yet");
        return;
    }
    struct tsn_pipeline_config pc;
    int rc = fill_pipeline_config(c, caps, &pc, why, sizeof why);
    if (rc == -ERANGE) {
        gst_caps_unref(caps);
        fatal(c, TSN_EXIT_USAGE, why);
        return;
    }
    c->conn.pipe = rc == 0 ? tsn_pipeline_new(&pc, why, sizeof why) : NULL;
    gst_caps_unref(caps);
    if (!c->conn.pipe) {
        fatal(c, TSN_EXIT_PIPELINE, why);
        return;
    }
    const char *loopback[] = {"127.0.0.1", NULL};
    struct tsn_webrtc_peer_config cfg = {
        .local_ips = c->o->n_ice_ips ? c->o->ice_ips
                                     : (tsn_host_is_loopback(c->relay_host) ? loopback : NULL),
    };
    struct tsn_webrtc_peer_cb cb = {.offer = on_peer_offer, .state = on_peer_state, .user = c};
    c->conn.peer =
        tsn_webrtc_peer_new(tsn_pipeline_webrtc(c->conn.pipe), &cfg, &cb, why, sizeof why);
    if (!c->conn.peer || tsn_pipeline_play(c->conn.pipe, why, sizeof why) != 0) {
        fatal(c, TSN_EXIT_PIPELINE, why);
        return;
    }
    g_atomic_int_set(&c->rebuild, 0);
    set_live(c, c->conn.pipe);
}

static void on_welcome(struct tsn_capture *c, const struct tsn_reply *r)
{
    char why[256];
    if (strcmp(r->role, "capture") != 0) {
        snprintf(why, sizeof why, "the token's role is '%s': publishing needs a capture token",
                 r->role);
        fatal(c, TSN_EXIT_AUTH, why);
        return;
    }
    if (c->o->room && strcmp(c->o->room, r->room) != 0) {
        fatal(c, TSN_EXIT_AUTH, "the token is for another room than --room");
        return;
    }
    c->conn.welcomed = 1;
    tsn_debug("[capture] joined after %" G_GINT64_FORMAT " ms",
              (g_get_monotonic_time() - c->conn.started_us) / 1000);
    if (c->o->record && tsn_sig_client_send(c->conn.sig, "{\"type\":\"record\",\"on\":true}") != 0)
        tsn_warn("[capture] cannot ask the relay to record");
    start_media(c);
}

/* Every relay message goes through the annotation state: a freeze event or
 * the snapshot after welcome may change whether the picture is held. */
static void note_annotations(struct tsn_capture *c, const char *json, size_t len)
{
    char why[160];
    if (tsn_annot_state_handle(c->annot, json, len, why, sizeof why) < 0) {
        tsn_warn("[capture] ignored an annotation message from the relay: %s", why);
        return;
    }
    const char *by = tsn_annot_state_frozen_by(c->annot);
    switch (tsn_freeze_set(c->freeze, by != NULL)) {
    case TSN_FREEZE_HOLD_STARTED:
        tsn_info("[capture] the picture is frozen by %s: sending source frame %" PRIu64
                 " until it is unfrozen",
                 by, tsn_freeze_held_index(c->freeze));
        break;
    case TSN_FREEZE_HOLD_ENDED:
        tsn_info("[capture] the picture is unfrozen: live frames again (%" PRIu64
                 " held frames sent so far)",
                 tsn_freeze_frames_held(c->freeze));
        break;
    case TSN_FREEZE_IGNORED:
        tsn_info("[capture] the picture is frozen by %s; --ignore-freeze: live frames go on", by);
        break;
    default:
        break;
    }
}

/* The bedside is told when the session is recorded, and when a recording
 * stopped on an error (disk full). */
static void note_recording(const char *json, size_t len)
{
    json_t *o = json_loadb(json, len, 0, NULL);
    const char *type = json_string_value(json_object_get(o, "type"));
    if (type && strcmp(type, "recording") == 0) {
        const char *session = json_string_value(json_object_get(o, "session"));
        const char *reason = json_string_value(json_object_get(o, "reason"));
        if (json_is_true(json_object_get(o, "on")))
            tsn_info("[capture] the session is being recorded (%s)", session ? session : "?");
        else if (json_is_true(json_object_get(o, "error")))
            tsn_warn("[capture] recording stopped: %s", reason ? reason : "error");
        else
            tsn_info("[capture] recording stopped (%s)", reason ? reason : "stopped");
    }
    json_decref(o);
}

static void on_sig_message(const char *json, size_t len, void *user)
{
    struct tsn_capture *c = user;
    struct tsn_reply r;
    char why[256];
    note_annotations(c, json, len);
    note_recording(json, len);
    if (tsn_reply_parse(json, len, &r, why, sizeof why) != 0) {
        tsn_warn("[capture] ignored a malformed message from the relay: %s", why);
        return;
    }
    char reason[400];
    switch (r.type) {
    case TSN_REPLY_WELCOME:
        on_welcome(c, &r);
        break;
    case TSN_REPLY_ANSWER:
        tsn_debug("[capture] answer after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time() - c->conn.started_us) / 1000);
        if (c->conn.peer && tsn_webrtc_peer_set_answer(c->conn.peer, r.sdp, why, sizeof why))
            schedule_retry(c, why);
        break;
    case TSN_REPLY_ERROR:
        snprintf(reason, sizeof reason, "the relay refused %s: %d %s",
                 r.ref_type[0] ? r.ref_type : "the request", r.code, r.reason);
        if (strcmp(r.ref_type, "record") == 0)
            tsn_warn("[capture] %s (the live session goes on)", reason);
        else if (r.code == 401 || r.code == 403)
            fatal(c, TSN_EXIT_AUTH, reason);
        else
            schedule_retry(c, reason);
        break;
    case TSN_REPLY_SESSION:
        if (strcmp(r.state, "closed") == 0 || strcmp(r.state, "failed") == 0) {
            snprintf(reason, sizeof reason, "the relay ended the session: %s", r.reason);
            schedule_retry(c, reason);
        }
        break;
    default:
        break;
    }
    tsn_reply_clear(&r);
}

static void on_sig_opened(void *user)
{
    struct tsn_capture *c = user;
    char *msg = tsn_msg_join(c->o->token);
    if (!msg || tsn_sig_client_send(c->conn.sig, msg) != 0)
        schedule_retry(c, "cannot send join to the relay");
    if (msg) {
        memset(msg, 0, strlen(msg));
        free(msg);
    }
}

static void on_sig_closed(const char *reason, void *user)
{
    struct tsn_capture *c = user;
    /* Before the first connection an untrusted certificate is a setting to
     * fix, not an outage to wait out; later it may be a renewal in progress. */
    if (!c->ever_connected && c->conn.sig && tsn_sig_client_untrusted(c->conn.sig)) {
        fatal(c, TSN_EXIT_UNREACHABLE, reason);
        return;
    }
    schedule_retry(c, reason);
}

static gboolean attempt_timeout(gpointer data)
{
    struct tsn_capture *c = data;
    c->attempt_timer = 0;
    schedule_retry(c, "no media connection within 10 s");
    return G_SOURCE_REMOVE;
}

static void connect_now(struct tsn_capture *c)
{
    char why[256];
    struct tsn_sig_client_cb cb = {
        .opened = on_sig_opened, .message = on_sig_message, .closed = on_sig_closed, .user = c};
    c->conn.started_us = g_get_monotonic_time();
    c->conn.sig = tsn_sig_client_new(c->o->relay_url, &c->o->tls, &cb, why, sizeof why);
    if (!c->conn.sig) {
        fatal(c, TSN_EXIT_USAGE, why);
        return;
    }
    c->attempt_timer = g_timeout_add(ATTEMPT_TIMEOUT_MS, attempt_timeout, c);
}

static gboolean retry_now(gpointer data)
{
    struct tsn_capture *c = data;
    c->retry_timer = 0;
    connect_now(c);
    return G_SOURCE_REMOVE;
}

static void schedule_retry(struct tsn_capture *c, const char *reason)
{
    if (c->stopping || c->retry_timer)
        return;
    int was_connected = c->conn.connected;
    drop_connection(c);
    snprintf(c->last_error, sizeof c->last_error, "%s", reason);
    gint64 waited_s = (g_get_monotonic_time() - c->start_us) / G_USEC_PER_SEC;
    if (!c->ever_connected && c->o->connect_timeout_s > 0 && waited_s >= c->o->connect_timeout_s) {
        char why[480];
        snprintf(why, sizeof why, "relay unreachable after %d s: %.400s", c->o->connect_timeout_s,
                 reason);
        fatal(c, TSN_EXIT_UNREACHABLE, why);
        return;
    }
    int delay = tsn_backoff_next_ms(&c->backoff);
    if (was_connected)
        tsn_warn("[capture] lost the relay: %s; reconnecting in %d ms", reason, delay);
    else
        tsn_warn("[capture] %s; retrying in %d ms", reason, delay);
    c->retry_timer = g_timeout_add((guint)delay, retry_now, c);
}

/* ---- periodic work ---- */

static gboolean tick(gpointer data)
{
    struct tsn_capture *c = data;
    if (c->conn.pipe)
        tsn_pipeline_tick(c->conn.pipe);
    if (g_atomic_int_get(&c->rebuild) && c->conn.pipe)
        schedule_retry(c, "the source's format changed: rebuilding the pipeline");
    return G_SOURCE_CONTINUE;
}

/* Writes the statistics file atomically (temporary file + rename), so a
 * reader never sees half of it. */
static void write_stats(struct tsn_capture *c)
{
    if (!c->o->stats_json)
        return;
    struct tsn_capture_counters *k = &c->counters;
    gint64 now = g_get_monotonic_time();
    uint64_t bytes = atomic_load(&k->bytes_encoded);
    if (c->last_stats_us && now > c->last_stats_us)
        c->bitrate_kbps = (double)(bytes - c->last_bytes) * 8.0 / 1000.0 /
                          ((double)(now - c->last_stats_us) / 1e6);
    c->last_bytes = bytes;
    c->last_stats_us = now;
    struct tsn_latency_summary enc;
    g_mutex_lock(&k->lock);
    tsn_latency_stats_summary(k->encode_ms, &enc);
    g_mutex_unlock(&k->lock);
    struct tsn_source_info si;
    tsn_source_info(c->source, &si);
    json_t *o = json_pack(
        "{s:s, s:b, s:i, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f,"
        " s:{s:I, s:f, s:f, s:f, s:f, s:f}, s:s, s:s?}",
        "state", c->conn.connected ? "publishing" : (c->conn.sig ? "connecting" : "waiting"),
        "connected", c->conn.connected, "reconnects", c->reconnects, "uptime_s",
        (double)(now - c->start_us) / 1e6, "frames_captured",
        (json_int_t)tsn_source_frames(c->source), "frames_pushed",
        (json_int_t)atomic_load(&k->frames_pushed), "frames_dropped",
        (json_int_t)atomic_load(&k->frames_dropped), "frames_encoded",
        (json_int_t)atomic_load(&k->frames_encoded), "keyframes",
        (json_int_t)atomic_load(&k->keyframes), "bytes_encoded", (json_int_t)bytes,
        "keyframe_requests", (json_int_t)atomic_load(&k->keyframe_requests), "keyframes_forced",
        (json_int_t)atomic_load(&k->keyframes_forced), "bitrate_kbps", c->bitrate_kbps, "encode_ms",
        "count", (json_int_t)enc.count, "p50", enc.p50_ms, "p95", enc.p95_ms, "p99", enc.p99_ms,
        "max", enc.max_ms, "mean", enc.mean_ms, "source", si.kind, "last_error",
        c->last_error[0] ? c->last_error : NULL);
    if (o) {
        json_object_set_new(o, "frozen", json_boolean(tsn_freeze_holding(c->freeze)));
        json_object_set_new(o, "room_frozen",
                            json_boolean(tsn_annot_state_frozen_by(c->annot) != NULL));
        json_object_set_new(o, "ignore_freeze", json_boolean(c->o->ignore_freeze));
        json_object_set_new(o, "frames_held",
                            json_integer((json_int_t)tsn_freeze_frames_held(c->freeze)));
    }
    json_t *stream = c->stream_json ? json_loads(c->stream_json, 0, NULL) : NULL;
    if (o && stream)
        json_object_set_new(o, "stream", stream);
    else
        json_decref(stream);
    char *tmp = g_strdup_printf("%s.tmp", c->o->stats_json);
    if (!o || json_dump_file(o, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) != 0 ||
        rename(tmp, c->o->stats_json) != 0)
        tsn_warn("[capture] cannot write the statistics file %s", c->o->stats_json);
    g_free(tmp);
    json_decref(o);
}

static gboolean stats_timer(gpointer data)
{
    write_stats(data);
    return G_SOURCE_CONTINUE;
}

static gboolean duration_done(gpointer data)
{
    struct tsn_capture *c = data;
    c->duration_timer = 0;
    tsn_info("[capture] --duration reached");
    tsn_capture_stop(c);
    return G_SOURCE_REMOVE;
}

/* ---- lifetime ---- */

/* The stream metadata every viewer receives (docs/protocol.md). */
static char *stream_metadata(const struct tsn_capture_opts *o, const struct tsn_source_info *si)
{
    json_t *m = json_object();
    double sx = o->spacing_x_mm ? o->spacing_x_mm : si->spacing_mm;
    double sy = o->spacing_y_mm ? o->spacing_y_mm : si->spacing_mm;
    double depth = o->depth_mm ? o->depth_mm : si->depth_mm;
    int w = o->width ? o->width : si->width, h = o->width ? o->height : si->height;
    json_object_set_new(
        m, "probe",
        json_string(o->probe ? o->probe
                             : (strcmp(si->kind, "phantom") == 0 ? "Telesono phantom" : si->kind)));
    if (sx > 0 && sy > 0)
        json_object_set_new(m, "pixel_spacing_mm", json_pack("{s:f, s:f}", "x", sx, "y", sy));
    if (depth > 0)
        json_object_set_new(m, "depth_mm", json_real(depth));
    if (w > 0 && h > 0) {
        json_object_set_new(m, "width", json_integer(w));
        json_object_set_new(m, "height", json_integer(h));
    }
    if (si->fps_num > 0)
        json_object_set_new(m, "fps", json_real((double)si->fps_num / si->fps_den));
    json_object_set_new(m, "codec", json_string(o->vp8 ? "VP8" : "H264"));
    json_object_set_new(m, "source", json_string(si->kind));
    char *text = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    return text;
}

static int host_of(const char *url, char *out, size_t len)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n;
    if (*p == '[') {
        p++;
        n = strcspn(p, "]");
    } else {
        n = strcspn(p, ":/");
    }
    if (n == 0 || n >= len)
        return -EINVAL;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

struct tsn_capture *tsn_capture_new(const struct tsn_capture_opts *o, int *exit_code, char *why,
                                    size_t why_len)
{
    struct tsn_capture *c = g_new0(struct tsn_capture, 1);
    c->o = o;
    c->exit_code = TSN_EXIT_OK;
    g_mutex_init(&c->live_lock);
    g_mutex_init(&c->frame_log_lock);
    g_mutex_init(&c->counters.lock);
    c->counters.encode_ms = tsn_latency_stats_new(0);
    c->annot = tsn_annot_state_new();
    c->freeze = tsn_freeze_new(!o->ignore_freeze);
    tsn_backoff_init(&c->backoff, 200, 2000, (uint32_t)getpid());
    *exit_code = TSN_EXIT_USAGE;
    if (!c->annot) {
        snprintf(why, why_len, "out of memory");
        *exit_code = TSN_EXIT_FAILURE;
        goto fail;
    }
    if (host_of(o->relay_url, c->relay_host, sizeof c->relay_host) != 0) {
        snprintf(why, why_len, "cannot find the host in --relay %s", o->relay_url);
        goto fail;
    }
    if (o->frame_log) {
        c->frame_log = fopen(o->frame_log, "w");
        if (!c->frame_log) {
            snprintf(why, why_len, "--frame-log %s: %s", o->frame_log, strerror(errno));
            goto fail;
        }
        setvbuf(c->frame_log, NULL, _IOLBF, 0);
    }
    c->source = tsn_source_new(o, on_frame, on_source_failed, c, exit_code, why, why_len);
    if (!c->source)
        goto fail;
    struct tsn_source_info si;
    tsn_source_info(c->source, &si);
    c->stream_json = stream_metadata(o, &si);
    c->loop = g_main_loop_new(NULL, FALSE);
    return c;
fail:
    tsn_capture_free(c);
    return NULL;
}

int tsn_capture_run(struct tsn_capture *c)
{
    char why[256];
    c->start_us = g_get_monotonic_time();
    if (c->o->tls.insecure)
        tsn_warn("%s", tsn_cli_insecure_warning());
    if (tsn_source_start(c->source, why, sizeof why) != 0) {
        tsn_err("[capture] %s", why);
        return TSN_EXIT_SOURCE;
    }
    c->stats_timer = g_timeout_add(STATS_PERIOD_MS, stats_timer, c);
    c->tick_timer = g_timeout_add(TICK_MS, tick, c);
    if (c->o->duration_s)
        c->duration_timer = g_timeout_add_seconds((guint)c->o->duration_s, duration_done, c);
    /* Give the source a moment to produce its first frame (its caps size the
     * pipeline), then connect. */
    c->retry_timer = g_timeout_add(100, retry_now, c);
    g_main_loop_run(c->loop);
    write_stats(c);
    return c->exit_code;
}

void tsn_capture_stop(struct tsn_capture *c)
{
    if (c->stopping)
        return;
    c->stopping = 1;
    drop_connection(c);
    g_main_loop_quit(c->loop);
}

static void remove_source(guint *id)
{
    if (*id)
        g_source_remove(*id);
    *id = 0;
}

void tsn_capture_free(struct tsn_capture *c)
{
    if (!c)
        return;
    tsn_source_free(c->source); /* first: no frame arrives after this */
    drop_connection(c);
    tsn_freeze_free(c->freeze);
    tsn_annot_state_free(c->annot);
    remove_source(&c->retry_timer);
    remove_source(&c->stats_timer);
    remove_source(&c->tick_timer);
    remove_source(&c->duration_timer);
    if (c->frame_log)
        fclose(c->frame_log);
    if (c->last_caps)
        gst_caps_unref(c->last_caps);
    tsn_latency_stats_free(c->counters.encode_ms);
    g_mutex_clear(&c->counters.lock);
    g_mutex_clear(&c->live_lock);
    g_mutex_clear(&c->frame_log_lock);
    free(c->stream_json);
    if (c->loop)
        g_main_loop_unref(c->loop);
    g_free(c);
}
