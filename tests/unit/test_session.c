/* Unit tests for relay/session.c, with a real tsn_media that is never
 * started (peers stay queued in its command queue; tsn_media_free frees
 * them, which ASan's leak check verifies): WHIP and WHEP offers answered with
 * the right SDP, each refusal with its status and reason, the codec rule for
 * subscribers, delete / drop_owner / media events, and session ids. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "media.h"
#include "metrics.h"
#include "sdp.h"
#include "session.h"

/* SDP offers, one SDP line per source line. */
// clang-format off
#define L(s) s "\r\n"

#define RELAY_FP                                                                                   \
    "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:"   \
    "E8:F9"

#define OFFER_HEAD(o_id)                                                                           \
    L("v=0")                                                                                       \
    L("o=- " o_id " 0 IN IP4 0.0.0.0")                                                             \
    L("s=-")                                                                                       \
    L("t=0 0")                                                                                     \
    L("a=ice-options:trickle")                                                                     \
    L("a=group:BUNDLE video0")

#define CLIENT_FP                                                                                  \
    "2B:01:72:D6:36:A5:C7:9C:E4:53:F2:4C:AA:21:03:A1:C9:73:73:FF:15:0D:D0:FE:9A:8B:27:2B:0E:50:"   \
    "F2:8A"

#define TRANSPORT(setup)                                                                           \
    L("c=IN IP4 0.0.0.0")                                                                          \
    L("a=setup:" setup)                                                                            \
    L("a=ice-ufrag:q0XnVvYyqnbDYvh4OSvIpRe3E0TM8lWU")                                              \
    L("a=ice-pwd:Hq3ZOWpkYfmJFbEc2trSHaHLjWxjMx8F")                                                \
    L("a=rtcp-mux")                                                                                \
    L("a=rtcp-rsize")                                                                              \
    L("a=mid:video0")                                                                              \
    L("a=fingerprint:sha-256 " CLIENT_FP)

/* What webrtcbin (GStreamer 1.22) sends as a WHIP client: H.264 at PT 96
 * plus RTX, abs-capture-time at id 1. */
static const char whip_h264[] =
    OFFER_HEAD("6807936395290592513")
    L("m=video 9 UDP/TLS/RTP/SAVPF 96 97")
    TRANSPORT("actpass")
    L("a=sendonly")
    L("a=rtpmap:96 H264/90000")
    L("a=rtcp-fb:96 nack")
    L("a=rtcp-fb:96 nack pli")
    L("a=rtcp-fb:96 ccm fir")
    L("a=framerate:30")
    L("a=extmap:1 http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time")
    L("a=extmap:2 urn:ietf:params:rtp-hdrext:sdes:mid")
    L("a=fmtp:96 packetization-mode=1;profile-level-id=42c01f")
    L("a=rtpmap:97 rtx/90000")
    L("a=fmtp:97 apt=96")
    L("a=ssrc-group:FID 2526795341 1404531563")
    L("a=ssrc:2526795341 cname:user1804289383@host-0e5d7cd0")
    L("a=ssrc:1404531563 cname:user1804289383@host-0e5d7cd0");

/* A WHIP offer with H.264 at PT 102, VP8 at 100 listed first. */
static const char whip_vp8_h264_102[] =
    OFFER_HEAD("11")
    L("m=video 9 UDP/TLS/RTP/SAVPF 100 102")
    TRANSPORT("active")
    L("a=sendrecv")
    L("a=rtpmap:100 VP8/90000")
    L("a=rtpmap:102 H264/90000")
    L("a=fmtp:102 packetization-mode=1;profile-level-id=42e01f")
    L("a=rtcp-fb:102 nack");

static const char whip_vp8[] =
    OFFER_HEAD("12")
    L("m=video 9 UDP/TLS/RTP/SAVPF 120")
    TRANSPORT("actpass")
    L("a=sendonly")
    L("a=rtpmap:120 VP8/90000")
    L("a=rtcp-fb:120 nack pli");

