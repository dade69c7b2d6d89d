/* Unit tests for relay/recorder.c and its writer thread (rec_writer.c), on
 * real files in a temporary recordings directory: session ids; a recording
 * from begin to end (the packet log holds SESSION, the snapshot, STREAM,
 * every RTP packet byte for byte, the events and the stop CONTROL record, in
 * that order; the data is on disk within 400 ms without a stop; the index
 * row, participants and audit entries; session.json; owner-only modes);
 * -EALREADY, -EPERM and -ENOSPC refusals; tsn_recorder_free closing an open
 * recording as "relay stopped"; notes from the writer (a write error found
 * by the periodic write, a session directory that cannot be made): returned
 * once for a room still recorded, never for a recording the control side
 * already ended or replaced; and packets put right after begin while the
 * writer is busy still reach the log.
 *
 * Write errors come from RLIMIT_FSIZE (writes past the limit fail with
 * EFBIG, SIGXFSZ ignored): the writer takes them like a full disk. The real
 * full disk is tests/integration/test_record_disk_full.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rec_index.h"
#include "reclog.h"
#include "recorder.h"

#define WRITER_BUF_BYTES (512u * 1024u) /* rec_writer.c BUF_BYTES */

static const char *const STREAM_META = "{\"width\":820,\"height\":616,\"probe\":\"L14\"}";
static const char *const SNAPSHOT = "{\"type\":\"annotations\",\"seq\":4,\"items\":[]}";
static const char *const STREAM_REC =
    "{\"codec\":\"H264\",\"payload_type\":96,\"clock_rate\":90000,\"abs_capture_time_id\":3,"
    "\"generation\":1,\"ssrc\":287454020}";

struct fx {
    char root[64];
    char dir[96]; /* recordings directory (created by tsn_recorder_new) */
    struct tsn_config cfg;
    struct tsn_metrics m;
    atomic_int wakes;
    struct tsn_recorder *rec;
};

static void wake_cb(void *user)
{
    atomic_fetch_add((atomic_int *)user, 1);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->root, sizeof f->root, "/tmp/tsn-test-recorder.XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->dir, sizeof f->dir, "%s/rec", f->root);
    snprintf(f->cfg.recordings_dir, sizeof f->cfg.recordings_dir, "%s", f->dir);
    f->cfg.record_mode = TSN_RECORD_ON_REQUEST;
    f->cfg.record_fsync_ms = 50;
    f->cfg.record_min_free_mb = 0;
    f->cfg.retention_days = 0;
    tsn_metrics_init(&f->m);
    atomic_init(&f->wakes, 0);
    *state = f;
    return 0;
}

static void unlimit_file_size(void);
static int fsize_limited; /* set while RLIMIT_FSIZE is lowered; teardown lifts it */

static int teardown(void **state)
{
    struct fx *f = *state;
    if (fsize_limited)
        unlimit_file_size();
    tsn_recorder_free(f->rec);
    int rc = nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return rc;
}

static struct tsn_recorder *start(struct fx *f)
{
    char why[256] = "";
    f->rec = tsn_recorder_new(&f->cfg, &f->m, wake_cb, &f->wakes, why, sizeof why);
    if (!f->rec)
        fail_msg("tsn_recorder_new: %s", why);
    return f->rec;
}

