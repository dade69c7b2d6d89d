/* Unit tests for relay/rec_index.c (the recordings index, SQLite): a new
 * file gets the schema and keeps its data across reopen; every session
 * field survives begin/update/get; -EEXIST, -ENOENT and -EINVAL where the
 * contract says; recovery and retention iterate the right rows in the right
 * order and stop early; participants' leave closes the newest open row
 * only; the audit log and the REST JSON (room isolation, newest first,
 * limits); hostile strings are stored and returned verbatim; session ids are
 * checked for shape; a corrupt file, a newer schema and a foreign database
 * are refused with a reason; two handles on two threads share the file
 * without SQLITE_BUSY failures. Each test works in its own temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "rec_index.h"

#define ID_A "20261127T075012Z-3fa9c2d1"
#define ID_B "20261127T080000Z-00000000"
#define ID_C "20261128T000000Z-abcdef01"
#define ID_D "20261129T235959Z-99999999"

struct dir {
    char path[64];
    char db[96];
};

static int setup(void **state)
{
    struct dir *d = calloc(1, sizeof *d);
    assert_non_null(d);
    strcpy(d->path, "/tmp/tsn_rec_index_XXXXXX");
    assert_non_null(mkdtemp(d->path));
    snprintf(d->db, sizeof d->db, "%s/index.sqlite", d->path);
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    struct dir *d = *state;
    static const char *const names[] = {"index.sqlite", "index.sqlite-wal", "index.sqlite-shm",
                                        "index.sqlite-journal"};
    char p[160];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", d->path, names[i]);
        unlink(p);
    }
    rmdir(d->path);
    free(d);
    return 0;
}

static struct tsn_rec_index *open_ok(const struct dir *d)
{
    char why[256] = "";
    struct tsn_rec_index *ix = tsn_rec_index_open(d->db, why, sizeof why);
    if (!ix)
        fail_msg("open %s: %s", d->db, why);
    return ix;
}

static void make_session(struct tsn_rec_session *s, const char *id, const char *room,
                         int64_t started_ms)
{
    memset(s, 0, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", id);
    snprintf(s->room, sizeof s->room, "%s", room);
    snprintf(s->state, sizeof s->state, "recording");
    snprintf(s->started_by, sizeof s->started_by, "dr-a");
    s->started_ms = started_ms;
}

static void begin_ok(struct tsn_rec_index *ix, const char *id, const char *room, int64_t start)
{
    struct tsn_rec_session s;
    make_session(&s, id, room, start);
    assert_int_equal(tsn_rec_index_session_begin(ix, &s), 0);
}

static void end_session(struct tsn_rec_index *ix, const char *id, int64_t ended_ms)
{
    struct tsn_rec_session s;
    assert_int_equal(tsn_rec_index_session_get(ix, id, &s), 0);
    snprintf(s.state, sizeof s.state, "complete");
    s.ended_ms = ended_ms;
    assert_int_equal(tsn_rec_index_session_update(ix, &s), 0);
}

static void assert_session_equal(const struct tsn_rec_session *a, const struct tsn_rec_session *b)
{
    assert_string_equal(a->id, b->id);
    assert_string_equal(a->room, b->room);
    assert_string_equal(a->state, b->state);
    assert_string_equal(a->codec, b->codec);
    assert_string_equal(a->started_by, b->started_by);
    assert_string_equal(a->stop_reason, b->stop_reason);
    assert_true(a->started_ms == b->started_ms);
    assert_true(a->ended_ms == b->ended_ms);
    assert_true(a->media_ms == b->media_ms);
    assert_true(a->bytes == b->bytes);
    assert_true(a->packets == b->packets);
    assert_true(a->frames == b->frames);
    assert_true(a->events == b->events);
}

/* One integer from the file, read with SQLite directly (not through the
 * module under test). */
