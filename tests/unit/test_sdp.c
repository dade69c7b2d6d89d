/* Unit tests for relay/sdp.c: realistic offers from GStreamer webrtcbin 1.22
 * and Chromium (written out from what those stacks emit), codec choice, the
 * ICE-lite answer (exact bytes and a parse-back round trip) and rejections,
 * each of which must name the offending line. struct tsn_sdp is ~40 KB, so
 * every test heap-allocates it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sdp.h"

#define L(s) s "\r\n"

#define FP1                                                                                        \
    "2B:01:72:D6:36:A5:C7:9C:E4:53:F2:4C:AA:21:03:A1:C9:73:73:FF:15:0D:D0:FE:9A:8B:27:2B:0E:50:"   \
    "F2:8A"
#define FP2                                                                                        \
    "48:79:E2:5E:4A:47:6B:47:32:93:4B:1B:95:A8:8E:1A:EE:7C:FB:5F:8D:26:2D:39:DE:CB:00:03:A9:9D:"   \
    "8D:78"
#define FP3                                                                                        \
    "8C:2B:F4:83:7A:C7:42:97:A2:30:64:61:3C:25:40:61:8A:DB:93:F4:BB:73:F5:2B:7B:42:77:34:35:47:"   \
    "49:D8"
#define ACT  "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"
#define MIDX "urn:ietf:params:rtp-hdrext:sdes:mid"

/* webrtcbin publishing x264enc output (constrained baseline) with rtx. */
static const char webrtcbin_sendonly[] = L("v=0") L("o=- 6807936395290592513 0 IN IP4 0.0.0.0")
    L("s=-") L("t=0 0") L("a=ice-options:trickle") L("a=group:BUNDLE video0") L(
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97") L("c=IN IP4 0.0.0.0") L("a=setup:actpass")
        L("a=ice-ufrag:q0XnVvYyqnbDYvh4OSvIpRe3E0TM8lWU") L(
            "a=ice-pwd:Hq3ZOWpkYfmJFbEc2trSHaHLjWxjMx8F") L("a=rtcp-mux") L("a=rtcp-rsize")
            L("a=sendonly") L("a=rtpmap:96 H264/90000") L("a=rtcp-fb:96 nack") L(
                "a=rtcp-fb:96 nack pli") L("a=rtcp-fb:96 ccm fir") L("a=framerate:30")
                L("a=extmap:1 " ACT) L("a=extmap:2 " MIDX) L(
                    "a=fmtp:96 packetization-mode=1;profile-level-id=42c01f;sprop-parameter-sets="
                    "Z0LAH9kAoD2wEQAAAwABAAADADyPGDKA,aMuMsg==") L("a=rtpmap:97 rtx/90000")
                    L("a=fmtp:97 apt=96") L("a=ssrc-group:FID 2526795341 1404531563")
                        L("a=ssrc:2526795341 msid:user1804289383@host-0e5d7cd0 webrtctransceiver0")
                            L("a=ssrc:2526795341 cname:user1804289383@host-0e5d7cd0")
                                L("a=ssrc:1404531563 msid:user1804289383@host-0e5d7cd0 "
                                  "webrtctransceiver0")
                                    L("a=ssrc:1404531563 cname:user1804289383@host-0e5d7cd0")
                                        L("a=mid:video0") L("a=fingerprint:sha-256 " FP1);

/* webrtcbin viewer (recvonly transceiver) with H.264 and VP8 codec preferences. */
static const char webrtcbin_recvonly[] = L("v=0") L("o=- 3141592653589793238 0 IN IP4 0.0.0.0")
    L("s=-") L("t=0 0") L("a=ice-options:trickle") L("a=group:BUNDLE video0")
        L("m=video 9 UDP/TLS/RTP/SAVPF 96 97") L("c=IN IP4 0.0.0.0") L("a=setup:actpass")
            L("a=ice-ufrag:Yh1Jv0Ll9qGcXo3wA7Qb2nTt8kRr5eUs")
                L("a=ice-pwd:pP4sGx+2ZmN9vB1cQ7yL0kJ3hF6dW8aE") L("a=rtcp-mux") L("a=rtcp-rsize")
                    L("a=recvonly") L("a=rtpmap:96 H264/90000") L("a=rtcp-fb:96 nack")
                        L("a=rtcp-fb:96 nack pli") L("a=rtcp-fb:96 ccm fir")
                            L("a=fmtp:96 packetization-mode=1;profile-level-id=42e01f")
                                L("a=rtpmap:97 VP8/90000") L("a=rtcp-fb:97 nack")
                                    L("a=rtcp-fb:97 nack pli") L("a=rtcp-fb:97 ccm fir")
                                        L("a=mid:video0") L("a=fingerprint:sha-256 " FP2);

/* Chromium recvonly video (a WHEP player): 27 payload types. */
#define CR_FB(pt)                                                                                  \
    L("a=rtcp-fb:" pt " goog-remb")                                                                \
    L("a=rtcp-fb:" pt " transport-cc")                                                             \
    L("a=rtcp-fb:" pt " ccm fir") L("a=rtcp-fb:" pt " nack") L("a=rtcp-fb:" pt " nack pli")
#define CR_RTX(pt, apt) L("a=rtpmap:" pt " rtx/90000") L("a=fmtp:" pt " apt=" apt)
#define CR_H264(pt, mode, plid)                                                                    \
    L("a=rtpmap:" pt " H264/90000")                                                                \
    CR_FB(pt)                                                                                      \
    L("a=fmtp:" pt " level-asymmetry-allowed=1;packetization-mode=" mode ";profile-level-"         \
      "id=" plid)

static const char chromium_recvonly[] = L("v=0") L("o=- 4215775240449105457 2 IN IP4 127.0.0.1") L(
    "s=-") L("t=0 0") L("a=group:BUNDLE 0") L("a=extmap-allow-mixed") L("a=msid-semantic: WMS")
    L("m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 127 125 39 40 112 113 "
      "114 115 45 46 98 99 100 101 116 117 118") L("c=IN IP4 0.0.0.0") L("a=rtcp:9 IN IP4 0.0.0.0")
        L("a=ice-ufrag:Xk3v") L("a=ice-pwd:bXw9N8k0cQe1y8S7pZ6g5HkR") L("a=ice-options:trickle") L(
            "a=fingerprint:sha-256 " FP3) L("a=setup:actpass") L("a=mid:0")
            L("a=extmap:1 urn:ietf:params:rtp-hdrext:toffset") L(
                "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")
                L("a=extmap:3 urn:3gpp:video-orientation") L(
                    "a=extmap:4 "
                    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01")
                    L("a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay") L(
                        "a=extmap:6 "
                        "http://www.webrtc.org/experiments/rtp-hdrext/video-content-type")
                        L("a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing") L(
                            "a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space")
                            L("a=extmap:9 " MIDX)
                                L("a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id") L(
                                    "a=extmap:11 "
                                    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id")
                                    L("a=recvonly") L("a=rtcp-mux") L("a=rtcp-rsize") L(
                                        "a=rtpmap:96 VP8/90000") CR_FB("96") CR_RTX("97", "96")
                                        CR_H264("102", "1", "42001f") CR_RTX("103", "102") CR_H264(
                                            "104", "0",
                                            "42001f") CR_RTX("105",
                                                             "104") CR_H264("106", "1",
                                                                            "42e01f") CR_RTX("107",
                                                                                             "106")
                                            CR_H264("108", "0", "42e01f") CR_RTX(
                                                "109", "108") CR_H264("127", "1",
                                                                      "4d001f") CR_RTX("125", "127")
                                                CR_H264("39", "0", "4d001f") CR_RTX(
                                                    "40", "39") CR_H264("112", "1", "640c1f")
                                                    CR_RTX("113", "112") CR_H264(
                                                        "114", "0", "640c1f") CR_RTX("115", "114")
                                                        L("a=rtpmap:45 AV1/90000") CR_FB("45") L(
                                                            "a=fmtp:45 "
                                                            "level-idx=5;profile=0;tier="
                                                            "0") CR_RTX("46", "45")
                                                            L("a=rtpmap:98 VP9/90000") CR_FB(
                                                                "98") L("a=fmtp:98 profile-id=0")
                                                                CR_RTX("99", "98") L(
                                                                    "a=rtpmap:100 VP9/90000")
                                                                    CR_FB("100") L(
                                                                        "a=fmtp:100 profile-id=2")
                                                                        CR_RTX("101", "100") L(
                                                                            "a=rtpmap:116 "
                                                                            "red/90000")
                                                                            CR_RTX("117", "116")
                                                                                L("a=rtpmap:118 "
                                                                                  "ulpfec/90000");

/* Chromium sendrecv with a microphone, a camera and a data channel. */
#define CR_AV_TRANSPORT(mid)                                                                       \
    L("c=IN IP4 0.0.0.0")                                                                          \
    L("a=ice-ufrag:aB3d")                                                                          \
    L("a=ice-pwd:Zx8Qm2Lr5Tn7Vp9Ks4Hj6Wc1")                                                        \
    L("a=ice-options:trickle")                                                                     \
    L("a=fingerprint:sha-256 " FP1)                                                                \
    L("a=setup:actpass")                                                                           \
    L("a="                                                                                         \
      "mid:" mid)
#define CR_MSID "5f1d0e7c-3b0a-4b6e-9a43-6c2f8d1e4a21"
static const char chromium_av_data[] = L("v=0") L("o=- 7595118465093467215 2 IN IP4 127.0.0.1")
    L("s=-") L("t=0 0") L("a=group:BUNDLE 0 1 2") L("a=extmap-allow-mixed") L(
        "a=msid-semantic: WMS " CR_MSID) L("m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126")
        CR_AV_TRANSPORT("0") L("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level") L(
            "a=extmap:4 " MIDX) L("a=sendrecv") L("a=msid:" CR_MSID " 8a2b6c1e-aud") L("a=rtcp-mux")
            L("a=rtcp-rsize") L("a=rtpmap:111 opus/48000/2") L("a=rtcp-fb:111 transport-cc")
                L("a=fmtp:111 minptime=10;useinbandfec=1") L("a=rtpmap:63 red/48000/2") L(
                    "a=fmtp:63 111/111") L("a=rtpmap:9 G722/8000") L("a=rtpmap:0 PCMU/8000")
                    L("a=rtpmap:8 PCMA/8000") L("a=rtpmap:13 CN/8000") L(
                        "a=rtpmap:110 telephone-event/48000") L("a=rtpmap:126 telephone-event/8000")
                        L("a=ssrc:3735928559 cname:Qy7sL2kP9dF4hJ1m") L(
                            "a=ssrc:3735928559 msid:" CR_MSID
                            " 8a2b6c1e-aud") L("m=video 9 UDP/TLS/RTP/SAVPF 96 97 106 107 45 46")
                            CR_AV_TRANSPORT("1") L("a=extmap:14 urn:ietf:params:rtp-hdrext:toffset")
                                L("a=extmap:4 " MIDX) L("a=extmap:13 " ACT) L("a=sendrecv") L(
                                    "a=msid:" CR_MSID " 3c4d5e6f-vid") L("a=rtcp-mux")
                                    L("a=rtcp-rsize") L("a=rtpmap:96 VP8/90000") CR_FB("96") CR_RTX(
                                        "97", "96") CR_H264("106", "1", "42e01f")
                                        CR_RTX("107", "106") L("a=rtpmap:45 AV1/90000") L(
                                            "a=fmtp:45 level-idx=5;profile=0;tier=0") CR_RTX("46",
                                                                                             "45")
                                            L("a=ssrc-group:FID 2231627014 632943048") L(
                                                "a=ssrc:2231627014 cname:Qy7sL2kP9dF4hJ1m")
                                                L("a=ssrc:2231627014 msid:" CR_MSID " 3c4d5e6f-vid")
                                                    L("a=ssrc:632943048 cname:Qy7sL2kP9dF4hJ1m") L(
                                                        "a=ssrc:632943048 msid:" CR_MSID
                                                        " 3c4d5e6f-vid")
                                                        L("m=application 9 UDP/DTLS/SCTP "
                                                          "webrtc-datachannel") CR_AV_TRANSPORT("2")
                                                            L("a=sctp-port:5000")
                                                                L("a=max-message-size:262144");

/* ---- helpers ------------------------------------------------------------ */

static struct tsn_sdp *parse_ok(const char *text, size_t len)
{
    struct tsn_sdp *s = calloc(1, sizeof *s);
    char why[256] = "unset";
    assert_non_null(s);
    int rc = tsn_sdp_parse(text, len, s, why, sizeof why);
    if (rc != 0)
        fail_msg("parse failed (%d): %s", rc, why);
    assert_string_equal(why, "");
    return s;
}

static struct tsn_sdp *parse_str(const char *text)
{
    return parse_ok(text, strlen(text));
}

/* Asserts a rejection whose reason is exactly `want`. */
static void expect_reject_n(const char *text, size_t len, const char *want)
{
    struct tsn_sdp *s = calloc(1, sizeof *s);
    char why[256] = "";
    assert_non_null(s);
    int rc = tsn_sdp_parse(text, len, s, why, sizeof why);
    free(s);
    if (rc != -EBADMSG)
        fail_msg("expected -EBADMSG for \"%s\", got %d", want, rc);
    assert_string_equal(why, want);
}

static void expect_reject(const char *text, const char *want)
{
    expect_reject_n(text, strlen(text), want);
}

static const struct tsn_sdp_codec *codec_by_pt(const struct tsn_sdp_media *m, unsigned pt)
{
    for (size_t i = 0; i < m->n_codecs; i++)
        if (m->codecs[i].pt == pt)
            return &m->codecs[i];
    return NULL;
}

static void assert_fb(const struct tsn_sdp_codec *c, int nack, int pli, int fir, int remb, int twcc)
{
    assert_int_equal(c->fb_nack, nack);
    assert_int_equal(c->fb_pli, pli);
    assert_int_equal(c->fb_fir, fir);
    assert_int_equal(c->fb_remb, remb);
    assert_int_equal(c->fb_twcc, twcc);
}

/* ---- parsing realistic offers ---------------------------------------------- */

static void test_webrtcbin_sendonly(void **state)
{
    struct tsn_sdp *s = parse_str(webrtcbin_sendonly);
    assert_true(s->session_id == 6807936395290592513ull);
    assert_int_equal(s->ice_lite, 0);
    assert_int_equal(s->n_bundle, 1);
    assert_string_equal(s->bundle[0], "video0");
    assert_int_equal(s->n_media, 1);
    const struct tsn_sdp_media *m = &s->media[0];
    assert_string_equal(m->type, "video");
    assert_int_equal(m->port, 9);
    assert_string_equal(m->proto, "UDP/TLS/RTP/SAVPF");
    assert_string_equal(m->first_fmt, "96");
    assert_string_equal(m->mid, "video0");
    assert_int_equal(m->dir, TSN_SDP_SENDONLY);
    assert_int_equal(m->rtcp_mux, 1);
    assert_int_equal(m->rtcp_rsize, 1);
    assert_int_equal(m->n_codecs, 2);
    assert_int_equal(m->codecs[0].pt, 96);
    assert_string_equal(m->codecs[0].name, "H264");
    assert_int_equal(m->codecs[0].clock_rate, 90000);
    assert_string_equal(m->codecs[0].fmtp, "packetization-mode=1;profile-level-id=42c01f;"
                                           "sprop-parameter-sets=Z0LAH9kAoD2wEQAAAwABAAADADyPGDKA,"
                                           "aMuMsg==");
    assert_int_equal(m->codecs[0].apt, -1);
    assert_fb(&m->codecs[0], 1, 1, 1, 0, 0);
    assert_int_equal(m->codecs[1].pt, 97);
    assert_string_equal(m->codecs[1].name, "rtx");
    assert_string_equal(m->codecs[1].fmtp, "apt=96");
    assert_int_equal(m->codecs[1].apt, 96);
    assert_fb(&m->codecs[1], 0, 0, 0, 0, 0);
    assert_int_equal(m->n_extmap, 2);
    assert_int_equal(m->extmap[0].id, 1);
    assert_string_equal(m->extmap[0].uri, ACT);
    assert_int_equal(tsn_sdp_extmap_id(m, TSN_SDP_EXT_ABS_CAPTURE_TIME), 1);
    assert_int_equal(tsn_sdp_extmap_id(m, TSN_SDP_EXT_MID), 2);
    assert_int_equal(tsn_sdp_extmap_id(m, "urn:ietf:params:rtp-hdrext:toffset"), 0);
    assert_int_equal(m->n_ssrcs, 2);
    assert_int_equal(m->ssrcs[0], 2526795341u);
    assert_int_equal(m->ssrcs[1], 1404531563u);
    assert_int_equal(m->fid_primary, 2526795341u);
    assert_int_equal(m->fid_rtx, 1404531563u);
    assert_string_equal(m->ice_ufrag, "q0XnVvYyqnbDYvh4OSvIpRe3E0TM8lWU");
    assert_string_equal(m->ice_pwd, "Hq3ZOWpkYfmJFbEc2trSHaHLjWxjMx8F");
    assert_string_equal(m->fingerprint_alg, "sha-256");
    assert_string_equal(m->fingerprint, FP1);
    assert_int_equal(m->setup, TSN_SDP_SETUP_ACTPASS);

    /* x264's constrained baseline 42c01f with packetization-mode=1 is usable. */
    enum tsn_codec got = TSN_CODEC_VP8;
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_NONE, &got), 0);
    assert_int_equal(got, TSN_CODEC_H264);
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_VP8, &got), -ENOENT);
    assert_int_equal(got, TSN_CODEC_NONE);
    free(s);
}

