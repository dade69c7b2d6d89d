/* WebSocket signalling message parsing and formatting (jansson). */
#include "sigmsg.h"

#include "jwt.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    enum tsn_sig_type type;
} types[] = {
    {"join", TSN_SIG_JOIN},         {"publish", TSN_SIG_PUBLISH}, {"subscribe", TSN_SIG_SUBSCRIBE},
    {"stop", TSN_SIG_STOP},         {"ping", TSN_SIG_PING},       {"stream", TSN_SIG_STREAM},
    {"draw", TSN_SIG_DRAW},         {"delete", TSN_SIG_DELETE},   {"undo", TSN_SIG_UNDO},
    {"clear", TSN_SIG_CLEAR},       {"chat", TSN_SIG_CHAT},       {"freeze", TSN_SIG_FREEZE},
    {"bookmark", TSN_SIG_BOOKMARK}, {"pointer", TSN_SIG_POINTER}, {"record", TSN_SIG_RECORD},
};

/* The annotation op of each annotation message type. */
static enum tsn_annot_op annot_op(enum tsn_sig_type t)
{
    switch (t) {
    case TSN_SIG_DRAW:
        return TSN_ANNOT_DRAW;
    case TSN_SIG_DELETE:
        return TSN_ANNOT_DELETE;
    case TSN_SIG_UNDO:
        return TSN_ANNOT_UNDO;
    case TSN_SIG_CLEAR:
        return TSN_ANNOT_CLEAR;
    case TSN_SIG_CHAT:
        return TSN_ANNOT_CHAT;
    case TSN_SIG_FREEZE:
        return TSN_ANNOT_FREEZE;
    case TSN_SIG_BOOKMARK:
        return TSN_ANNOT_BOOKMARK;
    case TSN_SIG_POINTER:
        return TSN_ANNOT_POINTER;
    default:
        return 0;
    }
}

const char *tsn_sig_type_name(enum tsn_sig_type t)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].type == t)
            return types[i].name;
    return "unknown";
}

void tsn_sig_msg_clear(struct tsn_sig_msg *m)
{
    free(m->token);
    free(m->sdp);
    tsn_annot_req_clear(&m->annot);
    memset(m, 0, sizeof *m);
}

static int fail(char *why, size_t why_len, const char *reason)
{
    snprintf(why, why_len, "%s", reason);
    return -EBADMSG;
}

/* Copies a required string field of at most `max` bytes without NULs. */
static int take_string(json_t *root, const char *key, size_t max, char **out, size_t *out_len,
                       char *why, size_t why_len)
{
    json_t *v = json_object_get(root, key);
    if (!json_is_string(v)) {
        snprintf(why, why_len, "field '%s' must be a string", key);
        return -EBADMSG;
    }
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n == 0 || n > max || memchr(s, '\0', n)) {
        snprintf(why, why_len, "field '%s' is empty, too long or has a NUL byte", key);
        return -EBADMSG;
    }
    *out = malloc(n + 1);
    if (!*out)
        return fail(why, why_len, "out of memory");
    memcpy(*out, s, n + 1);
    if (out_len)
        *out_len = n;
    return 0;
}

/* The "stream" member: required for STREAM, optional for PUBLISH. */
static int take_stream(json_t *root, int required, struct tsn_sig_msg *m, char *why, size_t why_len)
{
    json_t *v = json_object_get(root, "stream");
    if (!v && !required)
        return 0;
    if (!v)
        return fail(why, why_len, "field 'stream' must be an object");
    int rc = tsn_stream_meta_from_json(v, "stream", &m->stream, why, why_len);
    m->has_stream = rc == 0;
    return rc;
}

