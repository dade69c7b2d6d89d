/* The engine of tsn-annot-clients invalid (annot_invalid.c holds the phases
 * and the entry point): the sockets and their states, sending one message
 * and checking its reply (code, reason, ref, id), batches of valid messages
 * from several sockets at a set pace (for the rate and room limits), the
 * final comparison and the JSON report. Internal to the invalid mode. */
#ifndef TSN_ANNOT_INV_H
#define TSN_ANNOT_INV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "annot_modes.h"
#include "annot_net.h"
#include "annot_state.h"

/* Token lines: A, B, observer, watcher, fresh joiner, then one clinician
 * per filler socket (distinct subs: a reply is an event with an id from
 * the socket's own sub). */
#define TSN_AINV_FILLERS 16
#define TSN_AINV_TOKENS  (5 + TSN_AINV_FILLERS)

struct tsn_ainv;

struct tsn_aiconn {
    struct tsn_ainv *t;
    char name[32];
    int token;
    struct tsn_anet_conn *conn;
    struct tsn_annot_state *st;
    int snapshot_seen;
    int64_t last_seq;
    long gaps;
    long next_id;
    long sent, replied; /* for batches */
    json_t *replies;    /* replies not taken yet: own events (with an id) and errors */
    json_t *pointers;   /* pointer messages received */
    json_t *last_event; /* the last event received */
    int64_t next_send_us, last_chat_us;
    char bad[200];
    int closed, close_code;
};

struct tsn_ainv_batch {
    struct tsn_aiconn **conns;
    int n_conns;
    long n_msgs, next;
    int64_t pace_us; /* per socket */
    char *(*make)(struct tsn_ainv *t, long i, long id);
    long accepted, by_code[600];
    json_t *first_refusal;
};

struct tsn_ainv {
    const struct tsn_aopts *o;
    struct tsn_anet *net;
    struct tsn_aiconn a, b, obs, w, fresh, big, fill[TSN_AINV_FILLERS];
    json_t *accepted; /* events of the valid messages since the baseline (no id) */
    json_t *failures; /* [{"case", "why", "got"}] */
    json_t *notes;    /* the same, for deviations outside the annotation protocol */
    json_t *limits;   /* what the limit phases measured */
    json_t *baseline; /* the watcher's snapshot after the baseline */
    int64_t baseline_seq;
    long long mark;     /* a mark of the baseline */
    long long chat_seq; /* the seq of the baseline's chat: an id that is no mark */
    int cases, passed;
    int64_t max_seq; /* the highest seq any socket saw */
    int watcher_equal, others_equal, fresh_equal;
    struct tsn_ainv_batch *batch; /* the batch running, if any */
};

int tsn_ainv_init(struct tsn_ainv *t, const struct tsn_aopts *o);
/* Joins A, B, the observer and the watcher to a fresh room. */
int tsn_ainv_join(struct tsn_ainv *t);
void tsn_ainv_cleanup(struct tsn_ainv *t);

/* Sends text (its id, if any, must be c->next_id) on c, paced below the
 * rate limits, and checks the reply: code 0 wants the event (then kept as
 * an expected event), otherwise an error with that code, a reason
 * containing `reason` (unless NULL), the message's type as ref and its id.
 * Returns the reply (a new reference) when the case passed, else NULL. */
json_t *tsn_ainv_send_raw(struct tsn_ainv *t, struct tsn_aiconn *c, const char *name,
                          const char *text, size_t len, int code, const char *reason);
/* The same for a template with @ID, @MARK and @CHATSEQ. */
json_t *tsn_ainv_case(struct tsn_ainv *t, struct tsn_aiconn *c, const char *name, const char *tmpl,
                      int code, const char *reason);
/* Turns the ref and id checks off (1) or on (0): a message over the size
 * limit is refused before it is parsed. */
void tsn_ainv_no_ref_id(int off);
/* Records a failed check (got may be NULL). */
void tsn_ainv_fail(struct tsn_ainv *t, const char *name, const char *why, const json_t *got);
/* Waits until every joined socket has seen the highest seq. */
int tsn_ainv_sync(struct tsn_ainv *t);
/* Runs a batch: b->n_msgs messages from b->make over b->conns, each socket
 * at b->pace_us, until every reply is in. Events are expected ones. */
int tsn_ainv_run_batch(struct tsn_ainv *t, struct tsn_ainv_batch *b);
/* Opens the sockets of a set and waits for their snapshots. */
int tsn_ainv_open(struct tsn_ainv *t, struct tsn_aiconn *const *set, int n);

/* annot_inv_limits.c */
void tsn_ainv_pointers(struct tsn_ainv *t);
void tsn_ainv_rates(struct tsn_ainv *t);
void tsn_ainv_room_limits(struct tsn_ainv *t);
void tsn_ainv_oversize(struct tsn_ainv *t);

/* The end: a fresh joiner, the states compared. */
void tsn_ainv_final(struct tsn_ainv *t);
/* Prints the JSON line; returns the number of failures. */
int tsn_ainv_report(struct tsn_ainv *t, int64_t elapsed_us);

#endif