static void test_webrtcbin_recvonly(void **state)
{
    struct tsn_sdp *s = parse_str(webrtcbin_recvonly);
    const struct tsn_sdp_media *m = &s->media[0];
    enum tsn_codec got;
    assert_true(s->session_id == 3141592653589793238ull);
    assert_int_equal(m->dir, TSN_SDP_RECVONLY);
    assert_int_equal(m->n_codecs, 2);
    assert_string_equal(m->codecs[0].name, "H264");
    assert_string_equal(m->codecs[0].fmtp, "packetization-mode=1;profile-level-id=42e01f");
    assert_string_equal(m->codecs[1].name, "VP8");
    assert_int_equal(m->codecs[1].pt, 97);
    assert_string_equal(m->codecs[1].fmtp, "");
    assert_fb(&m->codecs[1], 1, 1, 1, 0, 0);
    assert_int_equal(m->n_ssrcs, 0);
    assert_int_equal(m->fid_primary, 0);
    assert_int_equal(m->n_extmap, 0);
    assert_string_equal(m->ice_pwd, "pP4sGx+2ZmN9vB1cQ7yL0kJ3hF6dW8aE");
    assert_string_equal(m->fingerprint, FP2);
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_NONE, &got), 0);
    assert_int_equal(got, TSN_CODEC_H264);
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_H264, &got), 0);
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_VP8, &got), 1);
    assert_int_equal(got, TSN_CODEC_VP8);
    free(s);
}

