/* The recordings index: an embedded SQLite database (<recordings>/index.sqlite)
 * of sessions, their participants, and the access audit log (who joined,
 * listed, viewed, exported, deleted what and when). The recordings
 * themselves are the session directories; the index can be rebuilt from
 * them except for the audit log.
 *
 * One handle per thread (the recorder thread writes sessions and
 * participants; the HTTP thread reads sessions and writes audit entries);
 * a handle is not shared between threads. WAL mode with a busy timeout, so
 * the two never block each other for long. Every statement is prepared with
 * bound parameters: nothing from the network is ever spliced into SQL.
 * Errors come back as negative errno values with a one-line reason in
 * `why` where a caller can show it; nothing here logs. */
#ifndef TSN_REC_INDEX_H
#define TSN_REC_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "jwt.h"

#define TSN_REC_ID_LEN     25 /* "20261127T075012Z-3fa9c2d1" */
#define TSN_REC_STATE_MAX  15
#define TSN_REC_REASON_MAX 127

/* A session's state:
 *   "recording"  being written now (or the relay died while writing it);
 *   "complete"   stopped normally;
 *   "recovered"  found in "recording" at start-up and closed by recovery;
 *   "failed"     stopped by an error (disk full, I/O error): what was written is kept. */
struct tsn_rec_session {
    char id[TSN_REC_ID_LEN + 1];
    char room[TSN_ROOM_MAX + 1];
    char state[TSN_REC_STATE_MAX + 1];
    char codec[8];                  /* "H264", "VP8", "" before the first stream record */
    char started_by[TSN_SUB_MAX + 1];
    char stop_reason[TSN_REC_REASON_MAX + 1];
    int64_t started_ms;             /* Unix ms */
    int64_t ended_ms;               /* Unix ms; 0 while recording */
    int64_t media_ms;               /* span of recorded media (first to last RTP packet) */
    uint64_t bytes;                 /* size of the packet log */
    uint64_t packets;               /* RTP records */
    uint64_t frames;                /* distinct RTP timestamps */
    uint64_t events;                /* annotation and chat events */
};

struct tsn_rec_participant {
    char sub[TSN_SUB_MAX + 1];
    enum tsn_role role;
    int64_t joined_ms;
    int64_t left_ms; /* 0 while still there */
};

/* An audit entry. `action` is one of "join", "leave", "record-start",
 * "record-stop", "list", "view", "export", "download", "delete", "denied". */
struct tsn_rec_audit {
    int64_t time_ms;
    char actor[TSN_SUB_MAX + 1];  /* the token's sub */
    enum tsn_role role;
    char action[16];
    char room[TSN_ROOM_MAX + 1];
    char session[TSN_REC_ID_LEN + 1]; /* "" when not about one session */
    char detail[128];                 /* short, never patient data or tokens */
};

struct tsn_rec_index;

/* Opens (creating the file and schema if needed) the index at `path`.
 * NULL with a reason in `why` on failure. */
struct tsn_rec_index *tsn_rec_index_open(const char *path, char *why, size_t why_len);
void tsn_rec_index_close(struct tsn_rec_index *ix);

/* Inserts a new session row (state "recording"). -EEXIST for a known id. */
int tsn_rec_index_session_begin(struct tsn_rec_index *ix, const struct tsn_rec_session *s);
/* Overwrites the row's mutable columns (state, codec, stop_reason,
 * ended_ms, media_ms, bytes, packets, frames, events). -ENOENT if unknown. */
int tsn_rec_index_session_update(struct tsn_rec_index *ix, const struct tsn_rec_session *s);
/* 0 and *out, or -ENOENT. */
int tsn_rec_index_session_get(struct tsn_rec_index *ix, const char *id,
                              struct tsn_rec_session *out);
/* Removes the session, its participants (not its audit entries). */
int tsn_rec_index_session_delete(struct tsn_rec_index *ix, const char *id);

/* Calls fn for each session in `state` ("recording" for recovery), oldest
 * first. Stops early and returns fn's value when it is non-zero. */
int tsn_rec_index_each_in_state(struct tsn_rec_index *ix, const char *state,
                                int (*fn)(void *user, const struct tsn_rec_session *s),
                                void *user);
/* Calls fn for each session that ended (or started, if never ended) before
 * `before_ms`: the retention sweep's candidates. Same early stop. */
int tsn_rec_index_each_older(struct tsn_rec_index *ix, int64_t before_ms,
                             int (*fn)(void *user, const struct tsn_rec_session *s),
                             void *user);

/* Participants: a row per join; leave fills the newest open row of `sub`. */
int tsn_rec_index_participant_join(struct tsn_rec_index *ix, const char *session,
                                   const char *sub, enum tsn_role role, int64_t time_ms);
int tsn_rec_index_participant_leave(struct tsn_rec_index *ix, const char *session,
                                    const char *sub, int64_t time_ms);

int tsn_rec_index_audit(struct tsn_rec_index *ix, const struct tsn_rec_audit *a);

/* JSON for the REST API (new references, NULL on error):
 *  list:    [{"id","room","state","started_ms","ended_ms","media_ms","bytes",
 *             "frames","events","codec","started_by","stop_reason"}...] of
 *           one room, newest first, at most `limit`;
 *  session: one such object plus "participants":[{"sub","role","joined_ms",
 *           "left_ms"|null}...]; NULL and -ENOENT via *err when unknown or
 *           when the session belongs to another room (no way to tell those apart);
 *  audit:   [{"time_ms","actor","role","action","room","session","detail"}...]
 *           newest first, of one room (or every room when room is NULL). */
json_t *tsn_rec_index_list_json(struct tsn_rec_index *ix, const char *room, unsigned limit);
json_t *tsn_rec_index_session_json(struct tsn_rec_index *ix, const char *room, const char *id,
                                   int *err);
json_t *tsn_rec_index_audit_json(struct tsn_rec_index *ix, const char *room, unsigned limit);

/* 1 when `id` has the shape of a session id (TSN_REC_ID_LEN characters:
 * YYYYMMDDTHHMMSSZ-xxxxxxxx, lowercase hex), else 0. Checked before any
 * lookup or path is built. */
int tsn_rec_id_valid(const char *id);

#endif
