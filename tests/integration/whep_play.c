/* tsn-whep-play: a WHEP player for the integration tests. A stock webrtcbin
 * with one recvonly video transceiver (H.264 and VP8 offered, NACK on) plays a
 * room from a WHEP endpoint, decodes every frame into a fakesink and prints one
 * JSON line when --duration seconds have passed since start (or at SIGINT or
 * SIGTERM, which end the session normally):
 *
 *   {"frames_decoded":N,"first_frame_ms":T,"keyframes":K,
 *    "keyframe_after_request_ms":T|null,"packets_lost":L,"nacks_sent":n,...}
 *
 * Test knobs: --drop-percent P puts a UDP proxy between relay and webrtcbin
 * that drops P% of the media packets towards us; --corrupt-fingerprint sends
 * an offer whose DTLS fingerprint does not match our certificate;
 * --request-keyframe-at SEC asks for a keyframe (PLI) SEC seconds after the
 * first decoded frame and reports how long the keyframe took; --expect-fail
 * turns "no media" into success. SIGUSR1 marks the start of a measured run:
 * "frames_decoded_after_mark" counts the frames decoded since. Timeline lines
 * ("+N ms after POST: ...") on stderr show where join time goes.
 * Exit status: 0 success, 1 media arrived
 * despite --expect-fail, 2 usage, 3 HTTP error, 4 ICE/DTLS did not connect,
 * 5 SDP error, 6 pipeline error, 7 connected but no frame decoded. */
#include "udp_proxy.h"
#include "webrtc_client.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <gst/video/video.h>

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#define CONNECT_TIMEOUT_MS    10000
#define FASTSTART_MIN_PACKETS 2

/* What we can receive. The rtcp-fb fields become a=rtcp-fb lines, so the
 * relay knows we send NACK and PLI/FIR. */
#define RECV_CAPS                                                                                  \
    "application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000,"                \
    "packetization-mode=(string)1,profile-level-id=(string)42e01f,"                                \
    "level-asymmetry-allowed=(string)1,rtcp-fb-nack=(boolean)true,"                                \
    "rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true;"                                \
    "application/x-rtp,media=video,encoding-name=VP8,payload=97,clock-rate=90000,"                 \
    "rtcp-fb-nack=(boolean)true,rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true"

struct options {
    const char *url;
    const char *token;
    int no_token; /* send no Authorization header at all (auth tests) */
    double duration_s;
    int drop_percent; /* -1: no proxy */
    int corrupt_fingerprint;
    double request_keyframe_at_s; /* < 0: never */
    int expect_fail;
    int latency_ms;
    unsigned seed;
};

struct player {
    struct options opt;
    GMainLoop *loop;
    GstElement *pipeline;
    GstElement *webrtc;
    struct tsn_wc *wc;
    struct tsn_udp_proxy *proxy;
    int stopping;
    int exit_code;
    enum tsn_wc_failure failure; /* 0: none */
    char *error;
    GMutex lock;         /* protects everything below (streaming threads write it) */
    char *codec;         /* encoding-name of the stream we got */
    GstPad *depay_sink;  /* (transfer full) where keyframe requests go upstream */
    int frames_received; /* access units out of the parser / depayloader */
    int keyframes;
    int frames_decoded;
    int marked;            /* SIGUSR1 seen */
    int mark_frames;       /* frames_decoded at SIGUSR1 */
    gint64 first_frame_us; /* 0 until the first decoded frame */
    gint64 request_us;     /* 0 until a keyframe was requested */
    gint64 keyframe_after_request_us;
};