static int64_t sql_int(const char *db_path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void sql_exec(const char *db_path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* ---- open, persistence, round trip ------------------------------------ */

static void test_create_and_reopen(void **state)
{
    struct dir *d = *state;
    struct tsn_rec_index *ix = open_ok(d);
    begin_ok(ix, ID_A, "room1", 1795000000000);
    assert_int_equal(tsn_rec_index_participant_join(ix, ID_A, "dr-a", TSN_ROLE_CLINICIAN, 5), 0);
    struct tsn_rec_audit a = {.time_ms = 7, .role = TSN_ROLE_REVIEWER};
    strcpy(a.actor, "rev");
    strcpy(a.action, "list");
    strcpy(a.room, "room1");
    assert_int_equal(tsn_rec_index_audit(ix, &a), 0);
    tsn_rec_index_close(ix);

    /* The settings and the schema version are in the file. */
    assert_int_equal(sql_int(d->db, "PRAGMA user_version"), 1);
    assert_int_equal(sql_int(d->db, "SELECT count(*) FROM sessions"), 1);
    assert_int_equal(sql_int(d->db, "SELECT count(*) FROM participants"), 1);
    assert_int_equal(sql_int(d->db, "SELECT count(*) FROM audit"), 1);
    assert_int_equal(sql_int(d->db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                                    "AND name IN ('sessions_room_started', 'audit_room_time')"),
                     2);

    ix = open_ok(d);
    struct tsn_rec_session s;
    assert_int_equal(tsn_rec_index_session_get(ix, ID_A, &s), 0);
    assert_string_equal(s.room, "room1");
    assert_true(s.started_ms == 1795000000000);
    json_t *aj = tsn_rec_index_audit_json(ix, "room1", 10);
    assert_non_null(aj);
    assert_int_equal(json_array_size(aj), 1);
    json_decref(aj);
    tsn_rec_index_close(ix);
    tsn_rec_index_close(NULL); /* no-op */
}

static void test_round_trip(void **state)
{
    struct dir *d = *state;
    struct tsn_rec_index *ix = open_ok(d);
    struct tsn_rec_session in, out;
    make_session(&in, ID_A, "room-1_x", 1795000000123);
    strcpy(in.codec, "H264");
    strcpy(in.started_by, "capture-7");
    strcpy(in.stop_reason, "");
    in.media_ms = 17;
    in.bytes = 1;
    in.packets = 2;
    in.frames = 3;
    in.events = 4;
    assert_int_equal(tsn_rec_index_session_begin(ix, &in), 0);
    assert_int_equal(tsn_rec_index_session_get(ix, ID_A, &out), 0);
    assert_session_equal(&in, &out);

    /* begin always writes "recording", whatever the struct says. */
    struct tsn_rec_session other;
    make_session(&other, ID_B, "room-1_x", 1);
    strcpy(other.state, "complete");
    assert_int_equal(tsn_rec_index_session_begin(ix, &other), 0);
    assert_int_equal(tsn_rec_index_session_get(ix, ID_B, &out), 0);
    assert_string_equal(out.state, "recording");
    assert_true(out.ended_ms == 0);

    /* Every mutable column; the immutable ones stay as begun. */
    struct tsn_rec_session up = in;
    strcpy(up.state, "failed");
    strcpy(up.codec, "VP8");
    strcpy(up.stop_reason, "disk full: recording stopped");
    up.ended_ms = 1795000099999;
    up.media_ms = 99876;
    up.bytes = UINT64_MAX - 5; /* past INT64_MAX: must come back unchanged */
    up.packets = 123456789012ull;
    up.frames = 1163;
    up.events = 42;
    struct tsn_rec_session up_changed_fixed = up;
    strcpy(up_changed_fixed.room, "elsewhere");
    strcpy(up_changed_fixed.started_by, "mallory");
    up_changed_fixed.started_ms = 5;
    assert_int_equal(tsn_rec_index_session_update(ix, &up_changed_fixed), 0);
    assert_int_equal(tsn_rec_index_session_get(ix, ID_A, &out), 0);
    assert_session_equal(&up, &out);
    tsn_rec_index_close(ix);

    ix = open_ok(d);
    assert_int_equal(tsn_rec_index_session_get(ix, ID_A, &out), 0);
    assert_session_equal(&up, &out);
    tsn_rec_index_close(ix);
}

static void test_error_codes(void **state)
{
    struct dir *d = *state;
    struct tsn_rec_index *ix = open_ok(d);
    struct tsn_rec_session s, out;
    make_session(&s, ID_A, "r", 10);
    assert_int_equal(tsn_rec_index_session_begin(ix, &s), 0);
    assert_int_equal(tsn_rec_index_session_begin(ix, &s), -EEXIST);
    /* The failed insert left the first row alone. */
    assert_int_equal(tsn_rec_index_session_get(ix, ID_A, &out), 0);
    assert_true(out.started_ms == 10);

    struct tsn_rec_session unknown;
    make_session(&unknown, ID_B, "r", 10);
    assert_int_equal(tsn_rec_index_session_get(ix, ID_B, &out), -ENOENT);
    assert_int_equal(tsn_rec_index_session_update(ix, &unknown), -ENOENT);
    assert_int_equal(tsn_rec_index_session_delete(ix, ID_B), -ENOENT);
    assert_int_equal(tsn_rec_index_participant_join(ix, ID_B, "x", TSN_ROLE_OBSERVER, 1), -ENOENT);
    assert_int_equal(tsn_rec_index_participant_leave(ix, ID_A, "nobody", 1), -ENOENT);

    /* Shapes the contract rules out. */
    struct tsn_rec_session bad;
    make_session(&bad, "../../etc/passwd", "r", 1);
    assert_int_equal(tsn_rec_index_session_begin(ix, &bad), -EINVAL);
    make_session(&bad, ID_C, "bad room/..", 1);
    assert_int_equal(tsn_rec_index_session_begin(ix, &bad), -EINVAL);
    s.ended_ms = 20;
    strcpy(s.state, "finished");
    assert_int_equal(tsn_rec_index_session_update(ix, &s), -EINVAL);
    struct tsn_rec_audit a = {.time_ms = 1};
    assert_int_equal(tsn_rec_index_audit(ix, &a), -EINVAL); /* no action */

    /* delete takes the participants, not the audit entries. */
    assert_int_equal(tsn_rec_index_participant_join(ix, ID_A, "dr-a", TSN_ROLE_CLINICIAN, 11), 0);
    strcpy(a.action, "view");
    strcpy(a.room, "r");
    strcpy(a.session, ID_A);
    assert_int_equal(tsn_rec_index_audit(ix, &a), 0);
    assert_int_equal(tsn_rec_index_session_delete(ix, ID_A), 0);
    assert_int_equal(tsn_rec_index_session_get(ix, ID_A, &out), -ENOENT);
    tsn_rec_index_close(ix);
    assert_int_equal(sql_int(d->db, "SELECT count(*) FROM participants"), 0);
    assert_int_equal(sql_int(d->db, "SELECT count(*) FROM audit"), 1);
}

/* ---- iteration --------------------------------------------------------- */

struct seen {
    char ids[8][TSN_REC_ID_LEN + 1];
    int n;
    int stop_at;              /* return 7 from the call with this index (1-based), 0 = never */
    struct tsn_rec_index *ix; /* when set: update (recovery) or delete (retention) */
    int delete;
};

static int collect(void *user, const struct tsn_rec_session *s)
{
    struct seen *v = user;
    assert_true(v->n < 8);
    strcpy(v->ids[v->n++], s->id);
    if (v->ix && v->delete)
        assert_int_equal(tsn_rec_index_session_delete(v->ix, s->id), 0);
    else if (v->ix) {
        struct tsn_rec_session r = *s;
        strcpy(r.state, "recovered");
        r.ended_ms = s->started_ms + 1;
        assert_int_equal(tsn_rec_index_session_update(v->ix, &r), 0);
    }
    return v->n == v->stop_at ? 7 : 0;
}

static void test_each_in_state(void **state)
{
    struct dir *d = *state;
    struct tsn_rec_index *ix = open_ok(d);
    /* Inserted out of start order; one of them is complete. */
    begin_ok(ix, ID_C, "r", 3000);
    begin_ok(ix, ID_A, "r", 1000);
    begin_ok(ix, ID_D, "q", 2000);
    begin_ok(ix, ID_B, "r", 1500);
    end_session(ix, ID_B, 1600);

    struct seen v = {0};
    assert_int_equal(tsn_rec_index_each_in_state(ix, "recording", collect, &v), 0);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.ids[0], ID_A);
    assert_string_equal(v.ids[1], ID_D);
    assert_string_equal(v.ids[2], ID_C);

    struct seen stop = {.stop_at = 2};
    assert_int_equal(tsn_rec_index_each_in_state(ix, "recording", collect, &stop), 7);
    assert_int_equal(stop.n, 2);

    struct seen none = {0};
    assert_int_equal(tsn_rec_index_each_in_state(ix, "failed", collect, &none), 0);
    assert_int_equal(none.n, 0);

    /* Recovery: the callback updates each row through the same handle. */
    struct seen rec = {.ix = ix};
    assert_int_equal(tsn_rec_index_each_in_state(ix, "recording", collect, &rec), 0);
    assert_int_equal(rec.n, 3);
    struct seen after = {0};
    assert_int_equal(tsn_rec_index_each_in_state(ix, "recording", collect, &after), 0);
    assert_int_equal(after.n, 0);
    assert_int_equal(tsn_rec_index_each_in_state(ix, "recovered", collect, &after), 0);
    assert_int_equal(after.n, 3);
    struct tsn_rec_session s;
    assert_int_equal(tsn_rec_index_session_get(ix, ID_C, &s), 0);
    assert_true(s.ended_ms == 3001);
    tsn_rec_index_close(ix);
}

static void test_each_older(void **state)
{
    struct dir *d = *state;
    struct tsn_rec_index *ix = open_ok(d);
    const int64_t cut = 1000000;
    begin_ok(ix, ID_A, "r", cut - 5000); /* ended before the cut: candidate */
    end_session(ix, ID_A, cut - 1);
    begin_ok(ix, ID_B, "r", cut - 9000); /* never ended, started before: candidate */
    begin_ok(ix, ID_C, "r", cut - 8000); /* started before, ended at/after the cut */
    end_session(ix, ID_C, cut);
    begin_ok(ix, ID_D, "r", cut + 1); /* newer */

    struct seen v = {0};
    assert_int_equal(tsn_rec_index_each_older(ix, cut, collect, &v), 0);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.ids[0], ID_B); /* oldest start first */
    assert_string_equal(v.ids[1], ID_A);

    struct seen stop = {.stop_at = 1};
    assert_int_equal(tsn_rec_index_each_older(ix, cut, collect, &stop), 7);
    assert_int_equal(stop.n, 1);

    /* The sweep deletes through the same handle. */
    struct seen sweep = {.ix = ix, .delete = 1};
    assert_int_equal(tsn_rec_index_each_older(ix, cut, collect, &sweep), 0);
    assert_int_equal(sweep.n, 2);
    struct seen left = {0};
    assert_int_equal(tsn_rec_index_each_older(ix, INT64_MAX, collect, &left), 0);
    assert_int_equal(left.n, 2);
    assert_string_equal(left.ids[0], ID_C);
    assert_string_equal(left.ids[1], ID_D);
    tsn_rec_index_close(ix);
}

