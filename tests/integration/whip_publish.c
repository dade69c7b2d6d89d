/* tsn-whip-publish: a WHIP publisher for the integration tests. It encodes a
 * moving test picture (x264 or VP8, zero-latency settings), publishes it
 * through a stock webrtcbin to a WHIP endpoint, counts what the encoder sent
 * while connected, then ends the session with DELETE and prints one JSON line:
 *
 *   {"frames_sent":N,"keyframes_sent":K,"bytes_sent":B,"keyframe_requests":R,...}
 *
 * The measured run starts when ICE/DTLS is up, or with --start-on-signal at
 * SIGUSR1 once it is up (media flows before that, so viewers can join first
 * and the run counts only frames they all could get). A keyframe is forced
 * at the start of the run and frames are counted from it for --duration
 * seconds. Keyframe requests from the network (PLI/FIR, which rtpsession
 * turns into upstream force-key-unit events) are counted at the encoder;
 * x264enc and vp8enc honour them by themselves. SIGINT/SIGTERM end the run
 * early (DELETE and report as usual). Exit status: 0 success, 1 stopped
 * before connecting, 2 usage, 3 HTTP error, 4 ICE/DTLS did not connect,
 * 5 SDP error, 6 pipeline error. */
#include "webrtc_client.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <gst/video/video.h>

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#define CONNECT_TIMEOUT_MS 10000

struct options {
    const char *url;
    const char *token;
    int no_token; /* send no Authorization header at all (auth tests) */
    int duration_s;
    const char *codec; /* "h264" or "vp8" */
    int bitrate_kbps;
    int keyint_frames;
    int fps;
    int width;
    int height;
    int start_on_signal; /* wait for SIGUSR1 before the measured run */
};

struct publisher {
    struct options opt;
    GMainLoop *loop;
    GstElement *pipeline;
    GstElement *webrtc;
    GstPad *enc_src; /* (transfer full) */
    struct tsn_wc *wc;
    int exit_code;
    char *error;
    int stopping;
    int start_signalled; /* SIGUSR1 arrived (--start-on-signal) */
    /* Written by the streaming thread, read on the main thread: atomics. */
    gint connected;
    gint armed;    /* the measured run has started */
    gint counting; /* set at the first keyframe after `armed` */
    gint frames_sent;
    gint keyframes_sent;
    gint64 bytes_sent;
    gint fku_seen; /* upstream force-key-unit events reaching the encoder */
    gint fku_own;  /* of those, the ones this program sent */
};

static void usage(void)
{
    fprintf(stderr,
            "usage: tsn-whip-publish --url https://HOST:PORT/whip/ROOM {--token JWT | --no-token}\n"
            "         [--duration SECONDS (10)] [--codec h264|vp8] [--bitrate KBPS (2000)]\n"
            "         [--keyint FRAMES (60)] [--fps N (30)] [--size WxH (640x480)]\n"
            "         [--start-on-signal]\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option long_opts[] = {
        {"url", required_argument, NULL, 'u'},    {"token", required_argument, NULL, 't'},
        {"no-token", no_argument, NULL, 'n'},     {"duration", required_argument, NULL, 'd'},
        {"codec", required_argument, NULL, 'c'},  {"bitrate", required_argument, NULL, 'b'},
        {"keyint", required_argument, NULL, 'k'}, {"fps", required_argument, NULL, 'f'},
        {"size", required_argument, NULL, 's'},   {"start-on-signal", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    *o = (struct options){.duration_s = 10,
                          .codec = "h264",
                          .bitrate_kbps = 2000,
                          .keyint_frames = 60,
                          .fps = 30,
                          .width = 640,
                          .height = 480};
    int c;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'u':
            o->url = optarg;
            break;
        case 't':
            o->token = optarg;
            break;
        case 'n':
            o->no_token = 1;
            break;
        case 'd':
            o->duration_s = atoi(optarg);
            break;
        case 'c':
            o->codec = optarg;
            break;
        case 'b':
            o->bitrate_kbps = atoi(optarg);
            break;
        case 'k':
            o->keyint_frames = atoi(optarg);
            break;
        case 'f':
            o->fps = atoi(optarg);
            break;
        case 'S':
            o->start_on_signal = 1;
            break;
        case 's':
            if (sscanf(optarg, "%dx%d", &o->width, &o->height) != 2)
                return -1;
            break;
        default:
            return -1;
        }
    }
    if (optind != argc || !o->url || (!o->token == !o->no_token) || o->duration_s <= 0 ||
        o->bitrate_kbps <= 0 || o->keyint_frames <= 0 || o->fps <= 0 || o->width <= 0 ||
        o->height <= 0 || (strcmp(o->codec, "h264") != 0 && strcmp(o->codec, "vp8") != 0))
        return -1;
    return 0;
}