static void test_chromium_recvonly(void **state)
{
    struct tsn_sdp *s = parse_str(chromium_recvonly);
    const struct tsn_sdp_media *m = &s->media[0];
    const struct tsn_sdp_codec *c;
    enum tsn_codec got;

    assert_true(s->session_id == 4215775240449105457ull);
    assert_int_equal(s->n_bundle, 1);
    assert_string_equal(s->bundle[0], "0");
    assert_string_equal(m->mid, "0");
    assert_int_equal(m->dir, TSN_SDP_RECVONLY);
    assert_string_equal(m->ice_ufrag, "Xk3v");
    assert_string_equal(m->ice_pwd, "bXw9N8k0cQe1y8S7pZ6g5HkR");
    assert_string_equal(m->fingerprint, FP3);
    /* 27 listed, 24 kept: all H.264 and VP8, their rtx, then AV1/VP9 in m= order;
     * red (116), its rtx (117) and ulpfec (118) do not fit. */
    static const uint8_t kept[] = {96, 97, 102, 103, 104, 105, 106, 107, 108, 109, 127, 125,
                                   39, 40, 112, 113, 114, 115, 45,  46,  98,  99,  100, 101};
    assert_int_equal(m->n_codecs, TSN_SDP_MAX_CODECS);
    for (size_t i = 0; i < sizeof kept; i++)
        assert_int_equal(m->codecs[i].pt, kept[i]);
    assert_null(codec_by_pt(m, 116));
    assert_null(codec_by_pt(m, 118));
    c = codec_by_pt(m, 96);
    assert_string_equal(c->name, "VP8");
    assert_fb(c, 1, 1, 1, 1, 1);
    c = codec_by_pt(m, 107);
    assert_string_equal(c->name, "rtx");
    assert_int_equal(c->apt, 106);
    assert_fb(c, 0, 0, 0, 0, 0);
    c = codec_by_pt(m, 39);
    assert_string_equal(c->fmtp, "level-asymmetry-allowed=1;packetization-mode=0;"
                                 "profile-level-id=4d001f");
    assert_int_equal(codec_by_pt(m, 40)->apt, 39);
    c = codec_by_pt(m, 45);
    assert_string_equal(c->name, "AV1");
    assert_string_equal(c->fmtp, "level-idx=5;profile=0;tier=0");
    assert_string_equal(codec_by_pt(m, 100)->fmtp, "profile-id=2");
    assert_int_equal(m->n_extmap, 11);
    assert_int_equal(tsn_sdp_extmap_id(m, TSN_SDP_EXT_MID), 9);
    assert_int_equal(tsn_sdp_extmap_id(m, TSN_SDP_EXT_ABS_CAPTURE_TIME), 0);
    assert_int_equal(m->extmap[3].id, 4);
    assert_string_equal(
        m->extmap[3].uri,
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
    assert_int_equal(m->n_ssrcs, 0);

    /* 42e01f with packetization-mode=1 wins over the earlier 42001f. */
    int i = tsn_sdp_pick_codec(m, TSN_CODEC_NONE, &got);
    assert_true(i >= 0);
    assert_int_equal(m->codecs[i].pt, 106);
    assert_int_equal(got, TSN_CODEC_H264);
    i = tsn_sdp_pick_codec(m, TSN_CODEC_H264, &got);
    assert_int_equal(m->codecs[i].pt, 106);
    i = tsn_sdp_pick_codec(m, TSN_CODEC_VP8, &got);
    assert_int_equal(m->codecs[i].pt, 96);
    assert_int_equal(got, TSN_CODEC_VP8);
    free(s);
}

static void test_chromium_av_data(void **state)
{
    struct tsn_sdp *s = parse_str(chromium_av_data);
    assert_int_equal(s->n_media, 3);
    assert_int_equal(s->n_bundle, 3);
    assert_string_equal(s->bundle[2], "2");

    const struct tsn_sdp_media *a = &s->media[0];
    assert_string_equal(a->type, "audio");
    assert_string_equal(a->first_fmt, "111");
    assert_int_equal(a->dir, TSN_SDP_SENDRECV);
    assert_int_equal(a->n_codecs, 8);
    assert_string_equal(a->codecs[0].name, "opus");
    assert_int_equal(a->codecs[0].clock_rate, 48000);
    assert_string_equal(a->codecs[0].fmtp, "minptime=10;useinbandfec=1");
    assert_fb(&a->codecs[0], 0, 0, 0, 0, 1);
    assert_string_equal(a->codecs[6].name, "telephone-event");
    assert_int_equal(a->codecs[6].pt, 110);
    assert_int_equal(a->n_ssrcs, 1);
    assert_int_equal(a->ssrcs[0], 3735928559u);
    assert_int_equal(tsn_sdp_pick_codec(a, TSN_CODEC_NONE, NULL), -ENOENT);

    const struct tsn_sdp_media *v = &s->media[1];
    assert_string_equal(v->mid, "1");
    assert_int_equal(v->n_codecs, 6);
    assert_int_equal(v->n_ssrcs, 2);
    assert_int_equal(v->ssrcs[0], 2231627014u);
    assert_int_equal(v->ssrcs[1], 632943048u);
    assert_int_equal(v->fid_primary, 2231627014u);
    assert_int_equal(v->fid_rtx, 632943048u);
    assert_int_equal(tsn_sdp_extmap_id(v, TSN_SDP_EXT_ABS_CAPTURE_TIME), 13);
    assert_int_equal(tsn_sdp_extmap_id(v, TSN_SDP_EXT_MID), 4);

    const struct tsn_sdp_media *d = &s->media[2];
    assert_string_equal(d->type, "application");
    assert_string_equal(d->proto, "UDP/DTLS/SCTP");
    assert_string_equal(d->first_fmt, "webrtc-datachannel");
    assert_int_equal(d->n_codecs, 0);
    assert_string_equal(d->mid, "2");
    assert_string_equal(d->ice_ufrag, "aB3d");
    assert_string_equal(d->fingerprint, FP1);
    free(s);
}

/* Session-level ICE/DTLS values are inherited; media-level ones win. LF only,
 * a lower-case fingerprint and a session-level direction. */
static void test_session_level_transport(void **state)
{
    static const char offer[] =
        "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\na=group:BUNDLE a b\n"
        "a=ice-ufrag:sessUfrag\na=ice-pwd:sessionpassword0123456789\n"
        "a=fingerprint:SHA-256 2b:01:72:d6:36:a5:c7:9c:e4:53:f2:4c:aa:21:03:a1:c9:73:73:ff:15:"
        "0d:d0:fe:9a:8b:27:2b:0e:50:f2:8a\na=setup:active\na=recvonly\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:a\na=rtpmap:96 VP8/90000\n"
        "a=rtcp-fb:* nack\na=rtcp-fb:* nack pli\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:b\na=ice-ufrag:medU\n"
        "a=ice-pwd:mediapassword+/abcdefghij\na=sendonly\na=setup:actpass\n"
        "a=rtpmap:96 VP8/90000\n";
    struct tsn_sdp *s = parse_str(offer);
    const struct tsn_sdp_media *a = &s->media[0], *b = &s->media[1];
    assert_string_equal(a->ice_ufrag, "sessUfrag");
    assert_string_equal(a->ice_pwd, "sessionpassword0123456789");
    assert_string_equal(a->fingerprint_alg, "sha-256");
    assert_string_equal(a->fingerprint, FP1);
    assert_int_equal(a->setup, TSN_SDP_SETUP_ACTIVE);
    assert_int_equal(a->dir, TSN_SDP_RECVONLY);
    assert_fb(&a->codecs[0], 1, 1, 0, 0, 0);
    assert_string_equal(b->ice_ufrag, "medU");
    assert_string_equal(b->ice_pwd, "mediapassword+/abcdefghij");
    assert_string_equal(b->fingerprint, FP1);
    assert_int_equal(b->setup, TSN_SDP_SETUP_ACTPASS);
    assert_int_equal(b->dir, TSN_SDP_SENDONLY);
    assert_int_equal(b->rtcp_mux, 0);
    free(s);
}

/* The same offer with LF line ends parses to the same bytes. */
static void test_lf_equals_crlf(void **state)
{
    size_t n = strlen(chromium_av_data), j = 0;
    char *lf = malloc(n + 1);
    assert_non_null(lf);
    for (size_t i = 0; i < n; i++)
        if (chromium_av_data[i] != '\r')
            lf[j++] = chromium_av_data[i];
    struct tsn_sdp *a = parse_ok(chromium_av_data, n), *b = parse_ok(lf, j);
    assert_memory_equal(a, b, sizeof *a);
    free(lf);
    free(a);
    free(b);
}

/* A sha-1 line next to a sha-256 one: sha-256 is kept whatever the order. */
static void test_fingerprint_choice(void **state)
{
    static const char offer[] = "v=0\no=- 1 1 IN IP4 0.0.0.0\nm=video 9 RTP/SAVPF 96\n"
                                "a=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuv\n"
                                "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:"
                                "ee:ff:00:11:22:33\n"
                                "a=fingerprint:sha-256 " FP2 "\n"
                                "a=fingerprint:md5 00:11\n"
                                "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:"
                                "ee:ff:00:11:22:33\n";
    struct tsn_sdp *s = parse_str(offer);
    assert_string_equal(s->media[0].fingerprint_alg, "sha-256");
    assert_string_equal(s->media[0].fingerprint, FP2);
    free(s);
}

/* An H.264 fmtp too long for the field loses its sprop-* parameters only. */
static void test_long_sprop_dropped(void **state)
{
    char offer[1024], sprop[200];
    memset(sprop, 'A', sizeof sprop - 1);
    sprop[sizeof sprop - 1] = '\0';
    snprintf(offer, sizeof offer,
             "v=0\no=- 1 1 IN IP4 0.0.0.0\nm=video 9 RTP/SAVPF 96\na=ice-ufrag:abcd\n"
             "a=ice-pwd:abcdefghijklmnopqrstuv\na=fingerprint:sha-256 " FP2 "\n"
             "a=rtpmap:96 H264/90000\na=fmtp:96 packetization-mode=1;sprop-parameter-sets=%s;"
             " profile-level-id=42e01f\n",
             sprop);
    struct tsn_sdp *s = parse_str(offer);
    assert_string_equal(s->media[0].codecs[0].fmtp, "packetization-mode=1;profile-level-id=42e01f");
    assert_int_equal(tsn_sdp_pick_codec(&s->media[0], TSN_CODEC_H264, NULL), 0);
    free(s);
}

/* 30 payload types, VP8 and its rtx last: they are kept, the tail of the
 * others is dropped, and m= order is preserved. */
static void test_codec_overflow_priority(void **state)
{
    char offer[4096];
    int n = snprintf(offer, sizeof offer, "v=0\no=- 1 1 IN IP4 0.0.0.0\nm=video 9 RTP/SAVPF");
    for (int pt = 100; pt < 128; pt++)
        n += snprintf(offer + n, sizeof offer - (size_t)n, " %d", pt);
    n += snprintf(offer + n, sizeof offer - (size_t)n,
                  " 96 97\na=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuv\n"
                  "a=fingerprint:sha-256 " FP2 "\na=rtpmap:97 rtx/90000\na=fmtp:97 apt=96\n");
    for (int pt = 100; pt < 128; pt++)
        n += snprintf(offer + n, sizeof offer - (size_t)n, "a=rtpmap:%d AV1/90000\n", pt);
    snprintf(offer + n, sizeof offer - (size_t)n, "a=rtpmap:96 VP8/90000\n");
    struct tsn_sdp *s = parse_str(offer);
    const struct tsn_sdp_media *m = &s->media[0];
    assert_int_equal(m->n_codecs, TSN_SDP_MAX_CODECS);
    for (int i = 0; i < TSN_SDP_MAX_CODECS - 2; i++)
        assert_int_equal(m->codecs[i].pt, 100 + i);
    assert_int_equal(m->codecs[TSN_SDP_MAX_CODECS - 2].pt, 96);
    assert_string_equal(m->codecs[TSN_SDP_MAX_CODECS - 2].name, "VP8");
    assert_int_equal(m->codecs[TSN_SDP_MAX_CODECS - 1].pt, 97);
    assert_int_equal(m->codecs[TSN_SDP_MAX_CODECS - 1].apt, 96);
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_NONE, NULL), TSN_SDP_MAX_CODECS - 2);
    free(s);
}

