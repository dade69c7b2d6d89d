/* The recordings index (rec_index.h): sessions, participants and the access
 * audit log in one SQLite file, WAL mode, one connection per handle and one
 * handle per thread.
 *
 * What it does: creates or opens the file, creates or migrates the schema
 * (PRAGMA user_version), keeps every statement prepared in the handle and
 * binds every value (nothing is ever spliced into SQL), maps SQLite result
 * codes to negative errno values, and builds the REST API's JSON.
 * What it does not do: build paths, touch the session directories, check
 * tokens or rooms against a caller (the caller passes the token's room), or
 * log; failures come back as codes, and a reason only from open.
 *
 * Iteration (each_in_state, each_older) reads the matching rows into memory
 * first and then calls back, so a callback may use the same handle (update
 * or delete the session it is given) without disturbing a running SELECT. */
#include "rec_index.h"

#include "why.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#define BUSY_TIMEOUT_MS 2000

/* Schema migrations: migrations[v] takes a database at user_version v to
 * v + 1. A future schema appends a step; a file newer than the last step is
 * refused rather than guessed at. */
static const char *const migrations[] = {
    /* 0 -> 1: the first schema. ended_ms and left_ms are NULL while open. */
    "CREATE TABLE IF NOT EXISTS sessions ("
    "  id TEXT PRIMARY KEY NOT NULL,"
    "  room TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  codec TEXT NOT NULL DEFAULT '',"
    "  started_by TEXT NOT NULL DEFAULT '',"
    "  stop_reason TEXT NOT NULL DEFAULT '',"
    "  started_ms INTEGER NOT NULL,"
    "  ended_ms INTEGER,"
    "  media_ms INTEGER NOT NULL DEFAULT 0,"
    "  bytes INTEGER NOT NULL DEFAULT 0,"
    "  packets INTEGER NOT NULL DEFAULT 0,"
    "  frames INTEGER NOT NULL DEFAULT 0,"
    "  events INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS sessions_room_started ON sessions(room, started_ms);"
    "CREATE TABLE IF NOT EXISTS participants ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
    "  sub TEXT NOT NULL,"
    "  role TEXT NOT NULL,"
    "  joined_ms INTEGER NOT NULL,"
    "  left_ms INTEGER);"
    "CREATE INDEX IF NOT EXISTS participants_session ON participants(session_id, sub);"
    "CREATE TABLE IF NOT EXISTS audit ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time_ms INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  role TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  room TEXT NOT NULL,"
    "  session TEXT NOT NULL,"
    "  detail TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS audit_room_time ON audit(room, time_ms);",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* The session columns in struct order; row_to_session reads them by these
 * positions, and the list query appends the participant count. */
#define SESSION_COLS                                                                               \
    "id, room, state, codec, started_by, stop_reason, started_ms, ended_ms, media_ms, bytes, "     \
    "packets, frames, events"
#define SESSION_NCOLS 13

enum stmt_id {
    ST_BEGIN,
    ST_UPDATE,
    ST_GET,
    ST_DELETE,
    ST_EACH_STATE,
    ST_EACH_OLDER,
    ST_JOIN,
    ST_LEAVE,
    ST_AUDIT,
    ST_LIST,
    ST_PARTICIPANTS,
    ST_AUDIT_ROOM,
    ST_AUDIT_ALL,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "INSERT INTO sessions (" SESSION_COLS ") "
                 "VALUES (?1, ?2, 'recording', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [ST_UPDATE] = "UPDATE sessions SET state = ?3, codec = ?4, stop_reason = ?6, ended_ms = ?8, "
                  "media_ms = ?9, bytes = ?10, packets = ?11, frames = ?12, events = ?13 "
                  "WHERE id = ?1",
    [ST_GET] = "SELECT " SESSION_COLS " FROM sessions WHERE id = ?1",
    [ST_DELETE] = "DELETE FROM sessions WHERE id = ?1",
    [ST_EACH_STATE] = "SELECT " SESSION_COLS " FROM sessions WHERE state = ?1 "
                      "ORDER BY started_ms, id",
    [ST_EACH_OLDER] = "SELECT " SESSION_COLS " FROM sessions "
                      "WHERE coalesce(ended_ms, started_ms) < ?1 ORDER BY started_ms, id",
    [ST_JOIN] = "INSERT INTO participants (session_id, sub, role, joined_ms, left_ms) "
                "VALUES (?1, ?2, ?3, ?4, NULL)",
    [ST_LEAVE] = "UPDATE participants SET left_ms = ?3 WHERE id = "
                 "(SELECT id FROM participants WHERE session_id = ?1 AND sub = ?2 "
                 "AND left_ms IS NULL ORDER BY joined_ms DESC, id DESC LIMIT 1)",
    [ST_AUDIT] = "INSERT INTO audit (time_ms, actor, role, action, room, session, detail) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_LIST] = "SELECT " SESSION_COLS ", (SELECT count(DISTINCT p.sub) FROM participants p "
                "WHERE p.session_id = sessions.id) FROM sessions WHERE room = ?1 "
                "ORDER BY started_ms DESC, id DESC LIMIT ?2",
    [ST_PARTICIPANTS] = "SELECT sub, role, joined_ms, left_ms FROM participants "
                        "WHERE session_id = ?1 ORDER BY joined_ms, id",
    [ST_AUDIT_ROOM] = "SELECT time_ms, actor, role, action, room, session, detail FROM audit "
                      "WHERE room = ?1 ORDER BY time_ms DESC, id DESC LIMIT ?2",
    [ST_AUDIT_ALL] = "SELECT time_ms, actor, role, action, room, session, detail FROM audit "
                     "ORDER BY time_ms DESC, id DESC LIMIT ?2",
};

struct tsn_rec_index {
    sqlite3 *db;                /* owned; one connection, used by one thread */
    sqlite3_stmt *st[ST_COUNT]; /* owned; prepared once at open, reset after each use */
};

/* ---- helpers ---------------------------------------------------------- */

/* SQLite result codes as negative errno values. */
static int sql_err(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_NOMEM:
        return -ENOMEM;
    case SQLITE_READONLY:
        return -EROFS;
    case SQLITE_FULL:
        return -ENOSPC;
    case SQLITE_TOOBIG:
        return -E2BIG;
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return -EACCES;
    case SQLITE_CANTOPEN:
        return -ENOENT;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return -EBADMSG;
    default:
        return -EIO;
    }
}

/* Ready for the next use: reset may repeat the last step's error, which
 * the caller has already seen, so its result is ignored. */
static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Binds a fixed-size struct field without reading past its array even when
 * a caller left it unterminated. SQLITE_TRANSIENT: SQLite copies. */
static int bind_field(sqlite3_stmt *st, int col, const char *field, size_t cap)
{
    return sqlite3_bind_text(st, col, field, (int)strnlen(field, cap), SQLITE_TRANSIENT);
}

static int bind_str(sqlite3_stmt *st, int col, const char *s)
{
    return sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT);
}