static char *pipeline_description(const struct options *o)
{
    char *encode;
    if (strcmp(o->codec, "h264") == 0) {
        /* pass=cbr + nal-hrd=cbr: plain ABR undershoots badly on easy pictures. */
        encode = g_strdup_printf(
            "x264enc name=enc tune=zerolatency speed-preset=ultrafast bitrate=%d key-int-max=%d "
            "pass=cbr option-string=nal-hrd=cbr ! video/x-h264,profile=constrained-baseline ! "
            "rtph264pay config-interval=-1 mtu=1200 aggregate-mode=zero-latency pt=96 ! "
            "application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000",
            o->bitrate_kbps, o->keyint_frames);
    } else {
        encode = g_strdup_printf(
            "vp8enc name=enc deadline=1 cpu-used=8 lag-in-frames=0 end-usage=cbr "
            "target-bitrate=%d keyframe-max-dist=%d error-resilient=default ! "
            "rtpvp8pay mtu=1200 pt=96 picture-id-mode=15-bit ! "
            "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000",
            o->bitrate_kbps * 1000, o->keyint_frames);
    }
    /* webrtcbin holds the first buffer until DTLS is up; the leaky queue
     * lets the live source drop stale pictures meanwhile instead of bursting
     * a second of backlog into the relay at connection time. */
    char *desc =
        g_strdup_printf("videotestsrc is-live=true pattern=ball ! "
                        "video/x-raw,width=%d,height=%d,framerate=%d/1 ! videoconvert ! "
                        "queue leaky=downstream max-size-buffers=1 max-size-bytes=0 "
                        "max-size-time=0 ! %s ! webrtcbin name=webrtc bundle-policy=max-bundle",
                        o->width, o->height, o->fps, encode);
    g_free(encode);
    return desc;
}