static void usage(void)
{
    fprintf(stderr,
            "usage: tsn-whep-play --url https://HOST:PORT/whep/ROOM {--token JWT | --no-token}\n"
            "         [--duration SECONDS (10)] [--drop-percent P] [--corrupt-fingerprint]\n"
            "         [--request-keyframe-at SECONDS_AFTER_FIRST_FRAME] [--expect-fail]\n"
            "         [--latency-ms MS (200)] [--seed N]\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option long_opts[] = {
        {"url", required_argument, NULL, 'u'},
        {"token", required_argument, NULL, 't'},
        {"no-token", no_argument, NULL, 'n'},
        {"duration", required_argument, NULL, 'd'},
        {"drop-percent", required_argument, NULL, 'p'},
        {"corrupt-fingerprint", no_argument, NULL, 'c'},
        {"request-keyframe-at", required_argument, NULL, 'k'},
        {"expect-fail", no_argument, NULL, 'x'},
        {"latency-ms", required_argument, NULL, 'l'},
        {"seed", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct options){.duration_s = 10,
                          .drop_percent = -1,
                          .request_keyframe_at_s = -1,
                          .latency_ms = 200,
                          .seed = 1};
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
            o->duration_s = atof(optarg);
            break;
        case 'p':
            o->drop_percent = atoi(optarg);
            break;
        case 'c':
            o->corrupt_fingerprint = 1;
            break;
        case 'k':
            o->request_keyframe_at_s = atof(optarg);
            break;
        case 'x':
            o->expect_fail = 1;
            break;
        case 'l':
            o->latency_ms = atoi(optarg);
            break;
        case 's':
            o->seed = (unsigned)strtoul(optarg, NULL, 10);
            break;
        default:
            return -1;
        }
    }
    if (optind != argc || !o->url || (!o->token == !o->no_token) || o->duration_s <= 0 ||
        o->drop_percent > 100 || o->latency_ms < 0)
        return -1;
    return 0;
}

/* ---- SDP edits ---- */

static void corrupt_fingerprint(char **sdp, void *user)
{
    char *line = strstr(*sdp, "a=fingerprint:");
    if (!line) {
        fprintf(stderr, "warning: no a=fingerprint line to corrupt\n");
        return;
    }
    /* Flip the last hex digit of the line: still well-formed, no longer ours. */
    char *end = line + strcspn(line, "\r\n");
    for (char *p = end - 1; p > line; p--) {
        if (g_ascii_isxdigit(*p)) {
            *p = *p == '0' ? '1' : '0';
            fprintf(stderr, "tsn-whep-play: corrupted the offer's DTLS fingerprint\n");
            return;
        }
    }
}

/* Points every UDP candidate of the answer at the proxy, which forwards to
 * the relay's real port. */
static int route_answer_through_proxy(GstSDPMessage *answer, void *user)
{
    struct player *pl = user;
    for (guint m = 0; m < gst_sdp_message_medias_len(answer); m++) {
        GstSDPMedia *media = (GstSDPMedia *)gst_sdp_message_get_media(answer, m);
        for (guint a = 0; a < gst_sdp_media_attributes_len(media); a++) {
            const GstSDPAttribute *attr = gst_sdp_media_get_attribute(media, a);
            if (g_strcmp0(attr->key, "candidate") != 0 || !attr->value)
                continue;
            /* foundation component transport priority address port "typ" type ... */
            char **f = g_strsplit(attr->value, " ", -1);
            if (g_strv_length(f) < 8 || g_ascii_strcasecmp(f[2], "udp") != 0) {
                g_strfreev(f);
                continue;
            }
            int relay_port = atoi(f[5]);
            if (strcmp(f[4], "127.0.0.1") != 0 || relay_port <= 0 || relay_port > 65535) {
                g_strfreev(f);
                continue;
            }
            if (!pl->proxy) {
                pl->proxy = tsn_udp_proxy_new((uint16_t)relay_port, (unsigned)pl->opt.drop_percent,
                                              pl->opt.seed);
                if (!pl->proxy) {
                    g_strfreev(f);
                    return -EIO;
                }
                fprintf(stderr,
                        "tsn-whep-play: proxy 127.0.0.1:%u -> relay 127.0.0.1:%d, dropping %d%%\n",
                        tsn_udp_proxy_port(pl->proxy), relay_port, pl->opt.drop_percent);
            }
            g_free(f[5]);
            f[5] = g_strdup_printf("%u", tsn_udp_proxy_port(pl->proxy));
            char *value = g_strjoinv(" ", f);
            g_strfreev(f);
            GstSDPAttribute repl;
            gst_sdp_attribute_set(&repl, "candidate", value);
            g_free(value);
            gst_sdp_media_replace_attribute(media, a, &repl); /* takes repl's strings */
        }
        if (pl->proxy)
            gst_sdp_media_set_port_info(media, tsn_udp_proxy_port(pl->proxy), 1);
    }
    return pl->proxy ? 0 : -ENOENT; /* no UDP candidate on 127.0.0.1 to proxy */
}

