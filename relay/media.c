/* The media thread: socket setup, the epoll loop, command and event queues,
 * the peer table, and RFC 7983 demultiplexing of every datagram to ice.c
 * (STUN, DTLS) or room.c (SRTP, SRTCP). */
#include "media_ctx.h"

#include "log.h"
#include "rtp.h"
#include "stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define RECV_BATCH  64
#define RECV_ROUNDS 16 /* batches per wakeup before servicing timers and commands */
#define TICK_US     10000
#define SENDQ_SLOTS 512

uint64_t tsn_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct tsn_media *tsn_media_new(const struct tsn_config *cfg, struct tsn_metrics *metrics,
                                struct tsn_dtls_ctx *dtls_ctx, tsn_media_wake_fn wake,
                                void *wake_user)
{
    struct tsn_media *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cfg = cfg;
    m->metrics = metrics;
    m->dtls_ctx = dtls_ctx;
    m->wake = wake;
    m->wake_user = wake_user;
    m->fd = m->epfd = m->evfd = -1;
    pthread_mutex_init(&m->lock, NULL);
    m->peers = calloc(cfg->max_peers, sizeof *m->peers);
    m->by_addr = tsn_addr_map_new(cfg->max_peers);
    m->frames = tsn_frame_clock_new();
    if (!m->peers || !m->by_addr || !m->frames) {
        tsn_media_free(m);
        return NULL;
    }
    return m;
}

static int bind_socket(struct tsn_media *m)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, m->cfg->listen_host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(m->cfg->media_port);
        len = sizeof *in4;
    } else if (inet_pton(AF_INET6, m->cfg->listen_host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(m->cfg->media_port);
        len = sizeof *in6;
    } else {
        tsn_err("[media] listen host '%s' is not an IP address", m->cfg->listen_host);
        return -EINVAL;
    }
    m->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m->fd < 0)
        return -errno;
    int buf_bytes = 8 << 20;
    setsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &buf_bytes, sizeof buf_bytes);
    setsockopt(m->fd, SOL_SOCKET, SO_SNDBUF, &buf_bytes, sizeof buf_bytes);
    if (bind(m->fd, (struct sockaddr *)&ss, len) != 0) {
        int e = errno;
        tsn_err("[media] cannot bind UDP %s:%u: %s", m->cfg->listen_host, m->cfg->media_port,
                strerror(e));
        return -e;
    }
    return 0;
}

void tsn_media_post_event(struct tsn_media *m, enum tsn_media_event_type type, uint64_t peer_id,
                          const char *reason)
{
    pthread_mutex_lock(&m->lock);
    if (m->ev_count < TSN_MEDIA_MAX_EVENTS) {
        struct tsn_media_event *ev =
            &m->events[(m->ev_head + m->ev_count++) % TSN_MEDIA_MAX_EVENTS];
        ev->type = type;
        ev->peer_id = peer_id;
        snprintf(ev->reason, sizeof ev->reason, "%s", reason ? reason : "");
    } else {
        tsn_warn("[peer %llu] signalling event queue full: event dropped",
                 (unsigned long long)peer_id);
    }
    pthread_mutex_unlock(&m->lock);
    if (m->wake)
        m->wake(m->wake_user);
}

int tsn_media_pop_event(struct tsn_media *m, struct tsn_media_event *ev)
{
    int got = 0;
    pthread_mutex_lock(&m->lock);
    if (m->ev_count) {
        *ev = m->events[m->ev_head];
        m->ev_head = (m->ev_head + 1) % TSN_MEDIA_MAX_EVENTS;
        m->ev_count--;
        got = 1;
    }
    pthread_mutex_unlock(&m->lock);
    return got;
}

static int push_cmd(struct tsn_media *m, const struct tsn_media_cmd *cmd)
{
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    if (m->n_cmds < TSN_MEDIA_MAX_CMDS)
        m->cmds[m->n_cmds++] = *cmd;
    else
        rc = -EAGAIN;
    pthread_mutex_unlock(&m->lock);
    if (rc == 0 && m->evfd >= 0) {
        uint64_t one = 1;
        ssize_t w = write(m->evfd, &one, sizeof one);
        (void)w;
    }
    return rc;
}

int tsn_media_add_peer(struct tsn_media *m, struct tsn_peer *p)
{
    struct tsn_media_cmd cmd = {.type = CMD_ADD, .peer = p};
    int rc = push_cmd(m, &cmd);
    if (rc)
        tsn_peer_free(p);
    return rc;
}

