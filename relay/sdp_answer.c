/* The relay's SDP answer (see sdp.h): an ICE-lite, passive-DTLS, BUNDLEd
 * answer with one host candidate and a=end-of-candidates, written from a
 * parsed offer and the choices the session made. Every value that reaches
 * the text is checked first, so an offer cannot inject lines into the answer.
 * It parses nothing (sdp.c does). */
#include "sdp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- answer ---------------------------------------------------------------- */

struct writer {
    char *buf;
    size_t cap, len;
    int full;
};

static void put(struct writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct writer *w, const char *fmt, ...)
{
    va_list ap;
    if (w->full)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= w->cap - w->len)
        w->full = 1;
    else
        w->len += (size_t)n;
}

/* A value written into one SDP field: printable ASCII without spaces. */
static int safe_word(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

static int check_answer(const struct tsn_sdp_answer *a)
{
    if (!safe_word(a->ice_ufrag) || !safe_word(a->ice_pwd) || !safe_word(a->fingerprint) ||
        !safe_word(a->cand_ip) || a->n_media > TSN_SDP_MAX_MEDIA)
        return -EINVAL;
    for (size_t i = 0; i < a->n_media; i++) {
        const struct tsn_sdp_answer_media *am = &a->media[i];
        if (!am->offer)
            return -EINVAL;
        if (am->rejected)
            continue;
        if (am->codec_index < 0 || (size_t)am->codec_index >= am->offer->n_codecs)
            return -EINVAL;
        if (am->ssrc && ((am->cname && !safe_word(am->cname)) ||
                         (am->msid_stream && !safe_word(am->msid_stream)) ||
                         (am->msid_track && !safe_word(am->msid_track))))
            return -EINVAL;
    }
    return 0;
}

static const char *dir_name(enum tsn_sdp_dir d)
{
    switch (d) {
    case TSN_SDP_SENDONLY:
        return "sendonly";
    case TSN_SDP_RECVONLY:
        return "recvonly";
    case TSN_SDP_INACTIVE:
        return "inactive";
    default:
        return "sendrecv";
    }
}

static void put_accepted(struct writer *w, const struct tsn_sdp_answer *a,
                         const struct tsn_sdp_answer_media *am, const char *conn)
{
    const struct tsn_sdp_media *o = am->offer;
    const struct tsn_sdp_codec *c = &o->codecs[am->codec_index];
    put(w, "m=%s 9 %s %u\r\n%s", o->type, o->proto, c->pt, conn);
    if (o->mid[0])
        put(w, "a=mid:%s\r\n", o->mid);
    put(w, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", a->ice_ufrag, a->ice_pwd);
    put(w, "a=fingerprint:sha-256 %s\r\na=setup:passive\r\n", a->fingerprint);
    put(w, "a=%s\r\na=rtcp-mux\r\n", dir_name(am->dir));
    if (o->rtcp_rsize)
        put(w, "a=rtcp-rsize\r\n");
    put(w, "a=rtpmap:%u %s/%u\r\n", c->pt, c->name, (unsigned)c->clock_rate);
    if (c->fmtp[0])
        put(w, "a=fmtp:%u %s\r\n", c->pt, c->fmtp);
    if (c->fb_nack)
        put(w, "a=rtcp-fb:%u nack\r\n", c->pt);
    if (c->fb_pli)
        put(w, "a=rtcp-fb:%u nack pli\r\n", c->pt);
    if (c->fb_fir)
        put(w, "a=rtcp-fb:%u ccm fir\r\n", c->pt);
    if (am->ext_mid)
        put(w, "a=extmap:%u %s\r\n", am->ext_mid, TSN_SDP_EXT_MID);
    if (am->ext_abs_capture_time)
        put(w, "a=extmap:%u %s\r\n", am->ext_abs_capture_time, TSN_SDP_EXT_ABS_CAPTURE_TIME);
    if (am->ssrc) {
        int msid = am->msid_stream && am->msid_track;
        put(w, "a=ssrc:%u cname:%s\r\n", (unsigned)am->ssrc, am->cname ? am->cname : "telesono");
        if (msid) {
            put(w, "a=ssrc:%u msid:%s %s\r\n", (unsigned)am->ssrc, am->msid_stream, am->msid_track);
            put(w, "a=msid:%s %s\r\n", am->msid_stream, am->msid_track);
        }
    }
    put(w, "a=candidate:1 1 udp 2130706431 %s %u typ host\r\na=end-of-candidates\r\n", a->cand_ip,
        a->cand_port);
}

/* The accepted mids; no line at all when none is accepted. */
static void put_bundle(struct writer *w, const struct tsn_sdp_answer *a)
{
    int any = 0;
    for (size_t i = 0; i < a->n_media; i++) {
        if (a->media[i].rejected || !a->media[i].offer->mid[0])
            continue;
        put(w, "%s %s", any ? "" : "a=group:BUNDLE", a->media[i].offer->mid);
        any = 1;
    }
    if (any)
        put(w, "\r\n");
}

int tsn_sdp_build_answer(const struct tsn_sdp_answer *a, char *out, size_t cap)
{
    struct writer w = {out, cap, 0, 0};
    const char *conn;
    int rc;

    if (!a || !out)
        return -EINVAL;
    if ((rc = check_answer(a)) != 0)
        return rc;
    if (cap == 0)
        return -ENOSPC;
    conn = strchr(a->cand_ip, ':') ? "c=IN IP6 ::\r\n" : "c=IN IP4 0.0.0.0\r\n";
    put(&w, "v=0\r\no=- %llu 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n",
        (unsigned long long)a->session_id);
    put_bundle(&w, a);
    put(&w, "a=msid-semantic: WMS *\r\n");
    for (size_t i = 0; i < a->n_media; i++) {
        const struct tsn_sdp_answer_media *am = &a->media[i];
        if (!am->rejected) {
            put_accepted(&w, a, am, conn);
            continue;
        }
        put(&w, "m=%s 0 %s %s\r\n%s", am->offer->type, am->offer->proto, am->offer->first_fmt,
            conn);
        if (am->offer->mid[0])
            put(&w, "a=mid:%s\r\n", am->offer->mid);
        put(&w, "a=inactive\r\n");
    }
    if (w.full) {
        out[0] = '\0';
        return -ENOSPC;
    }
    return (int)w.len;
}
