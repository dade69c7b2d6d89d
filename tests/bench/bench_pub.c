/* The load benchmark's built-in WHIP publisher; see bench_pub.h. */
#include "bench_pub.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "bench_h264.h"
#include "bench_stats.h"
#include "rtcp.h"
#include "rtp.h"
#include "rtx_cache.h"
#include "srtp_session.h"

#define PUB_PT                   102
#define PUB_EXT_ABS_SEND_TIME    2
#define PUB_EXT_ABS_CAPTURE_TIME 3
#define RTX_RING_PACKETS         1024 /* ~4 s at 2 Mbit/s: longer than any NACK is useful */
#define SR_INTERVAL_US           1000000
#define KEYFRAME_MIN_GAP_US      100000 /* an encoder would not make keyframes faster */
#define BUF_BYTES                (TSN_RTP_MAX_PACKET + TSN_SRTP_MAX_TRAILER)

struct tsn_bench_pub {
    struct tsn_bench_pub_config cfg;
    struct tsn_bench_peer *peer; /* owned */
    struct tsn_rtx_cache *ring;  /* owned: plaintext packets by seq */
    struct tsn_bench_h264 gen;
    uint32_t ssrc;
    int media_started;
    int64_t start_mono_us; /* media clock origin */
    int64_t frame_interval_us;
    int64_t next_frame_us;
    int frame_open;             /* packets of the current frame still to send */
    int64_t packet_interval_us; /* paced: time per packet at 2.5x the bitrate */
    int64_t next_packet_us;     /* paced: when the next packet may go */
    int64_t next_sr_us;
    int64_t last_keyframe_us;
    struct tsn_bench_pub_counters n;
};

static uint32_t random_u32(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
        v = 0x5eed1234u;
    return v;
}

struct tsn_bench_pub *tsn_bench_pub_new(const struct tsn_bench_pub_config *cfg, char *why,
                                        size_t why_len)
{
    struct tsn_bench_pub *pub = calloc(1, sizeof(*pub));
    if (!pub) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    pub->cfg = *cfg;
    pub->ssrc = random_u32() | 1; /* never 0 */
    struct tsn_bench_h264_config gc = {
        .ssrc = pub->ssrc,
        .payload_type = PUB_PT,
        .first_seq = (uint16_t)random_u32(),
        .first_timestamp = random_u32(),
        .bitrate_kbps = cfg->bitrate_kbps,
        .fps = cfg->fps,
        .keyint_frames = cfg->keyint_frames,
        .max_packet_bytes = cfg->packet_bytes,
        .ext_abs_send_time = PUB_EXT_ABS_SEND_TIME,
        .ext_abs_capture_time = PUB_EXT_ABS_CAPTURE_TIME,
    };
    if (tsn_bench_h264_init(&pub->gen, &gc) < 0) {
        snprintf(why, why_len, "bad stream parameters (bitrate, fps, packet size)");
        goto fail;
    }
    pub->frame_interval_us = 1000000 / cfg->fps;
    /* libwebrtc's pacer drains at 2.5x the target rate. */
    pub->packet_interval_us =
        (int64_t)(cfg->packet_bytes * 8 * 1000 / (cfg->bitrate_kbps * 5 / 2 + 1));
    pub->ring = tsn_rtx_cache_new(RTX_RING_PACKETS);
    if (!pub->ring) {
        snprintf(why, why_len, "cannot allocate the retransmission ring");
        goto fail;
    }
    struct tsn_bench_peer_config pc = {
        .dtls_ctx = cfg->dtls_ctx,
        .local_fingerprint = cfg->local_fingerprint,
        .sendonly = 1,
        .ssrc = pub->ssrc,
        .payload_type = PUB_PT,
        .ext_abs_send_time = PUB_EXT_ABS_SEND_TIME,
        .ext_abs_capture_time = PUB_EXT_ABS_CAPTURE_TIME,
        .rcvbuf_bytes = 1 << 20,
        .handshake_timeout_us = cfg->handshake_timeout_us,
    };
    pub->peer = tsn_bench_peer_new(&pc, why, why_len);
    if (!pub->peer)
        goto fail;
    return pub;
fail:
    tsn_bench_pub_free(pub);
    return NULL;
}

