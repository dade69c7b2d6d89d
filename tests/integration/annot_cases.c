/* The invalid mode's catalogue (see annot_cases.h). The expected reasons are
 * the protocol's error table (docs/protocol.md, "Annotation errors" and
 * "WebSocket error codes and reasons"); where the table gives a reason
 * family ("must have N points for kind 'K'"), the substring is the part
 * every member shares. */
#include "annot_cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define A   TSN_ACASE_A
#define B   TSN_ACASE_B
#define OBS TSN_ACASE_OBSERVER

#define R_NOT_JSON  "message is not valid JSON"
#define R_ITEM      "field 'item' must be an object"
#define R_KIND      "field 'item.kind' must be one of arrow, line, caliper, ellipse, freehand, text"
#define R_POINTS    "field 'item.points"
#define R_PAIRS     "field 'item.points' must be an array of [x, y] pairs"
#define R_P0        "field 'item.points[0]' must be two finite numbers from 0 to 1"
#define R_P1        "field 'item.points[1]' must be two finite numbers from 0 to 1"
#define R_COUNT     "for kind '"
#define R_COLOR     "field 'item.color' must be '#rrggbb'"
#define R_TEXT      "field 'item.text' must be 1..200 characters without control characters"
#define R_TEXT_ONLY "field 'item.text' is only for kind 'text'"
#define R_MARK_ID   "field 'item' must be an annotation id"
#define R_CHAT      "field 'text' must be 1..1000 characters"
#define R_FROZEN    "field 'frozen' must be a boolean"
#define R_LABEL     "field 'label' must be 0..200 characters"
#define R_FRAME     "field 'frame_ms' must be a non-negative integer"
#define R_XY        "field 'x' and 'y' must be finite numbers from 0 to 1"
#define R_ROLE      "role 'observer' may not annotate or chat"
#define R_NO_MARK   "no such annotation"
#define R_NO_UNDO   "nothing of yours to undo"

#define LINE(pts)  "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":" pts "},\"id\":@ID}"
#define ITEM(body) "{\"type\":\"draw\",\"item\":{" body "},\"id\":@ID}"
#define P2         "[[0.1,0.2],[0.3,0.4]]"