/* ---- participants ------------------------------------------------------ */

static json_t *participant(json_t *session, size_t i)
{
    json_t *p = json_array_get(json_object_get(session, "participants"), i);
    assert_non_null(p);
    return p;
}

static void assert_left(json_t *p, const char *sub, int64_t joined, int64_t left)
{
    assert_string_equal(json_string_value(json_object_get(p, "sub")), sub);
    assert_true(json_integer_value(json_object_get(p, "joined_ms")) == joined);
    json_t *l = json_object_get(p, "left_ms");
    assert_non_null(l);
    if (left == 0)
        assert_true(json_is_null(l));
    else
        assert_true(json_integer_value(l) == left);
}

static void test_participants(void **state)
{
    struct dir *d = *state;
    struct tsn_rec_index *ix = open_ok(d);
    begin_ok(ix, ID_A, "r", 50);
    assert_int_equal(tsn_rec_index_participant_join(ix, ID_A, "cap", TSN_ROLE_CAPTURE, 100), 0);
    /* The same sub twice (a reconnect before the leave was seen). */
    assert_int_equal(tsn_rec_index_participant_join(ix, ID_A, "dr-a", TSN_ROLE_CLINICIAN, 200), 0);
    assert_int_equal(tsn_rec_index_participant_join(ix, ID_A, "dr-a", TSN_ROLE_CLINICIAN, 300), 0);
    assert_int_equal(tsn_rec_index_participant_leave(ix, ID_A, "dr-a", 400), 0);

    int err = 1;
    json_t *s = tsn_rec_index_session_json(ix, "r", ID_A, &err);
    assert_non_null(s);
    assert_int_equal(err, 0);
    assert_int_equal(json_array_size(json_object_get(s, "participants")), 3);
    assert_left(participant(s, 0), "cap", 100, 0);
    assert_string_equal(json_string_value(json_object_get(participant(s, 0), "role")), "capture");
    assert_left(participant(s, 1), "dr-a", 200, 0); /* older open row untouched */
    assert_left(participant(s, 2), "dr-a", 300, 400);
    assert_string_equal(json_string_value(json_object_get(participant(s, 2), "role")), "clinician");
    json_decref(s);

    /* The next leave closes the remaining open row, then there is none. */
    assert_int_equal(tsn_rec_index_participant_leave(ix, ID_A, "dr-a", 500), 0);
    assert_int_equal(tsn_rec_index_participant_leave(ix, ID_A, "dr-a", 600), -ENOENT);
    s = tsn_rec_index_session_json(ix, "r", ID_A, &err);
    assert_non_null(s);
    assert_left(participant(s, 1), "dr-a", 200, 500);
    assert_left(participant(s, 2), "dr-a", 300, 400);
    json_decref(s);

    /* The list counts distinct people. */
    json_t *l = tsn_rec_index_list_json(ix, "r", 10);
    assert_non_null(l);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "participant_count")),
                     2);
    json_decref(l);
    tsn_rec_index_close(ix);
}

