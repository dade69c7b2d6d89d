/* Lossy UDP proxy (see udp_proxy.h). The thread owns the socket and the
 * client address; the counters are shared with readers under `lock`. */
#include "udp_proxy.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#define POLL_INTERVAL_MS   50
#define MAX_DATAGRAM_BYTES 65536

struct tsn_udp_proxy {
    int fd;
    uint16_t port;
    struct sockaddr_in relay;
    unsigned drop_percent;
    uint32_t rng; /* xorshift32 state; proxy thread only */
    pthread_t thread;
    atomic_int stop;
    pthread_mutex_t lock; /* protects `stats` */
    struct tsn_udp_proxy_stats stats;
};

int tsn_udp_proxy_is_rtp(const uint8_t *buf, size_t len)
{
    if (len < 12 || buf[0] < 128 || buf[0] > 191)
        return 0;
    /* RFC 5761: payload types 64..95 (marker bit ignored) are RTCP packet types 192..223. */
    unsigned pt = buf[1] & 0x7f;
    return !(pt >= 64 && pt <= 95);
}

static uint32_t next_random(struct tsn_udp_proxy *p)
{
    uint32_t x = p->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    p->rng = x;
    return x;
}

static int same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
}

/* Moves one datagram: 1 moved (or dropped), 0 nothing to read, -1 the socket
 * failed for good. */
static int relay_one(struct tsn_udp_proxy *p, uint8_t *buf, struct sockaddr_in *client,
                     int *have_client)
{
    struct sockaddr_in from;
    socklen_t from_len = sizeof(from);
    ssize_t n =
        recvfrom(p->fd, buf, MAX_DATAGRAM_BYTES, MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
    if (n < 0 && (errno == EINTR || errno == ECONNREFUSED))
        return 1; /* ECONNREFUSED: an ICMP error from an earlier send; go on */
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    if (same_addr(&from, &p->relay)) {
        if (!*have_client)
            return 1; /* nobody to deliver to yet */
        int drop = 0;
        int media = tsn_udp_proxy_is_rtp(buf, (size_t)n);
        if (media)
            drop = next_random(p) % 100 < p->drop_percent;
        pthread_mutex_lock(&p->lock);
        p->stats.media_seen += media;
        p->stats.dropped += drop;
        p->stats.to_client += !drop;
        pthread_mutex_unlock(&p->lock);
        if (!drop)
            sendto(p->fd, buf, (size_t)n, 0, (struct sockaddr *)client, sizeof(*client));
        return 1;
    }
    *client = from;
    *have_client = 1;
    pthread_mutex_lock(&p->lock);
    p->stats.to_relay++;
    pthread_mutex_unlock(&p->lock);
    sendto(p->fd, buf, (size_t)n, 0, (struct sockaddr *)&p->relay, sizeof(p->relay));
    return 1;
}

static void *proxy_thread(void *arg)
{
    struct tsn_udp_proxy *p = arg;
    uint8_t *buf = malloc(MAX_DATAGRAM_BYTES);
    struct sockaddr_in client;
    int have_client = 0;
    if (!buf)
        return NULL;
    while (!atomic_load(&p->stop)) {
        struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
        int ready = poll(&pfd, 1, POLL_INTERVAL_MS);
        if (ready < 0 && errno != EINTR)
            break;
        int moved = ready > 0;
        while (moved > 0 && !atomic_load(&p->stop))
            moved = relay_one(p, buf, &client, &have_client);
        if (moved < 0) {
            perror("udp proxy");
            break;
        }
    }
    free(buf);
    return NULL;
}

struct tsn_udp_proxy *tsn_udp_proxy_new(uint16_t relay_port, unsigned drop_percent, uint32_t seed)
{
    if (drop_percent > 100 || relay_port == 0)
        return NULL;
    struct tsn_udp_proxy *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->drop_percent = drop_percent;
    p->rng = seed ? seed : 0x9e3779b9u;
    p->relay.sin_family = AF_INET;
    p->relay.sin_port = htons(relay_port);
    p->relay.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    pthread_mutex_init(&p->lock, NULL);
    atomic_init(&p->stop, 0);

    struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t local_len = sizeof(local);
    p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (p->fd < 0)
        goto fail_free;
    int rcvbuf_bytes = 4 * 1024 * 1024;
    setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof(rcvbuf_bytes));
    if (bind(p->fd, (struct sockaddr *)&local, sizeof(local)) < 0 ||
        getsockname(p->fd, (struct sockaddr *)&local, &local_len) < 0)
        goto fail_close;
    p->port = ntohs(local.sin_port);
    if (pthread_create(&p->thread, NULL, proxy_thread, p) != 0)
        goto fail_close;
    return p;

fail_close:
    close(p->fd);
fail_free:
    pthread_mutex_destroy(&p->lock);
    free(p);
    return NULL;
}

void tsn_udp_proxy_free(struct tsn_udp_proxy *p)
{
    if (!p)
        return;
    atomic_store(&p->stop, 1);
    pthread_join(p->thread, NULL);
    close(p->fd);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

uint16_t tsn_udp_proxy_port(const struct tsn_udp_proxy *p)
{
    return p->port;
}

void tsn_udp_proxy_get_stats(struct tsn_udp_proxy *p, struct tsn_udp_proxy_stats *out)
{
    pthread_mutex_lock(&p->lock);
    *out = p->stats;
    pthread_mutex_unlock(&p->lock);
}