/* Copies text column `col` into dst (cap bytes, always terminated). */
static void col_copy(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

/* Steps a statement that returns no rows; resets it. */
static int run(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    done(st);
    return rc == SQLITE_DONE ? 0 : sql_err(rc == SQLITE_ROW ? SQLITE_MISUSE : rc);
}

static int state_known(const char *state, size_t cap)
{
    static const char *const states[] = {"recording", "complete", "recovered", "failed"};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (strncmp(state, states[i], cap) == 0)
            return 1;
    return 0;
}

/* Binds the session columns ?1..?13 in SESSION_COLS order. Both statements
 * that take a session number their parameters up to ?13, so binding one
 * they do not use (begin's ?3: a new session is "recording"; update's
 * immutable columns) is allowed and has no effect. */
static int bind_session(sqlite3_stmt *st, const struct tsn_rec_session *s)
{
    int rc = bind_field(st, 1, s->id, sizeof s->id);
    if (rc == SQLITE_OK)
        rc = bind_field(st, 2, s->room, sizeof s->room);
    if (rc == SQLITE_OK)
        rc = bind_field(st, 3, s->state, sizeof s->state);
    if (rc == SQLITE_OK)
        rc = bind_field(st, 4, s->codec, sizeof s->codec);
    if (rc == SQLITE_OK)
        rc = bind_field(st, 5, s->started_by, sizeof s->started_by);
    if (rc == SQLITE_OK)
        rc = bind_field(st, 6, s->stop_reason, sizeof s->stop_reason);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 7, s->started_ms);
    if (rc == SQLITE_OK)
        rc = s->ended_ms ? sqlite3_bind_int64(st, 8, s->ended_ms) : sqlite3_bind_null(st, 8);
    /* Counters above INT64_MAX come back unchanged through the same cast. */
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 9, s->media_ms);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 10, (sqlite3_int64)s->bytes);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 11, (sqlite3_int64)s->packets);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 12, (sqlite3_int64)s->frames);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 13, (sqlite3_int64)s->events);
    return rc;
}