/* ---- counting ---- */

/* Milliseconds since the POST, for the timeline lines on stderr. */
static gint64 since_post_ms(struct player *pl)
{
    gint64 post_us = tsn_wc_post_time_us(pl->wc);
    return post_us ? (g_get_monotonic_time() - post_us) / 1000 : -1;
}

static GstPadProbeReturn on_first_rtp(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    fprintf(stderr, "+%" G_GINT64_FORMAT " ms after POST: first RTP packet out of webrtcbin\n",
            since_post_ms(data));
    return GST_PAD_PROBE_REMOVE;
}

static GstPadProbeReturn on_access_unit(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct player *pl = data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    gint64 now_us = g_get_monotonic_time();
    int key = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
    g_mutex_lock(&pl->lock);
    int first = pl->frames_received++ == 0;
    if (key) {
        pl->keyframes++;
        if (pl->request_us && !pl->keyframe_after_request_us)
            pl->keyframe_after_request_us = now_us;
    }
    g_mutex_unlock(&pl->lock);
    if (first)
        fprintf(stderr, "+%" G_GINT64_FORMAT " ms after POST: first access unit (%s)\n",
                since_post_ms(pl), key ? "keyframe" : "delta frame");
    return GST_PAD_PROBE_OK;
}

/* Logs keyframe requests travelling upstream (ours, or the parser's and the
 * decoder's own when they start without a keyframe or hit corrupt data). */
static GstPadProbeReturn on_upstream_event(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    gboolean all_headers = FALSE;
    if (ev && gst_video_event_is_force_key_unit(ev) &&
        gst_video_event_parse_upstream_force_key_unit(ev, NULL, &all_headers, NULL))
        fprintf(stderr, "+%" G_GINT64_FORMAT " ms after POST: keyframe request upstream (%s)\n",
                since_post_ms(data), all_headers ? "FIR" : "PLI");
    return GST_PAD_PROBE_OK;
}

/* rtpjitterbuffer holds the very first packet for its whole latency unless
 * fast start is on; a viewer should show the first decodable frame at once. */
static void on_deep_element_added(GstBin *pipeline, GstBin *sub_bin, GstElement *element,
                                  gpointer data)
{
    GstElementFactory *f = gst_element_get_factory(element);
    if (f && strcmp(GST_OBJECT_NAME(f), "rtpjitterbuffer") == 0 &&
        g_object_class_find_property(G_OBJECT_GET_CLASS(element), "faststart-min-packets"))
        g_object_set(element, "faststart-min-packets", (guint)FASTSTART_MIN_PACKETS, NULL);
}

static gboolean request_keyframe(gpointer data)
{
    struct player *pl = data;
    g_mutex_lock(&pl->lock);
    GstPad *pad = pl->depay_sink ? gst_object_ref(pl->depay_sink) : NULL;
    pl->request_us = g_get_monotonic_time();
    g_mutex_unlock(&pl->lock);
    if (pad) {
        /* Upstream through webrtcbin: rtpsession answers it with a PLI
         * (all-headers=TRUE would make it a FIR instead). */
        gboolean sent = gst_pad_push_event(
            pad, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0));
        fprintf(stderr, "tsn-whep-play: keyframe requested%s\n",
                sent ? "" : " (event not handled)");
        gst_object_unref(pad);
    }
    return G_SOURCE_REMOVE;
}

