/* The recordings REST API; see rec_api.h. Order of checks for every
 * request: the path's shape (a bad room name is 400, anything else unknown
 * 404), then who asks (token, or a ticket for a file: 401/403), then the
 * method (405), then the index (503 when it could not be opened), then the
 * session (404 when unknown or another room's). Every refusal after the
 * path check is audited as "denied" with its reason; successful actions as
 * list, view, export, download (once per holder and file in ten minutes,
 * not per range request) and delete.
 *
 * Files are opened below the recordings directory one component at a time
 * with O_NOFOLLOW, from a room name and session id that passed their
 * validators and a file name from a fixed list: nothing else of the path
 * reaches the file system. */
#include "rec_api.h"

#include "clock.h"

#include "file_ticket.h"
#include "http_range.h"
#include "log.h"
#include "rate_limit.h"
#include "rec_export.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LIST_LIMIT         1000
#define AUDIT_LIMIT        1000
#define DOWNLOADS_SEEN     32
#define DOWNLOAD_WINDOW_MS (10 * 60 * 1000)
#define DENIED_PER_S       20.0 /* audit rows for refusals, so 401 spam cannot fill the disk */
#define DENIED_BURST       200.0
#define REMOVE_DEPTH_MAX   6

enum kind { K_LIST, K_AUDIT, K_SESSION, K_EXPORT, K_FILE };

static const struct rec_file {
    const char *name;
    const char *type;
} rec_files[] = {
    {"recording.mp4", "video/mp4"},
    {"recording.webm", "video/webm"}, /* VP8 recordings */
    {"annotated.mp4", "video/mp4"},
    {"annotations.json", "application/json"},
};
#define N_FILES (sizeof rec_files / sizeof rec_files[0])

struct target {
    enum kind kind;
    char room[TSN_ROOM_MAX + 1];
    char id[TSN_REC_ID_LEN + 1];
    const struct rec_file *file;
};

struct seen {
    uint64_t key;
    int64_t time_ms;
};

struct tsn_rec_api {
    struct tsn_rec_index *ix; /* borrowed, nullable */
    char ix_why[256];
    const struct tsn_auth *auth; /* borrowed */
    char dir[512];
    struct tsn_rec_exports *exports; /* owned */
    struct seen seen[DOWNLOADS_SEEN];
    unsigned seen_next;
    struct tsn_rate denied_rate;
    unsigned denied_unrecorded;
};

/* One request being answered. */
struct ctx {
    struct tsn_rec_api *api;
    const struct tsn_rec_api_request *q;
    struct tsn_rec_api_reply *out;
    struct target t;
    struct tsn_claims who; /* the holder (sub, role) once authorised */
    int via_ticket;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- replies and audit -------------------------------------------------- */

static void reply_json(struct tsn_rec_api_reply *out, int status, json_t *o)
{
    out->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!out->body) {
        static const char oom[] = "{\"error\":503,\"reason\":\"out of memory\"}";
        out->body = strdup(oom);
        status = 503;
    }
    out->status = status;
    out->content_type = "application/json";
    out->body_len = out->body ? strlen(out->body) : 0;
}

static void reply_error(struct tsn_rec_api_reply *out, int status, const char *reason)
{
    reply_json(out, status, json_pack("{s:i,s:s}", "error", status, "reason", reason));
}

static void audit(struct ctx *c, const char *action, const char *detail)
{
    struct tsn_rec_api *api = c->api;
    if (!api->ix)
        return;
    struct tsn_rec_audit a;
    memset(&a, 0, sizeof a);
    a.time_ms = now_ms();
    snprintf(a.actor, sizeof a.actor, "%s", c->who.sub);
    a.role = c->who.role;
    snprintf(a.action, sizeof a.action, "%s", action);
    snprintf(a.room, sizeof a.room, "%s", c->t.room);
    snprintf(a.session, sizeof a.session, "%s", c->t.id);
    snprintf(a.detail, sizeof a.detail, "%s", detail ? detail : "");
    int rc = tsn_rec_index_audit(api->ix, &a);
    if (rc)
        tsn_warn("[rec-api] room %s: cannot write the audit entry (%s): %s", c->t.room, action,
                 strerror(-rc));
}

/* A refusal: the reply, and an audit entry unless refusals come faster than
 * DENIED_PER_S (then they are counted and the count goes into the next). */
