/* Blocking HTTPS/1.1 client for tests (see https_client.h). One connection
 * per request. The socket is non-blocking and every wait is a poll() bounded
 * by the request's deadline; OpenSSL only sees memory BIOs, this file moves
 * the ciphertext between them and the socket. Not for production use: it
 * trusts the server to be well-behaved apart from the size limits below. */
#include "https_client.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define DEFAULT_TIMEOUT_MS 10000
#define MAX_HEADER_BYTES   (64 * 1024)
#define MAX_BODY_BYTES     (64 * 1024 * 1024)
#define IO_CHUNK_BYTES     16384

struct url_parts {
    char host[256]; /* without brackets */
    char port[8];
    const char *path; /* points into the caller's URL; "/" if empty */
    int host_is_ip;
    int host_is_v6;
};

/* One TLS connection. The SSL object owns both memory BIOs. */
struct conn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio; /* ciphertext from the socket, read by OpenSSL */
    BIO *wbio; /* ciphertext from OpenSSL, to send */
    int64_t deadline_ms;
    int peer_closed;
};

/* Plaintext received and not yet consumed: data[pos..len). */
struct rbuf {
    char *data;
    size_t len;
    size_t cap;
    size_t pos;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_url(const char *url, struct url_parts *u)
{
    memset(u, 0, sizeof(*u));
    if (strncasecmp(url, "https://", 8) != 0)
        return -EINVAL;
    const char *p = url + 8;
    const char *host_end;
    const char *after;
    if (*p == '[') {
        host_end = strchr(p, ']');
        if (!host_end)
            return -EINVAL;
        p++;
        after = host_end + 1;
        u->host_is_v6 = 1;
    } else {
        host_end = p + strcspn(p, ":/?#");
        after = host_end;
    }
    size_t host_len = (size_t)(host_end - p);
    if (host_len == 0 || host_len >= sizeof(u->host))
        return -EINVAL;
    memcpy(u->host, p, host_len);
    u->host[host_len] = '\0';

    snprintf(u->port, sizeof(u->port), "443");
    if (*after == ':') {
        const char *port = after + 1;
        size_t port_len = strspn(port, "0123456789");
        if (port_len == 0 || port_len >= sizeof(u->port))
            return -EINVAL;
        memcpy(u->port, port, port_len);
        u->port[port_len] = '\0';
        after = port + port_len;
    }
    if (*after != '\0' && *after != '/')
        return -EINVAL;
    u->path = *after ? after : "/";

    unsigned char addr[16];
    u->host_is_ip =
        inet_pton(AF_INET, u->host, addr) == 1 || inet_pton(AF_INET6, u->host, addr) == 1;
    return 0;
}

static int wait_fd(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        int64_t left_ms = deadline_ms - now_ms();
        if (left_ms <= 0)
            return -ETIMEDOUT;
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, (int)left_ms);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -errno;
    }
}

static int connect_tcp(const struct url_parts *u, int64_t deadline_ms)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    if (getaddrinfo(u->host, u->port, &hints, &res) != 0)
        return -EHOSTUNREACH;
    int rc = -ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            rc = -errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            freeaddrinfo(res);
            return fd;
        }
        rc = -errno;
        if (errno == EINPROGRESS) {
            rc = wait_fd(fd, POLLOUT, deadline_ms);
            int so_error = 0;
            socklen_t so_len = sizeof(so_error);
            if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len) == 0) {
                if (so_error == 0) {
                    freeaddrinfo(res);
                    return fd;
                }
                rc = -so_error;
            }
        }
        close(fd);
        if (rc == -ETIMEDOUT)
            break;
    }
    freeaddrinfo(res);
    return rc;
}

