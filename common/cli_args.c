/* Shared command-line value parsers (see cli_args.h). */
#include "cli_args.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TOKEN_FILE_BYTES 8192

int tsn_cli_int(const char *flag, const char *text, long min, long max, long *out, char *why,
                size_t why_len)
{
    char *end = NULL;
    errno = 0;
    long v = text && *text ? strtol(text, &end, 10) : 0;
    if (!text || !*text || errno || *end || v < min || v > max) {
        snprintf(why, why_len, "%s needs a whole number from %ld to %ld, not '%s'", flag, min, max,
                 text ? text : "");
        return -EINVAL;
    }
    *out = v;
    return 0;
}

int tsn_cli_double(const char *flag, const char *text, double min, double max, double *out,
                   char *why, size_t why_len)
{
    char *end = NULL;
    errno = 0;
    double v = text && *text ? strtod(text, &end) : 0;
    if (!text || !*text || errno || *end || !isfinite(v) || v < min || v > max) {
        snprintf(why, why_len, "%s needs a number from %g to %g, not '%s'", flag, min, max,
                 text ? text : "");
        return -EINVAL;
    }
    *out = v;
    return 0;
}

int tsn_cli_size(const char *flag, const char *text, int *w, int *h, char *why, size_t why_len)
{
    long lw = 0, lh = 0;
    char *x = text ? strchr(text, 'x') : NULL;
    if (!x) {
        snprintf(why, why_len, "%s needs WIDTHxHEIGHT, e.g. 640x480, not '%s'", flag,
                 text ? text : "");
        return -EINVAL;
    }
    char wbuf[16] = "";
    size_t n = (size_t)(x - text);
    if (n > 0 && n < sizeof wbuf)
        memcpy(wbuf, text, n);
    if (n == 0 || n >= sizeof wbuf || tsn_cli_int(flag, wbuf, 16, 7680, &lw, why, why_len) ||
        tsn_cli_int(flag, x + 1, 16, 4320, &lh, why, why_len) || (lw & 1) || (lh & 1)) {
        snprintf(why, why_len, "%s needs even WIDTHxHEIGHT from 16x16 to 7680x4320, not '%s'", flag,
                 text);
        return -EINVAL;
    }
    *w = (int)lw;
    *h = (int)lh;
    return 0;
}

int tsn_cli_token_file(const char *path, char **out, char *why, size_t why_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_len, "--token-file %s: %s", path, strerror(errno));
        return -EINVAL;
    }
    char buf[MAX_TOKEN_FILE_BYTES + 2];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    if (n > MAX_TOKEN_FILE_BYTES) {
        snprintf(why, why_len, "--token-file %s is larger than %d bytes", path,
                 MAX_TOKEN_FILE_BYTES);
        return -EINVAL;
    }
    buf[n] = '\0';
    char *s = buf;
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t len = strcspn(s, "\r\n");
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0) {
        snprintf(why, why_len, "--token-file %s is empty", path);
        return -EINVAL;
    }
    *out = strndup(s, len);
    return *out ? 0 : -ENOMEM;
}

int tsn_cli_tls_flag(const char *flag, const char *value, struct tsn_tls_opts *opts, char *why,
                     size_t why_len)
{
    if (opts->insecure || opts->has_pin || opts->ca_file) {
        snprintf(why, why_len, "--ca, --fingerprint and --insecure exclude each other");
        return -EINVAL;
    }
    if (strcmp(flag, "--insecure") == 0) {
        opts->insecure = 1;
        return 0;
    }
    if (strcmp(flag, "--fingerprint") == 0) {
        uint8_t pin[32];
        char reason[160];
        if (tsn_tls_parse_fingerprint(value, pin, reason, sizeof reason) != 0) {
            snprintf(why, why_len, "--fingerprint: %s", reason);
            return -EINVAL;
        }
        memcpy(opts->pin_sha256, pin, sizeof pin);
        opts->has_pin = 1;
        return 0;
    }
    struct stat st;
    if (access(value, R_OK) != 0 || stat(value, &st) != 0) {
        snprintf(why, why_len, "--ca %s: %s", value, strerror(errno));
        return -EINVAL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, why_len, "--ca %s: not a file (want a PEM certificate bundle)", value);
        return -EINVAL;
    }
    opts->ca_file = value;
    return 0;
}

const char *tsn_cli_insecure_warning(void)
{
    return "WARNING: --insecure: the relay's certificate is NOT verified. Anyone on the network "
           "path can read the token and the images. Development only; use --ca or --fingerprint.";
}