/* What webrtcbin sends as a WHEP client: H.264 (PT 96) and VP8 (PT 97). */
static const char whep_h264_vp8[] =
    OFFER_HEAD("3141592653589793238")
    L("m=video 9 UDP/TLS/RTP/SAVPF 96 97")
    TRANSPORT("actpass")
    L("a=recvonly")
    L("a=rtpmap:96 H264/90000")
    L("a=rtcp-fb:96 nack")
    L("a=rtcp-fb:96 nack pli")
    L("a=rtcp-fb:96 ccm fir")
    L("a=fmtp:96 packetization-mode=1;profile-level-id=42e01f")
    L("a=rtpmap:97 VP8/90000")
    L("a=rtcp-fb:97 nack")
    L("a=rtcp-fb:97 nack pli");

static const char whep_vp8_only[] =
    OFFER_HEAD("13")
    L("m=video 9 UDP/TLS/RTP/SAVPF 97")
    TRANSPORT("actpass")
    L("a=recvonly")
    L("a=rtpmap:97 VP8/90000")
    L("a=rtcp-fb:97 nack");

static const char whep_h264_only[] =
    OFFER_HEAD("14")
    L("m=video 9 UDP/TLS/RTP/SAVPF 109")
    TRANSPORT("actpass")
    L("a=recvonly")
    L("a=rtpmap:109 H264/90000")
    L("a=fmtp:109 packetization-mode=1;profile-level-id=42001f");

static const char audio_only[] =
    OFFER_HEAD("15")
    L("m=audio 9 UDP/TLS/RTP/SAVPF 111")
    TRANSPORT("actpass")
    L("a=sendonly")
    L("a=rtpmap:111 opus/48000/2");

static const char setup_passive[] =
    OFFER_HEAD("16")
    L("m=video 9 UDP/TLS/RTP/SAVPF 96")
    TRANSPORT("passive")
    L("a=sendonly")
    L("a=rtpmap:96 H264/90000")
    L("a=fmtp:96 packetization-mode=1;profile-level-id=42e01f");

static const char whep_sendonly[] =
    OFFER_HEAD("17")
    L("m=video 9 UDP/TLS/RTP/SAVPF 96")
    TRANSPORT("actpass")
    L("a=sendonly")
    L("a=rtpmap:96 H264/90000")
    L("a=fmtp:96 packetization-mode=1;profile-level-id=42e01f");

static const char no_rtcp_mux[] =
    L("v=0")
    L("o=- 18 0 IN IP4 0.0.0.0")
    L("s=-")
    L("t=0 0")
    L("m=video 9 UDP/TLS/RTP/SAVPF 96")
    L("a=setup:actpass")
    L("a=ice-ufrag:abcd")
    L("a=ice-pwd:0123456789abcdefghijkl")
    L("a=mid:0")
    L("a=fingerprint:sha-256 " CLIENT_FP)
    L("a=sendonly")
    L("a=rtpmap:96 H264/90000")
    L("a=fmtp:96 packetization-mode=1;profile-level-id=42e01f");

/* H.264 High profile only: not forwardable. */
static const char whip_high_only[] =
    OFFER_HEAD("19")
    L("m=video 9 UDP/TLS/RTP/SAVPF 96")
    TRANSPORT("actpass")
    L("a=sendonly")
    L("a=rtpmap:96 H264/90000")
    L("a=fmtp:96 packetization-mode=1;profile-level-id=640c1f");
// clang-format on

struct notice {
    void *owner;
    char id[TSN_SESSION_ID_LEN + 1];
    char state[16];
    char reason[96];
};

static struct notice notices[8];
static int n_notices;

static void on_notify(void *owner, const char *session_id, const char *state, const char *reason)
{
    assert_true(n_notices < 8);
    struct notice *n = &notices[n_notices++];
    n->owner = owner;
    snprintf(n->id, sizeof n->id, "%s", session_id);
    snprintf(n->state, sizeof n->state, "%s", state);
    snprintf(n->reason, sizeof n->reason, "%s", reason ? reason : "");
}

struct fixture {
    struct tsn_config cfg;
    struct tsn_metrics metrics;
    struct tsn_media *media;
    struct tsn_sessions *s;
    char answer[16384];
    char id[TSN_SESSION_ID_LEN + 1];
    char why[256];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    char *argv[] = {(char *)"relay",        (char *)"--public-ip", (char *)"192.0.2.44",
                    (char *)"--media-port", (char *)"40000",       NULL};
    assert_int_equal(tsn_config_parse(&f->cfg, 5, argv), TSN_CONFIG_OK);
    tsn_metrics_init(&f->metrics);
    f->media = tsn_media_new(&f->cfg, &f->metrics, NULL, NULL, NULL);
    assert_non_null(f->media);
    f->s = tsn_sessions_new(&f->cfg, f->media, RELAY_FP, on_notify);
    assert_non_null(f->s);
    n_notices = 0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    tsn_sessions_free(f->s);
    tsn_media_free(f->media); /* frees the peers still queued for the media thread */
    free(f);
    return 0;
}