/* The current row of a SELECT of SESSION_COLS. */
static void row_to_session(sqlite3_stmt *st, struct tsn_rec_session *s)
{
    memset(s, 0, sizeof *s);
    col_copy(s->id, sizeof s->id, st, 0);
    col_copy(s->room, sizeof s->room, st, 1);
    col_copy(s->state, sizeof s->state, st, 2);
    col_copy(s->codec, sizeof s->codec, st, 3);
    col_copy(s->started_by, sizeof s->started_by, st, 4);
    col_copy(s->stop_reason, sizeof s->stop_reason, st, 5);
    s->started_ms = sqlite3_column_int64(st, 6);
    s->ended_ms = sqlite3_column_int64(st, 7); /* NULL reads as 0 */
    s->media_ms = sqlite3_column_int64(st, 8);
    s->bytes = (uint64_t)sqlite3_column_int64(st, 9);
    s->packets = (uint64_t)sqlite3_column_int64(st, 10);
    s->frames = (uint64_t)sqlite3_column_int64(st, 11);
    s->events = (uint64_t)sqlite3_column_int64(st, 12);
}

/* ---- open and close --------------------------------------------------- */

static int read_user_version(sqlite3 *db, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Brings the schema to SCHEMA_VERSION. The version is read again inside an
 * IMMEDIATE transaction so two handles opening a new file at once migrate
 * it once. */
static int migrate(sqlite3 *db, char *why, size_t why_len)
{
    int version = 0;
    /* Current already (every open but the first): no write lock taken. */
    int rc = read_user_version(db, &version);
    if (rc == SQLITE_OK && version == SCHEMA_VERSION)
        return 0;
    if (rc == SQLITE_OK && version < SCHEMA_VERSION)
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = read_user_version(db, &version);
    if (rc != SQLITE_OK)
        goto fail;
    if (version > SCHEMA_VERSION) {
        if (!sqlite3_get_autocommit(db))
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return tsn_why(why, why_len, -EPROTONOSUPPORT,
                       "index schema version %d is newer than this relay's (%d)", version,
                       SCHEMA_VERSION);
    }
    for (int v = version; v < SCHEMA_VERSION && rc == SQLITE_OK; v++)
        rc = sqlite3_exec(db, migrations[v], NULL, NULL, NULL);
    if (rc == SQLITE_OK && version < SCHEMA_VERSION) {
        char sql[48]; /* PRAGMA takes no bound parameter; the value is ours */
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SCHEMA_VERSION);
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return 0;
fail : {
    int err = tsn_why(why, why_len, sql_err(rc), "schema: %s", sqlite3_errmsg(db));
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}
}

/* WAL so the recorder and the HTTP thread do not block each other; NORMAL
 * sync: a power cut may lose the last commits but never corrupts the file
 * (the index can be rebuilt from the session directories). */
static int configure(sqlite3 *db, char *why, size_t why_len)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        const unsigned char *mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
        if (rc == SQLITE_ROW && (!mode || strcmp((const char *)mode, "wal") != 0)) {
            int err = tsn_why(why, why_len, -EIO, "cannot switch to WAL (journal mode %s)",
                              mode ? (const char *)mode : "?");
            sqlite3_finalize(st);
            return err;
        }
        rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", NULL, NULL,
                          NULL);
    if (rc != SQLITE_OK)
        return tsn_why(why, why_len, sql_err(rc), "%s", sqlite3_errmsg(db));
    return 0;
}

void tsn_rec_index_close(struct tsn_rec_index *ix)
{
    if (!ix)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(ix->st[i]);
    sqlite3_close(ix->db);
    free(ix);
}