static void deny(struct ctx *c, int status, const char *reason)
{
    reply_error(c->out, status, reason);
    tsn_info("[rec-api] room %s: %d %s", c->t.room, status, reason);
    if (!tsn_rate_take(&c->api->denied_rate, DENIED_PER_S, DENIED_BURST, tsn_mono_us())) {
        c->api->denied_unrecorded++;
        return;
    }
    char detail[128];
    if (c->api->denied_unrecorded)
        snprintf(detail, sizeof detail, "%d: %.80s (and %u not recorded)", status, reason,
                 c->api->denied_unrecorded);
    else
        snprintf(detail, sizeof detail, "%d: %.110s", status, reason);
    c->api->denied_unrecorded = 0;
    audit(c, "denied", detail);
}

/* ---- the path ------------------------------------------------------------ */

static const struct rec_file *file_named(const char *name)
{
    for (size_t i = 0; i < N_FILES; i++)
        if (strcmp(rec_files[i].name, name) == 0)
            return &rec_files[i];
    return NULL;
}

/* "/recordings/<room>[/audit | /<id>[/export | /files/<name>]]". Returns 0,
 * 400 (bad room name) or 404. Empty segments are refused. */
static int parse_target(const char *path, struct target *t)
{
    char buf[256], *seg[6];
    int n = 0;
    memset(t, 0, sizeof *t);
    if (strlen(path) >= sizeof buf || path[0] != '/')
        return 404;
    strcpy(buf, path);
    for (char *p = buf + 1;; p++) {
        char *slash = strchr(p, '/');
        if (n == 6)
            return 404;
        seg[n++] = p;
        if (!slash)
            break;
        *slash = '\0';
        p = slash;
    }
    for (int i = 0; i < n; i++)
        if (seg[i][0] == '\0')
            return 404;
    if (strcmp(seg[0], "recordings") != 0 || n < 2)
        return 404;
    if (!tsn_room_name_valid(seg[1]))
        return 400;
    snprintf(t->room, sizeof t->room, "%s", seg[1]);
    if (n == 2) {
        t->kind = K_LIST;
        return 0;
    }
    if (n == 3 && strcmp(seg[2], "audit") == 0) {
        t->kind = K_AUDIT;
        return 0;
    }
    if (!tsn_rec_id_valid(seg[2]))
        return 404;
    snprintf(t->id, sizeof t->id, "%s", seg[2]);
    if (n == 3)
        t->kind = K_SESSION;
    else if (n == 4 && strcmp(seg[3], "export") == 0)
        t->kind = K_EXPORT;
    else if (n == 5 && strcmp(seg[3], "files") == 0 && (t->file = file_named(seg[4])))
        t->kind = K_FILE;
    else
        return 404;
    return 0;
}

/* ---- who asks ------------------------------------------------------------ */

/* Checks the token (or, for a file without a token, the ticket) for the
 * target room and `roles`. 0, or the refusal was sent and audited. */
static int authorize(struct ctx *c, unsigned roles)
{
    const struct tsn_rec_api_request *q = c->q;
    char why[256];
    if (c->t.kind == K_FILE && !q->bearer && q->ticket) {
        enum tsn_role role = TSN_ROLE_NONE;
        int rc = tsn_file_ticket_verify(c->api->auth->key, c->api->auth->key_len, c->t.room,
                                        c->t.id, c->t.file->name, q->ticket, strlen(q->ticket),
                                        (int64_t)time(NULL), c->who.sub, &role);
        if (rc == 0 && !((unsigned)role & roles))
            rc = -EACCES;
        if (rc) {
            deny(c, 403, tsn_file_ticket_strerror(rc));
            return -1;
        }
        c->who.role = role;
        snprintf(c->who.room, sizeof c->who.room, "%s", c->t.room);
        c->via_ticket = 1;
        return 0;
    }
    int status =
        tsn_auth_check(c->api->auth, q->bearer, c->t.room, roles, &c->who, why, sizeof why);
    if (status == 0)
        return 0;
    if (status == 401)
        memset(&c->who, 0, sizeof c->who); /* not trusted: audited as nobody */
    else if (strcmp(c->who.room, c->t.room) != 0)
        snprintf(why, sizeof why, "token is for another room");
    deny(c, status, why);
    return -1;
}