/* Sends everything OpenSSL has queued in the write BIO. */
static int conn_flush(struct conn *c)
{
    char buf[IO_CHUNK_BYTES];
    while (BIO_ctrl_pending(c->wbio) > 0) {
        int n = BIO_read(c->wbio, buf, sizeof(buf));
        if (n <= 0)
            return -EPROTO;
        size_t off = 0;
        while (off < (size_t)n) {
            ssize_t sent = send(c->fd, buf + off, (size_t)n - off, MSG_NOSIGNAL);
            if (sent > 0) {
                off += (size_t)sent;
                continue;
            }
            if (sent < 0 && errno == EINTR)
                continue;
            if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                int rc = wait_fd(c->fd, POLLOUT, c->deadline_ms);
                if (rc < 0)
                    return rc;
                continue;
            }
            return sent < 0 ? -errno : -EPIPE;
        }
    }
    return 0;
}

/* Moves received ciphertext into the read BIO; marks EOF when the peer closed. */
static int conn_fill(struct conn *c)
{
    char buf[IO_CHUNK_BYTES];
    if (c->peer_closed)
        return -EPROTO;
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n > 0)
            return BIO_write(c->rbio, buf, (int)n) == (int)n ? 0 : -ENOMEM;
        if (n == 0) {
            /* From now on an empty read BIO reads as EOF instead of "retry". */
            c->peer_closed = 1;
            BIO_set_mem_eof_return(c->rbio, 0);
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int rc = wait_fd(c->fd, POLLIN, c->deadline_ms);
        if (rc < 0)
            return rc;
    }
}

/* Handles a non-positive result of an SSL call: 0 = retry the call,
 * 1 = the peer closed the TLS stream, negative = error. */
static int conn_after_ssl_call(struct conn *c, int ret)
{
    int err = SSL_get_error(c->ssl, ret);
    int rc = conn_flush(c);
    if (rc < 0)
        return rc;
    switch (err) {
    case SSL_ERROR_WANT_READ:
        return conn_fill(c);
    case SSL_ERROR_WANT_WRITE:
        return 0;
    case SSL_ERROR_ZERO_RETURN:
        return 1;
    case SSL_ERROR_SYSCALL:
        return c->peer_closed ? 1 : -EPROTO;
    default:
        return -EPROTO;
    }
}

static int conn_open(struct conn *c, const struct url_parts *u, const char *ca_file)
{
    int rc = -EPROTO;
    c->fd = connect_tcp(u, c->deadline_ms);
    if (c->fd < 0)
        return c->fd;

    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx)
        return -ENOMEM;
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (ca_file) {
        if (SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1)
            return -ENOENT;
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    }

    c->ssl = SSL_new(c->ctx);
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());
    if (!c->ssl || !c->rbio || !c->wbio) {
        BIO_free(c->rbio);
        BIO_free(c->wbio);
        c->rbio = c->wbio = NULL;
        return -ENOMEM;
    }
    SSL_set_bio(c->ssl, c->rbio, c->wbio); /* the SSL now owns both BIOs */
    SSL_set_connect_state(c->ssl);
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_set_alpn_protos(c->ssl, alpn, sizeof(alpn) - 1);
    if (!u->host_is_ip) {
        /* RFC 6066: SNI carries DNS names only, never address literals. */
        SSL_set_tlsext_host_name(c->ssl, u->host);
        if (ca_file)
            SSL_set1_host(c->ssl, u->host);
    } else if (ca_file) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), u->host);
    }

    for (;;) {
        int ret = SSL_do_handshake(c->ssl);
        if (ret == 1)
            return conn_flush(c);
        rc = conn_after_ssl_call(c, ret);
        if (rc != 0)
            return rc < 0 ? rc : -EPROTO;
    }
}

static void conn_close(struct conn *c)
{
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->ctx)
        SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    c->ssl = NULL;
    c->ctx = NULL;
    c->fd = -1;
}

static int conn_write_all(struct conn *c, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        size_t chunk = len - off > IO_CHUNK_BYTES ? IO_CHUNK_BYTES : len - off;
        int ret = SSL_write(c->ssl, data + off, (int)chunk);
        if (ret > 0) {
            off += (size_t)ret;
            continue;
        }
        int rc = conn_after_ssl_call(c, ret);
        if (rc != 0)
            return rc < 0 ? rc : -EPIPE;
    }
    return conn_flush(c);
}

