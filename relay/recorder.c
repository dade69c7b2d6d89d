/* The recorder's control side (HTTP/WSS thread): the table of rooms being
 * recorded, the checks before a recording starts (mode, free space), and the
 * hand-over of every item to the writer thread (rec_writer.c). */
#include "recorder.h"

#include "clock.h"

#include "log.h"
#include "rec_writer.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

struct tsn_recorder {
    const struct tsn_config *cfg;
    struct tsn_rec_writer *writer;
    struct tsn_rec_active *active; /* rooms being recorded (control side only) */
    size_t n_active, cap_active;
    uint32_t next_handle;
};

void tsn_recorder_make_id(int64_t ms, char out[TSN_REC_ID_LEN + 1])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    uint8_t rnd[4] = {0};
    RAND_bytes(rnd, sizeof rnd);
    char stamp[32];
    if (strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) != 16)
        snprintf(stamp, sizeof stamp, "19700101T000000Z");
    snprintf(out, TSN_REC_ID_LEN + 1, "%.16s-%02x%02x%02x%02x", stamp, rnd[0], rnd[1], rnd[2],
             rnd[3]);
}

struct tsn_recorder *tsn_recorder_new(const struct tsn_config *cfg, struct tsn_metrics *metrics,
                                      void (*wake)(void *user), void *wake_user, char *why,
                                      size_t why_len)
{
    struct tsn_recorder *rec = calloc(1, sizeof *rec);
    if (!rec) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    rec->cfg = cfg;
    rec->writer = tsn_rec_writer_new(cfg, metrics, wake, wake_user, why, why_len);
    if (!rec->writer) {
        free(rec);
        return NULL;
    }
    return rec;
}

void tsn_recorder_free(struct tsn_recorder *rec)
{
    if (!rec)
        return;
    tsn_rec_writer_free(rec->writer);
    free(rec->active);
    free(rec);
}

struct tsn_rec_ring *tsn_recorder_ring(struct tsn_recorder *rec)
{
    return tsn_rec_writer_ring(rec->writer);
}

static struct tsn_rec_active *find(const struct tsn_recorder *rec, const char *room)
{
    for (size_t i = 0; i < rec->n_active; i++)
        if (strcmp(rec->active[i].room, room) == 0)
            return &rec->active[i];
    return NULL;
}

const struct tsn_rec_active *tsn_recorder_active(const struct tsn_recorder *rec, const char *room)
{
    return rec ? find(rec, room) : NULL;
}

static struct rec_ctl *ctl_new(enum rec_ctl_type type, uint32_t handle, const char *room)
{
    struct rec_ctl *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->type = type;
    c->handle = handle;
    c->time_ms = tsn_unix_ms();
    snprintf(c->room, sizeof c->room, "%s", room);
    return c;
}

static void forget(struct tsn_recorder *rec, struct tsn_rec_active *a)
{
    size_t i = (size_t)(a - rec->active);
    rec->active[i] = rec->active[--rec->n_active];
}