/* Past TSN_SDP_MAX_EXTMAP, the mid extension still displaces another one. */
static void test_extmap_overflow(void **state)
{
    char offer[4096];
    int n = snprintf(offer, sizeof offer,
                     "v=0\no=- 1 1 IN IP4 0.0.0.0\nm=video 9 RTP/SAVPF 96\na=ice-ufrag:abcd\n"
                     "a=ice-pwd:abcdefghijklmnopqrstuv\na=fingerprint:sha-256 " FP2 "\n");
    for (int id = 1; id <= 20; id++)
        n += snprintf(offer + n, sizeof offer - (size_t)n, "a=extmap:%d urn:x-test:%d\n", id, id);
    snprintf(offer + n, sizeof offer - (size_t)n, "a=extmap:21/sendonly %s\n", MIDX);
    struct tsn_sdp *s = parse_str(offer);
    const struct tsn_sdp_media *m = &s->media[0];
    assert_int_equal(m->n_extmap, TSN_SDP_MAX_EXTMAP);
    assert_int_equal(tsn_sdp_extmap_id(m, TSN_SDP_EXT_MID), 21);
    assert_int_equal(m->extmap[TSN_SDP_MAX_EXTMAP - 1].id, 21);
    assert_int_equal(m->extmap[TSN_SDP_MAX_EXTMAP - 2].id, 15);
    free(s);
}