static void path_of(const struct fx *f, const char *room, const char *id, const char *name,
                    char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s/%s%s%s", f->dir, room, id, name ? "/" : "", name ? name : "");
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static unsigned mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* Polls up to 5 s for the writer to have opened `n` recordings. */
static void wait_active(struct fx *f, int64_t n)
{
    for (int i = 0; i < 500 && atomic_load(&f->m.recordings_active) != n; i++)
        sleep_ms(10);
    assert_int_equal(atomic_load(&f->m.recordings_active), n);
}

/* Polls up to 5 s until session.json says `state`; returns it parsed. */
static json_t *wait_session_json(const struct fx *f, const char *room, const char *id,
                                 const char *state)
{
    char p[256];
    path_of(f, room, id, "session.json", p, sizeof p);
    json_t *j = NULL;
    for (int i = 0; i < 500; i++) {
        j = json_load_file(p, 0, NULL);
        const char *s = json_string_value(json_object_get(j, "state"));
        if (s && strcmp(s, state) == 0)
            return j;
        json_decref(j);
        j = NULL;
        sleep_ms(10);
    }
    fail_msg("%s never said \"%s\"", p, state);
    return NULL;
}

static struct tsn_rec_index *open_index(const struct fx *f)
{
    char p[160], why[256] = "";
    snprintf(p, sizeof p, "%s/index.sqlite", f->dir);
    struct tsn_rec_index *ix = tsn_rec_index_open(p, why, sizeof why);
    if (!ix)
        fail_msg("index: %s", why);
    return ix;
}

/* ---- fake media ------------------------------------------------------------ */

#define RTP_TS0 0xfffff000u /* wraps during the test */

/* Packet i: a 12-byte header (seq 65400 + i, wrapping; timestamp changing
 * every 3 packets; marker on each frame's last), then a payload of varying
 * length and bytes. */
static size_t make_rtp(unsigned i, uint8_t *out)
{
    uint16_t seq = (uint16_t)(65400u + i);
    uint32_t ts = RTP_TS0 + (i / 3) * 3000u;
    out[0] = 0x80;
    out[1] = (uint8_t)((i % 3 == 2 ? 0x80 : 0) | 96);
    out[2] = (uint8_t)(seq >> 8);
    out[3] = (uint8_t)seq;
    out[4] = (uint8_t)(ts >> 24);
    out[5] = (uint8_t)(ts >> 16);
    out[6] = (uint8_t)(ts >> 8);
    out[7] = (uint8_t)ts;
    out[8] = 0x11, out[9] = 0x22, out[10] = 0x33, out[11] = 0x44;
    size_t len = 12 + 20 + (i * 37u) % 1200u;
    for (size_t k = 12; k < len; k++)
        out[k] = (uint8_t)(i * 13u + k);
    return len;
}

/* Puts packets [from, to) of the room; returns the bytes they take in the
 * log (payload + record overhead). */
static uint64_t put_rtp(struct tsn_recorder *rec, uint32_t handle, unsigned from, unsigned to,
                        uint64_t t0_us)
{
    uint8_t pkt[TSN_REC_RING_SLOT_BYTES];
    uint64_t bytes = 0;
    for (unsigned i = from; i < to; i++) {
        size_t len = make_rtp(i, pkt);
        assert_int_equal(tsn_rec_ring_put(tsn_recorder_ring(rec), handle, TSN_REC_RTP,
                                          t0_us + i * 1000u, pkt, len),
                         0);
        bytes += len + TSN_REC_OVERHEAD;
    }
    return bytes;
}

/* ---- reading the log back -------------------------------------------------- */

struct rec_copy {
    enum tsn_rec_type type;
    uint64_t time_us;
    uint8_t *data;
    uint32_t len;
};

struct log_copy {
    struct rec_copy *r;
    size_t n;
    struct tsn_rec_reader_stats st;
};

static void read_log(const char *path, struct log_copy *out)
{
    memset(out, 0, sizeof *out);
    struct tsn_rec_reader *rd = tsn_rec_reader_open(path);
    if (!rd)
        fail_msg("%s: %s", path, strerror(errno));
    struct tsn_rec r;
    size_t cap = 0;
    int rc;
    while ((rc = tsn_rec_reader_next(rd, &r, NULL, NULL)) == 1) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            out->r = realloc(out->r, cap * sizeof *out->r);
            assert_non_null(out->r);
        }
        struct rec_copy *c = &out->r[out->n++];
        c->type = r.type;
        c->time_us = r.time_us;
        c->len = r.len;
        c->data = malloc(r.len + 1);
        assert_non_null(c->data);
        memcpy(c->data, r.payload, r.len);
        c->data[r.len] = '\0';
    }
    assert_int_equal(rc, 0);
    out->st = *tsn_rec_reader_stats(rd);
    tsn_rec_reader_free(rd);
}

static void free_log(struct log_copy *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->r[i].data);
    free(l->r);
}

static json_t *rec_json(const struct rec_copy *c)
{
    json_t *j = json_loadb((const char *)c->data, c->len, 0, NULL);
    if (!j)
        fail_msg("record is not JSON: %.*s", (int)c->len, (const char *)c->data);
    return j;
}

static void assert_json_text_equal(const struct rec_copy *c, const char *text)
{
    assert_int_equal(c->len, strlen(text));
    assert_memory_equal(c->data, text, c->len);
}

/* ---- ids ------------------------------------------------------------------- */

static void test_make_id(void **state)
{
    (void)state;
    char a[TSN_REC_ID_LEN + 1], b[TSN_REC_ID_LEN + 1];
    tsn_recorder_make_id(0, a);
    assert_int_equal(strlen(a), TSN_REC_ID_LEN);
    assert_true(tsn_rec_id_valid(a));
    assert_memory_equal(a, "19700101T000000Z-", 17);
    /* 2026-11-27 07:50:12.999 UTC */
    tsn_recorder_make_id(1795765812999, a);
    assert_true(tsn_rec_id_valid(a));
    assert_memory_equal(a, "20261127T075012Z-", 17);
    tsn_recorder_make_id(1795765812999, b);
    assert_true(tsn_rec_id_valid(b));
    assert_string_not_equal(a, b); /* 32 random bits: equal once in 4e9 */
    for (const char *p = a + 17; *p; p++)
        assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
}

/* ---- a whole recording ---------------------------------------------------------- */

#define N_RTP 300

static const char *const EVENT1 =
    "{\"type\":\"event\",\"seq\":5,\"by\":\"dr-a\",\"op\":\"add\",\"item\":{\"id\":\"a1\","
    "\"kind\":\"arrow\"},\"media\":{\"capture_ms\":1795765812000,\"rtp_ts\":4294963296}}";
static const char *const EVENT2 =
    "{\"type\":\"event\",\"seq\":6,\"by\":\"dr-a\",\"op\":\"chat\",\"text\":\"caf\xc3\xa9 "
    "\\\"quoted\\\"\",\"media\":null}";

