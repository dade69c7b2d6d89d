/* Fuzz target for tsn_reply_parse (relay -> client signalling messages).
 *
 * Invariants (abort on violation):
 *  - the result is 0 or -EBADMSG;
 *  - on error: every field is cleared (id -1, pointers NULL, the rest zero)
 *    and `why` is a non-empty NUL-terminated string;
 *  - on success: the type is a known enum value; `sdp` is set exactly for
 *    ANSWER (non-empty), `stream_json` only for WELCOME and always for
 *    STREAM, and then it is the text of one JSON object whose "live" is what
 *    stream_live says; the fixed fields are NUL-terminated inside their
 *    buffers, valid UTF-8, and empty for types that do not carry them; an
 *    ERROR's code is 100..999; the id is -1 or >= 0;
 *  - the stream text is accepted back by the builders (tsn_msg_stream,
 *    tsn_msg_offer);
 *  - tsn_reply_clear leaves the cleared state. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sig_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cleared(const struct tsn_reply *r)
{
    struct tsn_reply zero;
    memset(&zero, 0, sizeof zero);
    zero.id = -1;
    if (r->sdp || r->stream_json || memcmp(r, &zero, sizeof zero) != 0)
        abort();
}

/* NUL inside the buffer, valid UTF-8, and empty unless `allowed`. */
static void check_text(const char *buf, size_t cap, int allowed)
{
    if (!memchr(buf, '\0', cap))
        abort();
    if (!allowed && buf[0])
        abort();
    json_t *s = json_string(buf); /* NULL for invalid UTF-8 */
    if (!s)
        abort();
    json_decref(s);
}

static void check_stream(const struct tsn_reply *r)
{
    json_error_t err;
    json_t *o = json_loads(r->stream_json, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(o))
        abort();
    if (r->stream_live != (json_is_true(json_object_get(o, "live")) ? 1 : 0))
        abort();
    json_decref(o);
    char *text = tsn_msg_stream(r->stream_json);
    if (!text)
        abort();
    free(text);
    text = tsn_msg_offer("publish", "v=0\r\n", r->stream_json, r->id);
    if (!text)
        abort();
    free(text);
}

static void check_success(const struct tsn_reply *r)
{
    enum tsn_reply_type t = r->type;
    if (t < TSN_REPLY_UNKNOWN || t > TSN_REPLY_ERROR)
        abort();
    if (r->id < -1)
        abort();
    if ((t == TSN_REPLY_ANSWER) != (r->sdp != NULL) || (r->sdp && !r->sdp[0]))
        abort();
    if (t == TSN_REPLY_STREAM && !r->stream_json)
        abort();
    if (r->stream_json && t != TSN_REPLY_WELCOME && t != TSN_REPLY_STREAM)
        abort();
    if (r->stream_json)
        check_stream(r);
    else if (r->stream_live)
        abort();
    if (t == TSN_REPLY_ERROR ? r->code < 100 || r->code > 999 : r->code != 0)
        abort();
    check_text(r->session, sizeof r->session,
               t == TSN_REPLY_ANSWER || t == TSN_REPLY_SESSION || t == TSN_REPLY_STOPPED);
    check_text(r->state, sizeof r->state, t == TSN_REPLY_SESSION);
    check_text(r->reason, sizeof r->reason, t == TSN_REPLY_ERROR || t == TSN_REPLY_SESSION);
    check_text(r->ref_type, sizeof r->ref_type, t == TSN_REPLY_ERROR);
    check_text(r->role, sizeof r->role, t == TSN_REPLY_WELCOME);
    check_text(r->room, sizeof r->room, t == TSN_REPLY_WELCOME);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tsn_reply r;
    char why[128];
    memset(&r, 0xA5, sizeof r);
    memset(why, 0, sizeof why);
    int rc = tsn_reply_parse((const char *)data, size, &r, why, sizeof why);
    if (rc == 0) {
        check_success(&r);
    } else if (rc == -EBADMSG) {
        check_cleared(&r);
        if (!why[0] || !memchr(why, '\0', sizeof why))
            abort();
    } else {
        abort();
    }
    tsn_reply_clear(&r);
    check_cleared(&r);
    return 0;
}