static int parse_fields(json_t *root, struct tsn_sig_msg *m, char *why, size_t why_len)
{
    json_t *id = json_object_get(root, "id");
    if (id) {
        if (!json_is_integer(id) || json_integer_value(id) < 0)
            return fail(why, why_len, "field 'id' must be a non-negative integer");
        m->has_id = 1;
        m->id = json_integer_value(id);
    }
    switch (m->type) {
    case TSN_SIG_JOIN:
        return take_string(root, "token", TSN_JWT_MAX_TOKEN, &m->token, NULL, why, why_len);
    case TSN_SIG_PUBLISH:
        if (take_string(root, "sdp", TSN_SIG_MAX_MESSAGE, &m->sdp, &m->sdp_len, why, why_len))
            return -EBADMSG;
        return take_stream(root, 0, m, why, why_len);
    case TSN_SIG_SUBSCRIBE:
        return take_string(root, "sdp", TSN_SIG_MAX_MESSAGE, &m->sdp, &m->sdp_len, why, why_len);
    case TSN_SIG_STREAM:
        return take_stream(root, 1, m, why, why_len);
    case TSN_SIG_STOP: {
        json_t *s = json_object_get(root, "session");
        const char *v = json_string_value(s);
        if (!v || strlen(v) != 32 || strspn(v, "0123456789abcdef") != 32)
            return fail(why, why_len, "field 'session' must be a 32-character session id");
        memcpy(m->session, v, 33);
        return 0;
    }
    case TSN_SIG_PING:
        return 0;
    case TSN_SIG_DRAW:
    case TSN_SIG_DELETE:
    case TSN_SIG_UNDO:
    case TSN_SIG_CLEAR:
    case TSN_SIG_CHAT:
    case TSN_SIG_FREEZE:
    case TSN_SIG_BOOKMARK:
    case TSN_SIG_POINTER:
        return tsn_annot_req_from_json(root, annot_op(m->type), &m->annot, why, why_len);
    case TSN_SIG_RECORD: {
        json_t *on = json_object_get(root, "on");
        if (!json_is_boolean(on))
            return fail(why, why_len, "field 'on' must be true or false");
        m->record_on = json_is_true(on);
        return 0;
    }
    }
    return fail(why, why_len, "unknown message type");
}

int tsn_sig_parse(const char *buf, size_t len, struct tsn_sig_msg *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    if (len > TSN_SIG_MAX_MESSAGE)
        return fail(why, why_len, "message too large");
    json_error_t err;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return fail(why, why_len, "message is not valid JSON");
    int rc = -EBADMSG;
    const char *type = json_string_value(json_object_get(root, "type"));
    if (!json_is_object(root) || !type) {
        fail(why, why_len, "message must be a JSON object with a string 'type'");
        goto out;
    }
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].name, type) == 0)
            out->type = types[i].type;
    if (!out->type) {
        fail(why, why_len, "unknown message type");
        goto out;
    }
    rc = parse_fields(root, out, why, why_len);
out:
    json_decref(root);
    if (rc)
        tsn_sig_msg_clear(out);
    return rc;
}

int tsn_sig_peek(const char *buf, size_t len, enum tsn_sig_type *type, int64_t *id)
{
    *type = 0;
    *id = -1;
    if (len > TSN_SIG_MAX_MESSAGE)
        return -EBADMSG;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
    const char *name = json_string_value(json_object_get(root, "type"));
    for (size_t i = 0; name && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].name, name) == 0)
            *type = types[i].type;
    json_t *v = json_object_get(root, "id");
    if (*type && json_is_integer(v) && json_integer_value(v) >= 0)
        *id = json_integer_value(v);
    json_decref(root);
    return *type ? 0 : -EBADMSG;
}

static char *dump(json_t *o, int64_t id)
{
    if (!o)
        return NULL;
    if (id >= 0)
        json_object_set_new(o, "id", json_integer(id));
    char *s = json_dumps(o, TSN_STREAM_JSON_FLAGS);
    json_decref(o);
    return s;
}

/* The metadata object with "live", or JSON null. */
static json_t *stream_json(const struct tsn_stream_meta *stream, int live)
{
    return stream ? tsn_stream_meta_to_json(stream, live ? 1 : 0) : json_null();
}

