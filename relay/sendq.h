/* A batch of outgoing datagrams for one UDP socket, flushed with sendmmsg.
 * Callers write a packet straight into the next slot (so SRTP protection
 * happens in place, without a copy), then commit it with its destination.
 * Fixed memory allocated once; no allocation per packet. Single-threaded. */
#ifndef TSN_SENDQ_H
#define TSN_SENDQ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "metrics.h"

#define TSN_SENDQ_SLOT_BYTES 1536

struct tsn_sendq;

struct tsn_sendq *tsn_sendq_new(int fd, unsigned slots, struct tsn_metrics *metrics);
void tsn_sendq_free(struct tsn_sendq *q);
/* The next free slot (TSN_SENDQ_SLOT_BYTES long); flushes first if full. */
uint8_t *tsn_sendq_slot(struct tsn_sendq *q);
/* Queues the slot returned by the last tsn_sendq_slot as `len` bytes to `to`. */
void tsn_sendq_commit(struct tsn_sendq *q, const struct sockaddr *to, socklen_t to_len,
                      size_t len);
/* Copies and queues a datagram. */
void tsn_sendq_push(struct tsn_sendq *q, const struct sockaddr *to, socklen_t to_len,
                    const uint8_t *buf, size_t len);
/* Sends everything queued. Datagrams the kernel refuses (buffer full) are
 * dropped and counted; the queue is empty afterwards. */
void tsn_sendq_flush(struct tsn_sendq *q);

#endif