static struct tsn_claims who_sub(const char *room, enum tsn_role role, const char *sub)
{
    struct tsn_claims c;
    memset(&c, 0, sizeof c);
    snprintf(c.room, sizeof c.room, "%s", room);
    snprintf(c.sub, sizeof c.sub, "%s", sub);
    c.role = role;
    c.exp = 4000000000;
    return c;
}

static struct tsn_claims who(const char *room, enum tsn_role role)
{
    return who_sub(room, role, "tester");
}

static int offer_by(struct fixture *f, enum tsn_peer_kind kind, const char *room, const char *sub,
                    const char *sdp, void *owner)
{
    struct tsn_claims c =
        who_sub(room, kind == TSN_PEER_PUBLISHER ? TSN_ROLE_CAPTURE : TSN_ROLE_CLINICIAN, sub);
    f->answer[0] = '\0';
    f->why[0] = '\0';
    memset(f->id, 0, sizeof f->id);
    return tsn_sessions_offer(f->s, kind, &c, sdp, strlen(sdp), owner, f->answer, sizeof f->answer,
                              f->id, f->why, sizeof f->why);
}

static int offer_as(struct fixture *f, enum tsn_peer_kind kind, const char *room, const char *sdp,
                    void *owner)
{
    return offer_by(f, kind, room, "tester", sdp, owner);
}

static void expect_line(const char *sdp, const char *line)
{
    char want[512];
    snprintf(want, sizeof want, "\r\n%s\r\n", line);
    if (!strstr(sdp, want))
        fail_msg("answer lacks line '%s':\n%s", line, sdp);
}

static void expect_no_line_prefix(const char *sdp, const char *prefix)
{
    char want[128];
    snprintf(want, sizeof want, "\r\n%s", prefix);
    if (strstr(sdp, want))
        fail_msg("answer has an unexpected '%s' line:\n%s", prefix, sdp);
}

static void expect_session_id(const char *id)
{
    assert_int_equal(strlen(id), TSN_SESSION_ID_LEN);
    assert_int_equal(strspn(id, "0123456789abcdef"), TSN_SESSION_ID_LEN);
}

/* Parses the answer back and checks what every answer must hold. */
static void check_answer(struct fixture *f, struct tsn_sdp *a, enum tsn_sdp_dir dir, unsigned pt,
                         const char *codec)
{
    char why[128];
    assert_int_equal(tsn_sdp_parse(f->answer, strlen(f->answer), a, why, sizeof why), 0);
    assert_int_equal(a->ice_lite, 1);
    assert_int_equal(a->n_media, 1);
    const struct tsn_sdp_media *v = &a->media[0];
    assert_string_equal(v->type, "video");
    assert_string_equal(v->mid, "video0");
    assert_int_equal(v->dir, dir);
    assert_int_equal(v->setup, TSN_SDP_SETUP_PASSIVE);
    assert_int_equal(v->rtcp_mux, 1);
    assert_string_equal(v->fingerprint_alg, "sha-256");
    assert_string_equal(v->fingerprint, RELAY_FP);
    assert_int_equal(strlen(v->ice_ufrag), 8);
    assert_int_equal(strlen(v->ice_pwd), 32);
    assert_int_equal(v->n_codecs, 1); /* exactly the chosen codec */
    assert_int_equal(v->codecs[0].pt, pt);
    assert_string_equal(v->codecs[0].name, codec);
    assert_int_equal(v->codecs[0].clock_rate, 90000);
    expect_line(f->answer, "a=ice-lite");
    expect_line(f->answer, "a=setup:passive");
    expect_line(f->answer, "a=group:BUNDLE video0");
    expect_line(f->answer, "a=candidate:1 1 udp 2130706431 192.0.2.44 40000 typ host");
    expect_line(f->answer, "a=end-of-candidates");
    assert_int_equal(strncmp(f->answer, "v=0\r\n", 5), 0);
}

