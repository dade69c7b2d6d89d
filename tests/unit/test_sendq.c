/* Unit tests for relay/sendq.c over real UDP sockets on 127.0.0.1: datagrams
 * queued with push or slot+commit arrive only after a flush, in order, with
 * exact bytes, at their own destinations; a full queue flushes itself; a
 * datagram the kernel refuses is dropped and counted without losing the rest;
 * packets_out / bytes_out are counted. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"
#include "sendq.h"

struct fixture {
    int tx;                     /* the queue's socket */
    int rx[2];                  /* two receivers */
    struct sockaddr_in addr[2]; /* their addresses */
    struct tsn_metrics metrics;
};

static int bound_udp(struct sockaddr_in *out)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    int rcvbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (out) {
        socklen_t len = sizeof *out;
        assert_int_equal(getsockname(fd, (struct sockaddr *)out, &len), 0);
    }
    return fd;
}

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof f);
    f.tx = bound_udp(NULL);
    f.rx[0] = bound_udp(&f.addr[0]);
    f.rx[1] = bound_udp(&f.addr[1]);
    tsn_metrics_init(&f.metrics);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    close(f->tx);
    close(f->rx[0]);
    close(f->rx[1]);
    return 0;
}

/* Datagram i: its length and bytes depend on i. */
static size_t make(unsigned i, uint8_t *out)
{
    size_t len = 1 + (i * 97) % TSN_SENDQ_SLOT_BYTES;
    for (size_t k = 0; k < len; k++)
        out[k] = (uint8_t)(i * 7 + k * 3);
    return len;
}

/* Receives the next datagram on fd within 1 s and checks it is datagram i. */
static void expect_dgram(int fd, unsigned i)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 1000), 1);
    uint8_t got[TSN_SENDQ_SLOT_BYTES + 16], want[TSN_SENDQ_SLOT_BYTES];
    ssize_t n = recv(fd, got, sizeof got, MSG_DONTWAIT);
    size_t want_len = make(i, want);
    assert_int_equal(n, (ssize_t)want_len);
    assert_memory_equal(got, want, want_len);
}

