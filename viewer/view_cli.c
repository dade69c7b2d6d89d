/* telesono-view command line (see view_cli.h). A flag table drives the
 * parser: each entry names the flag, whether it takes a value and the small
 * handler that checks and stores it, so every refusal says which flag and
 * why. */
#include "view_cli.h"

#include "why.h"

#include "cli_args.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONNECT_TIMEOUT 3600.0

/* ---- flag handlers: (value, opts) -> 0 or -EINVAL with a reason ---- */

typedef int (*flag_fn)(const char *v, struct tsn_view_opts *o, char *why, size_t why_len);

/* The signalling URL always names its path: an https:// relay URL (or a
 * wss:// one without a path) means the relay's /ws. */
static int on_relay(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    o->relay_url = v;
    int rc = tsn_view_cli_parse_url(v, o->relay_host, sizeof o->relay_host, &o->relay_port, why,
                                    why_len);
    if (rc < 0)
        return rc;
    const char *after_scheme = strstr(v, "://") + 3;
    const char *path = strchr(after_scheme, '/');
    if (strncmp(v, "https://", 8) == 0 || !path || strcmp(path, "/") == 0)
        path = "/ws";
    int ipv6 = strchr(o->relay_host, ':') != NULL;
    int n = snprintf(o->ws_url, sizeof o->ws_url, "wss://%s%s%s:%d%s", ipv6 ? "[" : "",
                     o->relay_host, ipv6 ? "]" : "", o->relay_port, path);
    if (n < 0 || (size_t)n >= sizeof o->ws_url)
        return tsn_why(why, why_len, -EINVAL, "--relay: the URL is too long");
    return 0;
}

static int on_token(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    if (!*v)
        return tsn_why(why, why_len, -EINVAL, "--token is empty");
    o->token = v;
    return 0;
}

static int on_token_file(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    if (!*v)
        return tsn_why(why, why_len, -EINVAL, "--token-file is empty");
    o->token_file = v;
    return 0;
}