static void test_whip_h264(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "ward-7", whip_h264, NULL), 201);
    expect_session_id(f->id);
    struct tsn_sdp *a = malloc(sizeof *a);
    assert_non_null(a);
    check_answer(f, a, TSN_SDP_RECVONLY, 96, "H264");
    expect_line(f->answer, "a=recvonly");
    expect_line(f->answer, "a=rtpmap:96 H264/90000");
    expect_line(f->answer, "a=fmtp:96 packetization-mode=1;profile-level-id=42c01f");
    expect_line(f->answer, "a=rtcp-fb:96 nack");
    expect_line(f->answer, "a=rtcp-fb:96 nack pli");
    expect_line(f->answer, "a=rtcp-fb:96 ccm fir");
    expect_line(f->answer, "a=rtcp-rsize");
    /* abs-capture-time is echoed with the offer's id. */
    expect_line(f->answer,
                "a=extmap:1 http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time");
    /* The relay receives: it announces no SSRC of its own, and no RTX. */
    expect_no_line_prefix(f->answer, "a=ssrc:");
    expect_no_line_prefix(f->answer, "a=rtpmap:97");
    assert_int_equal(a->media[0].n_ssrcs, 0);
    assert_int_equal(tsn_sessions_count(f->s), 1);
    free(a);
}

/* The chosen codec's PT is the offer's, whichever position it has. */
static void test_whip_pt_from_offer(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "r1", whip_vp8_h264_102, NULL), 201);
    struct tsn_sdp *a = malloc(sizeof *a);
    assert_non_null(a);
    check_answer(f, a, TSN_SDP_RECVONLY, 102, "H264"); /* H.264 preferred over VP8 */
    expect_line(f->answer, "a=rtpmap:102 H264/90000");
    expect_no_line_prefix(f->answer, "a=rtpmap:100");

    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "r2", whip_vp8, NULL), 201);
    check_answer(f, a, TSN_SDP_RECVONLY, 120, "VP8");
    expect_line(f->answer, "a=rtcp-fb:120 nack pli");
    free(a);
}

static void test_whep_h264(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "ward-7", whip_h264, NULL), 201);
    char pub_id[TSN_SESSION_ID_LEN + 1];
    memcpy(pub_id, f->id, sizeof pub_id);

    assert_int_equal(offer_as(f, TSN_PEER_SUBSCRIBER, "ward-7", whep_h264_vp8, NULL), 201);
    expect_session_id(f->id);
    assert_string_not_equal(f->id, pub_id);
    struct tsn_sdp *a = malloc(sizeof *a);
    assert_non_null(a);
    check_answer(f, a, TSN_SDP_SENDONLY, 96, "H264");
    expect_line(f->answer, "a=sendonly");
    /* The relay sends: one SSRC with cname and msid. */
    const struct tsn_sdp_media *v = &a->media[0];
    assert_int_equal(v->n_ssrcs, 1);
    assert_int_not_equal(v->ssrcs[0], 0);
    char line[96];
    snprintf(line, sizeof line, "a=ssrc:%u cname:telesono", (unsigned)v->ssrcs[0]);
    expect_line(f->answer, line);
    snprintf(line, sizeof line, "a=ssrc:%u msid:telesono video", (unsigned)v->ssrcs[0]);
    expect_line(f->answer, line);
    expect_line(f->answer, "a=msid:telesono video");
    expect_no_line_prefix(f->answer, "a=rtpmap:97");
    assert_int_equal(tsn_sessions_count(f->s), 2);
    free(a);
}

/* With no publisher yet, a subscriber gets H.264 if it offers it. */
static void test_whep_before_publisher(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(offer_as(f, TSN_PEER_SUBSCRIBER, "empty", whep_h264_vp8, NULL), 201);
    struct tsn_sdp *a = malloc(sizeof *a);
    assert_non_null(a);
    check_answer(f, a, TSN_SDP_SENDONLY, 96, "H264");
    assert_int_equal(offer_as(f, TSN_PEER_SUBSCRIBER, "empty", whep_vp8_only, NULL), 201);
    check_answer(f, a, TSN_SDP_SENDONLY, 97, "VP8");
    free(a);
}