int tsn_media_remove_peer(struct tsn_media *m, uint64_t peer_id)
{
    struct tsn_media_cmd cmd = {.type = CMD_REMOVE, .peer_id = peer_id};
    return push_cmd(m, &cmd);
}

void tsn_media_set_rec_ring(struct tsn_media *m, struct tsn_rec_ring *ring)
{
    m->rec_ring = ring;
}

int tsn_media_record(struct tsn_media *m, const char *room, uint32_t handle)
{
    struct tsn_media_cmd cmd = {.type = CMD_RECORD, .rec_handle = handle};
    snprintf(cmd.room, sizeof cmd.room, "%s", room);
    return push_cmd(m, &cmd);
}

void tsn_media_kill_peer(struct tsn_media *m, struct tsn_peer *p, const char *reason)
{
    if (p->state == TSN_PEER_DEAD)
        return;
    tsn_info("[room %u peer %llu] %s removed: %s", p->room_id, (unsigned long long)p->id,
             tsn_peer_kind_name(p->kind), reason);
    p->state = TSN_PEER_DEAD;
    tsn_media_post_event(m, TSN_MEDIA_EV_GONE, p->id, reason);
}

struct tsn_peer *tsn_media_find_ufrag(struct tsn_media *m, const uint8_t *ufrag, size_t len)
{
    for (size_t i = 0; i < m->n_peers; i++) {
        struct tsn_peer *p = m->peers[i];
        if (strlen(p->local_ufrag) == len && memcmp(p->local_ufrag, ufrag, len) == 0)
            return p;
    }
    return NULL;
}

int tsn_media_bind_addr(struct tsn_media *m, struct tsn_peer *p, const struct sockaddr *sa,
                        socklen_t len)
{
    struct tsn_peer *owner = tsn_addr_map_get(m->by_addr, sa);
    if (owner == p)
        return 0;
    if (owner) {
        /* A new session from an address a stale one still holds (a client that
         * restarted on the same port): the new, authenticated one wins. */
        tsn_addr_map_del(m->by_addr, sa);
        owner->addr_len = 0;
        tsn_media_kill_peer(m, owner, "address taken over by a new session");
    }
    if (p->addr_len)
        tsn_addr_map_del(m->by_addr, (struct sockaddr *)&p->addr);
    int rc = tsn_addr_map_put(m->by_addr, sa, p);
    if (rc == 0) {
        memcpy(&p->addr, sa, len);
        p->addr_len = len;
    }
    return rc;
}

static void add_peer(struct tsn_media *m, struct tsn_peer *p)
{
    if (m->n_peers >= m->cfg->max_peers) {
        tsn_warn("[peer %llu] refused: relay full (%u peers)", (unsigned long long)p->id,
                 m->cfg->max_peers);
        tsn_media_post_event(m, TSN_MEDIA_EV_GONE, p->id, "relay is full");
        tsn_peer_free(p);
        return;
    }
    p->created_us = p->last_consent_us = m->now_us;
    m->peers[m->n_peers++] = p;
    tsn_room_attach(m, p);
    tsn_debug("[room %u peer %llu] %s added", p->room_id, (unsigned long long)p->id,
              tsn_peer_kind_name(p->kind));
}

static void process_commands(struct tsn_media *m)
{
    struct tsn_media_cmd local[TSN_MEDIA_MAX_CMDS];
    unsigned n;
    uint64_t v;
    ssize_t r = read(m->evfd, &v, sizeof v);
    (void)r;
    pthread_mutex_lock(&m->lock);
    n = m->n_cmds;
    memcpy(local, m->cmds, n * sizeof local[0]);
    m->n_cmds = 0;
    pthread_mutex_unlock(&m->lock);
    for (unsigned i = 0; i < n; i++) {
        if (local[i].type == CMD_ADD) {
            add_peer(m, local[i].peer);
            continue;
        }
        if (local[i].type == CMD_RECORD) {
            tsn_room_set_recording(m, local[i].room, local[i].rec_handle);
            continue;
        }
        for (size_t j = 0; j < m->n_peers; j++)
            if (m->peers[j]->id == local[i].peer_id)
                tsn_media_kill_peer(m, m->peers[j], "session ended by signalling");
    }
}

