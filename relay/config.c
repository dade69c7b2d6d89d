/* Configuration parsing. Every value goes through one setter, so a config
 * file line and a flag are validated the same way. */
#include "config.h"

#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The web viewer shipped with the sources (viewer/web), set by CMake. */
#ifndef TSN_DEFAULT_WEB_ROOT
#define TSN_DEFAULT_WEB_ROOT ""
#endif
_Static_assert(sizeof TSN_DEFAULT_WEB_ROOT <= sizeof((struct tsn_config *)0)->web_root,
               "TSN_DEFAULT_WEB_ROOT is longer than the web_root buffer");

enum opt_id {
    OPT_LISTEN = 1, OPT_MEDIA_PORT, OPT_PUBLIC_IP, OPT_DATA_DIR, OPT_CERT, OPT_KEY,
    OPT_SECRET_FILE, OPT_WEB_ROOT, OPT_LOG_LEVEL, OPT_MAX_PEERS, OPT_RTX_CACHE,
    OPT_PLI_INTERVAL, OPT_CONSENT_TIMEOUT, OPT_RECORDINGS, OPT_RECORD, OPT_RETENTION,
    OPT_RECORD_MIN_FREE, OPT_RECORD_FSYNC, OPT_EXPORT_PROGRAM, OPT_CONFIG, OPT_HELP,
};

static const struct option long_opts[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"media-port", required_argument, NULL, OPT_MEDIA_PORT},
    {"public-ip", required_argument, NULL, OPT_PUBLIC_IP},
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"secret-file", required_argument, NULL, OPT_SECRET_FILE},
    {"web-root", required_argument, NULL, OPT_WEB_ROOT},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"max-peers", required_argument, NULL, OPT_MAX_PEERS},
    {"rtx-cache", required_argument, NULL, OPT_RTX_CACHE},
    {"pli-interval-ms", required_argument, NULL, OPT_PLI_INTERVAL},
    {"consent-timeout", required_argument, NULL, OPT_CONSENT_TIMEOUT},
    {"recordings", required_argument, NULL, OPT_RECORDINGS},
    {"record", required_argument, NULL, OPT_RECORD},
    {"retention-days", required_argument, NULL, OPT_RETENTION},
    {"record-min-free-mb", required_argument, NULL, OPT_RECORD_MIN_FREE},
    {"record-fsync-ms", required_argument, NULL, OPT_RECORD_FSYNC},
    {"export-program", required_argument, NULL, OPT_EXPORT_PROGRAM},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

void tsn_config_usage(const char *prog)
{
    printf("Usage: %s [options]\n"
           "Telesono relay: HTTPS + WSS signalling, WHIP/WHEP, and a WebRTC media relay.\n\n"
           "  --listen HOST:PORT     HTTPS/WSS address (default 127.0.0.1:8443)\n"
           "  --media-port N         UDP media port (default: the listen port's number)\n"
           "  --public-ip IP         address advertised in ICE candidates (default: listen host)\n"
           "  --data-dir DIR         state directory (default ./telesono-data)\n"
           "  --cert FILE --key FILE TLS certificate and key (PEM); default: a self-signed\n"
           "                         certificate created as DIR/cert.pem + DIR/key.pem\n"
           "  --secret-file FILE     token HMAC key (also TELESONO_SECRET_FILE); default:\n"
           "                         DIR/secret, generated on first start (mode 0600)\n"
           "  --web-root DIR         serve the web viewer's files from DIR at / (default:\n"
           "                         %s); \"\" serves none\n"
           "  --log-level LEVEL      error, warn, info (default) or debug\n"
           "  --max-peers N          media peers at most (default 2048)\n"
           "  --rtx-cache N          packets kept per stream for NACK (default 2048)\n"
           "  --pli-interval-ms N    least time between PLIs sent to a publisher (default 500)\n"
           "  --consent-timeout S    drop peers silent this long (default 30)\n"
           "  --recordings DIR       where recordings and their index live\n"
           "                         (default DIR/recordings of --data-dir)\n"
           "  --record MODE          on-request (default: a capture or clinician turns it on),\n"
           "                         always (every room with a publisher), or off\n"
           "  --retention-days N     delete recordings N days after they end (default 0: keep)\n"
           "  --record-min-free-mb N refuse or stop recording below N MiB free (default 512)\n"
           "  --record-fsync-ms N    flush recordings to stable storage this often (default 1000)\n"
           "  --export-program FILE  the exporter (default: telesono-export beside the relay)\n"
           "  --config FILE          read 'key = value' lines (long option names); flags win\n"
           "  --help                 this text\n",
           prog, TSN_DEFAULT_WEB_ROOT[0] ? TSN_DEFAULT_WEB_ROOT : "none");
}