static int method_allowed(enum kind k, enum tsn_rec_api_method m)
{
    int get = m == TSN_REC_API_GET || m == TSN_REC_API_HEAD;
    switch (k) {
    case K_SESSION:
        return get || m == TSN_REC_API_DELETE;
    case K_EXPORT:
        return get || m == TSN_REC_API_POST;
    default:
        return get;
    }
}

/* ---- the session's files ------------------------------------------------- */

/* Opens DIR/room/id[/export] without following links: a directory fd or a
 * negative errno. */
static int open_dir_at(struct tsn_rec_api *api, const char *room, const char *id, int export)
{
    const int fl = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = open(api->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const char *parts[3] = {room, id, export ? "export" : NULL};
    for (int i = 0; fd >= 0 && i < 3 && parts[i]; i++) {
        int next = openat(fd, parts[i], fl);
        int err = errno;
        close(fd);
        fd = next;
        errno = err;
    }
    return fd >= 0 ? fd : -errno;
}

static int file_size_at(int dirfd, const char *name, uint64_t *size)
{
    struct stat st;
    if (dirfd < 0 || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        return -ENOENT;
    *size = (uint64_t)st.st_size;
    return 0;
}

/* The export object: state, reason, and every file that exists with a
 * ticket URL for the holder. NULL when out of memory. */
static json_t *export_json(struct ctx *c)
{
    struct tsn_rec_api *api = c->api;
    int efd = open_dir_at(api, c->t.room, c->t.id, 1);
    int64_t expiry_s = (int64_t)time(NULL) + TSN_FILE_TICKET_TTL_S;
    json_t *files = json_object();
    int has_recording = 0;
    for (size_t i = 0; files && i < N_FILES; i++) {
        uint64_t size = 0;
        char ticket[TSN_FILE_TICKET_MAX + 1], url[512];
        if (file_size_at(efd, rec_files[i].name, &size) != 0)
            continue;
        has_recording |= i <= 1; /* recording.mp4 or .webm */
        if (tsn_file_ticket_make(api->auth->key, api->auth->key_len, c->t.room, c->t.id,
                                 rec_files[i].name, c->who.sub, c->who.role, expiry_s, ticket,
                                 sizeof ticket) < 0)
            continue;
        snprintf(url, sizeof url, "/recordings/%s/%s/files/%s?ticket=%s", c->t.room, c->t.id,
                 rec_files[i].name, ticket);
        json_object_set_new(files, rec_files[i].name,
                            json_pack("{s:I,s:s}", "bytes", (json_int_t)size, "url", url));
    }
    if (efd >= 0)
        close(efd);
    char reason[TSN_REC_EXPORT_REASON_MAX + 1];
    int burn_in = 0;
    enum tsn_rec_export_state st = tsn_rec_exports_state(api->exports, c->t.id, has_recording,
                                                         reason, sizeof reason, &burn_in);
    json_t *o = json_pack("{s:s,s:o,s:I}", "state", tsn_rec_export_state_name(st), "files", files,
                          "urls_expire_ms", (json_int_t)expiry_s * 1000);
    if (o && st == TSN_REC_EXPORT_RUNNING)
        json_object_set_new(o, "burn_in", json_boolean(burn_in));
    if (o && reason[0])
        json_object_set_new(o, "reason", json_string(reason));
    return o;
}

/* The session's index row, only when it is this room's. 0 or -ENOENT. */
static int session_row(struct ctx *c, struct tsn_rec_session *s)
{
    int rc = tsn_rec_index_session_get(c->api->ix, c->t.id, s);
    if (rc == 0 && strcmp(s->room, c->t.room) != 0)
        rc = -ENOENT;
    return rc;
}

/* ---- handlers ------------------------------------------------------------ */

static void on_list(struct ctx *c)
{
    json_t *list = tsn_rec_index_list_json(c->api->ix, c->t.room, LIST_LIMIT);
    if (!list) {
        reply_error(c->out, 503, "cannot read the recordings index");
        return;
    }
    reply_json(c->out, 200, json_pack("{s:s,s:o}", "room", c->t.room, "sessions", list));
    audit(c, "list", "");
}

static void on_audit_log(struct ctx *c)
{
    json_t *log = tsn_rec_index_audit_json(c->api->ix, c->t.room, AUDIT_LIMIT);
    if (!log) {
        reply_error(c->out, 503, "cannot read the audit log");
        return;
    }
    reply_json(c->out, 200, json_pack("{s:s,s:o}", "room", c->t.room, "audit", log));
}

static void on_view(struct ctx *c)
{
    int err = 0;
    json_t *s = tsn_rec_index_session_json(c->api->ix, c->t.room, c->t.id, &err);
    if (!s) {
        if (err == -ENOENT)
            deny(c, 404, "no such session");
        else
            reply_error(c->out, 503, "cannot read the recordings index");
        return;
    }
    json_t *ex = export_json(c);
    if (!ex || json_object_set_new(s, "export", ex)) {
        json_decref(s);
        reply_error(c->out, 503, "out of memory");
        return;
    }
    reply_json(c->out, 200, s);
    audit(c, "view", "");
}

static void on_export_get(struct ctx *c)
{
    struct tsn_rec_session s;
    if (session_row(c, &s) != 0) {
        deny(c, 404, "no such session");
        return;
    }
    reply_json(c->out, 200, export_json(c));
}

/* The POST body: nothing, {} or {"burn_in":true|false}. 0 or -1. */
static int parse_export_body(const struct tsn_rec_api_request *q, int *burn_in)
{
    *burn_in = 0;
    if (!q->body || q->body_len == 0)
        return 0;
    json_t *o = json_loadb(q->body, q->body_len, JSON_REJECT_DUPLICATES, NULL);
    json_t *b = o ? json_object_get(o, "burn_in") : NULL;
    int ok =
        json_is_object(o) && json_object_size(o) == (b ? 1u : 0u) && (!b || json_is_boolean(b));
    if (ok && b)
        *burn_in = json_is_true(b);
    json_decref(o);
    return ok ? 0 : -1;
}

static int export_complete(struct ctx *c, int burn_in)
{
    int efd = open_dir_at(c->api, c->t.room, c->t.id, 1);
    uint64_t size;
    int ok = (file_size_at(efd, "recording.mp4", &size) == 0 ||
              file_size_at(efd, "recording.webm", &size) == 0) &&
             file_size_at(efd, "annotations.json", &size) == 0 &&
             (!burn_in || file_size_at(efd, "annotated.mp4", &size) == 0);
    if (efd >= 0)
        close(efd);
    return ok;
}

static void on_export_post(struct ctx *c)
{
    struct tsn_rec_session s;
    int burn_in = 0;
    char why[160] = "";
    if (session_row(c, &s) != 0) {
        deny(c, 404, "no such session");
        return;
    }
    if (parse_export_body(c->q, &burn_in) != 0) {
        deny(c, 400, "the body must be {} or {\"burn_in\":true}");
        return;
    }
    if (strcmp(s.state, "recording") == 0) {
        deny(c, 409, "the session is still recording");
        return;
    }
    const char *what = burn_in ? "with burn-in" : "";
    if (tsn_rec_exports_state(c->api->exports, c->t.id, 0, NULL, 0, NULL) ==
        TSN_REC_EXPORT_RUNNING) {
        reply_json(c->out, 202, json_pack("{s:s}", "state", "running"));
        return;
    }
    if (export_complete(c, burn_in)) {
        reply_json(c->out, 200, export_json(c));
        audit(c, "export", burn_in ? "already done, with burn-in" : "already done");
        return;
    }
    int rc = tsn_rec_exports_start(c->api->exports, c->t.room, c->t.id, burn_in, why, sizeof why);
    if (rc == 0 || rc == -EBUSY) {
        reply_json(c->out, 202, json_pack("{s:s}", "state", "running"));
        audit(c, "export", what);
        return;
    }
    tsn_warn("[rec-api] room %s session %s: export not started: %s", c->t.room, c->t.id, why);
    deny(c, rc == -ENOENT ? 404 : 503, why);
}

static void on_file(struct ctx *c)
{
    const struct rec_file *f = c->t.file;
    int efd = open_dir_at(c->api, c->t.room, c->t.id, 1);
    int fd = -1;
    uint64_t size = 0;
    struct tsn_rec_session s;
    /* A deleted session's ticket finds nothing, even if a file lingered. */
    if (session_row(c, &s) != 0) {
        if (efd >= 0)
            close(efd);
        deny(c, 404, "no such session");
        return;
    }
    int rc = efd >= 0 ? tsn_file_send_open(efd, f->name, &fd, &size) : -ENOENT;
    if (efd >= 0)
        close(efd);
    if (rc) {
        deny(c, 404, rc == -ENOENT ? "no such file: export the session first" : "file refused");
        return;
    }
    struct tsn_file_send_info info = {.content_type = f->type, .filename = f->name, .size = size};
    const char *range = c->q->range;
    info.status = tsn_http_range_parse(range, range ? strlen(range) : 0, size, &info.range);
    c->out->file = tsn_file_send_new(fd, &info);
    if (!c->out->file) {
        reply_error(c->out, 503, "out of memory");
        return;
    }
    c->out->status = info.status;
    if (c->q->method != TSN_REC_API_GET || info.status == 416)
        return;
    /* Audited once per holder and file in DOWNLOAD_WINDOW_MS, not per range. */
    char keytext[256];
    snprintf(keytext, sizeof keytext, "%s\n%d\n%s\n%s\n%s", c->who.sub, (int)c->who.role, c->t.room,
             c->t.id, f->name);
    uint64_t key = 1469598103934665603ull;
    for (const char *p = keytext; *p; p++)
        key = (key ^ (unsigned char)*p) * 1099511628211ull;
    int64_t now = now_ms();
    for (unsigned i = 0; i < DOWNLOADS_SEEN; i++)
        if (c->api->seen[i].key == key && now - c->api->seen[i].time_ms < DOWNLOAD_WINDOW_MS)
            return;
    c->api->seen[c->api->seen_next] = (struct seen){key, now};
    c->api->seen_next = (c->api->seen_next + 1) % DOWNLOADS_SEEN;
    char detail[96];
    snprintf(detail, sizeof detail, "%s via %s", f->name, c->via_ticket ? "ticket" : "token");
    audit(c, "download", detail);
}

/* Removes the directory `name` in `dirfd` and everything below it, never
 * following a link (a link is removed, not its target). 0 or -errno. */
static int remove_tree_at(int dirfd, const char *name, int depth)
{
    if (depth > REMOVE_DEPTH_MAX)
        return -ELOOP;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOTDIR || errno == ELOOP ? (unlinkat(dirfd, name, 0) ? -errno : 0)
                                                  : -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        int is_dir = e->d_type == DT_DIR ||
                     (e->d_type == DT_UNKNOWN &&
                      fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode));
        int r = is_dir ? remove_tree_at(fd, e->d_name, depth + 1)
                       : (unlinkat(fd, e->d_name, 0) ? -errno : 0);
        if (r && !rc)
            rc = r;
    }
    closedir(d);
    if (!rc && unlinkat(dirfd, name, AT_REMOVEDIR) != 0)
        rc = -errno;
    return rc;
}

