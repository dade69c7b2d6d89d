/* The recordings REST API (docs: /tmp contract "REST API", docs/operations.md):
 *   GET    /recordings/<room>                         list (reviewer, admin)
 *   GET    /recordings/<room>/<id>                    one session + its export state
 *   DELETE /recordings/<room>/<id>                    admin: remove it (204)
 *   POST   /recordings/<room>/<id>/export             start an export (202 / 200 / 409)
 *   GET    /recordings/<room>/<id>/export             the export's state, files and links
 *   GET    /recordings/<room>/<id>/files/<name>       a file, Range served; token or ?ticket=
 *   GET    /recordings/<room>/audit                   admin: the room's audit log
 * HEAD is answered wherever GET is. The token's room must be <room> and its
 * role reviewer or admin; every action and every refusal is written to the
 * audit log with the token's subject and role (never the token or ticket).
 *
 * This module parses the path (already percent-decoded once by lws), checks
 * tokens and tickets, reads the index, builds the JSON, opens files below
 * the recordings directory without following links, and runs exports
 * (rec_export.c). It does not speak lws: http.c gathers the request's
 * pieces into a tsn_rec_api_request and sends the reply (a small body, or
 * a file through file_send.c). lws service thread only. */
#ifndef TSN_REC_API_H
#define TSN_REC_API_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "file_send.h"
#include "rec_index.h"

enum tsn_rec_api_method {
    TSN_REC_API_OTHER = 0,
    TSN_REC_API_GET,
    TSN_REC_API_HEAD,
    TSN_REC_API_POST,
    TSN_REC_API_DELETE,
};

struct tsn_rec_api_request {
    enum tsn_rec_api_method method;
    const char *path;   /* "/recordings/...", decoded once, without the query */
    const char *bearer; /* the token text from "Authorization: Bearer", nullable */
    const char *ticket; /* the ?ticket= value, nullable */
    const char *range;  /* the Range header value, nullable */
    const char *body;   /* nullable */
    size_t body_len;
};

struct tsn_rec_api_reply {
    int status;
    const char *content_type; /* static */
    char *body;               /* malloc'd, nullable; the caller frees */
    size_t body_len;
    struct tsn_file_send *file; /* instead of body: a file to stream (caller owns, frees) */
};

struct tsn_rec_api;

/* Opens the calling thread's own handle of DIR/index.sqlite, creating DIR
 * (0700, parents too) if missing. NULL on failure, logged with the paths,
 * and a reason for clients without them in `why`. */
struct tsn_rec_index *tsn_rec_api_open_index(const char *dir, char *why, size_t why_len);

/* `index` (borrowed, nullable: then every request that passes
 * authorisation gets 503 with `index_why`), `auth` (borrowed: the relay's
 * key, also the ticket key), the recordings directory and the configured
 * exporter ("" = beside the relay) are the API's. NULL when out of memory. */
struct tsn_rec_api *tsn_rec_api_new(struct tsn_rec_index *index, const char *index_why,
                                    const struct tsn_auth *auth, const char *recordings_dir,
                                    const char *export_program);
/* Stops running exports (see tsn_rec_exports_free). */
void tsn_rec_api_free(struct tsn_rec_api *api);

/* Answers one request whose path starts with "/recordings". Fills *out
 * (zeroed first); never fails: errors are replies. */
void tsn_rec_api_handle(struct tsn_rec_api *api, const struct tsn_rec_api_request *q,
                        struct tsn_rec_api_reply *out);

/* Reaps finished exporters. Returns how many still run (the caller keeps a
 * timer going while it is non-zero). */
unsigned tsn_rec_api_tick(struct tsn_rec_api *api);

#endif
