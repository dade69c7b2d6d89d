/* Peer construction: identity and ICE credentials. The media loop owns the
 * rest of a peer's life (ice.c, media.c, room.c). */
#include "peer.h"

#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_uint_fast64_t next_peer_id = 1;

/* ICE ufrag/pwd are ice-chars (RFC 8445 15.4); hex is a subset and easy to log-scrub. */
static int random_token(char *out, size_t chars)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char raw[64];
    if (chars > sizeof raw || RAND_bytes(raw, (int)chars) != 1)
        return -1;
    for (size_t i = 0; i < chars; i++)
        out[i] = alphabet[raw[i] % 62];
    out[chars] = '\0';
    return 0;
}

struct tsn_peer *tsn_peer_new(enum tsn_peer_kind kind, const char *room, enum tsn_role role)
{
    struct tsn_peer *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->id = atomic_fetch_add(&next_peer_id, 1);
    p->kind = kind;
    p->role = role;
    snprintf(p->room, sizeof p->room, "%s", room);
    p->room_index = -1;
    uint32_t ssrc = 0;
    if (random_token(p->local_ufrag, 8) != 0 || random_token(p->local_pwd, 32) != 0 ||
        RAND_bytes((unsigned char *)&ssrc, sizeof ssrc) != 1) {
        free(p);
        return NULL;
    }
    p->ssrc = ssrc ? ssrc : 1;
    return p;
}

void tsn_peer_free(struct tsn_peer *p)
{
    if (!p)
        return;
    tsn_dtls_free(p->dtls);
    tsn_srtp_free(p->srtp);
    free(p);
}

const char *tsn_peer_kind_name(enum tsn_peer_kind k)
{
    return k == TSN_PEER_PUBLISHER ? "publisher" : "subscriber";
}