static gboolean schedule_keyframe_request(gpointer data)
{
    struct player *pl = data;
    g_timeout_add((guint)(pl->opt.request_keyframe_at_s * 1000), request_keyframe, pl);
    return G_SOURCE_REMOVE;
}

static GstPadProbeReturn on_decoded(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct player *pl = data;
    gint64 now_us = g_get_monotonic_time();
    g_mutex_lock(&pl->lock);
    int first = pl->frames_decoded++ == 0;
    if (first)
        pl->first_frame_us = now_us;
    g_mutex_unlock(&pl->lock);
    if (first)
        fprintf(stderr, "+%" G_GINT64_FORMAT " ms after POST: first decoded frame\n",
                since_post_ms(pl));
    if (first && pl->opt.request_keyframe_at_s >= 0)
        g_main_context_invoke(NULL, schedule_keyframe_request, pl);
    return GST_PAD_PROBE_OK;
}

static void add_probe(GstBin *bin, const char *name, const char *pad_name, GstPadProbeCallback cb,
                      struct player *pl)
{
    GstElement *el = gst_bin_get_by_name(bin, name);
    GstPad *pad = gst_element_get_static_pad(el, pad_name);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, cb, pl, NULL);
    gst_object_unref(pad);
    gst_object_unref(el);
}

/* webrtcbin made a source pad for the incoming stream: depayload, parse,
 * decode, count. Runs on a streaming thread. */
static void on_pad_added(GstElement *webrtc, GstPad *pad, gpointer data)
{
    struct player *pl = data;
    gint64 start_us = g_get_monotonic_time();
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
        return;
    GstCaps *caps = gst_pad_get_current_caps(pad);
    if (!caps)
        caps = gst_pad_query_caps(pad, NULL);
    const char *name = gst_structure_get_string(gst_caps_get_structure(caps, 0), "encoding-name");
    const char *desc = NULL;
    if (g_strcmp0(name, "H264") == 0)
        desc = "rtph264depay name=depay ! h264parse name=au ! "
               "avdec_h264 name=dec output-corrupt=false max-threads=1 ! fakesink sync=false";
    else if (g_strcmp0(name, "VP8") == 0)
        desc = "rtpvp8depay name=au ! vp8dec name=dec ! fakesink sync=false";
    g_mutex_lock(&pl->lock);
    int duplicate = pl->codec != NULL;
    if (!duplicate)
        pl->codec = g_strdup(name ? name : "unknown");
    g_mutex_unlock(&pl->lock);
    if (!desc || duplicate) {
        fprintf(stderr, "tsn-whep-play: ignoring a %s stream\n", name ? name : "unknown");
        gst_caps_unref(caps);
        return;
    }
    gst_caps_unref(caps);

    GError *err = NULL;
    GstElement *bin = gst_parse_bin_from_description(desc, TRUE, &err);
    if (!bin) {
        fprintf(stderr, "tsn-whep-play: cannot build the decoder: %s\n", err->message);
        g_clear_error(&err);
        return;
    }
    GstElement *depay =
        gst_bin_get_by_name(GST_BIN(bin), strcmp(name, "H264") == 0 ? "depay" : "au");
    g_mutex_lock(&pl->lock);
    pl->depay_sink = gst_element_get_static_pad(depay, "sink");
    g_mutex_unlock(&pl->lock);
    gst_pad_add_probe(pl->depay_sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_upstream_event, pl,
                      NULL);
    gst_object_unref(depay);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_first_rtp, pl, NULL);
    add_probe(GST_BIN(bin), "au", "src", on_access_unit, pl);
    add_probe(GST_BIN(bin), "dec", "src", on_decoded, pl);

    gst_bin_add(GST_BIN(pl->pipeline), bin);
    gst_element_sync_state_with_parent(bin);
    GstPad *sink = gst_element_get_static_pad(bin, "sink");
    if (gst_pad_link(pad, sink) != GST_PAD_LINK_OK)
        fprintf(stderr, "tsn-whep-play: cannot link the %s decoder\n", name);
    gst_object_unref(sink);
    fprintf(stderr,
            "+%" G_GINT64_FORMAT " ms after POST: receiving %s (decoder set up in %" G_GINT64_FORMAT
            " ms)\n",
            since_post_ms(pl), name, (g_get_monotonic_time() - start_us) / 1000);
}