/* ---- codec choice ----------------------------------------------------------- */

static void test_pick_codec(void **state)
{
    struct tsn_sdp_media *m = calloc(1, sizeof *m);
    enum tsn_codec got = TSN_CODEC_VP8;
    assert_non_null(m);
    m->n_codecs = 3;
    m->codecs[0] = (struct tsn_sdp_codec){.pt = 100,
                                          .name = "H264",
                                          .apt = -1,
                                          .fmtp = "packetization-mode=0;profile-level-id=42e01f"};
    m->codecs[1] = (struct tsn_sdp_codec){.pt = 101,
                                          .name = "h264",
                                          .apt = -1,
                                          .fmtp = "profile-level-id=4d001f;packetization-mode=1"};
    m->codecs[2] = (struct tsn_sdp_codec){
        .pt = 102, .name = "H264", .apt = -1, .fmtp = "profile-level-id=42e01f"};
    /* Only mode 0 or Main profile: no H.264 the relay can forward. */
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_H264, &got), -ENOENT);
    assert_int_equal(got, TSN_CODEC_NONE);
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_NONE, &got), -ENOENT);
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_VP8, NULL), -ENOENT);
    m->codecs[m->n_codecs++] = (struct tsn_sdp_codec){.pt = 103, .name = "vp8", .apt = -1};
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_NONE, &got), 3);
    assert_int_equal(got, TSN_CODEC_VP8);
    /* Baseline 42001f is usable, and no profile-level-id means 420010. */
    m->codecs[m->n_codecs++] = (struct tsn_sdp_codec){
        .pt = 104, .name = "H264", .apt = -1, .fmtp = "packetization-mode=1"};
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_NONE, &got), 4);
    assert_int_equal(got, TSN_CODEC_H264);
    m->codecs[m->n_codecs++] =
        (struct tsn_sdp_codec){.pt = 105,
                               .name = "H264",
                               .apt = -1,
                               .fmtp = "packetization-mode=1;profile-level-id=42001f"};
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_H264, NULL), 5);
    m->codecs[m->n_codecs++] =
        (struct tsn_sdp_codec){.pt = 106,
                               .name = "H264",
                               .apt = -1,
                               .fmtp = "packetization-mode=1;profile-level-id=42E01F"};
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_H264, NULL), 6);
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_VP8, NULL), 3);
    assert_int_equal(tsn_sdp_pick_codec(NULL, TSN_CODEC_VP8, NULL), -EINVAL);
    /* Malformed profile-level-id values are not guessed at. */
    m->n_codecs = 2;
    m->codecs[0] = (struct tsn_sdp_codec){
        .pt = 96, .name = "H264", .apt = -1, .fmtp = "packetization-mode=1;profile-level-id=42e01"};
    m->codecs[1] = (struct tsn_sdp_codec){.pt = 97,
                                          .name = "H264",
                                          .apt = -1,
                                          .fmtp = "packetization-mode=1;profile-level-id=4ze01f"};
    assert_int_equal(tsn_sdp_pick_codec(m, TSN_CODEC_H264, NULL), -ENOENT);
    assert_int_equal(tsn_sdp_extmap_id(NULL, MIDX), 0);
    assert_int_equal(tsn_sdp_extmap_id(m, NULL), 0);
    free(m);
}

/* ---- answer ------------------------------------------------------------------ */

#define RELAY_UFRAG "tsnR"
#define RELAY_PWD   "relaypassword0123456789ab"

static void fill_answer(struct tsn_sdp_answer *a, const struct tsn_sdp *offer, const char *ip)
{
    memset(a, 0, sizeof *a);
    a->session_id = 42;
    a->ice_ufrag = RELAY_UFRAG;
    a->ice_pwd = RELAY_PWD;
    a->fingerprint = FP3;
    a->cand_ip = ip;
    a->cand_port = 40000;
    a->n_media = offer->n_media;
    for (size_t i = 0; i < offer->n_media; i++) {
        struct tsn_sdp_answer_media *am = &a->media[i];
        am->offer = &offer->media[i];
        am->codec_index = tsn_sdp_pick_codec(am->offer, TSN_CODEC_NONE, NULL);
        am->rejected = am->codec_index < 0;
    }
}

static void test_answer_chromium_exact(void **state)
{
    struct tsn_sdp *offer = parse_str(chromium_recvonly);
    struct tsn_sdp_answer a;
    char out[4096];
    fill_answer(&a, offer, "127.0.0.1");
    a.media[0].dir = TSN_SDP_SENDONLY;
    a.media[0].ext_mid = tsn_sdp_extmap_id(&offer->media[0], TSN_SDP_EXT_MID);
    a.media[0].ssrc = 305419896;
    a.media[0].cname = "telesono";
    a.media[0].msid_stream = "room12";
    a.media[0].msid_track = "video0";
    static const char want[] = L("v=0") L("o=- 42 2 IN IP4 127.0.0.1") L("s=-") L("t=0 0") L(
        "a=ice-lite") L("a=group:BUNDLE 0") L("a=msid-semantic: WMS *") L("m=video 9 "
                                                                          "UDP/TLS/RTP/SAVPF 106")
        L("c=IN IP4 0.0.0.0") L("a=mid:0") L("a=ice-ufrag:" RELAY_UFRAG) L(
            "a=ice-pwd:" RELAY_PWD) L("a=fingerprint:sha-256 " FP3) L("a=setup:passive")
            L("a=sendonly") L("a=rtcp-mux") L("a=rtcp-rsize") L("a=rtpmap:106 H264/90000") L(
                "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")
                L("a=rtcp-fb:106 nack") L("a=rtcp-fb:106 nack pli") L("a=rtcp-fb:106 ccm fir")
                    L("a=extmap:9 " MIDX) L("a=ssrc:305419896 cname:telesono")
                        L("a=ssrc:305419896 msid:room12 video0") L("a=msid:room12 video0")
                            L("a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host")
                                L("a=end-of-candidates");
    int n = tsn_sdp_build_answer(&a, out, sizeof out);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(out, want);

    /* Every cap short of the full length fails cleanly; exactly enough works. */
    for (size_t cap = 0; cap <= (size_t)n; cap++) {
        char *small = malloc(cap ? cap : 1);
        assert_non_null(small);
        assert_int_equal(tsn_sdp_build_answer(&a, small, cap), -ENOSPC);
        free(small);
    }
    char *exact = malloc((size_t)n + 1);
    assert_non_null(exact);
    assert_int_equal(tsn_sdp_build_answer(&a, exact, (size_t)n + 1), n);
    assert_string_equal(exact, want);
    free(exact);

    /* Round trip through the parser. */
    struct tsn_sdp *back = parse_ok(out, (size_t)n);
    const struct tsn_sdp_media *m = &back->media[0];
    assert_true(back->session_id == 42);
    assert_int_equal(back->ice_lite, 1);
    assert_int_equal(back->n_bundle, 1);
    assert_int_equal(m->setup, TSN_SDP_SETUP_PASSIVE);
    assert_int_equal(m->dir, TSN_SDP_SENDONLY);
    assert_int_equal(m->n_codecs, 1);
    assert_int_equal(m->codecs[0].pt, 106);
    assert_string_equal(m->codecs[0].fmtp, offer->media[0].codecs[a.media[0].codec_index].fmtp);
    assert_fb(&m->codecs[0], 1, 1, 1, 0, 0);
    assert_int_equal(tsn_sdp_extmap_id(m, TSN_SDP_EXT_MID), 9);
    assert_int_equal(m->n_ssrcs, 1);
    assert_int_equal(m->ssrcs[0], 305419896);
    assert_string_equal(m->ice_ufrag, RELAY_UFRAG);
    assert_string_equal(m->ice_pwd, RELAY_PWD);
    assert_string_equal(m->fingerprint, FP3);
    free(back);
    free(offer);
}

