/* telesono-view statistics and their JSON (see view_stats.h). */
#include "view_stats.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "latency_stats.h"

struct outage {
    int64_t start_unix_ms;
    int64_t end_unix_ms;
};

struct tsn_view_stats {
    pthread_mutex_t lock; /* guards every field below */
    int64_t start_unix_us;
    const char *state; /* static string */
    char codec[16];
    char *stream_json;     /* (owned, nullable) */
    int64_t first_join_us; /* -1 until the first join */
    int64_t attempts;
    int64_t connections;
    int has_dump;
    uint64_t dump_written, dump_dropped, dump_failed;
    int has_annot;
    struct tsn_view_annot_counts annot;
    /* frames */
    int64_t frames;
    int64_t frames_no_capture;
    int64_t first_frame_us; /* -1 until the first frame */
    int64_t last_frame_us;  /* -1 until the first frame */
    struct tsn_latency_stats *latency;
    /* RTP */
    int64_t bytes;
    int64_t packets;
    int64_t first_rtp_us; /* -1 until the first packet */
    int64_t last_rtp_us;
    /* receiver counters: totals of closed connections + the current one */
    struct tsn_view_rtcp_counters closed, current;
    /* outages */
    struct outage *outages; /* TSN_VIEW_MAX_OUTAGES entries */
    size_t n_outages;
    int64_t outage_count;
};

static const struct tsn_view_rtcp_counters zero_counters = {0, 0, 0, 0};

struct tsn_view_stats *tsn_view_stats_new(int64_t start_unix_us)
{
    struct tsn_view_stats *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->lock, NULL);
    s->outages = calloc(TSN_VIEW_MAX_OUTAGES, sizeof *s->outages);
    s->latency = tsn_latency_stats_new(0);
    if (!s->outages || !s->latency) {
        tsn_view_stats_free(s);
        return NULL;
    }
    s->start_unix_us = start_unix_us;
    s->state = "connecting";
    s->first_join_us = s->first_frame_us = s->last_frame_us = s->first_rtp_us = -1;
    s->closed = s->current = zero_counters;
    return s;
}

void tsn_view_stats_free(struct tsn_view_stats *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    tsn_latency_stats_free(s->latency);
    free(s->outages);
    free(s->stream_json);
    free(s);
}

void tsn_view_stats_attempt(struct tsn_view_stats *s)
{
    pthread_mutex_lock(&s->lock);
    s->attempts++;
    pthread_mutex_unlock(&s->lock);
}

void tsn_view_stats_joined(struct tsn_view_stats *s, int64_t now_unix_us)
{
    pthread_mutex_lock(&s->lock);
    if (s->first_join_us < 0)
        s->first_join_us = now_unix_us;
    pthread_mutex_unlock(&s->lock);
}

void tsn_view_stats_connected(struct tsn_view_stats *s)
{
    pthread_mutex_lock(&s->lock);
    s->connections++;
    pthread_mutex_unlock(&s->lock);
}

void tsn_view_stats_set_dump(struct tsn_view_stats *s, uint64_t written, uint64_t dropped,
                             uint64_t failed)
{
    pthread_mutex_lock(&s->lock);
    s->has_dump = 1;
    s->dump_written = written;
    s->dump_dropped = dropped;
    s->dump_failed = failed;
    pthread_mutex_unlock(&s->lock);
}

void tsn_view_stats_set_annotations(struct tsn_view_stats *s, const struct tsn_view_annot_counts *c)
{
    pthread_mutex_lock(&s->lock);
    s->has_annot = 1;
    s->annot = *c;
    pthread_mutex_unlock(&s->lock);
}

void tsn_view_stats_set_state(struct tsn_view_stats *s, const char *state)
{
    pthread_mutex_lock(&s->lock);
    s->state = state;
    pthread_mutex_unlock(&s->lock);
}

void tsn_view_stats_set_codec(struct tsn_view_stats *s, const char *codec)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->codec, sizeof s->codec, "%s", codec ? codec : "");
    pthread_mutex_unlock(&s->lock);
}

void tsn_view_stats_set_stream(struct tsn_view_stats *s, const char *stream_json)
{
    char *copy = stream_json ? strdup(stream_json) : NULL;
    pthread_mutex_lock(&s->lock);
    free(s->stream_json);
    s->stream_json = copy;
    pthread_mutex_unlock(&s->lock);
}

/* Caller holds the lock. */
static void note_outage(struct tsn_view_stats *s, int64_t start_us, int64_t end_us)
{
    s->outage_count++;
    if (s->n_outages == TSN_VIEW_MAX_OUTAGES)
        return;
    s->outages[s->n_outages++] = (struct outage){start_us / 1000, end_us / 1000};
}

