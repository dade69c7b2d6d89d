/* Unit tests for relay/rec_recover.c, through tsn_recorder_new (which runs
 * recovery and retention before its writer thread starts) and directly:
 * a session a killed relay left "recording" becomes "recovered" with its
 * end time, counts and size read back from its packet log (damaged bytes
 * skipped, a torn tail ignored, the start snapshot not counted as an
 * event), or "failed" when it has no log or an unreadable one; rows in
 * other states are untouched. Retention deletes sessions that ended before
 * the period (directory, export files and row; audited as "delete" by
 * "retention") and keeps newer ones and live ones, without following
 * symbolic links out of a session directory. session.json is written
 * owner-only with nulls where nothing is known. Files are made by the test
 * with tsn_rec_encode in a temporary recordings directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rec_index.h"
#include "rec_writer.h" /* tsn_rec_retention, tsn_rec_write_session_json, tsn_rec_remove_dir */
#include "reclog.h"
#include "recorder.h"

#define ID1 "20261120T100000Z-00000001"
#define ID2 "20261120T100000Z-00000002"
#define ID3 "20261120T100000Z-00000003"
#define ID4 "20261120T100000Z-00000004"
#define ID5 "20261120T100000Z-00000005"

#define DAY_MS 86400000LL

struct fx {
    char root[64];
    char dir[96];
    struct tsn_config cfg;
    struct tsn_metrics m;
    atomic_int wakes;
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
    snprintf(f->root, sizeof f->root, "/tmp/tsn-test-rec-recover.XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->dir, sizeof f->dir, "%s/rec", f->root);
    assert_int_equal(mkdir(f->dir, 0700), 0);
    snprintf(f->cfg.recordings_dir, sizeof f->cfg.recordings_dir, "%s", f->dir);
    f->cfg.record_fsync_ms = 50;
    tsn_metrics_init(&f->m);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    int rc = nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return rc;
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

/* Starts and frees a recorder: recovery and retention run in between. */
static void run_recorder(struct fx *f)
{
    char why[256] = "";
    struct tsn_recorder *rec =
        tsn_recorder_new(&f->cfg, &f->m, wake_cb, &f->wakes, why, sizeof why);
    if (!rec)
        fail_msg("tsn_recorder_new: %s", why);
    tsn_recorder_free(rec);
    assert_int_equal(atomic_load(&f->wakes), 0);
}

static void add_row(struct tsn_rec_index *ix, const char *id, const char *room, const char *state,
                    int64_t started_ms, int64_t ended_ms)
{
    struct tsn_rec_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.id, sizeof s.id, "%s", id);
    snprintf(s.room, sizeof s.room, "%s", room);
    snprintf(s.state, sizeof s.state, "recording");
    snprintf(s.started_by, sizeof s.started_by, "cap-1");
    s.started_ms = started_ms;
    assert_int_equal(tsn_rec_index_session_begin(ix, &s), 0);
    if (strcmp(state, "recording") != 0) {
        snprintf(s.state, sizeof s.state, "%s", state);
        snprintf(s.stop_reason, sizeof s.stop_reason, "stopped");
        s.ended_ms = ended_ms;
        s.bytes = 1234;
        s.packets = 7;
        s.frames = 3;
        s.events = 1;
        assert_int_equal(tsn_rec_index_session_update(ix, &s), 0);
    }
}

static void session_path(const struct fx *f, const char *room, const char *id, const char *name,
                         char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s/%s%s%s", f->dir, room, id, name ? "/" : "", name ? name : "");
}

static void make_session_dir(const struct fx *f, const char *room, const char *id)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", f->dir, room);
    assert_true(mkdir(p, 0700) == 0 || errno == EEXIST);
    session_path(f, room, id, NULL, p, sizeof p);
    assert_int_equal(mkdir(p, 0700), 0);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* ---- a packet log made by hand ------------------------------------------------ */

struct logbuf {
    uint8_t *p;
    size_t len, cap;
};

static void lb_raw(struct logbuf *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        b->cap = (b->len + len) * 2 + 4096;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void lb_rec(struct logbuf *b, enum tsn_rec_type type, uint64_t time_us, const void *data,
                   size_t len)
{
    uint8_t tmp[4096];
    long n = tsn_rec_encode(tmp, sizeof tmp, type, 0, time_us, data, len);
    assert_true(n > 0);
    lb_raw(b, tmp, (size_t)n);
}

static void lb_json(struct logbuf *b, enum tsn_rec_type type, uint64_t time_us, const char *json)
{
    lb_rec(b, type, time_us, json, strlen(json));
}

static void lb_rtp(struct logbuf *b, uint64_t time_us, uint16_t seq, uint32_t ts)
{
    uint8_t pkt[200] = {0x80, 96};
    pkt[2] = (uint8_t)(seq >> 8), pkt[3] = (uint8_t)seq;
    pkt[4] = (uint8_t)(ts >> 24), pkt[5] = (uint8_t)(ts >> 16);
    pkt[6] = (uint8_t)(ts >> 8), pkt[7] = (uint8_t)ts;
    for (size_t k = 12; k < sizeof pkt; k++)
        pkt[k] = (uint8_t)(seq + k);
    lb_rec(b, TSN_REC_RTP, time_us, pkt, sizeof pkt);
}

/* ---- recovery -------------------------------------------------------------------- */

static void test_recover(void **state)
{
    struct fx *f = *state;
    int64_t t0_ms = now_ms() - 600000; /* ten minutes ago */
    uint64_t t0 = (uint64_t)t0_ms * 1000u;

    struct tsn_rec_index *ix = open_index(f);
    add_row(ix, ID1, "roomA", "recording", t0_ms, 0);     /* a log with damage and a torn tail */
    add_row(ix, ID2, "roomA", "recording", t0_ms + 1, 0); /* nothing on disk at all */
    add_row(ix, ID3, "roomB", "recording", t0_ms + 2, 0); /* a log that is not a recording */
    add_row(ix, ID4, "roomB", "complete", t0_ms + 3, t0_ms + 5000);
    add_row(ix, ID5, "roomB", "recording", t0_ms + 4, 0); /* a directory, no log */
    tsn_rec_index_close(ix);

    /* ID1: SESSION, the snapshot, STREAM, 30 packets (10 frames), an event,
     * 37 damaged bytes, 6 packets (2 frames), a new generation (STREAM, same
     * timestamps again: 2 more frames over 6 packets), an event, a chat
     * event, then half a record. */
    struct logbuf b = {0};
    uint8_t hdr[TSN_REC_FILE_HEADER];
    tsn_rec_file_header(hdr);
    lb_raw(&b, hdr, sizeof hdr);
    lb_json(&b, TSN_REC_SESSION, t0,
            "{\"room\":\"roomA\",\"session\":\"" ID1 "\",\"started_ms\":1,\"by\":\"cap-1\"}");
    lb_json(&b, TSN_REC_EVENT, t0, "{\"type\":\"annotations\",\"seq\":3,\"items\":[]}");
    lb_json(&b, TSN_REC_STREAM, t0 + 10000,
            "{\"codec\":\"VP8\",\"payload_type\":96,\"clock_rate\":90000,\"generation\":1}");
    uint64_t t = t0 + 20000;
    for (unsigned i = 0; i < 30; i++, t += 11000)
        lb_rtp(&b, t, (uint16_t)(65530 + i), 1000 + (i / 3) * 3000);
    lb_json(&b, TSN_REC_EVENT, t, "{\"type\":\"event\",\"seq\":4,\"media\":null}");
    static const uint8_t junk[37] = "this is damage, not a valid record!!";
    lb_raw(&b, junk, sizeof junk);
    for (unsigned i = 30; i < 36; i++, t += 11000)
        lb_rtp(&b, t, (uint16_t)(65530 + i), 1000 + (i / 3) * 3000);
    lb_json(&b, TSN_REC_STREAM, t,
            "{\"codec\":\"H264\",\"payload_type\":102,\"clock_rate\":90000,\"generation\":2}");
    uint64_t first_rtp = t0 + 20000, last_rtp = 0;
    for (unsigned i = 0; i < 6; i++, t += 11000) {
        lb_rtp(&b, t, (uint16_t)i, 1000 + (i / 3) * 3000);
        last_rtp = t;
    }
    lb_json(&b, TSN_REC_EVENT, t, "{\"type\":\"event\",\"seq\":5,\"media\":null}");
    uint64_t last_us = t + 777;
    lb_json(&b, TSN_REC_EVENT, last_us, "{\"type\":\"event\",\"seq\":6,\"kind\":\"chat\"}");
    uint8_t torn[64];
    long n = tsn_rec_encode(torn, sizeof torn, TSN_REC_EVENT, 0, last_us + 5000000, "{\"a\":1}", 7);
    assert_true(n > 20);
    lb_raw(&b, torn, 20); /* cut by the kill */
    make_session_dir(f, "roomA", ID1);
    char p[256];
    session_path(f, "roomA", ID1, "media.tsr", p, sizeof p);
    write_bytes(p, b.p, b.len);
    const size_t id1_bytes = b.len;
    free(b.p);

    make_session_dir(f, "roomB", ID3);
    session_path(f, "roomB", ID3, "media.tsr", p, sizeof p);
    write_bytes(p, "<html>not a recording</html>", 28);
    make_session_dir(f, "roomB", ID5);

    run_recorder(f);

    ix = open_index(f);
    struct tsn_rec_session s;
    assert_int_equal(tsn_rec_index_session_get(ix, ID1, &s), 0);
    print_message("ID1: %s, %s\n", s.state, s.stop_reason);
    assert_string_equal(s.state, "recovered");
    assert_int_equal(s.ended_ms, (int64_t)(last_us / 1000u));
    assert_int_equal(s.started_ms, t0_ms);
    assert_int_equal(s.packets, 42);
    assert_int_equal(s.frames, 14);
    assert_int_equal(s.events, 3);
    assert_int_equal(s.bytes, id1_bytes);
    assert_int_equal(s.media_ms, (int64_t)((last_rtp - first_rtp) / 1000u));
    assert_string_equal(s.codec, "H264"); /* the last generation's */
    assert_string_equal(s.started_by, "cap-1");
    /* 1 SESSION + 1 snapshot + 2 STREAM + 42 RTP + 3 events = 49 records */
    assert_string_equal(s.stop_reason, "relay stopped unexpectedly: recovered 49 records (20 bytes "
                                       "of a cut record at the end)");

    session_path(f, "roomA", ID1, "session.json", p, sizeof p);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    json_t *j = json_load_file(p, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "recovered");
    assert_string_equal(json_string_value(json_object_get(j, "id")), ID1);
    assert_string_equal(json_string_value(json_object_get(j, "room")), "roomA");
    assert_int_equal(json_integer_value(json_object_get(j, "ended_ms")), s.ended_ms);
    assert_int_equal(json_integer_value(json_object_get(j, "frames")), 14);
    assert_int_equal(json_integer_value(json_object_get(j, "bytes")), s.bytes);
    assert_string_equal(json_string_value(json_object_get(j, "stop_reason")), s.stop_reason);
    json_decref(j);

    assert_int_equal(tsn_rec_index_session_get(ix, ID2, &s), 0);
    assert_string_equal(s.state, "failed");
    assert_string_equal(s.stop_reason, "relay stopped unexpectedly: no media was written");
    assert_int_equal(s.ended_ms, s.started_ms);
    assert_int_equal(s.packets, 0);
    assert_int_equal(s.frames, 0);
    assert_int_equal(s.events, 0);

    assert_int_equal(tsn_rec_index_session_get(ix, ID3, &s), 0);
    assert_string_equal(s.state, "failed");
    assert_string_equal(s.stop_reason, "relay stopped unexpectedly: the packet log is unreadable");
    assert_int_equal(s.ended_ms, s.started_ms);

    assert_int_equal(tsn_rec_index_session_get(ix, ID5, &s), 0);
    assert_string_equal(s.state, "failed");
    assert_string_equal(s.stop_reason, "relay stopped unexpectedly: no media was written");
    session_path(f, "roomB", ID5, "session.json", p, sizeof p);
    j = json_load_file(p, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "failed");
    assert_true(json_is_null(json_object_get(j, "stream")));
    json_decref(j);

    /* Not "recording": untouched. */
    assert_int_equal(tsn_rec_index_session_get(ix, ID4, &s), 0);
    assert_string_equal(s.state, "complete");
    assert_string_equal(s.stop_reason, "stopped");
    assert_int_equal(s.ended_ms, t0_ms + 5000);
    assert_int_equal(s.bytes, 1234);
    assert_int_equal(s.packets, 7);
    session_path(f, "roomB", ID4, "session.json", p, sizeof p);
    assert_int_equal(file_size(p), -1);

    /* Nothing left to recover: a second start changes nothing. */
    tsn_rec_index_close(ix);
    run_recorder(f);
    ix = open_index(f);
    assert_int_equal(tsn_rec_index_session_get(ix, ID1, &s), 0);
    assert_string_equal(s.state, "recovered");
    assert_int_equal(s.ended_ms, (int64_t)(last_us / 1000u));
    tsn_rec_index_close(ix);
}

/* ---- retention ----------------------------------------------------------------------- */

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void test_retention_at_start(void **state)
{
    struct fx *f = *state;
    int64_t now = now_ms();
    struct tsn_rec_index *ix = open_index(f);
    add_row(ix, ID1, "roomA", "complete", now - 3 * DAY_MS, now - 2 * DAY_MS);       /* deleted */
    add_row(ix, ID2, "roomA", "complete", now - 2 * DAY_MS, now - 3600000);          /* kept */
    add_row(ix, ID3, "roomB", "failed", now - 5 * DAY_MS, now - 4 * DAY_MS);         /* deleted */
    add_row(ix, ID4, "roomB", "recovered", now - 2 * DAY_MS, now - DAY_MS + 600000); /* kept */
    tsn_rec_index_close(ix);
    const char *ids[] = {ID1, ID2, ID3, ID4};
    const char *rooms[] = {"roomA", "roomA", "roomB", "roomB"};
    char p[256];
    for (int i = 0; i < 4; i++) {
        make_session_dir(f, rooms[i], ids[i]);
        session_path(f, rooms[i], ids[i], "media.tsr", p, sizeof p);
        write_bytes(p, "x", 1);
        session_path(f, rooms[i], ids[i], "export", p, sizeof p);
        assert_int_equal(mkdir(p, 0700), 0);
        session_path(f, rooms[i], ids[i], "export/recording.mp4", p, sizeof p);
        write_bytes(p, "mp4", 3);
    }
    /* A link out of an old session directory: removed, its target kept. */
    char outside[160], target_file[200];
    snprintf(outside, sizeof outside, "%s/outside", f->root);
    assert_int_equal(mkdir(outside, 0700), 0);
    snprintf(target_file, sizeof target_file, "%s/keep.txt", outside);
    write_bytes(target_file, "keep", 4);
    session_path(f, "roomA", ID1, "link", p, sizeof p);
    assert_int_equal(symlink(outside, p), 0);

    f->cfg.retention_days = 1;
    run_recorder(f);

    assert_true(exists(target_file));
    session_path(f, "roomA", ID1, NULL, p, sizeof p);
    assert_false(exists(p));
    session_path(f, "roomB", ID3, NULL, p, sizeof p);
    assert_false(exists(p));
    session_path(f, "roomA", ID2, "export/recording.mp4", p, sizeof p);
    assert_true(exists(p));
    session_path(f, "roomB", ID4, "media.tsr", p, sizeof p);
    assert_true(exists(p));
    snprintf(p, sizeof p, "%s/roomA", f->dir);
    assert_true(exists(p)); /* the room's directory stays */

    ix = open_index(f);
    struct tsn_rec_session s;
    assert_int_equal(tsn_rec_index_session_get(ix, ID1, &s), -ENOENT);
    assert_int_equal(tsn_rec_index_session_get(ix, ID3, &s), -ENOENT);
    assert_int_equal(tsn_rec_index_session_get(ix, ID2, &s), 0);
    assert_string_equal(s.state, "complete");
    assert_int_equal(tsn_rec_index_session_get(ix, ID4, &s), 0);

    json_t *audit = tsn_rec_index_audit_json(ix, NULL, 100);
    assert_non_null(audit);
    assert_int_equal(json_array_size(audit), 2);
    int seen1 = 0, seen3 = 0;
    for (size_t i = 0; i < 2; i++) {
        json_t *e = json_array_get(audit, i);
        assert_string_equal(json_string_value(json_object_get(e, "action")), "delete");
        assert_string_equal(json_string_value(json_object_get(e, "actor")), "retention");
        assert_string_equal(json_string_value(json_object_get(e, "detail")), "older than 1 days");
        const char *sess = json_string_value(json_object_get(e, "session"));
        const char *room = json_string_value(json_object_get(e, "room"));
        if (strcmp(sess, ID1) == 0 && strcmp(room, "roomA") == 0)
            seen1++;
        if (strcmp(sess, ID3) == 0 && strcmp(room, "roomB") == 0)
            seen3++;
        int64_t tm = json_integer_value(json_object_get(e, "time_ms"));
        assert_true(tm >= now && tm <= now_ms());
    }
    assert_int_equal(seen1, 1);
    assert_int_equal(seen3, 1);
    json_decref(audit);
    tsn_rec_index_close(ix);
}

/* A session still being written is never deleted, however old its start;
 * retention_days 0 is not called (keep forever) but a period of N days
 * keeps anything that ended less than N days ago. */
static void test_retention_direct(void **state)
{
    struct fx *f = *state;
    int64_t now = now_ms();
    struct tsn_rec_index *ix = open_index(f);
    add_row(ix, ID1, "roomA", "recording", now - 30 * DAY_MS, 0);
    add_row(ix, ID2, "roomA", "complete", now - 9 * DAY_MS, now - 8 * DAY_MS);
    add_row(ix, ID3, "roomA", "complete", now - 9 * DAY_MS, now - 6 * DAY_MS);
    make_session_dir(f, "roomA", ID1);
    make_session_dir(f, "roomA", ID2);
    make_session_dir(f, "roomA", ID3);

    tsn_rec_retention(ix, f->dir, 7, now);
    struct tsn_rec_session s;
    assert_int_equal(tsn_rec_index_session_get(ix, ID1, &s), 0);
    assert_string_equal(s.state, "recording");
    assert_int_equal(tsn_rec_index_session_get(ix, ID2, &s), -ENOENT);
    assert_int_equal(tsn_rec_index_session_get(ix, ID3, &s), 0);
    char p[256];
    session_path(f, "roomA", ID1, NULL, p, sizeof p);
    assert_true(exists(p));
    session_path(f, "roomA", ID2, NULL, p, sizeof p);
    assert_false(exists(p));
    session_path(f, "roomA", ID3, NULL, p, sizeof p);
    assert_true(exists(p));

    /* Run again a week later: ID3 goes, the live one still stays. */
    tsn_rec_retention(ix, f->dir, 7, now + 7 * DAY_MS);
    assert_int_equal(tsn_rec_index_session_get(ix, ID3, &s), -ENOENT);
    assert_false(exists(p));
    assert_int_equal(tsn_rec_index_session_get(ix, ID1, &s), 0);
    session_path(f, "roomA", ID1, NULL, p, sizeof p);
    assert_true(exists(p));

    /* A session whose directory is already gone: the row still goes. */
    add_row(ix, ID4, "roomA", "complete", now - 9 * DAY_MS, now - 8 * DAY_MS);
    tsn_rec_retention(ix, f->dir, 7, now);
    assert_int_equal(tsn_rec_index_session_get(ix, ID4, &s), -ENOENT);
    tsn_rec_index_close(ix);
}

/* ---- session.json and directory removal ------------------------------------------ */

static void test_session_json(void **state)
{
    struct fx *f = *state;
    struct tsn_rec_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.id, sizeof s.id, "%s", ID1);
    snprintf(s.room, sizeof s.room, "roomA");
    snprintf(s.state, sizeof s.state, "recording");
    snprintf(s.started_by, sizeof s.started_by, "dr \"a\"");
    s.started_ms = 1795765812000;
    char p[256];
    /* No directory: an error, nothing created. */
    assert_true(tsn_rec_write_session_json(f->dir, &s, NULL) < 0);
    make_session_dir(f, "roomA", ID1);

    mode_t old = umask(0);
    int rc = tsn_rec_write_session_json(f->dir, &s, "{\"width\":640}");
    umask(old);
    assert_int_equal(rc, 0);
    session_path(f, "roomA", ID1, "session.json", p, sizeof p);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    json_t *j = json_load_file(p, 0, NULL);
    assert_non_null(j);
    json_t *want =
        json_pack("{s:s, s:s, s:I, s:n, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, "
                  "s:{s:i}}",
                  "id", ID1, "room", "roomA", "started_ms", (json_int_t)1795765812000, "ended_ms",
                  "state", "recording", "started_by", "dr \"a\"", "stop_reason", "", "codec", "",
                  "media_ms", (json_int_t)0, "bytes", (json_int_t)0, "packets", (json_int_t)0,
                  "frames", (json_int_t)0, "events", (json_int_t)0, "stream", "width", 640);
    assert_non_null(want);
    if (!json_equal(j, want)) {
        char *got = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        fail_msg("session.json: %s", got);
    }
    json_decref(j);
    json_decref(want);

    /* Rewritten in place: the end, and stream metadata that is not JSON. */
    snprintf(s.state, sizeof s.state, "complete");
    s.ended_ms = 1795765900000;
    s.bytes = 99;
    assert_int_equal(tsn_rec_write_session_json(f->dir, &s, "not json"), 0);
    j = json_load_file(p, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "ended_ms")), 1795765900000);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "complete");
    assert_int_equal(json_integer_value(json_object_get(j, "bytes")), 99);
    assert_true(json_is_null(json_object_get(j, "stream")));
    json_decref(j);
    session_path(f, "roomA", ID1, "session.json.tmp", p, sizeof p);
    assert_false(exists(p));
}

