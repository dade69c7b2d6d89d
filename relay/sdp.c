/* SDP offer parser and ICE-lite answer builder for WebRTC (RFC 8866, JSEP
 * RFC 8829, BUNDLE RFC 8843, ICE SDP RFC 8839, DTLS RFC 8842/8122).
 *
 * The parser walks the caller's text line by line without copying it and
 * without relying on a terminating NUL; every value it keeps is copied into a
 * fixed field of struct tsn_sdp after its length was checked. A value that
 * does not fit is refused with a reason, never truncated, because truncated
 * fmtp or ICE credentials would be echoed or used wrongly later. Reasons name
 * the line and quote at most 32 bytes of the offending text, with control and
 * non-ASCII bytes replaced by '?', so they are safe to log and to return in
 * an HTTP error body.
 *
 * It does not check c= lines, bandwidth, candidates (ICE-lite learns the
 * peer's address from its checks), simulcast (a=rid/a=simulcast) or
 * session-level a=extmap. No allocation, no I/O, no globals. */
#include "sdp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_PT    127
#define QUOTE_MAX 32 /* bytes of offending text quoted in a reason */

/* Sizes of struct tsn_sdp_media fields, so session-level copies match. */
#define MEDIA_FIELD_SIZE(f) sizeof(((struct tsn_sdp_media *)0)->f)
#define UFRAG_CAP           MEDIA_FIELD_SIZE(ice_ufrag)
#define PWD_CAP             MEDIA_FIELD_SIZE(ice_pwd)
#define FP_ALG_CAP          MEDIA_FIELD_SIZE(fingerprint_alg)
#define FP_CAP              MEDIA_FIELD_SIZE(fingerprint)
_Static_assert(UFRAG_CAP > 256 && PWD_CAP > 256, "ICE fields must hold RFC 8839's 256 chars");
_Static_assert(FP_CAP > 64 * 3 - 1, "the fingerprint field must hold a sha-512 digest");

/* A view into the caller's text: not NUL-terminated. */
struct span {
    const char *p;
    size_t n;
};

#define SPAN_FMT    "'%.*s'"
#define SPAN_ARG(s) (int)((s).n > QUOTE_MAX ? QUOTE_MAX : (s).n), (s).p

struct line_iter {
    const char *text;
    size_t len;
    size_t pos;
    unsigned line_no; /* of the line last returned, 1-based */
};

/* Pointers to the ICE/DTLS fields of one level (session or m-section). */
struct transport_ref {
    char *ufrag, *pwd, *fp_alg, *fp;
    enum tsn_sdp_setup *setup;
};

/* Session-level ICE/DTLS values, inherited by m-sections without their own. */
struct session_transport {
    char ufrag[UFRAG_CAP];
    char pwd[PWD_CAP];
    char fp_alg[FP_ALG_CAP];
    char fp[FP_CAP];
    enum tsn_sdp_setup setup;
};

struct parser {
    struct tsn_sdp *out;
    struct tsn_sdp_media *m; /* current m-section; NULL at session level */
    const struct line_iter *it;
    unsigned line_no;
    char *why;
    size_t why_len;
    uint8_t seen_v, seen_o, sess_dir_set;
    enum tsn_sdp_dir sess_dir;
    struct session_transport sess;
    uint8_t dir_set[TSN_SDP_MAX_MEDIA];
    unsigned m_line[TSN_SDP_MAX_MEDIA];
    unsigned bundle_line;
};

/* ---- small helpers ---------------------------------------------------- */

static void sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            *s = '?';
}

static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes "line N: <reason>" into why and returns -EBADMSG. */
static int fail(struct parser *ps, const char *fmt, ...)
{
    if (ps->why && ps->why_len) {
        int n = snprintf(ps->why, ps->why_len, "line %u: ", ps->line_no);
        if (n >= 0 && (size_t)n < ps->why_len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(ps->why + n, ps->why_len - (size_t)n, fmt, ap);
            va_end(ap);
        }
        sanitize(ps->why);
    }
    return -EBADMSG;
}

static int next_line(struct line_iter *it, struct span *line)
{
    if (it->pos >= it->len)
        return 0;
    const char *start = it->text + it->pos;
    const char *nl = memchr(start, '\n', it->len - it->pos);
    size_t n = nl ? (size_t)(nl - start) : it->len - it->pos;
    it->pos += n + (nl ? 1 : 0);
    it->line_no++;
    if (n > 0 && start[n - 1] == '\r')
        n--;
    line->p = start;
    line->n = n;
    return 1;
}