static int on_room(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    size_t n = strlen(v);
    if (n < 1 || n > 64 ||
        strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789_-") != n)
        return tsn_why(why, why_len, -EINVAL, "--room: use 1-64 of A-Z a-z 0-9 _ -");
    o->room = v;
    return 0;
}

static int on_ca(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    return tsn_cli_tls_flag("--ca", v, &o->tls, why, why_len);
}

static int on_fingerprint(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    return tsn_cli_tls_flag("--fingerprint", v, &o->tls, why, why_len);
}

static int on_insecure(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    return tsn_cli_tls_flag("--insecure", v, &o->tls, why, why_len);
}

static int on_headless(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    o->headless = 1;
    return 0;
}

static int on_duration(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    return tsn_cli_double("--duration", v, 0, TSN_VIEW_MAX_DURATION_S, &o->duration_s, why,
                          why_len);
}

static int on_stats_json(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    if (!*v)
        return tsn_why(why, why_len, -EINVAL, "--stats-json is empty");
    o->stats_json = v;
    return 0;
}

static int on_dump_frames(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    if (!*v)
        return tsn_why(why, why_len, -EINVAL, "--dump-frames is empty");
    o->dump_dir = v;
    return 0;
}

static int on_dump_gray(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    o->dump_gray = 1;
    return 0;
}

static int on_no_annotations(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    o->no_annotations = 1;
    return 0;
}

static int on_connect_timeout(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    double s = 0;
    if (tsn_cli_double("--connect-timeout", v, 0.001, MAX_CONNECT_TIMEOUT, &s, why, why_len) < 0)
        return -EINVAL;
    o->connect_timeout_ms = (int)lround(s * 1000);
    if (o->connect_timeout_ms < 1)
        o->connect_timeout_ms = 1;
    return 0;
}

static int on_latency_ms(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    long ms = 0;
    if (tsn_cli_int("--latency-ms", v, 0, TSN_VIEW_MAX_LATENCY_MS, &ms, why, why_len) < 0)
        return -EINVAL;
    o->latency_ms = (int)ms;
    return 0;
}

static int on_log_level(const char *v, struct tsn_view_opts *o, char *why, size_t why_len)
{
    int level = tsn_log_parse_level(v);
    if (level < 0)
        return tsn_why(why, why_len, -EINVAL, "--log-level '%s': use error, warn, info or debug",
                       v);
    o->log_level = level;
    return 0;
}

struct flag {
    const char *name; /* without the leading "--" */
    int takes_value;
    flag_fn fn;
};

static const struct flag flags[] = {
    {"relay", 1, on_relay},
    {"token", 1, on_token},
    {"token-file", 1, on_token_file},
    {"room", 1, on_room},
    {"ca", 1, on_ca},
    {"fingerprint", 1, on_fingerprint},
    {"insecure", 0, on_insecure},
    {"headless", 0, on_headless},
    {"duration", 1, on_duration},
    {"stats-json", 1, on_stats_json},
    {"dump-frames", 1, on_dump_frames},
    {"dump-gray", 0, on_dump_gray},
    {"no-annotations", 0, on_no_annotations},
    {"connect-timeout", 1, on_connect_timeout},
    {"latency-ms", 1, on_latency_ms},
    {"log-level", 1, on_log_level},
};
#define N_FLAGS (sizeof flags / sizeof flags[0])

/* The table entry for "--name" or "--name=value" (sets *inline_value). */
static const struct flag *find_flag(const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    if (strncmp(arg, "--", 2) != 0)
        return NULL;
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t n = eq ? (size_t)(eq - name) : strlen(name);
    for (size_t i = 0; i < N_FLAGS; i++) {
        if (strlen(flags[i].name) == n && strncmp(flags[i].name, name, n) == 0) {
            if (eq)
                *inline_value = eq + 1;
            return &flags[i];
        }
    }
    return NULL;
}

/* Names an unknown flag without its value, and a stray word only by its
 * position: either could be a token pasted in the wrong place. */
static int refuse_unknown(const char *arg, int position, char *why, size_t why_len)
{
    if (strncmp(arg, "--", 2) == 0 || (arg[0] == '-' && arg[1] != '\0'))
        return tsn_why(why, why_len, -EINVAL, "unknown flag '%.*s' (see --help)",
                       (int)strcspn(arg, "=") > 40 ? 40 : (int)strcspn(arg, "="), arg);
    return tsn_why(why, why_len, -EINVAL, "unexpected argument %d: not a --flag (see --help)",
                   position);
}

/* Rules between flags, once every flag was read. */
static int check_combination(const struct tsn_view_opts *o, char *why, size_t why_len)
{
    if (!o->relay_url)
        return tsn_why(why, why_len, -EINVAL, "--relay URL is required (https://HOST:PORT)");
    if (!o->token == !o->token_file)
        return tsn_why(why, why_len, -EINVAL,
                       "give exactly one of --token JWT and --token-file FILE");
    return 0;
}

int tsn_view_cli_parse(int argc, char *const *argv, struct tsn_view_opts *o, char *why,
                       size_t why_len)
{
    *o = (struct tsn_view_opts){.connect_timeout_ms = TSN_VIEW_DEFAULT_CONNECT_TIMEOUT_MS,
                                .latency_ms = TSN_VIEW_DEFAULT_LATENCY_MS,
                                .log_level = TSN_LOG_INFO};
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    unsigned seen = 0; /* one bit per flags[] entry: each flag at most once */
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        const struct flag *f = find_flag(arg, &value);
        if (!f)
            return refuse_unknown(arg, i, why, why_len);
        unsigned bit = 1u << (f - flags);
        if (seen & bit)
            return tsn_why(why, why_len, -EINVAL, "--%s is given twice", f->name);
        seen |= bit;
        if (f->takes_value && !value) {
            if (i + 1 >= argc)
                return tsn_why(why, why_len, -EINVAL, "--%s needs a value", f->name);
            value = argv[++i];
        } else if (!f->takes_value && value) {
            return tsn_why(why, why_len, -EINVAL, "--%s takes no value", f->name);
        }
        int rc = f->fn(value, o, why, why_len);
        if (rc < 0)
            return rc;
    }
    return check_combination(o, why, why_len);
}

