/* Address hash map; see addr_map.h. Keys are normalised into a 20-byte form
 * (family, port, 16 address bytes) so IPv4 and IPv6 share one table. */
#include "addr_map.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct key {
    uint16_t family;
    uint16_t port;
    uint8_t addr[16];
};

struct slot {
    int used;
    struct key key;
    void *value;
};

struct tsn_addr_map {
    struct slot *slots;
    size_t mask;
    size_t count, max;
};

static int make_key(const struct sockaddr *sa, struct key *k)
{
    memset(k, 0, sizeof *k);
    k->family = sa->sa_family;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        k->port = in->sin_port;
        memcpy(k->addr, &in->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        k->port = in6->sin6_port;
        memcpy(k->addr, &in6->sin6_addr, 16);
        return 0;
    }
    return -EAFNOSUPPORT;
}

/* FNV-1a over the key bytes: cheap, and attackers choose only their port. */
static size_t hash_key(const struct key *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof *k; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return (size_t)(h ^ (h >> 32));
}

struct tsn_addr_map *tsn_addr_map_new(size_t max_entries)
{
    /* Past this the doubling below would wrap to 0 and never end. */
    if (max_entries > SIZE_MAX / 4 / sizeof(struct slot))
        return NULL;
    struct tsn_addr_map *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    size_t cap = 16;
    while (cap < max_entries * 2)
        cap <<= 1;
    m->slots = calloc(cap, sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return NULL;
    }
    m->mask = cap - 1;
    m->max = max_entries;
    return m;
}

void tsn_addr_map_free(struct tsn_addr_map *m)
{
    if (!m)
        return;
    free(m->slots);
    free(m);
}

static struct slot *find(const struct tsn_addr_map *m, const struct key *k)
{
    for (size_t i = hash_key(k) & m->mask;; i = (i + 1) & m->mask) {
        struct slot *s = &m->slots[i];
        if (!s->used)
            return NULL;
        if (memcmp(&s->key, k, sizeof *k) == 0)
            return s;
    }
}

int tsn_addr_map_put(struct tsn_addr_map *m, const struct sockaddr *sa, void *value)
{
    struct key k;
    if (make_key(sa, &k) != 0)
        return -EAFNOSUPPORT;
    if (find(m, &k))
        return -EEXIST;
    if (m->count >= m->max)
        return -ENOSPC;
    size_t i = hash_key(&k) & m->mask;
    while (m->slots[i].used)
        i = (i + 1) & m->mask;
    m->slots[i] = (struct slot){1, k, value};
    m->count++;
    return 0;
}

void *tsn_addr_map_get(const struct tsn_addr_map *m, const struct sockaddr *sa)
{
    struct key k;
    if (make_key(sa, &k) != 0)
        return NULL;
    struct slot *s = find(m, &k);
    return s ? s->value : NULL;
}

void tsn_addr_map_del(struct tsn_addr_map *m, const struct sockaddr *sa)
{
    struct key k;
    if (make_key(sa, &k) != 0)
        return;
    struct slot *s = find(m, &k);
    if (!s)
        return;
    /* Backward-shift deletion keeps probe chains unbroken without tombstones. */
    size_t hole = (size_t)(s - m->slots);
    for (size_t j = (hole + 1) & m->mask; m->slots[j].used; j = (j + 1) & m->mask) {
        size_t home = hash_key(&m->slots[j].key) & m->mask;
        /* Move j into the hole if its home is not in (hole, j] cyclically. */
        int in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!in_range) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].used = 0;
    m->count--;
}

size_t tsn_addr_map_count(const struct tsn_addr_map *m)
{
    return m->count;
}