static void expect_nothing(int fd)
{
    uint8_t b[16];
    assert_int_equal(recv(fd, b, sizeof b, MSG_DONTWAIT), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

#define DST(f, k) ((const struct sockaddr *)&(f)->addr[k]), (socklen_t)sizeof(f)->addr[k]

static void test_push_flush(void **state)
{
    struct fixture *f = *state;
    struct tsn_sendq *q = tsn_sendq_new(f->tx, 16, &f->metrics);
    assert_non_null(q);
    uint8_t buf[TSN_SENDQ_SLOT_BYTES];
    size_t total = 0;
    for (unsigned i = 0; i < 10; i++) {
        size_t len = make(i, buf);
        tsn_sendq_push(q, DST(f, 0), buf, len);
        total += len;
    }
    /* Queued, not sent. */
    expect_nothing(f->rx[0]);
    assert_int_equal(atomic_load(&f->metrics.packets_out), 0);
    tsn_sendq_flush(q);
    for (unsigned i = 0; i < 10; i++)
        expect_dgram(f->rx[0], i);
    expect_nothing(f->rx[0]);
    assert_int_equal(atomic_load(&f->metrics.packets_out), 10);
    assert_int_equal(atomic_load(&f->metrics.bytes_out), total);

    /* Flushing an empty queue sends nothing; the queue is reusable. */
    tsn_sendq_flush(q);
    expect_nothing(f->rx[0]);
    size_t len = make(99, buf);
    tsn_sendq_push(q, DST(f, 0), buf, len);
    tsn_sendq_flush(q);
    expect_dgram(f->rx[0], 99);
    assert_int_equal(atomic_load(&f->metrics.packets_out), 11);
    assert_int_equal(atomic_load(&f->metrics.bytes_out), total + len);
    tsn_sendq_free(q);
}

static void test_slot_commit(void **state)
{
    struct fixture *f = *state;
    struct tsn_sendq *q = tsn_sendq_new(f->tx, 8, &f->metrics);
    assert_non_null(q);
    /* Build datagrams in place, as SRTP protection does. */
    for (unsigned i = 20; i < 26; i++) {
        uint8_t *slot = tsn_sendq_slot(q);
        assert_non_null(slot);
        size_t len = make(i, slot);
        tsn_sendq_commit(q, DST(f, i % 2), len);
    }
    /* A slot asked for but not committed is not sent. */
    uint8_t *slot = tsn_sendq_slot(q);
    memset(slot, 0xEE, 64);
    tsn_sendq_flush(q);
    for (unsigned i = 20; i < 26; i++)
        expect_dgram(f->rx[i % 2], i);
    expect_nothing(f->rx[0]);
    expect_nothing(f->rx[1]);
    assert_int_equal(atomic_load(&f->metrics.packets_out), 6);
    /* A full-size slot is sent whole. */
    slot = tsn_sendq_slot(q);
    for (size_t k = 0; k < TSN_SENDQ_SLOT_BYTES; k++)
        slot[k] = (uint8_t)k;
    tsn_sendq_commit(q, DST(f, 1), TSN_SENDQ_SLOT_BYTES);
    tsn_sendq_flush(q);
    uint8_t got[TSN_SENDQ_SLOT_BYTES + 8];
    assert_int_equal(recv(f->rx[1], got, sizeof got, MSG_DONTWAIT), TSN_SENDQ_SLOT_BYTES);
    for (size_t k = 0; k < TSN_SENDQ_SLOT_BYTES; k++)
        assert_int_equal(got[k], (uint8_t)k);
    tsn_sendq_free(q);
}

static void test_auto_flush(void **state)
{
    struct fixture *f = *state;
    struct tsn_sendq *q = tsn_sendq_new(f->tx, 4, &f->metrics);
    assert_non_null(q);
    uint8_t buf[TSN_SENDQ_SLOT_BYTES];
    for (unsigned i = 0; i < 4; i++)
        tsn_sendq_push(q, DST(f, 0), buf, make(i, buf));
    expect_nothing(f->rx[0]); /* full, but nothing forced a flush yet */
    /* The fifth push finds the queue full: the first four go out first. */
    tsn_sendq_push(q, DST(f, 0), buf, make(4, buf));
    for (unsigned i = 0; i < 4; i++)
        expect_dgram(f->rx[0], i);
    expect_nothing(f->rx[0]);
    assert_int_equal(atomic_load(&f->metrics.packets_out), 4);
    /* Same through tsn_sendq_slot. */
    for (unsigned i = 5; i < 8; i++)
        tsn_sendq_push(q, DST(f, 0), buf, make(i, buf));
    uint8_t *slot = tsn_sendq_slot(q); /* queue holds 4 -> flush */
    for (unsigned i = 4; i < 8; i++)
        expect_dgram(f->rx[0], i);
    tsn_sendq_commit(q, DST(f, 0), make(8, slot));
    tsn_sendq_flush(q);
    expect_dgram(f->rx[0], 8);
    expect_nothing(f->rx[0]);
    assert_int_equal(atomic_load(&f->metrics.packets_out), 9);

    /* Many more than the queue holds: all arrive, in order. */
    for (unsigned i = 100; i < 150; i++)
        tsn_sendq_push(q, DST(f, 1), buf, make(i, buf));
    tsn_sendq_flush(q);
    for (unsigned i = 100; i < 150; i++)
        expect_dgram(f->rx[1], i);
    assert_int_equal(atomic_load(&f->metrics.packets_out), 59);
    assert_int_equal(atomic_load(&f->metrics.dropped[TSN_DROP_SEND_BUFFER]), 0);
    tsn_sendq_free(q);
}

static void test_oversize_push(void **state)
{
    struct fixture *f = *state;
    struct tsn_sendq *q = tsn_sendq_new(f->tx, 4, &f->metrics);
    assert_non_null(q);
    uint8_t big[TSN_SENDQ_SLOT_BYTES + 1];
    memset(big, 1, sizeof big);
    tsn_sendq_push(q, DST(f, 0), big, sizeof big); /* does not fit a slot: ignored */
    uint8_t buf[TSN_SENDQ_SLOT_BYTES];
    tsn_sendq_push(q, DST(f, 0), buf, make(3, buf));
    tsn_sendq_flush(q);
    expect_dgram(f->rx[0], 3);
    expect_nothing(f->rx[0]);
    assert_int_equal(atomic_load(&f->metrics.packets_out), 1);
    tsn_sendq_free(q);
}

/* A datagram the kernel refuses (here an IPv6 destination on an IPv4 socket)
 * is dropped and counted; the ones before and after it still go out. */
static void test_refused_datagram(void **state)
{
    struct fixture *f = *state;
    struct tsn_sendq *q = tsn_sendq_new(f->tx, 8, &f->metrics);
    assert_non_null(q);
    struct sockaddr_in6 v6;
    memset(&v6, 0, sizeof v6);
    v6.sin6_family = AF_INET6;
    v6.sin6_addr = in6addr_loopback;
    v6.sin6_port = f->addr[0].sin_port;
    uint8_t buf[TSN_SENDQ_SLOT_BYTES];
    tsn_sendq_push(q, DST(f, 0), buf, make(1, buf));
    tsn_sendq_push(q, (const struct sockaddr *)&v6, sizeof v6, buf, make(2, buf));
    tsn_sendq_push(q, (const struct sockaddr *)&v6, sizeof v6, buf, make(3, buf));
    tsn_sendq_push(q, DST(f, 0), buf, make(4, buf));
    tsn_sendq_flush(q);
    expect_dgram(f->rx[0], 1);
    expect_dgram(f->rx[0], 4);
    expect_nothing(f->rx[0]);
    assert_int_equal(atomic_load(&f->metrics.packets_out), 2);
    assert_int_equal(atomic_load(&f->metrics.bytes_out), make(1, buf) + make(4, buf));
    assert_int_equal(atomic_load(&f->metrics.dropped[TSN_DROP_SEND_BUFFER]), 2);
    /* The queue is empty afterwards. */
    tsn_sendq_flush(q);
    expect_nothing(f->rx[0]);
    assert_int_equal(atomic_load(&f->metrics.dropped[TSN_DROP_SEND_BUFFER]), 2);
    tsn_sendq_free(q);
}

static void test_new_free(void **state)
{
    struct fixture *f = *state;
    /* A queue of no slots could never hold the slot it hands out. */
    assert_null(tsn_sendq_new(f->tx, 0, &f->metrics));
    struct tsn_sendq *q = tsn_sendq_new(f->tx, 1, &f->metrics);
    assert_non_null(q);
    uint8_t buf[TSN_SENDQ_SLOT_BYTES];
    tsn_sendq_push(q, DST(f, 0), buf, make(5, buf));
    tsn_sendq_push(q, DST(f, 0), buf, make(6, buf)); /* flushes the first */
    expect_dgram(f->rx[0], 5);
    tsn_sendq_flush(q);
    expect_dgram(f->rx[0], 6);
    tsn_sendq_free(q);
    tsn_sendq_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_push_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slot_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auto_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversize_push, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_datagram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_free, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
