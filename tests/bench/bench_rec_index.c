/* Recordings index speed (relay/rec_index.c): the mean time of one audit
 * insert (each its own transaction, as the HTTP thread writes them) over
 * 10,000, and the time to build the list JSON of a room holding 1,000
 * sessions (each with two participants), plus its serialisation. One JSON
 * line on stdout. Run by hand:
 *   tsn-bench-rec-index [DIR]   (default: a new directory under $TMPDIR or /tmp)
 * The database lives in DIR/index.sqlite, removed afterwards. Put DIR on the
 * file system the recordings will use: WAL commits cost a write(), and a
 * checkpoint an fsync, every 1000 pages. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rec_index.h"

#define AUDITS    10000
#define SESSIONS  1000
#define LIST_RUNS 20

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int fill_sessions(struct tsn_rec_index *ix)
{
    for (int i = 0; i < SESSIONS; i++) {
        struct tsn_rec_session s = {0};
        snprintf(s.id, sizeof s.id, "20261127T075012Z-%08x", (unsigned)i);
        snprintf(s.room, sizeof s.room, "bench");
        snprintf(s.started_by, sizeof s.started_by, "dr-%d", i % 7);
        snprintf(s.codec, sizeof s.codec, "H264");
        s.started_ms = 1795000000000 + (int64_t)i * 60000;
        int rc = tsn_rec_index_session_begin(ix, &s);
        if (rc == 0) {
            snprintf(s.state, sizeof s.state, "complete");
            snprintf(s.stop_reason, sizeof s.stop_reason, "stopped");
            s.ended_ms = s.started_ms + 30000;
            s.media_ms = 29950;
            s.bytes = 12345678;
            s.packets = 9000;
            s.frames = 300;
            s.events = 12;
            rc = tsn_rec_index_session_update(ix, &s);
        }
        if (rc == 0)
            rc = tsn_rec_index_participant_join(ix, s.id, "cap", TSN_ROLE_CAPTURE, s.started_ms);
        if (rc == 0)
            rc = tsn_rec_index_participant_join(ix, s.id, "dr-a", TSN_ROLE_CLINICIAN,
                                                s.started_ms + 1);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int main(int argc, char **argv)
{
    char dir[256], db[300], why[256] = "";
    int made_dir = argc < 2;
    if (made_dir) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/tsn_bench_rec_XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
    } else {
        snprintf(dir, sizeof dir, "%s", argv[1]);
    }
    snprintf(db, sizeof db, "%s/index.sqlite", dir);
    struct tsn_rec_index *ix = tsn_rec_index_open(db, why, sizeof why);
    if (!ix) {
        fprintf(stderr, "bench_rec_index: %s\n", why);
        return 1;
    }

    int rc = 0;
    double t0 = now_us();
    for (int i = 0; i < AUDITS && rc == 0; i++) {
        struct tsn_rec_audit a = {.time_ms = 1795000000000 + i, .role = TSN_ROLE_REVIEWER};
        snprintf(a.actor, sizeof a.actor, "rev-%d", i % 13);
        snprintf(a.action, sizeof a.action, "view");
        snprintf(a.room, sizeof a.room, "bench");
        snprintf(a.session, sizeof a.session, "20261127T075012Z-%08x", (unsigned)(i % 1000));
        rc = tsn_rec_index_audit(ix, &a);
    }
    double audit_us = (now_us() - t0) / AUDITS;

    if (rc == 0)
        rc = fill_sessions(ix);
    double best_ms = 1e9, sum_ms = 0, dump_ms = 0;
    size_t listed = 0, json_bytes = 0;
    for (int r = 0; r < LIST_RUNS && rc == 0; r++) {
        double t = now_us();
        json_t *l = tsn_rec_index_list_json(ix, "bench", SESSIONS);
        double ms = (now_us() - t) / 1e3;
        if (!l) {
            rc = -EIO;
            break;
        }
        t = now_us();
        char *text = json_dumps(l, JSON_COMPACT);
        dump_ms += (now_us() - t) / 1e3;
        json_bytes = text ? strlen(text) : 0;
        free(text);
        listed = json_array_size(l);
        json_decref(l);
        sum_ms += ms;
        best_ms = ms < best_ms ? ms : best_ms;
    }
    tsn_rec_index_close(ix);

    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[320];
        snprintf(p, sizeof p, "%s%s", db, suffixes[i]);
        unlink(p);
    }
    if (made_dir)
        rmdir(dir);
    if (rc != 0 || listed != SESSIONS) {
        fprintf(stderr, "bench_rec_index: failed (%d, listed %zu)\n", rc, listed);
        return 1;
    }
    printf("{\"audit_inserts\":%d,\"audit_insert_mean_us\":%.2f,\"list_sessions\":%d,"
           "\"list_json_mean_ms\":%.3f,\"list_json_best_ms\":%.3f,\"list_dump_mean_ms\":%.3f,"
           "\"list_json_bytes\":%zu,\"runs\":%d,\"dir\":\"%s\"}\n",
           AUDITS, audit_us, SESSIONS, sum_ms / LIST_RUNS, best_ms, dump_ms / LIST_RUNS, json_bytes,
           LIST_RUNS, dir);
    return 0;
}