static GstPadProbeReturn on_encoded(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct publisher *p = data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    int key = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
    if (!g_atomic_int_get(&p->counting)) {
        if (!key || !g_atomic_int_get(&p->armed))
            return GST_PAD_PROBE_OK;
        g_atomic_int_set(&p->counting, 1);
    }
    g_atomic_int_inc(&p->frames_sent);
    if (key)
        g_atomic_int_inc(&p->keyframes_sent);
    /* bytes_sent is only touched here (one streaming thread) until the pipeline stops. */
    p->bytes_sent += (gint64)gst_buffer_get_size(buf);
    return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn on_upstream_event(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct publisher *p = data;
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (ev && gst_video_event_is_force_key_unit(ev))
        g_atomic_int_inc(&p->fku_seen);
    return GST_PAD_PROBE_OK;
}

static void print_report(struct publisher *p, int delete_status, const GstStructure *stats)
{
    const GstStructure *out = tsn_webrtc_stats_find(stats, GST_WEBRTC_STATS_OUTBOUND_RTP);
    const GstStructure *remote = tsn_webrtc_stats_find(stats, GST_WEBRTC_STATS_REMOTE_INBOUND_RTP);
    GString *j = g_string_new("{");
    g_string_append_printf(
        j, "\"frames_sent\":%d,\"keyframes_sent\":%d,\"bytes_sent\":%" G_GINT64_FORMAT,
        g_atomic_int_get(&p->frames_sent), g_atomic_int_get(&p->keyframes_sent), p->bytes_sent);
    g_string_append_printf(j, ",\"keyframe_requests\":%d",
                           g_atomic_int_get(&p->fku_seen) - g_atomic_int_get(&p->fku_own));
    g_string_append_printf(j, ",\"connected\":%s,\"connect_ms\":%" G_GINT64_FORMAT,
                           p->connected ? "true" : "false", p->wc ? tsn_wc_connect_ms(p->wc) : -1);
    g_string_append_printf(
        j,
        ",\"packets_sent\":%" G_GINT64_FORMAT ",\"nacks_received\":%" G_GINT64_FORMAT
        ",\"plis_received\":%" G_GINT64_FORMAT ",\"firs_received\":%" G_GINT64_FORMAT,
        tsn_webrtc_stats_int(out, "packets-sent", -1), tsn_webrtc_stats_int(out, "nack-count", -1),
        tsn_webrtc_stats_int(out, "pli-count", -1), tsn_webrtc_stats_int(out, "fir-count", -1));
    g_string_append_printf(j, ",\"remote_packets_lost\":%" G_GINT64_FORMAT,
                           tsn_webrtc_stats_int(remote, "packets-lost", -1));
    g_string_append_printf(j, ",\"codec\":\"%s\",\"duration_s\":%d,\"delete_status\":%d,\"error\":",
                           p->opt.codec, p->opt.duration_s, delete_status);
    tsn_wc_json_string(j, p->error);
    g_string_append(j, "}\n");
    fputs(j->str, stdout);
    fflush(stdout);
    g_string_free(j, TRUE);
}

/* Ends the run: statistics while webrtcbin still runs, then DELETE. */
static void stop(struct publisher *p, int exit_code)
{
    if (p->stopping)
        return;
    p->stopping = 1;
    p->exit_code = exit_code;
    GstStructure *stats = p->connected ? tsn_wc_get_stats(p->wc) : NULL;
    if (stats && g_getenv("TSN_DUMP_STATS")) {
        char *s = gst_structure_to_string(stats);
        fprintf(stderr, "%s\n", s);
        g_free(s);
    }
    int delete_status = tsn_wc_delete(p->wc);
    if (p->exit_code == 0 && (delete_status < 200 || delete_status > 299)) {
        p->error = g_strdup_printf("DELETE failed (%d)", delete_status);
        p->exit_code = 3;
    }
    gst_element_set_state(p->pipeline, GST_STATE_NULL);
    print_report(p, delete_status, stats);
    if (stats)
        gst_structure_free(stats);
    g_main_loop_quit(p->loop);
}

static gboolean on_duration_done(gpointer data)
{
    stop(data, 0);
    return G_SOURCE_REMOVE;
}

/* SIGINT/SIGTERM end the run early but normally: DELETE, report, exit 0
 * if the session was up. */
static gboolean on_stop_signal(gpointer data)
{
    struct publisher *p = data;
    fprintf(stderr, "tsn-whip-publish: signalled, ending the session\n");
    if (!p->connected)
        p->error = g_strdup("stopped before connecting");
    stop(p, p->connected ? 0 : 1);
    return G_SOURCE_REMOVE;
}

/* The measured run: a fresh keyframe now (the one made at start-up went
 * nowhere, or went to viewers before the run), counting from it, and the
 * duration timer. */
static void start_run(struct publisher *p)
{
    g_atomic_int_inc(&p->fku_own);
    gst_pad_send_event(p->enc_src,
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
    g_atomic_int_set(&p->armed, 1);
    g_timeout_add((guint)p->opt.duration_s * 1000, on_duration_done, p);
    fprintf(stderr, "tsn-whip-publish: streaming for %d s\n", p->opt.duration_s);
}

static gboolean on_start_signal(gpointer data)
{
    struct publisher *p = data;
    if (p->start_signalled)
        return G_SOURCE_CONTINUE;
    p->start_signalled = 1;
    if (p->connected)
        start_run(p);
    return G_SOURCE_CONTINUE;
}

static void on_connected(void *user)
{
    struct publisher *p = user;
    g_atomic_int_set(&p->connected, 1);
    if (!p->opt.start_on_signal || p->start_signalled)
        start_run(p);
    else
        fprintf(stderr, "tsn-whip-publish: connected, waiting for SIGUSR1 to start the run\n");
}

static void on_failed(enum tsn_wc_failure why, const char *message, void *user)
{
    struct publisher *p = user;
    static const int codes[] = {[TSN_WC_FAIL_HTTP] = 3,
                                [TSN_WC_FAIL_CONNECT] = 4,
                                [TSN_WC_FAIL_SDP] = 5,
                                [TSN_WC_FAIL_PIPELINE] = 6};
    p->error = g_strdup(message);
    stop(p, codes[why]);
}

static int make_sendonly(GstElement *webrtc)
{
    GstWebRTCRTPTransceiver *trans = NULL;
    g_signal_emit_by_name(webrtc, "get-transceiver", 0, &trans);
    if (!trans)
        return -1;
    g_object_set(trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
    gst_object_unref(trans);
    return 0;
}

int main(int argc, char **argv)
{
    struct publisher p = {.exit_code = 1};
    gst_init(&argc, &argv);
    if (parse_options(argc, argv, &p.opt) < 0) {
        usage();
        return 2;
    }
    char *desc = pipeline_description(&p.opt);
    GError *err = NULL;
    p.pipeline = gst_parse_launch(desc, &err);
    g_free(desc);
    if (!p.pipeline || err) {
        fprintf(stderr, "tsn-whip-publish: cannot build the pipeline: %s\n",
                err ? err->message : "?");
        g_clear_error(&err);
        return 6;
    }
    p.webrtc = gst_bin_get_by_name(GST_BIN(p.pipeline), "webrtc");
    GstElement *enc = gst_bin_get_by_name(GST_BIN(p.pipeline), "enc");
    p.enc_src = gst_element_get_static_pad(enc, "src");
    gst_object_unref(enc);
    gst_pad_add_probe(p.enc_src, GST_PAD_PROBE_TYPE_BUFFER, on_encoded, &p, NULL);
    gst_pad_add_probe(p.enc_src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_event, &p, NULL);
    if (make_sendonly(p.webrtc) < 0) {
        fprintf(stderr, "tsn-whip-publish: webrtcbin made no transceiver for the video pad\n");
        return 6;
    }

    p.loop = g_main_loop_new(NULL, FALSE);
    struct tsn_wc_callbacks cb = {.connected = on_connected, .failed = on_failed, .user = &p};
    p.wc = tsn_wc_new(p.pipeline, p.webrtc, p.opt.url, p.opt.token, &cb);
    if (tsn_wc_start(p.wc, CONNECT_TIMEOUT_MS) < 0) {
        fprintf(stderr, "tsn-whip-publish: cannot keep ICE on loopback\n");
        return 6;
    }
    g_unix_signal_add(SIGINT, on_stop_signal, &p);
    g_unix_signal_add(SIGTERM, on_stop_signal, &p);
    g_unix_signal_add(SIGUSR1, on_start_signal, &p);
    if (gst_element_set_state(p.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        fprintf(stderr, "tsn-whip-publish: the pipeline does not start\n");
        return 6;
    }
    g_main_loop_run(p.loop);

    tsn_wc_free(p.wc);
    gst_object_unref(p.enc_src);
    gst_object_unref(p.webrtc);
    gst_object_unref(p.pipeline);
    g_main_loop_unref(p.loop);
    g_free(p.error);
    return p.exit_code;
}
