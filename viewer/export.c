/* One export run (see export.h).
 *
 * Ownership: struct run owns everything one export allocates (frame table,
 * events, timeline, pipeline, temporary files); run_free releases it and
 * removes whatever temporary file is still there, so a failed run leaves no
 * partial output behind. */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "annot_state.h"
#include "export_annot.h"
#include "export_pipe.h"
#include "export_scan.h"
#include "export_timeline.h"
#include "reclog.h"

enum { OUT_VIDEO, OUT_BURN, OUT_ANNOT, N_OUT };

struct output {
    char path[PATH_MAX];
    char tmp[PATH_MAX];
    int wanted, tmp_exists;
};

struct log_stats {
    uint64_t skipped_bytes, damaged, torn_tail;
};

struct run {
    const struct tsn_export_opts *o;
    const volatile int *stop;
    char log_path[PATH_MAX];
    char dir[PATH_MAX];
    struct output out[N_OUT];
    /* pass 1 */
    struct tsn_export_frame_ref *frames;
    size_t n_frames, cap_frames;
    int64_t last_duration_90k;
    struct tsn_export_annot *annot;
    uint64_t bad_events;
    int oom;
    struct tsn_export_scan_stats scan;
    enum tsn_export_codec codec;
    json_t *stream_meta, *session;
    struct log_stats log;
    /* pass 2 */
    struct tsn_export_timeline *timeline;
    struct tsn_export_pipe *pipe;
    int push_rc;
    char why[512];
    struct tsn_export_pipe_result res;
    int64_t started_us;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void run_free(struct run *r)
{
    tsn_export_pipe_free(r->pipe);
    for (int i = 0; i < N_OUT; i++)
        if (r->out[i].tmp_exists)
            unlink(r->out[i].tmp);
    tsn_export_timeline_free(r->timeline);
    tsn_export_annot_free(r->annot);
    json_decref(r->stream_meta);
    json_decref(r->session);
    free(r->frames);
    free(r->res.remux_pts_ns);
}

/* ---- failure reporting ---- */

static int fail(struct run *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct run *r, int code, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "error: %s\n", msg);
    if (r->o->json) {
        json_t *j = json_pack("{s:s, s:i}", "error", msg, "exit", code);
        if (j) {
            json_dumpf(j, stdout, JSON_COMPACT);
            fputc('\n', stdout);
            json_decref(j);
        }
    }
    return code;
}

static int stopped(struct run *r)
{
    return fail(r, 128 + *r->stop, "interrupted by signal %d: nothing written", *r->stop);
}

/* ---- paths ---- */