static void test_codec_follows_publisher(void **state)
{
    struct fixture *f = *state;
    struct tsn_sdp *a = malloc(sizeof *a);
    assert_non_null(a);
    /* H.264 publisher: a VP8-only viewer cannot watch. */
    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "h264room", whip_h264, NULL), 201);
    assert_int_equal(offer_as(f, TSN_PEER_SUBSCRIBER, "h264room", whep_vp8_only, NULL), 406);
    assert_non_null(strstr(f->why, "the stream is H.264 and the offer has no H.264"));
    assert_string_equal(f->answer, "");
    assert_int_equal(tsn_sessions_count(f->s), 1);

    /* VP8 publisher: a viewer offering both gets VP8; an H.264-only one
     * cannot watch and is told why. */
    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "vp8room", whip_vp8, NULL), 201);
    assert_int_equal(offer_as(f, TSN_PEER_SUBSCRIBER, "vp8room", whep_h264_vp8, NULL), 201);
    check_answer(f, a, TSN_SDP_SENDONLY, 97, "VP8");
    assert_int_equal(offer_as(f, TSN_PEER_SUBSCRIBER, "vp8room", whep_h264_only, NULL), 406);
    assert_string_equal(f->why, "the stream is VP8 and the offer has no VP8");

    /* Rooms do not influence each other. */
    assert_int_equal(offer_as(f, TSN_PEER_SUBSCRIBER, "h264room", whep_h264_only, NULL), 201);
    check_answer(f, a, TSN_SDP_SENDONLY, 109, "H264");

    /* A publisher offering only H.264 High: nothing the relay can forward. */
    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "high", whip_high_only, NULL), 406);
    free(a);
}

static void test_bad_offers(void **state)
{
    struct fixture *f = *state;
    static const char garbage[] = "this is not SDP";
    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "r", garbage, NULL), 400);
    assert_true(strlen(f->why) > 0);
    assert_string_equal(f->answer, "");

    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "r", audio_only, NULL), 400);
    assert_string_equal(f->why, "the offer has no video m-section");

    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "r", setup_passive, NULL), 400);
    assert_non_null(strstr(f->why, "setup"));

    assert_int_equal(offer_as(f, TSN_PEER_SUBSCRIBER, "r", whep_sendonly, NULL), 400);
    assert_non_null(strstr(f->why, "WHEP offer must receive"));

    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "r", whep_h264_vp8, NULL), 400);
    assert_non_null(strstr(f->why, "WHIP offer must send"));

    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "r", no_rtcp_mux, NULL), 400);
    assert_non_null(strstr(f->why, "rtcp-mux"));

    /* A truncated copy of a good offer. */
    assert_int_equal(
        offer_as(f, TSN_PEER_PUBLISHER, "r", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", NULL), 400);

    /* None of these left a session behind. */
    assert_int_equal(tsn_sessions_count(f->s), 0);
}

static void test_answer_too_small(void **state)
{
    struct fixture *f = *state;
    struct tsn_claims c = who("r", TSN_ROLE_CAPTURE);
    char small[64];
    int st = tsn_sessions_offer(f->s, TSN_PEER_PUBLISHER, &c, whip_h264, strlen(whip_h264), NULL,
                                small, sizeof small, f->id, f->why, sizeof f->why);
    assert_int_equal(st, 500);
    assert_true(strlen(f->why) > 0);
    assert_int_equal(tsn_sessions_count(f->s), 0);
}

static void test_delete(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "ward-7", whip_h264, NULL), 201);
    char id[TSN_SESSION_ID_LEN + 1];
    memcpy(id, f->id, sizeof id);
    assert_int_equal(offer_as(f, TSN_PEER_SUBSCRIBER, "ward-7", whep_h264_vp8, NULL), 201);
    assert_int_equal(tsn_sessions_count(f->s), 2);

    /* Another room's session is invisible. */
    assert_int_equal(tsn_sessions_delete(f->s, "ward-8", id, NULL, NULL), 404);
    assert_int_equal(tsn_sessions_delete(f->s, "ward-", id, NULL, NULL), 404);
    assert_int_equal(
        tsn_sessions_delete(f->s, "ward-7", "00000000000000000000000000000000", NULL, NULL), 404);
    assert_int_equal(tsn_sessions_delete(f->s, "ward-7", "", NULL, NULL), 404);
    assert_int_equal(tsn_sessions_count(f->s), 2);

    assert_int_equal(tsn_sessions_delete(f->s, "ward-7", id, NULL, NULL), 204);
    assert_int_equal(tsn_sessions_count(f->s), 1);
    assert_int_equal(tsn_sessions_delete(f->s, "ward-7", id, NULL, NULL), 404);
    assert_int_equal(tsn_sessions_count(f->s), 1);

    /* The publisher is gone: a VP8-only viewer is no longer refused. */
    assert_int_equal(offer_as(f, TSN_PEER_SUBSCRIBER, "ward-7", whep_vp8_only, NULL), 201);
}

