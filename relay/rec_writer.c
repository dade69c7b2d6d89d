/* The recorder's writer thread: owns every open session's packet log and
 * the index handle. Each tick (20 ms, or at once when the control side
 * posts) it takes the control items, drains the media ring into the
 * sessions' buffers, writes the buffers out at least every 200 ms and
 * fdatasyncs every --record-fsync-ms: a killed relay loses what was not yet
 * written (at most ~200 ms plus the ring), a power loss what was not yet
 * synced. A write error (disk full) stops that session with a note to the
 * control side; nothing here can stop the live room. */
#include "rec_writer.h"

#include "clock.h"

#include "log.h"
#include "reclog.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS         20
#define WRITE_EVERY_US  200000u
#define INDEX_EVERY_US  5000000u
#define SPACE_EVERY_US  2000000u
#define RETAIN_EVERY_US 3600000000ull
#define BUF_BYTES       (512u * 1024u)
#define RING_SLOTS      8192u /* ~27 s of a 3 Mbit/s stream */
#define MAX_NOTES       64
#define MAX_QUEUED      100000 /* control items waiting for the writer */

struct wsess {
    struct wsess *next;
    uint32_t handle;
    struct tsn_rec_session row;
    char dir[700];
    char *stream_json; /* the capture's metadata, for session.json */
    int fd;
    uint8_t *buf;
    size_t len;
    int unsynced;
    int have_ts;
    uint32_t last_ts;
    uint64_t first_rtp_us, last_rtp_us;
};

struct tsn_rec_writer {
    const struct tsn_config *cfg;
    struct tsn_metrics *metrics;
    struct tsn_rec_ring *ring;
    void (*wake)(void *user);
    void *wake_user;
    struct tsn_rec_index *ix; /* writer thread only once started */

    pthread_t thread;
    int started;
    pthread_mutex_t lock; /* head, tail, stopping, notes */
    pthread_cond_t cond;
    struct rec_ctl *head, *tail;
    unsigned n_queued; /* items in head..tail */
    int stopping;
    struct tsn_rec_note notes[MAX_NOTES];
    unsigned n_notes;

    /* writer thread only */
    struct wsess *sessions;
    uint64_t last_write_us, last_sync_us, last_index_us, last_space_us, last_retain_us;
};

void rec_ctl_free(struct rec_ctl *c)
{
    if (!c)
        return;
    free(c->json);
    free(c->json2);
    free(c);
}

/* --- notes to the control side ------------------------------------------ */

static void post_note(struct tsn_rec_writer *w, const struct wsess *s, const char *reason)
{
    pthread_mutex_lock(&w->lock);
    if (w->n_notes < MAX_NOTES) {
        struct tsn_rec_note *n = &w->notes[w->n_notes++];
        memset(n, 0, sizeof *n);
        snprintf(n->room, sizeof n->room, "%s", s->row.room);
        snprintf(n->id, sizeof n->id, "%s", s->row.id);
        n->handle = s->handle;
        snprintf(n->reason, sizeof n->reason, "%s", reason);
    }
    pthread_mutex_unlock(&w->lock);
    if (w->wake)
        w->wake(w->wake_user);
}

int tsn_rec_writer_pop_note(struct tsn_rec_writer *w, struct tsn_rec_note *out)
{
    int got = 0;
    pthread_mutex_lock(&w->lock);
    if (w->n_notes) {
        *out = w->notes[0];
        memmove(w->notes, w->notes + 1, (w->n_notes - 1) * sizeof w->notes[0]);
        w->n_notes--;
        got = 1;
    }
    pthread_mutex_unlock(&w->lock);
    return got;
}

/* --- a session's file ---------------------------------------------------- */

static struct wsess *find(struct tsn_rec_writer *w, uint32_t handle)
{
    for (struct wsess *s = w->sessions; s; s = s->next)
        if (s->handle == handle)
            return s;
    return NULL;
}