static int join(char *dst, size_t len, const char *a, const char *b)
{
    int n = snprintf(dst, len, "%s/%s", a, b);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* SESSION_DIR (or a media.tsr file) -> the log's path and the directory. */
static int locate(struct run *r)
{
    const char *arg = r->o->session_dir;
    struct stat st;
    if (stat(arg, &st) != 0)
        return fail(r, TSN_EXPORT_EXIT_NOT_RECORDING, "%s: not a readable recording: %s", arg,
                    strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        snprintf(r->dir, sizeof r->dir, "%s", arg);
        if (join(r->log_path, sizeof r->log_path, arg, "media.tsr") != 0)
            return fail(r, TSN_EXPORT_EXIT_USAGE, "%s: path too long", arg);
        return 0;
    }
    snprintf(r->log_path, sizeof r->log_path, "%s", arg);
    snprintf(r->dir, sizeof r->dir, "%s", arg);
    char *slash = strrchr(r->dir, '/');
    if (!slash)
        snprintf(r->dir, sizeof r->dir, ".");
    else if (slash == r->dir)
        r->dir[1] = '\0';
    else
        *slash = '\0';
    return 0;
}

/* Output paths: the flags', or SESSION_DIR/export/<default> (made here). */
static int resolve_outputs(struct run *r)
{
    const struct tsn_export_opts *o = r->o;
    const char *vname = r->codec == TSN_EXPORT_VP8 ? "recording.webm" : "recording.mp4";
    const char *given[N_OUT] = {o->out, o->burn_out, o->annotations};
    const char *names[N_OUT] = {vname, "annotated.mp4", "annotations.json"};
    char exp_dir[PATH_MAX];
    if (join(exp_dir, sizeof exp_dir, r->dir, "export") != 0)
        return fail(r, TSN_EXPORT_EXIT_USAGE, "%s: path too long", r->dir);
    r->out[OUT_VIDEO].wanted = r->out[OUT_ANNOT].wanted = 1;
    r->out[OUT_BURN].wanted = o->burn_in;
    for (int i = 0; i < N_OUT; i++) {
        struct output *w = &r->out[i];
        if (!w->wanted)
            continue;
        if (given[i]) {
            snprintf(w->path, sizeof w->path, "%s", given[i]);
            continue;
        }
        if (mkdir(exp_dir, 0755) != 0 && errno != EEXIST)
            return fail(r, TSN_EXPORT_EXIT_OUTPUT, "cannot create %s: %s", exp_dir,
                        strerror(errno));
        if (join(w->path, sizeof w->path, exp_dir, names[i]) != 0)
            return fail(r, TSN_EXPORT_EXIT_USAGE, "%s: path too long", exp_dir);
    }
    for (int i = 0; i < N_OUT; i++)
        for (int j = i + 1; j < N_OUT; j++)
            if (r->out[i].wanted && r->out[j].wanted && strcmp(r->out[i].path, r->out[j].path) == 0)
                return fail(r, TSN_EXPORT_EXIT_USAGE, "two outputs have the same name %s",
                            r->out[i].path);
    return 0;
}

/* Creates each output's temporary file ("DIR/.NAME.part-PID"), which also
 * proves the directory is writable before any work. */
static int create_temps(struct run *r)
{
    for (int i = 0; i < N_OUT; i++) {
        struct output *w = &r->out[i];
        if (!w->wanted)
            continue;
        const char *slash = strrchr(w->path, '/');
        int dl = slash ? (int)(slash - w->path) + 1 : 0;
        char tmp[PATH_MAX]; /* (not straight into w->tmp: GCC's -Wrestrict sees one object) */
        int n = snprintf(tmp, sizeof tmp, "%.*s.%s.part-%ld", dl, w->path,
                         slash ? slash + 1 : w->path, (long)getpid());
        if (n < 0 || (size_t)n >= sizeof tmp)
            return fail(r, TSN_EXPORT_EXIT_USAGE, "%s: path too long", w->path);
        memcpy(w->tmp, tmp, (size_t)n + 1);
        int fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
            return fail(r, TSN_EXPORT_EXIT_OUTPUT, "cannot write %s: %s", w->path, strerror(errno));
        close(fd);
        w->tmp_exists = 1;
    }
    return 0;
}

/* fsync + rename of one finished temporary file. */
static int commit(struct run *r, struct output *w)
{
    int fd = open(w->tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0 || rename(w->tmp, w->path) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return fail(r, TSN_EXPORT_EXIT_OUTPUT, "cannot write %s: %s", w->path, strerror(e));
    }
    close(fd);
    w->tmp_exists = 0;
    return 0;
}

/* ---- reading the log ---- */

static void on_frame_collect(void *ctx, const struct tsn_export_frame *f)
{
    struct run *r = ctx;
    if (r->n_frames == r->cap_frames) {
        size_t cap = r->cap_frames ? 2 * r->cap_frames : 1024;
        struct tsn_export_frame_ref *n = realloc(r->frames, cap * sizeof *n);
        if (!n) {
            r->oom = 1;
            return;
        }
        r->frames = n;
        r->cap_frames = cap;
    }
    r->frames[r->n_frames++] = (struct tsn_export_frame_ref){
        .rtp_ts = f->rtp_ts,
        .pts_90k = f->pts_90k,
        .capture_ms = f->capture_ms,
        .time_us = f->time_us,
    };
    r->last_duration_90k = f->duration_90k;
}

static void on_event_collect(void *ctx, const struct tsn_rec *rec)
{
    struct run *r = ctx;
    int rc = tsn_export_annot_add(r->annot, rec->payload, rec->len, rec->time_us);
    if (rc == -ENOMEM)
        r->oom = 1;
    else if (rc < 0)
        r->bad_events++;
}

static void on_frame_push(void *ctx, const struct tsn_export_frame *f)
{
    struct run *r = ctx;
    if (r->push_rc == 0)
        r->push_rc = tsn_export_pipe_push(r->pipe, f, r->stop, r->why, sizeof r->why);
}

/* Feeds every record of the log to a scanner. pass1: warn about damage and
 * keep the scan's results. Returns 0, or an exit status after reporting. */
static int read_log(struct run *r, int pass1)
{
    struct tsn_export_scan_cb cb = {.frame = pass1 ? on_frame_collect : on_frame_push,
                                    .event = pass1 ? on_event_collect : NULL};
    struct tsn_rec_reader *rd = tsn_rec_reader_open(r->log_path);
    if (!rd)
        return fail(
            r, TSN_EXPORT_EXIT_NOT_RECORDING, "%s: not a readable recording: %s", r->log_path,
            errno == EBADMSG ? "not a telesono packet log (bad file header)" : strerror(errno));
    struct tsn_export_scan *scan = tsn_export_scan_new((size_t)r->o->window, &cb, r);
    int rc = scan ? 0 : fail(r, TSN_EXPORT_EXIT_OUTPUT, "out of memory");
    while (rc == 0 && !r->oom && r->push_rc == 0 && !*r->stop) {
        struct tsn_rec rec;
        uint64_t skipped = 0, at = 0;
        int n = tsn_rec_reader_next(rd, &rec, &skipped, &at);
        if (skipped && pass1)
            fprintf(stderr,
                    "warning: %s: skipped %" PRIu64 " damaged bytes at offset %" PRIu64 "\n",
                    r->log_path, skipped, at);
        if (n < 0)
            rc = fail(r, TSN_EXPORT_EXIT_NOT_RECORDING, "%s: read error: %s", r->log_path,
                      strerror(-n));
        if (n <= 0)
            break;
        if (tsn_export_scan_record(scan, &rec) != 0)
            r->oom = 1;
    }
    if (rc == 0 && !*r->stop)
        tsn_export_scan_finish(scan);
    if (rc == 0 && r->oom)
        rc = fail(r, TSN_EXPORT_EXIT_OUTPUT, "out of memory");
    if (rc == 0 && pass1) {
        const struct tsn_rec_reader_stats *ls = tsn_rec_reader_stats(rd);
        r->log = (struct log_stats){ls->bytes_skipped, ls->damaged, ls->torn_tail};
        tsn_export_scan_stats(scan, &r->scan);
        r->codec = tsn_export_scan_codec(scan);
        r->stream_meta = json_incref((json_t *)tsn_export_scan_stream_meta(scan));
        r->session = json_incref((json_t *)tsn_export_scan_session(scan));
        if (ls->torn_tail)
            fprintf(stderr,
                    "info: %s: torn tail: the last %" PRIu64 " bytes are a record cut short "
                    "(the recorder stopped mid-write); ignored\n",
                    r->log_path, ls->torn_tail);
    }
    tsn_export_scan_free(scan);
    tsn_rec_reader_free(rd);
    return rc;
}

/* ---- after the pipeline ---- */

/* When the muxer took other frames than the scan kept (it should not), the
 * muxer's PTS become the frame list and events move to the frame shown at
 * their scanned frame's time. */
static void reconcile(struct run *r)
{
    const struct tsn_export_pipe_result *res = &r->res;
    int same = res->remux_frames == r->n_frames && res->remux_pts_ns;
    for (size_t i = 0; same && i < r->n_frames; i++)
        same = res->remux_pts_ns[i] == tsn_export_ns_of_90k(r->frames[i].pts_90k);
    if (same || !res->remux_pts_ns || res->remux_frames == 0)
        return;
    fprintf(stderr,
            "warning: %s: the muxer took %" PRIu64 " frames where the scan kept %zu; "
            "annotation frames follow the muxer's\n",
            r->log_path, res->remux_frames, r->n_frames);
    struct tsn_export_frame_ref *muxed = calloc(res->remux_frames, sizeof *muxed);
    if (!muxed)
        return;
    for (uint64_t i = 0; i < res->remux_frames; i++)
        muxed[i].pts_90k = (int64_t)(res->remux_pts_ns[i] * 9 / 100000);
    for (size_t e = 0; e < tsn_export_annot_count(r->annot); e++) {
        uint64_t t = tsn_export_ns_of_90k(r->frames[tsn_export_annot_frame(r->annot, e)].pts_90k);
        size_t k = 0;
        for (uint64_t i = 0; i < res->remux_frames; i++)
            if (res->remux_pts_ns[i] <= t)
                k = (size_t)i;
        tsn_export_annot_set_frame(r->annot, e, k);
    }
    free(r->frames);
    r->frames = muxed;
    r->n_frames = r->cap_frames = (size_t)res->remux_frames;
}

static const char *json_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static json_t *load_session_json(struct run *r)
{
    char path[PATH_MAX];
    if (join(path, sizeof path, r->dir, "session.json") != 0)
        return NULL;
    return json_load_file(path, 0, NULL);
}

/* The session id and room: the SESSION record's, else session.json's. */
static int write_annotations(struct run *r)
{
    json_t *sj = load_session_json(r);
    const char *id = json_str(r->session, "session");
    const char *room = json_str(r->session, "room");
    if (!id)
        id = json_str(sj, "id");
    if (!room)
        room = json_str(sj, "room");
    const char *vfile = strrchr(r->out[OUT_VIDEO].path, '/');
    vfile = vfile ? vfile + 1 : r->out[OUT_VIDEO].path;
    int64_t dur = r->frames[r->n_frames - 1].pts_90k + r->last_duration_90k;
    json_t *doc = tsn_export_annot_document(r->annot, id, room, r->stream_meta, vfile, r->frames,
                                            r->n_frames, dur);
    json_decref(sj);
    if (!doc)
        return fail(r, TSN_EXPORT_EXIT_OUTPUT, "out of memory");
    struct output *w = &r->out[OUT_ANNOT];
    FILE *f = fopen(w->tmp, "we");
    int bad = !f || json_dumpf(doc, f, TSN_ANNOT_JSON_FLAGS) != 0 || fputc('\n', f) == EOF;
    bad |= f && fclose(f) != 0;
    json_decref(doc);
    if (bad)
        return fail(r, TSN_EXPORT_EXIT_OUTPUT, "cannot write %s: %s", w->path, strerror(errno));
    return 0;
}

static void print_summary(struct run *r)
{
    int64_t dur = r->frames[r->n_frames - 1].pts_90k + r->last_duration_90k;
    double elapsed_s = (double)(mono_us() - r->started_us) / 1e6;
    json_t *outs = json_pack("{s:s, s:s}", "recording", r->out[OUT_VIDEO].path, "annotations",
                             r->out[OUT_ANNOT].path);
    if (outs && r->out[OUT_BURN].wanted)
        json_object_set_new(outs, "annotated", json_string(r->out[OUT_BURN].path));
    const struct tsn_export_scan_stats *s = &r->scan;
    json_t *j = json_pack(
        "{s:I, s:f, s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:o, s:{s:I, s:I, s:I}, s:I, "
        "s:{s:I, s:I, s:I, s:I, s:I}, s:f}",
        "frames", (json_int_t)r->n_frames, "duration_ms", tsn_export_ms_of_90k(dur), "codec",
        tsn_export_codec_name(r->codec), "width", r->res.width, "height", r->res.height, "events",
        (json_int_t)tsn_export_annot_count(r->annot), "skipped_bytes",
        (json_int_t)r->log.skipped_bytes, "damaged", (json_int_t)r->log.damaged, "torn_tail_bytes",
        (json_int_t)r->log.torn_tail, "outputs", outs ? outs : json_null(), "dropped_frames",
        "incomplete", (json_int_t)s->frames_incomplete, "before_key",
        (json_int_t)s->frames_before_key, "out_of_order", (json_int_t)s->frames_out_of_order,
        "annotated_frames", (json_int_t)r->res.burn_frames, "packets", "rtp",
        (json_int_t)s->rtp_records, "duplicates", (json_int_t)s->reorder.duplicates, "late",
        (json_int_t)s->reorder.late, "missing", (json_int_t)s->reorder.missing, "generations",
        (json_int_t)s->generations, "elapsed_s", elapsed_s);
    if (!j)
        return;
    json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(10));
    fputc('\n', stdout);
    fflush(stdout);
    json_decref(j);
}

