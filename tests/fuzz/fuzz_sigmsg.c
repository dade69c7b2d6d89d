/* Fuzz target for tsn_sig_parse (WebSocket signalling messages) and the
 * formatters fed with what it accepts.
 *
 * Invariants (abort on violation):
 *  - on error: -EBADMSG, the message is all zero, `why` is a non-empty string;
 *  - on success: the fields match the type (token / sdp / session / stream
 *    present exactly when the type has them, lengths, characters and
 *    stream metadata ranges as promised);
 *  - the accepted fields, written back as a client message with jansson,
 *    parse again to the same message;
 *  - every formatter given the parsed fields returns JSON that jansson reads
 *    back with the same strings and id. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jwt.h"
#include "sigmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_zero(const struct tsn_sig_msg *m)
{
    static const struct tsn_sig_msg zero;
    return memcmp(m, &zero, sizeof zero) == 0;
}

static int is_zero_meta(const struct tsn_stream_meta *s)
{
    static const struct tsn_stream_meta zero;
    return memcmp(s, &zero, sizeof zero) == 0;
}

static int in(double v, double lo, double hi)
{
    return v >= lo && v <= hi;
}

/* The documented ranges, and at least one field. */
static void check_stream(const struct tsn_stream_meta *s)
{
    if (!(s->has_probe || s->has_pixel_spacing || s->has_depth || s->has_width || s->has_height ||
          s->has_fps || s->has_codec || s->has_source))
        abort();
    if (s->has_probe) {
        size_t n = strlen(s->probe);
        if (n == 0 || n > TSN_STREAM_PROBE_MAX_BYTES)
            abort();
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s->probe[i] < 0x20 || s->probe[i] == 0x7f)
                abort();
    }
    if (s->has_pixel_spacing &&
        (!in(s->pixel_spacing_x_mm, 0.001, 10) || !in(s->pixel_spacing_y_mm, 0.001, 10)))
        abort();
    if ((s->has_depth && !in(s->depth_mm, 1, 500)) || (s->has_fps && !in(s->fps, 1, 240)))
        abort();
    if ((s->has_width && (s->width < 16 || s->width > 7680)) ||
        (s->has_height && (s->height < 16 || s->height > 4320)))
        abort();
    if ((s->has_codec && strcmp(tsn_stream_codec_name(s->codec), "unknown") == 0) ||
        (s->has_source && strcmp(tsn_stream_source_name(s->source), "unknown") == 0))
        abort();
}

static void check_fields(const struct tsn_sig_msg *m)
{
    int wants_token = m->type == TSN_SIG_JOIN;
    int wants_sdp = m->type == TSN_SIG_PUBLISH || m->type == TSN_SIG_SUBSCRIBE;
    if (m->type < TSN_SIG_JOIN || m->type > TSN_SIG_RECORD)
        abort();
    /* record_on is 0 or 1, and only a record message sets it. */
    if (m->record_on != 0 && (m->type != TSN_SIG_RECORD || m->record_on != 1))
        abort();
    /* Annotation messages: the op matches, coordinates are in range;
     * fuzz_annot_request checks their members in depth. */
    if (m->type >= TSN_SIG_DRAW && m->type <= TSN_SIG_POINTER) {
        if (m->annot.op != (enum tsn_annot_op)(m->type - TSN_SIG_DRAW + TSN_ANNOT_DRAW))
            abort();
        for (size_t i = 0; i < 2 * m->annot.n_points; i++)
            if (!(m->annot.xy[i] >= 0.0 && m->annot.xy[i] <= 1.0))
                abort();
    } else if (m->annot.op) {
        abort();
    }
    if (m->type == TSN_SIG_STREAM ? !m->has_stream : m->type != TSN_SIG_PUBLISH && m->has_stream)
        abort();
    if (m->has_stream)
        check_stream(&m->stream);
    else if (!is_zero_meta(&m->stream))
        abort();
    if (wants_token != (m->token != NULL) || wants_sdp != (m->sdp != NULL))
        abort();
    if (m->token && (strlen(m->token) == 0 || strlen(m->token) > TSN_JWT_MAX_TOKEN))
        abort();
    if (m->sdp && (m->sdp_len == 0 || strlen(m->sdp) != m->sdp_len))
        abort();
    if (m->type == TSN_SIG_STOP &&
        (strlen(m->session) != 32 || strspn(m->session, "0123456789abcdef") != 32))
        abort();
    if (m->type != TSN_SIG_STOP && m->session[0])
        abort();
    if (m->has_id ? m->id < 0 : m->id != 0)
        abort();
}