static int span_eq(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static int span_starts(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n >= n && memcmp(s.p, lit, n) == 0;
}

static int span_caseeq(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

/* Takes the next space-separated token off the front of s; 0 if none. */
static int next_token(struct span *s, struct span *tok)
{
    while (s->n && s->p[0] == ' ') {
        s->p++;
        s->n--;
    }
    if (!s->n)
        return 0;
    const char *sp = memchr(s->p, ' ', s->n);
    tok->p = s->p;
    tok->n = sp ? (size_t)(sp - s->p) : s->n;
    s->p += tok->n;
    s->n -= tok->n;
    return 1;
}

/* Splits s at the first `sep`: head before it, s after it (empty if absent). */
static struct span cut(struct span *s, char sep, int *found)
{
    const char *at = memchr(s->p, sep, s->n);
    struct span head = {s->p, at ? (size_t)(at - s->p) : s->n};
    *found = at != NULL;
    s->p += head.n + (at ? 1 : 0);
    s->n -= head.n + (at ? 1 : 0);
    return head;
}

/* Decimal digits only (no sign, no space), value <= max. */
static int parse_u64(struct span s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (s.n == 0 || s.n > 20)
        return -1;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        unsigned d = (unsigned)(s.p[i] - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Copies s into dst (cap bytes with the NUL); -1 if it does not fit. */
static int copy_span(char *dst, size_t cap, struct span s)
{
    if (s.n >= cap)
        return -1;
    memcpy(dst, s.p, s.n);
    dst[s.n] = '\0';
    return 0;
}

/* RFC 8866 token characters (used for mid, media type, proto, fmt). */
static int is_token(struct span s)
{
    static const char extra[] = "!#$%&'*+-./^_`{|}~";
    if (!s.n)
        return 0;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        int alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && !memchr(extra, c, sizeof extra - 1))
            return 0;
    }
    return 1;
}

/* Finds `key` in "k=v;k=v" fmtp parameters (key case-insensitive). */
static int fmtp_param(struct span params, const char *key, struct span *val)
{
    while (params.n) {
        int found;
        struct span item = cut(&params, ';', &found);
        while (item.n && item.p[0] == ' ') {
            item.p++;
            item.n--;
        }
        struct span k = cut(&item, '=', &found);
        if (found && span_caseeq(k, key)) {
            while (item.n && item.p[item.n - 1] == ' ')
                item.n--;
            *val = item;
            return 0;
        }
    }
    return -1;
}

static struct span cstr(const char *s)
{
    struct span sp = {s, strlen(s)};
    return sp;
}

static int is_wanted_codec(struct span name)
{
    return span_caseeq(name, "H264") || span_caseeq(name, "VP8");
}

static struct tsn_sdp_codec *find_codec(struct tsn_sdp_media *m, unsigned pt)
{
    for (size_t i = 0; i < m->n_codecs; i++)
        if (m->codecs[i].pt == pt)
            return &m->codecs[i];
    return NULL;
}

/* ---- m= line ------------------------------------------------------------ */

/* When an m= line lists more payload types than fit, looks ahead through its
 * section for rtpmap names and rtx apt= values and marks which to keep
 * (keep_pt[pt] = 1): H.264/VP8, then their rtx, then the rest in order.
 * Malformed lines are skipped here; the main pass reports them. */
static void choose_kept(struct line_iter la, const uint8_t *pts, size_t n, uint8_t *keep_pt)
{
    uint8_t wanted[MAX_PT + 1] = {0};
    int apt[MAX_PT + 1];
    struct span line, tok, v;
    uint64_t pt, a;
    size_t kept = 0;
    int found;

    for (size_t i = 0; i <= MAX_PT; i++)
        apt[i] = -1;
    while (next_line(&la, &line) && !span_starts(line, "m=")) {
        int rtpmap = span_starts(line, "a=rtpmap:"), fmtp = span_starts(line, "a=fmtp:");
        if (!rtpmap && !fmtp)
            continue;
        line.p += rtpmap ? 9 : 7;
        line.n -= rtpmap ? 9 : 7;
        if (!next_token(&line, &tok) || parse_u64(tok, MAX_PT, &pt) != 0)
            continue;
        if (rtpmap && next_token(&line, &tok))
            wanted[pt] = (uint8_t)is_wanted_codec(cut(&tok, '/', &found));
        if (fmtp && fmtp_param(line, "apt", &v) == 0 && parse_u64(v, MAX_PT, &a) == 0)
            apt[pt] = (int)a;
    }
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < n && kept < TSN_SDP_MAX_CODECS; i++) {
            uint8_t p = pts[i];
            int take = pass == 2 || (pass == 0 && wanted[p]) ||
                       (pass == 1 && apt[p] >= 0 && keep_pt[apt[p]]);
            if (take && !keep_pt[p]) {
                keep_pt[p] = 1;
                kept++;
            }
        }
    }
}

static int parse_formats(struct parser *ps, struct span fmts)
{
    struct tsn_sdp_media *m = ps->m;
    uint8_t pts[MAX_PT + 1], listed[MAX_PT + 1] = {0}, keep_pt[MAX_PT + 1] = {0};
    size_t n = 0;
    struct span tok;
    uint64_t v;

    while (next_token(&fmts, &tok)) {
        if (parse_u64(tok, MAX_PT, &v) != 0)
            return fail(ps, "payload type " SPAN_FMT " is not a number 0..127", SPAN_ARG(tok));
        if (listed[v])
            return fail(ps, "payload type %u is listed twice", (unsigned)v);
        listed[v] = 1;
        pts[n++] = (uint8_t)v;
    }
    if (n > TSN_SDP_MAX_CODECS)
        choose_kept(*ps->it, pts, n, keep_pt);
    for (size_t i = 0; i < n; i++) {
        if (n > TSN_SDP_MAX_CODECS && !keep_pt[pts[i]])
            continue;
        struct tsn_sdp_codec *c = &m->codecs[m->n_codecs++];
        c->pt = pts[i];
        c->apt = -1;
    }
    return 0;
}

