/* sendmmsg batching; see sendq.h. */
#include "sendq.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

struct tsn_sendq {
    int fd;
    unsigned cap, n;
    struct tsn_metrics *metrics; /* transfer none */
    uint8_t *bufs;               /* cap * TSN_SENDQ_SLOT_BYTES */
    struct sockaddr_storage *addrs;
    struct iovec *iov;
    struct mmsghdr *msgs;
};

struct tsn_sendq *tsn_sendq_new(int fd, unsigned slots, struct tsn_metrics *metrics)
{
    if (slots == 0) /* tsn_sendq_slot always hands out a slot */
        return NULL;
    struct tsn_sendq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->fd = fd;
    q->cap = slots;
    q->metrics = metrics;
    q->bufs = malloc((size_t)slots * TSN_SENDQ_SLOT_BYTES);
    q->addrs = calloc(slots, sizeof *q->addrs);
    q->iov = calloc(slots, sizeof *q->iov);
    q->msgs = calloc(slots, sizeof *q->msgs);
    if (!q->bufs || !q->addrs || !q->iov || !q->msgs) {
        tsn_sendq_free(q);
        return NULL;
    }
    for (unsigned i = 0; i < slots; i++) {
        q->iov[i].iov_base = q->bufs + (size_t)i * TSN_SENDQ_SLOT_BYTES;
        q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
        q->msgs[i].msg_hdr.msg_iovlen = 1;
        q->msgs[i].msg_hdr.msg_name = &q->addrs[i];
    }
    return q;
}

void tsn_sendq_free(struct tsn_sendq *q)
{
    if (!q)
        return;
    free(q->bufs);
    free(q->addrs);
    free(q->iov);
    free(q->msgs);
    free(q);
}

uint8_t *tsn_sendq_slot(struct tsn_sendq *q)
{
    if (q->n == q->cap)
        tsn_sendq_flush(q);
    return q->bufs + (size_t)q->n * TSN_SENDQ_SLOT_BYTES;
}

void tsn_sendq_commit(struct tsn_sendq *q, const struct sockaddr *to, socklen_t to_len,
                      size_t len)
{
    /* Callers get the slot from tsn_sendq_slot, which makes room first. */
    assert(q->n < q->cap && to_len <= sizeof q->addrs[0] && len <= TSN_SENDQ_SLOT_BYTES);
    unsigned i = q->n++;
    memcpy(&q->addrs[i], to, to_len);
    q->msgs[i].msg_hdr.msg_namelen = to_len;
    q->iov[i].iov_len = len;
}

void tsn_sendq_push(struct tsn_sendq *q, const struct sockaddr *to, socklen_t to_len,
                    const uint8_t *buf, size_t len)
{
    if (len > TSN_SENDQ_SLOT_BYTES)
        return;
    uint8_t *slot = tsn_sendq_slot(q);
    memcpy(slot, buf, len);
    tsn_sendq_commit(q, to, to_len, len);
}

void tsn_sendq_flush(struct tsn_sendq *q)
{
    unsigned off = 0;
    while (off < q->n) {
        int sent = sendmmsg(q->fd, q->msgs + off, q->n - off, MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            /* EAGAIN (buffer full) or a per-destination error: skip this one. */
            tsn_metric_drop(q->metrics, TSN_DROP_SEND_BUFFER);
            off++;
            continue;
        }
        for (int i = 0; i < sent; i++) {
            tsn_metric_add(&q->metrics->packets_out, 1);
            tsn_metric_add(&q->metrics->bytes_out, q->msgs[off + (unsigned)i].msg_len);
        }
        off += (unsigned)sent;
    }
    q->n = 0;
}