/* Appends more plaintext to `rb`. Returns 1 on data, 0 on end of stream. */
static int rbuf_read_more(struct conn *c, struct rbuf *rb, size_t limit)
{
    if (rb->len - rb->pos >= limit)
        return -EMSGSIZE;
    if (rb->pos > 0) { /* drop consumed bytes; callers hold no pointers across reads */
        memmove(rb->data, rb->data + rb->pos, rb->len - rb->pos);
        rb->len -= rb->pos;
        rb->pos = 0;
    }
    if (rb->cap - rb->len < IO_CHUNK_BYTES) {
        size_t cap = rb->cap ? rb->cap * 2 : 2 * IO_CHUNK_BYTES;
        char *data = realloc(rb->data, cap);
        if (!data)
            return -ENOMEM;
        rb->data = data;
        rb->cap = cap;
    }
    for (;;) {
        int ret = SSL_read(c->ssl, rb->data + rb->len, (int)(rb->cap - rb->len - 1));
        if (ret > 0) {
            rb->len += (size_t)ret;
            return 1;
        }
        int rc = conn_after_ssl_call(c, ret);
        if (rc == 1)
            return 0;
        if (rc < 0)
            return rc;
    }
}

/* Ensures `n` unread bytes are buffered; -EPROTO if the stream ends first. */
static int rbuf_need(struct conn *c, struct rbuf *rb, size_t n, size_t limit)
{
    while (rb->len - rb->pos < n) {
        int rc = rbuf_read_more(c, rb, limit);
        if (rc <= 0)
            return rc < 0 ? rc : -EPROTO;
    }
    return 0;
}

/* Returns the next CRLF-terminated line (NUL-terminated in place, CRLF cut). */
static int rbuf_line(struct conn *c, struct rbuf *rb, char **line)
{
    for (;;) {
        char *start = rb->data ? rb->data + rb->pos : NULL;
        char *end = start ? memmem(start, rb->len - rb->pos, "\r\n", 2) : NULL;
        if (end) {
            *end = '\0';
            *line = start;
            rb->pos = (size_t)(end - rb->data) + 2;
            return 0;
        }
        int rc = rbuf_read_more(c, rb, MAX_HEADER_BYTES);
        if (rc <= 0)
            return rc < 0 ? rc : -EPROTO;
    }
}

static int body_append(struct tsn_https_response *out, const char *data, size_t len)
{
    if (out->body_len + len > MAX_BODY_BYTES)
        return -EMSGSIZE;
    char *body = realloc(out->body, out->body_len + len + 1);
    if (!body)
        return -ENOMEM;
    memcpy(body + out->body_len, data, len);
    out->body = body;
    out->body_len += len;
    out->body[out->body_len] = '\0';
    return 0;
}

/* Moves up to `want` buffered-or-received bytes into the body. */
static int read_body_bytes(struct conn *c, struct rbuf *rb, size_t want,
                           struct tsn_https_response *out)
{
    while (want > 0) {
        if (rb->len == rb->pos) {
            rb->len = rb->pos = 0;
            int rc = rbuf_read_more(c, rb, MAX_BODY_BYTES);
            if (rc <= 0)
                return rc < 0 ? rc : -EPROTO;
        }
        size_t avail = rb->len - rb->pos;
        size_t take = avail < want ? avail : want;
        int rc = body_append(out, rb->data + rb->pos, take);
        if (rc < 0)
            return rc;
        rb->pos += take;
        want -= take;
    }
    return 0;
}

static int read_body_chunked(struct conn *c, struct rbuf *rb, struct tsn_https_response *out)
{
    for (;;) {
        char *line;
        int rc = rbuf_line(c, rb, &line);
        if (rc < 0)
            return rc;
        char *end;
        errno = 0;
        unsigned long long size = strtoull(line, &end, 16);
        if (end == line || errno || size > MAX_BODY_BYTES)
            return -EPROTO;
        if (size == 0)
            break;
        rc = read_body_bytes(c, rb, (size_t)size, out);
        if (rc == 0)
            rc = rbuf_need(c, rb, 2, MAX_HEADER_BYTES);
        if (rc < 0)
            return rc;
        if (memcmp(rb->data + rb->pos, "\r\n", 2) != 0)
            return -EPROTO;
        rb->pos += 2;
    }
    for (;;) { /* trailer fields, up to the empty line */
        char *line;
        int rc = rbuf_line(c, rb, &line);
        if (rc < 0)
            return rc;
        if (*line == '\0')
            return 0;
    }
}

