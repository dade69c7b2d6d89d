/* Background exports; see rec_export.h. A small table of jobs, one per
 * session id: running ones hold their pid; finished ones keep how they
 * ended until the slot is needed (the oldest finished goes first). */
#include "rec_export.h"

#include "rec_index.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define JOBS_MAX     32
#define LOG_NAME     "export.log"
#define LOG_TAIL_MAX 4096 /* bytes of the log read for the last line */

enum job_state { JOB_FREE = 0, JOB_RUNNING, JOB_OK, JOB_FAILED };

struct job {
    enum job_state state;
    char id[TSN_REC_ID_LEN + 1];
    char room[TSN_ROOM_MAX + 1];
    pid_t pid;
    int burn_in;
    uint64_t seq; /* start order, for eviction */
    char reason[TSN_REC_EXPORT_REASON_MAX + 1];
};

struct tsn_rec_exports {
    char dir[512];
    char program[PATH_MAX];
    uint64_t next_seq;
    struct job jobs[JOBS_MAX];
};

static void resolve_program(const char *configured, char *out, size_t cap)
{
    if (configured && configured[0]) {
        snprintf(out, cap, "%s", configured);
        return;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        snprintf(out, cap, "telesono-export");
        return;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(out, cap, "%.*s/telesono-export", (int)(cap - 17), self);
}

struct tsn_rec_exports *tsn_rec_exports_new(const char *recordings_dir, const char *program)
{
    struct tsn_rec_exports *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    snprintf(x->dir, sizeof x->dir, "%s", recordings_dir);
    resolve_program(program, x->program, sizeof x->program);
    return x;
}

void tsn_rec_exports_free(struct tsn_rec_exports *x)
{
    if (!x)
        return;
    int running = 0;
    for (int i = 0; i < JOBS_MAX; i++)
        if (x->jobs[i].state == JOB_RUNNING) {
            kill(x->jobs[i].pid, SIGTERM);
            running++;
        }
    for (int t = 0; running && t < 50; t++) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        running = (int)tsn_rec_exports_reap(x);
    }
    for (int i = 0; i < JOBS_MAX; i++)
        if (x->jobs[i].state == JOB_RUNNING) {
            kill(x->jobs[i].pid, SIGKILL);
            waitpid(x->jobs[i].pid, NULL, 0);
        }
    free(x);
}

static struct job *find(struct tsn_rec_exports *x, const char *id)
{
    for (int i = 0; i < JOBS_MAX; i++)
        if (x->jobs[i].state != JOB_FREE && strcmp(x->jobs[i].id, id) == 0)
            return &x->jobs[i];
    return NULL;
}

/* A slot for a new job: the session's own, a free one, or the oldest
 * finished one. NULL only if every slot runs (cannot happen below
 * TSN_REC_EXPORTS_MAX_RUNNING < JOBS_MAX). */
static struct job *slot_for(struct tsn_rec_exports *x, const char *id)
{
    struct job *j = find(x, id), *oldest = NULL;
    if (j)
        return j;
    for (int i = 0; i < JOBS_MAX; i++) {
        if (x->jobs[i].state == JOB_FREE)
            return &x->jobs[i];
        if (x->jobs[i].state != JOB_RUNNING && (!oldest || x->jobs[i].seq < oldest->seq))
            oldest = &x->jobs[i];
    }
    return oldest;
}

static unsigned count_running(const struct tsn_rec_exports *x)
{
    unsigned n = 0;
    for (int i = 0; i < JOBS_MAX; i++)
        n += x->jobs[i].state == JOB_RUNNING;
    return n;
}

/* Opens DIR/room/id/export (created 0700 if `create`), never following a
 * symbolic link below DIR. A directory fd, or a negative errno. */