static int parse_m(struct parser *ps, struct span v)
{
    struct tsn_sdp *out = ps->out;
    struct span type, port, proto, fmt;
    uint64_t port_v;

    if (!ps->seen_o)
        return fail(ps, "m= line before the o= line");
    if (out->n_media == TSN_SDP_MAX_MEDIA)
        return fail(ps, "more than %d m-sections", TSN_SDP_MAX_MEDIA);
    ps->m_line[out->n_media] = ps->line_no;
    ps->m = &out->media[out->n_media++];
    memset(ps->m, 0, sizeof *ps->m);
    if (!next_token(&v, &type) || !next_token(&v, &port) || !next_token(&v, &proto))
        return fail(ps, "m= needs <media> <port> <proto> <fmt>...");
    if (!is_token(type) || copy_span(ps->m->type, sizeof ps->m->type, type) != 0)
        return fail(ps, "media type " SPAN_FMT " is not a token of at most %zu bytes",
                    SPAN_ARG(type), sizeof ps->m->type - 1);
    if (memchr(port.p, '/', port.n))
        return fail(ps, "port ranges (" SPAN_FMT ") are not supported", SPAN_ARG(port));
    if (parse_u64(port, 65535, &port_v) != 0)
        return fail(ps, "port " SPAN_FMT " is not a number 0..65535", SPAN_ARG(port));
    ps->m->port = (uint16_t)port_v;
    if (!is_token(proto) || copy_span(ps->m->proto, sizeof ps->m->proto, proto) != 0)
        return fail(ps, "proto " SPAN_FMT " is not a token of at most %zu bytes", SPAN_ARG(proto),
                    sizeof ps->m->proto - 1);
    struct span fmts = v;
    if (!next_token(&v, &fmt))
        return fail(ps, "m= line has no <fmt>");
    if (!is_token(fmt) || copy_span(ps->m->first_fmt, sizeof ps->m->first_fmt, fmt) != 0)
        return fail(ps, "format " SPAN_FMT " is not a token of at most %zu bytes", SPAN_ARG(fmt),
                    sizeof ps->m->first_fmt - 1);
    /* Only RTP profiles carry payload type numbers (SCTP has "webrtc-datachannel"). */
    if (!strstr(ps->m->proto, "RTP/"))
        return 0;
    return parse_formats(ps, fmts);
}

/* ---- transport attributes (session or media level) -------------------- */

static struct transport_ref transport_of(struct parser *ps)
{
    struct transport_ref t;
    if (ps->m) {
        t.ufrag = ps->m->ice_ufrag;
        t.pwd = ps->m->ice_pwd;
        t.fp_alg = ps->m->fingerprint_alg;
        t.fp = ps->m->fingerprint;
        t.setup = &ps->m->setup;
    } else {
        t.ufrag = ps->sess.ufrag;
        t.pwd = ps->sess.pwd;
        t.fp_alg = ps->sess.fp_alg;
        t.fp = ps->sess.fp;
        t.setup = &ps->sess.setup;
    }
    return t;
}

/* RFC 8839: ice-char = ALPHA / DIGIT / "+" / "/". */
static int ice_value(struct parser *ps, struct span v, const char *what, size_t min, char *dst)
{
    if (dst[0])
        return fail(ps, "second a=%s at this level", what);
    if (v.n < min || v.n > 256)
        return fail(ps, "a=%s must be %zu to 256 characters, got %zu", what, min, v.n);
    for (size_t i = 0; i < v.n; i++) {
        char c = v.p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '+' || c == '/'))
            return fail(ps, "a=%s has '%c' at character %zu; allowed are A-Z a-z 0-9 + /", what, c,
                        i + 1);
    }
    memcpy(dst, v.p, v.n);
    dst[v.n] = '\0';
    return 0;
}

static int at_ice_ufrag(struct parser *ps, struct span v)
{
    return ice_value(ps, v, "ice-ufrag", 4, transport_of(ps).ufrag);
}

