/* tsn-https-get: a curl-like command for the integration scripts (the test
 * namespace need not have curl), built on tests/support/https_client.
 *
 *   tsn-https-get [-X METHOD] [-T CONTENT_TYPE] [-a BEARER_TOKEN]
 *                 [-d DATA | -d @FILE] [-o BODY_FILE] [-D HEAD_FILE] [-w] [-f]
 *                 [--ca-file PEM] [--timeout-ms N] URL
 *
 * Writes the response body to stdout (or BODY_FILE). -w then prints the
 * status code and a newline on stdout; -D writes "Status:", "Location:" and
 * "Content-Type:" lines to HEAD_FILE. Exit status: 0 when a response arrived,
 * 22 with -f when its status is >= 400, 1 on transport errors, 2 on usage. */
#include "https_client.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
    fprintf(stderr, "usage: tsn-https-get [-X METHOD] [-T CONTENT_TYPE] [-a BEARER_TOKEN]\n"
                    "                     [-d DATA | -d @FILE] [-o BODY_FILE] [-D HEAD_FILE]\n"
                    "                     [-w] [-f] [--ca-file PEM] [--timeout-ms N] URL\n");
}

static int read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return -ENOMEM;
            }
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return -EIO;
    }
    *data = buf;
    *len = n;
    return 0;
}

static int write_head(const char *path, const struct tsn_https_response *r)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "Status: %d\n", r->status);
    if (r->location)
        fprintf(f, "Location: %s\n", r->location);
    if (r->content_type)
        fprintf(f, "Content-Type: %s\n", r->content_type);
    return fclose(f) == 0 ? 0 : -EIO;
}

int main(int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"ca-file", required_argument, NULL, 'C'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *method = NULL, *ctype = NULL, *token = NULL, *data_arg = NULL;
    const char *out_path = NULL, *head_path = NULL;
    int print_status = 0, fail_on_http_error = 0;
    struct tsn_https_options opts = {0};
    int c;
    while ((c = getopt_long(argc, argv, "X:T:a:d:o:D:wfh", long_opts, NULL)) != -1) {
        switch (c) {
        case 'X':
            method = optarg;
            break;
        case 'T':
            ctype = optarg;
            break;
        case 'a':
            token = optarg;
            break;
        case 'd':
            data_arg = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'D':
            head_path = optarg;
            break;
        case 'w':
            print_status = 1;
            break;
        case 'f':
            fail_on_http_error = 1;
            break;
        case 'C':
            opts.ca_file = optarg;
            break;
        case 't':
            opts.timeout_ms = atoi(optarg);
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage();
        return 2;
    }
    const char *url = argv[optind];

    char *body = NULL;
    size_t body_len = 0;
    if (data_arg && data_arg[0] == '@') {
        int rc = read_file(data_arg + 1, &body, &body_len);
        if (rc < 0) {
            fprintf(stderr, "tsn-https-get: cannot read %s: %s\n", data_arg + 1, strerror(-rc));
            return 2;
        }
    } else if (data_arg) {
        body = strdup(data_arg);
        body_len = strlen(data_arg);
    }
    if (!method)
        method = data_arg ? "POST" : "GET";

    struct tsn_https_response resp;
    int rc = tsn_https_request_opts(&opts, method, url, ctype, token, body, body_len, &resp);
    free(body);
    if (rc < 0) {
        fprintf(stderr, "tsn-https-get: %s %s: %s\n", method, url, tsn_https_strerror(rc));
        return 1;
    }

    int exit_code = 0;
    FILE *out = out_path ? fopen(out_path, "wb") : stdout;
    if (!out) {
        fprintf(stderr, "tsn-https-get: cannot write %s: %s\n", out_path, strerror(errno));
        exit_code = 1;
    } else {
        fwrite(resp.body, 1, resp.body_len, out);
        if (out != stdout && fclose(out) != 0)
            exit_code = 1;
    }
    if (head_path && write_head(head_path, &resp) < 0) {
        fprintf(stderr, "tsn-https-get: cannot write %s\n", head_path);
        exit_code = 1;
    }
    if (print_status)
        printf("%d\n", resp.status);
    if (fail_on_http_error && resp.status >= 400 && exit_code == 0)
        exit_code = 22;
    tsn_https_response_clear(&resp);
    return exit_code;
}
