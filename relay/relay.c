/* Relay start-up and shutdown; see relay.h. */
#include "relay.h"

#include "log.h"
#include "secret.h"

#include <errno.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int ensure_dir(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            tsn_err("[relay] data dir %s exists and is not a directory", path);
            return -1;
        }
        return 0;
    }
    if (mkdir(path, 0700) != 0) {
        tsn_err("[relay] cannot create data dir %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The HTTPS certificate: the configured pair, or a self-signed one created
 * once in the data directory and reused on restart (so clients that pinned
 * its fingerprint keep working). */
static int load_tls_cert(struct tsn_relay *r)
{
    char why[256] = "";
    struct tsn_cert *c = tsn_cert_load(r->cfg.cert_path, r->cfg.key_path, why, sizeof why);
    if (!c) {
        if (access(r->cfg.cert_path, F_OK) == 0 || access(r->cfg.key_path, F_OK) == 0) {
            tsn_err("[relay] cannot load certificate %s / key %s: %s", r->cfg.cert_path,
                    r->cfg.key_path, why);
            return -1;
        }
        c = tsn_cert_generate(r->cfg.listen_host, 365);
        if (!c || tsn_cert_save(c, r->cfg.cert_path, r->cfg.key_path) != 0) {
            tsn_err("[relay] cannot create a self-signed certificate in %s", r->cfg.data_dir);
            tsn_cert_free(c);
            return -1;
        }
        tsn_info("[relay] created self-signed certificate %s", r->cfg.cert_path);
    }
    tsn_cert_fingerprint(c, r->tls_fingerprint);
    tsn_cert_free(c);
    return 0;
}

static int load_secret(struct tsn_relay *r)
{
    char why[256] = "";
    char default_path[600];
    snprintf(default_path, sizeof default_path, "%s/secret", r->cfg.data_dir);
    int is_default = strcmp(default_path, r->cfg.secret_file) == 0;
    int rc = is_default ? tsn_secret_load_or_create(r->cfg.secret_file, r->secret, sizeof r->secret,
                                                    &r->secret_len, why, sizeof why)
                        : tsn_secret_load(r->cfg.secret_file, r->secret, sizeof r->secret,
                                          &r->secret_len, why, sizeof why);
    if (rc != 0) {
        tsn_err("[relay] token secret: %s", why);
        return -1;
    }
    r->auth = (struct tsn_auth){.key = r->secret, .key_len = r->secret_len, .leeway_s = 5};
    return 0;
}

static void wake_http(void *user)
{
    struct tsn_relay *r = user;
    if (r->lws)
        lws_cancel_service(r->lws);
}

int tsn_relay_init(struct tsn_relay *r, const struct tsn_config *cfg)
{
    memset(r, 0, sizeof *r);
    r->cfg = *cfg;
    tsn_metrics_init(&r->metrics);
    if (ensure_dir(r->cfg.data_dir) != 0 || load_tls_cert(r) != 0 || load_secret(r) != 0)
        return -1;
    if (tsn_srtp_global_init() != 0) {
        tsn_err("[relay] libsrtp initialisation failed");
        return -1;
    }
    r->dtls_cert = tsn_cert_generate("telesono-media", 30);
    r->dtls_ctx = r->dtls_cert ? tsn_dtls_ctx_new(r->dtls_cert) : NULL;
    if (!r->dtls_ctx) {
        tsn_err("[relay] cannot create the DTLS context");
        return -1;
    }
    tsn_cert_fingerprint(r->dtls_cert, r->dtls_fingerprint);
    r->media = tsn_media_new(&r->cfg, &r->metrics, r->dtls_ctx, wake_http, r);
    r->sessions = r->media ? tsn_sessions_new(&r->cfg, r->media, r->dtls_fingerprint, NULL) : NULL;
    if (!r->sessions) {
        tsn_err("[relay] out of memory");
        return -1;
    }
    if (r->cfg.record_mode == TSN_RECORD_OFF) {
        snprintf(r->recorder_why, sizeof r->recorder_why, "recording is turned off on this relay");
    } else {
        char why[160];
        r->recorder = tsn_recorder_new(&r->cfg, &r->metrics, wake_http, r, why, sizeof why);
        if (r->recorder) {
            tsn_media_set_rec_ring(r->media, tsn_recorder_ring(r->recorder));
        } else {
            /* The live relay still runs; recording requests get this reason. */
            /* Clients get no server paths; the log has the details. */
            snprintf(r->recorder_why, sizeof r->recorder_why,
                     "recording unavailable: the relay cannot use its recordings directory");
            tsn_err("[relay] recording unavailable: %s", why);
        }
    }
    int rc = tsn_media_start(r->media);
    if (rc != 0) {
        tsn_err("[relay] cannot start media on UDP %s:%u: %s", r->cfg.listen_host,
                r->cfg.media_port, strerror(-rc));
        return -1;
    }
    return 0;
}

int tsn_relay_run(struct tsn_relay *r)
{
    if (tsn_http_start(r) != 0)
        return -1;
    fprintf(stderr,
            "telesono-relay ready: https://%s:%u (WHIP /whip/<room>, WHEP /whep/<room>, "
            "WSS /ws), media udp %s:%u\n"
            "  TLS certificate SHA-256 fingerprint: %s\n",
            r->cfg.listen_host, r->cfg.listen_port, r->cfg.public_ip, r->cfg.media_port,
            r->tls_fingerprint);
    while (!r->stopping)
        if (lws_service(r->lws, 0) < 0)
            break;
    tsn_info("[relay] shutting down");
    return 0;
}

void tsn_relay_request_stop(struct tsn_relay *r)
{
    r->stopping = 1;
    if (r->lws)
        lws_cancel_service(r->lws);
}

void tsn_relay_cleanup(struct tsn_relay *r)
{
    tsn_media_stop(r->media); /* before lws goes: the media thread wakes it */
    /* Sockets closing during tsn_http_stop must not reach the recorder,
     * which then closes every recording cleanly. */
    struct tsn_recorder *rec = r->recorder;
    r->recorder = NULL;
    tsn_http_stop(r);
    tsn_recorder_free(rec);
    tsn_sessions_free(r->sessions);
    tsn_media_free(r->media);
    tsn_dtls_ctx_free(r->dtls_ctx);
    tsn_cert_free(r->dtls_cert);
    memset(r->secret, 0, sizeof r->secret);
}