/* ---- report and shutdown ---- */

static void append_ms(GString *j, const char *key, gint64 from_us, gint64 to_us)
{
    if (from_us && to_us)
        g_string_append_printf(j, ",\"%s\":%" G_GINT64_FORMAT, key, (to_us - from_us) / 1000);
    else
        g_string_append_printf(j, ",\"%s\":null", key);
}

static void print_report(struct player *pl, int delete_status, const GstStructure *stats)
{
    const GstStructure *in = tsn_webrtc_stats_find(stats, GST_WEBRTC_STATS_INBOUND_RTP);
    struct tsn_udp_proxy_stats ps = {0};
    if (pl->proxy)
        tsn_udp_proxy_get_stats(pl->proxy, &ps);
    GString *j = g_string_new("{");
    g_mutex_lock(&pl->lock);
    g_string_append_printf(j, "\"frames_decoded\":%d", pl->frames_decoded);
    if (pl->marked)
        g_string_append_printf(j, ",\"frames_decoded_after_mark\":%d",
                               pl->frames_decoded - pl->mark_frames);
    else
        g_string_append(j, ",\"frames_decoded_after_mark\":null");
    append_ms(j, "first_frame_ms", tsn_wc_post_time_us(pl->wc), pl->first_frame_us);
    g_string_append_printf(j, ",\"keyframes\":%d,\"frames_received\":%d", pl->keyframes,
                           pl->frames_received);
    append_ms(j, "keyframe_after_request_ms", pl->request_us, pl->keyframe_after_request_us);
    g_string_append(j, ",\"codec\":");
    tsn_wc_json_string(j, pl->codec);
    g_mutex_unlock(&pl->lock);

    g_string_append_printf(
        j,
        ",\"packets_received\":%" G_GINT64_FORMAT ",\"packets_lost\":%" G_GINT64_FORMAT
        ",\"nacks_sent\":%" G_GINT64_FORMAT ",\"plis_sent\":%" G_GINT64_FORMAT
        ",\"firs_sent\":%" G_GINT64_FORMAT,
        tsn_webrtc_stats_int(in, "packets-received", -1), tsn_webrtc_stats_int(in, "packets-lost", -1),
        tsn_webrtc_stats_int(in, "nack-count", -1), tsn_webrtc_stats_int(in, "pli-count", -1),
        tsn_webrtc_stats_int(in, "fir-count", -1));
    /* The jitter buffer's own view: what it gave up on and what it asked again. */
    g_string_append_printf(
        j,
        ",\"jb_lost\":%" G_GINT64_FORMAT ",\"jb_rtx_requests\":%" G_GINT64_FORMAT
        ",\"jb_rtx_success\":%" G_GINT64_FORMAT,
        tsn_wc_sum_element_stat(pl->webrtc, "rtpjitterbuffer", "stats", "num-lost"),
        tsn_wc_sum_element_stat(pl->webrtc, "rtpjitterbuffer", "stats", "rtx-count"),
        tsn_wc_sum_element_stat(pl->webrtc, "rtpjitterbuffer", "stats", "rtx-success-count"));
    if (pl->proxy)
        g_string_append_printf(j,
                               ",\"proxy_media_packets\":%" G_GUINT64_FORMAT
                               ",\"proxy_dropped\":%" G_GUINT64_FORMAT,
                               (guint64)ps.media_seen, (guint64)ps.dropped);
    g_string_append_printf(
        j, ",\"connected\":%s,\"connect_ms\":%" G_GINT64_FORMAT ",\"delete_status\":%d,\"error\":",
        tsn_wc_is_connected(pl->wc) ? "true" : "false", tsn_wc_connect_ms(pl->wc), delete_status);
    tsn_wc_json_string(j, pl->error);
    g_string_append(j, "}\n");
    fputs(j->str, stdout);
    fflush(stdout);
    g_string_free(j, TRUE);
}

