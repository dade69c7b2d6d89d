/* One lightweight WebRTC endpoint for the load benchmark: its own UDP socket
 * on 127.0.0.1, a hand-built offer (recvonly subscriber or sendonly H.264
 * publisher), the answer applied with tsn_sdp_parse, ICE as a controlling
 * full agent towards an ICE-lite server (binding requests with USE-CANDIDATE
 * until a success, then consent keepalives), DTLS-SRTP through tsn_dtls, and
 * SRTP through tsn_srtp. It moves datagrams for one peer; the caller's event
 * loop owns the socket readiness, reads datagrams (with recvmmsg) and hands
 * them in. No threads; a peer belongs to one loop. It does not do trickle,
 * TURN or more than one m-section. */
#ifndef TSN_BENCH_PEER_H
#define TSN_BENCH_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "dtls.h"

enum tsn_bench_peer_state {
    TSN_BENCH_PEER_NEW = 0,   /* created; the offer can be built */
    TSN_BENCH_PEER_ICE,       /* answer applied; binding requests going out */
    TSN_BENCH_PEER_DTLS,      /* ICE succeeded; DTLS handshake running */
    TSN_BENCH_PEER_CONNECTED, /* SRTP keys installed: media flows */
    TSN_BENCH_PEER_FAILED,    /* see tsn_bench_peer_error */
    TSN_BENCH_PEER_CLOSED,    /* close_notify sent or received */
};

/* What tsn_bench_peer_input left in the buffer. */
enum tsn_bench_dgram {
    TSN_BENCH_DGRAM_NONE = 0, /* consumed (STUN, DTLS) or dropped (counted) */
    TSN_BENCH_DGRAM_RTP,      /* plaintext RTP */
    TSN_BENCH_DGRAM_RTCP,     /* plaintext RTCP (compound) */
};

struct tsn_bench_peer_config {
    struct tsn_dtls_ctx *dtls_ctx; /* transfer none: must outlive the peer */
    const char *local_fingerprint; /* SHA-256 of the ctx's certificate; copied */
    int sendonly;                  /* 1: publisher offer, 0: recvonly subscriber */
    uint32_t ssrc;                 /* publisher: media SSRC; subscriber: RTCP sender SSRC */
    uint8_t payload_type;          /* H.264 payload type offered, e.g. 102 */
    uint8_t ext_abs_send_time;     /* extmap ids offered, 0 = none */
    uint8_t ext_abs_capture_time;
    int rcvbuf_bytes;             /* SO_RCVBUF(FORCE) request, 0 = kernel default */
    int64_t handshake_timeout_us; /* ICE + DTLS, from tsn_bench_peer_set_answer */
};

/* Counters; read them any time. */
struct tsn_bench_peer_counters {
    uint64_t stun_requests_sent;
    uint64_t stun_responses; /* matching, integrity-checked success responses */
    uint64_t stun_bad;       /* unparseable, unmatched or failing integrity */
    uint64_t dtls_datagrams_in;
    uint64_t srtp_auth_fail; /* -EACCES from unprotect */
    uint64_t srtp_replay;    /* -EALREADY from unprotect */
    uint64_t srtp_other_fail;
    uint64_t dropped_early; /* RTP/RTCP before the keys, or unknown first byte */
    uint64_t send_errors;
};

struct tsn_bench_peer;

/* Opens the socket (bound to 127.0.0.1, an ephemeral port, non-blocking,
 * receive timestamps and drop counters on). NULL on failure with a reason in
 * `why`. */
struct tsn_bench_peer *tsn_bench_peer_new(const struct tsn_bench_peer_config *cfg, char *why,
                                          size_t why_len);
/* Closes the socket and frees everything. NULL is a no-op. */
void tsn_bench_peer_free(struct tsn_bench_peer *p);

int tsn_bench_peer_fd(const struct tsn_bench_peer *p);
uint16_t tsn_bench_peer_local_port(const struct tsn_bench_peer *p);

/* Writes the SDP offer (CRLF, NUL-terminated). Returns its length or
 * -ENOSPC. */
int tsn_bench_peer_build_offer(const struct tsn_bench_peer *p, char *out, size_t cap);

/* Parses the answer, takes the relay's ICE credentials, fingerprint, DTLS
 * role and first UDP host candidate, connects the socket to it and sends the
 * first binding request. 0, or -EBADMSG / -EPROTO with a reason in `why`
 * (the peer is then FAILED). */
int tsn_bench_peer_set_answer(struct tsn_bench_peer *p, const char *sdp, size_t len, int64_t now_us,
                              char *why, size_t why_len);

/* Hands one received datagram in. STUN and DTLS are consumed (replies are
 * sent from here); SRTP and SRTCP are decrypted in place (`*len` shrinks) and
 * reported as RTP / RTCP. */
enum tsn_bench_dgram tsn_bench_peer_input(struct tsn_bench_peer *p, uint8_t *buf, size_t *len,
                                          int64_t now_us);

/* Retransmissions, DTLS timers, handshake timeout and consent keepalives.
 * Call every few milliseconds. */
void tsn_bench_peer_tick(struct tsn_bench_peer *p, int64_t now_us);

/* Protects the plaintext packet in place and sends it. `cap` must leave
 * TSN_SRTP_MAX_TRAILER bytes. 0, -ENOTCONN before CONNECTED, or a negative
 * errno from protect or send. */
int tsn_bench_peer_send_rtp(struct tsn_bench_peer *p, uint8_t *buf, size_t len, size_t cap);
int tsn_bench_peer_send_rtcp(struct tsn_bench_peer *p, uint8_t *buf, size_t len, size_t cap);

/* Sends a DTLS close_notify (when connected) and moves to CLOSED. */
void tsn_bench_peer_close(struct tsn_bench_peer *p);

enum tsn_bench_peer_state tsn_bench_peer_state(const struct tsn_bench_peer *p);
/* Why the peer failed (a static or peer-owned string), "" if it has not. */
const char *tsn_bench_peer_error(const struct tsn_bench_peer *p);
/* CLOCK_MONOTONIC microseconds when it became CONNECTED, or 0. */
int64_t tsn_bench_peer_connected_us(const struct tsn_bench_peer *p);
const struct tsn_bench_peer_counters *tsn_bench_peer_counters(const struct tsn_bench_peer *p);
/* From the answer: the payload type of the accepted codec (-1 before), and
 * the relay's SSRC if it listed one (0 otherwise). */
int tsn_bench_peer_answer_pt(const struct tsn_bench_peer *p);
uint32_t tsn_bench_peer_answer_ssrc(const struct tsn_bench_peer *p);
/* The negotiated SRTP profile name, or "" before CONNECTED. */
const char *tsn_bench_peer_srtp_profile(const struct tsn_bench_peer *p);

#endif