static void audit(struct tsn_rec_writer *w, const char *actor, enum tsn_role role,
                  const char *action, const char *room, const char *id, const char *detail)
{
    struct tsn_rec_audit a = {.time_ms = tsn_unix_ms(), .role = role};
    snprintf(a.actor, sizeof a.actor, "%s", actor);
    snprintf(a.action, sizeof a.action, "%s", action);
    snprintf(a.room, sizeof a.room, "%s", room);
    snprintf(a.session, sizeof a.session, "%s", id ? id : "");
    snprintf(a.detail, sizeof a.detail, "%s", detail ? detail : "");
    if (tsn_rec_index_audit(w->ix, &a) != 0)
        tsn_warn("[recorder] cannot write an audit entry (%s in room %s)", action, room);
}

static void close_file(struct tsn_rec_writer *w, struct wsess *s, const char *state,
                       const char *reason);

static void fail(struct tsn_rec_writer *w, struct wsess *s, int err)
{
    char reason[128];
    if (err == ENOSPC || err == EDQUOT)
        snprintf(reason, sizeof reason, "disk full: recording stopped");
    else
        snprintf(reason, sizeof reason, "write error (%s): recording stopped", strerror(err));
    tsn_err("[recorder %s] %s", s->row.id, reason);
    tsn_metric_add(&w->metrics->recording_failures, 1);
    post_note(w, s, reason); /* before close_file frees s */
    close_file(w, s, "failed", reason);
}

/* Writes bytes to the log. 0, or -errno: the session has then been failed
 * and freed. */
static int write_all(struct tsn_rec_writer *w, struct wsess *s, const uint8_t *p, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(s->fd, p + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            s->row.bytes += off; /* the row describes the file that is left */
            fail(w, s, err);
            return -err;
        }
        off += (size_t)n;
    }
    tsn_metric_add(&w->metrics->recording_bytes, len);
    s->row.bytes += len;
    s->unsynced = s->unsynced || len > 0;
    return 0;
}

static int flush(struct tsn_rec_writer *w, struct wsess *s)
{
    size_t len = s->len;
    s->len = 0;
    return write_all(w, s, s->buf, len);
}

static int sync_file(struct tsn_rec_writer *w, struct wsess *s)
{
    if (!s->unsynced)
        return 0;
    if (fdatasync(s->fd) != 0) {
        int err = errno;
        fail(w, s, err);
        return -err;
    }
    s->unsynced = 0;
    tsn_metric_add(&w->metrics->recording_fsyncs, 1);
    return 0;
}

static int append(struct tsn_rec_writer *w, struct wsess *s, enum tsn_rec_type type,
                  uint64_t time_us, const void *data, size_t len)
{
    if (len > TSN_REC_MAX_PAYLOAD)
        return -EINVAL;
    if (s->len + len + TSN_REC_OVERHEAD > BUF_BYTES && flush(w, s) != 0)
        return -EIO;
    if (len + TSN_REC_OVERHEAD > BUF_BYTES) {
        uint8_t *big = malloc(len + TSN_REC_OVERHEAD);
        if (!big)
            return -ENOMEM;
        long n = tsn_rec_encode(big, len + TSN_REC_OVERHEAD, type, 0, time_us, data, len);
        int rc = write_all(w, s, big, (size_t)n);
        free(big);
        if (rc)
            return rc;
    } else {
        s->len += (size_t)tsn_rec_encode(s->buf + s->len, BUF_BYTES - s->len, type, 0, time_us,
                                         data, len);
    }
    tsn_metric_add(&w->metrics->recording_records, 1);
    return 0;
}