static int read_body_to_close(struct conn *c, struct rbuf *rb, struct tsn_https_response *out)
{
    for (;;) {
        int rc = body_append(out, rb->data + rb->pos, rb->len - rb->pos);
        if (rc < 0)
            return rc;
        rb->len = rb->pos = 0;
        rc = rbuf_read_more(c, rb, MAX_BODY_BYTES);
        if (rc <= 0)
            return rc;
    }
}

static char *trimmed_dup(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return strndup(s, n);
}

struct framing {
    long long content_length; /* -1 if absent */
    int chunked;
};

/* Reads the status line and header fields of one response. */
static int read_head(struct conn *c, struct rbuf *rb, struct tsn_https_response *out,
                     struct framing *f)
{
    char *line;
    int rc = rbuf_line(c, rb, &line);
    if (rc < 0)
        return rc;
    int major, minor, status;
    if (sscanf(line, "HTTP/%d.%d %3d", &major, &minor, &status) != 3 || status < 100 ||
        status > 999)
        return -EPROTO;
    out->status = status;
    f->content_length = -1;
    f->chunked = 0;
    for (;;) {
        rc = rbuf_line(c, rb, &line);
        if (rc < 0)
            return rc;
        if (*line == '\0')
            return 0;
        char *colon = strchr(line, ':');
        if (!colon)
            return -EPROTO;
        *colon = '\0';
        const char *value = colon + 1;
        char **slot = NULL;
        if (strcasecmp(line, "Location") == 0)
            slot = &out->location;
        else if (strcasecmp(line, "Content-Type") == 0)
            slot = &out->content_type;
        if (slot) {
            free(*slot);
            *slot = trimmed_dup(value);
            if (!*slot)
                return -ENOMEM;
        } else if (strcasecmp(line, "Content-Length") == 0) {
            char *end;
            errno = 0;
            long long n = strtoll(value, &end, 10);
            if (errno || n < 0 || end == value)
                return -EPROTO;
            f->content_length = n;
        } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
            f->chunked = strcasestr(value, "chunked") != NULL;
        }
    }
}

static int read_response(struct conn *c, const char *method, struct tsn_https_response *out)
{
    struct rbuf rb = {0};
    struct framing f = {.content_length = -1};
    int rc;
    do { /* skip interim 1xx responses */
        free(out->location);
        free(out->content_type);
        out->location = out->content_type = NULL;
        rc = read_head(c, &rb, out, &f);
    } while (rc == 0 && out->status < 200);
    if (rc < 0)
        goto out;

    rc = body_append(out, "", 0); /* the body is never NULL after success */
    if (rc < 0)
        goto out;
    if (strcasecmp(method, "HEAD") == 0 || out->status == 204 || out->status == 304)
        goto out;
    if (f.chunked)
        rc = read_body_chunked(c, &rb, out);
    else if (f.content_length >= 0)
        rc = f.content_length > MAX_BODY_BYTES
                 ? -EMSGSIZE
                 : read_body_bytes(c, &rb, (size_t)f.content_length, out);
    else
        rc = read_body_to_close(c, &rb, out);
out:
    free(rb.data);
    return rc;
}

