/* The three modes of tsn-annot-clients (annot_clients.c parses the command
 * line): converge (annot_converge.c), invalid (annot_invalid.c) and fanout
 * (annot_fanout.c). Each returns the process exit status: 0 when every
 * check passed, 1 on a failed check, 3 when the relay could not be reached.
 * Each prints one JSON summary line on stdout; diagnostics on stderr. */
#ifndef TSN_ANNOT_MODES_H
#define TSN_ANNOT_MODES_H

#include <stddef.h>
#include <stdint.h>

#define TSN_AEXIT_OK      0
#define TSN_AEXIT_FAILED  1
#define TSN_AEXIT_USAGE   2
#define TSN_AEXIT_CONNECT 3

struct tsn_aopts {
    const char *url; /* wss://127.0.0.1:PORT/ws */
    char **tokens;   /* from --tokens FILE, one per line (owned by main) */
    size_t n_tokens;
    const char *dump_dir; /* where to write state dumps on a mismatch, or NULL */
    /* converge */
    int clients;    /* clinicians sending at once */
    int events;     /* messages per client (pointers included) */
    double rate_hz; /* per client */
    uint64_t seed;
    /* fanout */
    int receivers;
    int senders;
    int interval_ms; /* between two events of the whole run */
    int warmup;      /* events sent before the measured ones */
    int pointers;    /* pointer messages measured after the events (0: none) */
    int pings;       /* ping round trips measured before the events (0: none) */
    long relay_pid;  /* for the relay's CPU time over the run (0: not measured) */
};

int tsn_annot_converge(const struct tsn_aopts *o);
int tsn_annot_invalid(const struct tsn_aopts *o);
int tsn_annot_fanout(const struct tsn_aopts *o);

/* Shared helpers (annot_clients.c). */
/* FNV-1a 64 of a byte string, continuing from h (start with
 * TSN_AFNV_OFFSET). */
#define TSN_AFNV_OFFSET 0xcbf29ce484222325ull
uint64_t tsn_afnv(uint64_t h, const void *data, size_t len);
/* Writes text to DIR/NAME when dir is set (for failure analysis). */
void tsn_adump_file(const char *dir, const char *name, const char *text);

#endif
