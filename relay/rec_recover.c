/* Start-up and housekeeping work on the recordings directory, run on the
 * writer's side: closing sessions a killed relay left "recording" (their
 * packet log is read to the last valid record, which gives the end time,
 * sizes and counts), deleting sessions past the retention period, and the
 * session.json file of each session. Never touches a live session. */
#include "rec_writer.h"

#include "log.h"
#include "reclog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int tsn_rec_write_session_json(const char *dir, const struct tsn_rec_session *s,
                               const char *stream_json)
{
    json_t *stream = stream_json ? json_loads(stream_json, 0, NULL) : NULL;
    json_t *j =
        json_pack("{s:s, s:s, s:I, s:o, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "id",
                  s->id, "room", s->room, "started_ms", (json_int_t)s->started_ms, "ended_ms",
                  s->ended_ms ? json_integer(s->ended_ms) : json_null(), "state", s->state,
                  "started_by", s->started_by, "stop_reason", s->stop_reason, "codec", s->codec,
                  "media_ms", (json_int_t)s->media_ms, "bytes", (json_int_t)s->bytes, "packets",
                  (json_int_t)s->packets, "frames", (json_int_t)s->frames, "events",
                  (json_int_t)s->events, "stream", stream ? stream : json_null());
    if (!j)
        return -ENOMEM;
    char path[800], tmp[820];
    snprintf(path, sizeof path, "%s/%s/%s/session.json", dir, s->room, s->id);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int rc = json_dump_file(j, tmp, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(j);
    if (rc != 0)
        return -EIO;
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        fchmod(fd, 0600); /* names and times of a clinical session: owner only */
        fsync(fd);
        close(fd);
    }
    return rename(tmp, path) == 0 ? 0 : -errno;
}

/* --- recovery --------------------------------------------------------------- */

struct scan {
    uint64_t packets, frames, events, last_us, first_rtp_us, last_rtp_us;
    uint32_t last_ts;
    int have_ts;
    char codec[8];
};

static void scan_record(struct scan *sc, const struct tsn_rec *r)
{
    sc->last_us = r->time_us;
    if (r->type == TSN_REC_EVENT) {
        /* Events, not the snapshot recorded at the start. */
        json_t *j = json_loadb((const char *)r->payload, r->len, 0, NULL);
        const char *type = json_string_value(json_object_get(j, "type"));
        if (type && strcmp(type, "event") == 0)
            sc->events++;
        json_decref(j);
    }
    if (r->type == TSN_REC_STREAM) {
        json_t *j = json_loadb((const char *)r->payload, r->len, 0, NULL);
        const char *codec = json_string_value(json_object_get(j, "codec"));
        if (codec)
            snprintf(sc->codec, sizeof sc->codec, "%s", codec);
        json_decref(j);
        sc->have_ts = 0;
    }
    if (r->type != TSN_REC_RTP || r->len < 12)
        return;
    uint32_t ts = (uint32_t)r->payload[4] << 24 | (uint32_t)r->payload[5] << 16 |
                  (uint32_t)r->payload[6] << 8 | r->payload[7];
    sc->packets++;
    if (!sc->have_ts || ts != sc->last_ts)
        sc->frames++;
    sc->have_ts = 1;
    sc->last_ts = ts;
    if (!sc->first_rtp_us)
        sc->first_rtp_us = r->time_us;
    sc->last_rtp_us = r->time_us;
}

struct recover_ctx {
    struct tsn_rec_session *rows;
    size_t n, cap;
};

static int collect(void *user, const struct tsn_rec_session *s)
{
    struct recover_ctx *c = user;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct tsn_rec_session *rows = realloc(c->rows, cap * sizeof *rows);
        if (!rows)
            return -ENOMEM;
        c->rows = rows;
        c->cap = cap;
    }
    c->rows[c->n++] = *s;
    return 0;
}

