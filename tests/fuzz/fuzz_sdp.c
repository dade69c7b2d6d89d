/* Fuzz target for relay/sdp.c: parses the input as an offer; a rejection must
 * carry a "line N: " reason. A parsed offer gets a codec choice per m-section
 * and an answer, which must fit, be one NUL-terminated CRLF text, and parse
 * back with the same accepted sections, codecs and transport. Any broken
 * property aborts, so libFuzzer (and the corpus replay) report it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_FP                                                                                    \
    "8C:2B:F4:83:7A:C7:42:97:A2:30:64:61:3C:25:40:61:8A:DB:93:F4:BB:73:F5:2B:7B:42:77:34:35:47:"   \
    "49:D8"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_sdp: property broken: %s\n", what);
        abort();
    }
}

static void build_answer(const struct tsn_sdp *offer, struct tsn_sdp_answer *a)
{
    memset(a, 0, sizeof *a);
    a->session_id = offer->session_id;
    a->ice_ufrag = "fUzZ";
    a->ice_pwd = "fuzzpassword0123456789+/";
    a->fingerprint = FUZZ_FP;
    a->cand_ip = offer->session_id & 1 ? "::1" : "127.0.0.1";
    a->cand_port = 50000;
    a->n_media = offer->n_media;
    for (size_t i = 0; i < offer->n_media; i++) {
        const struct tsn_sdp_media *m = &offer->media[i];
        struct tsn_sdp_answer_media *am = &a->media[i];
        enum tsn_codec got;
        am->offer = m;
        am->codec_index = tsn_sdp_pick_codec(m, TSN_CODEC_NONE, &got);
        am->rejected = am->codec_index < 0 || m->port == 0;
        if (am->rejected)
            continue;
        check(got != TSN_CODEC_NONE && (size_t)am->codec_index < m->n_codecs, "pick result");
        am->dir = m->dir == TSN_SDP_SENDONLY ? TSN_SDP_RECVONLY : TSN_SDP_SENDONLY;
        am->ext_mid = tsn_sdp_extmap_id(m, TSN_SDP_EXT_MID);
        am->ext_abs_capture_time = tsn_sdp_extmap_id(m, TSN_SDP_EXT_ABS_CAPTURE_TIME);
        if (am->dir == TSN_SDP_SENDONLY) {
            am->ssrc = 0x1234u + (uint32_t)i;
            am->cname = "fuzz";
            am->msid_stream = "s";
            am->msid_track = "t";
        }
    }
}

static void check_round_trip(const struct tsn_sdp_answer *a, const struct tsn_sdp *back)
{
    check(back->ice_lite == 1, "answer is ice-lite");
    check(back->n_media == a->n_media, "same m-section count");
    for (size_t i = 0; i < a->n_media; i++) {
        const struct tsn_sdp_answer_media *am = &a->media[i];
        const struct tsn_sdp_media *m = &back->media[i];
        check(strcmp(m->mid, am->offer->mid) == 0, "mid echoed");
        if (am->rejected) {
            check(m->port == 0 && m->dir == TSN_SDP_INACTIVE, "rejected section");
            continue;
        }
        const struct tsn_sdp_codec *c = &am->offer->codecs[am->codec_index];
        check(m->n_codecs == 1 && m->codecs[0].pt == c->pt, "one codec echoed");
        check(strcmp(m->codecs[0].fmtp, c->fmtp) == 0, "fmtp echoed");
        check(m->dir == am->dir && m->setup == TSN_SDP_SETUP_PASSIVE, "dir and setup");
        check(strcmp(m->fingerprint, FUZZ_FP) == 0, "fingerprint");
        check(tsn_sdp_extmap_id(m, TSN_SDP_EXT_MID) == am->ext_mid, "mid extmap");
        check(m->n_ssrcs == (am->ssrc ? 1u : 0u), "ssrc lines");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tsn_sdp *offer = malloc(sizeof *offer), *back = malloc(sizeof *back);
    struct tsn_sdp_answer *a = malloc(sizeof *a);
    char why[200], *out = malloc(32768);
    if (!offer || !back || !a || !out)
        goto done;

    int rc = tsn_sdp_parse((const char *)data, size, offer, why, sizeof why);
    if (rc != 0) {
        check(rc == -EBADMSG && strncmp(why, "line ", 5) == 0, "reason names a line");
        goto done;
    }
    build_answer(offer, a);
    int n = tsn_sdp_build_answer(a, out, 32768);
    check(n > 0, "answer fits in 32 KiB");
    check(strlen(out) == (size_t)n && out[n - 1] == '\n' && out[n - 2] == '\r', "answer text");
    rc = tsn_sdp_parse(out, (size_t)n, back, why, sizeof why);
    if (rc != 0) {
        fprintf(stderr, "fuzz_sdp: answer does not parse: %s\n%s", why, out);
        abort();
    }
    check_round_trip(a, back);
done:
    free(out);
    free(a);
    free(back);
    free(offer);
    return 0;
}
