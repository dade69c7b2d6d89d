/* SDP (RFC 8866) for WebRTC offer/answer as WHIP/WHEP clients send it:
 * parse an offer into a fixed-size description and build the relay's answer
 * (ICE-lite, BUNDLE, rtcp-mux, one host candidate, a=end-of-candidates).
 * Pure functions: no I/O, no globals; the caller owns every struct.
 * It does not support trickle ICE, simulcast or more than TSN_SDP_MAX_MEDIA
 * m-sections; audio and data m-sections are parsed and then rejected by the
 * caller (port 0 in the answer). */
#ifndef TSN_SDP_H
#define TSN_SDP_H

#include <stddef.h>
#include <stdint.h>

#define TSN_SDP_MAX_MEDIA 8
#define TSN_SDP_MAX_CODECS 24
#define TSN_SDP_MAX_EXTMAP 16
#define TSN_SDP_MAX_SSRC 8
#define TSN_SDP_MAX_TEXT (64 * 1024) /* longer offers are refused */

#define TSN_SDP_EXT_ABS_CAPTURE_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"
#define TSN_SDP_EXT_MID "urn:ietf:params:rtp-hdrext:sdes:mid"

enum tsn_codec { TSN_CODEC_NONE = 0, TSN_CODEC_H264, TSN_CODEC_VP8 };
enum tsn_sdp_dir { TSN_SDP_SENDRECV = 0, TSN_SDP_SENDONLY, TSN_SDP_RECVONLY, TSN_SDP_INACTIVE };
enum tsn_sdp_setup { TSN_SDP_SETUP_NONE = 0, TSN_SDP_SETUP_ACTPASS, TSN_SDP_SETUP_ACTIVE,
                     TSN_SDP_SETUP_PASSIVE };

struct tsn_sdp_codec {
    uint8_t pt;
    char name[16];       /* encoding name as written, e.g. "H264", "VP8", "rtx" */
    uint32_t clock_rate;
    char fmtp[160];      /* a=fmtp parameters, "" if none; when longer, the
                            sprop-* parameters (H.264 SPS/PPS) are left out */
    int apt;             /* rtx: associated payload type from fmtp apt=, else -1 */
    uint8_t fb_nack, fb_pli, fb_fir, fb_remb, fb_twcc; /* a=rtcp-fb (or "*") */
};

struct tsn_sdp_extmap {
    uint8_t id;
    char uri[128];
};

struct tsn_sdp_media {
    char type[16];       /* "video", "audio", "application", ... */
    uint16_t port;
    char proto[40];      /* e.g. "UDP/TLS/RTP/SAVPF" */
    char first_fmt[32];  /* first <fmt> of the m= line as written ("96",
                            "webrtc-datachannel"): a rejected answer repeats it */
    char mid[32];        /* "" if none */
    enum tsn_sdp_dir dir;
    uint8_t rtcp_mux, rtcp_rsize;
    struct tsn_sdp_codec codecs[TSN_SDP_MAX_CODECS];
    size_t n_codecs;     /* in m= line order; see tsn_sdp_parse for overflow */
    struct tsn_sdp_extmap extmap[TSN_SDP_MAX_EXTMAP];
    size_t n_extmap;     /* media-level a=extmap only */
    uint32_t ssrcs[TSN_SDP_MAX_SSRC]; /* distinct a=ssrc values in order */
    size_t n_ssrcs;
    uint32_t fid_primary, fid_rtx;    /* a=ssrc-group:FID, 0 if none */
    /* Transport: media-level values, or the session-level ones if absent. */
    char ice_ufrag[257];
    char ice_pwd[257];
    char fingerprint_alg[16];         /* lower case, e.g. "sha-256" */
    char fingerprint[200];            /* upper-case hex pairs with colons */
    enum tsn_sdp_setup setup;
};