/* The audit entries of `room`, oldest first, as "action actor session-or-- detail". */
static void audit_lines(struct tsn_rec_index *ix, const char *room, char lines[][160], size_t cap,
                        size_t *n)
{
    json_t *arr = tsn_rec_index_audit_json(ix, room, 1000);
    assert_non_null(arr);
    *n = json_array_size(arr);
    assert_true(*n <= cap);
    for (size_t i = 0; i < *n; i++) {
        json_t *e = json_array_get(arr, *n - 1 - i);
        const char *sess = json_string_value(json_object_get(e, "session"));
        snprintf(lines[i], 160, "%s %s %s %s %s", json_string_value(json_object_get(e, "action")),
                 json_string_value(json_object_get(e, "actor")),
                 json_string_value(json_object_get(e, "role")), sess && *sess ? "S" : "-",
                 json_string_value(json_object_get(e, "detail")));
    }
    json_decref(arr);
}

static void test_recording(void **state)
{
    struct fx *f = *state;
    struct tsn_recorder *rec = start(f);
    assert_int_equal(mode_of(f->dir), 0700);

    const struct tsn_rec_member members[] = {{"cap-1", TSN_ROLE_CAPTURE},
                                             {"dr-a", TSN_ROLE_CLINICIAN}};
    struct tsn_rec_active a, again, b;
    char why[256] = "";
    int64_t t_before = now_ms();
    assert_int_equal(tsn_recorder_begin(rec, "roomA", "dr-a", STREAM_META, SNAPSHOT, members, 2, &a,
                                        why, sizeof why),
                     0);
    int64_t t_after = now_ms();
    assert_true(tsn_rec_id_valid(a.id));
    assert_string_equal(a.room, "roomA");
    assert_string_equal(a.by, "dr-a");
    assert_int_not_equal(a.handle, 0);
    assert_true(a.since_ms >= t_before && a.since_ms <= t_after);
    char stamp[32];
    time_t s = (time_t)(a.since_ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ-", &tm);
    assert_memory_equal(a.id, stamp, 17);

    const struct tsn_rec_active *act = tsn_recorder_active(rec, "roomA");
    assert_non_null(act);
    assert_string_equal(act->id, a.id);
    assert_int_equal(act->handle, a.handle);
    assert_null(tsn_recorder_active(rec, "roomZ"));
    assert_null(tsn_recorder_active(NULL, "roomA"));

    /* Asked again: the running one. */
    memset(&again, 0, sizeof again);
    assert_int_equal(
        tsn_recorder_begin(rec, "roomA", "cap-1", NULL, NULL, NULL, 0, &again, why, sizeof why),
        -EALREADY);
    assert_string_equal(again.id, a.id);
    assert_int_equal(again.handle, a.handle);
    assert_string_equal(again.by, "dr-a");

    /* A second room, left open for tsn_recorder_free. */
    assert_int_equal(
        tsn_recorder_begin(rec, "roomB", "cap-2", NULL, NULL, NULL, 0, &b, why, sizeof why), 0);
    assert_int_not_equal(b.handle, a.handle);
    assert_string_not_equal(b.id, a.id);
    wait_active(f, 2);

    char tsr[256];
    path_of(f, "roomA", a.id, "media.tsr", tsr, sizeof tsr);
    long long size0 = file_size(tsr); /* header, SESSION and snapshot: written at the start */
    assert_true(size0 > TSN_REC_FILE_HEADER);

    /* Media: STREAM first, then the packets. */
    uint64_t t0 = now_us();
    struct tsn_rec_ring *ring = tsn_recorder_ring(rec);
    assert_int_equal(
        tsn_rec_ring_put(ring, a.handle, TSN_REC_STREAM, t0, STREAM_REC, strlen(STREAM_REC)), 0);
    uint64_t media_bytes = strlen(STREAM_REC) + TSN_REC_OVERHEAD;
    media_bytes += put_rtp(rec, a.handle, 0, N_RTP, t0 + 1000);
    /* roomB's packets go to roomB's file only. */
    put_rtp(rec, b.handle, 0, 5, t0);

    /* Kill safety: on disk within 400 ms without any stop. */
    sleep_ms(400);
    assert_int_equal(file_size(tsr), size0 + (long long)media_bytes);
    assert_true(atomic_load(&f->m.recording_fsyncs) > 0);

    tsn_recorder_event(rec, "roomA", EVENT1, strlen(EVENT1));
    tsn_recorder_event(rec, "roomA", EVENT2, strlen(EVENT2));
    tsn_recorder_event(rec, "roomZ", EVENT1, strlen(EVENT1)); /* not recorded: ignored */
    tsn_recorder_presence(rec, "roomA", "obs-1", TSN_ROLE_OBSERVER, 1);
    tsn_recorder_presence(rec, "roomA", "obs-1", TSN_ROLE_OBSERVER, 0);
    tsn_recorder_presence(rec, "roomZ", "dr-z", TSN_ROLE_CLINICIAN, 1);

    assert_int_equal(tsn_recorder_end(rec, "roomA", "dr-a", "stopped"), 0);
    assert_int_equal(tsn_recorder_end(rec, "roomA", "dr-a", "stopped"), -ENOENT);
    assert_null(tsn_recorder_active(rec, "roomA"));
    assert_non_null(tsn_recorder_active(rec, "roomB"));

    json_t *sj = wait_session_json(f, "roomA", a.id, "complete");
    long long size = file_size(tsr);
    assert_string_equal(json_string_value(json_object_get(sj, "id")), a.id);
    assert_string_equal(json_string_value(json_object_get(sj, "room")), "roomA");
    assert_int_equal(json_integer_value(json_object_get(sj, "started_ms")), a.since_ms);
    int64_t ended = json_integer_value(json_object_get(sj, "ended_ms"));
    assert_true(ended >= a.since_ms && ended <= now_ms());
    assert_string_equal(json_string_value(json_object_get(sj, "started_by")), "dr-a");
    assert_string_equal(json_string_value(json_object_get(sj, "stop_reason")), "stopped");
    assert_string_equal(json_string_value(json_object_get(sj, "codec")), "H264");
    assert_int_equal(json_integer_value(json_object_get(sj, "packets")), N_RTP);
    assert_int_equal(json_integer_value(json_object_get(sj, "frames")), N_RTP / 3);
    assert_int_equal(json_integer_value(json_object_get(sj, "events")), 2);
    assert_int_equal(json_integer_value(json_object_get(sj, "bytes")), size);
    assert_int_equal(json_integer_value(json_object_get(sj, "media_ms")), N_RTP - 1);
    json_t *meta = json_loads(STREAM_META, 0, NULL);
    assert_true(json_equal(json_object_get(sj, "stream"), meta));
    json_decref(sj);

    /* Owner-only, all the way down. */
    char p[256];
    snprintf(p, sizeof p, "%s/roomA", f->dir);
    assert_int_equal(mode_of(p), 0700);
    path_of(f, "roomA", a.id, NULL, p, sizeof p);
    assert_int_equal(mode_of(p), 0700);
    assert_int_equal(mode_of(tsr), 0600);
    path_of(f, "roomA", a.id, "session.json", p, sizeof p);
    assert_int_equal(mode_of(p), 0600);
    path_of(f, "roomA", a.id, "session.json.tmp", p, sizeof p);
    assert_int_equal(file_size(p), -1);

    /* The log, record by record. */
    struct log_copy log;
    read_log(tsr, &log);
    assert_int_equal(log.st.damaged, 0);
    assert_int_equal(log.st.torn_tail, 0);
    assert_int_equal(log.st.file_bytes, size);
    assert_int_equal(log.n, 1 + 1 + 1 + N_RTP + 2 + 1);
    size_t k = 0;
    assert_int_equal(log.r[k].type, TSN_REC_SESSION);
    assert_int_equal(log.r[k].time_us, (uint64_t)a.since_ms * 1000u);
    json_t *sess = rec_json(&log.r[k]);
    assert_string_equal(json_string_value(json_object_get(sess, "room")), "roomA");
    assert_string_equal(json_string_value(json_object_get(sess, "session")), a.id);
    assert_string_equal(json_string_value(json_object_get(sess, "by")), "dr-a");
    assert_int_equal(json_integer_value(json_object_get(sess, "started_ms")), a.since_ms);
    assert_true(json_equal(json_object_get(sess, "stream"), meta));
    json_decref(sess);
    json_decref(meta);
    k++;
    assert_int_equal(log.r[k].type, TSN_REC_EVENT);
    assert_json_text_equal(&log.r[k], SNAPSHOT);
    k++;
    assert_int_equal(log.r[k].type, TSN_REC_STREAM);
    assert_int_equal(log.r[k].time_us, t0);
    assert_json_text_equal(&log.r[k], STREAM_REC);
    k++;
    uint8_t pkt[TSN_REC_RING_SLOT_BYTES];
    for (unsigned i = 0; i < N_RTP; i++, k++) {
        size_t len = make_rtp(i, pkt);
        if (log.r[k].type != TSN_REC_RTP || log.r[k].len != len ||
            memcmp(log.r[k].data, pkt, len) != 0 || log.r[k].time_us != t0 + 1000 + i * 1000u)
            fail_msg("record %zu is not RTP packet %u as put", k, i);
    }
    assert_int_equal(log.r[k].type, TSN_REC_EVENT);
    assert_json_text_equal(&log.r[k], EVENT1);
    k++;
    assert_int_equal(log.r[k].type, TSN_REC_EVENT);
    assert_json_text_equal(&log.r[k], EVENT2);
    uint64_t ev_us = log.r[k].time_us;
    assert_true(ev_us >= t0 && ev_us <= now_us());
    k++;
    assert_int_equal(log.r[k].type, TSN_REC_CONTROL);
    json_t *ctl = rec_json(&log.r[k]);
    json_t *want = json_pack("{s:b, s:s, s:s}", "on", 0, "by", "dr-a", "reason", "stopped");
    assert_true(json_equal(ctl, want));
    json_decref(ctl);
    json_decref(want);
    assert_true(log.r[k].time_us >= ev_us);
    free_log(&log);

    /* The index. */
    struct tsn_rec_index *ix = open_index(f);
    struct tsn_rec_session row;
    assert_int_equal(tsn_rec_index_session_get(ix, a.id, &row), 0);
    assert_string_equal(row.state, "complete");
    assert_string_equal(row.room, "roomA");
    assert_string_equal(row.started_by, "dr-a");
    assert_string_equal(row.stop_reason, "stopped");
    assert_string_equal(row.codec, "H264");
    assert_int_equal(row.started_ms, a.since_ms);
    assert_int_equal(row.ended_ms, ended);
    assert_int_equal(row.packets, N_RTP);
    assert_int_equal(row.frames, N_RTP / 3);
    assert_int_equal(row.events, 2);
    assert_int_equal(row.bytes, size);
    assert_int_equal(row.media_ms, N_RTP - 1);

    int err = 0;
    json_t *sj2 = tsn_rec_index_session_json(ix, "roomA", a.id, &err);
    assert_non_null(sj2);
    json_t *parts = json_object_get(sj2, "participants");
    assert_int_equal(json_array_size(parts), 3);
    static const char *const subs[] = {"cap-1", "dr-a", "obs-1"};
    static const char *const roles[] = {"capture", "clinician", "observer"};
    for (size_t i = 0; i < 3; i++) {
        json_t *pt = json_array_get(parts, i);
        assert_string_equal(json_string_value(json_object_get(pt, "sub")), subs[i]);
        assert_string_equal(json_string_value(json_object_get(pt, "role")), roles[i]);
        int64_t joined = json_integer_value(json_object_get(pt, "joined_ms"));
        assert_true(joined >= a.since_ms && joined <= ended);
        json_t *left = json_object_get(pt, "left_ms");
        if (i < 2)
            assert_true(json_is_null(left));
        else
            assert_true(json_integer_value(left) >= joined);
    }
    json_decref(sj2);

    /* The stop's audit entry comes last, just after session.json. */
    char lines[32][160];
    size_t n = 0;
    for (int i = 0; i < 500; i++) {
        audit_lines(ix, "roomA", lines, 32, &n);
        if (n && strncmp(lines[n - 1], "record-stop", 11) == 0)
            break;
        sleep_ms(10);
    }
    for (size_t i = 0; i < n; i++)
        print_message("audit roomA: %s\n", lines[i]);
    /* The members present at the start may or may not get a "join" entry
     * there (they were audited when they really joined): not pinned here. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(lines[i], "join cap-1 capture - ") != 0 &&
            strcmp(lines[i], "join dr-a clinician - ") != 0)
            memmove(lines[m++], lines[i], sizeof lines[i]);
        else
            assert_true(i >= 1 && i <= 2); /* right after record-start */
    assert_int_equal(m, 4);
    assert_string_equal(lines[0], "record-start dr-a none S ");
    assert_string_equal(lines[1], "join obs-1 observer - ");
    assert_string_equal(lines[2], "leave obs-1 observer - ");
    assert_string_equal(lines[3], "record-stop dr-a none S stopped");
    audit_lines(ix, "roomZ", lines, 32, &n);
    assert_int_equal(n, 1);
    assert_string_equal(lines[0], "join dr-z clinician - ");

    wait_active(f, 1);
    assert_int_equal(atomic_load(&f->m.recording_failures), 0);
    assert_int_equal(atomic_load(&f->wakes), 0);
    struct tsn_rec_note note;
    assert_int_equal(tsn_recorder_pop_note(rec, &note), 0);

    /* Free closes roomB as complete, "relay stopped", its packets kept. */
    tsn_recorder_free(rec);
    f->rec = NULL;
    assert_int_equal(atomic_load(&f->m.recordings_active), 0);
    assert_int_equal(tsn_rec_index_session_get(ix, b.id, &row), 0);
    assert_string_equal(row.state, "complete");
    assert_string_equal(row.stop_reason, "relay stopped");
    assert_int_equal(row.packets, 5);
    assert_true(row.ended_ms >= b.since_ms);
    path_of(f, "roomB", b.id, "media.tsr", p, sizeof p);
    assert_int_equal(row.bytes, file_size(p));
    read_log(p, &log);
    assert_int_equal(log.n, 1 + 5 + 1);
    assert_int_equal(log.r[0].type, TSN_REC_SESSION);
    json_t *sb = rec_json(&log.r[0]);
    assert_true(json_is_null(json_object_get(sb, "stream")));
    json_decref(sb);
    assert_int_equal(log.r[6].type, TSN_REC_CONTROL);
    ctl = rec_json(&log.r[6]);
    want = json_pack("{s:b, s:s, s:s}", "on", 0, "by", "relay", "reason", "relay stopped");
    assert_true(json_equal(ctl, want));
    json_decref(ctl);
    json_decref(want);
    free_log(&log);
    json_t *sjb = wait_session_json(f, "roomB", b.id, "complete");
    assert_true(json_is_null(json_object_get(sjb, "stream")));
    json_decref(sjb);
    tsn_rec_index_close(ix);
}

/* ---- refusals ---------------------------------------------------------------- */

/* Entries in `dir` other than the index's files. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            strncmp(e->d_name, "index.sqlite", 12) != 0)
            n++;
    closedir(d);
    return n;
}

static void test_refusals(void **state)
{
    struct fx *f = *state;
    struct tsn_recorder *rec = start(f);
    struct tsn_rec_active a;
    char why[256] = "";

    f->cfg.record_mode = TSN_RECORD_OFF;
    assert_int_equal(
        tsn_recorder_begin(rec, "roomA", "dr-a", NULL, NULL, NULL, 0, &a, why, sizeof why), -EPERM);
    assert_string_equal(why, "recording is turned off on this relay");
    assert_null(tsn_recorder_active(rec, "roomA"));

    f->cfg.record_mode = TSN_RECORD_ALWAYS;
    f->cfg.record_min_free_mb = 4000000000u; /* ~3.7 PiB */
    why[0] = '\0';
    assert_int_equal(
        tsn_recorder_begin(rec, "roomA", "dr-a", NULL, NULL, NULL, 0, &a, why, sizeof why),
        -ENOSPC);
    assert_string_equal(why, "recording unavailable: less than 4000000000 MiB free in the "
                             "recordings directory");
    assert_null(tsn_recorder_active(rec, "roomA"));

    /* A reserve that is there: accepted. */
    f->cfg.record_min_free_mb = 1;
    assert_int_equal(
        tsn_recorder_begin(rec, "roomA", "dr-a", NULL, NULL, NULL, 0, &a, why, sizeof why), 0);
    wait_active(f, 1);
    assert_int_equal(tsn_recorder_end(rec, "roomA", "dr-a", "stopped"), 0);
    json_decref(wait_session_json(f, "roomA", a.id, "complete"));
    /* The refusals made nothing on disk: one room directory with one session. */
    assert_int_equal(count_entries(f->dir), 1);
    char p[160];
    snprintf(p, sizeof p, "%s/roomA", f->dir);
    assert_int_equal(count_entries(p), 1);
    assert_int_equal(tsn_recorder_end(rec, "roomA", "dr-a", "stopped"), -ENOENT);
    assert_int_equal(tsn_recorder_end(rec, "never", "dr-a", "stopped"), -ENOENT);
    assert_int_equal(atomic_load(&f->wakes), 0);
}