void tsn_sig_participants_add(struct tsn_sig_participants *p, const char *sub, const char *role,
                              const char *color)
{
    if (p->count < TSN_SIG_MAX_PARTICIPANTS) {
        p->list[p->count].sub = sub;
        p->list[p->count].role = role;
        p->list[p->count].color = color;
        p->count++;
    } else {
        p->more++;
    }
}

/* Adds "participants" (and "more" when non-zero) to `o`, which it consumes
 * on failure. Returns `o` or NULL. */
static json_t *add_participants(json_t *o, const struct tsn_sig_participants *people)
{
    if (!o)
        return NULL;
    /* set_new takes the array even when it fails. */
    if (json_object_set_new(o, "participants", json_array()) != 0) {
        json_decref(o);
        return NULL;
    }
    json_t *arr = json_object_get(o, "participants");
    size_t n = people ? people->count : 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e =
            json_pack("{s:s, s:s}", "sub", people->list[i].sub, "role", people->list[i].role);
        if (e && people->list[i].color &&
            json_object_set_new(e, "color", json_string(people->list[i].color)) != 0) {
            json_decref(e);
            e = NULL;
        }
        if (!e || json_array_append_new(arr, e) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    if (people && people->more &&
        json_object_set_new(o, "more", json_integer((json_int_t)people->more)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

char *tsn_sig_welcome(const char *room, const char *sub, const char *role,
                      const struct tsn_stream_meta *stream, int live,
                      const struct tsn_sig_participants *people, int64_t id)
{
    json_t *o = json_pack("{s:s, s:i, s:s, s:{s:s, s:s}, s:o}", "type", "welcome", "protocol",
                          TSN_SIG_PROTOCOL, "room", room, "you", "sub", sub, "role", role, "stream",
                          stream_json(stream, live));
    return dump(add_participants(o, people), id);
}

char *tsn_sig_presence(const struct tsn_sig_participants *people)
{
    return dump(add_participants(json_pack("{s:s}", "type", "presence"), people), -1);
}

char *tsn_sig_stream(const struct tsn_stream_meta *stream, int live, int64_t id)
{
    return dump(json_pack("{s:s, s:o}", "type", "stream", "stream", stream_json(stream, live)), id);
}

char *tsn_sig_answer(const char *session, const char *sdp, int64_t id)
{
    return dump(json_pack("{s:s, s:s, s:s}", "type", "answer", "session", session, "sdp", sdp), id);
}

char *tsn_sig_session_state(const char *session, const char *state, const char *reason)
{
    return dump(json_pack("{s:s, s:s, s:s, s:s}", "type", "session", "session", session, "state",
                          state, "reason", reason ? reason : ""),
                -1);
}

char *tsn_sig_stopped(const char *session, int64_t id)
{
    return dump(json_pack("{s:s, s:s}", "type", "stopped", "session", session), id);
}

char *tsn_sig_pong(int64_t id)
{
    return dump(json_pack("{s:s}", "type", "pong"), id);
}

char *tsn_sig_error(int code, const char *reason, const char *ref_type, int64_t id)
{
    return dump(json_pack("{s:s, s:i, s:s, s:s}", "type", "error", "code", code, "reason", reason,
                          "ref", ref_type ? ref_type : ""),
                id);
}

char *tsn_sig_pointer(const char *from, const char *color, const struct tsn_annot_req *req,
                      int64_t time_ms)
{
    json_t *o = req->hide ? json_pack("{s:s, s:s, s:s, s:b, s:I}", "type", "pointer", "from", from,
                                      "color", color, "hide", 1, "time", (json_int_t)time_ms)
                          : json_pack("{s:s, s:s, s:s, s:f, s:f, s:I}", "type", "pointer", "from",
                                      from, "color", color, "x", req->x, "y", req->y, "time",
                                      (json_int_t)time_ms);
    return dump(o, -1);
}

char *tsn_sig_dump(const json_t *o, int64_t id)
{
    /* A shallow copy takes the id, so the caller's object (sent to the rest
     * of the room next) never carries the sender's id. */
    return dump(id >= 0 ? json_copy((json_t *)o) : json_incref((json_t *)o), id);
}