static void on_delete(struct ctx *c)
{
    struct tsn_rec_session s;
    if (session_row(c, &s) != 0) {
        deny(c, 404, "no such session");
        return;
    }
    if (strcmp(s.state, "recording") == 0) {
        deny(c, 409, "the session is still recording");
        return;
    }
    if (tsn_rec_exports_forget(c->api->exports, c->t.id) == -EBUSY) {
        deny(c, 409, "an export of this session is running");
        return;
    }
    /* Hidden at once by a rename; the index row goes next (renamed back if
     * it cannot); the files last. */
    char tomb[TSN_REC_ID_LEN + 16];
    snprintf(tomb, sizeof tomb, ".deleting-%s", c->t.id);
    int room_fd = open_dir_at(c->api, c->t.room, NULL, 0);
    int moved = room_fd >= 0 && renameat(room_fd, c->t.id, room_fd, tomb) == 0;
    if (room_fd >= 0 && !moved && errno != ENOENT) {
        tsn_warn("[rec-api] room %s session %s: cannot remove its directory: %s", c->t.room,
                 c->t.id, strerror(errno));
        close(room_fd);
        reply_error(c->out, 500, "cannot remove the recording's directory");
        return;
    }
    int rc = tsn_rec_index_session_delete(c->api->ix, c->t.id);
    if (rc && rc != -ENOENT) {
        if (moved)
            renameat(room_fd, tomb, room_fd, c->t.id);
        if (room_fd >= 0)
            close(room_fd);
        reply_error(c->out, 503, "cannot update the recordings index");
        return;
    }
    if (moved && (rc = remove_tree_at(room_fd, tomb, 0)) != 0)
        tsn_warn("[rec-api] room %s: %s left behind: %s", c->t.room, tomb, strerror(-rc));
    if (room_fd >= 0)
        close(room_fd);
    c->out->status = 204;
    c->out->content_type = "text/plain";
    audit(c, "delete", moved ? "" : "no files were left");
    tsn_info("[rec-api] room %s: session %s deleted", c->t.room, c->t.id);
}

