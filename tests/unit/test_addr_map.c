/* Unit tests for relay/addr_map.c: put/get/del for IPv4 and IPv6 keys, the
 * port and family being part of the key, -EEXIST, -ENOSPC at max_entries,
 * -EAFNOSUPPORT, and backward-shift deletion under heavy collisions checked
 * against a plain reference array. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <cmocka.h>

#include "addr_map.h"

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    return a;
}

static struct sockaddr_in6 v6(const char *ip, uint16_t port)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    assert_int_equal(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
    return a;
}

#define SA(x) ((const struct sockaddr *)&(x))

/* Distinct values to store: addresses of the elements of this array. */
static int vals[4096];

static void test_ipv4(void **state)
{
    struct tsn_addr_map *m = tsn_addr_map_new(8);
    assert_non_null(m);
    struct sockaddr_in a = v4("192.0.2.1", 5000), b = v4("192.0.2.1", 5001),
                       c = v4("192.0.2.2", 5000);
    assert_int_equal(tsn_addr_map_count(m), 0);
    assert_null(tsn_addr_map_get(m, SA(a)));

    assert_int_equal(tsn_addr_map_put(m, SA(a), &vals[0]), 0);
    assert_int_equal(tsn_addr_map_put(m, SA(b), &vals[1]), 0); /* same IP, other port */
    assert_int_equal(tsn_addr_map_put(m, SA(c), &vals[2]), 0); /* same port, other IP */
    assert_int_equal(tsn_addr_map_count(m), 3);
    assert_ptr_equal(tsn_addr_map_get(m, SA(a)), &vals[0]);
    assert_ptr_equal(tsn_addr_map_get(m, SA(b)), &vals[1]);
    assert_ptr_equal(tsn_addr_map_get(m, SA(c)), &vals[2]);

    /* A taken address stays with its first owner. */
    assert_int_equal(tsn_addr_map_put(m, SA(a), &vals[3]), -EEXIST);
    assert_ptr_equal(tsn_addr_map_get(m, SA(a)), &vals[0]);
    assert_int_equal(tsn_addr_map_count(m), 3);

    /* Fields outside family/port/address (sin_zero) are not part of the key. */
    struct sockaddr_in a2 = a;
    memset(a2.sin_zero, 0xAB, sizeof a2.sin_zero);
    assert_ptr_equal(tsn_addr_map_get(m, SA(a2)), &vals[0]);

    tsn_addr_map_del(m, SA(b));
    assert_null(tsn_addr_map_get(m, SA(b)));
    assert_ptr_equal(tsn_addr_map_get(m, SA(a)), &vals[0]);
    assert_ptr_equal(tsn_addr_map_get(m, SA(c)), &vals[2]);
    assert_int_equal(tsn_addr_map_count(m), 2);

    /* Deleting an absent key is a no-op; the address can be taken again. */
    tsn_addr_map_del(m, SA(b));
    assert_int_equal(tsn_addr_map_count(m), 2);
    assert_int_equal(tsn_addr_map_put(m, SA(b), &vals[4]), 0);
    assert_ptr_equal(tsn_addr_map_get(m, SA(b)), &vals[4]);
    tsn_addr_map_free(m);
}

static void test_ipv6(void **state)
{
    struct tsn_addr_map *m = tsn_addr_map_new(8);
    assert_non_null(m);
    struct sockaddr_in6 a = v6("2001:db8::1", 443), b = v6("2001:db8::1", 444),
                        c = v6("2001:db8::2", 443), lo = v6("::1", 443);
    assert_int_equal(tsn_addr_map_put(m, SA(a), &vals[0]), 0);
    assert_int_equal(tsn_addr_map_put(m, SA(b), &vals[1]), 0);
    assert_int_equal(tsn_addr_map_put(m, SA(c), &vals[2]), 0);
    assert_int_equal(tsn_addr_map_put(m, SA(lo), &vals[3]), 0);
    assert_int_equal(tsn_addr_map_put(m, SA(c), &vals[4]), -EEXIST);
    assert_ptr_equal(tsn_addr_map_get(m, SA(a)), &vals[0]);
    assert_ptr_equal(tsn_addr_map_get(m, SA(b)), &vals[1]);
    assert_ptr_equal(tsn_addr_map_get(m, SA(c)), &vals[2]);
    assert_ptr_equal(tsn_addr_map_get(m, SA(lo)), &vals[3]);

    /* Flow info and scope id are not part of the key. */
    struct sockaddr_in6 a2 = a;
    a2.sin6_flowinfo = htonl(1234);
    a2.sin6_scope_id = 0;
    assert_ptr_equal(tsn_addr_map_get(m, SA(a2)), &vals[0]);

    tsn_addr_map_del(m, SA(a));
    assert_null(tsn_addr_map_get(m, SA(a)));
    assert_ptr_equal(tsn_addr_map_get(m, SA(b)), &vals[1]);
    assert_int_equal(tsn_addr_map_count(m), 3);
    tsn_addr_map_free(m);
}

