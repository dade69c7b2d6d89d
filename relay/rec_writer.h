/* Internal to the recorder (recorder.c, rec_writer.c): the writer thread and
 * the control items the HTTP/WSS thread sends it. Items go through a
 * mutex-guarded list (a handful per second: starts, stops, annotation
 * events, joins); media goes through the lock-free ring. */
#ifndef TSN_REC_WRITER_H
#define TSN_REC_WRITER_H

#include "recorder.h"

enum rec_ctl_type {
    REC_CTL_OPEN,     /* handle, room, id, sub (by), time_ms, json (stream), json2 (snapshot) */
    REC_CTL_CLOSE,    /* handle, sub (by), text (reason) */
    REC_CTL_EVENT,    /* handle, json */
    REC_CTL_PRESENCE, /* handle (0: not recorded), room, sub, role, joined, time_ms */
    REC_CTL_AUDIT,    /* room, sub, role, text (action), json (detail) */
};

struct rec_ctl {
    struct rec_ctl *next;
    enum rec_ctl_type type;
    uint32_t handle;
    int64_t time_ms;
    char room[TSN_ROOM_MAX + 1];
    char id[TSN_REC_ID_LEN + 1];
    char sub[TSN_SUB_MAX + 1];
    enum tsn_role role;
    int joined;
    int member_at_start; /* PRESENCE: in the room when recording began (no join audit) */
    char text[128];
    char *json, *json2; /* owned, NUL-terminated, may be NULL */
    size_t json_len;
};

struct tsn_rec_writer;

struct tsn_rec_writer *tsn_rec_writer_new(const struct tsn_config *cfg, struct tsn_metrics *metrics,
                                          void (*wake)(void *user), void *wake_user, char *why,
                                          size_t why_len);
/* Stops every open session ("relay stopped"), joins the thread, frees. */
void tsn_rec_writer_free(struct tsn_rec_writer *w);
struct tsn_rec_ring *tsn_rec_writer_ring(struct tsn_rec_writer *w);
/* Takes ownership of `c` (and frees it if the writer is gone). */
void tsn_rec_writer_post(struct tsn_rec_writer *w, struct rec_ctl *c);
int tsn_rec_writer_pop_note(struct tsn_rec_writer *w, struct tsn_rec_note *out);
void rec_ctl_free(struct rec_ctl *c);

/* rec_recover.c: run by tsn_rec_writer_new before the thread starts. */
void tsn_rec_recover(struct tsn_rec_index *ix, const char *dir);
void tsn_rec_retention(struct tsn_rec_index *ix, const char *dir, unsigned days, int64_t now_ms);
/* Writes DIR/<room>/<id>/session.json from a row (tmp + rename). */
int tsn_rec_write_session_json(const char *dir, const struct tsn_rec_session *s,
                               const char *stream_json);
/* Removes a session directory (its files, export/ and itself). */
int tsn_rec_remove_dir(const char *dir, const char *room, const char *id);

#endif