static int at_ice_pwd(struct parser *ps, struct span v)
{
    return ice_value(ps, v, "ice-pwd", 22, transport_of(ps).pwd);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* RFC 8122 hash functions with their digest sizes; others are ignored. */
static int digest_bytes(const char *alg)
{
    static const struct {
        const char *name;
        int bytes;
    } algs[] = {{"sha-1", 20}, {"sha-224", 28}, {"sha-256", 32}, {"sha-384", 48}, {"sha-512", 64}};
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
        if (strcmp(alg, algs[i].name) == 0)
            return algs[i].bytes;
    return 0;
}

static int at_fingerprint(struct parser *ps, struct span v)
{
    struct transport_ref t = transport_of(ps);
    struct span alg_s, hex;
    char alg[FP_ALG_CAP], fp[FP_CAP];
    size_t bytes = 0, i = 0;

    if (!next_token(&v, &alg_s) || !next_token(&v, &hex))
        return fail(ps, "a=fingerprint needs <hash> <hex pairs>");
    if (copy_span(alg, sizeof alg, alg_s) != 0)
        return fail(ps, "a=fingerprint hash " SPAN_FMT " is too long", SPAN_ARG(alg_s));
    for (char *c = alg; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    int want = digest_bytes(alg);
    if (!want)
        return 0; /* an unknown hash may sit next to a sha-256 line */
    if (hex.n > FP_CAP - 1)
        return fail(ps, "a=fingerprint value is %zu bytes long, expected %d hex pairs", hex.n,
                    want);
    while (i < hex.n) {
        int hi = hex_digit(hex.p[i]), lo = i + 1 < hex.n ? hex_digit(hex.p[i + 1]) : -1;
        if (hi < 0 || lo < 0 || (i + 2 < hex.n && hex.p[i + 2] != ':') || i + 2 == hex.n - 1)
            return fail(ps, "a=fingerprint is not colon-separated hex pairs (character %zu)",
                        i + 1);
        fp[i] = "0123456789ABCDEF"[hi];
        fp[i + 1] = "0123456789ABCDEF"[lo];
        if (i + 2 < hex.n)
            fp[i + 2] = ':';
        i += 3;
        bytes++;
    }
    fp[hex.n] = '\0';
    if ((int)bytes != want)
        return fail(ps, "a=fingerprint has %zu bytes, expected %d for %s", bytes, want, alg);
    /* Keep the first fingerprint, but let a later sha-256 replace another hash. */
    if (t.fp[0] && (strcmp(t.fp_alg, "sha-256") == 0 || strcmp(alg, "sha-256") != 0))
        return 0;
    strcpy(t.fp_alg, alg); /* both fit: checked against the same caps */
    strcpy(t.fp, fp);
    return 0;
}

static int at_setup(struct parser *ps, struct span v)
{
    enum tsn_sdp_setup *setup = transport_of(ps).setup;
    if (*setup != TSN_SDP_SETUP_NONE)
        return fail(ps, "second a=setup at this level");
    if (span_eq(v, "actpass"))
        *setup = TSN_SDP_SETUP_ACTPASS;
    else if (span_eq(v, "active"))
        *setup = TSN_SDP_SETUP_ACTIVE;
    else if (span_eq(v, "passive"))
        *setup = TSN_SDP_SETUP_PASSIVE;
    else
        return fail(ps, "a=setup:" SPAN_FMT " is not actpass, active or passive", SPAN_ARG(v));
    return 0;
}

static int set_dir(struct parser *ps, enum tsn_sdp_dir dir)
{
    uint8_t *set = ps->m ? &ps->dir_set[ps->m - ps->out->media] : &ps->sess_dir_set;
    if (*set)
        return fail(ps, "second direction attribute at this level");
    *set = 1;
    if (ps->m)
        ps->m->dir = dir;
    else
        ps->sess_dir = dir;
    return 0;
}

static int at_sendrecv(struct parser *ps, struct span v)
{
    return set_dir(ps, TSN_SDP_SENDRECV);
}

static int at_sendonly(struct parser *ps, struct span v)
{
    return set_dir(ps, TSN_SDP_SENDONLY);
}

static int at_recvonly(struct parser *ps, struct span v)
{
    return set_dir(ps, TSN_SDP_RECVONLY);
}

static int at_inactive(struct parser *ps, struct span v)
{
    return set_dir(ps, TSN_SDP_INACTIVE);
}

/* ---- session-only attributes ------------------------------------------ */

static int at_group(struct parser *ps, struct span v)
{
    struct tsn_sdp *out = ps->out;
    struct span sem, mid;
    if (!next_token(&v, &sem) || !span_eq(sem, "BUNDLE"))
        return 0; /* LS and other semantics do not concern the relay */
    if (ps->bundle_line)
        return fail(ps, "second a=group:BUNDLE (only one bundle group is supported)");
    ps->bundle_line = ps->line_no;
    while (next_token(&v, &mid)) {
        if (out->n_bundle == TSN_SDP_MAX_MEDIA)
            return fail(ps, "a=group:BUNDLE lists more than %d mids", TSN_SDP_MAX_MEDIA);
        if (!is_token(mid) || copy_span(out->bundle[out->n_bundle], sizeof out->bundle[0], mid))
            return fail(ps, "BUNDLE mid " SPAN_FMT " is not a token of at most %zu bytes",
                        SPAN_ARG(mid), sizeof out->bundle[0] - 1);
        out->n_bundle++;
    }
    return 0;
}

static int at_ice_lite(struct parser *ps, struct span v)
{
    ps->out->ice_lite = 1;
    return 0;
}

/* ---- media-only attributes -------------------------------------------- */

static int at_mid(struct parser *ps, struct span v)
{
    struct tsn_sdp_media *m = ps->m;
    if (m->mid[0])
        return fail(ps, "second a=mid in this m-section");
    if (!is_token(v) || copy_span(m->mid, sizeof m->mid, v) != 0)
        return fail(ps, "a=mid " SPAN_FMT " is not a token of at most %zu bytes", SPAN_ARG(v),
                    sizeof m->mid - 1);
    for (struct tsn_sdp_media *o = ps->out->media; o < m; o++)
        if (strcmp(o->mid, m->mid) == 0)
            return fail(ps, "mid '%s' is already used by m-section %zu", m->mid,
                        (size_t)(o - ps->out->media) + 1);
    return 0;
}

static int at_rtcp_mux(struct parser *ps, struct span v)
{
    if (ps->m)
        ps->m->rtcp_mux = 1;
    return 0;
}

static int at_rtcp_rsize(struct parser *ps, struct span v)
{
    if (ps->m)
        ps->m->rtcp_rsize = 1;
    return 0;
}

/* Reads "<pt> rest": the payload type and the codec slot (NULL if the pt is
 * not listed on the m= line or was dropped for space). */
static int pt_prefix(struct parser *ps, struct span *v, const char *what, struct tsn_sdp_codec **c)
{
    struct span tok = {"", 0};
    uint64_t pt;
    if (!next_token(v, &tok) || parse_u64(tok, MAX_PT, &pt) != 0)
        return fail(ps, "a=%s payload type " SPAN_FMT " is not a number 0..127", what,
                    SPAN_ARG(tok));
    *c = find_codec(ps->m, (unsigned)pt);
    while (v->n && v->p[0] == ' ') {
        v->p++;
        v->n--;
    }
    return 0;
}

static int at_rtpmap(struct parser *ps, struct span v)
{
    struct tsn_sdp_codec *c;
    struct span enc, name, clock;
    uint64_t clock_v, channels;
    int found, rc = pt_prefix(ps, &v, "rtpmap", &c);
    if (rc)
        return rc;
    if (!next_token(&v, &enc))
        return fail(ps, "a=rtpmap needs <pt> <name>/<clock rate>");
    name = cut(&enc, '/', &found);
    clock = cut(&enc, '/', &found);
    if (!name.n || !is_token(name) || name.n >= sizeof c->name)
        return fail(ps, "a=rtpmap encoding name " SPAN_FMT " is not a token of 1 to %zu bytes",
                    SPAN_ARG(name), sizeof c->name - 1);
    if (parse_u64(clock, UINT32_MAX, &clock_v) != 0 || clock_v == 0)
        return fail(ps, "a=rtpmap clock rate " SPAN_FMT " is not a number 1..4294967295",
                    SPAN_ARG(clock));
    if (found && parse_u64(enc, 255, &channels) != 0)
        return fail(ps, "a=rtpmap channels " SPAN_FMT " is not a number 0..255", SPAN_ARG(enc));
    if (!c)
        return 0;
    if (c->name[0])
        return fail(ps, "second a=rtpmap for payload type %u", c->pt);
    copy_span(c->name, sizeof c->name, name);
    c->clock_rate = (uint32_t)clock_v;
    return 0;
}

/* For an fmtp longer than its field: copies the parameters without sprop-*
 * ones (the H.264 parameter sets, which can be long and which the relay neither
 * needs nor echoes in a useful way: publishers also send them in-band). */
static int copy_fmtp_without_sprop(char *dst, size_t cap, struct span params)
{
    size_t len = 0;
    while (params.n) {
        int found;
        struct span item = cut(&params, ';', &found);
        while (item.n && item.p[0] == ' ') {
            item.p++;
            item.n--;
        }
        if (!item.n || (item.n >= 6 && strncasecmp(item.p, "sprop-", 6) == 0))
            continue;
        if (len + (len ? 1 : 0) + item.n >= cap)
            return -1;
        if (len)
            dst[len++] = ';';
        memcpy(dst + len, item.p, item.n);
        len += item.n;
    }
    dst[len] = '\0';
    return 0;
}

static int at_fmtp(struct parser *ps, struct span v)
{
    struct tsn_sdp_codec *c;
    struct span apt;
    uint64_t apt_v;
    int rc = pt_prefix(ps, &v, "fmtp", &c);
    if (rc || !c)
        return rc;
    if (c->fmtp[0])
        return fail(ps, "second a=fmtp for payload type %u", c->pt);
    if (copy_span(c->fmtp, sizeof c->fmtp, v) != 0 &&
        copy_fmtp_without_sprop(c->fmtp, sizeof c->fmtp, v) != 0)
        return fail(ps,
                    "a=fmtp for payload type %u is %zu bytes, more than %zu even without sprop-*",
                    c->pt, v.n, sizeof c->fmtp - 1);
    if (fmtp_param(v, "apt", &apt) == 0) {
        if (parse_u64(apt, MAX_PT, &apt_v) != 0)
            return fail(ps, "apt=" SPAN_FMT " is not a payload type 0..127", SPAN_ARG(apt));
        c->apt = (int)apt_v;
    }
    return 0;
}

static int at_rtcp_fb(struct parser *ps, struct span v)
{
    struct tsn_sdp_media *m = ps->m;
    struct span pt_s, type, param = {"", 0};
    uint64_t pt = 0;
    int all;
    if (!next_token(&v, &pt_s) || !next_token(&v, &type))
        return fail(ps, "a=rtcp-fb needs <pt|*> <type>");
    all = span_eq(pt_s, "*");
    if (!all && parse_u64(pt_s, MAX_PT, &pt) != 0)
        return fail(ps, "a=rtcp-fb payload type " SPAN_FMT " is not * or 0..127", SPAN_ARG(pt_s));
    next_token(&v, &param);
    for (size_t i = 0; i < m->n_codecs; i++) {
        struct tsn_sdp_codec *c = &m->codecs[i];
        if (!all && c->pt != pt)
            continue;
        if (span_eq(type, "nack") && !param.n)
            c->fb_nack = 1;
        else if (span_eq(type, "nack") && span_eq(param, "pli"))
            c->fb_pli = 1;
        else if (span_eq(type, "ccm") && span_eq(param, "fir"))
            c->fb_fir = 1;
        else if (span_eq(type, "goog-remb"))
            c->fb_remb = 1;
        else if (span_eq(type, "transport-cc"))
            c->fb_twcc = 1;
    }
    return 0;
}

static int is_relay_ext(const char *uri)
{
    return strcmp(uri, TSN_SDP_EXT_MID) == 0 || strcmp(uri, TSN_SDP_EXT_ABS_CAPTURE_TIME) == 0;
}

static int at_extmap(struct parser *ps, struct span v)
{
    struct tsn_sdp_media *m = ps->m;
    struct span id_s, uri;
    struct tsn_sdp_extmap e = {0}; /* zeroed: the whole struct is copied out */
    uint64_t id;
    int has_dir;

    if (!m)
        return 0; /* session-level extmaps are not supported: ignored */
    if (!next_token(&v, &id_s) || !next_token(&v, &uri))
        return fail(ps, "a=extmap needs <id>[/<direction>] <uri>");
    struct span id_n = cut(&id_s, '/', &has_dir);
    if (parse_u64(id_n, 255, &id) != 0 || id == 0)
        return fail(ps, "a=extmap id " SPAN_FMT " is not a number 1..255", SPAN_ARG(id_n));
    if (has_dir && !span_eq(id_s, "sendrecv") && !span_eq(id_s, "sendonly") &&
        !span_eq(id_s, "recvonly") && !span_eq(id_s, "inactive"))
        return fail(ps, "a=extmap direction " SPAN_FMT " is not valid", SPAN_ARG(id_s));
    if (copy_span(e.uri, sizeof e.uri, uri) != 0)
        return fail(ps, "a=extmap URI is %zu bytes, more than %zu", uri.n, sizeof e.uri - 1);
    e.id = (uint8_t)id;
    for (size_t i = 0; i < m->n_extmap; i++)
        if (m->extmap[i].id == e.id)
            return fail(ps, "a=extmap id %u is used twice", e.id);
    if (m->n_extmap < TSN_SDP_MAX_EXTMAP) {
        m->extmap[m->n_extmap++] = e;
        return 0;
    }
    /* Full: a URI the relay uses displaces the last one it does not. */
    if (!is_relay_ext(e.uri))
        return 0;
    for (size_t i = m->n_extmap; i-- > 0;) {
        if (!is_relay_ext(m->extmap[i].uri)) {
            m->extmap[i] = e;
            break;
        }
    }
    return 0;
}

static int add_ssrc(struct parser *ps, uint32_t ssrc)
{
    struct tsn_sdp_media *m = ps->m;
    for (size_t i = 0; i < m->n_ssrcs; i++)
        if (m->ssrcs[i] == ssrc)
            return 0;
    if (m->n_ssrcs == TSN_SDP_MAX_SSRC)
        return fail(ps, "more than %d SSRCs in one m-section", TSN_SDP_MAX_SSRC);
    m->ssrcs[m->n_ssrcs++] = ssrc;
    return 0;
}

static int at_ssrc(struct parser *ps, struct span v)
{
    struct span tok = {"", 0};
    uint64_t ssrc;
    if (!next_token(&v, &tok) || parse_u64(tok, UINT32_MAX, &ssrc) != 0)
        return fail(ps, "a=ssrc " SPAN_FMT " is not a number 0..4294967295", SPAN_ARG(tok));
    return add_ssrc(ps, (uint32_t)ssrc);
}

static int at_ssrc_group(struct parser *ps, struct span v)
{
    struct span sem, tok;
    uint64_t ssrc[2];
    size_t n = 0;
    if (!next_token(&v, &sem) || !span_eq(sem, "FID"))
        return 0; /* SIM, FEC-FR: not used by the relay */
    while (next_token(&v, &tok)) {
        if (n == 2 || parse_u64(tok, UINT32_MAX, &ssrc[n]) != 0)
            return fail(ps, "a=ssrc-group:FID needs two SSRC numbers, got " SPAN_FMT,
                        SPAN_ARG(tok));
        n++;
    }
    if (n != 2)
        return fail(ps, "a=ssrc-group:FID needs two SSRC numbers, got %zu", n);
    ps->m->fid_primary = (uint32_t)ssrc[0];
    ps->m->fid_rtx = (uint32_t)ssrc[1];
    return 0;
}

/* ---- dispatch ---------------------------------------------------------- */

enum { AT_SESSION = 1, AT_MEDIA = 2, AT_VALUE = 4 };

static const struct {
    const char *name;
    int (*fn)(struct parser *ps, struct span value);
    int flags;
} attr_table[] = {
    {"group", at_group, AT_SESSION | AT_VALUE},
    {"ice-lite", at_ice_lite, AT_SESSION},
    {"ice-ufrag", at_ice_ufrag, AT_SESSION | AT_MEDIA | AT_VALUE},
    {"ice-pwd", at_ice_pwd, AT_SESSION | AT_MEDIA | AT_VALUE},
    {"fingerprint", at_fingerprint, AT_SESSION | AT_MEDIA | AT_VALUE},
    {"setup", at_setup, AT_SESSION | AT_MEDIA | AT_VALUE},
    {"sendrecv", at_sendrecv, AT_SESSION | AT_MEDIA},
    {"sendonly", at_sendonly, AT_SESSION | AT_MEDIA},
    {"recvonly", at_recvonly, AT_SESSION | AT_MEDIA},
    {"inactive", at_inactive, AT_SESSION | AT_MEDIA},
    {"rtcp-mux", at_rtcp_mux, AT_SESSION | AT_MEDIA},
    {"rtcp-rsize", at_rtcp_rsize, AT_SESSION | AT_MEDIA},
    {"extmap", at_extmap, AT_SESSION | AT_MEDIA | AT_VALUE},
    {"mid", at_mid, AT_MEDIA | AT_VALUE},
    {"rtpmap", at_rtpmap, AT_MEDIA | AT_VALUE},
    {"fmtp", at_fmtp, AT_MEDIA | AT_VALUE},
    {"rtcp-fb", at_rtcp_fb, AT_MEDIA | AT_VALUE},
    {"ssrc", at_ssrc, AT_MEDIA | AT_VALUE},
    {"ssrc-group", at_ssrc_group, AT_MEDIA | AT_VALUE},
};

static int parse_attr(struct parser *ps, struct span v)
{
    int has_value;
    struct span name = cut(&v, ':', &has_value);
    for (size_t i = 0; i < sizeof attr_table / sizeof attr_table[0]; i++) {
        if (!span_eq(name, attr_table[i].name))
            continue;
        int flags = attr_table[i].flags;
        if (!(flags & (ps->m ? AT_MEDIA : AT_SESSION)))
            return fail(ps, "a=%s is not allowed %s", attr_table[i].name,
                        ps->m ? "inside an m-section" : "before the first m= line");
        if ((flags & AT_VALUE) && !v.n)
            return fail(ps, "a=%s needs a value", attr_table[i].name);
        return attr_table[i].fn(ps, v);
    }
    return 0;
}

static int parse_origin(struct parser *ps, struct span v)
{
    struct span tok[6];
    uint64_t version;
    for (int i = 0; i < 6; i++)
        if (!next_token(&v, &tok[i]))
            return fail(ps, "o= needs 6 fields: <user> <id> <version> IN IP4|IP6 <address>");
    if (parse_u64(tok[1], UINT64_MAX, &ps->out->session_id) != 0)
        return fail(ps, "o= session id " SPAN_FMT " is not a number 0..18446744073709551615",
                    SPAN_ARG(tok[1]));
    if (parse_u64(tok[2], UINT64_MAX, &version) != 0)
        return fail(ps, "o= session version " SPAN_FMT " is not a number", SPAN_ARG(tok[2]));
    ps->seen_o = 1;
    return 0;
}

static int parse_line(struct parser *ps, struct span line)
{
    while (line.n && line.p[line.n - 1] == ' ')
        line.n--; /* trailing spaces would hide "a=sendonly " from the table */
    if (line.n == 0)
        return 0; /* blank lines (often a trailing one) are tolerated */
    for (size_t i = 0; i < line.n; i++) {
        unsigned char c = (unsigned char)line.p[i];
        if (c < 0x20 || c == 0x7f)
            return fail(ps, "control character 0x%02x at column %zu", c, i + 1);
    }
    if (line.n < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z')
        return fail(ps, "expected <letter>=<value>, got " SPAN_FMT, SPAN_ARG(line));
    struct span v = {line.p + 2, line.n - 2};
    if (!ps->seen_v) {
        if (line.p[0] != 'v')
            return fail(ps, "the first line must be v=0");
        if (!span_eq(v, "0"))
            return fail(ps, "unsupported version v=" SPAN_FMT, SPAN_ARG(v));
        ps->seen_v = 1;
        return 0;
    }
    switch (line.p[0]) {
    case 'v':
        return fail(ps, "second v= line");
    case 'o':
        if (ps->seen_o || ps->m)
            return fail(ps, "o= must appear once, before the m= lines");
        return parse_origin(ps, v);
    case 'm':
        return parse_m(ps, v);
    case 'a':
        return parse_attr(ps, v);
    default:
        return 0; /* s= t= c= b= i= ...: nothing the relay needs */
    }
}

/* ---- whole-offer checks -------------------------------------------------- */

static unsigned line_of(const char *text, size_t offset)
{
    unsigned line = 1;
    const char *p = text, *end = text + offset;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        line++;
        p++;
    }
    return line;
}

static int check_bytes(struct parser *ps, const char *text, size_t len)
{
    ps->line_no = 1;
    if (len == 0)
        return fail(ps, "empty offer (expected v=0)");
    if (len > TSN_SDP_MAX_TEXT) {
        ps->line_no = line_of(text, TSN_SDP_MAX_TEXT);
        return fail(ps, "offer is %zu bytes, longer than %d", len, TSN_SDP_MAX_TEXT);
    }
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        size_t off = (size_t)(nul - text);
        const char *bol = off ? memrchr(text, '\n', off) : NULL;
        ps->line_no = line_of(text, off);
        return fail(ps, "NUL byte at column %zu", off - (bol ? (size_t)(bol - text) + 1 : 0) + 1);
    }
    return 0;
}

/* Fills an m-section's missing transport and direction from session level. */
static void inherit(struct parser *ps, size_t i)
{
    struct tsn_sdp_media *m = &ps->out->media[i];
    if (!m->ice_ufrag[0])
        strcpy(m->ice_ufrag, ps->sess.ufrag);
    if (!m->ice_pwd[0])
        strcpy(m->ice_pwd, ps->sess.pwd);
    if (!m->fingerprint[0]) {
        strcpy(m->fingerprint_alg, ps->sess.fp_alg);
        strcpy(m->fingerprint, ps->sess.fp);
    }
    if (m->setup == TSN_SDP_SETUP_NONE)
        m->setup = ps->sess.setup;
    if (!ps->dir_set[i] && ps->sess_dir_set)
        m->dir = ps->sess_dir;
}

static int finish(struct parser *ps)
{
    struct tsn_sdp *out = ps->out;
    if (!ps->seen_v)
        return fail(ps, "offer has no v=0 line");
    if (!ps->seen_o)
        return fail(ps, "offer ends without an o= line");
    if (!out->n_media)
        return fail(ps, "offer ends without an m= line");
    for (size_t i = 0; i < out->n_media; i++) {
        struct tsn_sdp_media *m = &out->media[i];
        const char *missing = NULL;
        inherit(ps, i);
        if (m->port == 0)
            continue; /* rejected or bundle-only: needs no transport of its own */
        if (!m->ice_ufrag[0])
            missing = "a=ice-ufrag";
        else if (!m->ice_pwd[0])
            missing = "a=ice-pwd";
        else if (!m->fingerprint[0])
            missing = "a=fingerprint (sha-1/224/256/384/512)";
        if (missing) {
            ps->line_no = ps->m_line[i];
            return fail(ps, "m-section %zu (mid '%s') has no %s at media or session level", i + 1,
                        m->mid, missing);
        }
    }
    for (size_t b = 0; b < out->n_bundle; b++) {
        size_t i = 0;
        while (i < out->n_media && strcmp(out->media[i].mid, out->bundle[b]) != 0)
            i++;
        if (i == out->n_media) {
            ps->line_no = ps->bundle_line;
            return fail(ps, "a=group:BUNDLE names mid '%s' but no m-section has it",
                        out->bundle[b]);
        }
    }
    return 0;
}

int tsn_sdp_parse(const char *text, size_t len, struct tsn_sdp *out, char *why, size_t why_len)
{
    struct parser ps;
    struct line_iter it = {text, len, 0, 0};
    struct span line;
    int rc;

    memset(&ps, 0, sizeof ps);
    ps.why = why;
    ps.why_len = why_len;
    ps.it = &it;
    if (why && why_len)
        why[0] = '\0';
    if (!text || !out) {
        if (why && why_len)
            snprintf(why, why_len, "no offer text or no output");
        return -EINVAL;
    }
    memset(out, 0, sizeof *out);
    ps.out = out;
    rc = check_bytes(&ps, text, len);
    while (rc == 0 && next_line(&it, &line)) {
        ps.line_no = it.line_no;
        rc = parse_line(&ps, line);
    }
    return rc ? rc : finish(&ps);
}

/* ---- codec choice ---------------------------------------------------------- */

/* 0 if unusable, else higher is better: the relay forwards H.264 without
 * transcoding, so it needs packetization-mode=1 and a (constrained) baseline
 * profile that every viewer decodes; 42e01f is what browsers offer first. */
static int h264_rank(const struct tsn_sdp_codec *c)
{
    struct span params = cstr(c->fmtp), v;
    if (strcasecmp(c->name, "H264") != 0)
        return 0;
    if (fmtp_param(params, "packetization-mode", &v) != 0 || !span_eq(v, "1"))
        return 0; /* the default is mode 0 */
    if (fmtp_param(params, "profile-level-id", &v) != 0)
        return 1; /* RFC 6184 default 420010: baseline level 1.0 */
    if (v.n != 6)
        return 0;
    for (size_t i = 0; i < 6; i++)
        if (hex_digit(v.p[i]) < 0)
            return 0;
    int idc = hex_digit(v.p[0]) * 16 + hex_digit(v.p[1]);
    int iop = hex_digit(v.p[2]) * 16 + hex_digit(v.p[3]);
    if (idc != 0x42)
        return 0;
    if (span_caseeq(v, "42e01f"))
        return 4;
    return (iop & 0x40) ? 3 : 2; /* constraint_set1: constrained baseline */
}

static int pick_h264(const struct tsn_sdp_media *m)
{
    int best = -ENOENT, best_rank = 0;
    for (size_t i = 0; i < m->n_codecs; i++) {
        int r = h264_rank(&m->codecs[i]);
        if (r > best_rank) {
            best_rank = r;
            best = (int)i;
        }
    }
    return best;
}

static int pick_vp8(const struct tsn_sdp_media *m)
{
    for (size_t i = 0; i < m->n_codecs; i++)
        if (strcasecmp(m->codecs[i].name, "VP8") == 0)
            return (int)i;
    return -ENOENT;
}

int tsn_sdp_pick_codec(const struct tsn_sdp_media *m, enum tsn_codec want, enum tsn_codec *got)
{
    int i = -ENOENT;
    enum tsn_codec which = TSN_CODEC_NONE;
    if (!m)
        return -EINVAL;
    if (want == TSN_CODEC_H264 || want == TSN_CODEC_NONE) {
        i = pick_h264(m);
        which = TSN_CODEC_H264;
    }
    if (i < 0 && (want == TSN_CODEC_VP8 || want == TSN_CODEC_NONE)) {
        i = pick_vp8(m);
        which = TSN_CODEC_VP8;
    }
    if (got)
        *got = i < 0 ? TSN_CODEC_NONE : which;
    return i;
}

uint8_t tsn_sdp_extmap_id(const struct tsn_sdp_media *m, const char *uri)
{
    if (!m || !uri)
        return 0;
    for (size_t i = 0; i < m->n_extmap; i++)
        if (strcmp(m->extmap[i].uri, uri) == 0)
            return m->extmap[i].id;
    return 0;
}