static int open_export_dir(const struct tsn_rec_exports *x, const char *room, const char *id,
                           int create)
{
    const int dflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int root = open(x->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r = root >= 0 ? openat(root, room, dflags) : -1;
    int s = r >= 0 ? openat(r, id, dflags) : -1;
    int err = s < 0 ? -errno : 0;
    if (s >= 0 && create && mkdirat(s, "export", 0700) != 0 && errno != EEXIST)
        err = -errno;
    int e = s >= 0 && !err ? openat(s, "export", dflags) : -1;
    if (e < 0 && !err)
        err = -errno;
    if (root >= 0)
        close(root);
    if (r >= 0)
        close(r);
    if (s >= 0)
        close(s);
    return e >= 0 ? e : err;
}

static int spawn(struct tsn_rec_exports *x, const char *room, const char *id, int burn_in,
                 int log_fd, pid_t *pid)
{
    char session_dir[sizeof x->dir + TSN_ROOM_MAX + TSN_REC_ID_LEN + 4];
    snprintf(session_dir, sizeof session_dir, "%s/%s/%s", x->dir, room, id);
    char *argv[5];
    int argc = 0;
    argv[argc++] = x->program;
    argv[argc++] = session_dir;
    if (burn_in)
        argv[argc++] = "--burn-in";
    argv[argc++] = "--json";
    argv[argc] = NULL;

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc)
        return -rc;
    rc = posix_spawnattr_init(&attr);
    if (rc) {
        posix_spawn_file_actions_destroy(&fa);
        return -rc;
    }
    /* stdin from /dev/null, stdout and stderr to the log, nothing else of
     * the relay's (sockets, the index) leaks into the child; signals as new. */
    if (!rc)
        rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!rc)
        rc = posix_spawn_file_actions_adddup2(&fa, log_fd, 1);
    if (!rc)
        rc = posix_spawn_file_actions_adddup2(&fa, log_fd, 2);
    if (!rc)
        rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    if (!rc)
        rc = posix_spawnattr_setsigmask(&attr, &none);
    if (!rc)
        rc = posix_spawnattr_setsigdefault(&attr, &all);
    if (!rc)
        rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (!rc)
        rc = posix_spawn(pid, x->program, &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    return -rc;
}