static void test_new_refused(void **state)
{
    struct fx *f = *state;
    char why[256] = "";
    snprintf(f->cfg.recordings_dir, sizeof f->cfg.recordings_dir, "%s/no/such/parent", f->root);
    assert_null(tsn_recorder_new(&f->cfg, &f->m, wake_cb, &f->wakes, why, sizeof why));
    assert_non_null(strstr(why, "cannot create"));
    assert_non_null(strstr(why, "No such file or directory"));

    /* An index that is not SQLite. */
    assert_int_equal(mkdir(f->dir, 0700), 0);
    char p[160];
    snprintf(p, sizeof p, "%s/index.sqlite", f->dir);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("not a database at all ", fp);
    fclose(fp);
    snprintf(f->cfg.recordings_dir, sizeof f->cfg.recordings_dir, "%s", f->dir);
    why[0] = '\0';
    assert_null(tsn_recorder_new(&f->cfg, &f->m, wake_cb, &f->wakes, why, sizeof why));
    assert_true(strlen(why) > 0);
    print_message("refused: %s\n", why);
    tsn_recorder_free(NULL);
}

/* ---- write errors and notes ------------------------------------------------- */

static struct rlimit saved_fsize;

static void limit_file_size(const struct fx *f, rlim_t bytes)
{
    /* The index must stay below the limit: only media.tsr may hit it. */
    char p[160];
    snprintf(p, sizeof p, "%s/index.sqlite", f->dir);
    assert_true(file_size(p) < (long long)bytes / 2);
    snprintf(p, sizeof p, "%s/index.sqlite-wal", f->dir);
    assert_true(file_size(p) < (long long)bytes / 2);
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved_fsize), 0);
    struct rlimit r = saved_fsize;
    r.rlim_cur = bytes;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &r), 0);
    fsize_limited = 1;
}