/* ---- entry points -------------------------------------------------------- */

struct tsn_rec_index *tsn_rec_api_open_index(const char *dir, char *why, size_t why_len)
{
    char path[600], reason[TSN_REC_EXPORT_REASON_MAX + 1], err[256] = "";
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            break;
        *p = '/';
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        tsn_warn("[rec-api] recordings directory %s cannot be created: %s", dir, strerror(errno));
        snprintf(why, why_len, "recordings directory cannot be created: %s", strerror(errno));
        return NULL;
    }
    snprintf(path, sizeof path, "%s/index.sqlite", dir);
    struct tsn_rec_index *ix = tsn_rec_index_open(path, err, sizeof err);
    if (!ix) {
        tsn_warn("[rec-api] recordings index unavailable, /recordings answers 503: %s", err);
        tsn_rec_export_clean_line(err, dir, reason, sizeof reason);
        snprintf(why, why_len, "recordings index unavailable: %s", reason);
    }
    return ix;
}

struct tsn_rec_api *tsn_rec_api_new(struct tsn_rec_index *index, const char *index_why,
                                    const struct tsn_auth *auth, const char *recordings_dir,
                                    const char *export_program)
{
    struct tsn_rec_api *api = calloc(1, sizeof *api);
    if (!api)
        return NULL;
    api->ix = index;
    snprintf(api->ix_why, sizeof api->ix_why, "%s",
             index_why && index_why[0] ? index_why : "recordings index unavailable");
    api->auth = auth;
    snprintf(api->dir, sizeof api->dir, "%s", recordings_dir);
    api->exports = tsn_rec_exports_new(recordings_dir, export_program);
    if (!api->exports) {
        free(api);
        return NULL;
    }
    return api;
}

