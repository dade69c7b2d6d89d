/* Unit tests for relay/rec_export.c: log lines lose their paths (the
 * session directory cut out, other absolute paths replaced, a ':' after a
 * path kept, control bytes replaced, long lines cut); and the exporter's
 * life cycle with small shell scripts as the exporter in a temporary
 * recordings directory: started (argv as documented, output in
 * export/export.log), one per session (-EBUSY), at most
 * TSN_REC_EXPORTS_MAX_RUNNING (-EAGAIN), done judged by recording.mp4,
 * failed with the log's last line and the exit status, a missing exporter
 * (-ENOEXEC) or session directory (-ENOENT), forget refused while running,
 * and free ending a running exporter at once. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "rec_export.h"

#define ROOM "roomA"
#define ID1  "20261127T075012Z-3fa9c2d1"
#define ID2  "20261127T075013Z-3fa9c2d2"
#define ID3  "20261127T075014Z-3fa9c2d3"

static char root[256];

static void clean(const char *in, const char *dir, char *out, size_t cap)
{
    tsn_rec_export_clean_line(in, dir, out, cap);
}

static void test_clean_line(void **state)
{
    (void)state;
    char out[TSN_REC_EXPORT_REASON_MAX + 1];
    const char *dir = "/srv/rec/roomA/" ID1;
    clean("warning: /srv/rec/roomA/" ID1 "/media.tsr: skipped 12 damaged bytes at offset 40", dir,
          out, sizeof out);
    assert_string_equal(out, "warning: media.tsr: skipped 12 damaged bytes at offset 40");
    clean("error: cannot open /etc/telesono/x.conf: no such file", dir, out, sizeof out);
    assert_string_equal(out, "error: cannot open <path>: no such file");
    clean("cannot write '/tmp/a b/c' (disk full)", dir, out, sizeof out);
    assert_string_equal(out, "cannot write '<path> b/c' (disk full)");
    clean("out=/home/u/x.mp4,in=(/var/y)", dir, out, sizeof out);
    assert_string_equal(out, "out=<path>,in=(<path>)");
    clean("no paths here, 3/4 done", dir, out, sizeof out);
    assert_string_equal(out, "no paths here, 3/4 done");
    clean("tab\there\x01\x7f\xc3\xa9", dir, out, sizeof out);
    assert_string_equal(out, "tab?here????");
    clean(dir, dir, out, sizeof out);
    assert_string_equal(out, "");
    char longline[1000];
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    clean(longline, dir, out, sizeof out);
    assert_int_equal(strlen(out), TSN_REC_EXPORT_REASON_MAX);
    char small[8];
    clean("/a /b /c", dir, small, sizeof small);
    assert_string_equal(small, "<path> ");
    /* Growth never overruns: many one-character paths. */
    char slashes[300];
    for (size_t i = 0; i + 1 < sizeof slashes; i += 2) {
        slashes[i] = '/';
        slashes[i + 1] = ' ';
    }
    slashes[sizeof slashes - 1] = '\0';
    clean(slashes, dir, out, sizeof out);
    assert_true(strlen(out) <= TSN_REC_EXPORT_REASON_MAX);
}

/* ---- the life cycle ------------------------------------------------------ */

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void make_session(const char *id)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, ROOM);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/%s/%s", root, ROOM, id);
    assert_int_equal(mkdir(p, 0700), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/tsn-test-rec-export.XXXXXX");
    assert_non_null(mkdtemp(root));
    char p[512];
    /* ok.sh: writes its argv to the log, recording.mp4 after SLEEP_S
     * (default 0); a session with a file "fail" makes it fail. */
    snprintf(p, sizeof p, "%s/ok.sh", root);
    write_file(p,
               "#!/bin/sh\n"
               "echo \"args: $*\"\n"
               "if [ -e \"$1/fail\" ]; then echo \"error: $1/media.tsr is not a recording\" >&2; "
               "exit 2; fi\n"
               "sleep \"${SLEEP_S:-0}\"\n"
               "echo mp4 > \"$1/export/recording.mp4\"\n",
               0700);
    snprintf(p, sizeof p, "%s/silent.sh", root);
    write_file(p, "#!/bin/sh\nexit 4\n", 0700);
    snprintf(p, sizeof p, "%s/slow.sh", root);
    write_file(p, "#!/bin/sh\nexec sleep 30\n", 0700);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static struct tsn_rec_exports *exports_with(const char *script)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, script);
    struct tsn_rec_exports *x = tsn_rec_exports_new(root, p);
    assert_non_null(x);
    return x;
}

/* Reaps until nothing runs (at most ~10 s). */
static void wait_idle(struct tsn_rec_exports *x)
{
    for (int i = 0; i < 1000 && tsn_rec_exports_reap(x) > 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(tsn_rec_exports_reap(x), 0);
}

static void read_log(const char *id, char *out, size_t cap)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s/%s/export/export.log", root, ROOM, id);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

static int has_recording(const char *id)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s/%s/export/recording.mp4", root, ROOM, id);
    return access(p, F_OK) == 0;
}

