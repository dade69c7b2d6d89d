/* telesono-view: parses the command line, reads the token, checks that a
 * window can be shown, and runs the viewer session (viewer/view.c). */
#include <stdio.h>
#include <stdlib.h>

#include <gst/gst.h>

#include "cli_args.h"
#include "exit_codes.h"
#include "log.h"
#include "view.h"
#include "view_cli.h"

static int has_display(void)
{
    const char *x11 = getenv("DISPLAY");
    const char *wayland = getenv("WAYLAND_DISPLAY");
    return (x11 && *x11) || (wayland && *wayland);
}

int main(int argc, char **argv)
{
    struct tsn_view_opts o;
    char why[300] = "";
    int rc = tsn_view_cli_parse(argc, argv, &o, why, sizeof why);
    if (rc == 1) {
        tsn_view_cli_usage(stdout);
        return TSN_EXIT_OK;
    }
    if (rc < 0) {
        fprintf(stderr, "telesono-view: %s\n", why);
        return TSN_EXIT_USAGE;
    }
    tsn_log_set_level((enum tsn_log_level)o.log_level);
    if (!o.headless && !has_display()) {
        fprintf(stderr, "telesono-view: no display: use --headless (DISPLAY and "
                        "WAYLAND_DISPLAY "
                        "are unset)\n");
        return TSN_EXIT_USAGE;
    }
    char *token_buf = NULL;
    if (o.token_file && tsn_cli_token_file(o.token_file, &token_buf, why, sizeof why) < 0) {
        fprintf(stderr, "telesono-view: %s\n", why);
        return TSN_EXIT_USAGE;
    }
    if (o.tls.insecure)
        fprintf(stderr, "telesono-view: %s\n", tsn_cli_insecure_warning());
    gst_init(NULL, NULL);
    rc = tsn_view_run(&o, token_buf ? token_buf : o.token);
    free(token_buf);
    return rc;
}