void tsn_view_stats_frame(struct tsn_view_stats *s, int64_t now_unix_us, int64_t capture_unix_us)
{
    pthread_mutex_lock(&s->lock);
    if (s->last_frame_us >= 0 && now_unix_us - s->last_frame_us > TSN_VIEW_OUTAGE_MS * 1000LL)
        note_outage(s, s->last_frame_us, now_unix_us);
    if (s->first_frame_us < 0)
        s->first_frame_us = now_unix_us;
    if (now_unix_us > s->last_frame_us)
        s->last_frame_us = now_unix_us;
    s->frames++;
    if (capture_unix_us < 0)
        s->frames_no_capture++;
    else
        tsn_latency_stats_add(s->latency, (double)(now_unix_us - capture_unix_us) / 1000.0);
    pthread_mutex_unlock(&s->lock);
}

void tsn_view_stats_rtp(struct tsn_view_stats *s, size_t bytes, int64_t now_unix_us)
{
    pthread_mutex_lock(&s->lock);
    if (s->first_rtp_us < 0)
        s->first_rtp_us = now_unix_us;
    s->last_rtp_us = now_unix_us;
    s->bytes += (int64_t)bytes;
    s->packets++;
    pthread_mutex_unlock(&s->lock);
}

void tsn_view_stats_set_rtcp(struct tsn_view_stats *s, const struct tsn_view_rtcp_counters *c)
{
    pthread_mutex_lock(&s->lock);
    if (c->packets_lost >= 0)
        s->current.packets_lost = c->packets_lost;
    if (c->nack_count >= 0)
        s->current.nack_count = c->nack_count;
    if (c->pli_count >= 0)
        s->current.pli_count = c->pli_count;
    if (c->fir_count >= 0)
        s->current.fir_count = c->fir_count;
    pthread_mutex_unlock(&s->lock);
}

void tsn_view_stats_connection_closed(struct tsn_view_stats *s)
{
    pthread_mutex_lock(&s->lock);
    s->closed.packets_lost += s->current.packets_lost;
    s->closed.nack_count += s->current.nack_count;
    s->closed.pli_count += s->current.pli_count;
    s->closed.fir_count += s->current.fir_count;
    s->current = zero_counters;
    pthread_mutex_unlock(&s->lock);
}

int64_t tsn_view_stats_frames(struct tsn_view_stats *s)
{
    pthread_mutex_lock(&s->lock);
    int64_t n = s->frames;
    pthread_mutex_unlock(&s->lock);
    return n;
}

int64_t tsn_view_stats_last_frame_us(struct tsn_view_stats *s)
{
    pthread_mutex_lock(&s->lock);
    int64_t t = s->last_frame_us;
    pthread_mutex_unlock(&s->lock);
    return t;
}

/* ---- JSON ---- */

static json_t *ms_or_null(int64_t from_us, int64_t to_us)
{
    return from_us >= 0 && to_us >= 0 ? json_integer((to_us - from_us) / 1000) : json_null();
}

/* Frames per second over the span of decoded frames: (n - 1) intervals. */
static json_t *fps_json(const struct tsn_view_stats *s)
{
    int64_t span_us = s->last_frame_us - s->first_frame_us;
    if (s->frames < 2 || span_us <= 0)
        return json_null();
    return json_real((double)(s->frames - 1) * 1e6 / (double)span_us);
}

static json_t *bitrate_json(const struct tsn_view_stats *s)
{
    int64_t span_us = s->last_rtp_us - s->first_rtp_us;
    if (s->first_rtp_us < 0 || span_us <= 0)
        return json_null();
    return json_real((double)s->bytes * 8.0 * 1000.0 / (double)span_us);
}

static json_t *outages_json(const struct tsn_view_stats *s)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < s->n_outages; i++)
        json_array_append_new(a, json_pack("{s:I, s:I}", "start_unix_ms",
                                           (json_int_t)s->outages[i].start_unix_ms, "end_unix_ms",
                                           (json_int_t)s->outages[i].end_unix_ms));
    return a;
}

static json_t *latency_json(const struct tsn_view_stats *s)
{
    struct tsn_latency_summary sum;
    if (tsn_latency_stats_summary(s->latency, &sum) != 0 || sum.count == 0)
        return json_pack("{s:i, s:n, s:n, s:n, s:n, s:n, s:n}", "count", 0, "min", "p50", "p95",
                         "p99", "max", "mean");
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "count", (json_int_t)sum.count, "min",
                     sum.min_ms, "p50", sum.p50_ms, "p95", sum.p95_ms, "p99", sum.p99_ms, "max",
                     sum.max_ms, "mean", sum.mean_ms);
}

static json_t *dump_json(const struct tsn_view_stats *s)
{
    if (!s->has_dump)
        return json_null();
    return json_pack("{s:I, s:I, s:I}", "written", (json_int_t)s->dump_written, "dropped",
                     (json_int_t)s->dump_dropped, "failed", (json_int_t)s->dump_failed);
}