int tsn_view_cli_parse_url(const char *url, char *host, size_t host_len, int *port, char *why,
                           size_t why_len)
{
    const char *p = NULL;
    if (strncmp(url, "https://", 8) == 0)
        p = url + 8;
    else if (strncmp(url, "wss://", 6) == 0)
        p = url + 6;
    else
        return tsn_why(why, why_len, -EINVAL,
                       "--relay '%.120s': use https://HOST:PORT or wss://HOST:PORT/ws", url);
    const char *host_start = p, *host_end = NULL;
    if (*p == '[') {
        host_start = p + 1;
        host_end = strchr(host_start, ']');
        if (!host_end)
            return tsn_why(why, why_len, -EINVAL, "--relay: unterminated [IPv6] address");
        p = host_end + 1;
    } else {
        p += strcspn(p, ":/?#");
        host_end = p;
    }
    size_t n = (size_t)(host_end - host_start);
    if (n == 0)
        return tsn_why(why, why_len, -EINVAL, "--relay '%.120s' has no host", url);
    if (n >= host_len)
        return tsn_why(why, why_len, -EINVAL, "--relay: host name is too long");
    for (const char *c = host_start; c < host_end; c++)
        if (!isalnum((unsigned char)*c) && !strchr(".-_:", *c))
            return tsn_why(why, why_len, -EINVAL, "--relay: bad character in the host name");
    memcpy(host, host_start, n);
    host[n] = '\0';
    *port = 443;
    if (*p == ':') {
        size_t d = strspn(p + 1, "0123456789");
        long v = 0;
        for (size_t i = 0; i < d && v <= 65535; i++)
            v = v * 10 + (p[1 + i] - '0');
        if (d == 0 || v < 1 || v > 65535)
            return tsn_why(why, why_len, -EINVAL, "--relay: the port must be a number 1..65535");
        *port = (int)v;
        p += 1 + d;
    }
    if (*p && *p != '/')
        return tsn_why(why, why_len, -EINVAL, "--relay: unexpected '%.20s' after the host and port",
                       p);
    return 0;
}

void tsn_view_cli_usage(FILE *out)
{
    fputs(
        "usage: telesono-view --relay URL {--token JWT | --token-file FILE} [options]\n"
        "\n"
        "Subscribes to a room of a Telesono relay, decodes the ultrasound stream and shows it in\n"
        "a window, or runs headless and reports statistics.\n"
        "\n"
        "  --relay URL            https://HOST:PORT or wss://HOST:PORT/ws\n"
        "  --token JWT            a clinician or observer token (never printed)\n"
        "  --token-file FILE      read the token from FILE instead\n"
        "  --room R               refuse to play unless the token is for room R\n"
        "  --ca FILE              trust the relay certificate through this CA (PEM)\n"
        "  --fingerprint SHA256   pin the relay certificate's SHA-256 fingerprint\n"
        "  --insecure             trust any certificate (development only)\n"
        "  --headless             no window: decode only (for tests and monitoring)\n"
        "  --duration S           stop after S seconds (0 = until SIGINT/SIGTERM; default 0)\n"
        "  --stats-json FILE      write statistics as JSON every second and at exit\n"
        "  --dump-frames DIR      write every decoded frame as PNG into DIR\n"
        "  --dump-gray            dump grey-scale PNGs of the luma (half the cost of RGB),\n"
        "                         as decoded: without the annotations (for measurements)\n"
        "  --no-annotations       do not draw the room's annotations, pointers and the\n"
        "                         'frozen' banner over the video (drawn by default, in the\n"
        "                         window and in RGB --dump-frames PNGs)\n"
        "  --connect-timeout S    the first connection must succeed within S s (default 10);\n"
        "                         later the viewer reconnects for ever (200 ms .. 2 s backoff)\n"
        "  --latency-ms N         jitter buffer latency (default 50)\n"
        "  --log-level L          error, warn, info (default) or debug\n"
        "  --help                 this text\n"
        "\n"
        "Logs go to stderr; at exit the final statistics (the --stats-json object) are\n"
        "printed as one JSON line on stdout.\n"
        "\n"
        "Exit status: 0 ok (SIGINT/SIGTERM, or --duration with frames decoded), 1 no frame\n"
        "decoded or other failure, 2 usage or no display, 3 token refused by the relay,\n"
        "4 relay unreachable or not trusted, 6 GStreamer element missing or pipeline error.\n",
        out);
}
