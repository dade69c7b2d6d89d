/* Command-line value parsers shared by telesono-capture and telesono-view:
 * numbers with ranges, sizes, the token file and the TLS trust flags. Each
 * returns 0 or -EINVAL with a one-line reason naming the flag. */
#ifndef TSN_CLI_ARGS_H
#define TSN_CLI_ARGS_H

#include <stddef.h>

#include "tls_pin.h"

int tsn_cli_int(const char *flag, const char *text, long min, long max, long *out, char *why,
                size_t why_len);
int tsn_cli_double(const char *flag, const char *text, double min, double max, double *out,
                   char *why, size_t why_len);
/* "WxH", each 16..7680 x 16..4320. */
int tsn_cli_size(const char *flag, const char *text, int *w, int *h, char *why, size_t why_len);
/* Reads a JWT from a file (first line, surrounding whitespace trimmed; the
 * file must not be empty or larger than 8 KiB). *out is malloc'd. */
int tsn_cli_token_file(const char *path, char **out, char *why, size_t why_len);
/* --ca FILE / --fingerprint FP / --insecure into opts; at most one mode. */
int tsn_cli_tls_flag(const char *flag, const char *value, struct tsn_tls_opts *opts, char *why,
                     size_t why_len);
/* The loud warning --insecure prints (one line, for stderr). */
const char *tsn_cli_insecure_warning(void);

#endif