/* Frees dead peers. Runs between datagrams, never while a room is iterated. */
static void reap_dead(struct tsn_media *m)
{
    for (size_t i = 0; i < m->n_peers;) {
        struct tsn_peer *p = m->peers[i];
        if (p->state != TSN_PEER_DEAD) {
            i++;
            continue;
        }
        if (p->addr_len && tsn_addr_map_get(m->by_addr, (struct sockaddr *)&p->addr) == p)
            tsn_addr_map_del(m->by_addr, (struct sockaddr *)&p->addr);
        if (m->sendq && p->dtls && tsn_dtls_state(p->dtls) == TSN_DTLS_CONNECTED && p->addr_len) {
            uint8_t out[1536];
            int n;
            tsn_dtls_close(p->dtls);
            while ((n = tsn_dtls_pop(p->dtls, out, sizeof out)) > 0)
                tsn_sendq_push(m->sendq, (struct sockaddr *)&p->addr, p->addr_len, out, (size_t)n);
        }
        tsn_room_detach(m, p);
        m->peers[i] = m->peers[--m->n_peers];
        tsn_peer_free(p);
    }
}

static void on_datagram(struct tsn_media *m, uint8_t *buf, size_t len, const struct sockaddr *from,
                        socklen_t from_len)
{
    struct tsn_peer *p = tsn_addr_map_get(m->by_addr, from);
    tsn_metric_add(&m->metrics->packets_in, 1);
    tsn_metric_add(&m->metrics->bytes_in, len);
    if (len == 0) {
        tsn_metric_drop(m->metrics, TSN_DROP_MALFORMED);
        return;
    }
    uint8_t b0 = buf[0];
    if (b0 <= 3) {
        if (tsn_stun_is_stun(buf, len))
            tsn_ice_on_stun(m, p, buf, len, from, from_len);
        else
            tsn_metric_drop(m->metrics, p ? TSN_DROP_MALFORMED : TSN_DROP_NOT_STUN);
        return;
    }
    if (!p || p->state == TSN_PEER_DEAD) {
        tsn_metric_drop(m->metrics, TSN_DROP_NOT_STUN);
        return;
    }
    if (b0 >= 20 && b0 <= 63) {
        tsn_ice_on_dtls(m, p, buf, len);
        return;
    }
    if (b0 < 128 || b0 > 191 || len < 12) {
        tsn_metric_drop(m->metrics, TSN_DROP_MALFORMED);
        return;
    }
    if (p->state != TSN_PEER_CONNECTED) {
        tsn_metric_drop(m->metrics, TSN_DROP_NOT_READY);
        return;
    }
    p->last_rx_us = m->now_us;
    size_t n = len;
    if (tsn_rtp_is_rtcp(buf, len)) {
        if (tsn_srtp_unprotect_rtcp(p->srtp, buf, &n) != 0) {
            tsn_metric_add(&m->metrics->srtp_failures, 1);
            tsn_metric_drop(m->metrics, TSN_DROP_SRTP);
            return;
        }
        p->last_consent_us = m->now_us; /* see below */
        tsn_room_on_rtcp(m, p, buf, n);
        return;
    }
    if (p->kind != TSN_PEER_PUBLISHER) {
        tsn_metric_drop(m->metrics, TSN_DROP_WRONG_DIRECTION);
        return;
    }
    if (tsn_srtp_unprotect(p->srtp, buf, &n) != 0) {
        tsn_metric_add(&m->metrics->srtp_failures, 1);
        tsn_metric_drop(m->metrics, TSN_DROP_SRTP);
        return;
    }
    /* Authenticated SRTP/SRTCP from the peer's own address proves it is
     * alive and holds the DTLS keys: it keeps consent like a STUN check.
     * libnice (webrtcbin: capture, view, WHIP/WHEP tools) sends only
     * binding indications after connecting, which prove nothing, so without
     * this its sessions were dropped every consent timeout (30 s). */
    p->last_consent_us = m->now_us;
    tsn_room_on_rtp(m, p, buf, n);
}

struct recv_batch {
    struct mmsghdr msgs[RECV_BATCH];
    struct iovec iov[RECV_BATCH];
    struct sockaddr_storage addrs[RECV_BATCH];
    uint8_t bufs[RECV_BATCH][TSN_SENDQ_SLOT_BYTES];
};