static void recover_one(struct tsn_rec_index *ix, const char *dir, struct tsn_rec_session *s)
{
    char path[800];
    snprintf(path, sizeof path, "%s/%s/%s/media.tsr", dir, s->room, s->id);
    struct tsn_rec_reader *rd = tsn_rec_reader_open(path);
    struct scan sc = {0};
    if (rd) {
        struct tsn_rec r;
        uint64_t skipped, at;
        while (tsn_rec_reader_next(rd, &r, &skipped, &at) == 1) {
            if (skipped)
                tsn_warn("[recorder %s] skipped %llu damaged bytes at offset %llu", s->id,
                         (unsigned long long)skipped, (unsigned long long)at);
            scan_record(&sc, &r);
        }
        const struct tsn_rec_reader_stats *st = tsn_rec_reader_stats(rd);
        s->bytes = st->file_bytes;
        snprintf(s->stop_reason, sizeof s->stop_reason,
                 "relay stopped unexpectedly: recovered %llu records (%llu bytes of a cut "
                 "record at the end)",
                 (unsigned long long)st->records, (unsigned long long)st->torn_tail);
        tsn_rec_reader_free(rd);
        snprintf(s->state, sizeof s->state, "recovered");
    } else {
        snprintf(s->stop_reason, sizeof s->stop_reason, "relay stopped unexpectedly: %s",
                 errno == ENOENT ? "no media was written" : "the packet log is unreadable");
        snprintf(s->state, sizeof s->state, "failed");
    }
    s->packets = sc.packets;
    s->frames = sc.frames;
    s->events = sc.events;
    if (sc.codec[0])
        snprintf(s->codec, sizeof s->codec, "%s", sc.codec);
    s->media_ms = sc.last_rtp_us > sc.first_rtp_us
                      ? (int64_t)((sc.last_rtp_us - sc.first_rtp_us) / 1000u)
                      : 0;
    s->ended_ms = sc.last_us ? (int64_t)(sc.last_us / 1000u) : s->started_ms;
    if (tsn_rec_index_session_update(ix, s) != 0)
        tsn_warn("[recorder %s] cannot update the index", s->id);
    if (tsn_rec_write_session_json(dir, s, NULL) != 0)
        tsn_warn("[recorder %s] cannot write session.json", s->id);
    tsn_info("[recorder %s] %s: %lld ms of media, %llu frames, %llu events", s->id, s->state,
             (long long)s->media_ms, (unsigned long long)s->frames, (unsigned long long)s->events);
}

void tsn_rec_recover(struct tsn_rec_index *ix, const char *dir)
{
    struct recover_ctx c = {0};
    tsn_rec_index_each_in_state(ix, "recording", collect, &c);
    for (size_t i = 0; i < c.n; i++)
        recover_one(ix, dir, &c.rows[i]);
    free(c.rows);
}

/* --- retention ------------------------------------------------------------------- */

static int remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = remove_tree(sub) ? -EIO : rc;
        else if (unlink(sub) != 0)
            rc = -errno;
    }
    closedir(d);
    if (rmdir(path) != 0)
        rc = -errno;
    return rc;
}

int tsn_rec_remove_dir(const char *dir, const char *room, const char *id)
{
    if (!tsn_room_name_valid(room) || !tsn_rec_id_valid(id))
        return -EINVAL;
    char path[800];
    snprintf(path, sizeof path, "%s/%s/%s", dir, room, id);
    return remove_tree(path);
}

void tsn_rec_retention(struct tsn_rec_index *ix, const char *dir, unsigned days, int64_t now_ms)
{
    struct recover_ctx c = {0};
    tsn_rec_index_each_older(ix, now_ms - (int64_t)days * 86400000, collect, &c);
    for (size_t i = 0; i < c.n; i++) {
        const struct tsn_rec_session *s = &c.rows[i];
        if (strcmp(s->state, "recording") == 0)
            continue;
        int rc = tsn_rec_remove_dir(dir, s->room, s->id);
        if (rc != 0) {
            tsn_warn("[recorder %s] retention: cannot delete: %s", s->id, strerror(-rc));
            continue;
        }
        tsn_rec_index_session_delete(ix, s->id);
        struct tsn_rec_audit a = {.time_ms = now_ms};
        snprintf(a.actor, sizeof a.actor, "retention");
        snprintf(a.action, sizeof a.action, "delete");
        snprintf(a.room, sizeof a.room, "%s", s->room);
        snprintf(a.session, sizeof a.session, "%s", s->id);
        snprintf(a.detail, sizeof a.detail, "older than %u days", days);
        tsn_rec_index_audit(ix, &a);
        tsn_info("[recorder %s] deleted: older than %u days", s->id, days);
    }
    free(c.rows);
}
