/* Background exports for the recordings REST API: runs telesono-export on a
 * session directory (posix_spawn, never a shell: argv SESSION_DIR
 * [--burn-in] --json, stdout and stderr to SESSION_DIR/export/export.log),
 * at most one per session and a few at a time, and remembers how each
 * ended. Children are reaped with waitpid(WNOHANG) by tsn_rec_exports_reap
 * (the caller runs it from a timer while any is running, and before it
 * reads a state). A failed export's reason is the last line of its log with
 * every path cut out. What finished before a restart is judged from the
 * files: an export directory with recording.mp4 is done.
 *
 * It does not check tokens, rooms or session states (rec_api.c does), and
 * it builds paths only from a valid room name and session id. Not thread
 * safe: the lws service thread only. */
#ifndef TSN_REC_EXPORT_H
#define TSN_REC_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#define TSN_REC_EXPORT_REASON_MAX   200
#define TSN_REC_EXPORTS_MAX_RUNNING 2 /* exporters at once (each decodes or remuxes a whole file)  \
                                       */

enum tsn_rec_export_state {
    TSN_REC_EXPORT_NONE = 0, /* never exported (or forgotten, and no recording.mp4) */
    TSN_REC_EXPORT_RUNNING,
    TSN_REC_EXPORT_DONE, /* recording.mp4 exists and no exporter runs */
    TSN_REC_EXPORT_FAILED,
};

struct tsn_rec_exports;

/* `recordings_dir`: the root; `program`: the exporter ("" = telesono-export
 * in the directory of /proc/self/exe). Both copied. NULL when out of memory. */
struct tsn_rec_exports *tsn_rec_exports_new(const char *recordings_dir, const char *program);
/* Ends running exporters (SIGTERM, then SIGKILL after a second) and reaps
 * them: their temporary outputs are left, never a half-written final file. */
void tsn_rec_exports_free(struct tsn_rec_exports *x);

/* Starts an export of DIR/room/id (which must exist); creates its export/
 * directory (0700). 0 started; -EBUSY one runs for this session already;
 * -EAGAIN TSN_REC_EXPORTS_MAX_RUNNING run; -ENOENT no session directory;
 * -ENOEXEC the exporter is missing or not executable; other negative errno
 * for a failed spawn. `why` gets a reason without paths. */
int tsn_rec_exports_start(struct tsn_rec_exports *x, const char *room, const char *id, int burn_in,
                          char *why, size_t why_len);

/* Reaps finished exporters (never blocks). Returns how many still run. */
unsigned tsn_rec_exports_reap(struct tsn_rec_exports *x);

/* The state of a session's export (after reaping); `reason` (nullable)
 * gets why a failed one failed, "" otherwise; *burn_in (nullable) whether
 * the running or last export was asked for the burned-in copy. The DONE
 * judgement reads `has_recording`, whether export/recording.mp4 exists now
 * (the caller looked). */
enum tsn_rec_export_state tsn_rec_exports_state(struct tsn_rec_exports *x, const char *id,
                                                int has_recording, char *reason, size_t reason_len,
                                                int *burn_in);

/* Forgets a session (it was deleted). -EBUSY while its exporter runs. */
int tsn_rec_exports_forget(struct tsn_rec_exports *x, const char *id);

const char *tsn_rec_export_state_name(enum tsn_rec_export_state s);

/* One line of exporter output without paths, into `out`: the session
 * directory `dir` (with its '/') is cut out, any other word starting with
 * '/' becomes "<path>", bytes outside printable ASCII become '?', and the
 * result is cut to TSN_REC_EXPORT_REASON_MAX bytes (and cap - 1). Pure;
 * exposed for tests. */
void tsn_rec_export_clean_line(const char *line, const char *dir, char *out, size_t cap);

#endif