void tsn_rec_api_free(struct tsn_rec_api *api)
{
    if (!api)
        return;
    tsn_rec_exports_free(api->exports);
    free(api);
}

unsigned tsn_rec_api_tick(struct tsn_rec_api *api)
{
    return tsn_rec_exports_reap(api->exports);
}

void tsn_rec_api_handle(struct tsn_rec_api *api, const struct tsn_rec_api_request *q,
                        struct tsn_rec_api_reply *out)
{
    struct ctx c = {.api = api, .q = q, .out = out};
    memset(out, 0, sizeof *out);
    int st = parse_target(q->path, &c.t);
    if (st) {
        reply_error(out, st,
                    st == 400 ? "invalid room name: use 1-64 of A-Z a-z 0-9 _ -" : "not found");
        return;
    }
    int admin_only =
        c.t.kind == K_AUDIT || (c.t.kind == K_SESSION && q->method == TSN_REC_API_DELETE);
    if (authorize(&c, admin_only ? TSN_ROLE_ADMIN : TSN_ROLE_REVIEWER | TSN_ROLE_ADMIN) != 0)
        return;
    if (!method_allowed(c.t.kind, q->method)) {
        deny(&c, 405, "method not allowed");
        return;
    }
    if (!api->ix) {
        reply_error(out, 503, api->ix_why);
        return;
    }
    switch (c.t.kind) {
    case K_LIST:
        on_list(&c);
        break;
    case K_AUDIT:
        on_audit_log(&c);
        break;
    case K_SESSION:
        if (q->method == TSN_REC_API_DELETE)
            on_delete(&c);
        else
            on_view(&c);
        break;
    case K_EXPORT:
        if (q->method == TSN_REC_API_POST)
            on_export_post(&c);
        else
            on_export_get(&c);
        break;
    case K_FILE:
        on_file(&c);
        break;
    }
}
