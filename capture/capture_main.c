/* telesono-capture: the bedside daemon (see capture.h and --help). */
#include <stdio.h>

#include <glib-unix.h>
#include <gst/gst.h>

#include "abs_capture_time.h"
#include "capture.h"
#include "capture_cli.h"
#include "exit_codes.h"
#include "gst_warm.h"
#include "log.h"

static gboolean on_signal(gpointer data)
{
    tsn_info("[capture] signal received: stopping");
    tsn_capture_stop(data);
    return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
    struct tsn_capture_opts o;
    char why[512];
    if (tsn_capture_cli_parse(argc, argv, &o, why, sizeof why) != 0) {
        fprintf(stderr, "telesono-capture: %s\n", why);
        return TSN_EXIT_USAGE;
    }
    if (o.help) {
        fputs(tsn_capture_usage(), stdout);
        tsn_capture_opts_clear(&o);
        return TSN_EXIT_OK;
    }
    if (o.log_level) {
        int level = tsn_log_parse_level(o.log_level);
        if (level < 0) {
            fprintf(stderr, "telesono-capture: --log-level must be error, warn, info or debug\n");
            tsn_capture_opts_clear(&o);
            return TSN_EXIT_USAGE;
        }
        tsn_log_set_level((enum tsn_log_level)level);
    }
    gst_init(NULL, NULL);
    int code = TSN_EXIT_PIPELINE;
    if (!tsn_abs_capture_time_register()) {
        fprintf(stderr, "telesono-capture: cannot register the abs-capture-time extension\n");
        goto out;
    }
    /* In the order the first connection needs them: the DTLS certificate
     * first, then what webrtcbin builds at its first offer. */
    static const char *const warm[] = {"dtlsdec", "dtlssrtpdec", "dtlssrtpenc", "webrtcbin",
                                       "nicesrc", "nicesink",    "rtpbin",      "x264enc",
                                       "vp8enc",  "rtph264pay",  "rtpvp8pay",   NULL};
    GThread *warm_up = tsn_gst_warm_up_start(warm);
    struct tsn_capture *c = tsn_capture_new(&o, &code, why, sizeof why);
    if (!c) {
        fprintf(stderr, "telesono-capture: %s\n", why);
        g_thread_join(warm_up);
        goto out;
    }
    g_unix_signal_add(SIGINT, on_signal, c);
    g_unix_signal_add(SIGTERM, on_signal, c);
    code = tsn_capture_run(c);
    tsn_capture_free(c);
    g_thread_join(warm_up);
out:
    tsn_capture_opts_clear(&o);
    gst_deinit();
    return code;
}