static const struct tsn_acase table[] = {
    /* The message itself. */
    {A, "unknown type", "{\"type\":\"scribble\",\"id\":@ID}", 400, "unknown message type"},
    {A, "type not a string", "{\"type\":5,\"id\":@ID}", 400,
     "message must be a JSON object with a string 'type'"},
    {A, "message an array", "[\"draw\"]", 400, "message must be a JSON object"},
    {A, "truncated JSON", "{\"type\":\"draw\",\"item\":{\"kind\":\"arrow\"", 400, R_NOT_JSON},
    {A, "duplicate key",
     "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":" P2
     "},\"item\":{\"kind\":\"line\",\"points\":" P2 "},\"id\":@ID}",
     400, R_NOT_JSON},
    {A, "negative id", "{\"type\":\"undo\",\"id\":-1}", 400,
     "field 'id' must be a non-negative integer"},
    /* item */
    {A, "item a string", "{\"type\":\"draw\",\"item\":\"arrow\",\"id\":@ID}", 400, R_ITEM},
    {A, "item missing", "{\"type\":\"draw\",\"id\":@ID}", 400, R_ITEM},
    {A, "item an array", "{\"type\":\"draw\",\"item\":[[0.1,0.2],[0.3,0.4]],\"id\":@ID}", 400,
     R_ITEM},
    {A, "item null", "{\"type\":\"draw\",\"item\":null,\"id\":@ID}", 400, R_ITEM},
    {A, "kind a number", ITEM("\"kind\":3,\"points\":" P2), 400, R_KIND},
    {A, "kind unknown", ITEM("\"kind\":\"circle\",\"points\":" P2), 400, R_KIND},
    {A, "kind wrong case", ITEM("\"kind\":\"Arrow\",\"points\":" P2), 400, R_KIND},
    {A, "kind missing", ITEM("\"points\":" P2), 400, R_KIND},
    {A, "kind pointer", ITEM("\"kind\":\"pointer\",\"points\":" P2), 400, R_KIND},
    /* points: types */
    {A, "points a string", ITEM("\"kind\":\"line\",\"points\":\"[[0.1,0.2],[0.3,0.4]]\""), 400,
     R_PAIRS},
    {A, "points missing", ITEM("\"kind\":\"line\""), 400, R_PAIRS},
    {A, "points an object", ITEM("\"kind\":\"line\",\"points\":{\"x\":0.1,\"y\":0.2}"), 400,
     R_PAIRS},
    {A, "points flat", LINE("[0.1,0.2,0.3,0.4]"), 400, R_POINTS},
    {A, "point of one number", LINE("[[0.1],[0.3,0.4]]"), 400, R_POINTS},
    {A, "point of three numbers", LINE("[[0.1,0.2,0.5],[0.3,0.4]]"), 400, R_POINTS},
    {A, "point an object", LINE("[{\"x\":0.1,\"y\":0.2},[0.3,0.4]]"), 400, R_POINTS},
    {A, "x a string", LINE("[[\"0.1\",0.2],[0.3,0.4]]"), 400, R_P0},
    {A, "y null", LINE("[[0.1,0.2],[0.3,null]]"), 400, R_P1},
    {A, "x a boolean", LINE("[[true,0.2],[0.3,0.4]]"), 400, R_P0},
    {A, "x the string NaN", LINE("[[\"NaN\",0.2],[0.3,0.4]]"), 400, R_P0},
    /* points: values */
    {A, "x -0.1", LINE("[[-0.1,0.2],[0.3,0.4]]"), 400, R_P0},
    {A, "y 1.0001", LINE("[[0.1,0.2],[0.3,1.0001]]"), 400, R_P1},
    {A, "x 1e308", LINE("[[1e308,0.2],[0.3,0.4]]"), 400, R_P0},
    {A, "x 2 (integer)", LINE("[[2,0.2],[0.3,0.4]]"), 400, R_P0},
    {A, "x 1e309 (overflow)", LINE("[[1e309,0.2],[0.3,0.4]]"), 400, R_NOT_JSON},
    {A, "x NaN (bare)", LINE("[[NaN,0.2],[0.3,0.4]]"), 400, R_NOT_JSON},
    {A, "x Infinity (bare)", LINE("[[Infinity,0.2],[0.3,0.4]]"), 400, R_NOT_JSON},
    {A, "y -Infinity (bare)", LINE("[[0.1,-Infinity],[0.3,0.4]]"), 400, R_NOT_JSON},
    /* points: counts per kind */
    {A, "arrow of 3 points", ITEM("\"kind\":\"arrow\",\"points\":[[0.1,0.2],[0.3,0.4],[0.5,0.6]]"),
     400, R_COUNT},
    {A, "arrow of 0 points", ITEM("\"kind\":\"arrow\",\"points\":[]"), 400, R_POINTS},
    {A, "line of 1 point", LINE("[[0.1,0.2]]"), 400, R_COUNT},
    {A, "caliper of 3 points",
     ITEM("\"kind\":\"caliper\",\"points\":[[0.1,0.2],[0.3,0.4],[0.5,0.6]]"), 400, R_COUNT},
    {A, "ellipse of 1 point", ITEM("\"kind\":\"ellipse\",\"points\":[[0.1,0.2]]"), 400, R_COUNT},
    {A, "text of 2 points", ITEM("\"kind\":\"text\",\"points\":" P2 ",\"text\":\"hi\""), 400,
     R_COUNT},
    {A, "freehand of 1 point", ITEM("\"kind\":\"freehand\",\"points\":[[0.1,0.2]]"), 400, R_POINTS},
    {A, "freehand of 0 points", ITEM("\"kind\":\"freehand\",\"points\":[]"), 400, R_POINTS},
    /* colour */
    {A, "color red", ITEM("\"kind\":\"line\",\"points\":" P2 ",\"color\":\"red\""), 400, R_COLOR},
    {A, "color #12345", ITEM("\"kind\":\"line\",\"points\":" P2 ",\"color\":\"#12345\""), 400,
     R_COLOR},
    {A, "color #1234567", ITEM("\"kind\":\"line\",\"points\":" P2 ",\"color\":\"#1234567\""), 400,
     R_COLOR},
    {A, "color #gggggg", ITEM("\"kind\":\"line\",\"points\":" P2 ",\"color\":\"#gggggg\""), 400,
     R_COLOR},
    {A, "color without #", ITEM("\"kind\":\"line\",\"points\":" P2 ",\"color\":\"ff0000\""), 400,
     R_COLOR},
    {A, "color a number", ITEM("\"kind\":\"line\",\"points\":" P2 ",\"color\":16711680"), 400,
     R_COLOR},
    {A, "color empty", ITEM("\"kind\":\"line\",\"points\":" P2 ",\"color\":\"\""), 400, R_COLOR},
    /* text */
    {A, "text on an arrow", ITEM("\"kind\":\"arrow\",\"points\":" P2 ",\"text\":\"x\""), 400,
     R_TEXT_ONLY},
    {A, "text missing", ITEM("\"kind\":\"text\",\"points\":[[0.1,0.2]]"), 400, R_TEXT},
    {A, "text empty", ITEM("\"kind\":\"text\",\"points\":[[0.1,0.2]],\"text\":\"\""), 400, R_TEXT},
    {A, "text a number", ITEM("\"kind\":\"text\",\"points\":[[0.1,0.2]],\"text\":7"), 400, R_TEXT},
    {A, "text with U+0001", ITEM("\"kind\":\"text\",\"points\":[[0.1,0.2]],\"text\":\"a\\u0001b\""),
     400, R_TEXT},
    {A, "text with a newline", ITEM("\"kind\":\"text\",\"points\":[[0.1,0.2]],\"text\":\"a\\nb\""),
     400, R_TEXT},
    {A, "text with a tab", ITEM("\"kind\":\"text\",\"points\":[[0.1,0.2]],\"text\":\"a\\tb\""), 400,
     R_TEXT},
    {A, "text with U+007F", ITEM("\"kind\":\"text\",\"points\":[[0.1,0.2]],\"text\":\"a\\u007fb\""),
     400, R_TEXT},
    {A, "text with U+0085", ITEM("\"kind\":\"text\",\"points\":[[0.1,0.2]],\"text\":\"a\\u0085b\""),
     400, R_TEXT},
    {A, "text with NUL", ITEM("\"kind\":\"text\",\"points\":[[0.1,0.2]],\"text\":\"a\\u0000b\""),
     400, NULL},
    /* frame_ms */
    {A, "frame_ms -1",
     "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":" P2
     "},\"frame_ms\":-1,\"id\":@ID}",
     400, R_FRAME},
    {A, "frame_ms 1.5",
     "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":" P2
     "},\"frame_ms\":1.5,\"id\":@ID}",
     400, R_FRAME},
    {A, "frame_ms a string", "{\"type\":\"bookmark\",\"frame_ms\":\"123\",\"id\":@ID}", 400,
     R_FRAME},
    {A, "frame_ms on freeze -5", "{\"type\":\"freeze\",\"frozen\":true,\"frame_ms\":-5,\"id\":@ID}",
     400, R_FRAME},
    /* delete and undo */
    {A, "delete item a string", "{\"type\":\"delete\",\"item\":\"@MARK\",\"id\":@ID}", 400,
     R_MARK_ID},
    {A, "delete item missing", "{\"type\":\"delete\",\"id\":@ID}", 400, R_MARK_ID},
    {A, "delete item 1.5", "{\"type\":\"delete\",\"item\":1.5,\"id\":@ID}", 400, R_MARK_ID},
    {A, "delete item an object", "{\"type\":\"delete\",\"item\":{\"id\":@MARK},\"id\":@ID}", 400,
     R_MARK_ID},
    {A, "delete of an unknown id", "{\"type\":\"delete\",\"item\":999999,\"id\":@ID}", 404,
     R_NO_MARK},
    {A, "delete of a chat's seq", "{\"type\":\"delete\",\"item\":@CHATSEQ,\"id\":@ID}", 404,
     R_NO_MARK},
    {B, "undo with nothing of one's own", "{\"type\":\"undo\",\"id\":@ID}", 404, R_NO_UNDO},
    {B, "delete of an unknown id (B)", "{\"type\":\"delete\",\"item\":424242,\"id\":@ID}", 404,
     R_NO_MARK},
    /* chat, freeze, bookmark */
    {A, "chat text missing", "{\"type\":\"chat\",\"id\":@ID}", 400, R_CHAT},
    {A, "chat text empty", "{\"type\":\"chat\",\"text\":\"\",\"id\":@ID}", 400, R_CHAT},
    {A, "chat text a number", "{\"type\":\"chat\",\"text\":42,\"id\":@ID}", 400, R_CHAT},
    {A, "chat with U+0007", "{\"type\":\"chat\",\"text\":\"ding\\u0007\",\"id\":@ID}", 400, R_CHAT},
    {A, "chat with a CR", "{\"type\":\"chat\",\"text\":\"a\\rb\",\"id\":@ID}", 400, R_CHAT},
    {A, "chat with U+009B", "{\"type\":\"chat\",\"text\":\"a\\u009bb\",\"id\":@ID}", 400, R_CHAT},
    {A, "frozen a string", "{\"type\":\"freeze\",\"frozen\":\"yes\",\"id\":@ID}", 400, R_FROZEN},
    {A, "frozen missing", "{\"type\":\"freeze\",\"id\":@ID}", 400, R_FROZEN},
    {A, "frozen 1", "{\"type\":\"freeze\",\"frozen\":1,\"id\":@ID}", 400, R_FROZEN},
    {A, "label a number", "{\"type\":\"bookmark\",\"label\":5,\"id\":@ID}", 400, R_LABEL},
    {A, "label with U+0001", "{\"type\":\"bookmark\",\"label\":\"a\\u0001\",\"id\":@ID}", 400,
     R_LABEL},
    {A, "label with a newline", "{\"type\":\"bookmark\",\"label\":\"a\\nb\",\"id\":@ID}", 400,
     R_LABEL},
    /* pointer (no id: pointers never carry one) */
    {A, "pointer x a string", "{\"type\":\"pointer\",\"x\":\"0.5\",\"y\":0.5}", 400, R_XY},
    {A, "pointer x 1.5", "{\"type\":\"pointer\",\"x\":1.5,\"y\":0.5}", 400, R_XY},
    {A, "pointer y -0.01", "{\"type\":\"pointer\",\"x\":0.5,\"y\":-0.01}", 400, R_XY},
    {A, "pointer without x", "{\"type\":\"pointer\",\"y\":0.5}", 400, R_XY},
    {A, "pointer x NaN (bare)", "{\"type\":\"pointer\",\"x\":NaN,\"y\":0.5}", 400, R_NOT_JSON},
    /* an observer may not annotate or chat */
    {OBS, "observer draw", ITEM("\"kind\":\"arrow\",\"points\":" P2), 403, R_ROLE},
    {OBS, "observer delete", "{\"type\":\"delete\",\"item\":@MARK,\"id\":@ID}", 403, R_ROLE},
    {OBS, "observer undo", "{\"type\":\"undo\",\"id\":@ID}", 403, R_ROLE},
    {OBS, "observer clear", "{\"type\":\"clear\",\"id\":@ID}", 403, R_ROLE},
    {OBS, "observer chat", "{\"type\":\"chat\",\"text\":\"hello\",\"id\":@ID}", 403, R_ROLE},
    {OBS, "observer freeze", "{\"type\":\"freeze\",\"frozen\":true,\"id\":@ID}", 403, R_ROLE},
    {OBS, "observer bookmark", "{\"type\":\"bookmark\",\"label\":\"x\",\"id\":@ID}", 403, R_ROLE},
    {OBS, "observer pointer", "{\"type\":\"pointer\",\"x\":0.5,\"y\":0.5}", 403, R_ROLE},
    {OBS, "observer pointer hide", "{\"type\":\"pointer\",\"hide\":true}", 403, R_ROLE},
    /* valid messages at the edges, among the refusals: must be accepted */
    {A, "corners 0 and 1", ITEM("\"kind\":\"arrow\",\"points\":[[0,0],[1,1]]"), 0, NULL},
    {A, "reals 0.0 and 1.0", ITEM("\"kind\":\"caliper\",\"points\":[[0.0,1.0],[1.0,0.0]]"), 0,
     NULL},
    {A, "exponent forms", LINE("[[1e-1,2.5E-1],[5e-6,0.5]]"), 0, NULL},
    {A, "freehand of 2 points", ITEM("\"kind\":\"freehand\",\"points\":" P2), 0, NULL},
    {A, "unknown extra fields",
     "{\"type\":\"draw\",\"item\":{\"kind\":\"ellipse\",\"points\":" P2
     "},\"extra\":{\"a\":[1]},\"id\":@ID}",
     0, NULL},
    {A, "frame_ms 0",
     "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":" P2 "},\"frame_ms\":0,\"id\":@ID}",
     0, NULL},
    {A, "chat with newline and tab", "{\"type\":\"chat\",\"text\":\"one\\n\\ttwo\",\"id\":@ID}", 0,
     NULL},
    {A, "bookmark without label", "{\"type\":\"bookmark\",\"id\":@ID}", 0, NULL},
    {A, "bookmark with empty label", "{\"type\":\"bookmark\",\"label\":\"\",\"id\":@ID}", 0, NULL},
    {A, "freeze true", "{\"type\":\"freeze\",\"frozen\":true,\"id\":@ID}", 0, NULL},
    {A, "freeze false", "{\"type\":\"freeze\",\"frozen\":false,\"id\":@ID}", 0, NULL},
};