/* Only the subject that created a session may end it (sub NULL: anyone,
 * for internal callers). */
static void test_delete_by_subject(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(offer_by(f, TSN_PEER_SUBSCRIBER, "icu", "dr-a", whep_h264_vp8, NULL), 201);
    char id_a[TSN_SESSION_ID_LEN + 1];
    memcpy(id_a, f->id, sizeof id_a);
    assert_int_equal(offer_by(f, TSN_PEER_SUBSCRIBER, "icu", "dr-b", whep_h264_vp8, NULL), 201);
    char id_b[TSN_SESSION_ID_LEN + 1];
    memcpy(id_b, f->id, sizeof id_b);

    assert_int_equal(tsn_sessions_delete(f->s, "icu", id_a, "dr-b", NULL), 404);
    assert_int_equal(tsn_sessions_delete(f->s, "icu", id_a, "dr-", NULL), 404);
    assert_int_equal(tsn_sessions_delete(f->s, "icu", id_a, "", NULL), 404);
    assert_int_equal(tsn_sessions_count(f->s), 2);
    assert_int_equal(tsn_sessions_delete(f->s, "icu", id_a, "dr-a", NULL), 204);
    assert_int_equal(tsn_sessions_delete(f->s, "icu", id_a, "dr-a", NULL), 404);
    /* Right subject, wrong room: still invisible. */
    assert_int_equal(tsn_sessions_delete(f->s, "ward", id_b, "dr-b", NULL), 404);
    assert_int_equal(tsn_sessions_delete(f->s, "icu", id_b, NULL, NULL), 204);
    assert_int_equal(tsn_sessions_count(f->s), 0);
}

static void test_owner(void **state)
{
    struct fixture *f = *state;
    int ws1, ws2; /* stand-ins for two WebSockets */
    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "r", whip_h264, &ws1), 201);
    char id1[TSN_SESSION_ID_LEN + 1];
    memcpy(id1, f->id, sizeof id1);
    assert_int_equal(offer_as(f, TSN_PEER_SUBSCRIBER, "r", whep_h264_vp8, &ws2), 201);
    char id2[TSN_SESSION_ID_LEN + 1];
    memcpy(id2, f->id, sizeof id2);
    assert_int_equal(offer_as(f, TSN_PEER_SUBSCRIBER, "r", whep_h264_vp8, &ws2), 201);
    assert_int_equal(offer_as(f, TSN_PEER_SUBSCRIBER, "r", whep_h264_vp8, NULL), 201);
    assert_int_equal(tsn_sessions_count(f->s), 4);

    /* owner_only: a WebSocket may end only its own sessions. */
    assert_int_equal(tsn_sessions_delete(f->s, "r", id1, NULL, &ws2), 404);
    assert_int_equal(tsn_sessions_delete(f->s, "r", id2, NULL, &ws2), 204);
    assert_int_equal(tsn_sessions_count(f->s), 3);

    /* A closing WebSocket ends all of its sessions, and only those. */
    tsn_sessions_drop_owner(f->s, &ws2);
    assert_int_equal(tsn_sessions_count(f->s), 2);
    tsn_sessions_drop_owner(f->s, &ws2);
    assert_int_equal(tsn_sessions_count(f->s), 2);
    assert_int_equal(tsn_sessions_delete(f->s, "r", id1, NULL, &ws1), 204);
    assert_int_equal(tsn_sessions_count(f->s), 1);
}

