/* One WebRTC peer connection to the relay through a stock GStreamer
 * webrtcbin, for capture (send-only) and view (receive-only). This module
 * owns the negotiation steps (offer, ICE gathering, answer, state) and the
 * ICE policy; the caller owns the pipeline around webrtcbin and carries the
 * SDP over signalling (common/gst/sig_client.h).
 *
 * ICE policy: the relay is ICE-lite and learns our address from our
 * connectivity checks, so we gather only host candidates: UPnP and ICE-TCP
 * are always off, no STUN/TURN, and when `local_ips` is set only those
 * addresses are used (capture and view set 127.0.0.1 automatically when the
 * relay is on loopback, so nothing leaves the machine).
 *
 * Callbacks run on the GMainContext that was the thread default at _new. */
#ifndef TSN_WEBRTC_PEER_H
#define TSN_WEBRTC_PEER_H

#include <gst/gst.h>

struct tsn_webrtc_peer;

enum tsn_peer_state { TSN_PEER_NEW, TSN_PEER_CONNECTING, TSN_PEER_CONNECTED, TSN_PEER_FAILED };

struct tsn_webrtc_peer_cb {
    /* The local offer is ready (with candidates and a=end-of-candidates):
     * send it to the relay. `sdp` is borrowed for the call. */
    void (*offer)(const char *sdp, void *user);
    /* Connected, or failed/disconnected (with a reason). */
    void (*state)(enum tsn_peer_state state, const char *reason, void *user);
    void *user;
};

struct tsn_webrtc_peer_config {
    const char *const *local_ips; /* (nullable) NULL-terminated list of addresses to use */
    int connect_timeout_ms;       /* after the answer; <= 0 means 10,000 */
    int jitter_latency_ms;        /* receive side: rtpjitterbuffer latency (webrtcbin "latency") */
};

/* Wraps `webrtc` (borrowed; it must already be in its pipeline) and applies
 * the ICE policy. Returns NULL with a reason. Negotiation starts when
 * webrtcbin asks for it (on-negotiation-needed) once the pipeline plays. */
struct tsn_webrtc_peer *tsn_webrtc_peer_new(GstElement *webrtc,
                                            const struct tsn_webrtc_peer_config *cfg,
                                            const struct tsn_webrtc_peer_cb *cb, char *why,
                                            size_t why_len);
/* Applies the relay's answer. Returns 0 or -EINVAL (not SDP) with a reason. */
int tsn_webrtc_peer_set_answer(struct tsn_webrtc_peer *p, const char *sdp, char *why,
                               size_t why_len);
enum tsn_peer_state tsn_webrtc_peer_state(const struct tsn_webrtc_peer *p);
/* webrtcbin's get-stats, blocking (transfer full; nullable). */
GstStructure *tsn_webrtc_peer_stats(struct tsn_webrtc_peer *p);
/* The first stats entry of a GstWebRTCStatsType (transfer none), and an
 * integer field of it (or `fallback`). */
const GstStructure *tsn_webrtc_stats_find(const GstStructure *stats, int type);
gint64 tsn_webrtc_stats_int(const GstStructure *s, const char *field, gint64 fallback);
/* Disconnects from webrtcbin; the caller then stops its pipeline. NULL ok. */
void tsn_webrtc_peer_free(struct tsn_webrtc_peer *p);

/* Applies the ICE policy above to a webrtcbin (UPnP and ICE-TCP off; only
 * `local_ips` when given). 0 or -EINVAL with a reason. */
int tsn_webrtc_ice_policy(GstElement *webrtc, const char *const *local_ips, char *why,
                          size_t why_len);
/* `text` with `candidate_lines` ("a=candidate:...\r\n" lines) and
 * a=end-of-candidates added to its first m-section, unless webrtcbin already
 * put candidates or end-of-candidates there (transfer full). */
char *tsn_webrtc_offer_with_candidates(const char *text, const char *candidate_lines);

/* True when `host` (an address or name from a URL) is a loopback address. */
int tsn_host_is_loopback(const char *host);

#endif