static void unlimit_file_size(void)
{
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved_fsize), 0);
    fsize_limited = 0;
}

#define LIMIT_BYTES (256u * 1024u)

/* The periodic write fails (as on a full disk): the session stops as
 * "failed", a note is posted once, the room is forgotten, what fit is
 * kept and readable, and the room can record again. */
static void test_write_error_note(void **state)
{
    struct fx *f = *state;
    struct tsn_recorder *rec = start(f);
    struct tsn_rec_active a;
    char why[256] = "";
    assert_int_equal(
        tsn_recorder_begin(rec, "roomA", "dr-a", NULL, NULL, NULL, 0, &a, why, sizeof why), 0);
    wait_active(f, 1);
    limit_file_size(f, LIMIT_BYTES);
    /* ~360 KiB: less than the writer's buffer, more than the limit. */
    put_rtp(rec, a.handle, 0, 600, now_us());
    for (int i = 0; i < 500 && atomic_load(&f->wakes) == 0; i++)
        sleep_ms(10);
    json_t *sj = wait_session_json(f, "roomA", a.id, "failed");
    wait_active(f, 0);
    unlimit_file_size();
    assert_int_equal(atomic_load(&f->wakes), 1);
    assert_int_equal(atomic_load(&f->m.recording_failures), 1);
    const char *reason = json_string_value(json_object_get(sj, "stop_reason"));
    print_message("stop reason: %s\n", reason);
    assert_string_equal(reason, "write error (File too large): recording stopped");
    json_decref(sj);

    /* The room is still recorded as far as the control side knows, until
     * it takes the note. */
    assert_non_null(tsn_recorder_active(rec, "roomA"));
    struct tsn_rec_note note;
    memset(&note, 0x55, sizeof note);
    assert_int_equal(tsn_recorder_pop_note(rec, &note), 1);
    assert_string_equal(note.room, "roomA");
    assert_string_equal(note.id, a.id);
    assert_int_equal(note.handle, a.handle);
    assert_string_equal(note.reason, "write error (File too large): recording stopped");
    assert_null(tsn_recorder_active(rec, "roomA"));
    assert_int_equal(tsn_recorder_pop_note(rec, &note), 0);
    assert_int_equal(tsn_recorder_end(rec, "roomA", "dr-a", "stopped"), -ENOENT);

    /* What was written is there up to the limit, cut mid-record. */
    char tsr[256];
    path_of(f, "roomA", a.id, "media.tsr", tsr, sizeof tsr);
    assert_int_equal(file_size(tsr), LIMIT_BYTES);
    struct log_copy log;
    read_log(tsr, &log);
    assert_int_equal(log.st.damaged, 0);
    assert_true(log.st.torn_tail > 0);
    assert_true(log.n > 100);
    assert_int_equal(log.r[0].type, TSN_REC_SESSION);
    size_t n_rtp = log.n - 1;
    uint8_t pkt[TSN_REC_RING_SLOT_BYTES];
    for (size_t k = 1; k < log.n; k++) {
        size_t len = make_rtp((unsigned)(k - 1), pkt);
        assert_int_equal(log.r[k].len, len);
        assert_memory_equal(log.r[k].data, pkt, len);
    }
    free_log(&log);

    struct tsn_rec_index *ix = open_index(f);
    struct tsn_rec_session row;
    int rc = tsn_rec_index_session_get(ix, a.id, &row);
    tsn_rec_index_close(ix);
    assert_int_equal(rc, 0);
    assert_string_equal(row.state, "failed");
    assert_string_equal(row.stop_reason, "write error (File too large): recording stopped");
    /* The row describes the file that is left. */
    print_message("failed row: bytes %llu (file %lld), packets %llu (file %zu)\n",
                  (unsigned long long)row.bytes, (long long)LIMIT_BYTES,
                  (unsigned long long)row.packets, n_rtp);
    assert_int_equal(row.bytes, LIMIT_BYTES);

    /* Recording again works. */
    struct tsn_rec_active a2;
    assert_int_equal(
        tsn_recorder_begin(rec, "roomA", "dr-a", NULL, NULL, NULL, 0, &a2, why, sizeof why), 0);
    assert_string_not_equal(a2.id, a.id);
    assert_int_not_equal(a2.handle, a.handle);
    wait_active(f, 1);
    assert_int_equal(tsn_recorder_end(rec, "roomA", "dr-a", "stopped"), 0);
    json_decref(wait_session_json(f, "roomA", a2.id, "complete"));
    assert_int_equal(atomic_load(&f->wakes), 1);
}