/* Media-thread events reach the session of their peer, and its owner. */
static void test_media_events(void **state)
{
    struct fixture *f = *state;
    int ws;
    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "r", whip_h264, &ws), 201);
    char id[TSN_SESSION_ID_LEN + 1];
    memcpy(id, f->id, sizeof id);
    /* Peer ids are not exposed by session.h; an event for an unknown peer
     * changes nothing. */
    struct tsn_media_event ev = {.type = TSN_MEDIA_EV_GONE, .peer_id = UINT64_MAX};
    snprintf(ev.reason, sizeof ev.reason, "nobody");
    tsn_sessions_on_media_event(f->s, &ev);
    assert_int_equal(tsn_sessions_count(f->s), 1);
    assert_int_equal(n_notices, 0);

    /* Peer ids are handed out in increasing order: find ours by scanning
     * recent ids with CONNECTED events (which never remove a session). */
    uint64_t found = 0;
    for (uint64_t pid = 1; pid < 100000 && !found; pid++) {
        struct tsn_media_event c = {.type = TSN_MEDIA_EV_CONNECTED, .peer_id = pid};
        tsn_sessions_on_media_event(f->s, &c);
        if (n_notices)
            found = pid;
    }
    assert_int_not_equal(found, 0);
    assert_int_equal(n_notices, 1);
    assert_ptr_equal(notices[0].owner, &ws);
    assert_string_equal(notices[0].id, id);
    assert_string_equal(notices[0].state, "connected");
    assert_int_equal(tsn_sessions_count(f->s), 1);

    /* GONE: the owner hears "closed" with the reason; the session is forgotten. */
    ev.peer_id = found;
    snprintf(ev.reason, sizeof ev.reason, "ICE consent expired");
    tsn_sessions_on_media_event(f->s, &ev);
    assert_int_equal(n_notices, 2);
    assert_string_equal(notices[1].state, "closed");
    assert_string_equal(notices[1].reason, "ICE consent expired");
    assert_string_equal(notices[1].id, id);
    assert_int_equal(tsn_sessions_count(f->s), 0);
    assert_int_equal(tsn_sessions_delete(f->s, "r", id, NULL, NULL), 404);
    /* A second GONE for the same peer is harmless. */
    tsn_sessions_on_media_event(f->s, &ev);
    assert_int_equal(n_notices, 2);
}

/* Sessions without an owner (WHIP/WHEP over HTTP) notify no one. */
static void test_media_event_no_owner(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(offer_as(f, TSN_PEER_PUBLISHER, "r", whip_h264, NULL), 201);
    for (uint64_t pid = 1; pid < 100000 && tsn_sessions_count(f->s); pid++) {
        struct tsn_media_event ev = {.type = TSN_MEDIA_EV_GONE, .peer_id = pid};
        tsn_sessions_on_media_event(f->s, &ev);
    }
    assert_int_equal(tsn_sessions_count(f->s), 0);
    assert_int_equal(n_notices, 0);
}

static void test_ids_unique(void **state)
{
    struct fixture *f = *state;
    enum { N = 64 };
    char ids[N][TSN_SESSION_ID_LEN + 1];
    for (int i = 0; i < N; i++) {
        assert_int_equal(offer_as(f, TSN_PEER_SUBSCRIBER, "many", whep_h264_vp8, NULL), 201);
        expect_session_id(f->id);
        memcpy(ids[i], f->id, sizeof ids[i]);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(ids[i], ids[j]);
    }
    assert_int_equal(tsn_sessions_count(f->s), N);
    /* Every one can be ended once. */
    for (int i = 0; i < N; i++)
        assert_int_equal(tsn_sessions_delete(f->s, "many", ids[i], NULL, NULL), 204);
    assert_int_equal(tsn_sessions_count(f->s), 0);
}

/* The media thread is not running, so its command queue fills up: the offer
 * that finds it full is refused with 503, leaving no session behind. */
static void test_media_queue_full(void **state)
{
    struct fixture *f = *state;
    int accepted = 0, status = 0;
    for (int i = 0; i < 5000; i++) {
        status = offer_as(f, TSN_PEER_SUBSCRIBER, "busy", whep_h264_vp8, NULL);
        if (status != 201)
            break;
        accepted++;
    }
    assert_int_equal(status, 503);
    assert_true(accepted > 0);
    assert_int_equal(tsn_sessions_count(f->s), (size_t)accepted);
    assert_string_equal(f->why, "relay is busy, try again");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_whip_h264, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whip_pt_from_offer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whep_h264, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whep_before_publisher, setup, teardown),
        cmocka_unit_test_setup_teardown(test_codec_follows_publisher, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_offers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answer_too_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_by_subject, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_media_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_media_event_no_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_unique, setup, teardown),
        cmocka_unit_test_setup_teardown(test_media_queue_full, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
