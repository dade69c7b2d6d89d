/* A lossy UDP proxy on 127.0.0.1 for the NACK test: one socket, one thread.
 * Datagrams from the relay's address go to the client (the last address that
 * sent anything else), and a chosen percentage of the SRTP media among them
 * (RFC 7983 first byte 128..191 and not RTCP) is dropped; STUN, DTLS and RTCP
 * always pass. Datagrams from the client go to the relay untouched, from the
 * proxy's own socket, so the relay only ever sees the proxy's address. */
#ifndef TSN_UDP_PROXY_H
#define TSN_UDP_PROXY_H

#include <stddef.h>
#include <stdint.h>

struct tsn_udp_proxy;

struct tsn_udp_proxy_stats {
    uint64_t to_client;  /* forwarded relay -> client */
    uint64_t dropped;    /* SRTP packets dropped relay -> client */
    uint64_t to_relay;   /* forwarded client -> relay */
    uint64_t media_seen; /* SRTP packets seen relay -> client (dropped or not) */
};

/* Binds 127.0.0.1:0 and starts the thread. `relay_port` is the relay's media
 * port on 127.0.0.1; 0 <= drop_percent <= 100. The drop decisions come from a
 * PRNG seeded with `seed`, so a run is reproducible. NULL on error. */
struct tsn_udp_proxy *tsn_udp_proxy_new(uint16_t relay_port, unsigned drop_percent, uint32_t seed);

/* Stops the thread and closes the socket. NULL is a no-op. */
void tsn_udp_proxy_free(struct tsn_udp_proxy *p);

/* The port clients should send to (on 127.0.0.1). */
uint16_t tsn_udp_proxy_port(const struct tsn_udp_proxy *p);

/* A consistent snapshot of the counters (safe from any thread). */
void tsn_udp_proxy_get_stats(struct tsn_udp_proxy *p, struct tsn_udp_proxy_stats *out);

/* 1 if `buf` is an RTP (not RTCP) packet by RFC 7983 / RFC 5761 rules. */
int tsn_udp_proxy_is_rtp(const uint8_t *buf, size_t len);

#endif
