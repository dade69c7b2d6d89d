/* A hash map from a UDP source address (IPv4 or IPv6 + port) to a peer, for
 * the media loop's per-datagram lookup. Open addressing with linear probing
 * and backward-shift deletion; fixed capacity chosen at creation, so lookups
 * and inserts never allocate. Single-threaded (owned by one media loop). */
#ifndef TSN_ADDR_MAP_H
#define TSN_ADDR_MAP_H

#include <stddef.h>
#include <sys/socket.h>

struct tsn_addr_map;

/* Room for at least `max_entries` entries. NULL on failure. */
struct tsn_addr_map *tsn_addr_map_new(size_t max_entries);
void tsn_addr_map_free(struct tsn_addr_map *m);
/* 0, -EEXIST if the address is taken, -ENOSPC when full, -EAFNOSUPPORT. */
int tsn_addr_map_put(struct tsn_addr_map *m, const struct sockaddr *sa, void *value);
void *tsn_addr_map_get(const struct tsn_addr_map *m, const struct sockaddr *sa);
/* Removes the entry if present. */
void tsn_addr_map_del(struct tsn_addr_map *m, const struct sockaddr *sa);
size_t tsn_addr_map_count(const struct tsn_addr_map *m);

#endif