/* 127.0.0.1:9 and ::ffff:127.0.0.1:9 are different sockets' views: the family
 * is part of the key, so neither finds the other. */
static void test_families_distinct(void **state)
{
    struct tsn_addr_map *m = tsn_addr_map_new(4);
    assert_non_null(m);
    struct sockaddr_in a = v4("127.0.0.1", 9);
    struct sockaddr_in6 b = v6("::ffff:127.0.0.1", 9);
    struct sockaddr_in6 zero6 = v6("::", 9);
    struct sockaddr_in zero4 = v4("0.0.0.0", 9);
    assert_int_equal(tsn_addr_map_put(m, SA(a), &vals[0]), 0);
    assert_null(tsn_addr_map_get(m, SA(b)));
    assert_int_equal(tsn_addr_map_put(m, SA(b), &vals[1]), 0);
    assert_ptr_equal(tsn_addr_map_get(m, SA(a)), &vals[0]);
    assert_ptr_equal(tsn_addr_map_get(m, SA(b)), &vals[1]);
    /* All-zero addresses of each family are distinct too. */
    assert_int_equal(tsn_addr_map_put(m, SA(zero4), &vals[2]), 0);
    assert_int_equal(tsn_addr_map_put(m, SA(zero6), &vals[3]), 0);
    assert_ptr_equal(tsn_addr_map_get(m, SA(zero4)), &vals[2]);
    assert_ptr_equal(tsn_addr_map_get(m, SA(zero6)), &vals[3]);
    tsn_addr_map_free(m);
}

static void test_full(void **state)
{
    enum { MAX = 5 };
    struct tsn_addr_map *m = tsn_addr_map_new(MAX);
    assert_non_null(m);
    struct sockaddr_in a[MAX + 1];
    for (int i = 0; i <= MAX; i++)
        a[i] = v4("10.0.0.1", (uint16_t)(40000 + i));
    for (int i = 0; i < MAX; i++)
        assert_int_equal(tsn_addr_map_put(m, SA(a[i]), &vals[i]), 0);
    assert_int_equal(tsn_addr_map_count(m), MAX);
    assert_int_equal(tsn_addr_map_put(m, SA(a[MAX]), &vals[MAX]), -ENOSPC);
    /* A present key is still reported as taken, not as "full". */
    assert_int_equal(tsn_addr_map_put(m, SA(a[0]), &vals[0]), -EEXIST);
    assert_null(tsn_addr_map_get(m, SA(a[MAX])));
    assert_int_equal(tsn_addr_map_count(m), MAX);
    /* Freeing one entry makes room for exactly one more. */
    tsn_addr_map_del(m, SA(a[2]));
    assert_int_equal(tsn_addr_map_put(m, SA(a[MAX]), &vals[MAX]), 0);
    assert_int_equal(tsn_addr_map_put(m, SA(a[2]), &vals[2]), -ENOSPC);
    for (int i = 0; i <= MAX; i++)
        assert_ptr_equal(tsn_addr_map_get(m, SA(a[i])), i == 2 ? NULL : &vals[i]);
    tsn_addr_map_free(m);

    /* max_entries 0: nothing fits, nothing crashes. */
    m = tsn_addr_map_new(0);
    assert_non_null(m);
    assert_int_equal(tsn_addr_map_put(m, SA(a[0]), &vals[0]), -ENOSPC);
    assert_null(tsn_addr_map_get(m, SA(a[0])));
    tsn_addr_map_del(m, SA(a[0]));
    assert_int_equal(tsn_addr_map_count(m), 0);
    tsn_addr_map_free(m);
}

static void test_unsupported_family(void **state)
{
    struct tsn_addr_map *m = tsn_addr_map_new(4);
    assert_non_null(m);
    struct sockaddr_un un;
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    strcpy(un.sun_path, "/tmp/x");
    assert_int_equal(tsn_addr_map_put(m, SA(un), &vals[0]), -EAFNOSUPPORT);
    assert_null(tsn_addr_map_get(m, SA(un)));
    tsn_addr_map_del(m, SA(un));
    assert_int_equal(tsn_addr_map_count(m), 0);
    struct sockaddr_storage unspec;
    memset(&unspec, 0, sizeof unspec); /* AF_UNSPEC */
    assert_int_equal(tsn_addr_map_put(m, SA(unspec), &vals[0]), -EAFNOSUPPORT);
    tsn_addr_map_free(m);
    tsn_addr_map_free(NULL);
}

