/* tsn-annot-clients: many scripted annotation clients of the relay's /ws
 * channel in one process (libwebsockets), for the annotation integration
 * tests and the fan-out benchmark:
 *
 *   tsn-annot-clients MODE --url wss://127.0.0.1:PORT/ws --tokens FILE [options]
 *
 * FILE holds one token per line (minted by the script with telesono-token;
 * files, not argv, so ps does not show them). What each line is for depends
 * on the mode:
 *
 *   converge  lines 1..N: clinicians (distinct subs); line N+1: the late
 *             joiner (any role). Options: --clients N (12), --events E per
 *             client (60), --rate HZ per client (12), --seed S (1).
 *   invalid   1: clinician A, 2: clinician B, 3: observer, 4: watcher
 *             (observer), 5: fresh joiner (observer), 6-11: filler clinicians
 *             (six sockets, distinct subs, to reach the room limits fast).
 *   fanout    lines 1..S: sender clinicians, then R receivers (observers).
 *             Options: --receivers R (100), --senders S (4), --events E (200),
 *             --interval-ms MS (20), --warmup W (20), --pointers P (0),
 *             --pings N (0), --relay-pid PID.
 *
 * --dump-dir DIR writes the differing state dumps there on a mismatch.
 * Every mode prints one JSON line on stdout and exits 0 when all its checks
 * pass, 1 when one fails, 2 on usage errors, 3 when it cannot connect. See
 * annot_converge.c, annot_invalid.c and annot_fanout.c for the checks. */
#include "annot_modes.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#define MAX_TOKENS 4096

uint64_t tsn_afnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void tsn_adump_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    if (!dir)
        return;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "tsn-annot-clients: cannot write %s\n", path);
        return;
    }
    fputs(text, f);
    fclose(f);
}

/* Reads the token file: one token per line, blank lines skipped. */
static int read_tokens(const char *path, struct tsn_aopts *o)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    if (!f) {
        fprintf(stderr, "tsn-annot-clients: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    o->tokens = calloc(MAX_TOKENS, sizeof *o->tokens);
    while (o->tokens && (n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = '\0';
        if (n == 0)
            continue;
        if (o->n_tokens == MAX_TOKENS || !(o->tokens[o->n_tokens] = strdup(line)))
            break;
        o->n_tokens++;
    }
    int bad = !o->tokens || !feof(f);
    free(line);
    fclose(f);
    if (bad)
        fprintf(stderr, "tsn-annot-clients: cannot read the tokens in %s\n", path);
    return bad ? -1 : 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: tsn-annot-clients converge|invalid|fanout --url wss://HOST:PORT/ws "
                    "--tokens FILE\n"
                    "         [--clients N] [--events E] [--rate HZ] [--seed S] [--receivers R]\n"
                    "         [--senders S] [--interval-ms MS] [--warmup W] [--pointers P]\n"
                    "         [--pings N]\n"
                    "         [--relay-pid PID] [--dump-dir DIR]\n");
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct tsn_aopts *o, const char **tokens_path)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n = 0;
        int rc = 0;
        if (!v)
            return -1;
        i++;
        if (strcmp(a, "--url") == 0)
            o->url = v;
        else if (strcmp(a, "--tokens") == 0)
            *tokens_path = v;
        else if (strcmp(a, "--dump-dir") == 0)
            o->dump_dir = v;
        else if (strcmp(a, "--rate") == 0) {
            char *end;
            o->rate_hz = strtod(v, &end);
            rc = *end || end == v ? -1 : 0;
        } else if (strcmp(a, "--seed") == 0) {
            rc = parse_long(v, 0, 1L << 30, &n);
            o->seed = (uint64_t)n;
        } else if (strcmp(a, "--relay-pid") == 0) {
            rc = parse_long(v, 1, 1L << 30, &o->relay_pid);
        } else {
            static const struct {
                const char *name;
                size_t off;
                long min, max;
            } ints[] = {
                {"--clients", offsetof(struct tsn_aopts, clients), 2, 1000},
                {"--events", offsetof(struct tsn_aopts, events), 1, 100000},
                {"--receivers", offsetof(struct tsn_aopts, receivers), 1, 2000},
                {"--senders", offsetof(struct tsn_aopts, senders), 1, 64},
                {"--interval-ms", offsetof(struct tsn_aopts, interval_ms), 1, 10000},
                {"--warmup", offsetof(struct tsn_aopts, warmup), 0, 10000},
                {"--pointers", offsetof(struct tsn_aopts, pointers), 0, 9999},
                {"--pings", offsetof(struct tsn_aopts, pings), 0, 100000},
            };
            size_t k;
            for (k = 0; k < sizeof ints / sizeof *ints; k++)
                if (strcmp(a, ints[k].name) == 0)
                    break;
            if (k == sizeof ints / sizeof *ints)
                return -1;
            rc = parse_long(v, ints[k].min, ints[k].max, &n);
            *(int *)((char *)o + ints[k].off) = (int)n;
        }
        if (rc) {
            fprintf(stderr, "tsn-annot-clients: bad value for %s: %s\n", a, v);
            return -1;
        }
    }
    return o->url && *tokens_path ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct tsn_aopts o = {
        .clients = 12,
        .events = -1,
        .rate_hz = 12,
        .seed = 1,
        .receivers = 100,
        .senders = 4,
        .interval_ms = 20,
        .warmup = 20,
        .pointers = 0,
    };
    const char *tokens_path = NULL;
    int status = TSN_AEXIT_USAGE;
    if (argc < 2 || parse_args(argc, argv, &o, &tokens_path) != 0) {
        usage();
        return TSN_AEXIT_USAGE;
    }
    if (read_tokens(tokens_path, &o) != 0)
        goto out;
    signal(SIGPIPE, SIG_IGN);
    lws_set_log_level(LLL_ERR, NULL);
    if (strcmp(argv[1], "converge") == 0) {
        o.events = o.events < 0 ? 60 : o.events;
        status = tsn_annot_converge(&o);
    } else if (strcmp(argv[1], "invalid") == 0) {
        status = tsn_annot_invalid(&o);
    } else if (strcmp(argv[1], "fanout") == 0) {
        o.events = o.events < 0 ? 200 : o.events;
        status = tsn_annot_fanout(&o);
    } else {
        usage();
    }
out:
    for (size_t i = 0; i < o.n_tokens; i++)
        free(o.tokens[i]);
    free(o.tokens);
    return status;
}