struct tsn_rec_index *tsn_rec_index_open(const char *path, char *why, size_t why_len)
{
    struct tsn_rec_index *ix = calloc(1, sizeof *ix);
    if (!ix) {
        tsn_why(why, why_len, -ENOMEM, "out of memory");
        return NULL;
    }
    /* Created 0600 by us (SQLite would use 0644): the audit log names
     * people. The -wal and -shm files take the database file's mode. */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        tsn_why(why, why_len, -errno, "%s: %s", path, strerror(errno));
        goto fail;
    }
    close(fd);
    int rc = sqlite3_open_v2(path, &ix->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        tsn_why(why, why_len, sql_err(rc), "%s: %s", path,
                ix->db ? sqlite3_errmsg(ix->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(ix->db, 1);
    char reason[192] = "";
    if (configure(ix->db, reason, sizeof reason) != 0 ||
        migrate(ix->db, reason, sizeof reason) != 0) {
        tsn_why(why, why_len, -EIO, "%s: %s", path, reason);
        goto fail;
    }
    for (int i = 0; i < ST_COUNT; i++) {
        rc = sqlite3_prepare_v3(ix->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &ix->st[i],
                                NULL);
        if (rc != SQLITE_OK) {
            tsn_why(why, why_len, sql_err(rc), "%s: not a recordings index (%s)", path,
                    sqlite3_errmsg(ix->db));
            goto fail;
        }
    }
    return ix;
fail:
    tsn_rec_index_close(ix);
    return NULL;
}

/* ---- sessions --------------------------------------------------------- */

int tsn_rec_index_session_begin(struct tsn_rec_index *ix, const struct tsn_rec_session *s)
{
    char id[sizeof s->id], room[sizeof s->room];
    snprintf(id, sizeof id, "%.*s", (int)sizeof id - 1, s->id);
    snprintf(room, sizeof room, "%.*s", (int)sizeof room - 1, s->room);
    if (!tsn_rec_id_valid(id) || !tsn_room_name_valid(room))
        return -EINVAL;
    sqlite3_stmt *st = ix->st[ST_BEGIN];
    int rc = bind_session(st, s);
    if (rc != SQLITE_OK) {
        done(st);
        return sql_err(rc);
    }
    rc = sqlite3_step(st);
    done(st);
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return -EEXIST;
    return rc == SQLITE_DONE ? 0 : sql_err(rc);
}

int tsn_rec_index_session_update(struct tsn_rec_index *ix, const struct tsn_rec_session *s)
{
    if (!state_known(s->state, sizeof s->state))
        return -EINVAL;
    sqlite3_stmt *st = ix->st[ST_UPDATE];
    int rc = bind_session(st, s);
    if (rc != SQLITE_OK) {
        done(st);
        return sql_err(rc);
    }
    int err = run(st);
    if (err == 0 && sqlite3_changes(ix->db) == 0)
        return -ENOENT;
    return err;
}

int tsn_rec_index_session_get(struct tsn_rec_index *ix, const char *id, struct tsn_rec_session *out)
{
    sqlite3_stmt *st = ix->st[ST_GET];
    int rc = bind_str(st, 1, id);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        row_to_session(st, out);
    done(st);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? -ENOENT : sql_err(rc);
}

/* Participants go with the row (ON DELETE CASCADE); audit entries stay. */
int tsn_rec_index_session_delete(struct tsn_rec_index *ix, const char *id)
{
    sqlite3_stmt *st = ix->st[ST_DELETE];
    int rc = bind_str(st, 1, id);
    if (rc != SQLITE_OK) {
        done(st);
        return sql_err(rc);
    }
    int err = run(st);
    if (err == 0 && sqlite3_changes(ix->db) == 0)
        return -ENOENT;
    return err;
}

/* Reads every row of a bound SESSION_COLS query, then calls fn on each (see
 * the file comment for why not while stepping). */
static int each_collected(sqlite3_stmt *st, int (*fn)(void *, const struct tsn_rec_session *),
                          void *user)
{
    struct tsn_rec_session *rows = NULL;
    size_t n = 0, cap = 0;
    int rc, err = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct tsn_rec_session *grown = realloc(rows, ncap * sizeof *rows);
            if (!grown) {
                err = -ENOMEM;
                break;
            }
            rows = grown;
            cap = ncap;
        }
        row_to_session(st, &rows[n++]);
    }
    if (!err && rc != SQLITE_DONE)
        err = sql_err(rc);
    done(st);
    for (size_t i = 0; !err && i < n; i++)
        err = fn(user, &rows[i]);
    free(rows);
    return err;
}

int tsn_rec_index_each_in_state(struct tsn_rec_index *ix, const char *state,
                                int (*fn)(void *user, const struct tsn_rec_session *s), void *user)
{
    sqlite3_stmt *st = ix->st[ST_EACH_STATE];
    int rc = bind_str(st, 1, state);
    if (rc != SQLITE_OK) {
        done(st);
        return sql_err(rc);
    }
    return each_collected(st, fn, user);
}

int tsn_rec_index_each_older(struct tsn_rec_index *ix, int64_t before_ms,
                             int (*fn)(void *user, const struct tsn_rec_session *s), void *user)
{
    sqlite3_stmt *st = ix->st[ST_EACH_OLDER];
    int rc = sqlite3_bind_int64(st, 1, before_ms);
    if (rc != SQLITE_OK) {
        done(st);
        return sql_err(rc);
    }
    return each_collected(st, fn, user);
}

