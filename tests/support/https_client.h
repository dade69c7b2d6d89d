/* A tiny blocking HTTPS/1.1 client for tests and benchmarks: one request per
 * connection ("Connection: close"), TLS 1.2 or newer over OpenSSL, SNI for
 * host names, optional certificate verification against a CA file. It reads
 * bodies framed by Content-Length, chunked encoding, or connection close.
 * It is not a general HTTP client: no redirects, no keep-alive, no proxies,
 * no HTTP/2. TLS runs over memory BIOs and this module moves the bytes itself
 * (send with MSG_NOSIGNAL), so a peer that hangs up never raises SIGPIPE and
 * every step obeys one deadline. Thread-safe: no shared state between calls. */
#ifndef TSN_HTTPS_CLIENT_H
#define TSN_HTTPS_CLIENT_H

#include <stddef.h>

/* What came back. Every pointer is owned by the struct and released by
 * tsn_https_response_clear(). */
struct tsn_https_response {
    int status;         /* HTTP status code, e.g. 201 */
    char *location;     /* Location header as sent (often a path), or NULL */
    char *content_type; /* Content-Type header, or NULL */
    char *body;         /* the body, NUL-terminated (never NULL after success) */
    size_t body_len;    /* body length in bytes, without the added NUL */
};

/* Per-call options; a NULL options pointer means the defaults below. */
struct tsn_https_options {
    const char *ca_file; /* PEM CA bundle to verify the server with; NULL = no
                            verification at all (tests against a self-signed relay) */
    int timeout_ms;      /* deadline for the whole request; <= 0 means 10,000 */
};

/* Sends one request to `url` ("https://host:port/path", host may be a name,
 * an IPv4 address or a bracketed IPv6 address; port defaults to 443) and reads
 * the response into *out, which is zeroed first. `content_type` and
 * `auth_bearer` may be NULL (header omitted); `body` may be NULL when
 * `body_len` is 0. Certificates are not verified (see _opts for that).
 * Returns 0 when a response was read, whatever its status code, or a negative
 * errno-style code: -EINVAL bad URL or arguments, -ECONNREFUSED and other
 * connect errors, -ETIMEDOUT deadline passed, -EPROTO TLS or HTTP framing
 * error, -EMSGSIZE headers or body too large, -ENOMEM. On error *out holds
 * nothing that needs clearing (clearing it is still allowed). */
int tsn_https_request(const char *method, const char *url, const char *content_type,
                      const char *auth_bearer, const char *body, size_t body_len,
                      struct tsn_https_response *out);

/* The same with options (CA verification, timeout); `opts` may be NULL. */
int tsn_https_request_opts(const struct tsn_https_options *opts, const char *method,
                           const char *url, const char *content_type, const char *auth_bearer,
                           const char *body, size_t body_len, struct tsn_https_response *out);

/* Frees what a response holds and zeroes it. NULL is a no-op. */
void tsn_https_response_clear(struct tsn_https_response *r);

/* A one-line English reason for a code returned above. */
const char *tsn_https_strerror(int code);

/* Joins a Location value (absolute URL or absolute path) to the URL the
 * request went to, e.g. ("https://127.0.0.1:8443/whip/r", "/whip/r/abc") ->
 * "https://127.0.0.1:8443/whip/r/abc". Returns a malloc'd string or NULL. */
char *tsn_https_resolve_location(const char *request_url, const char *location);

#endif