/* ---- the run ---- */

static int scan_and_prepare(struct run *r)
{
    int rc = read_log(r, 1);
    if (rc != 0)
        return rc;
    if (*r->stop)
        return stopped(r);
    if (r->n_frames == 0)
        return fail(r, TSN_EXPORT_EXIT_NO_VIDEO,
                    "%s: no decodable video: no complete key frame among %" PRIu64
                    " RTP packets (%" PRIu64 " frames before a key frame, %" PRIu64 " incomplete)",
                    r->log_path, r->scan.rtp_records, r->scan.frames_before_key,
                    r->scan.frames_incomplete);
    if (r->bad_events)
        fprintf(stderr, "warning: %s: %" PRIu64 " event records are not JSON objects; left out\n",
                r->log_path, r->bad_events);
    if ((rc = resolve_outputs(r)) != 0 || (rc = create_temps(r)) != 0)
        return rc;
    tsn_export_annot_map(r->annot, r->frames, r->n_frames, NULL);
    if (r->o->burn_in) {
        r->timeline = tsn_export_timeline_build(r->annot, r->frames, r->n_frames, NULL);
        if (!r->timeline)
            return fail(r, TSN_EXPORT_EXIT_OUTPUT, "out of memory");
    }
    return 0;
}

static int encode(struct run *r)
{
    struct tsn_export_pipe_cfg cfg = {
        .codec = r->codec,
        .remux_path = r->out[OUT_VIDEO].tmp,
        .burn_path = r->o->burn_in ? r->out[OUT_BURN].tmp : NULL,
        .timeline = r->timeline,
        .frame_ns = tsn_export_ns_of_90k(r->last_duration_90k),
        .h264_in_band = r->scan.config_changes > 0,
    };
    if (cfg.h264_in_band)
        fprintf(stderr,
                "info: %s: a later publisher sent other H.264 parameter sets: the MP4 carries "
                "them in-band (avc3)\n",
                r->log_path);
    if (tsn_export_pipe_check(r->codec, r->o->burn_in, r->why, sizeof r->why) != 0)
        return fail(r, TSN_EXPORT_EXIT_OUTPUT, "%s", r->why);
    r->pipe = tsn_export_pipe_new(&cfg, r->why, sizeof r->why);
    if (!r->pipe)
        return fail(r, TSN_EXPORT_EXIT_OUTPUT, "%s", r->why);
    int rc = read_log(r, 0);
    if (rc != 0)
        return rc;
    if (*r->stop || r->push_rc == -EINTR)
        return stopped(r);
    if (r->push_rc != 0)
        return fail(r, TSN_EXPORT_EXIT_OUTPUT, "cannot write the video: %s", r->why);
    rc = tsn_export_pipe_finish(r->pipe, &r->res, r->stop, r->why, sizeof r->why);
    if (rc == -EINTR)
        return stopped(r);
    if (rc != 0)
        return fail(r, TSN_EXPORT_EXIT_OUTPUT, "cannot write the video: %s", r->why);
    if (r->res.cut)
        fprintf(stderr,
                "warning: %s: the picture changed from %dx%d to %dx%d at %.3f s (a new "
                "publisher); one file holds one size, so the video ends there\n",
                r->log_path, r->res.width, r->res.height, r->res.cut_width, r->res.cut_height,
                (double)r->res.cut_pts_ns / 1e9);
    if (r->o->burn_in && r->res.burn_frames != r->res.remux_frames)
        fprintf(stderr,
                "warning: %s: the annotated copy has %" PRIu64 " frames, the video %" PRIu64
                " (the decoder dropped damaged ones)\n",
                r->log_path, r->res.burn_frames, r->res.remux_frames);
    return 0;
}

int tsn_export_run(const struct tsn_export_opts *o, const volatile int *stop)
{
    struct run r = {.o = o, .stop = stop, .started_us = mono_us()};
    int rc = locate(&r);
    if (rc != 0)
        return rc;
    r.annot = tsn_export_annot_new();
    if (!r.annot)
        return fail(&r, TSN_EXPORT_EXIT_OUTPUT, "out of memory");
    if ((rc = scan_and_prepare(&r)) != 0 || (rc = encode(&r)) != 0)
        goto out;
    tsn_export_pipe_free(r.pipe); /* files closed and scratch files gone */
    r.pipe = NULL;
    reconcile(&r);
    if ((rc = write_annotations(&r)) != 0)
        goto out;
    for (int i = 0; i < N_OUT && rc == 0; i++)
        if (r.out[i].wanted)
            rc = commit(&r, &r.out[i]);
    if (rc == 0 && o->json)
        print_summary(&r);
out:
    run_free(&r);
    return rc;
}