static void receive_all(struct tsn_media *m, struct recv_batch *b)
{
    for (int round = 0; round < RECV_ROUNDS; round++) {
        for (int i = 0; i < RECV_BATCH; i++) {
            b->iov[i].iov_base = b->bufs[i];
            b->iov[i].iov_len = sizeof b->bufs[i];
            b->msgs[i].msg_hdr = (struct msghdr){.msg_name = &b->addrs[i],
                                                 .msg_namelen = sizeof b->addrs[i],
                                                 .msg_iov = &b->iov[i],
                                                 .msg_iovlen = 1};
        }
        int n = recvmmsg(m->fd, b->msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        m->now_us = tsn_now_us();
        /* Flushing after each datagram sends a packet's whole fan-out before
         * the next packet is read: the first subscribers of a burst do not
         * wait for the whole batch. sendmmsg still batches the fan-out. */
        for (int i = 0; i < n; i++) {
            on_datagram(m, b->bufs[i], b->msgs[i].msg_len, (struct sockaddr *)&b->addrs[i],
                        b->msgs[i].msg_hdr.msg_namelen);
            tsn_sendq_flush(m->sendq);
        }
        if (n < RECV_BATCH)
            return;
    }
}

static void tick(struct tsn_media *m)
{
    for (size_t i = 0; i < m->n_peers; i++)
        tsn_ice_on_timer(m, m->peers[i]);
    for (struct tsn_media_room *r = m->rooms; r; r = r->next)
        tsn_room_on_timer(m, r);
}

static void *media_main(void *arg)
{
    struct tsn_media *m = arg;
    struct recv_batch *batch = malloc(sizeof *batch);
    if (!batch) {
        tsn_err("[media] out of memory");
        return NULL;
    }
    m->now_us = tsn_now_us();
    uint64_t next_tick = m->now_us + TICK_US;
    while (__atomic_load_n(&m->running, __ATOMIC_ACQUIRE)) {
        int timeout_ms = next_tick > m->now_us ? (int)((next_tick - m->now_us + 999) / 1000) : 0;
        struct epoll_event evs[4];
        int n = epoll_wait(m->epfd, evs, 4, timeout_ms);
        m->now_us = tsn_now_us();
        for (int i = 0; i < n; i++) {
            if (evs[i].data.fd == m->evfd)
                process_commands(m);
            else
                receive_all(m, batch);
        }
        if (m->now_us >= next_tick) {
            tick(m);
            next_tick = m->now_us + TICK_US;
        }
        reap_dead(m);
        tsn_sendq_flush(m->sendq);
    }
    free(batch);
    return NULL;
}

int tsn_media_start(struct tsn_media *m)
{
    int rc = bind_socket(m);
    if (rc)
        return rc;
    m->sendq = tsn_sendq_new(m->fd, SENDQ_SLOTS, m->metrics);
    m->epfd = epoll_create1(EPOLL_CLOEXEC);
    m->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!m->sendq || m->epfd < 0 || m->evfd < 0)
        return -ENOMEM;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = m->fd};
    epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->fd, &ev);
    ev.data.fd = m->evfd;
    epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->evfd, &ev);
    m->running = 1;
    if (pthread_create(&m->thread, NULL, media_main, m) != 0) {
        m->running = 0;
        return -EAGAIN;
    }
    m->started = 1;
    return 0;
}

void tsn_media_stop(struct tsn_media *m)
{
    if (!m)
        return;
    if (m->started) {
        __atomic_store_n(&m->running, 0, __ATOMIC_RELEASE);
        uint64_t one = 1;
        ssize_t w = write(m->evfd, &one, sizeof one);
        (void)w;
        pthread_join(m->thread, NULL);
        m->started = 0;
    }
    /* The thread is gone: free everything it owned, saying goodbye with DTLS
     * close_notify so clients notice at once. */
    for (size_t i = 0; i < m->n_peers; i++)
        m->peers[i]->state = TSN_PEER_DEAD;
    reap_dead(m);
    if (m->sendq)
        tsn_sendq_flush(m->sendq);
    pthread_mutex_lock(&m->lock);
    for (unsigned i = 0; i < m->n_cmds; i++)
        if (m->cmds[i].type == CMD_ADD)
            tsn_peer_free(m->cmds[i].peer);
    m->n_cmds = 0;
    pthread_mutex_unlock(&m->lock);
}

void tsn_media_free(struct tsn_media *m)
{
    if (!m)
        return;
    tsn_media_stop(m);
    tsn_sendq_free(m->sendq);
    tsn_addr_map_free(m->by_addr);
    tsn_frame_clock_free(m->frames);
    free(m->rec_rooms);
    free(m->peers);
    if (m->fd >= 0)
        close(m->fd);
    if (m->epfd >= 0)
        close(m->epfd);
    if (m->evfd >= 0)
        close(m->evfd);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

int tsn_media_current_frame(struct tsn_media *m, const char *room, struct tsn_frame_info *out)
{
    return tsn_frame_clock_get(m->frames, room, out);
}
