/* Client side of the signalling protocol: builders and the reply parser
 * (see sig_reply.h). Unknown fields and unknown types are ignored so an
 * older client keeps working against a newer relay. */
#include "sig_reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define MAX_REPLY_BYTES (256 * 1024)

static const struct {
    const char *name;
    enum tsn_reply_type type;
} reply_types[] = {
    {"welcome", TSN_REPLY_WELCOME}, {"answer", TSN_REPLY_ANSWER}, {"session", TSN_REPLY_SESSION},
    {"stopped", TSN_REPLY_STOPPED}, {"stream", TSN_REPLY_STREAM}, {"pong", TSN_REPLY_PONG},
    {"error", TSN_REPLY_ERROR},
};

void tsn_reply_clear(struct tsn_reply *r)
{
    free(r->sdp);
    free(r->stream_json);
    memset(r, 0, sizeof *r);
    r->id = -1;
}

static int bad(char *why, size_t why_len, const char *reason, const char *field)
{
    snprintf(why, why_len, "%s%s%s", reason, field ? ": " : "", field ? field : "");
    return -EBADMSG;
}

/* Copies an optional string member into a fixed buffer; absent is fine,
 * another type or a value that does not fit is not. */
static int copy_opt(json_t *o, const char *key, char *dst, size_t cap, char *why, size_t why_len)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return bad(why, why_len, "not a string or too long", key);
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

/* Copies an optional "reason" (text for a human): another type is refused,
 * but one longer than the buffer is cut at a UTF-8 character boundary, so a
 * long reason never costs the client the message that carries it. */
static int copy_reason(json_t *o, char *dst, size_t cap, char *why, size_t why_len)
{
    json_t *v = json_object_get(o, "reason");
    if (!v)
        return 0;
    if (!json_is_string(v))
        return bad(why, why_len, "not a string", "reason");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* s[n] continues a character: cut before that character */
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

static int parse_stream(json_t *root, struct tsn_reply *r, char *why, size_t why_len)
{
    json_t *s = json_object_get(root, "stream");
    if (!s || json_is_null(s))
        return 0;
    if (!json_is_object(s))
        return bad(why, why_len, "must be an object or null", "stream");
    r->stream_live = json_is_true(json_object_get(s, "live"));
    r->stream_json = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS);
    return r->stream_json ? 0 : bad(why, why_len, "out of memory", NULL);
}

static int parse_by_type(json_t *root, struct tsn_reply *r, char *why, size_t why_len)
{
    int rc = 0;
    switch (r->type) {
    case TSN_REPLY_WELCOME:
        rc = copy_opt(root, "room", r->room, sizeof r->room, why, why_len);
        if (rc == 0 && json_is_object(json_object_get(root, "you")))
            rc = copy_opt(json_object_get(root, "you"), "role", r->role, sizeof r->role, why,
                          why_len);
        return rc ? rc : parse_stream(root, r, why, why_len);
    case TSN_REPLY_STREAM:
        if (!json_is_object(json_object_get(root, "stream")))
            return bad(why, why_len, "missing object", "stream");
        return parse_stream(root, r, why, why_len);
    case TSN_REPLY_ANSWER: {
        json_t *sdp = json_object_get(root, "sdp");
        if (!json_is_string(sdp) || json_string_length(sdp) == 0)
            return bad(why, why_len, "missing string", "sdp");
        r->sdp = strdup(json_string_value(sdp));
        if (!r->sdp)
            return bad(why, why_len, "out of memory", NULL);
        return copy_opt(root, "session", r->session, sizeof r->session, why, why_len);
    }
    case TSN_REPLY_SESSION:
        if ((rc = copy_opt(root, "state", r->state, sizeof r->state, why, why_len)) != 0 ||
            (rc = copy_reason(root, r->reason, sizeof r->reason, why, why_len)) != 0)
            return rc;
        return copy_opt(root, "session", r->session, sizeof r->session, why, why_len);
    case TSN_REPLY_STOPPED:
        return copy_opt(root, "session", r->session, sizeof r->session, why, why_len);
    case TSN_REPLY_ERROR: {
        json_t *code = json_object_get(root, "code");
        if (!json_is_integer(code) || json_integer_value(code) < 100 ||
            json_integer_value(code) > 999)
            return bad(why, why_len, "missing or out of range", "code");
        r->code = (int)json_integer_value(code);
        if ((rc = copy_reason(root, r->reason, sizeof r->reason, why, why_len)) != 0)
            return rc;
        return copy_opt(root, "ref", r->ref_type, sizeof r->ref_type, why, why_len);
    }
    default:
        return 0;
    }
}

int tsn_reply_parse(const char *buf, size_t len, struct tsn_reply *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    out->id = -1;
    if (len > MAX_REPLY_BYTES)
        return bad(why, why_len, "message too large", NULL);
    json_error_t err;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return bad(why, why_len, "not JSON", err.text);
    int rc = 0;
    json_t *type = json_object_get(root, "type");
    if (!json_is_object(root) || !json_is_string(type)) {
        rc = bad(why, why_len, "not an object with a string", "type");
        goto out;
    }
    for (size_t i = 0; i < sizeof reply_types / sizeof reply_types[0]; i++)
        if (strcmp(json_string_value(type), reply_types[i].name) == 0)
            out->type = reply_types[i].type;
    json_t *id = json_object_get(root, "id");
    if (json_is_integer(id) && json_integer_value(id) >= 0)
        out->id = json_integer_value(id);
    rc = parse_by_type(root, out, why, why_len);
out:
    json_decref(root);
    if (rc)
        tsn_reply_clear(out);
    return rc;
}

static char *dump(json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

char *tsn_msg_join(const char *token)
{
    return dump(json_pack("{s:s, s:s}", "type", "join", "token", token));
}

char *tsn_msg_offer(const char *type, const char *sdp, const char *stream_json, int64_t id)
{
    json_t *o = json_pack("{s:s, s:s}", "type", type, "sdp", sdp);
    if (o && id >= 0)
        json_object_set_new(o, "id", json_integer(id));
    if (o && stream_json) {
        json_t *s = json_loads(stream_json, 0, NULL);
        if (!json_is_object(s)) {
            json_decref(s);
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, "stream", s);
    }
    return dump(o);
}

char *tsn_msg_stream(const char *stream_json)
{
    json_t *s = json_loads(stream_json, 0, NULL);
    if (!json_is_object(s)) {
        json_decref(s);
        return NULL;
    }
    return dump(json_pack("{s:s, s:o}", "type", "stream", "stream", s));
}

char *tsn_msg_ping(int64_t id)
{
    json_t *o = json_pack("{s:s}", "type", "ping");
    if (o && id >= 0)
        json_object_set_new(o, "id", json_integer(id));
    return dump(o);
}