/* Absurd sizes fail cleanly instead of overflowing the capacity computation
 * (which used to double a size_t until it wrapped to 0 and spin forever). */
static void test_absurd_size(void **state)
{
    assert_null(tsn_addr_map_new(SIZE_MAX));
    assert_null(tsn_addr_map_new(SIZE_MAX / 2 + 2));
    assert_null(tsn_addr_map_new(((size_t)1 << (sizeof(size_t) * 8 - 2)) + 1));
}

/* Reference model: key i is present iff ref[i] is non-NULL. */
struct model {
    struct sockaddr_storage keys[2048];
    void *ref[2048];
    size_t n;
};

static void model_check(const struct tsn_addr_map *m, const struct model *md)
{
    size_t present = 0;
    for (size_t i = 0; i < md->n; i++) {
        assert_ptr_equal(tsn_addr_map_get(m, SA(md->keys[i])), md->ref[i]);
        present += md->ref[i] != NULL;
    }
    assert_int_equal(tsn_addr_map_count(m), present);
}

/* Fills the table to max_entries (load factor ~0.5-1, so long probe chains),
 * then deletes in random order, re-inserts some, and compares every key with
 * the model after each phase. Keys differ only in the port (what one client
 * host's sockets look like) or only in the low address bytes. */
static void run_churn(size_t max, unsigned seed, int ipv6)
{
    struct model *md = calloc(1, sizeof *md);
    assert_non_null(md);
    assert_true(max <= 2048);
    struct tsn_addr_map *m = tsn_addr_map_new(max);
    assert_non_null(m);
    srand(seed);
    md->n = max;
    for (size_t i = 0; i < max; i++) {
        if (ipv6) {
            struct sockaddr_in6 a = v6("2001:db8::", 50000);
            a.sin6_addr.s6_addr[14] = (uint8_t)(i >> 8);
            a.sin6_addr.s6_addr[15] = (uint8_t)i;
            memcpy(&md->keys[i], &a, sizeof a);
        } else {
            struct sockaddr_in a = v4("198.51.100.7", (uint16_t)(1024 + i));
            memcpy(&md->keys[i], &a, sizeof a);
        }
        assert_int_equal(tsn_addr_map_put(m, SA(md->keys[i]), &vals[i]), 0);
        md->ref[i] = &vals[i];
    }
    model_check(m, md);

    /* Delete half, in random order. */
    size_t order[2048];
    for (size_t i = 0; i < max; i++)
        order[i] = i;
    for (size_t i = max - 1; i > 0; i--) {
        size_t j = (size_t)rand() % (i + 1);
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < max / 2; i++) {
        tsn_addr_map_del(m, SA(md->keys[order[i]]));
        md->ref[order[i]] = NULL;
        if (i % 37 == 0)
            model_check(m, md);
    }
    model_check(m, md);

    /* Random mixed operations against the model. */
    for (int step = 0; step < 4000; step++) {
        size_t i = (size_t)rand() % max;
        if (rand() % 2) {
            int want = md->ref[i] ? -EEXIST : 0;
            void *v = &vals[(i + (size_t)step) % 4096];
            assert_int_equal(tsn_addr_map_put(m, SA(md->keys[i]), v), want);
            if (want == 0)
                md->ref[i] = v;
        } else {
            tsn_addr_map_del(m, SA(md->keys[i]));
            md->ref[i] = NULL;
        }
    }
    model_check(m, md);

    /* Delete the rest: the table ends empty and every key is gone. */
    for (size_t i = 0; i < max; i++) {
        tsn_addr_map_del(m, SA(md->keys[i]));
        md->ref[i] = NULL;
    }
    model_check(m, md);
    assert_int_equal(tsn_addr_map_count(m), 0);
    tsn_addr_map_free(m);
    free(md);
}

static void test_churn_ipv4(void **state)
{
    run_churn(2048, 1, 0);
    run_churn(1000, 2, 0);
    /* Small tables: probe chains wrap past the last slot all the time. */
    for (unsigned seed = 10; seed < 60; seed++)
        run_churn(8 + seed % 9, seed, 0);
}

static void test_churn_ipv6(void **state)
{
    run_churn(2048, 5, 1);
    run_churn(100, 6, 1);
    for (unsigned seed = 60; seed < 110; seed++)
        run_churn(8 + seed % 9, seed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_families_distinct),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_unsupported_family),
        cmocka_unit_test(test_absurd_size),
        cmocka_unit_test(test_churn_ipv4),
        cmocka_unit_test(test_churn_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