static void free_sess(struct tsn_rec_writer *w, struct wsess *s)
{
    for (struct wsess **pp = &w->sessions; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    free(s->buf);
    free(s->stream_json);
    free(s);
}

static void fill_media_span(struct wsess *s)
{
    if (s->first_rtp_us && s->last_rtp_us >= s->first_rtp_us)
        s->row.media_ms = (int64_t)((s->last_rtp_us - s->first_rtp_us) / 1000u);
}

/* Ends a session: the last bytes out and synced (best effort after an
 * error), the index row and session.json final. Frees it. */
static void close_file(struct tsn_rec_writer *w, struct wsess *s, const char *state,
                       const char *reason)
{
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    snprintf(s->row.state, sizeof s->row.state, "%s", state);
    snprintf(s->row.stop_reason, sizeof s->row.stop_reason, "%s", reason);
    s->row.ended_ms = tsn_unix_ms();
    fill_media_span(s);
    if (tsn_rec_index_session_update(w->ix, &s->row) != 0)
        tsn_warn("[recorder %s] cannot update the index", s->row.id);
    if (tsn_rec_write_session_json(w->cfg->recordings_dir, &s->row, s->stream_json) != 0)
        tsn_warn("[recorder %s] cannot write session.json", s->row.id);
    atomic_fetch_sub(&w->metrics->recordings_active, 1);
    audit(w, s->row.started_by, TSN_ROLE_NONE, "record-stop", s->row.room, s->row.id, reason);
    tsn_info("[recorder %s] %s: %llu packets, %llu frames, %llu events, %llu bytes (%s)", s->row.id,
             state, (unsigned long long)s->row.packets, (unsigned long long)s->row.frames,
             (unsigned long long)s->row.events, (unsigned long long)s->row.bytes, reason);
    free_sess(w, s);
}

static void stop_session(struct tsn_rec_writer *w, struct wsess *s, const char *by,
                         const char *reason)
{
    json_t *j = json_pack("{s:b, s:s, s:s}", "on", 0, "by", by, "reason", reason);
    char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    uint32_t handle = s->handle;
    int rc =
        txt ? append(w, s, TSN_REC_CONTROL, (uint64_t)tsn_unix_ms() * 1000u, txt, strlen(txt)) : 0;
    free(txt);
    if (rc != 0 && find(w, handle) != s)
        return; /* the append failed it: s is gone */
    if (flush(w, s) != 0 || sync_file(w, s) != 0)
        return;
    close_file(w, s, "complete", reason);
}

/* --- control items --------------------------------------------------------- */

static int make_dirs(const char *root, const char *room, const char *id, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s/%s", root, room);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -errno;
    snprintf(dir, cap, "%s/%s/%s", root, room, id);
    if (mkdir(dir, 0700) != 0)
        return -errno;
    return 0;
}

static char *session_record(const struct rec_ctl *c)
{
    json_t *stream = c->json ? json_loads(c->json, 0, NULL) : NULL;
    json_t *j =
        json_pack("{s:s, s:s, s:I, s:s, s:o}", "room", c->room, "session", c->id, "started_ms",
                  (json_int_t)c->time_ms, "by", c->sub, "stream", stream ? stream : json_null());
    char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return txt;
}

static void on_open(struct tsn_rec_writer *w, struct rec_ctl *c)
{
    struct wsess *s = calloc(1, sizeof *s);
    if (!s || !(s->buf = malloc(BUF_BYTES))) {
        free(s);
        tsn_err("[recorder %s] out of memory", c->id);
        return;
    }
    s->fd = -1;
    s->handle = c->handle;
    snprintf(s->row.id, sizeof s->row.id, "%s", c->id);
    snprintf(s->row.room, sizeof s->row.room, "%s", c->room);
    snprintf(s->row.state, sizeof s->row.state, "recording");
    snprintf(s->row.started_by, sizeof s->row.started_by, "%s", c->sub);
    s->row.started_ms = c->time_ms;
    s->stream_json = c->json ? strdup(c->json) : NULL;
    s->next = w->sessions;
    w->sessions = s;
    atomic_fetch_add(&w->metrics->recordings_active, 1);

    int err = make_dirs(w->cfg->recordings_dir, c->room, c->id, s->dir, sizeof s->dir);
    char path[760];
    if (err == 0) {
        snprintf(path, sizeof path, "%s/media.tsr", s->dir);
        s->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
        if (s->fd < 0)
            err = -errno;
    }
    if (err == 0 && tsn_rec_index_session_begin(w->ix, &s->row) != 0)
        err = -EIO;
    if (err) {
        fail(w, s, -err);
        return;
    }
    uint8_t hdr[TSN_REC_FILE_HEADER];
    tsn_rec_file_header(hdr);
    memcpy(s->buf, hdr, sizeof hdr);
    s->len = sizeof hdr;
    s->row.bytes = 0;
    char *sess = session_record(c);
    uint64_t now_us = (uint64_t)c->time_ms * 1000u;
    if (sess)
        append(w, s, TSN_REC_SESSION, now_us, sess, strlen(sess));
    free(sess);
    if (find(w, c->handle) == s && c->json2)
        append(w, s, TSN_REC_EVENT, now_us, c->json2, strlen(c->json2));
    if (find(w, c->handle) != s || flush(w, s) != 0 || sync_file(w, s) != 0)
        return;
    if (tsn_rec_write_session_json(w->cfg->recordings_dir, &s->row, s->stream_json) != 0)
        tsn_warn("[recorder %s] cannot write session.json", s->row.id);
    audit(w, c->sub, TSN_ROLE_NONE, "record-start", c->room, c->id, "");
    tsn_info("[recorder %s] recording room %s", c->id, c->room);
}

static void on_presence(struct tsn_rec_writer *w, struct rec_ctl *c)
{
    if (!c->member_at_start)
        audit(w, c->sub, c->role, c->joined ? "join" : "leave", c->room, NULL, NULL);
    struct wsess *s = c->handle ? find(w, c->handle) : NULL;
    if (!s)
        return;
    int rc = c->joined
                 ? tsn_rec_index_participant_join(w->ix, s->row.id, c->sub, c->role, c->time_ms)
                 : tsn_rec_index_participant_leave(w->ix, s->row.id, c->sub, c->time_ms);
    if (rc != 0)
        tsn_warn("[recorder %s] cannot write a participant row", s->row.id);
}

static void on_ctl(struct tsn_rec_writer *w, struct rec_ctl *c)
{
    struct wsess *s;
    switch (c->type) {
    case REC_CTL_OPEN:
        on_open(w, c);
        break;
    case REC_CTL_PRESENCE:
        on_presence(w, c);
        break;
    case REC_CTL_AUDIT:
        audit(w, c->sub, c->role, c->text, c->room, NULL, c->json);
        break;
    case REC_CTL_EVENT:
        if ((s = find(w, c->handle)) &&
            append(w, s, TSN_REC_EVENT, (uint64_t)tsn_unix_ms() * 1000u, c->json, c->json_len) == 0)
            s->row.events++;
        break;
    case REC_CTL_CLOSE:
        if ((s = find(w, c->handle)))
            stop_session(w, s, c->sub, c->text);
        break;
    }
}

/* --- media ----------------------------------------------------------------- */

static void on_item(struct tsn_rec_writer *w, const struct tsn_rec_item *it)
{
    struct wsess *s = find(w, it->handle);
    if (!s)
        return; /* stopped: its last packets go nowhere */
    if (append(w, s, (enum tsn_rec_type)it->type, it->time_us, it->data, it->len) != 0)
        return;
    if (it->type == TSN_REC_STREAM) {
        json_t *j = json_loadb((const char *)it->data, it->len, 0, NULL);
        const char *codec = json_string_value(json_object_get(j, "codec"));
        if (codec)
            snprintf(s->row.codec, sizeof s->row.codec, "%s", codec);
        json_decref(j);
        s->have_ts = 0;
        return;
    }
    if (it->type != TSN_REC_RTP || it->len < 12)
        return;
    uint32_t ts = (uint32_t)it->data[4] << 24 | (uint32_t)it->data[5] << 16 |
                  (uint32_t)it->data[6] << 8 | it->data[7];
    s->row.packets++;
    if (!s->have_ts || ts != s->last_ts)
        s->row.frames++;
    s->have_ts = 1;
    s->last_ts = ts;
    if (!s->first_rtp_us)
        s->first_rtp_us = it->time_us;
    s->last_rtp_us = it->time_us;
}

/* --- periodic work --------------------------------------------------------- */

static uint64_t free_bytes(const char *dir)
{
    struct statvfs v;
    if (statvfs(dir, &v) != 0)
        return UINT64_MAX;
    return (uint64_t)v.f_bavail * v.f_frsize;
}

static void periodic(struct tsn_rec_writer *w, uint64_t now)
{
    if (now - w->last_write_us >= WRITE_EVERY_US) {
        w->last_write_us = now;
        for (struct wsess *s = w->sessions, *next; s; s = next) {
            next = s->next;
            flush(w, s);
        }
    }
    if (now - w->last_sync_us >= (uint64_t)w->cfg->record_fsync_ms * 1000u) {
        w->last_sync_us = now;
        for (struct wsess *s = w->sessions, *next; s; s = next) {
            next = s->next;
            sync_file(w, s);
        }
    }
    if (now - w->last_index_us >= INDEX_EVERY_US) {
        w->last_index_us = now;
        for (struct wsess *s = w->sessions; s; s = s->next) {
            fill_media_span(s);
            tsn_rec_index_session_update(w->ix, &s->row);
        }
    }
    uint64_t min_free = (uint64_t)w->cfg->record_min_free_mb << 20;
    if (w->sessions && min_free && now - w->last_space_us >= SPACE_EVERY_US) {
        w->last_space_us = now;
        /* Stop while half the reserve is still free: the index, exports and
         * the rest of the system keep room to work. */
        if (free_bytes(w->cfg->recordings_dir) < min_free / 2)
            while (w->sessions) {
                struct wsess *s = w->sessions;
                const char *why = "disk nearly full: recording stopped";
                tsn_err("[recorder %s] %s", s->row.id, why);
                tsn_metric_add(&w->metrics->recording_failures, 1);
                post_note(w, s, why);
                flush(w, s);
                if (w->sessions == s) {
                    sync_file(w, s);
                    if (w->sessions == s)
                        close_file(w, s, "failed", why);
                }
            }
    }
    if (w->cfg->retention_days && now - w->last_retain_us >= RETAIN_EVERY_US) {
        w->last_retain_us = now;
        tsn_rec_retention(w->ix, w->cfg->recordings_dir, w->cfg->retention_days, tsn_unix_ms());
    }
}

/* Takes the posted control items and applies all but the closes, which are
 * appended to *closes (applied after the media that preceded them). */
static void take_control(struct tsn_rec_writer *w, struct rec_ctl ***ctail)
{
    pthread_mutex_lock(&w->lock);
    struct rec_ctl *list = w->head;
    w->head = w->tail = NULL;
    w->n_queued = 0;
    pthread_mutex_unlock(&w->lock);
    while (list) {
        struct rec_ctl *c = list;
        list = c->next;
        c->next = NULL;
        if (c->type == REC_CTL_CLOSE) {
            **ctail = c;
            *ctail = &c->next;
            continue;
        }
        on_ctl(w, c);
        rec_ctl_free(c);
    }
}

static void *run(void *arg)
{
    struct tsn_rec_writer *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        if (!w->head && !w->stopping) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += TICK_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&w->cond, &w->lock, &until);
        }
        int stopping = w->stopping;
        pthread_mutex_unlock(&w->lock);

        /* Opens, events and joins first, then the media they may precede,
         * then the closes (so a stop keeps the packets queued before it). */
        struct rec_ctl *closes = NULL, **ctail = &closes;
        take_control(w, &ctail);
        const struct tsn_rec_item *it;
        uint32_t looked_for = 0;
        /* At most one ring's worth per turn: a producer faster than the disk
         * must not starve the periodic writes, syncs and closes. */
        for (unsigned n = 0; n < RING_SLOTS && (it = tsn_rec_ring_peek(w->ring)); n++) {
            /* A session's open is posted before the media thread hears of
             * it, so an unknown handle means its open was posted after the
             * control items were taken: take them again, once per handle. */
            if (!find(w, it->handle) && it->handle != looked_for) {
                looked_for = it->handle;
                take_control(w, &ctail);
            }
            on_item(w, it);
            tsn_rec_ring_pop(w->ring);
        }
        while (closes) {
            struct rec_ctl *c = closes;
            closes = c->next;
            on_ctl(w, c);
            rec_ctl_free(c);
        }
        periodic(w, tsn_mono_us());
        if (stopping) {
            while (w->sessions)
                stop_session(w, w->sessions, "relay", "relay stopped");
            return NULL;
        }
    }
}