void tsn_bench_pub_free(struct tsn_bench_pub *pub)
{
    if (!pub)
        return;
    tsn_bench_peer_free(pub->peer);
    tsn_rtx_cache_free(pub->ring);
    free(pub);
}

struct tsn_bench_peer *tsn_bench_pub_peer(struct tsn_bench_pub *pub)
{
    return pub->peer;
}

const struct tsn_bench_pub_counters *tsn_bench_pub_counters(const struct tsn_bench_pub *pub)
{
    return &pub->n;
}

/* ---- RTCP from the relay ---- */

static void on_nack_seq(void *user, uint16_t seq)
{
    struct tsn_bench_pub *pub = user;
    pub->n.nack_seqs++;
    size_t len = 0;
    uint32_t flags = 0;
    const uint8_t *pkt = tsn_rtx_cache_get(pub->ring, seq, &len, &flags);
    if (!pkt)
        return;
    /* Protect works in place: copy out of the ring so it keeps plaintext. */
    uint8_t buf[BUF_BYTES];
    memcpy(buf, pkt, len);
    if (tsn_bench_peer_send_rtp(pub->peer, buf, len, sizeof(buf)) == 0)
        pub->n.retransmitted++;
    else
        pub->n.send_errors++;
}

static void request_keyframe(struct tsn_bench_pub *pub)
{
    pub->gen.force_keyframe = 1;
}

static void on_rtcp(struct tsn_bench_pub *pub, const uint8_t *buf, size_t len)
{
    struct tsn_rtcp_iter it;
    struct tsn_rtcp_item item;
    pub->n.rtcp_in++;
    tsn_rtcp_iter_init(&it, buf, len);
    while (tsn_rtcp_iter_next(&it, &item) == 1) {
        if (item.type == TSN_RTCP_PSFB && item.fmt == TSN_RTCP_FMT_PLI) {
            pub->n.pli++;
            request_keyframe(pub);
        } else if (item.type == TSN_RTCP_PSFB && item.fmt == TSN_RTCP_FMT_FIR) {
            pub->n.fir++;
            request_keyframe(pub);
        } else if (item.type == TSN_RTCP_RTPFB && item.fmt == TSN_RTCP_FMT_NACK) {
            tsn_rtcp_nack_foreach(&item, on_nack_seq, pub);
        }
        /* RR, SDES, REMB, transport-cc: nothing an encoder here acts on. */
    }
}

void tsn_bench_pub_input(struct tsn_bench_pub *pub, uint8_t *buf, size_t len, int64_t now_us)
{
    enum tsn_bench_dgram kind = tsn_bench_peer_input(pub->peer, buf, &len, now_us);
    if (kind == TSN_BENCH_DGRAM_RTCP)
        on_rtcp(pub, buf, len);
}

/* ---- media ---- */

static void begin_frame(struct tsn_bench_pub *pub, int64_t now_us)
{
    /* A forced keyframe is deferred while one went out very recently, as an
     * encoder's keyframe rate limit would; the request stays pending. */
    int defer = pub->gen.force_keyframe && now_us - pub->last_keyframe_us < KEYFRAME_MIN_GAP_US;
    if (defer)
        pub->gen.force_keyframe = 0;
    int key = tsn_bench_h264_begin_frame(&pub->gen, tsn_bench_real_us());
    if (defer && !key)
        pub->gen.force_keyframe = 1;
    pub->n.frames++;
    if (key) {
        pub->n.keyframes++;
        pub->last_keyframe_us = now_us;
    }
    pub->frame_open = 1;
}

