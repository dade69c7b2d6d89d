/* The recorder: which rooms are being recorded, and the thread that writes
 * them (docs/architecture.md, "Recording").
 *
 * Three parties:
 *  - the HTTP/WSS thread (the "control" side, every tsn_recorder_* call
 *    below except the ring) starts and stops recordings, hands over
 *    annotation events, participants and audit entries, and takes back
 *    notes (a recording failed: disk full);
 *  - the media thread puts decrypted RTP packets and stream set-up records
 *    into the ring (rec_ring.h) without blocking;
 *  - the writer thread (rec_writer.c) owns the files and the index handle:
 *    it appends records to each session's packet log, writes at least every
 *    200 ms, fdatasyncs every --record-fsync-ms, keeps the index up to date,
 *    and stops a session that cannot be written (the live room is never
 *    affected).
 * At start it recovers sessions a killed relay left "recording" and applies
 * the retention period. */
#ifndef TSN_RECORDER_H
#define TSN_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "jwt.h"
#include "metrics.h"
#include "rec_index.h"
#include "rec_ring.h"

struct tsn_recorder;

/* A room being recorded, as the control side knows it. */
struct tsn_rec_active {
    char room[TSN_ROOM_MAX + 1];
    char id[TSN_REC_ID_LEN + 1];
    char by[TSN_SUB_MAX + 1];
    uint32_t handle; /* non-zero; tags the room's items in the ring */
    int64_t since_ms;
};

/* What the writer tells the control side. */
struct tsn_rec_note {
    char room[TSN_ROOM_MAX + 1];
    char id[TSN_REC_ID_LEN + 1];
    uint32_t handle;
    char reason[128]; /* "disk full: recording stopped" */
};

/* Opens (creating) the recordings directory and its index, recovers
 * interrupted sessions, applies retention, starts the writer thread. `wake`
 * is called from the writer thread when a note is waiting. NULL with a
 * reason in `why` when the directory or index cannot be used. */
struct tsn_recorder *tsn_recorder_new(const struct tsn_config *cfg, struct tsn_metrics *metrics,
                                      void (*wake)(void *user), void *wake_user, char *why,
                                      size_t why_len);
/* Stops every recording ("relay stopped"), flushes, joins the thread. */
void tsn_recorder_free(struct tsn_recorder *rec);

/* The media thread's side. */
struct tsn_rec_ring *tsn_recorder_ring(struct tsn_recorder *rec);

/* Control side (HTTP/WSS thread only). */

/* Starts recording `room`. `stream_json` (the capture's stream metadata,
 * may be NULL) and `snapshot_json` (the room's annotation state, may be
 * NULL) go into the log; `participants` are the room's members now. Fills
 * *out. -EALREADY (and *out = the running one) when the room is recorded
 * already; -EPERM when recording is off; -ENOSPC with a reason when the
 * directory has less than --record-min-free-mb free; -ENOMEM. */
struct tsn_rec_member {
    const char *sub;
    enum tsn_role role;
};
int tsn_recorder_begin(struct tsn_recorder *rec, const char *room, const char *by,
                       const char *stream_json, const char *snapshot_json,
                       const struct tsn_rec_member *participants, size_t n_participants,
                       struct tsn_rec_active *out, char *why, size_t why_len);
/* Stops the room's recording. 0, or -ENOENT when it is not recorded. */
int tsn_recorder_end(struct tsn_recorder *rec, const char *room, const char *by,
                     const char *reason);
/* The room's recording, or NULL. Valid until the next begin/end/pop_note. */
const struct tsn_rec_active *tsn_recorder_active(const struct tsn_recorder *rec, const char *room);

/* Appends an annotation/chat event (the JSON text as sent to the room) to
 * the room's recording, if it has one. */
void tsn_recorder_event(struct tsn_recorder *rec, const char *room, const char *json, size_t len);
/* A participant joined (1) or left (0) a room: an audit entry always, a
 * participant row when the room is recorded. */
void tsn_recorder_presence(struct tsn_recorder *rec, const char *room, const char *sub,
                           enum tsn_role role, int joined);

/* Any other access worth an audit entry (e.g. "join" by WHIP/WHEP, with
 * detail "whep"). */
void tsn_recorder_audit(struct tsn_recorder *rec, const char *room, const char *sub,
                        enum tsn_role role, const char *action, const char *detail);

/* The next note from the writer: 1 and *out (the control side has already
 * forgotten the failed recording), or 0. */
int tsn_recorder_pop_note(struct tsn_recorder *rec, struct tsn_rec_note *out);

/* "YYYYMMDDTHHMMSSZ-xxxxxxxx" for a start at `unix_ms`, with random hex. */
void tsn_recorder_make_id(int64_t unix_ms, char out[TSN_REC_ID_LEN + 1]);

#endif