static void test_answer_publisher_ipv6(void **state)
{
    struct tsn_sdp *offer = parse_str(webrtcbin_sendonly);
    struct tsn_sdp_answer a;
    char out[4096];
    fill_answer(&a, offer, "::1");
    a.media[0].dir = TSN_SDP_RECVONLY;
    a.media[0].ext_abs_capture_time =
        tsn_sdp_extmap_id(&offer->media[0], TSN_SDP_EXT_ABS_CAPTURE_TIME);
    int n = tsn_sdp_build_answer(&a, out, sizeof out);
    assert_true(n > 0);
    assert_non_null(strstr(out, "\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP6 ::\r\n"));
    assert_non_null(strstr(out, "\r\na=recvonly\r\n"));
    assert_non_null(strstr(out, "\r\na=extmap:1 " ACT "\r\n"));
    assert_non_null(strstr(out, "\r\na=candidate:1 1 udp 2130706431 ::1 40000 typ host\r\n"));
    assert_null(strstr(out, "a=ssrc"));
    assert_null(strstr(out, "a=msid:"));
    assert_null(strstr(out, "rtx"));
    assert_null(strstr(out, "\r\n\r\n"));
    struct tsn_sdp *back = parse_ok(out, (size_t)n);
    assert_int_equal(back->media[0].dir, TSN_SDP_RECVONLY);
    assert_int_equal(tsn_sdp_extmap_id(&back->media[0], TSN_SDP_EXT_ABS_CAPTURE_TIME), 1);
    assert_int_equal(back->media[0].n_ssrcs, 0);
    free(back);
    free(offer);
}

