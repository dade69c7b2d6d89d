/* telesono-relay configuration: defaults, an optional config file of
 * "key = value" lines (keys are the long flag names), then command-line flags,
 * which win. Immutable once parsed; shared read-only by every thread. */
#ifndef TSN_CONFIG_H
#define TSN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct tsn_config {
    char listen_host[64];   /* --listen HOST:PORT, default 127.0.0.1:8443 */
    uint16_t listen_port;
    uint16_t media_port;    /* --media-port, default: the listen port number (UDP) */
    char public_ip[64];     /* --public-ip, advertised candidate; default listen host */
    char data_dir[400];     /* --data-dir, default ./telesono-data */
    char cert_path[512];    /* --cert; "" = <data-dir>/cert.pem, created if missing */
    char key_path[512];     /* --key */
    char secret_file[512];  /* --secret-file or TELESONO_SECRET_FILE; "" = <data-dir>/secret */
    char web_root[512];     /* --web-root: static files at / ("" = none); default
                               TSN_DEFAULT_WEB_ROOT, the source tree's viewer/web */
    int log_level;          /* --log-level error|warn|info|debug */
    unsigned max_peers;     /* --max-peers, default 2048 */
    unsigned rtx_cache_packets; /* --rtx-cache, default 2048 packets per stream */
    unsigned pli_interval_ms;   /* --pli-interval-ms, min gap between PLIs to a publisher */
    unsigned consent_timeout_s; /* --consent-timeout, default 30 (RFC 7675) */
    /* Recording (docs/operations.md, "Recordings"). */
    char recordings_dir[512];   /* --recordings, default <data-dir>/recordings */
    enum tsn_record_mode {
        TSN_RECORD_ON_REQUEST = 0, /* a capture or clinician turns it on (default) */
        TSN_RECORD_ALWAYS,         /* every room with a publisher is recorded */
        TSN_RECORD_OFF,            /* never; requests get 503 */
    } record_mode;              /* --record on-request|always|off */
    unsigned retention_days;    /* --retention-days, 0 = keep forever (default) */
    unsigned record_min_free_mb; /* --record-min-free-mb, default 512 */
    unsigned record_fsync_ms;   /* --record-fsync-ms, default 1000 */
    char export_program[512];   /* --export-program; "" = telesono-export beside the relay */
};

enum { TSN_CONFIG_OK = 0, TSN_CONFIG_HELP = 1, TSN_CONFIG_ERROR = -1 };

/* Fills `c`. Returns TSN_CONFIG_OK, TSN_CONFIG_HELP (usage was printed to
 * stdout) or TSN_CONFIG_ERROR (a one-line reason was printed to stderr). */
int tsn_config_parse(struct tsn_config *c, int argc, char **argv);
void tsn_config_usage(const char *prog);

/* Parses "HOST:PORT" (IPv6 as "[::1]:8443"). 0 or -EINVAL. */
int tsn_parse_hostport(const char *s, char *host, size_t host_len, uint16_t *port);

#endif
