/* telesono-export: parses the command line, installs the SIGINT/SIGTERM
 * handlers (an interrupted export removes its temporary files and exits
 * 128 + signal), and runs the export (viewer/export.c). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <gst/gst.h>

#include "export.h"
#include "export_cli.h"
#include "log.h"

static volatile int stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

int main(int argc, char **argv)
{
    struct tsn_export_opts o;
    char why[300] = "";
    int rc = tsn_export_cli_parse(argc, argv, &o, why, sizeof why);
    if (rc == 1) {
        tsn_export_cli_usage(stdout);
        return TSN_EXPORT_EXIT_OK;
    }
    if (rc < 0) {
        fprintf(stderr, "telesono-export: %s\n", why);
        return TSN_EXPORT_EXIT_USAGE;
    }
    tsn_log_set_level((enum tsn_log_level)o.log_level);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    gst_init(NULL, NULL);
    rc = tsn_export_run(&o, &stop_signal);
    gst_deinit();
    return rc;
}
