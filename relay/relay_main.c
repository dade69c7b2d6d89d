/* telesono-relay: parse the configuration, start, serve until SIGINT or
 * SIGTERM, stop cleanly. Exit codes: 0 clean stop, 1 start-up failure,
 * 2 bad command line. */
#include "log.h"
#include "relay.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static struct tsn_relay relay;

static void on_signal(int sig)
{
    (void)sig;
    tsn_relay_request_stop(&relay);
}

int main(int argc, char **argv)
{
    struct tsn_config cfg;
    int rc = tsn_config_parse(&cfg, argc, argv);
    if (rc == TSN_CONFIG_HELP)
        return 0;
    if (rc != TSN_CONFIG_OK)
        return 2;
    tsn_log_set_level((enum tsn_log_level)cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (tsn_relay_init(&relay, &cfg) != 0) {
        tsn_relay_cleanup(&relay);
        return 1;
    }
    rc = tsn_relay_run(&relay) == 0 ? 0 : 1;
    tsn_relay_cleanup(&relay);
    return rc;
}