static int final_exit_code(struct player *pl, int delete_status)
{
    static const int codes[] = {[TSN_WC_FAIL_HTTP] = 3,
                                [TSN_WC_FAIL_CONNECT] = 4,
                                [TSN_WC_FAIL_SDP] = 5,
                                [TSN_WC_FAIL_PIPELINE] = 6};
    g_mutex_lock(&pl->lock);
    int frames = pl->frames_decoded;
    g_mutex_unlock(&pl->lock);
    if (pl->opt.expect_fail) {
        if (frames == 0)
            return 0;
        fprintf(stderr, "tsn-whep-play: expected no media but decoded %d frames\n", frames);
        return 1;
    }
    if (pl->failure)
        return codes[pl->failure];
    if (frames == 0) {
        fprintf(stderr, "tsn-whep-play: connected but decoded no frame\n");
        return 7;
    }
    if (delete_status < 200 || delete_status > 299)
        return 3;
    return 0;
}

static void stop(struct player *pl)
{
    if (pl->stopping)
        return;
    pl->stopping = 1;
    GstStructure *stats = tsn_wc_is_connected(pl->wc) ? tsn_wc_get_stats(pl->wc) : NULL;
    if (stats && g_getenv("TSN_DUMP_STATS")) {
        char *s = gst_structure_to_string(stats);
        fprintf(stderr, "%s\n", s);
        g_free(s);
    }
    int delete_status = tsn_wc_delete(pl->wc);
    /* Read the jitter buffers before the pipeline goes away. */
    gst_element_set_state(pl->pipeline, GST_STATE_PAUSED);
    pl->exit_code = final_exit_code(pl, delete_status);
    print_report(pl, delete_status, stats);
    gst_element_set_state(pl->pipeline, GST_STATE_NULL);
    if (stats)
        gst_structure_free(stats);
    g_main_loop_quit(pl->loop);
}

static gboolean on_duration_done(gpointer data)
{
    stop(data);
    return G_SOURCE_REMOVE;
}

/* SIGINT/SIGTERM end the run early but normally (DELETE, report). */
static gboolean on_stop_signal(gpointer data)
{
    fprintf(stderr, "tsn-whep-play: signalled, ending the session\n");
    stop(data);
    return G_SOURCE_REMOVE;
}

/* SIGUSR1 marks the start of a measured run: frames_decoded_after_mark
 * counts from here (the publisher's --start-on-signal counterpart). */
static gboolean on_mark_signal(gpointer data)
{
    struct player *pl = data;
    g_mutex_lock(&pl->lock);
    pl->mark_frames = pl->frames_decoded;
    pl->marked = 1;
    g_mutex_unlock(&pl->lock);
    fprintf(stderr, "+%" G_GINT64_FORMAT " ms after POST: mark at %d decoded frames\n",
            since_post_ms(pl), pl->mark_frames);
    return G_SOURCE_CONTINUE;
}

static void on_failed(enum tsn_wc_failure why, const char *message, void *user)
{
    struct player *pl = user;
    pl->failure = why;
    pl->error = g_strdup(message);
    /* Nothing can arrive after a failure, expected or not: report now. */
    stop(pl);
}

/* Loads the depayloader, parser and decoder plugins now: loading libav on
 * the first packet would add a hundred milliseconds or more to the
 * measured time to first frame, which is the relay's figure, not ours. */