int tsn_rec_exports_start(struct tsn_rec_exports *x, const char *room, const char *id, int burn_in,
                          char *why, size_t why_len)
{
    tsn_rec_exports_reap(x);
    struct job *j = find(x, id);
    if (j && j->state == JOB_RUNNING) {
        snprintf(why, why_len, "an export of this session is running");
        return -EBUSY;
    }
    if (count_running(x) >= TSN_REC_EXPORTS_MAX_RUNNING) {
        snprintf(why, why_len, "%d exports are running: try again in a minute",
                 TSN_REC_EXPORTS_MAX_RUNNING);
        return -EAGAIN;
    }
    if (access(x->program, X_OK) != 0) {
        snprintf(why, why_len, "the exporter (telesono-export) is not installed on the relay");
        return -ENOEXEC;
    }
    int dir = open_export_dir(x, room, id, 1);
    if (dir < 0) {
        snprintf(why, why_len, "%s",
                 dir == -ENOENT ? "the recording's files are missing"
                                : "cannot create the export directory");
        return dir == -ENOENT ? -ENOENT : dir;
    }
    int log_fd = openat(dir, LOG_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    int err = log_fd < 0 ? -errno : 0;
    close(dir);
    if (err) {
        snprintf(why, why_len, "cannot write the export log: %s", strerror(-err));
        return err;
    }
    pid_t pid = 0;
    err = spawn(x, room, id, burn_in, log_fd, &pid);
    close(log_fd);
    if (err) {
        snprintf(why, why_len, "cannot start the exporter: %s", strerror(-err));
        return err;
    }
    j = slot_for(x, id);
    memset(j, 0, sizeof *j);
    j->state = JOB_RUNNING;
    snprintf(j->id, sizeof j->id, "%s", id);
    snprintf(j->room, sizeof j->room, "%s", room);
    j->pid = pid;
    j->burn_in = burn_in;
    j->seq = ++x->next_seq;
    return 0;
}

/* The last non-empty line of the job's export.log, cleaned, or "". */
static void last_log_line(const struct tsn_rec_exports *x, const struct job *j, char *out,
                          size_t cap)
{
    char buf[LOG_TAIL_MAX + 1];
    out[0] = '\0';
    int dir = open_export_dir(x, j->room, j->id, 0);
    int fd = dir >= 0 ? openat(dir, LOG_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (dir >= 0)
        close(dir);
    if (fd < 0)
        return;
    struct stat st;
    off_t from = fstat(fd, &st) == 0 && st.st_size > LOG_TAIL_MAX ? st.st_size - LOG_TAIL_MAX : 0;
    ssize_t n = pread(fd, buf, LOG_TAIL_MAX, from);
    close(fd);
    if (n <= 0)
        return;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    char *line = buf + n;
    while (line > buf && line[-1] != '\n')
        line--;
    char session_dir[sizeof x->dir + TSN_ROOM_MAX + TSN_REC_ID_LEN + 4];
    snprintf(session_dir, sizeof session_dir, "%s/%s/%s", x->dir, j->room, j->id);
    tsn_rec_export_clean_line(line, session_dir, out, cap);
}

static void finish(struct tsn_rec_exports *x, struct job *j, int status)
{
    char line[TSN_REC_EXPORT_REASON_MAX + 1], how[48];
    j->pid = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        j->state = JOB_OK;
        j->reason[0] = '\0';
        return;
    }
    j->state = JOB_FAILED;
    if (WIFEXITED(status))
        snprintf(how, sizeof how, "exporter exit status %d", WEXITSTATUS(status));
    else
        snprintf(how, sizeof how, "exporter killed by signal %d",
                 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    last_log_line(x, j, line, sizeof line);
    if (line[0])
        snprintf(j->reason, sizeof j->reason, "%.*s (%s)",
                 (int)(sizeof j->reason - strlen(how) - 4), line, how);
    else
        snprintf(j->reason, sizeof j->reason, "%s", how);
}

unsigned tsn_rec_exports_reap(struct tsn_rec_exports *x)
{
    for (int i = 0; i < JOBS_MAX; i++) {
        struct job *j = &x->jobs[i];
        if (j->state != JOB_RUNNING)
            continue;
        int status = 0;
        pid_t p = waitpid(j->pid, &status, WNOHANG);
        if (p == j->pid)
            finish(x, j, status);
        else if (p < 0 && errno == ECHILD) /* reaped elsewhere: judged by its files */
            finish(x, j, 0);
    }
    return count_running(x);
}

enum tsn_rec_export_state tsn_rec_exports_state(struct tsn_rec_exports *x, const char *id,
                                                int has_recording, char *reason, size_t reason_len,
                                                int *burn_in)
{
    tsn_rec_exports_reap(x);
    const struct job *j = find(x, id);
    if (reason && reason_len)
        reason[0] = '\0';
    if (burn_in)
        *burn_in = j ? j->burn_in : 0;
    if (j && j->state == JOB_RUNNING)
        return TSN_REC_EXPORT_RUNNING;
    if (j && j->state == JOB_FAILED) {
        if (reason)
            snprintf(reason, reason_len, "%s", j->reason);
        return TSN_REC_EXPORT_FAILED;
    }
    if (has_recording)
        return TSN_REC_EXPORT_DONE;
    if (j && j->state == JOB_OK) {
        if (reason)
            snprintf(reason, reason_len, "the exporter finished without writing the recording");
        return TSN_REC_EXPORT_FAILED;
    }
    return TSN_REC_EXPORT_NONE;
}

int tsn_rec_exports_forget(struct tsn_rec_exports *x, const char *id)
{
    tsn_rec_exports_reap(x);
    struct job *j = find(x, id);
    if (j && j->state == JOB_RUNNING)
        return -EBUSY;
    if (j)
        memset(j, 0, sizeof *j);
    return 0;
}

const char *tsn_rec_export_state_name(enum tsn_rec_export_state s)
{
    switch (s) {
    case TSN_REC_EXPORT_RUNNING:
        return "running";
    case TSN_REC_EXPORT_DONE:
        return "done";
    case TSN_REC_EXPORT_FAILED:
        return "failed";
    default:
        return "none";
    }
}

/* ---- cleaning a log line ------------------------------------------------ */

/* Removes every occurrence of `what` from s. */
static void cut_all(char *s, const char *what)
{
    size_t n = strlen(what);
    char *p;
    if (n == 0)
        return;
    while ((p = strstr(s, what)) != NULL)
        memmove(p, p + n, strlen(p + n) + 1);
}

static int starts_path(const char *s, const char *p)
{
    return *p == '/' && (p == s || strchr(" \t'\"(=:,[", p[-1]));
}

void tsn_rec_export_clean_line(const char *line, const char *dir, char *out, size_t cap)
{
    char copy[LOG_TAIL_MAX + 1], with_slash[sizeof copy];
    if (cap == 0)
        return;
    snprintf(copy, sizeof copy, "%s", line);
    snprintf(with_slash, sizeof with_slash, "%s/", dir);
    cut_all(copy, with_slash);
    cut_all(copy, dir);
    size_t o = 0, max = cap - 1 < TSN_REC_EXPORT_REASON_MAX ? cap - 1 : TSN_REC_EXPORT_REASON_MAX;
    for (const char *p = copy; *p && o < max; p++) {
        if (starts_path(copy, p)) {
            for (const char *tag = "<path>"; *tag && o < max; tag++)
                out[o++] = *tag;
            /* A path ends at a space, a quote or bracket, or a ':' that
             * ends a word ("path: reason"). */
            while (p[1] && !strchr(" \t'\"),]", p[1]) &&
                   !(p[1] == ':' && (p[2] == ' ' || p[2] == '\0')))
                p++;
            continue;
        }
        unsigned char c = (unsigned char)*p;
        out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[o] = '\0';
}