/* The stop itself hits the write error: the stop record no longer fits the
 * writer's buffer, so appending it writes the buffer out, which fails and
 * frees the session inside stop_session. The control side ended the
 * recording already: the note is not returned. (Under ASan this also
 * checks that stop_session does not touch the freed session.) */
static void test_write_error_at_stop(void **state)
{
    struct fx *f = *state;
    struct tsn_recorder *rec = start(f);
    struct tsn_rec_active a;
    char why[256] = "";
    assert_int_equal(
        tsn_recorder_begin(rec, "roomA", "dr-a", NULL, NULL, NULL, 0, &a, why, sizeof why), 0);
    wait_active(f, 1);
    char tsr[256];
    path_of(f, "roomA", a.id, "media.tsr", tsr, sizeof tsr);

    /* Synchronise with the 200 ms periodic write: one packet, then wait for
     * it to reach the file. The buffer is empty then, and the next periodic
     * write is ~200 ms away. */
    long long size0 = file_size(tsr);
    put_rtp(rec, a.handle, 0, 1, now_us());
    for (int i = 0; i < 1000 && file_size(tsr) == size0; i++)
        usleep(500);
    assert_true(file_size(tsr) > size0);

    limit_file_size(f, LIMIT_BYTES);
    /* Fill the buffer to 8 bytes short of full, without overflowing it. */
    uint8_t pkt[TSN_REC_RING_SLOT_BYTES];
    memset(pkt, 0, sizeof pkt);
    pkt[0] = 0x80;
    pkt[1] = 96;
    size_t want = WRITER_BUF_BYTES - 8, left = want, have = 0;
    uint64_t t = now_us();
    while (left) {
        size_t rec_bytes = left;
        if (rec_bytes > TSN_REC_RING_SLOT_BYTES + TSN_REC_OVERHEAD)
            rec_bytes = TSN_REC_RING_SLOT_BYTES + TSN_REC_OVERHEAD;
        if (left - rec_bytes != 0 && left - rec_bytes < 12 + TSN_REC_OVERHEAD)
            rec_bytes = left / 2; /* no packet shorter than an RTP header */
        assert_int_equal(tsn_rec_ring_put(tsn_recorder_ring(rec), a.handle, TSN_REC_RTP, t, pkt,
                                          rec_bytes - TSN_REC_OVERHEAD),
                         0);
        left -= rec_bytes;
        have += rec_bytes;
    }
    assert_int_equal(have, want);
    assert_int_equal(tsn_recorder_end(rec, "roomA", "dr-a", "stopped"), 0);
    json_t *sj = wait_session_json(f, "roomA", a.id, "failed");
    wait_active(f, 0);
    unlimit_file_size();
    assert_string_equal(json_string_value(json_object_get(sj, "stop_reason")),
                        "write error (File too large): recording stopped");
    json_decref(sj);
    assert_int_equal(atomic_load(&f->wakes), 1); /* posted ... */
    struct tsn_rec_note note;
    assert_int_equal(tsn_recorder_pop_note(rec, &note), 0); /* ... but not for an ended one */
    assert_int_equal(file_size(tsr), LIMIT_BYTES);
}