/* Audio and data are rejected: port 0, first fmt, mid, inactive, out of BUNDLE. */
static void test_answer_rejects_audio_data(void **state)
{
    struct tsn_sdp *offer = parse_str(chromium_av_data);
    struct tsn_sdp_answer a;
    char out[4096];
    fill_answer(&a, offer, "127.0.0.1");
    assert_true(a.media[0].rejected && !a.media[1].rejected && a.media[2].rejected);
    a.media[1].dir = TSN_SDP_SENDONLY;
    a.media[1].ssrc = 1;
    int n = tsn_sdp_build_answer(&a, out, sizeof out);
    assert_true(n > 0);
    assert_non_null(strstr(out, "\r\na=group:BUNDLE 1\r\n"));
    assert_non_null(strstr(out, "\r\nm=audio 0 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
                                "a=mid:0\r\na=inactive\r\nm=video 9 "));
    assert_non_null(strstr(out, "\r\nm=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                                "c=IN IP4 0.0.0.0\r\na=mid:2\r\na=inactive\r\n"));
    assert_int_equal(out[n - 1], '\n');
    assert_non_null(strstr(out, "\r\na=ssrc:1 cname:telesono\r\n"));
    assert_null(strstr(out, "msid:"));
    struct tsn_sdp *back = parse_ok(out, (size_t)n);
    assert_int_equal(back->n_media, 3);
    assert_int_equal(back->media[0].port, 0);
    assert_int_equal(back->media[0].dir, TSN_SDP_INACTIVE);
    assert_int_equal(back->media[1].port, 9);
    assert_int_equal(back->media[1].codecs[0].pt, 106);
    assert_int_equal(back->media[2].port, 0);
    assert_string_equal(back->media[2].first_fmt, "webrtc-datachannel");
    free(back);
    free(offer);
}

static void test_answer_bad_input(void **state)
{
    struct tsn_sdp *offer = parse_str(webrtcbin_recvonly);
    struct tsn_sdp_answer a;
    char out[4096];
    fill_answer(&a, offer, "127.0.0.1");
    a.media[0].ssrc = 7;
    a.media[0].cname = "evil\r\na=inject";
    assert_int_equal(tsn_sdp_build_answer(&a, out, sizeof out), -EINVAL);
    a.media[0].cname = NULL;
    a.media[0].codec_index = 2;
    assert_int_equal(tsn_sdp_build_answer(&a, out, sizeof out), -EINVAL);
    a.media[0].codec_index = 0;
    a.ice_pwd = NULL;
    assert_int_equal(tsn_sdp_build_answer(&a, out, sizeof out), -EINVAL);
    a.ice_pwd = RELAY_PWD;
    a.cand_ip = "1.2.3.4 5";
    assert_int_equal(tsn_sdp_build_answer(&a, out, sizeof out), -EINVAL);
    a.cand_ip = "127.0.0.1";
    assert_true(tsn_sdp_build_answer(&a, out, sizeof out) > 0);
    a.media[0].dir = TSN_SDP_INACTIVE;
    assert_true(tsn_sdp_build_answer(&a, out, sizeof out) > 0);
    assert_non_null(strstr(out, "\r\na=inactive\r\n"));
    assert_int_equal(tsn_sdp_build_answer(NULL, out, sizeof out), -EINVAL);
    a.media[0].offer = NULL;
    assert_int_equal(tsn_sdp_build_answer(&a, out, sizeof out), -EINVAL);
    a.media[0].offer = &offer->media[0];
    /* Nothing accepted: no BUNDLE line at all. */
    a.media[0].rejected = 1;
    assert_true(tsn_sdp_build_answer(&a, out, sizeof out) > 0);
    assert_null(strstr(out, "BUNDLE"));
    assert_non_null(strstr(out, "m=video 0 UDP/TLS/RTP/SAVPF 96\r\n"));
    free(offer);
}

/* ---- rejections --------------------------------------------------------------- */

#define HEAD  "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define CREDS "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
#define FPL   "a=fingerprint:sha-256 " FP1 "\r\n"
#define VIDEO "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"

static void test_reject_structure(void **state)
{
    expect_reject("", "line 1: empty offer (expected v=0)");
    expect_reject("\r\n\r\n", "line 2: offer has no v=0 line");
    expect_reject(HEAD, "line 4: offer ends without an m= line");
    expect_reject("o=- 1 1 IN IP4 0.0.0.0\r\n", "line 1: the first line must be v=0");
    expect_reject("v=1\r\n", "line 1: unsupported version v='1'");
    expect_reject("v=0\r\ns=-\r\n" VIDEO, "line 3: m= line before the o= line");
    expect_reject("v=0\r\ns=-\r\n", "line 2: offer ends without an o= line");
    expect_reject(HEAD "garbage\r\n", "line 5: expected <letter>=<value>, got 'garbage'");
    expect_reject(HEAD VIDEO "o=- 2 2 IN IP4 0.0.0.0\r\n",
                  "line 6: o= must appear once, before the m= lines");
    expect_reject(HEAD VIDEO CREDS "a=rtpmap:96 H264/90000\tx\r\n",
                  "line 8: control character 0x09 at column 23");
    expect_reject(HEAD "a=mid:0\r\n", "line 5: a=mid is not allowed before the first m= line");
    expect_reject(HEAD VIDEO "a=group:BUNDLE 0\r\n",
                  "line 6: a=group is not allowed inside an m-section");
}

static void test_reject_transport(void **state)
{
    expect_reject(HEAD VIDEO CREDS, "line 5: m-section 1 (mid '') has no a=fingerprint "
                                    "(sha-1/224/256/384/512) at media or session level");
    expect_reject(HEAD VIDEO "a=mid:v\r\n" FPL "a=ice-pwd:abcdefghijklmnopqrstuv\r\n",
                  "line 5: m-section 1 (mid 'v') has no a=ice-ufrag at media or session level");
    /* 31 bytes */
    expect_reject(HEAD VIDEO CREDS "a=fingerprint:sha-256 2B:01:72:D6:36:A5:C7:9C:E4:53:F2:4C:AA:"
                                   "21:03:A1:C9:73:73:FF:15:0D:D0:FE:9A:8B:27:2B:0E:50:F2\r\n",
                  "line 8: a=fingerprint has 31 bytes, expected 32 for sha-256");
    expect_reject(HEAD VIDEO CREDS "a=fingerprint:sha-256 2B:01:7\r\n",
                  "line 8: a=fingerprint is not colon-separated hex pairs (character 7)");
    expect_reject(HEAD VIDEO CREDS "a=fingerprint:sha-256 2B:01:\r\n",
                  "line 8: a=fingerprint is not colon-separated hex pairs (character 4)");
    expect_reject(HEAD VIDEO CREDS "a=fingerprint:sha-256 2G:01\r\n",
                  "line 8: a=fingerprint is not colon-separated hex pairs (character 1)");
    expect_reject(HEAD VIDEO "a=ice-ufrag:abc\r\n",
                  "line 6: a=ice-ufrag must be 4 to 256 characters, got 3");
    expect_reject(HEAD VIDEO "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijk-mnopqrstuv\r\n",
                  "line 7: a=ice-pwd has '-' at character 12; allowed are A-Z a-z 0-9 + /");
    expect_reject(HEAD VIDEO CREDS "a=ice-ufrag:efgh\r\n",
                  "line 8: second a=ice-ufrag at this level");
    expect_reject(HEAD VIDEO CREDS FPL "a=setup:holdconn\r\n",
                  "line 9: a=setup:'holdconn' is not actpass, active or passive");
    expect_reject(HEAD "a=group:BUNDLE 0 1\r\n" VIDEO CREDS FPL "a=mid:0\r\n",
                  "line 5: a=group:BUNDLE names mid '1' but no m-section has it");
    expect_reject(HEAD VIDEO "a=mid:0\r\n" VIDEO "a=mid:0\r\n",
                  "line 8: mid '0' is already used by m-section 1");
    expect_reject(HEAD VIDEO "a=mid:0123456789abcdef0123456789abcdef\r\n",
                  "line 6: a=mid '0123456789abcdef0123456789abcdef' is not a token of at most "
                  "31 bytes");
    expect_reject(HEAD VIDEO "a=sendonly\r\na=recvonly\r\n",
                  "line 7: second direction attribute at this level");
}

static void test_reject_numbers(void **state)
{
    expect_reject("v=0\r\no=- 18446744073709551616 1 IN IP4 0.0.0.0\r\n",
                  "line 2: o= session id '18446744073709551616' is not a number "
                  "0..18446744073709551615");
    expect_reject("v=0\r\no=- -1 1 IN IP4 0.0.0.0\r\n",
                  "line 2: o= session id '-1' is not a number 0..18446744073709551615");
    expect_reject("v=0\r\no=- 1 1 IN\r\n",
                  "line 2: o= needs 6 fields: <user> <id> <version> IN IP4|IP6 <address>");
    expect_reject(HEAD "m=video 9x UDP/TLS/RTP/SAVPF 96\r\n",
                  "line 5: port '9x' is not a number 0..65535");
    expect_reject(HEAD "m=video 65536 UDP/TLS/RTP/SAVPF 96\r\n",
                  "line 5: port '65536' is not a number 0..65535");
    expect_reject(HEAD "m=video 9/2 UDP/TLS/RTP/SAVPF 96\r\n",
                  "line 5: port ranges ('9/2') are not supported");
    expect_reject(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96 abc\r\n",
                  "line 5: payload type 'abc' is not a number 0..127");
    expect_reject(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 128\r\n",
                  "line 5: payload type '128' is not a number 0..127");
    expect_reject(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96 96\r\n",
                  "line 5: payload type 96 is listed twice");
    expect_reject(HEAD "m=video 9 UDP/TLS/RTP/SAVPF\r\n", "line 5: m= line has no <fmt>");
    expect_reject(HEAD VIDEO "a=rtpmap:9x H264/90000\r\n",
                  "line 6: a=rtpmap payload type '9x' is not a number 0..127");
    expect_reject(HEAD VIDEO "a=rtpmap:96 H264/90k\r\n",
                  "line 6: a=rtpmap clock rate '90k' is not a number 1..4294967295");
    expect_reject(HEAD VIDEO "a=rtpmap:96 H264\r\n",
                  "line 6: a=rtpmap clock rate '' is not a number 1..4294967295");
    expect_reject(HEAD VIDEO "a=rtpmap:96 opus/48000/two\r\n",
                  "line 6: a=rtpmap channels 'two' is not a number 0..255");
    expect_reject(HEAD VIDEO "a=rtpmap:96 H264/90000\r\na=rtpmap:96 VP8/90000\r\n",
                  "line 7: second a=rtpmap for payload type 96");
    expect_reject(HEAD VIDEO "a=fmtp:96 apt=xyz\r\n",
                  "line 6: apt='xyz' is not a payload type 0..127");
    expect_reject(HEAD VIDEO "a=rtcp-fb:x nack\r\n",
                  "line 6: a=rtcp-fb payload type 'x' is not * or 0..127");
    expect_reject(HEAD VIDEO "a=extmap:0 " MIDX "\r\n",
                  "line 6: a=extmap id '0' is not a number 1..255");
    expect_reject(HEAD VIDEO "a=extmap:300 " MIDX "\r\n",
                  "line 6: a=extmap id '300' is not a number 1..255");
    expect_reject(HEAD VIDEO "a=extmap:3/sideways " MIDX "\r\n",
                  "line 6: a=extmap direction 'sideways' is not valid");
    expect_reject(HEAD VIDEO "a=extmap:3 " MIDX "\r\na=extmap:3 urn:x\r\n",
                  "line 7: a=extmap id 3 is used twice");
    expect_reject(HEAD VIDEO "a=ssrc:4294967296 cname:x\r\n",
                  "line 6: a=ssrc '4294967296' is not a number 0..4294967295");
    expect_reject(HEAD VIDEO "a=ssrc:\r\n", "line 6: a=ssrc needs a value");
    expect_reject(HEAD VIDEO "a=ssrc-group:FID 1\r\n",
                  "line 6: a=ssrc-group:FID needs two SSRC numbers, got 1");
    expect_reject(HEAD VIDEO "a=ssrc-group:FID 1 x\r\n",
                  "line 6: a=ssrc-group:FID needs two SSRC numbers, got 'x'");
}

static void test_reject_misc(void **state)
{
    expect_reject(HEAD "m=video 9\r\n", "line 5: m= needs <media> <port> <proto> <fmt>...");
    expect_reject(HEAD "m=video 9 UDP/TLS/RTP/SAVPF/AND/A/VERY/LONG/PROFILE/NAME 96\r\n",
                  "line 5: proto 'UDP/TLS/RTP/SAVPF/AND/A/VERY/LON' is not a token of at most "
                  "39 bytes");
    expect_reject(HEAD "m=application 9 UDP/DTLS/SCTP web(rtc)\r\n",
                  "line 5: format 'web(rtc)' is not a token of at most 31 bytes");
    expect_reject("v=0\r\nv=0\r\n", "line 2: second v= line");
    expect_reject("v=0\r\no=- 1 x IN IP4 0.0.0.0\r\n",
                  "line 2: o= session version 'x' is not a number");
    expect_reject(HEAD VIDEO "a=fingerprint:sha-256\r\n",
                  "line 6: a=fingerprint needs <hash> <hex pairs>");
    expect_reject(HEAD VIDEO "a=fingerprint:sha-256-and-more-and-more 00\r\n",
                  "line 6: a=fingerprint hash 'sha-256-and-more-and-more' is too long");
    char fp[400];
    snprintf(fp, sizeof fp, HEAD VIDEO "a=fingerprint:sha-256 %s:%s\r\n", FP1, FP1);
    expect_reject(fp, "line 6: a=fingerprint has 64 bytes, expected 32 for sha-256");
    snprintf(fp, sizeof fp, HEAD VIDEO "a=fingerprint:sha-256 %s:%s:%s\r\n", FP1, FP1, FP1);
    expect_reject(fp, "line 6: a=fingerprint value is 287 bytes long, expected 32 hex pairs");
    expect_reject(HEAD "a=setup:actpass\r\na=setup:active\r\n",
                  "line 6: second a=setup at this level");
    expect_reject(HEAD "a=group:BUNDLE 0\r\na=group:BUNDLE 1\r\n",
                  "line 6: second a=group:BUNDLE (only one bundle group is supported)");
    expect_reject(HEAD "a=group:BUNDLE 0 1 2 3 4 5 6 7 8\r\n",
                  "line 5: a=group:BUNDLE lists more than 8 mids");
    expect_reject(HEAD "a=group:BUNDLE 0 a\"b\r\n",
                  "line 5: BUNDLE mid 'a\"b' is not a token of at most 31 bytes");
    expect_reject(HEAD VIDEO "a=mid:0\r\na=mid:1\r\n", "line 7: second a=mid in this m-section");
    expect_reject(HEAD VIDEO "a=rtpmap:96 \r\n", "line 6: a=rtpmap needs <pt> <name>/<clock rate>");
    expect_reject(HEAD VIDEO "a=fmtp:96 x=1\r\na=fmtp:96 x=2\r\n",
                  "line 7: second a=fmtp for payload type 96");
    expect_reject(HEAD VIDEO "a=rtcp-fb:96\r\n", "line 6: a=rtcp-fb needs <pt|*> <type>");
    expect_reject(HEAD VIDEO "a=extmap:1\r\n", "line 6: a=extmap needs <id>[/<direction>] <uri>");
    expect_reject(HEAD VIDEO "a=mid:m\r\na=ice-ufrag:abcd\r\n" FPL,
                  "line 5: m-section 1 (mid 'm') has no a=ice-pwd at media or session level");
}

/* Things the relay does not use are accepted and ignored. */
static void test_ignored(void **state)
{
    static const char offer[] = HEAD "a=group:LS 0\r\na=extmap:1 " MIDX "\r\n"
                                     "a=x-unknown\r\nb=AS:2000\r\n" VIDEO CREDS FPL
                                     "a=rtpmap:97 VP8/90000\r\na=fmtp:97 x=1\r\n"
                                     "a=rtcp-fb:97 nack\r\na=ssrc-group:SIM 1 2 3\r\n"
                                     "a=rtcp-fb:96 goog-lntf\r\na=rtcp-fb:96 ccm tmmbr\r\n"
                                     "a=recvonly  \r\n";
    struct tsn_sdp *s = parse_str(offer);
    const struct tsn_sdp_media *m = &s->media[0];
    assert_int_equal(s->n_bundle, 0);
    assert_int_equal(m->n_extmap, 0);
    assert_int_equal(m->n_codecs, 1);
    assert_int_equal(m->codecs[0].pt, 96);
    assert_string_equal(m->codecs[0].name, "");
    assert_fb(&m->codecs[0], 0, 0, 0, 0, 0);
    assert_int_equal(m->fid_primary, 0);
    assert_int_equal(m->dir, TSN_SDP_RECVONLY); /* despite trailing spaces */
    free(s);
}

static void test_reject_limits(void **state)
{
    char *big = malloc(80 * 1024);
    size_t n = 0;
    assert_non_null(big);

    /* Nine m-sections. */
    n = (size_t)snprintf(big, 80 * 1024, "%s", HEAD CREDS FPL);
    for (int i = 0; i < 9; i++)
        n += (size_t)snprintf(big + n, 80 * 1024 - n, VIDEO "a=mid:%d\r\n", i);
    expect_reject(big, "line 24: more than 8 m-sections");

    /* Nine SSRCs in one m-section. */
    n = (size_t)snprintf(big, 80 * 1024, "%s", HEAD VIDEO);
    for (int i = 1; i <= 9; i++)
        n += (size_t)snprintf(big + n, 80 * 1024 - n, "a=ssrc:%d cname:x\r\n", i);
    expect_reject(big, "line 14: more than 8 SSRCs in one m-section");

    /* 70 KB: the reason names the line where the limit falls. */
    n = (size_t)snprintf(big, 80 * 1024, "%s", HEAD VIDEO CREDS FPL);
    while (n < 70 * 1024)
        n += (size_t)snprintf(big + n, 80 * 1024 - n, "a=x-padding:%080d\r\n", 0);
    expect_reject_n(big, n, "line 703: offer is 71684 bytes, longer than 65536");
    free(big);

    /* NUL inside a line. */
    static const char nul[] = HEAD VIDEO "a=mi\0d:0\r\n";
    expect_reject_n(nul, sizeof nul - 1, "line 6: NUL byte at column 5");
    static const char nul1[] = "\0";
    expect_reject_n(nul1, 1, "line 1: NUL byte at column 1");

    /* Values longer than their field are refused, not cut. */
    char fmtp[400];
    memset(fmtp, 'x', sizeof fmtp);
    char offer[1024];
    snprintf(offer, sizeof offer, HEAD VIDEO "a=fmtp:96 a=%.200s\r\n", fmtp);
    expect_reject(offer, "line 6: a=fmtp for payload type 96 is 202 bytes, more than 159 even "
                         "without sprop-*");
    snprintf(offer, sizeof offer, HEAD VIDEO "a=extmap:1 urn:%.200s\r\n", fmtp);
    expect_reject(offer, "line 6: a=extmap URI is 204 bytes, more than 127");
    snprintf(offer, sizeof offer, HEAD VIDEO "a=ice-ufrag:%.257s\r\n", fmtp);
    expect_reject(offer, "line 6: a=ice-ufrag must be 4 to 256 characters, got 257");
    expect_reject(HEAD VIDEO "a=rtpmap:96 averyveryverylongname/90000\r\n",
                  "line 6: a=rtpmap encoding name 'averyveryverylongname' is not a token of 1 "
                  "to 15 bytes");
    /* Reasons never carry control or non-ASCII bytes. */
    expect_reject(HEAD "m=vid\xc3\xa9o 9 RTP/AVP 0\r\n",
                  "line 5: media type 'vid??o' is not a token of at most 15 bytes");
}

static void test_null_args(void **state)
{
    struct tsn_sdp *s = calloc(1, sizeof *s);
    char why[64];
    assert_non_null(s);
    assert_int_equal(tsn_sdp_parse(NULL, 3, s, why, sizeof why), -EINVAL);
    assert_int_equal(tsn_sdp_parse("v=0", 3, NULL, why, sizeof why), -EINVAL);
    /* A NULL or tiny `why` is fine. */
    assert_int_equal(tsn_sdp_parse("", 0, s, NULL, 0), -EBADMSG);
    assert_int_equal(tsn_sdp_parse("", 0, s, why, 4), -EBADMSG);
    assert_string_equal(why, "lin");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webrtcbin_sendonly),
        cmocka_unit_test(test_webrtcbin_recvonly),
        cmocka_unit_test(test_chromium_recvonly),
        cmocka_unit_test(test_chromium_av_data),
        cmocka_unit_test(test_session_level_transport),
        cmocka_unit_test(test_lf_equals_crlf),
        cmocka_unit_test(test_fingerprint_choice),
        cmocka_unit_test(test_long_sprop_dropped),
        cmocka_unit_test(test_codec_overflow_priority),
        cmocka_unit_test(test_extmap_overflow),
        cmocka_unit_test(test_pick_codec),
        cmocka_unit_test(test_answer_chromium_exact),
        cmocka_unit_test(test_answer_publisher_ipv6),
        cmocka_unit_test(test_answer_rejects_audio_data),
        cmocka_unit_test(test_answer_bad_input),
        cmocka_unit_test(test_reject_structure),
        cmocka_unit_test(test_reject_transport),
        cmocka_unit_test(test_reject_numbers),
        cmocka_unit_test(test_reject_misc),
        cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_reject_limits),
        cmocka_unit_test(test_null_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
