/* telesono-token: mints one HS256 access token for the relay and prints it.
 * It reads the relay's existing secret file (it never creates one: a fresh
 * secret would mint tokens the relay rejects). Bad arguments exit with 2 and
 * one line on stderr; the token goes to stdout and nowhere else. */
#include "jwt.h"
#include "secret.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#define PROG       "telesono-token"
#define MAX_TTL_S  (31 * 24 * 3600) /* 31 days */
#define EXIT_USAGE 2

struct opts {
    const char *secret_file;
    const char *room;
    const char *role;
    const char *sub;
    const char *ttl;
    const char *nbf_in;
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: " PROG " --secret-file FILE --room ROOM --role ROLE --sub NAME --ttl SECONDS\n"
            "                      [--nbf-in SECONDS]\n"
            "Prints one signed access token (HS256 JWT) for the Telesono relay.\n"
            "\n"
            "  --secret-file FILE  the relay's token secret (default: $TELESONO_SECRET_FILE)\n"
            "  --room ROOM         room name: 1..64 of A-Z a-z 0-9 _ -\n"
            "  --role ROLE         capture, clinician, observer, reviewer or admin\n"
            "  --sub NAME          who the token is for: 1..64 printable ASCII, no \" or \\\n"
            "  --ttl SECONDS       lifetime from now, 1..%d (31 days)\n"
            "  --nbf-in SECONDS    not valid until this many seconds from now (less than ttl)\n"
            "  --help              show this help\n",
            MAX_TTL_S);
}

static int fail_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "telesono-token: <message>" as one line on stderr and returns the
 * usage exit code. */
static int fail_usage(const char *fmt, ...)
{
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, PROG ": %s\n", msg);
    return EXIT_USAGE;
}

/* A whole decimal string in [min, max]; 0 or -1. */
static int parse_seconds(const char *s, long long min, long long max, long long *out)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Same rule as the verifier's `sub` check (jwt.c), so a minted token is
 * never one the relay would refuse. */
static int sub_valid(const char *sub)
{
    size_t n = strlen(sub);
    if (n == 0 || n > TSN_SUB_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)sub[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

/* Returns 0, or an exit code after printing the error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"secret-file", required_argument, NULL, 's'},
        {"room", required_argument, NULL, 'r'},
        {"role", required_argument, NULL, 'R'},
        {"sub", required_argument, NULL, 'u'},
        {"ttl", required_argument, NULL, 't'},
        {"nbf-in", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    opterr = 0; /* our own one-line messages */
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            o->secret_file = optarg;
            break;
        case 'r':
            o->room = optarg;
            break;
        case 'R':
            o->role = optarg;
            break;
        case 'u':
            o->sub = optarg;
            break;
        case 't':
            o->ttl = optarg;
            break;
        case 'n':
            o->nbf_in = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case ':':
            return fail_usage("option %s needs a value (try --help)", argv[optind - 1]);
        default:
            return fail_usage("unknown option %s (try --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return fail_usage("unexpected argument '%s' (try --help)", argv[optind]);
    if (!o->secret_file || !*o->secret_file)
        o->secret_file = getenv("TELESONO_SECRET_FILE");
    if (!o->secret_file || !*o->secret_file)
        return fail_usage("no secret: give --secret-file or set TELESONO_SECRET_FILE");
    if (!o->room)
        return fail_usage("missing --room (try --help)");
    if (!o->role)
        return fail_usage("missing --role (try --help)");
    if (!o->sub)
        return fail_usage("missing --sub (try --help)");
    if (!o->ttl)
        return fail_usage("missing --ttl (try --help)");
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc;

    struct tsn_claims claims;
    memset(&claims, 0, sizeof claims);
    long long ttl_s = 0, nbf_in_s = 0;
    if (!tsn_room_name_valid(o.room))
        return fail_usage("invalid room name '%s' (1..64 of A-Z a-z 0-9 _ -)", o.room);
    if ((claims.role = tsn_role_parse(o.role)) == TSN_ROLE_NONE)
        return fail_usage("unknown role '%s' (capture, clinician, observer, reviewer or admin)",
                          o.role);
    if (!sub_valid(o.sub))
        return fail_usage("invalid --sub (1..64 printable ASCII, no quotes or backslash)");
    if (parse_seconds(o.ttl, 1, MAX_TTL_S, &ttl_s) != 0)
        return fail_usage("invalid --ttl '%s' (whole seconds, 1 to 2678400 = 31 days)", o.ttl);
    if (o.nbf_in && (parse_seconds(o.nbf_in, 0, MAX_TTL_S, &nbf_in_s) != 0 || nbf_in_s >= ttl_s))
        return fail_usage("invalid --nbf-in '%s' (whole seconds, 0 or more, less than --ttl)",
                          o.nbf_in);

    uint8_t key[TSN_SECRET_MAX_BYTES];
    size_t key_len = 0;
    char why[512];
    if (tsn_secret_load(o.secret_file, key, sizeof key, &key_len, why, sizeof why) != 0)
        return fail_usage("%s", why);

    int64_t now_s = (int64_t)time(NULL);
    snprintf(claims.room, sizeof claims.room, "%s", o.room);
    snprintf(claims.sub, sizeof claims.sub, "%s", o.sub);
    claims.iat = now_s;
    claims.exp = now_s + ttl_s;
    claims.nbf = nbf_in_s > 0 ? now_s + nbf_in_s : 0;

    char token[TSN_JWT_MAX_TOKEN + 1];
    int n = tsn_jwt_sign(&claims, key, key_len, token, sizeof token);
    OPENSSL_cleanse(key, sizeof key);
    if (n < 0) {
        fprintf(stderr, PROG ": cannot sign the token: %s\n", strerror(-n));
        return 1;
    }
    if (printf("%s\n", token) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, PROG ": cannot write the token: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