static void test_done(void **state)
{
    (void)state;
    char why[160], reason[TSN_REC_EXPORT_REASON_MAX + 1], log[512];
    int burn = -1;
    make_session(ID1);
    struct tsn_rec_exports *x = exports_with("ok.sh");
    assert_int_equal(tsn_rec_exports_state(x, ID1, 0, reason, sizeof reason, NULL),
                     TSN_REC_EXPORT_NONE);
    setenv("SLEEP_S", "1", 1);
    assert_int_equal(tsn_rec_exports_start(x, ROOM, ID1, 1, why, sizeof why), 0);
    unsetenv("SLEEP_S");
    assert_int_equal(tsn_rec_exports_state(x, ID1, 0, reason, sizeof reason, &burn),
                     TSN_REC_EXPORT_RUNNING);
    assert_int_equal(burn, 1);
    assert_int_equal(tsn_rec_exports_start(x, ROOM, ID1, 0, why, sizeof why), -EBUSY);
    assert_int_equal(tsn_rec_exports_forget(x, ID1), -EBUSY);
    wait_idle(x);
    assert_true(has_recording(ID1));
    assert_int_equal(tsn_rec_exports_state(x, ID1, 1, reason, sizeof reason, NULL),
                     TSN_REC_EXPORT_DONE);
    assert_string_equal(reason, "");
    read_log(ID1, log, sizeof log);
    char want[600];
    snprintf(want, sizeof want, "args: %s/%s/%s --burn-in --json\n", root, ROOM, ID1);
    assert_string_equal(log, want);
    /* Done is judged by the file: gone, a finished job says it wrote none. */
    assert_int_equal(tsn_rec_exports_state(x, ID1, 0, reason, sizeof reason, NULL),
                     TSN_REC_EXPORT_FAILED);
    assert_non_null(strstr(reason, "without writing the recording"));
    assert_int_equal(tsn_rec_exports_forget(x, ID1), 0);
    assert_int_equal(tsn_rec_exports_state(x, ID1, 0, reason, sizeof reason, NULL),
                     TSN_REC_EXPORT_NONE);
    tsn_rec_exports_free(x);
    /* A new table (a restart) knows nothing: the file says done. */
    x = exports_with("ok.sh");
    assert_int_equal(tsn_rec_exports_state(x, ID1, 1, NULL, 0, NULL), TSN_REC_EXPORT_DONE);
    tsn_rec_exports_free(x);
}

static void test_failed(void **state)
{
    (void)state;
    char why[160], reason[TSN_REC_EXPORT_REASON_MAX + 1], p[512];
    make_session(ID2);
    snprintf(p, sizeof p, "%s/%s/%s/fail", root, ROOM, ID2);
    write_file(p, "", 0600);
    struct tsn_rec_exports *x = exports_with("ok.sh");
    assert_int_equal(tsn_rec_exports_start(x, ROOM, ID2, 0, why, sizeof why), 0);
    wait_idle(x);
    assert_int_equal(tsn_rec_exports_state(x, ID2, 0, reason, sizeof reason, NULL),
                     TSN_REC_EXPORT_FAILED);
    assert_string_equal(reason, "error: media.tsr is not a recording (exporter exit status 2)");
    assert_null(strstr(reason, root));
    tsn_rec_exports_free(x);

    x = exports_with("silent.sh"); /* nothing in the log: the status alone */
    assert_int_equal(tsn_rec_exports_start(x, ROOM, ID2, 0, why, sizeof why), 0);
    wait_idle(x);
    assert_int_equal(tsn_rec_exports_state(x, ID2, 0, reason, sizeof reason, NULL),
                     TSN_REC_EXPORT_FAILED);
    assert_string_equal(reason, "exporter exit status 4");
    tsn_rec_exports_free(x);
}

static void test_refusals(void **state)
{
    (void)state;
    char why[160] = "";
    struct tsn_rec_exports *x = exports_with("missing.sh");
    make_session(ID3);
    assert_int_equal(tsn_rec_exports_start(x, ROOM, ID3, 0, why, sizeof why), -ENOEXEC);
    assert_null(strstr(why, root)); /* no path for the client */
    tsn_rec_exports_free(x);
    x = exports_with("ok.sh");
    assert_int_equal(
        tsn_rec_exports_start(x, ROOM, "20261127T000000Z-00000000", 0, why, sizeof why), -ENOENT);
    assert_null(strstr(why, root));
    tsn_rec_exports_free(x);
}

static void test_limit_and_free(void **state)
{
    (void)state;
    char why[160];
    static const char *const ids[] = {"20261127T100000Z-0000000a", "20261127T100000Z-0000000b",
                                      "20261127T100000Z-0000000c"};
    for (int i = 0; i < 3; i++)
        make_session(ids[i]);
    struct tsn_rec_exports *x = exports_with("slow.sh");
    for (int i = 0; i < TSN_REC_EXPORTS_MAX_RUNNING; i++)
        assert_int_equal(tsn_rec_exports_start(x, ROOM, ids[i], 0, why, sizeof why), 0);
    assert_int_equal(tsn_rec_exports_start(x, ROOM, ids[2], 0, why, sizeof why), -EAGAIN);
    assert_int_equal(tsn_rec_exports_reap(x), TSN_REC_EXPORTS_MAX_RUNNING);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tsn_rec_exports_free(x); /* SIGTERM ends both, they are reaped */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(s < 3.0);
    tsn_rec_exports_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_line),     cmocka_unit_test(test_done),
        cmocka_unit_test(test_failed),         cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_limit_and_free),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