/* ---- participants and audit ------------------------------------------- */

/* -ENOENT for an unknown session (the foreign key refuses the row). */
int tsn_rec_index_participant_join(struct tsn_rec_index *ix, const char *session, const char *sub,
                                   enum tsn_role role, int64_t time_ms)
{
    sqlite3_stmt *st = ix->st[ST_JOIN];
    int rc = bind_str(st, 1, session);
    if (rc == SQLITE_OK)
        rc = bind_str(st, 2, sub);
    if (rc == SQLITE_OK)
        rc = bind_str(st, 3, tsn_role_name(role));
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 4, time_ms);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    done(st);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return -ENOENT;
    return rc == SQLITE_DONE ? 0 : sql_err(rc);
}

/* -ENOENT when `sub` has no open row in the session. */
int tsn_rec_index_participant_leave(struct tsn_rec_index *ix, const char *session, const char *sub,
                                    int64_t time_ms)
{
    sqlite3_stmt *st = ix->st[ST_LEAVE];
    int rc = bind_str(st, 1, session);
    if (rc == SQLITE_OK)
        rc = bind_str(st, 2, sub);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 3, time_ms);
    if (rc != SQLITE_OK) {
        done(st);
        return sql_err(rc);
    }
    int err = run(st);
    if (err == 0 && sqlite3_changes(ix->db) == 0)
        return -ENOENT;
    return err;
}

int tsn_rec_index_audit(struct tsn_rec_index *ix, const struct tsn_rec_audit *a)
{
    if (strnlen(a->action, sizeof a->action) == 0)
        return -EINVAL;
    sqlite3_stmt *st = ix->st[ST_AUDIT];
    int rc = sqlite3_bind_int64(st, 1, a->time_ms);
    if (rc == SQLITE_OK)
        rc = bind_field(st, 2, a->actor, sizeof a->actor);
    if (rc == SQLITE_OK)
        rc = bind_str(st, 3, tsn_role_name(a->role));
    if (rc == SQLITE_OK)
        rc = bind_field(st, 4, a->action, sizeof a->action);
    if (rc == SQLITE_OK)
        rc = bind_field(st, 5, a->room, sizeof a->room);
    if (rc == SQLITE_OK)
        rc = bind_field(st, 6, a->session, sizeof a->session);
    if (rc == SQLITE_OK)
        rc = bind_field(st, 7, a->detail, sizeof a->detail);
    if (rc != SQLITE_OK) {
        done(st);
        return sql_err(rc);
    }
    return run(st);
}

/* ---- JSON ------------------------------------------------------------- */

/* Adds `key`: text column `col` as a string (verbatim, any bytes SQLite
 * holds; jansson refuses invalid UTF-8, which then reads as ""). */
static int add_text(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
    json_t *v = json_stringn(t ? t : "", n);
    if (!v)
        v = json_string("");
    return json_object_set_new(o, key, v);
}

/* Adds `key`: integer column `col`, or null when the column is NULL. */
static int add_int_or_null(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return json_object_set_new(o, key, json_null());
    return json_object_set_new(o, key, json_integer(sqlite3_column_int64(st, col)));
}

/* The list object of the current SESSION_COLS row ("ended_ms": null while
 * recording). packets is in the struct, not in the REST object. */