struct tsn_sdp {
    uint64_t session_id;              /* from o= */
    uint8_t ice_lite;                 /* a=ice-lite at session level */
    char bundle[TSN_SDP_MAX_MEDIA][32]; /* mids of a=group:BUNDLE */
    size_t n_bundle;
    struct tsn_sdp_media media[TSN_SDP_MAX_MEDIA];
    size_t n_media;
};

/* Parses an offer (or answer). Accepts LF or CRLF line ends. Returns 0, or
 * -EBADMSG with a one-line human reason in `why` (e.g. "line 7: a=fingerprint
 * has 31 bytes, expected 32") for: missing v=/o=/m= lines, no ice-ufrag/pwd
 * or fingerprint for an m-section with a non-zero port, malformed numbers,
 * too many m-sections or SSRCs, text longer than TSN_SDP_MAX_TEXT, NUL bytes
 * or other control characters, and values longer than their field (never
 * truncated). Unknown attributes are ignored. `out` may be partially written
 * on error; -EINVAL if text or out is NULL.
 * An m= line may list more payload types than TSN_SDP_MAX_CODECS (Chromium
 * lists ~30): then H.264 and VP8 are kept first, then rtx entries whose apt
 * is kept, then the rest in m= order until full; the others are ignored.
 * Likewise past TSN_SDP_MAX_EXTMAP extmaps, the mid and abs-capture-time ones
 * are still kept and other URIs are ignored. */
int tsn_sdp_parse(const char *text, size_t len, struct tsn_sdp *out, char *why, size_t why_len);

/* Picks the codec the relay will forward in a video m-section: for H.264 a
 * packetization-mode=1 entry whose profile-level-id has profile_idc 0x42
 * (baseline / constrained baseline), preferring 42e01f; for VP8 the first VP8.
 * `want` is the codec required (TSN_CODEC_NONE: H.264 if offered, else VP8).
 * Returns the index in m->codecs, or -ENOENT. */
int tsn_sdp_pick_codec(const struct tsn_sdp_media *m, enum tsn_codec want, enum tsn_codec *got);

/* Finds the extmap id for `uri` in m, or 0 if not offered. */
uint8_t tsn_sdp_extmap_id(const struct tsn_sdp_media *m, const char *uri);

/* What the relay answers for one m-section of the offer, in offer order. */
struct tsn_sdp_answer_media {
    const struct tsn_sdp_media *offer; /* transfer none */
    int rejected;                       /* answer with port 0 and no attributes */
    enum tsn_sdp_dir dir;               /* the relay's direction */
    int codec_index;                    /* index into offer->codecs */
    uint8_t ext_abs_capture_time;       /* extmap id to echo, 0 = none */
    uint8_t ext_mid;                    /* extmap id to echo, 0 = none */
    uint32_t ssrc;                      /* relay's SSRC when it sends, else 0 */
    const char *cname;                  /* with ssrc */
    const char *msid_stream, *msid_track; /* with ssrc */
};

struct tsn_sdp_answer {
    uint64_t session_id;
    const char *ice_ufrag, *ice_pwd;
    const char *fingerprint;  /* SHA-256, upper-case hex pairs with colons */
    const char *cand_ip;      /* the one host candidate (IPv4 or IPv6 literal) */
    uint16_t cand_port;
    struct tsn_sdp_answer_media media[TSN_SDP_MAX_MEDIA];
    size_t n_media;
};

/* Writes the answer (CRLF line ends, a=ice-lite, a=setup:passive, a=group:BUNDLE
 * of the accepted mids, rtcp-mux, rtcp-rsize (when offered, as JSEP says),
 * rtpmap/fmtp/rtcp-fb nack, nack pli, ccm fir (those the offer has) for the
 * chosen codec, one a=candidate and a=end-of-candidates per accepted section;
 * cname defaults to "telesono"). Returns the length (NUL-terminated in out),
 * -ENOSPC, or -EINVAL for a missing or unsafe input (NULL, a control character or a
 * space in a credential, address, cname or msid; a bad codec_index). */
int tsn_sdp_build_answer(const struct tsn_sdp_answer *a, char *out, size_t cap);

#endif