static char *build_request(const char *method, const struct url_parts *u, const char *content_type,
                           const char *auth_bearer, size_t body_len)
{
    char host[300];
    int with_port = strcmp(u->port, "443") != 0;
    snprintf(host, sizeof(host), "%s%s%s%s%s", u->host_is_v6 ? "[" : "", u->host,
             u->host_is_v6 ? "]" : "", with_port ? ":" : "", with_port ? u->port : "");

    char *req = NULL;
    size_t req_len = 0;
    FILE *f = open_memstream(&req, &req_len);
    if (!f)
        return NULL;
    fprintf(f,
            "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: telesono-test\r\nAccept: */*\r\n"
            "Connection: close\r\n",
            method, u->path, host);
    if (content_type)
        fprintf(f, "Content-Type: %s\r\n", content_type);
    if (auth_bearer)
        fprintf(f, "Authorization: Bearer %s\r\n", auth_bearer);
    if (body_len > 0 || (strcasecmp(method, "GET") != 0 && strcasecmp(method, "HEAD") != 0))
        fprintf(f, "Content-Length: %zu\r\n", body_len);
    fputs("\r\n", f);
    if (fclose(f) != 0) {
        free(req);
        return NULL;
    }
    return req;
}

static int valid_header_value(const char *s)
{
    return s == NULL || strpbrk(s, "\r\n") == NULL;
}

int tsn_https_request_opts(const struct tsn_https_options *opts, const char *method,
                           const char *url, const char *content_type, const char *auth_bearer,
                           const char *body, size_t body_len, struct tsn_https_response *out)
{
    if (!out)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    if (!method || !url || (body_len > 0 && !body) || !valid_header_value(content_type) ||
        !valid_header_value(auth_bearer) || strpbrk(method, " \r\n"))
        return -EINVAL;

    struct url_parts u;
    int rc = parse_url(url, &u);
    if (rc < 0)
        return rc;
    int timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
    struct conn c = {.fd = -1, .deadline_ms = now_ms() + timeout_ms};
    char *req = NULL;

    ERR_clear_error();
    rc = conn_open(&c, &u, opts ? opts->ca_file : NULL);
    if (rc < 0)
        goto out;
    req = build_request(method, &u, content_type, auth_bearer, body_len);
    if (!req) {
        rc = -ENOMEM;
        goto out;
    }
    rc = conn_write_all(&c, req, strlen(req));
    if (rc == 0 && body_len > 0)
        rc = conn_write_all(&c, body, body_len);
    if (rc == 0)
        rc = read_response(&c, method, out);
out:
    free(req);
    conn_close(&c);
    ERR_clear_error(); /* leave this thread's OpenSSL error queue as we found it */
    if (rc < 0)
        tsn_https_response_clear(out);
    return rc;
}

int tsn_https_request(const char *method, const char *url, const char *content_type,
                      const char *auth_bearer, const char *body, size_t body_len,
                      struct tsn_https_response *out)
{
    return tsn_https_request_opts(NULL, method, url, content_type, auth_bearer, body, body_len,
                                  out);
}

void tsn_https_response_clear(struct tsn_https_response *r)
{
    if (!r)
        return;
    free(r->location);
    free(r->content_type);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

const char *tsn_https_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
    case -EINVAL:
        return "invalid URL or argument";
    case -ETIMEDOUT:
        return "timed out";
    case -EPROTO:
        return "TLS handshake, certificate or HTTP framing error";
    case -EMSGSIZE:
        return "response too large";
    case -ENOENT:
        return "cannot load the CA file";
    case -EHOSTUNREACH:
        return "cannot resolve host";
    default:
        return code < 0 ? strerror(-code) : "unknown error";
    }
}

char *tsn_https_resolve_location(const char *request_url, const char *location)
{
    if (!request_url || !location)
        return NULL;
    if (strncasecmp(location, "https://", 8) == 0 || strncasecmp(location, "http://", 7) == 0)
        return strdup(location);
    if (location[0] != '/')
        return NULL; /* relative references other than absolute paths: not needed here */
    const char *authority = strstr(request_url, "://");
    if (!authority)
        return NULL;
    authority += 3;
    size_t origin_len = (size_t)(authority - request_url) + strcspn(authority, "/?#");
    char *joined = malloc(origin_len + strlen(location) + 1);
    if (!joined)
        return NULL;
    memcpy(joined, request_url, origin_len);
    strcpy(joined + origin_len, location);
    return joined;
}
