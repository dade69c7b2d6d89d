/* Shared plumbing of the WHIP publisher and WHEP player test clients: keeps a
 * webrtcbin on loopback, negotiates once without trickle (gather every local
 * candidate, POST the complete offer, apply the answer), watches ICE/DTLS
 * until the peer connection is up or a deadline passes, reads webrtcbin's
 * statistics and ends the session with DELETE. Both programs own their
 * pipeline; this module only drives the webrtcbin inside it. Every callback
 * below runs on the thread of the GMainContext that was default when
 * tsn_wc_new() was called (the program's main loop). */
#ifndef TSN_WEBRTC_CLIENT_H
#define TSN_WEBRTC_CLIENT_H

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include "webrtc_peer.h"

struct tsn_wc;

/* Why a session failed; programs map these to exit codes. */
enum tsn_wc_failure {
    TSN_WC_FAIL_HTTP = 1, /* the POST failed or did not answer 201 */
    TSN_WC_FAIL_SDP,      /* offer or answer could not be made or applied */
    TSN_WC_FAIL_CONNECT,  /* ICE/DTLS failed or did not connect in time */
    TSN_WC_FAIL_PIPELINE, /* a GStreamer error message on the bus */
};

struct tsn_wc_callbacks {
    /* May edit the offer text (owned by the module, replace with g_free'able
     * memory) before it is POSTed. Nullable. */
    void (*edit_offer)(char **sdp_text, void *user);
    /* May edit the parsed answer before it is applied. Returns 0 or a
     * negative code, which fails the session (TSN_WC_FAIL_SDP). Nullable. */
    int (*edit_answer)(GstSDPMessage *answer, void *user);
    /* ICE and DTLS are up. Nullable. */
    void (*connected)(void *user);
    /* The session failed; `message` is one English line, already printed to
     * stderr. Called at most once; the module stops negotiating after it. */
    void (*failed)(enum tsn_wc_failure why, const char *message, void *user);
    void *user;
};

/* `webrtc` is a webrtcbin inside `pipeline` (both borrowed: they must outlive
 * the client). `url` is the WHIP/WHEP endpoint, `token` the bearer token
 * (nullable: no Authorization header). */
struct tsn_wc *tsn_wc_new(GstElement *pipeline, GstElement *webrtc, const char *url,
                          const char *token, const struct tsn_wc_callbacks *cb);
void tsn_wc_free(struct tsn_wc *wc);

/* Pins ICE to 127.0.0.1 (no interface discovery, no UPnP, no ICE-TCP) and
 * hooks webrtcbin's signals and the pipeline bus. Call before the pipeline
 * leaves NULL; negotiation starts by itself when webrtcbin asks for it. */
int tsn_wc_start(struct tsn_wc *wc, int connect_timeout_ms);

int tsn_wc_is_connected(const struct tsn_wc *wc);
/* Monotonic microseconds when the POST was sent, 0 before. */
gint64 tsn_wc_post_time_us(const struct tsn_wc *wc);
/* Milliseconds from the POST to "connected", -1 if not connected. */
gint64 tsn_wc_connect_ms(const struct tsn_wc *wc);

/* Sends DELETE to the session's Location. Returns the HTTP status, 0 if no
 * session was created, or a negative transport error code. */
int tsn_wc_delete(struct tsn_wc *wc);

/* Blocks until webrtcbin answers get-stats. Returns the stats structure
 * (transfer full, free with gst_structure_free) or NULL. */
GstStructure *tsn_wc_get_stats(struct tsn_wc *wc);

/* Stats lookups: tsn_webrtc_stats_find / tsn_webrtc_stats_int (webrtc_peer.h). */

/* Sums a numeric field of every element in `bin` (recursively) whose factory
 * is `factory_name`, read from that element's GstStructure property `prop`
 * (e.g. rtpjitterbuffer "stats" "rtx-count"). Returns -1 if none found. */
gint64 tsn_wc_sum_element_stat(GstElement *bin, const char *factory_name, const char *prop,
                               const char *field);

/* Appends `s` as a JSON string literal (quoted, escaped); NULL as null. */
void tsn_wc_json_string(GString *out, const char *s);

#endif