static json_t *annot_json(const struct tsn_view_stats *s)
{
    const struct tsn_view_annot_counts *a = &s->annot;
    if (!s->has_annot)
        return json_null();
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:f, s:f}", "seq",
                     (json_int_t)a->seq, "marks", (json_int_t)a->marks, "events",
                     (json_int_t)a->events, "snapshots", (json_int_t)a->snapshots, "pointers",
                     (json_int_t)a->pointers, "rejected", (json_int_t)a->rejected, "frozen",
                     a->frozen, "frames_drawn", (json_int_t)a->frames_drawn, "draw_us_mean",
                     a->draw_us_mean, "draw_us_max", a->draw_us_max);
}

static json_t *stream_json(const struct tsn_view_stats *s)
{
    json_t *j = s->stream_json ? json_loads(s->stream_json, 0, NULL) : NULL;
    return j ? j : json_null();
}

static void put(json_t *o, const char *key, json_t *value_take)
{
    json_object_set_new(o, key, value_take ? value_take : json_null());
}

static void put_int(json_t *o, const char *key, int64_t v)
{
    put(o, key, json_integer((json_int_t)v));
}

/* Caller holds the lock. Keys in the order of view_stats.h. */
static void fill(json_t *o, const struct tsn_view_stats *s, int64_t now_unix_us)
{
    put_int(o, "version", TSN_VIEW_STATS_VERSION);
    put(o, "state", json_string(s->state));
    put(o, "codec", s->codec[0] ? json_string(s->codec) : json_null());
    put_int(o, "frames_decoded", s->frames);
    put_int(o, "frames_without_capture_time", s->frames_no_capture);
    put(o, "first_frame_ms", ms_or_null(s->first_join_us, s->first_frame_us));
    put(o, "fps", fps_json(s));
    put(o, "bitrate_kbps", bitrate_json(s));
    put_int(o, "bytes_received", s->bytes);
    put_int(o, "packets_received", s->packets);
    put_int(o, "packets_lost", s->closed.packets_lost + s->current.packets_lost);
    put_int(o, "nack_count", s->closed.nack_count + s->current.nack_count);
    put_int(o, "pli_count", s->closed.pli_count + s->current.pli_count);
    put_int(o, "fir_count", s->closed.fir_count + s->current.fir_count);
    put_int(o, "connect_attempts", s->attempts);
    put_int(o, "connections", s->connections);
    put_int(o, "reconnects", s->connections > 1 ? s->connections - 1 : 0);
    put(o, "outages", outages_json(s));
    put_int(o, "outage_count", s->outage_count);
    put(o, "last_frame_unix_ms",
        s->last_frame_us >= 0 ? json_integer(s->last_frame_us / 1000) : json_null());
    put(o, "current_gap_ms", ms_or_null(s->last_frame_us, now_unix_us));
    put(o, "latency_ms", latency_json(s));
    put(o, "dump", dump_json(s));
    put(o, "annotations", annot_json(s));
    put(o, "stream", stream_json(s));
    put(o, "elapsed_s", json_real((double)(now_unix_us - s->start_unix_us) / 1e6));
    put_int(o, "written_unix_ms", now_unix_us / 1000);
}

json_t *tsn_view_stats_json(struct tsn_view_stats *s, int64_t now_unix_us)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    pthread_mutex_lock(&s->lock);
    fill(o, s, now_unix_us);
    pthread_mutex_unlock(&s->lock);
    return o;
}

int tsn_view_stats_write(struct tsn_view_stats *s, const char *path, int64_t now_unix_us, char *why,
                         size_t why_len)
{
    json_t *j = tsn_view_stats_json(s, now_unix_us);
    char *text = j ? json_dumps(j, JSON_INDENT(1) | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(j);
    if (!text) {
        snprintf(why, why_len, "out of memory");
        return -ENOMEM;
    }
    size_t tmp_len = strlen(path) + 32;
    char *tmp = malloc(tmp_len);
    int rc = 0;
    FILE *f = NULL;
    if (!tmp) {
        rc = -ENOMEM;
        goto out;
    }
    /* Same directory, so rename() is atomic; the pid keeps two viewers writing
     * next to each other from sharing a temporary file. */
    snprintf(tmp, tmp_len, "%s.tmp.%ld", path, (long)getpid());
    f = fopen(tmp, "w");
    if (!f) {
        rc = -errno;
        goto out;
    }
    int bad = fputs(text, f) < 0 || fputc('\n', f) == EOF;
    bad |= fclose(f) != 0;
    if (bad) {
        rc = -EIO;
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rc = -errno;
        unlink(tmp);
    }
out:
    if (rc < 0)
        snprintf(why, why_len, "cannot write %s: %s", path, strerror(-rc));
    free(tmp);
    free(text);
    return rc;
}