/* --- life cycle ------------------------------------------------------------ */

struct tsn_rec_writer *tsn_rec_writer_new(const struct tsn_config *cfg, struct tsn_metrics *metrics,
                                          void (*wake)(void *user), void *wake_user, char *why,
                                          size_t why_len)
{
    if (mkdir(cfg->recordings_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(why, why_len, "cannot create %s: %s", cfg->recordings_dir, strerror(errno));
        return NULL;
    }
    struct tsn_rec_writer *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    w->cfg = cfg;
    w->metrics = metrics;
    w->wake = wake;
    w->wake_user = wake_user;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    char path[600];
    snprintf(path, sizeof path, "%s/index.sqlite", cfg->recordings_dir);
    w->ix = tsn_rec_index_open(path, why, why_len);
    w->ring = w->ix ? tsn_rec_ring_new(RING_SLOTS) : NULL;
    if (!w->ring) {
        if (w->ix)
            snprintf(why, why_len, "out of memory");
        tsn_rec_writer_free(w);
        return NULL;
    }
    tsn_rec_recover(w->ix, cfg->recordings_dir);
    if (cfg->retention_days)
        tsn_rec_retention(w->ix, cfg->recordings_dir, cfg->retention_days, tsn_unix_ms());
    w->last_retain_us = w->last_write_us = w->last_sync_us = tsn_mono_us();
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        snprintf(why, why_len, "cannot start the writer thread");
        tsn_rec_writer_free(w);
        return NULL;
    }
    w->started = 1;
    return w;
}

void tsn_rec_writer_free(struct tsn_rec_writer *w)
{
    if (!w)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->stopping = 1;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    }
    while (w->head) {
        struct rec_ctl *c = w->head;
        w->head = c->next;
        rec_ctl_free(c);
    }
    tsn_rec_index_close(w->ix);
    tsn_rec_ring_free(w->ring);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

struct tsn_rec_ring *tsn_rec_writer_ring(struct tsn_rec_writer *w)
{
    return w->ring;
}

void tsn_rec_writer_post(struct tsn_rec_writer *w, struct rec_ctl *c)
{
    c->next = NULL;
    pthread_mutex_lock(&w->lock);
    /* A writer stuck on a slow disk must not make the queue grow without
     * bound: past the limit events, joins and audit entries are dropped
     * (and counted); starts and stops always go through. */
    if (w->n_queued >= MAX_QUEUED && c->type != REC_CTL_OPEN && c->type != REC_CTL_CLOSE) {
        pthread_mutex_unlock(&w->lock);
        tsn_metric_add(&w->metrics->recording_dropped, 1);
        rec_ctl_free(c);
        return;
    }
    w->n_queued++;
    if (w->tail)
        w->tail->next = c;
    else
        w->head = c;
    w->tail = c;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}