int tsn_parse_hostport(const char *s, char *host, size_t host_len, uint16_t *port)
{
    const char *colon;
    const char *h = s;
    size_t hl;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':')
            return -EINVAL;
        h = s + 1;
        hl = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -EINVAL;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= host_len)
        return -EINVAL;
    char *endp;
    long p = strtol(colon + 1, &endp, 10);
    if (*endp || p < 1 || p > 65535)
        return -EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (uint16_t)p;
    return 0;
}

static int parse_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || *end || end == v || n < lo || n > hi)
        return -EINVAL;
    *out = (unsigned)n;
    return 0;
}

static int copy_str(char *dst, size_t cap, const char *v)
{
    if (strlen(v) >= cap || v[0] == '\0')
        return -EINVAL;
    strcpy(dst, v);
    return 0;
}

/* Like copy_str, but "" is a value: it turns the feature off. */
static int copy_str_or_empty(char *dst, size_t cap, const char *v)
{
    if (strlen(v) >= cap)
        return -EINVAL;
    strcpy(dst, v);
    return 0;
}

static int parse_record_mode(const char *v, enum tsn_record_mode *out)
{
    static const char *const names[] = {"on-request", "always", "off"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = (enum tsn_record_mode)i;
            return 0;
        }
    return -EINVAL;
}

/* Applies one option; prints the reason and returns -1 if the value is bad. */
static int set_option(struct tsn_config *c, int id, const char *name, const char *v)
{
    unsigned n = 0;
    int rc = 0;
    switch (id) {
    case OPT_LISTEN:
        rc = tsn_parse_hostport(v, c->listen_host, sizeof c->listen_host, &c->listen_port);
        break;
    case OPT_MEDIA_PORT:
        rc = parse_uint(v, 1, 65535, &n);
        c->media_port = (uint16_t)n;
        break;
    case OPT_PUBLIC_IP: rc = copy_str(c->public_ip, sizeof c->public_ip, v); break;
    case OPT_DATA_DIR: rc = copy_str(c->data_dir, sizeof c->data_dir, v); break;
    case OPT_CERT: rc = copy_str(c->cert_path, sizeof c->cert_path, v); break;
    case OPT_KEY: rc = copy_str(c->key_path, sizeof c->key_path, v); break;
    case OPT_SECRET_FILE: rc = copy_str(c->secret_file, sizeof c->secret_file, v); break;
    case OPT_WEB_ROOT: rc = copy_str_or_empty(c->web_root, sizeof c->web_root, v); break;
    case OPT_LOG_LEVEL:
        c->log_level = tsn_log_parse_level(v);
        rc = c->log_level < 0 ? -EINVAL : 0;
        break;
    case OPT_MAX_PEERS: rc = parse_uint(v, 1, 65536, &c->max_peers); break;
    case OPT_RTX_CACHE: rc = parse_uint(v, 16, 32768, &c->rtx_cache_packets); break;
    case OPT_PLI_INTERVAL: rc = parse_uint(v, 0, 60000, &c->pli_interval_ms); break;
    case OPT_CONSENT_TIMEOUT: rc = parse_uint(v, 1, 3600, &c->consent_timeout_s); break;
    case OPT_RECORDINGS: rc = copy_str(c->recordings_dir, sizeof c->recordings_dir, v); break;
    case OPT_RECORD: rc = parse_record_mode(v, &c->record_mode); break;
    case OPT_RETENTION: rc = parse_uint(v, 0, 36500, &c->retention_days); break;
    case OPT_RECORD_MIN_FREE: rc = parse_uint(v, 0, 1u << 20, &c->record_min_free_mb); break;
    case OPT_RECORD_FSYNC: rc = parse_uint(v, 50, 10000, &c->record_fsync_ms); break;
    case OPT_EXPORT_PROGRAM: rc = copy_str(c->export_program, sizeof c->export_program, v); break;
    default: rc = -EINVAL; break;
    }
    if (rc) {
        fprintf(stderr, "telesono-relay: invalid value for %s: '%s'\n", name, v);
        return -1;
    }
    return 0;
}

static int option_id(const char *name)
{
    for (const struct option *o = long_opts; o->name; o++)
        if (strcmp(o->name, name) == 0 && o->val != OPT_CONFIG && o->val != OPT_HELP)
            return o->val;
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static int load_file(struct tsn_config *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "telesono-relay: cannot open config file %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            fprintf(stderr, "telesono-relay: %s:%d: expected 'key = value'\n", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        int id = option_id(key);
        if (!id) {
            fprintf(stderr, "telesono-relay: %s:%d: unknown key '%s'\n", path, lineno, key);
            rc = -1;
            break;
        }
        rc = set_option(c, id, key, val);
    }
    fclose(f);
    return rc;
}