int tsn_recorder_begin(struct tsn_recorder *rec, const char *room, const char *by,
                       const char *stream_json, const char *snapshot_json,
                       const struct tsn_rec_member *participants, size_t n_participants,
                       struct tsn_rec_active *out, char *why, size_t why_len)
{
    struct tsn_rec_active *a = find(rec, room);
    if (a) {
        *out = *a;
        return -EALREADY;
    }
    if (rec->cfg->record_mode == TSN_RECORD_OFF) {
        snprintf(why, why_len, "recording is turned off on this relay");
        return -EPERM;
    }
    struct statvfs v;
    uint64_t min_free = (uint64_t)rec->cfg->record_min_free_mb << 20;
    if (min_free && statvfs(rec->cfg->recordings_dir, &v) == 0 &&
        (uint64_t)v.f_bavail * v.f_frsize < min_free) {
        snprintf(why, why_len,
                 "recording unavailable: less than %u MiB free in the recordings directory",
                 rec->cfg->record_min_free_mb);
        return -ENOSPC;
    }
    if (rec->n_active == rec->cap_active) {
        size_t cap = rec->cap_active ? rec->cap_active * 2 : 8;
        struct tsn_rec_active *arr = realloc(rec->active, cap * sizeof *arr);
        if (!arr)
            goto oom;
        rec->active = arr;
        rec->cap_active = cap;
    }
    struct rec_ctl *c = ctl_new(REC_CTL_OPEN, 0, room);
    if (!c)
        goto oom;
    if (++rec->next_handle == 0)
        rec->next_handle = 1;
    c->handle = rec->next_handle;
    snprintf(c->sub, sizeof c->sub, "%s", by);
    tsn_recorder_make_id(c->time_ms, c->id);
    c->json = stream_json ? strdup(stream_json) : NULL;
    c->json2 = snapshot_json ? strdup(snapshot_json) : NULL;
    if ((stream_json && !c->json) || (snapshot_json && !c->json2)) {
        rec_ctl_free(c);
        goto oom;
    }
    a = &rec->active[rec->n_active++];
    memset(a, 0, sizeof *a);
    snprintf(a->room, sizeof a->room, "%s", room);
    snprintf(a->id, sizeof a->id, "%s", c->id);
    snprintf(a->by, sizeof a->by, "%s", by);
    a->handle = c->handle;
    a->since_ms = c->time_ms;
    *out = *a;
    tsn_rec_writer_post(rec->writer, c);
    for (size_t i = 0; i < n_participants; i++) {
        struct rec_ctl *p = ctl_new(REC_CTL_PRESENCE, out->handle, room);
        if (!p)
            break;
        snprintf(p->sub, sizeof p->sub, "%s", participants[i].sub);
        p->role = participants[i].role;
        p->joined = 1;
        p->member_at_start = 1; /* its join was audited when it joined */
        tsn_rec_writer_post(rec->writer, p);
    }
    return 0;
oom:
    snprintf(why, why_len, "out of memory");
    return -ENOMEM;
}

int tsn_recorder_end(struct tsn_recorder *rec, const char *room, const char *by, const char *reason)
{
    struct tsn_rec_active *a = find(rec, room);
    if (!a)
        return -ENOENT;
    struct rec_ctl *c = ctl_new(REC_CTL_CLOSE, a->handle, room);
    if (c) {
        snprintf(c->sub, sizeof c->sub, "%s", by);
        snprintf(c->text, sizeof c->text, "%s", reason);
        tsn_rec_writer_post(rec->writer, c);
    }
    forget(rec, a);
    return 0;
}

void tsn_recorder_event(struct tsn_recorder *rec, const char *room, const char *json, size_t len)
{
    struct tsn_rec_active *a = rec ? find(rec, room) : NULL;
    if (!a)
        return;
    struct rec_ctl *c = ctl_new(REC_CTL_EVENT, a->handle, room);
    if (!c || !(c->json = malloc(len + 1))) {
        rec_ctl_free(c);
        tsn_warn("[recorder %s] out of memory: an event is not recorded", a->id);
        return;
    }
    memcpy(c->json, json, len);
    c->json[len] = '\0';
    c->json_len = len;
    tsn_rec_writer_post(rec->writer, c);
}

void tsn_recorder_presence(struct tsn_recorder *rec, const char *room, const char *sub,
                           enum tsn_role role, int joined)
{
    if (!rec)
        return;
    struct tsn_rec_active *a = find(rec, room);
    struct rec_ctl *c = ctl_new(REC_CTL_PRESENCE, a ? a->handle : 0, room);
    if (!c)
        return;
    snprintf(c->sub, sizeof c->sub, "%s", sub);
    c->role = role;
    c->joined = joined;
    tsn_rec_writer_post(rec->writer, c);
}

void tsn_recorder_audit(struct tsn_recorder *rec, const char *room, const char *sub,
                        enum tsn_role role, const char *action, const char *detail)
{
    if (!rec)
        return;
    struct rec_ctl *c = ctl_new(REC_CTL_AUDIT, 0, room);
    if (!c || (detail && !(c->json = strdup(detail)))) {
        rec_ctl_free(c);
        return;
    }
    snprintf(c->sub, sizeof c->sub, "%s", sub);
    snprintf(c->text, sizeof c->text, "%s", action);
    c->role = role;
    tsn_rec_writer_post(rec->writer, c);
}

int tsn_recorder_pop_note(struct tsn_recorder *rec, struct tsn_rec_note *out)
{
    while (rec && tsn_rec_writer_pop_note(rec->writer, out)) {
        struct tsn_rec_active *a = find(rec, out->room);
        if (!a || a->handle != out->handle)
            continue; /* stopped meanwhile: nothing to tell */
        forget(rec, a);
        return 1;
    }
    return 0;
}