static json_t *session_object(sqlite3_stmt *st)
{
    static const struct {
        const char *key;
        int col;
        int text;
    } cols[] = {
        {"id", 0, 1},       {"room", 1, 1},     {"state", 2, 1},      {"started_ms", 6, 0},
        {"ended_ms", 7, 0}, {"media_ms", 8, 0}, {"bytes", 9, 0},      {"frames", 11, 0},
        {"events", 12, 0},  {"codec", 3, 1},    {"started_by", 4, 1}, {"stop_reason", 5, 1},
    };
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        int rc = cols[i].text ? add_text(o, cols[i].key, st, cols[i].col)
                              : add_int_or_null(o, cols[i].key, st, cols[i].col);
        if (rc != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* SQLite's LIMIT is signed; every unsigned value fits in int64. */
static int bind_limit(sqlite3_stmt *st, unsigned limit)
{
    return sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
}

/* Limit 0 gives an empty list (pass UINT_MAX for every row). */
json_t *tsn_rec_index_list_json(struct tsn_rec_index *ix, const char *room, unsigned limit)
{
    sqlite3_stmt *st = ix->st[ST_LIST];
    json_t *arr = json_array();
    int rc = arr ? bind_str(st, 1, room) : SQLITE_NOMEM;
    if (rc == SQLITE_OK)
        rc = bind_limit(st, limit);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = session_object(st);
        /* Distinct people in the session, for the review list. */
        if (!o ||
            json_object_set_new(o, "participant_count",
                                json_integer(sqlite3_column_int64(st, SESSION_NCOLS))) ||
            json_array_append_new(arr, o)) {
            rc = SQLITE_NOMEM;
            break;
        }
        rc = SQLITE_OK;
    }
    done(st);
    if (rc != SQLITE_DONE) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static json_t *participants_json(struct tsn_rec_index *ix, const char *id)
{
    sqlite3_stmt *st = ix->st[ST_PARTICIPANTS];
    json_t *arr = json_array();
    int rc = arr ? bind_str(st, 1, id) : SQLITE_NOMEM;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *p = json_object();
        const char *role = (const char *)sqlite3_column_text(st, 1);
        /* A name this relay does not know reads back as "none". */
        if (!p || add_text(p, "sub", st, 0) ||
            json_object_set_new(p, "role", json_string(tsn_role_name(tsn_role_parse(role)))) ||
            add_int_or_null(p, "joined_ms", st, 2) || add_int_or_null(p, "left_ms", st, 3) ||
            json_array_append_new(arr, p)) {
            rc = SQLITE_NOMEM;
            break;
        }
        rc = SQLITE_OK;
    }
    done(st);
    if (rc != SQLITE_DONE) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

json_t *tsn_rec_index_session_json(struct tsn_rec_index *ix, const char *room, const char *id,
                                   int *err)
{
    int e = 0;
    json_t *o = NULL;
    sqlite3_stmt *st = ix->st[ST_GET];
    int rc = bind_str(st, 1, id);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *row_room = (const char *)sqlite3_column_text(st, 1);
        /* Another room's session looks exactly like an unknown one. */
        if (!room || !row_room || strcmp(row_room, room) != 0)
            e = -ENOENT;
        else if (!(o = session_object(st)))
            e = -ENOMEM;
    } else {
        e = rc == SQLITE_DONE ? -ENOENT : sql_err(rc);
    }
    done(st);
    if (o) {
        json_t *parts = participants_json(ix, id);
        if (!parts || json_object_set_new(o, "participants", parts)) {
            json_decref(o);
            o = NULL;
            e = -ENOMEM;
        }
    }
    if (err)
        *err = e;
    return o;
}

json_t *tsn_rec_index_audit_json(struct tsn_rec_index *ix, const char *room, unsigned limit)
{
    static const char *const keys[] = {"time_ms", "actor",   "role",  "action",
                                       "room",    "session", "detail"};
    sqlite3_stmt *st = ix->st[room ? ST_AUDIT_ROOM : ST_AUDIT_ALL];
    json_t *arr = json_array();
    int rc = arr ? SQLITE_OK : SQLITE_NOMEM;
    if (rc == SQLITE_OK && room)
        rc = bind_str(st, 1, room);
    if (rc == SQLITE_OK)
        rc = bind_limit(st, limit);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *a = json_object();
        int bad = !a || add_int_or_null(a, keys[0], st, 0);
        for (int c = 1; !bad && c < 7; c++)
            bad = add_text(a, keys[c], st, c);
        if (bad || json_array_append_new(arr, a)) {
            rc = SQLITE_NOMEM;
            break;
        }
        rc = SQLITE_OK;
    }
    done(st);
    if (rc != SQLITE_DONE) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

/* ---- ids -------------------------------------------------------------- */

int tsn_rec_id_valid(const char *id)
{
    /* D digit, T/Z/- literal, x lowercase hex */
    static const char shape[] = "DDDDDDDDTDDDDDDZ-xxxxxxxx";
    _Static_assert(sizeof shape - 1 == TSN_REC_ID_LEN, "shape matches the id length");
    if (!id)
        return 0;
    for (size_t i = 0; i < TSN_REC_ID_LEN; i++) {
        char c = id[i]; /* a NUL here fails every class and ends the walk */
        switch (shape[i]) {
        case 'D':
            if (c < '0' || c > '9')
                return 0;
            break;
        case 'x':
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                return 0;
            break;
        default:
            if (c != shape[i])
                return 0;
        }
    }
    return id[TSN_REC_ID_LEN] == '\0';
}