/* The session directory cannot be made (a file where the room's directory
 * should be): the writer fails the session with a note. A note whose
 * recording the control side has ended, or ended and started again, is not
 * returned, and does not end the new recording. */
static void test_note_after_restart(void **state)
{
    struct fx *f = *state;
    struct tsn_recorder *rec = start(f);
    char p[160];
    snprintf(p, sizeof p, "%s/roomA", f->dir);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fclose(fp);

    /* Still recorded: the note is returned. */
    struct tsn_rec_active a, a2;
    char why[256] = "";
    assert_int_equal(
        tsn_recorder_begin(rec, "roomA", "dr-a", NULL, NULL, NULL, 0, &a, why, sizeof why), 0);
    for (int i = 0; i < 500 && atomic_load(&f->wakes) < 1; i++)
        sleep_ms(10);
    assert_int_equal(atomic_load(&f->wakes), 1);
    struct tsn_rec_note note;
    assert_int_equal(tsn_recorder_pop_note(rec, &note), 1);
    assert_string_equal(note.id, a.id);
    print_message("note: %s\n", note.reason);
    assert_non_null(strstr(note.reason, "recording stopped"));
    assert_null(tsn_recorder_active(rec, "roomA"));

    /* Fails again, but the control side ends it and starts the room anew
     * (now possible) before it takes the note. */
    assert_int_equal(
        tsn_recorder_begin(rec, "roomA", "dr-a", NULL, NULL, NULL, 0, &a, why, sizeof why), 0);
    for (int i = 0; i < 500 && atomic_load(&f->wakes) < 2; i++)
        sleep_ms(10);
    assert_int_equal(atomic_load(&f->wakes), 2);
    assert_int_equal(tsn_recorder_end(rec, "roomA", "dr-a", "stopped"), 0);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(
        tsn_recorder_begin(rec, "roomA", "dr-a", NULL, NULL, NULL, 0, &a2, why, sizeof why), 0);
    assert_int_equal(tsn_recorder_pop_note(rec, &note), 0);
    const struct tsn_rec_active *act = tsn_recorder_active(rec, "roomA");
    assert_non_null(act);
    assert_int_equal(act->handle, a2.handle);
    wait_active(f, 1);
    assert_int_equal(tsn_recorder_end(rec, "roomA", "dr-a", "stopped"), 0);
    json_decref(wait_session_json(f, "roomA", a2.id, "complete"));
    assert_int_equal(atomic_load(&f->wakes), 2);
    assert_int_equal(tsn_recorder_pop_note(rec, &note), 0);
}

