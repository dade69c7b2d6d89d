/* The load benchmark's built-in WHIP publisher: one tsn_bench_peer offering
 * sendonly H.264, fed by the synthetic stamped source of bench_h264.h at a
 * fixed frame rate. It answers the relay's RTCP like an encoder would: PLI and
 * FIR make the next frame a keyframe, generic NACKs are answered from a ring
 * of recent packets (tsn_rtx_cache), and it sends a sender report every
 * second. Signalling (the WHIP POST) is the caller's: it builds the offer and
 * applies the answer through the peer. Single-threaded, one event loop. */
#ifndef TSN_BENCH_PUB_H
#define TSN_BENCH_PUB_H

#include <stddef.h>
#include <stdint.h>

#include "bench_peer.h"

struct tsn_bench_pub_config {
    struct tsn_dtls_ctx *dtls_ctx; /* transfer none: outlives the publisher */
    const char *local_fingerprint;
    unsigned bitrate_kbps;
    unsigned fps;
    unsigned keyint_frames;
    size_t packet_bytes; /* plaintext RTP packet size, e.g. 1200 */
    /* 0: each frame's packets back to back (as GStreamer sends them);
     * 1: spaced at 2.5x the bitrate (as libwebrtc's pacer sends them). */
    int paced;
    int64_t handshake_timeout_us;
};

struct tsn_bench_pub_counters {
    uint64_t packets_sent; /* original packets, not retransmissions */
    uint64_t octets_sent;  /* RTP payload octets of those (as SR counts them) */
    uint64_t frames;
    uint64_t keyframes;
    uint64_t pli;           /* PLI items received */
    uint64_t fir;           /* FIR items received */
    uint64_t nack_seqs;     /* sequence numbers NACKed */
    uint64_t retransmitted; /* of those, resent from the ring */
    uint64_t rtcp_in;       /* SRTCP packets received and decrypted */
    uint64_t send_errors;
};

struct tsn_bench_pub;

/* NULL on failure with a reason in `why`. */
struct tsn_bench_pub *tsn_bench_pub_new(const struct tsn_bench_pub_config *cfg, char *why,
                                        size_t why_len);
void tsn_bench_pub_free(struct tsn_bench_pub *pub);

/* The transport, for offer / answer / fd / state (transfer none). */
struct tsn_bench_peer *tsn_bench_pub_peer(struct tsn_bench_pub *pub);

/* Hands in one datagram received on the peer's socket. */
void tsn_bench_pub_input(struct tsn_bench_pub *pub, uint8_t *buf, size_t len, int64_t now_us);

/* Peer timers, and once connected: the frames that are due (never a burst of
 * catch-up frames after a stall: the schedule restarts) and the SR. */
void tsn_bench_pub_tick(struct tsn_bench_pub *pub, int64_t now_us);

/* When tsn_bench_pub_tick next has work for a frame, a paced packet or the
 * SR (CLOCK_MONOTONIC us), or INT64_MAX before media starts. */
int64_t tsn_bench_pub_next_due_us(const struct tsn_bench_pub *pub);

const struct tsn_bench_pub_counters *tsn_bench_pub_counters(const struct tsn_bench_pub *pub);

#endif