const struct tsn_acase *tsn_acase_table(size_t *n)
{
    *n = sizeof table / sizeof *table;
    return table;
}

char *tsn_acase_freehand(size_t n_points, long id)
{
    /* Written by hand: 2,001 points are quicker as text than as json_t. */
    size_t cap = 128 + n_points * 24;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t len = (size_t)snprintf(s, cap,
                                  "{\"type\":\"draw\",\"item\":{\"kind\":\"freehand\","
                                  "\"points\":[");
    for (size_t i = 0; i < n_points; i++) {
        double x = 0.1 + 0.8 * (double)i / (double)(n_points ? n_points : 1);
        double y = 0.5 + 0.3 * (double)((i * 7919) % 100) / 100.0 - 0.15;
        len += (size_t)snprintf(s + len, cap - len, "%s[%.5f,%.5f]", i ? "," : "", x, y);
    }
    snprintf(s + len, cap - len, "]},\"id\":%ld}", id);
    return s;
}

char *tsn_acase_long_text(const char *type, const char *unit, size_t n, long id)
{
    size_t ul = strlen(unit);
    char *t = malloc(ul * n + 1);
    json_t *o = NULL;
    if (!t)
        return NULL;
    for (size_t i = 0; i < n; i++)
        memcpy(t + i * ul, unit, ul);
    t[ul * n] = '\0';
    if (strcmp(type, "text") == 0)
        o = json_pack("{s:s, s:{s:s, s:[[f, f]], s:s}, s:I}", "type", "draw", "item", "kind",
                      "text", "points", 0.2, 0.3, "text", t, "id", (json_int_t)id);
    else if (strcmp(type, "chat") == 0)
        o = json_pack("{s:s, s:s, s:I}", "type", "chat", "text", t, "id", (json_int_t)id);
    else
        o = json_pack("{s:s, s:s, s:I}", "type", "bookmark", "label", t, "id", (json_int_t)id);
    free(t);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

char *tsn_acase_chat_of_size(size_t total_bytes, long id)
{
    char head[64];
    int hl = snprintf(head, sizeof head, "{\"type\":\"chat\",\"id\":%ld,\"text\":\"", id);
    const char *tail = "\"}";
    if (total_bytes < (size_t)hl + strlen(tail) + 1)
        return NULL;
    char *s = malloc(total_bytes + 1);
    if (!s)
        return NULL;
    memcpy(s, head, (size_t)hl);
    memset(s + hl, 'x', total_bytes - (size_t)hl - strlen(tail));
    memcpy(s + total_bytes - strlen(tail), tail, strlen(tail) + 1);
    return s;
}

char *tsn_acase_fill(const char *text, long id, long long mark, long long chat_seq)
{
    size_t cap = strlen(text) * 2 + 64, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (const char *p = text; *p;) {
        char num[32] = "";
        size_t skip = 0;
        if (strncmp(p, "@ID", 3) == 0) {
            snprintf(num, sizeof num, "%ld", id);
            skip = 3;
        } else if (strncmp(p, "@MARK", 5) == 0) {
            snprintf(num, sizeof num, "%lld", mark);
            skip = 5;
        } else if (strncmp(p, "@CHATSEQ", 8) == 0) {
            snprintf(num, sizeof num, "%lld", chat_seq);
            skip = 8;
        }
        if (skip) {
            size_t nl = strlen(num);
            memcpy(out + len, num, nl);
            len += nl;
            p += skip;
        } else {
            out[len++] = *p++;
        }
        if (len + 32 >= cap) {
            cap *= 2;
            char *b = realloc(out, cap);
            if (!b) {
                free(out);
                return NULL;
            }
            out = b;
        }
    }
    out[len] = '\0';
    return out;
}