/* ---- the start of a recording ----------------------------------------------- */

/* The media thread starts putting a room's packets as soon as the control
 * side has begun its recording (tsn_media_record after tsn_recorder_begin).
 * Those packets, and the STREAM record put before the first of them, must
 * reach the log even when the writer is in the middle of other work at
 * that moment (here: a burst of joins in another recorded room, each an
 * index write). */
static void test_packets_right_after_begin(void **state)
{
    struct fx *f = *state;
    struct tsn_recorder *rec = start(f);
    struct tsn_rec_active busy, a;
    char why[256] = "";
    assert_int_equal(
        tsn_recorder_begin(rec, "busy", "dr-b", NULL, NULL, NULL, 0, &busy, why, sizeof why), 0);
    wait_active(f, 1);

    int lost_runs = 0;
    for (int run = 0; run < 3; run++) {
        char sub[32];
        for (int i = 0; i < 400; i++) {
            snprintf(sub, sizeof sub, "u%d-%d", run, i);
            tsn_recorder_presence(rec, "busy", sub, TSN_ROLE_OBSERVER, 1);
        }
        sleep_ms(5); /* the writer is working through the joins now */
        assert_int_equal(
            tsn_recorder_begin(rec, "roomA", "cap-1", NULL, NULL, NULL, 0, &a, why, sizeof why), 0);
        uint64_t t0 = now_us();
        assert_int_equal(tsn_rec_ring_put(tsn_recorder_ring(rec), a.handle, TSN_REC_STREAM, t0,
                                          STREAM_REC, strlen(STREAM_REC)),
                         0);
        put_rtp(rec, a.handle, 0, 30, t0);
        sleep_ms(300);
        assert_int_equal(tsn_recorder_end(rec, "roomA", "cap-1", "stopped"), 0);
        json_t *sj = wait_session_json(f, "roomA", a.id, "complete");
        json_int_t packets = json_integer_value(json_object_get(sj, "packets"));
        const char *codec = json_string_value(json_object_get(sj, "codec"));
        print_message("run %d: %lld of 30 packets recorded, codec \"%s\"\n", run,
                      (long long)packets, codec);
        if (packets != 30 || strcmp(codec, "H264") != 0)
            lost_runs++;
        json_decref(sj);
    }
    assert_int_equal(lost_runs, 0);
    assert_int_equal(tsn_recorder_end(rec, "busy", "dr-b", "stopped"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_make_id),
        cmocka_unit_test_setup_teardown(test_recording, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_error_note, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_error_at_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_note_after_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_packets_right_after_begin, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
