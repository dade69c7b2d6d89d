/* The client side of the relay's WebSocket signalling protocol (version 1,
 * docs/protocol.md): builds the messages capture and view send, and parses
 * what the relay sends back into a small value type. A pure parser over the
 * bytes (jansson), fuzzed by tests/fuzz/fuzz_sig_reply.c; the relay's own
 * parser of client messages is relay/sigmsg.c. */
#ifndef TSN_SIG_REPLY_H
#define TSN_SIG_REPLY_H

#include <stddef.h>
#include <stdint.h>

enum tsn_reply_type {
    TSN_REPLY_UNKNOWN = 0, /* a type this client does not know: ignore it */
    TSN_REPLY_WELCOME,
    TSN_REPLY_ANSWER,
    TSN_REPLY_SESSION, /* session state change: "connected", "closed"... */
    TSN_REPLY_STOPPED,
    TSN_REPLY_STREAM, /* stream metadata of the room (set, changed or ended) */
    TSN_REPLY_PONG,
    TSN_REPLY_ERROR,
};

struct tsn_reply {
    enum tsn_reply_type type;
    int64_t id;        /* echoed correlation id, -1 if none */
    char *sdp;         /* ANSWER (owned) */
    char session[33];  /* ANSWER/SESSION/STOPPED */
    char state[24];    /* SESSION */
    int code;          /* ERROR: HTTP-like code */
    char reason[256];  /* ERROR/SESSION: text for a human */
    char ref_type[24]; /* ERROR: the type of the message it refers to */
    char *stream_json; /* WELCOME/STREAM: the "stream" object as compact JSON (owned, nullable) */
    int stream_live;   /* WELCOME/STREAM: stream.live */
    char role[24];     /* WELCOME */
    char room[128];    /* WELCOME (may be empty) */
};

/* Parses one relay message. Returns 0 (type may be UNKNOWN) or -EBADMSG with
 * a reason. Free with tsn_reply_clear. */
int tsn_reply_parse(const char *buf, size_t len, struct tsn_reply *out, char *why, size_t why_len);
void tsn_reply_clear(struct tsn_reply *r);

/* Message builders: malloc'd compact JSON (caller frees) or NULL. */
char *tsn_msg_join(const char *token);
/* `stream_json` (nullable) is a JSON object text merged in as "stream". */
char *tsn_msg_offer(const char *type /* "publish" | "subscribe" */, const char *sdp,
                    const char *stream_json, int64_t id);
char *tsn_msg_stream(const char *stream_json);
char *tsn_msg_ping(int64_t id);

#endif
