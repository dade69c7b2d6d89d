/* Test support for test_bench: a minimal ICE-lite + DTLS-SRTP server built
 * from the relay's own modules (SDP parser and answer builder, STUN, DTLS,
 * SRTP), one UDP socket on 127.0.0.1, and a pump that moves datagrams
 * between it and one benchmark client. It checks what it receives with
 * cmocka asserts, so it only links into cmocka tests. It does not forward
 * media between peers: a test plays the relay's part by hand. */
#ifndef TSN_BENCH_FAKE_RELAY_H
#define TSN_BENCH_FAKE_RELAY_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_peer.h"
#include "bench_pub.h"
#include "cert.h"
#include "dtls.h"
#include "sdp.h"
#include "srtp_session.h"

struct tsn_fake_relay {
    int fd;
    uint16_t port;
    struct sockaddr_in client;
    struct tsn_cert *cert;
    struct tsn_dtls_ctx *ctx;
    char fp[TSN_FINGERPRINT_LEN];
    const char *ufrag, *pwd;
    char client_ufrag[257], client_fp[200];
    struct tsn_dtls *dtls;
    struct tsn_srtp *srtp;
    unsigned stun_ok, use_candidate;
    int drop_seq; /* >= 0: discard this RTP sequence number once (a "loss") */
    unsigned rtp_in, stap_in, rtcp_in, rr_in, retransmit_in;
    int first_rtp_was_keyframe;
    uint16_t last_seq;
    int64_t first_rtp_us, rtp35_us; /* arrival of the 1st and 35th RTP packet */
};

/* The client side of the pump: a bare peer or a publisher. */
struct tsn_fake_client {
    struct tsn_bench_peer *peer;
    struct tsn_bench_pub *pub;
    unsigned rtp_in;
    uint8_t last_rtp[1600];
    size_t last_rtp_len;
};

struct tsn_fake_cert {
    struct tsn_cert *cert;
    struct tsn_dtls_ctx *ctx;
    char fp[TSN_FINGERPRINT_LEN];
};

/* The last offer tsn_fake_relay_answer parsed (the answer points into it). */
extern struct tsn_sdp tsn_fake_offer;

/* A client certificate and DTLS context; also runs tsn_srtp_global_init. */
void tsn_fake_cert_init(struct tsn_fake_cert *cc);
void tsn_fake_cert_free(struct tsn_fake_cert *cc);

void tsn_fake_relay_init(struct tsn_fake_relay *f);
void tsn_fake_relay_free(struct tsn_fake_relay *f);
/* Parses `offer` (asserting it is valid) and writes the relay's answer:
 * ICE-lite, passive, one candidate on the fake's port. */
void tsn_fake_relay_answer(struct tsn_fake_relay *f, const char *offer, char *out, size_t cap);
/* Sends raw bytes / protects and sends RTP or RTCP to the client's address. */
void tsn_fake_relay_sendto(struct tsn_fake_relay *f, const uint8_t *buf, size_t len);
void tsn_fake_relay_send_rtp(struct tsn_fake_relay *f, const uint8_t *plain, size_t len);
void tsn_fake_relay_send_rtcp(struct tsn_fake_relay *f, const uint8_t *plain, size_t len);

/* Moves datagrams both ways and runs the client's timers for `ms`, or until
 * both ends are connected when `until_connected`. */
void tsn_fake_pump(struct tsn_fake_relay *f, struct tsn_fake_client *c, int ms,
                   int until_connected);
/* Delivers what is in flight without running timers (no new frames). */
void tsn_fake_drain(struct tsn_fake_relay *f, struct tsn_fake_client *c);

#endif