/* ---- audit ------------------------------------------------------------- */

static void audit(struct tsn_rec_index *ix, int64_t t, const char *room, const char *action,
                  const char *detail)
{
    struct tsn_rec_audit a = {.time_ms = t, .role = TSN_ROLE_ADMIN};
    snprintf(a.actor, sizeof a.actor, "admin-%lld", (long long)t);
    snprintf(a.action, sizeof a.action, "%s", action);
    snprintf(a.room, sizeof a.room, "%s", room);
    snprintf(a.session, sizeof a.session, "%s", t % 2 ? ID_A : "");
    snprintf(a.detail, sizeof a.detail, "%s", detail);
    assert_int_equal(tsn_rec_index_audit(ix, &a), 0);
}

static const char *jstr(json_t *arr, size_t i, const char *key)
{
    const char *v = json_string_value(json_object_get(json_array_get(arr, i), key));
    assert_non_null(v);
    return v;
}

static int64_t jint(json_t *arr, size_t i, const char *key)
{
    json_t *v = json_object_get(json_array_get(arr, i), key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static void test_audit(void **state)
{
    struct dir *d = *state;
    struct tsn_rec_index *ix = open_ok(d);
    audit(ix, 10, "A", "join", "");
    audit(ix, 30, "B", "list", "");
    audit(ix, 20, "A", "view", "");
    audit(ix, 40, "A", "denied", "token is for another room");
    audit(ix, 40, "A", "export", "burn_in"); /* same ms: later insert first */

    json_t *a = tsn_rec_index_audit_json(ix, "A", 100);
    assert_non_null(a);
    assert_int_equal(json_array_size(a), 4);
    assert_string_equal(jstr(a, 0, "action"), "export");
    assert_string_equal(jstr(a, 1, "action"), "denied");
    assert_string_equal(jstr(a, 1, "detail"), "token is for another room");
    assert_string_equal(jstr(a, 2, "action"), "view");
    assert_string_equal(jstr(a, 3, "action"), "join");
    assert_true(jint(a, 3, "time_ms") == 10);
    assert_string_equal(jstr(a, 3, "actor"), "admin-10");
    assert_string_equal(jstr(a, 3, "role"), "admin");
    assert_string_equal(jstr(a, 3, "room"), "A");
    assert_string_equal(jstr(a, 3, "session"), "");
    assert_string_equal(jstr(a, 2, "session"), "");
    for (size_t i = 0; i < json_array_size(a); i++)
        assert_string_equal(jstr(a, i, "room"), "A");
    json_decref(a);

    a = tsn_rec_index_audit_json(ix, NULL, 100);
    assert_non_null(a);
    assert_int_equal(json_array_size(a), 5);
    assert_string_equal(jstr(a, 2, "room"), "B");
    json_decref(a);

    a = tsn_rec_index_audit_json(ix, NULL, 2);
    assert_non_null(a);
    assert_int_equal(json_array_size(a), 2);
    assert_true(jint(a, 0, "time_ms") == 40 && jint(a, 1, "time_ms") == 40);
    json_decref(a);

    a = tsn_rec_index_audit_json(ix, "C", 100);
    assert_non_null(a);
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);
    tsn_rec_index_close(ix);
}

/* ---- REST JSON --------------------------------------------------------- */

static void test_list_room_isolation(void **state)
{
    struct dir *d = *state;
    struct tsn_rec_index *ix = open_ok(d);
    begin_ok(ix, ID_A, "A", 1000);
    begin_ok(ix, ID_B, "B", 2000);
    begin_ok(ix, ID_C, "A", 3000);
    begin_ok(ix, ID_D, "A", 2000);
    end_session(ix, ID_A, 1500);

    json_t *l = tsn_rec_index_list_json(ix, "A", 100);
    assert_non_null(l);
    assert_int_equal(json_array_size(l), 3);
    assert_string_equal(jstr(l, 0, "id"), ID_C);
    assert_string_equal(jstr(l, 1, "id"), ID_D);
    assert_string_equal(jstr(l, 2, "id"), ID_A);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(jstr(l, i, "room"), "A");
        assert_string_not_equal(jstr(l, i, "id"), ID_B);
    }
    /* Every key of the contract; ended_ms null while recording. */
    static const char *const keys[] = {"id",       "room",     "state",      "started_ms",
                                       "ended_ms", "media_ms", "bytes",      "frames",
                                       "events",   "codec",    "started_by", "stop_reason"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        assert_non_null(json_object_get(json_array_get(l, 2), keys[k]));
    assert_true(json_is_null(json_object_get(json_array_get(l, 0), "ended_ms")));
    assert_true(jint(l, 2, "ended_ms") == 1500);
    assert_string_equal(jstr(l, 2, "state"), "complete");
    json_decref(l);

    l = tsn_rec_index_list_json(ix, "A", 2);
    assert_int_equal(json_array_size(l), 2);
    assert_string_equal(jstr(l, 1, "id"), ID_D);
    json_decref(l);
    l = tsn_rec_index_list_json(ix, "A", 0);
    assert_int_equal(json_array_size(l), 0);
    json_decref(l);

    l = tsn_rec_index_list_json(ix, "B", UINT_MAX);
    assert_int_equal(json_array_size(l), 1);
    assert_string_equal(jstr(l, 0, "id"), ID_B);
    json_decref(l);
    l = tsn_rec_index_list_json(ix, "a", 100); /* rooms are case-sensitive */
    assert_int_equal(json_array_size(l), 0);
    json_decref(l);
    tsn_rec_index_close(ix);
}

static void test_session_json_other_room(void **state)
{
    struct dir *d = *state;
    struct tsn_rec_index *ix = open_ok(d);
    begin_ok(ix, ID_A, "A", 1000);
    begin_ok(ix, ID_B, "B", 2000);

    int err = 0;
    assert_null(tsn_rec_index_session_json(ix, "A", ID_B, &err));
    assert_int_equal(err, -ENOENT);
    err = 0;
    assert_null(tsn_rec_index_session_json(ix, "A", ID_C, &err)); /* unknown: the same */
    assert_int_equal(err, -ENOENT);
    assert_null(tsn_rec_index_session_json(ix, "A", ID_B, NULL));

    json_t *s = tsn_rec_index_session_json(ix, "B", ID_B, &err);
    assert_non_null(s);
    assert_int_equal(err, 0);
    assert_string_equal(json_string_value(json_object_get(s, "id")), ID_B);
    assert_string_equal(json_string_value(json_object_get(s, "state")), "recording");
    assert_true(json_is_array(json_object_get(s, "participants")));
    assert_int_equal(json_array_size(json_object_get(s, "participants")), 0);
    json_decref(s);
    tsn_rec_index_close(ix);
}

static void test_hostile_strings(void **state)
{
    struct dir *d = *state;
    struct tsn_rec_index *ix = open_ok(d);
    static const char *const hostile[] = {
        "' OR 1=1 --",
        "x'); DROP TABLE sessions; --",
        "\"quoted\" \\back\\slash",
        "Ünïcødé ✓ 超音波 🩻",
        "%s%n%x",
    };
    struct tsn_rec_session s, out;
    make_session(&s, ID_A, "A", 1);
    snprintf(s.started_by, sizeof s.started_by, "%s", hostile[0]);
    snprintf(s.stop_reason, sizeof s.stop_reason, "%s", hostile[1]);
    snprintf(s.codec, sizeof s.codec, "'--");
    assert_int_equal(tsn_rec_index_session_begin(ix, &s), 0);
    begin_ok(ix, ID_B, "B", 2);
    assert_int_equal(tsn_rec_index_session_get(ix, ID_A, &out), 0);
    assert_session_equal(&s, &out);

    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        assert_int_equal(
            tsn_rec_index_participant_join(ix, ID_A, hostile[i], TSN_ROLE_OBSERVER, (int64_t)i), 0);
        audit(ix, 100 + (int64_t)i * 2, "A", "view", hostile[i]);
        /* As a key, a hostile string matches nothing and changes nothing. */
        assert_int_equal(tsn_rec_index_session_get(ix, hostile[i], &out), -ENOENT);
        json_t *l = tsn_rec_index_list_json(ix, hostile[i], 100);
        assert_non_null(l);
        assert_int_equal(json_array_size(l), 0);
        json_decref(l);
        json_t *a = tsn_rec_index_audit_json(ix, hostile[i], 100);
        assert_int_equal(json_array_size(a), 0);
        json_decref(a);
        int err = 0;
        assert_null(tsn_rec_index_session_json(ix, hostile[i], ID_A, &err));
        assert_int_equal(err, -ENOENT);
        assert_int_equal(tsn_rec_index_session_delete(ix, hostile[i]), -ENOENT);
    }
    assert_int_equal(tsn_rec_index_participant_leave(ix, ID_A, "' OR 1=1 --", 9), 0);

    json_t *js = tsn_rec_index_session_json(ix, "A", ID_A, NULL);
    assert_non_null(js);
    assert_string_equal(json_string_value(json_object_get(js, "started_by")), hostile[0]);
    assert_string_equal(json_string_value(json_object_get(js, "stop_reason")), hostile[1]);
    assert_string_equal(json_string_value(json_object_get(js, "codec")), "'--");
    json_t *parts = json_object_get(js, "participants");
    assert_int_equal(json_array_size(parts), 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(jstr(parts, i, "sub"), hostile[i]);
    assert_true(jint(parts, 0, "left_ms") == 9);
    assert_true(json_is_null(json_object_get(json_array_get(parts, 1), "left_ms")));
    json_decref(js);

    json_t *a = tsn_rec_index_audit_json(ix, "A", 100);
    assert_int_equal(json_array_size(a), 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(jstr(a, 4 - i, "detail"), hostile[i]);
    json_decref(a);

    json_t *l = tsn_rec_index_list_json(ix, "A", 100);
    assert_int_equal(json_array_size(l), 1); /* B's session did not leak in */
    json_decref(l);
    tsn_rec_index_close(ix);
    assert_int_equal(sql_int(d->db, "SELECT count(*) FROM sessions"), 2);
}

/* ---- ids ---------------------------------------------------------------- */

static void test_id_valid(void **state)
{
    (void)state;
    assert_int_equal(tsn_rec_id_valid("20261127T075012Z-3fa9c2d1"), 1);
    assert_int_equal(tsn_rec_id_valid("00000000T000000Z-00000000"), 1);
    assert_int_equal(tsn_rec_id_valid("99991231T235960Z-ffffffff"), 1);
    static const char *const bad[] = {
        "",
        "20261127T075012Z-3fa9c2d",   /* short */
        "20261127T075012Z-3fa9c2d1a", /* long */
        "20261127T075012Z-3FA9C2D1",  /* uppercase hex */
        "20261127T075012Z-3fa9c2dg",  /* not hex */
        "20261127T075012Z/3fa9c2d1",  /* slash */
        "2026/127T075012Z-3fa9c2d1",
        "..261127T075012Z-3fa9c2d1",
        "20261127T075012Z-..a9c2d1",
        "2026112xT075012Z-3fa9c2d1", /* bad date char */
        "20261127t075012Z-3fa9c2d1",
        "20261127T07501 Z-3fa9c2d1",
        "20261127T075012z-3fa9c2d1",
        "20261127 075012Z-3fa9c2d1",
        "-20261127T075012Z-3fa9c2d",
        "20261127T075012Z-3fa9c2d1/",
        "../20261127T075012Z-3fa9c2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tsn_rec_id_valid(bad[i]))
            fail_msg("accepted '%s'", bad[i]);
    /* A NUL inside: the part before it is too short, and bytes after it
     * never count. */
    char nul[TSN_REC_ID_LEN + 2];
    memcpy(nul, "20261127T075012Z-3fa9c2d1", TSN_REC_ID_LEN + 1);
    nul[20] = '\0';
    assert_int_equal(tsn_rec_id_valid(nul), 0);
    memcpy(nul, "20261127T075012Z-3fa9c2d1", TSN_REC_ID_LEN);
    nul[TSN_REC_ID_LEN] = 'a';
    nul[TSN_REC_ID_LEN + 1] = '\0';
    assert_int_equal(tsn_rec_id_valid(nul), 0);
    assert_int_equal(tsn_rec_id_valid(NULL), 0);
}

/* ---- refused files ------------------------------------------------------ */

static void assert_open_fails(const struct dir *d, const char *reason_part)
{
    char why[256] = "";
    struct tsn_rec_index *ix = tsn_rec_index_open(d->db, why, sizeof why);
    if (ix) {
        tsn_rec_index_close(ix);
        fail_msg("opened %s", d->db);
    }
    if (!strstr(why, reason_part))
        fail_msg("reason '%s' lacks '%s'", why, reason_part);
    assert_non_null(strstr(why, d->db)); /* the reason names the file */
}

static void test_corrupt_file(void **state)
{
    struct dir *d = *state;
    FILE *f = fopen(d->db, "wb");
    assert_non_null(f);
    srand(12345);
    for (int i = 0; i < 65536; i++)
        fputc(rand() & 0xff, f);
    fclose(f);
    assert_open_fails(d, "not a database");

    /* Not created either when the directory does not exist. */
    struct dir missing = *d;
    snprintf(missing.db, sizeof missing.db, "%s/no/such/dir/index.sqlite", d->path);
    assert_open_fails(&missing, "No such file");
}

static void test_newer_schema(void **state)
{
    struct dir *d = *state;
    tsn_rec_index_close(open_ok(d));
    sql_exec(d->db, "PRAGMA user_version = 2");
    assert_open_fails(d, "newer");
    sql_exec(d->db, "PRAGMA user_version = 1");
    tsn_rec_index_close(open_ok(d));
}

static void test_foreign_database(void **state)
{
    struct dir *d = *state;
    sql_exec(d->db, "CREATE TABLE sessions (x INTEGER)");
    assert_open_fails(d, "schema");
    /* Refused without being changed. */
    assert_int_equal(sql_int(d->db, "SELECT count(*) FROM sqlite_master"), 1);
}

/* ---- two handles, two threads ------------------------------------------ */

#define WRITES 2000

struct writer {
    const char *db;
    int failures;
    volatile int done;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    char why[256];
    struct tsn_rec_index *ix = tsn_rec_index_open(w->db, why, sizeof why);
    if (!ix) {
        w->failures = -1;
        __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
        return NULL;
    }
    for (int i = 0; i < WRITES; i++) {
        struct tsn_rec_audit a = {.time_ms = i, .role = TSN_ROLE_REVIEWER};
        strcpy(a.actor, "rev");
        strcpy(a.action, "list");
        strcpy(a.room, "A");
        if (tsn_rec_index_audit(ix, &a) != 0)
            w->failures++;
        if (i % 100 == 0) { /* and sessions, as the recorder does */
            struct tsn_rec_session s;
            char id[TSN_REC_ID_LEN + 1];
            snprintf(id, sizeof id, "20261127T075012Z-%08x", (unsigned)i);
            make_session(&s, id, "A", 10000 + i);
            if (tsn_rec_index_session_begin(ix, &s) != 0)
                w->failures++;
        }
    }
    tsn_rec_index_close(ix);
    __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void test_two_threads(void **state)
{
    struct dir *d = *state;
    tsn_rec_index_close(open_ok(d)); /* the schema exists before the race */
    struct writer w = {.db = d->db};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
    struct tsn_rec_index *ix = open_ok(d);
    int reads = 0, read_failures = 0;
    size_t last = 0;
    while (!__atomic_load_n(&w.done, __ATOMIC_SEQ_CST) || reads < 5) {
        json_t *l = tsn_rec_index_list_json(ix, "A", 1000);
        json_t *a = tsn_rec_index_audit_json(ix, "A", 50);
        if (!l || !a)
            read_failures++;
        else if (json_array_size(l) < last)
            fail_msg("the list shrank");
        else
            last = json_array_size(l);
        json_decref(l);
        json_decref(a);
        reads++;
        /* The reader writes audit entries too, as the HTTP thread does. */
        struct tsn_rec_audit e = {.time_ms = 1, .role = TSN_ROLE_ADMIN};
        strcpy(e.action, "view");
        strcpy(e.room, "Z");
        if (tsn_rec_index_audit(ix, &e) != 0)
            read_failures++;
    }
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(w.failures, 0);
    assert_int_equal(read_failures, 0);
    json_t *a = tsn_rec_index_audit_json(ix, "A", UINT_MAX);
    assert_int_equal(json_array_size(a), WRITES);
    json_decref(a);
    a = tsn_rec_index_audit_json(ix, "Z", UINT_MAX);
    assert_int_equal(json_array_size(a), reads);
    json_decref(a);
    json_t *l = tsn_rec_index_list_json(ix, "A", 1000);
    assert_int_equal(json_array_size(l), WRITES / 100);
    json_decref(l);
    tsn_rec_index_close(ix);
    print_message("two threads: %d reads while %d writes\n", reads, WRITES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_in_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_older, setup, teardown),
        cmocka_unit_test_setup_teardown(test_participants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_room_isolation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_json_other_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_strings, setup, teardown),
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