/* Writes the message back as JSON and parses it again: same message. */
static void check_reparse(const struct tsn_sig_msg *m)
{
    if (m->type >= TSN_SIG_DRAW)
        return; /* their members are re-checked by fuzz_annot_request */
    json_t *o = json_pack("{s:s}", "type", tsn_sig_type_name(m->type));
    if (!o)
        abort();
    if (m->has_id)
        json_object_set_new(o, "id", json_integer(m->id));
    if (m->token)
        json_object_set_new(o, "token", json_string(m->token));
    if (m->sdp)
        json_object_set_new(o, "sdp", json_stringn(m->sdp, m->sdp_len));
    if (m->type == TSN_SIG_STOP)
        json_object_set_new(o, "session", json_string(m->session));
    if (m->has_stream) {
        json_t *st = tsn_stream_meta_to_json(&m->stream, -1);
        if (!st)
            abort();
        json_object_set_new(o, "stream", st);
    }
    char *text = json_dumps(o, TSN_STREAM_JSON_FLAGS);
    json_decref(o);
    if (!text)
        abort();
    struct tsn_sig_msg again;
    char why[128];
    /* Re-encoding may grow the text (escapes), past the size limit only if
     * the original was close to it. */
    size_t len = strlen(text);
    int rc = tsn_sig_parse(text, len, &again, why, sizeof why);
    free(text);
    if (rc != 0) {
        if (len > TSN_SIG_MAX_MESSAGE)
            return;
        abort();
    }
    if (again.type != m->type || again.has_id != m->has_id || again.id != m->id ||
        again.sdp_len != m->sdp_len || strcmp(again.session, m->session) != 0 ||
        (m->token && strcmp(again.token, m->token) != 0) ||
        (m->sdp && memcmp(again.sdp, m->sdp, m->sdp_len) != 0) ||
        again.has_stream != m->has_stream || !tsn_stream_meta_equal(&again.stream, &m->stream))
        abort();
    tsn_sig_msg_clear(&again);
}

/* Parses formatter output (freeing it) and checks one string field and the id. */
static void check_output(char *text, const char *key, const char *want, int64_t id)
{
    if (!text)
        abort(); /* the inputs are valid UTF-8 strings: formatting cannot fail */
    json_error_t err;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    free(text);
    if (!j || !json_is_object(j))
        abort();
    const char *got = json_string_value(json_object_get(j, key));
    if (!got || strcmp(got, want) != 0)
        abort();
    json_t *jid = json_object_get(j, "id");
    if (id >= 0 ? !json_is_integer(jid) || json_integer_value(jid) != id : jid != NULL)
        abort();
    json_decref(j);
}

/* A "stream" message carries the same metadata back, and "live". */
static void check_stream_output(char *text, const struct tsn_stream_meta *want)
{
    if (!text)
        abort();
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    free(text);
    json_t *st = json_object_get(j, "stream");
    struct tsn_stream_meta got;
    char why[128];
    if (!json_is_false(json_object_get(st, "live")) ||
        tsn_stream_meta_from_json(st, "stream", &got, why, sizeof why) != 0 ||
        !tsn_stream_meta_equal(&got, want))
        abort();
    json_decref(j);
}

static void exercise_formatters(const struct tsn_sig_msg *m)
{
    static const char session[] = "00112233445566778899aabbccddeeff";
    int64_t id = m->has_id ? m->id : -1;
    const char *sid = m->type == TSN_SIG_STOP ? m->session : session;
    /* Client-supplied text ends up in these as reason or SDP. */
    const char *text = m->token ? m->token : m->sdp ? m->sdp : tsn_sig_type_name(m->type);

    check_output(tsn_sig_answer(sid, text, id), "sdp", text, id);
    check_output(tsn_sig_error(400, text, tsn_sig_type_name(m->type), id), "reason", text, id);
    check_output(tsn_sig_stopped(sid, id), "session", sid, id);
    check_output(tsn_sig_pong(id), "type", "pong", id);
    check_output(tsn_sig_session_state(sid, "closed", text), "reason", text, -1);
    struct tsn_sig_participants people = {.count = 0};
    tsn_sig_participants_add(&people, text, "clinician", NULL);
    check_output(tsn_sig_welcome("room", text, "observer", NULL, 0, NULL, id), "room", "room", id);
    check_output(tsn_sig_presence(&people), "type", "presence", -1);
    if (m->has_stream) {
        check_output(tsn_sig_welcome("room", text, "observer", &m->stream, 1, &people, id), "room",
                     "room", id);
        check_stream_output(tsn_sig_stream(&m->stream, 0, id), &m->stream);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tsn_sig_msg m;
    char why[128];
    memset(why, 'X', sizeof why);
    int rc = tsn_sig_parse((const char *)data, size, &m, why, sizeof why);
    if (rc != 0) {
        if (rc != -EBADMSG || !is_zero(&m) || why[0] == '\0' || !memchr(why, '\0', sizeof why))
            abort();
        return 0;
    }
    check_fields(&m);
    check_reparse(&m);
    exercise_formatters(&m);
    tsn_sig_msg_clear(&m);
    if (!is_zero(&m))
        abort();
    return 0;
}