/* Sends the next packet of the open frame; closes the frame after its last. */
static void send_packet(struct tsn_bench_pub *pub)
{
    uint8_t buf[BUF_BYTES];
    /* Stamped just before protect + send: the relay-added latency then
     * starts at the socket, not at frame start. */
    int n = tsn_bench_h264_next_packet(&pub->gen, buf, sizeof(buf), tsn_bench_mono_us(),
                                       tsn_bench_real_us());
    if (n > 0) {
        uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
        struct tsn_rtp_hdr h;
        if (tsn_rtp_parse(buf, (size_t)n, &h) == 0)
            pub->n.octets_sent += h.payload_len;
        tsn_rtx_cache_put(pub->ring, seq, buf, (size_t)n, 0);
        if (tsn_bench_peer_send_rtp(pub->peer, buf, (size_t)n, sizeof(buf)) == 0)
            pub->n.packets_sent++;
        else
            pub->n.send_errors++;
    }
    if (n <= 0 || tsn_bench_h264_frame_done(&pub->gen))
        pub->frame_open = 0;
}

static void send_media(struct tsn_bench_pub *pub, int64_t now_us)
{
    if (!pub->frame_open && now_us >= pub->next_frame_us) {
        begin_frame(pub, now_us);
        pub->next_frame_us += pub->frame_interval_us;
        /* After a stall (a blocking call in the caller), restart the schedule
         * rather than bursting the missed frames. */
        if (now_us - pub->next_frame_us > 4 * pub->frame_interval_us)
            pub->next_frame_us = now_us + pub->frame_interval_us;
        if (pub->next_packet_us < now_us - pub->packet_interval_us)
            pub->next_packet_us = now_us; /* the pacer was idle: no credit */
    }
    if (!pub->cfg.paced) {
        while (pub->frame_open)
            send_packet(pub);
        return;
    }
    while (pub->frame_open && now_us >= pub->next_packet_us) {
        send_packet(pub);
        pub->next_packet_us += pub->packet_interval_us;
    }
}

static void send_sr(struct tsn_bench_pub *pub, int64_t now_us)
{
    uint8_t buf[256];
    int64_t media_us = now_us - pub->start_mono_us;
    struct tsn_rtcp_sender_info si = {
        .ssrc = pub->ssrc,
        .ntp = tsn_ntp_from_unix_us((uint64_t)tsn_bench_real_us()),
        .rtp_ts = pub->gen.cfg.first_timestamp + (uint32_t)(media_us * 9 / 100),
        .packet_count = (uint32_t)pub->n.packets_sent,
        .octet_count = (uint32_t)pub->n.octets_sent,
    };
    size_t n = tsn_rtcp_build_sr(buf, sizeof(buf) - TSN_SRTP_MAX_TRAILER, &si, NULL, 0);
    if (n == 0 || tsn_bench_peer_send_rtcp(pub->peer, buf, n, sizeof(buf)) < 0)
        pub->n.send_errors++;
}

void tsn_bench_pub_tick(struct tsn_bench_pub *pub, int64_t now_us)
{
    tsn_bench_peer_tick(pub->peer, now_us);
    if (tsn_bench_peer_state(pub->peer) != TSN_BENCH_PEER_CONNECTED)
        return;
    if (!pub->media_started) {
        pub->media_started = 1;
        pub->start_mono_us = now_us;
        pub->next_frame_us = now_us;
        pub->next_sr_us = now_us + SR_INTERVAL_US;
        pub->last_keyframe_us = now_us - KEYFRAME_MIN_GAP_US;
    }
    send_media(pub, now_us);
    if (now_us >= pub->next_sr_us) {
        send_sr(pub, now_us);
        pub->next_sr_us = now_us + SR_INTERVAL_US;
    }
}

int64_t tsn_bench_pub_next_due_us(const struct tsn_bench_pub *pub)
{
    if (!pub->media_started)
        return INT64_MAX;
    int64_t media_us = pub->frame_open ? pub->next_packet_us : pub->next_frame_us;
    return media_us < pub->next_sr_us ? media_us : pub->next_sr_us;
}
