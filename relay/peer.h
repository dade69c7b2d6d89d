/* A media peer: one WebRTC transport (ICE-lite + DTLS + SRTP on the shared UDP
 * port) that either publishes into a room or subscribes to it. Created by the
 * signalling side (HTTP thread) from an accepted offer, then handed to the
 * media thread (transfer full), which alone touches it afterwards.
 * This header is internal to the media modules (media, ice, room, forward). */
#ifndef TSN_PEER_H
#define TSN_PEER_H

#include <stdint.h>
#include <sys/socket.h>

#include "dtls.h"
#include "jwt.h"
#include "sdp.h"
#include "srtp_session.h"

enum tsn_peer_kind { TSN_PEER_PUBLISHER = 0, TSN_PEER_SUBSCRIBER };

enum tsn_peer_state {
    TSN_PEER_WAIT_ICE = 0, /* no valid connectivity check yet */
    TSN_PEER_DTLS,         /* address known, DTLS handshaking */
    TSN_PEER_CONNECTED,    /* SRTP ready */
    TSN_PEER_DEAD,         /* to be removed by the media loop */
};

/* What a subscriber needs to rewrite a publisher's packets for itself. */
struct tsn_sub_fwd {
    uint32_t generation;   /* publisher generation the offsets belong to (0 = none yet) */
    int waiting_keyframe;  /* drop live packets until a keyframe starts */
    uint16_t seq_offset;   /* out = in + offset */
    uint32_t ts_offset;
    uint16_t last_seq_out; /* last sequence number sent */
    uint16_t rebase_seq_out; /* first sequence number of the current mapping */
    uint32_t last_ts_out;
    uint64_t last_out_us;  /* when the last packet was sent */
    int started;           /* has sent anything */
    uint32_t packets_sent, octets_sent;
    uint8_t ext_map[15];   /* publisher one-byte ext id (index 1..14) -> ours (0 = drop) */
};

struct tsn_peer {
    uint64_t id;              /* unique per relay run; in every log line */
    uint32_t room_id;         /* numeric id for logs (room names are not logged) */
    enum tsn_peer_kind kind;
    enum tsn_role role;
    char room[TSN_ROOM_MAX + 1];
    enum tsn_peer_state state;

    /* ICE: our (relay) credentials and the remote ones from the offer. */
    char local_ufrag[9];
    char local_pwd[33];
    char remote_ufrag[257];
    char remote_fingerprint[200];
    struct sockaddr_storage addr; /* valid once state >= DTLS */
    socklen_t addr_len;
    int nominated;                /* saw USE-CANDIDATE */

    struct tsn_dtls *dtls;        /* owned */
    struct tsn_srtp *srtp;        /* owned; NULL until CONNECTED */

    /* Negotiated media. */
    enum tsn_codec codec;
    uint8_t pt;                   /* payload type in this peer's SDP */
    uint8_t ext_abs_capture_time; /* this peer's id, 0 if none */
    uint32_t ssrc;                /* subscriber: our SSRC toward it; publisher: learnt */
    uint32_t remote_ssrc;         /* the peer's own SSRC (RTCP sender), learnt */

    uint64_t created_us, last_consent_us, last_rx_us;
    uint64_t last_rr_us;

    /* Publisher reception state (for RR and NACK upstream). */
    struct {
        int have_seq;
        uint32_t cycles;
        uint16_t max_seq;
        uint32_t base_seq;
        uint32_t received, expected_prior, received_prior;
        uint64_t last_sr_ntp;
        uint64_t last_sr_rx_us;
        int64_t last_transit;
        uint32_t jitter_q4; /* RFC 3550 A.8 jitter, scaled by 16 */
    } rx;

    struct tsn_sub_fwd fwd;       /* subscriber only */

    struct tsn_media_room *mroom; /* media-side room (transfer none); set by media loop */
    int room_index;               /* position in the room's subscriber array */
};

/* A new peer with random ICE credentials (transfer full). NULL on failure. */
struct tsn_peer *tsn_peer_new(enum tsn_peer_kind kind, const char *room, enum tsn_role role);
void tsn_peer_free(struct tsn_peer *p);
const char *tsn_peer_kind_name(enum tsn_peer_kind k);

#endif