static int set_defaults(struct tsn_config *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->listen_host, "127.0.0.1");
    c->listen_port = 8443;
    c->media_port = 0; /* 0 = the listen port's number */
    strcpy(c->data_dir, "./telesono-data");
    strcpy(c->web_root, TSN_DEFAULT_WEB_ROOT);
    c->log_level = TSN_LOG_INFO;
    c->max_peers = 2048;
    c->rtx_cache_packets = 2048;
    c->pli_interval_ms = 500;
    c->consent_timeout_s = 30;
    c->record_mode = TSN_RECORD_ON_REQUEST;
    c->record_min_free_mb = 512;
    c->record_fsync_ms = 1000;
    const char *env = getenv("TELESONO_SECRET_FILE");
    if (env && strlen(env) >= sizeof c->secret_file) {
        /* Never fall back silently to another key file than the one named. */
        fprintf(stderr, "telesono-relay: TELESONO_SECRET_FILE is too long\n");
        return -1;
    }
    if (env)
        strcpy(c->secret_file, env);
    return 0;
}

static int is_wildcard(const char *host)
{
    return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

static int derive_paths(struct tsn_config *c)
{
    if (c->public_ip[0] == '\0') {
        /* The listen host becomes the ICE candidate; a wildcard one would
         * advertise an address no client can reach. */
        if (is_wildcard(c->listen_host)) {
            fprintf(stderr, "telesono-relay: --listen %s needs --public-ip\n", c->listen_host);
            return -1;
        }
        snprintf(c->public_ip, sizeof c->public_ip, "%s", c->listen_host);
    }
    if (c->media_port == 0)
        c->media_port = c->listen_port; /* one number for TCP and UDP by default */
    if (c->cert_path[0] == '\0')
        snprintf(c->cert_path, sizeof c->cert_path, "%s/cert.pem", c->data_dir);
    if (c->key_path[0] == '\0')
        snprintf(c->key_path, sizeof c->key_path, "%s/key.pem", c->data_dir);
    if (c->secret_file[0] == '\0')
        snprintf(c->secret_file, sizeof c->secret_file, "%s/secret", c->data_dir);
    if (c->recordings_dir[0] == '\0')
        snprintf(c->recordings_dir, sizeof c->recordings_dir, "%s/recordings", c->data_dir);
    return 0;
}

/* Pass 1: loads every --config file (in order), found by getopt itself so
 * that "--config=F" and abbreviations such as "--conf F" are seen exactly as
 * pass 2 sees them. Other options and errors are left to pass 2. */
static int load_config_files(struct tsn_config *c, int argc, char **argv)
{
    optind = 0; /* 0, not 1: glibc then fully re-initialises its scanner */
    opterr = 0;
    int id;
    while ((id = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        if (id == OPT_HELP)
            return 0;
        if (id == OPT_CONFIG && load_file(c, optarg) != 0)
            return -1;
    }
    return 0;
}

int tsn_config_parse(struct tsn_config *c, int argc, char **argv)
{
    if (set_defaults(c) != 0)
        return TSN_CONFIG_ERROR;
    /* The config file first, so that flags (pass 2) override it. */
    if (load_config_files(c, argc, argv) != 0)
        return TSN_CONFIG_ERROR;
    int explicit_cert = c->cert_path[0] != '\0';
    int explicit_key = c->key_path[0] != '\0';
    optind = 0;
    opterr = 0;
    int id;
    while ((id = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        if (id == OPT_HELP) {
            tsn_config_usage(argv[0]);
            return TSN_CONFIG_HELP;
        }
        if (id == '?' || id == ':') {
            fprintf(stderr, "telesono-relay: unknown or incomplete option '%s' (see --help)\n",
                    argv[optind - 1]);
            return TSN_CONFIG_ERROR;
        }
        if (id == OPT_CONFIG)
            continue;
        if (id == OPT_CERT)
            explicit_cert = 1;
        if (id == OPT_KEY)
            explicit_key = 1;
        if (set_option(c, id, long_opts[id - 1].name, optarg) != 0)
            return TSN_CONFIG_ERROR;
    }
    if (optind < argc) {
        fprintf(stderr, "telesono-relay: unexpected argument '%s' (see --help)\n", argv[optind]);
        return TSN_CONFIG_ERROR;
    }
    if (explicit_cert != explicit_key) {
        fprintf(stderr, "telesono-relay: --cert and --key go together\n");
        return TSN_CONFIG_ERROR;
    }
    if (derive_paths(c) != 0)
        return TSN_CONFIG_ERROR;
    return TSN_CONFIG_OK;
}