static void preload_decoders(void)
{
    static const char *const names[] = {"rtph264depay", "h264parse", "avdec_h264",
                                        "rtpvp8depay",  "vp8dec",    "fakesink"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        GstElement *el = gst_element_factory_make(names[i], NULL);
        if (!el) {
            fprintf(stderr, "tsn-whep-play: warning: no %s element\n", names[i]);
            continue;
        }
        gst_object_unref(gst_object_ref_sink(el));
    }
}

static int add_recv_transceiver(GstElement *webrtc)
{
    GstCaps *caps = gst_caps_from_string(RECV_CAPS);
    GstWebRTCRTPTransceiver *trans = NULL;
    g_signal_emit_by_name(webrtc, "add-transceiver", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY,
                          caps, &trans);
    gst_caps_unref(caps);
    if (!trans)
        return -1;
    int rc = 0;
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(trans), "do-nack"))
        g_object_set(trans, "do-nack", TRUE, NULL);
    else
        rc = -1;
    gst_object_unref(trans);
    return rc;
}

int main(int argc, char **argv)
{
    struct player pl = {.exit_code = 1};
    gst_init(&argc, &argv);
    if (parse_options(argc, argv, &pl.opt) < 0) {
        usage();
        return 2;
    }
    g_mutex_init(&pl.lock);
    preload_decoders();
    pl.pipeline = gst_pipeline_new("player");
    pl.webrtc = gst_element_factory_make("webrtcbin", "webrtc");
    if (!pl.webrtc) {
        fprintf(stderr,
                "tsn-whep-play: no webrtcbin (gst-plugins-bad and gstreamer1.0-nice needed)\n");
        return 6;
    }
    g_object_set(pl.webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
                 (guint)pl.opt.latency_ms, NULL);
    gst_bin_add(GST_BIN(pl.pipeline), pl.webrtc);
    if (add_recv_transceiver(pl.webrtc) < 0) {
        fprintf(stderr, "tsn-whep-play: cannot add a recvonly transceiver with NACK\n");
        return 6;
    }
    g_signal_connect(pl.webrtc, "pad-added", G_CALLBACK(on_pad_added), &pl);
    g_signal_connect(pl.pipeline, "deep-element-added", G_CALLBACK(on_deep_element_added), NULL);

    pl.loop = g_main_loop_new(NULL, FALSE);
    struct tsn_wc_callbacks cb = {.failed = on_failed, .user = &pl};
    if (pl.opt.corrupt_fingerprint)
        cb.edit_offer = corrupt_fingerprint;
    if (pl.opt.drop_percent >= 0)
        cb.edit_answer = route_answer_through_proxy;
    pl.wc = tsn_wc_new(pl.pipeline, pl.webrtc, pl.opt.url, pl.opt.token, &cb);
    if (tsn_wc_start(pl.wc, CONNECT_TIMEOUT_MS) < 0) {
        fprintf(stderr, "tsn-whep-play: cannot keep ICE on loopback\n");
        return 6;
    }
    g_unix_signal_add(SIGINT, on_stop_signal, &pl);
    g_unix_signal_add(SIGTERM, on_stop_signal, &pl);
    g_unix_signal_add(SIGUSR1, on_mark_signal, &pl);
    g_timeout_add((guint)(pl.opt.duration_s * 1000), on_duration_done, &pl);
    if (gst_element_set_state(pl.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        fprintf(stderr, "tsn-whep-play: the pipeline does not start\n");
        return 6;
    }
    g_main_loop_run(pl.loop);

    tsn_wc_free(pl.wc);
    tsn_udp_proxy_free(pl.proxy);
    if (pl.depay_sink)
        gst_object_unref(pl.depay_sink);
    gst_object_unref(pl.pipeline);
    g_main_loop_unref(pl.loop);
    g_free(pl.codec);
    g_free(pl.error);
    g_mutex_clear(&pl.lock);
    return pl.exit_code;
}