static void test_remove_dir(void **state)
{
    struct fx *f = *state;
    assert_int_equal(tsn_rec_remove_dir(f->dir, "..", ID1), -EINVAL);
    assert_int_equal(tsn_rec_remove_dir(f->dir, "roomA/../..", ID1), -EINVAL);
    assert_int_equal(tsn_rec_remove_dir(f->dir, "roomA", ".."), -EINVAL);
    assert_int_equal(tsn_rec_remove_dir(f->dir, "roomA", "20261120T100000Z-0000000G"), -EINVAL);
    assert_int_equal(tsn_rec_remove_dir(f->dir, "", ID1), -EINVAL);
    assert_int_equal(tsn_rec_remove_dir(f->dir, "roomA", ID1), 0); /* already gone */

    make_session_dir(f, "roomA", ID1);
    char p[256];
    session_path(f, "roomA", ID1, "export", p, sizeof p);
    assert_int_equal(mkdir(p, 0700), 0);
    session_path(f, "roomA", ID1, "export/deeper", p, sizeof p);
    assert_int_equal(mkdir(p, 0700), 0);
    session_path(f, "roomA", ID1, "export/deeper/x.part", p, sizeof p);
    write_bytes(p, "1", 1);
    session_path(f, "roomA", ID1, "media.tsr", p, sizeof p);
    write_bytes(p, "1", 1);
    /* Links to a file and to a directory outside: the links go, not the targets. */
    char outside[160], keep[200];
    snprintf(outside, sizeof outside, "%s/outside", f->root);
    assert_int_equal(mkdir(outside, 0700), 0);
    snprintf(keep, sizeof keep, "%s/keep.txt", outside);
    write_bytes(keep, "keep", 4);
    session_path(f, "roomA", ID1, "export/dirlink", p, sizeof p);
    assert_int_equal(symlink(outside, p), 0);
    session_path(f, "roomA", ID1, "filelink", p, sizeof p);
    assert_int_equal(symlink(keep, p), 0);
    make_session_dir(f, "roomA", ID2);

    assert_int_equal(tsn_rec_remove_dir(f->dir, "roomA", ID1), 0);
    session_path(f, "roomA", ID1, NULL, p, sizeof p);
    assert_false(exists(p));
    assert_true(exists(keep));
    session_path(f, "roomA", ID2, NULL, p, sizeof p);
    assert_true(exists(p)); /* its neighbour */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_at_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_direct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_dir, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
