/* Unit tests for relay/config.c: defaults and derived paths, every flag in
 * both "--flag value" and "--flag=value" forms, config files (comments, blank
 * lines, spacing, CRLF), flags overriding the file in any order, bad values,
 * --help, the media port following the listen port, IPv6 listen addresses,
 * TELESONO_SECRET_FILE, the web root (the source tree's viewer/web by
 * default, "" to serve none), and repeated parsing in one process (getopt
 * state).
 * Error and usage text goes to stderr/stdout. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"

#define MAX_ARGS 32

/* Parses the NULL-terminated argument list (after the program name). getopt
 * permutes argv, so it gets a fresh writable array every time. */
static int parse_args(struct tsn_config *c, const char *first, ...)
{
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"telesono-relay";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        assert_true(argc <= MAX_ARGS);
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;
    return tsn_config_parse(c, argc, argv);
}

#define PARSE(c, ...) parse_args((c), __VA_ARGS__, (const char *)NULL)

/* A temporary config file with `text`; its path goes into path[64]. */
static void write_file(char path[64], const char *text)
{
    snprintf(path, 64, "/tmp/tsn_test_config_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

static int setup(void **state)
{
    unsetenv("TELESONO_SECRET_FILE");
    return 0;
}

static void expect_defaults_except_paths(const struct tsn_config *c)
{
    assert_string_equal(c->listen_host, "127.0.0.1");
    assert_int_equal(c->listen_port, 8443);
    assert_int_equal(c->media_port, 8443);
    assert_string_equal(c->public_ip, "127.0.0.1");
    assert_string_equal(c->web_root, TSN_DEFAULT_WEB_ROOT);
    assert_int_equal(c->log_level, TSN_LOG_INFO);
    assert_int_equal(c->max_peers, 2048);
    assert_int_equal(c->rtx_cache_packets, 2048);
    assert_int_equal(c->pli_interval_ms, 500);
    assert_int_equal(c->consent_timeout_s, 30);
    assert_int_equal(c->record_mode, TSN_RECORD_ON_REQUEST);
    assert_int_equal(c->retention_days, 0);
    assert_int_equal(c->record_min_free_mb, 512);
    assert_int_equal(c->record_fsync_ms, 1000);
    assert_string_equal(c->export_program, "");
}

static void test_defaults(void **state)
{
    struct tsn_config c;
    char *argv[] = {(char *)"telesono-relay", NULL};
    assert_int_equal(tsn_config_parse(&c, 1, argv), TSN_CONFIG_OK);
    expect_defaults_except_paths(&c);
    assert_string_equal(c.data_dir, "./telesono-data");
    assert_string_equal(c.cert_path, "./telesono-data/cert.pem");
    assert_string_equal(c.key_path, "./telesono-data/key.pem");
    assert_string_equal(c.secret_file, "./telesono-data/secret");
    assert_string_equal(c.recordings_dir, "./telesono-data/recordings");
}

static void test_recording_options(void **state)
{
    struct tsn_config c;
    assert_int_equal(PARSE(&c, "--recordings", "/srv/rec", "--record", "always", "--retention-days",
                           "30", "--record-min-free-mb", "0", "--record-fsync-ms", "50",
                           "--export-program", "/opt/tsn/telesono-export"),
                     TSN_CONFIG_OK);
    assert_string_equal(c.recordings_dir, "/srv/rec");
    assert_int_equal(c.record_mode, TSN_RECORD_ALWAYS);
    assert_int_equal(c.retention_days, 30);
    assert_int_equal(c.record_min_free_mb, 0);
    assert_int_equal(c.record_fsync_ms, 50);
    assert_string_equal(c.export_program, "/opt/tsn/telesono-export");
    assert_int_equal(PARSE(&c, "--record", "off", "--data-dir", "/d"), TSN_CONFIG_OK);
    assert_int_equal(c.record_mode, TSN_RECORD_OFF);
    assert_string_equal(c.recordings_dir, "/d/recordings");
    assert_int_equal(PARSE(&c, "--record", "on-request"), TSN_CONFIG_OK);
    assert_int_equal(c.record_mode, TSN_RECORD_ON_REQUEST);
    assert_int_equal(PARSE(&c, "--record", "yes"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--record", "Always"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--retention-days", "36501"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--retention-days", "-1"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--record-fsync-ms", "49"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--record-fsync-ms", "10001"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--record-min-free-mb", "1048577"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--recordings", ""), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--export-program", ""), TSN_CONFIG_ERROR);
}

static void test_all_flags(void **state)
{
    struct tsn_config c;
    assert_int_equal(PARSE(&c, "--listen", "10.1.2.3:9443", "--media-port", "50000", "--public-ip",
                           "203.0.113.9", "--data-dir", "/var/lib/tsn", "--cert", "/etc/tsn/c.pem",
                           "--key", "/etc/tsn/k.pem", "--secret-file", "/etc/tsn/secret",
                           "--web-root", "/srv/www", "--log-level", "debug", "--max-peers", "100",
                           "--rtx-cache", "512", "--pli-interval-ms", "0", "--consent-timeout",
                           "3600"),
                     TSN_CONFIG_OK);
    assert_string_equal(c.listen_host, "10.1.2.3");
    assert_int_equal(c.listen_port, 9443);
    assert_int_equal(c.media_port, 50000);
    assert_string_equal(c.public_ip, "203.0.113.9");
    assert_string_equal(c.data_dir, "/var/lib/tsn");
    assert_string_equal(c.cert_path, "/etc/tsn/c.pem");
    assert_string_equal(c.key_path, "/etc/tsn/k.pem");
    assert_string_equal(c.secret_file, "/etc/tsn/secret");
    assert_string_equal(c.web_root, "/srv/www");
    assert_int_equal(c.log_level, TSN_LOG_DEBUG);
    assert_int_equal(c.max_peers, 100);
    assert_int_equal(c.rtx_cache_packets, 512);
    assert_int_equal(c.pli_interval_ms, 0);
    assert_int_equal(c.consent_timeout_s, 3600);

    /* The "=" form, and the lowest / highest accepted values. */
    assert_int_equal(PARSE(&c, "--listen=192.0.2.1:1", "--media-port=65535", "--max-peers=65536",
                           "--rtx-cache=16", "--pli-interval-ms=60000", "--consent-timeout=1",
                           "--log-level=error"),
                     TSN_CONFIG_OK);
    assert_string_equal(c.listen_host, "192.0.2.1");
    assert_int_equal(c.listen_port, 1);
    assert_int_equal(c.media_port, 65535);
    assert_int_equal(c.max_peers, 65536);
    assert_int_equal(c.rtx_cache_packets, 16);
    assert_int_equal(c.pli_interval_ms, 60000);
    assert_int_equal(c.consent_timeout_s, 1);
    assert_int_equal(c.log_level, TSN_LOG_ERROR);
    /* public_ip follows the listen host when not given. */
    assert_string_equal(c.public_ip, "192.0.2.1");

    /* Every log level name. */
    const char *levels[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(PARSE(&c, "--log-level", levels[i]), TSN_CONFIG_OK);
        assert_int_equal(c.log_level, i);
    }
}

static void test_data_dir_derives_paths(void **state)
{
    struct tsn_config c;
    assert_int_equal(PARSE(&c, "--data-dir", "/srv/tsn"), TSN_CONFIG_OK);
    assert_string_equal(c.cert_path, "/srv/tsn/cert.pem");
    assert_string_equal(c.key_path, "/srv/tsn/key.pem");
    assert_string_equal(c.secret_file, "/srv/tsn/secret");
    expect_defaults_except_paths(&c);
    /* An explicit secret file is not derived. */
    assert_int_equal(PARSE(&c, "--data-dir", "/srv/tsn", "--secret-file", "/run/k"), TSN_CONFIG_OK);
    assert_string_equal(c.secret_file, "/run/k");
    assert_string_equal(c.cert_path, "/srv/tsn/cert.pem");
}

/* The UDP media port defaults to the listen port's number; --media-port
 * (flag or file) sets it apart, in any order. */
static void test_media_port_default(void **state)
{
    struct tsn_config c;
    assert_int_equal(PARSE(&c, "--listen", "127.0.0.1:9000"), TSN_CONFIG_OK);
    assert_int_equal(c.listen_port, 9000);
    assert_int_equal(c.media_port, 9000);
    assert_int_equal(PARSE(&c, "--media-port", "7000", "--listen", "127.0.0.1:9000"),
                     TSN_CONFIG_OK);
    assert_int_equal(c.media_port, 7000);
    assert_int_equal(c.listen_port, 9000);
    char path[64];
    write_file(path, "listen = 127.0.0.1:9100\n");
    assert_int_equal(PARSE(&c, "--config", path), TSN_CONFIG_OK);
    assert_int_equal(c.media_port, 9100);
    assert_int_equal(PARSE(&c, "--config", path, "--listen", "127.0.0.1:9200"), TSN_CONFIG_OK);
    assert_int_equal(c.media_port, 9200);
    assert_int_equal(PARSE(&c, "--config", path, "--media-port", "9300"), TSN_CONFIG_OK);
    assert_int_equal(c.media_port, 9300);
    assert_int_equal(c.listen_port, 9100);
    unlink(path);
}

static void test_ipv6_listen(void **state)
{
    struct tsn_config c;
    assert_int_equal(PARSE(&c, "--listen", "[::1]:9000"), TSN_CONFIG_OK);
    assert_string_equal(c.listen_host, "::1");
    assert_int_equal(c.listen_port, 9000);
    assert_string_equal(c.public_ip, "::1");
    assert_int_equal(PARSE(&c, "--listen=[2001:db8::7]:443", "--public-ip", "2001:db8::8"),
                     TSN_CONFIG_OK);
    assert_string_equal(c.listen_host, "2001:db8::7");
    assert_int_equal(c.listen_port, 443);
    assert_string_equal(c.public_ip, "2001:db8::8");
}

static void test_parse_hostport(void **state)
{
    char host[64];
    uint16_t port = 0;
    assert_int_equal(tsn_parse_hostport("example.org:80", host, sizeof host, &port), 0);
    assert_string_equal(host, "example.org");
    assert_int_equal(port, 80);
    assert_int_equal(tsn_parse_hostport("[fe80::1]:65535", host, sizeof host, &port), 0);
    assert_string_equal(host, "fe80::1");
    assert_int_equal(port, 65535);

    static const char *const bad[] = {
        "",         "host",       ":80",        "host:",
        "host:0",   "host:65536", "host:70000", "host:-1",
        "host:80x", "host:0x50",  "[::1]",      "[::1]9000",
        "[::1]:",   "[]:80",      "[::1:80",    "host:99999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        port = 4242;
        strcpy(host, "unchanged");
        assert_int_equal(tsn_parse_hostport(bad[i], host, sizeof host, &port), -EINVAL);
        /* Nothing is written on failure. */
        assert_string_equal(host, "unchanged");
        assert_int_equal(port, 4242);
    }
    /* The host must fit with its NUL. */
    char small[4];
    assert_int_equal(tsn_parse_hostport("abcd:1", small, sizeof small, &port), -EINVAL);
    assert_int_equal(tsn_parse_hostport("abc:1", small, sizeof small, &port), 0);
    assert_string_equal(small, "abc");
}

static void test_config_file(void **state)
{
    char path[64];
    write_file(path, "# Telesono relay\n"
                     "\n"
                     "   \n"
                     "listen = 10.0.0.5:8000\n"
                     "  media-port=9000  \n"
                     "\t# indented comment\n"
                     "log-level =\tdebug\r\n"
                     "data-dir = /data/tsn\n"
                     "max-peers = 10\n"
                     "web-root = /srv/web root\n"); /* spaces inside a value stay */
    struct tsn_config c;
    assert_int_equal(PARSE(&c, "--config", path), TSN_CONFIG_OK);
    assert_string_equal(c.listen_host, "10.0.0.5");
    assert_int_equal(c.listen_port, 8000);
    assert_int_equal(c.media_port, 9000);
    assert_int_equal(c.log_level, TSN_LOG_DEBUG);
    assert_string_equal(c.data_dir, "/data/tsn");
    assert_string_equal(c.secret_file, "/data/tsn/secret");
    assert_int_equal(c.max_peers, 10);
    assert_string_equal(c.web_root, "/srv/web root");
    assert_string_equal(c.public_ip, "10.0.0.5");
    /* Untouched keys keep their defaults. */
    assert_int_equal(c.rtx_cache_packets, 2048);

    /* "--config=FILE" too. */
    assert_int_equal(PARSE(&c, "--config="
                               "/nonexistent/x"),
                     TSN_CONFIG_ERROR);
    char arg[80];
    snprintf(arg, sizeof arg, "--config=%s", path);
    assert_int_equal(PARSE(&c, arg), TSN_CONFIG_OK);
    assert_int_equal(c.media_port, 9000);
    unlink(path);
}

static void test_flags_override_file(void **state)
{
    char path[64];
    write_file(path, "media-port = 6000\nmax-peers = 7\nlog-level = warn\n"
                     "cert = /file/c.pem\nkey = /file/k.pem\n");
    struct tsn_config c;
    /* Flag after the file. */
    assert_int_equal(PARSE(&c, "--config", path, "--media-port", "7000"), TSN_CONFIG_OK);
    assert_int_equal(c.media_port, 7000);
    assert_int_equal(c.max_peers, 7);
    assert_int_equal(c.log_level, TSN_LOG_WARN);
    assert_string_equal(c.cert_path, "/file/c.pem");
    /* Flag before the file: still wins. */
    assert_int_equal(PARSE(&c, "--media-port", "7001", "--log-level", "error", "--config", path),
                     TSN_CONFIG_OK);
    assert_int_equal(c.media_port, 7001);
    assert_int_equal(c.log_level, TSN_LOG_ERROR);
    assert_int_equal(c.max_peers, 7);
    /* A --key flag with the file's cert is a complete pair. */
    assert_int_equal(PARSE(&c, "--key", "/flag/k.pem", "--config", path), TSN_CONFIG_OK);
    assert_string_equal(c.cert_path, "/file/c.pem");
    assert_string_equal(c.key_path, "/flag/k.pem");
    unlink(path);
}

/* getopt_long accepts unambiguous abbreviations ("--conf" for --config), so
 * the config file must be loaded for them too, not silently ignored. */
static void test_config_abbreviated(void **state)
{
    char path[64];
    write_file(path, "media-port = 6100\n");
    struct tsn_config c;
    assert_int_equal(PARSE(&c, "--conf", path), TSN_CONFIG_OK);
    assert_int_equal(c.media_port, 6100);
    char arg[80];
    snprintf(arg, sizeof arg, "--confi=%s", path);
    assert_int_equal(PARSE(&c, arg), TSN_CONFIG_OK);
    assert_int_equal(c.media_port, 6100);
    /* The value of another option that merely looks like --config is not a file. */
    assert_int_equal(PARSE(&c, "--web-root", "--config"), TSN_CONFIG_OK);
    assert_string_equal(c.web_root, "--config");
    unlink(path);
}

static void test_bad_values(void **state)
{
    struct tsn_config c;
    assert_int_equal(PARSE(&c, "--media-port", "0"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--media-port", "70000"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--media-port", "-1"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--media-port", "80a"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--media-port", ""), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--listen", "127.0.0.1:0"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--listen", "127.0.0.1:70000"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--listen", "127.0.0.1"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--max-peers", "0"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--max-peers", "65537"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--rtx-cache", "15"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--rtx-cache", "32769"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--pli-interval-ms", "60001"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--consent-timeout", "0"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--consent-timeout", "99999999999999999999999"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--log-level", "verbose"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--log-level", "INFO"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--public-ip", ""), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--nope"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "-x"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--media-port"), TSN_CONFIG_ERROR); /* missing value */
    assert_int_equal(PARSE(&c, "--help=yes"), TSN_CONFIG_ERROR);   /* takes none */
    assert_int_equal(PARSE(&c, "stray"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--media-port", "9000", "stray"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--c", "x"), TSN_CONFIG_ERROR); /* ambiguous */
    assert_int_equal(PARSE(&c, "--cert", "/c.pem"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--key", "/k.pem"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--config", "/nonexistent/telesono.conf"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--config"), TSN_CONFIG_ERROR);
    /* Too long for its field: refused, never truncated. */
    char longdir[600];
    memset(longdir, 'd', sizeof longdir - 1);
    longdir[sizeof longdir - 1] = '\0';
    assert_int_equal(PARSE(&c, "--data-dir", longdir), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--public-ip", longdir), TSN_CONFIG_ERROR);
    /* A wildcard listen address is no ICE candidate: it needs --public-ip. */
    assert_int_equal(PARSE(&c, "--listen", "0.0.0.0:8443"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--listen", "[::]:8443"), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--listen", "0.0.0.0:8443", "--public-ip", "192.0.2.10"),
                     TSN_CONFIG_OK);
    assert_string_equal(c.public_ip, "192.0.2.10");
    /* After all those errors the parser still works (getopt state reset). */
    assert_int_equal(PARSE(&c, "--media-port", "1234"), TSN_CONFIG_OK);
    assert_int_equal(c.media_port, 1234);
}

static void test_bad_files(void **state)
{
    static const char *const bad[] = {
        "unknown-key = 1\n",
        "media-port = 0\n",
        "media-port = 70000\n",
        "listen 127.0.0.1:80\n", /* no '=' */
        "log-level = loud\n",
        "config = /etc/other.conf\n", /* not a settable key */
        "help = 1\n",
        "public-ip =\n",
        "= 5\n",
        "# fine\nmax-peers = 9\nrtx-cache = 1\n",
    };
    struct tsn_config c;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char path[64];
        write_file(path, bad[i]);
        assert_int_equal(PARSE(&c, "--config", path), TSN_CONFIG_ERROR);
        unlink(path);
    }
    /* cert without key, in a file. */
    char path[64];
    write_file(path, "cert = /c.pem\n");
    assert_int_equal(PARSE(&c, "--config", path), TSN_CONFIG_ERROR);
    assert_int_equal(PARSE(&c, "--config", path, "--key", "/k.pem"), TSN_CONFIG_OK);
    unlink(path);
}

static void test_help(void **state)
{
    struct tsn_config c;
    assert_int_equal(PARSE(&c, "--help"), TSN_CONFIG_HELP);
    assert_int_equal(PARSE(&c, "--media-port", "9000", "--help"), TSN_CONFIG_HELP);
    assert_int_equal(PARSE(&c, "--he"), TSN_CONFIG_HELP);
    /* And a normal parse right after. */
    assert_int_equal(PARSE(&c, "--media-port", "9001"), TSN_CONFIG_OK);
    assert_int_equal(c.media_port, 9001);
}

static void test_secret_env(void **state)
{
    struct tsn_config c;
    assert_int_equal(setenv("TELESONO_SECRET_FILE", "/run/secrets/tsn", 1), 0);
    assert_int_equal(PARSE(&c, "--data-dir", "/d"), TSN_CONFIG_OK);
    assert_string_equal(c.secret_file, "/run/secrets/tsn");
    assert_string_equal(c.cert_path, "/d/cert.pem");
    /* The flag wins over the environment. */
    assert_int_equal(PARSE(&c, "--secret-file", "/flag/secret"), TSN_CONFIG_OK);
    assert_string_equal(c.secret_file, "/flag/secret");
    /* So does the config file. */
    char path[64];
    write_file(path, "secret-file = /file/secret\n");
    assert_int_equal(PARSE(&c, "--config", path), TSN_CONFIG_OK);
    assert_string_equal(c.secret_file, "/file/secret");
    unlink(path);
    /* An empty variable means unset. */
    assert_int_equal(setenv("TELESONO_SECRET_FILE", "", 1), 0);
    assert_int_equal(PARSE(&c, "--data-dir", "/d"), TSN_CONFIG_OK);
    assert_string_equal(c.secret_file, "/d/secret");
    /* Too long: an error, not a silent fallback to another key file. */
    char longpath[700];
    memset(longpath, 'p', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    assert_int_equal(setenv("TELESONO_SECRET_FILE", longpath, 1), 0);
    assert_int_equal(PARSE(&c, "--data-dir", "/d"), TSN_CONFIG_ERROR);
    unsetenv("TELESONO_SECRET_FILE");
    assert_int_equal(PARSE(&c, "--data-dir", "/d"), TSN_CONFIG_OK);
    assert_string_equal(c.secret_file, "/d/secret");
}

/* The default web root is this source tree's viewer/web (CMake sets it);
 * "" (flag or file) turns static files off; the last value wins. */
static void test_web_root(void **state)
{
    static const char suffix[] = "/viewer/web";
    size_t n = strlen(TSN_DEFAULT_WEB_ROOT);
    assert_true(n > sizeof suffix - 1);
    assert_string_equal(TSN_DEFAULT_WEB_ROOT + n - (sizeof suffix - 1), suffix);
    assert_true(TSN_DEFAULT_WEB_ROOT[0] == '/');

    struct tsn_config c;
    assert_int_equal(PARSE(&c, "--media-port", "9000"), TSN_CONFIG_OK);
    assert_string_equal(c.web_root, TSN_DEFAULT_WEB_ROOT);
    assert_int_equal(PARSE(&c, "--web-root", ""), TSN_CONFIG_OK);
    assert_string_equal(c.web_root, "");
    assert_int_equal(PARSE(&c, "--web-root="), TSN_CONFIG_OK);
    assert_string_equal(c.web_root, "");
    assert_int_equal(PARSE(&c, "--web-root", "", "--web-root", "/srv/a"), TSN_CONFIG_OK);
    assert_string_equal(c.web_root, "/srv/a");
    /* A relative path is kept as given (relative to the working directory). */
    assert_int_equal(PARSE(&c, "--web-root", "web"), TSN_CONFIG_OK);
    assert_string_equal(c.web_root, "web");

    char path[64];
    write_file(path, "web-root =\n");
    assert_int_equal(PARSE(&c, "--config", path), TSN_CONFIG_OK);
    assert_string_equal(c.web_root, "");
    /* A flag still wins over the file's "". */
    assert_int_equal(PARSE(&c, "--config", path, "--web-root", "/srv/b"), TSN_CONFIG_OK);
    assert_string_equal(c.web_root, "/srv/b");
    unlink(path);

    /* Too long: refused, never truncated. */
    char longdir[600];
    memset(longdir, 'w', sizeof longdir - 1);
    longdir[sizeof longdir - 1] = '\0';
    assert_int_equal(PARSE(&c, "--web-root", longdir), TSN_CONFIG_ERROR);
}

/* Options may come in any order, mixed with the config file, and repeated:
 * the last one wins. */
static void test_repeated(void **state)
{
    struct tsn_config c;
    assert_int_equal(PARSE(&c, "--media-port", "1000", "--media-port=2000"), TSN_CONFIG_OK);
    assert_int_equal(c.media_port, 2000);
    char p1[64], p2[64];
    write_file(p1, "max-peers = 11\nmedia-port = 1111\n");
    write_file(p2, "max-peers = 22\n");
    assert_int_equal(PARSE(&c, "--config", p1, "--config", p2), TSN_CONFIG_OK);
    assert_int_equal(c.max_peers, 22);
    assert_int_equal(c.media_port, 1111);
    unlink(p1);
    unlink(p2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, setup),
        cmocka_unit_test_setup(test_recording_options, setup),
        cmocka_unit_test_setup(test_all_flags, setup),
        cmocka_unit_test_setup(test_data_dir_derives_paths, setup),
        cmocka_unit_test_setup(test_media_port_default, setup),
        cmocka_unit_test_setup(test_ipv6_listen, setup),
        cmocka_unit_test_setup(test_parse_hostport, setup),
        cmocka_unit_test_setup(test_config_file, setup),
        cmocka_unit_test_setup(test_flags_override_file, setup),
        cmocka_unit_test_setup(test_config_abbreviated, setup),
        cmocka_unit_test_setup(test_bad_values, setup),
        cmocka_unit_test_setup(test_bad_files, setup),
        cmocka_unit_test_setup(test_help, setup),
        cmocka_unit_test_setup(test_secret_env, setup),
        cmocka_unit_test_setup(test_repeated, setup),
        cmocka_unit_test_setup(test_web_root, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
