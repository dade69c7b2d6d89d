/* Fuzz target for relay/stun.c. Any input goes through the cheap RFC 7983
 * check, the parser and the integrity check; a message that parses is then
 * rebuilt through the builders and must parse back to the same values, so
 * the fuzzer also checks the encoders. Invariant violations abort(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The RFC 5769 password, so inputs derived from the kept vectors reach the
 * "integrity matches" path too. */
static const char fuzz_key[] = "VOkJxbRl1RmTxUk/WvJxBt";

static void check_success_round_trip(const struct tsn_stun_msg *m)
{
    uint8_t out[128];
    struct tsn_stun_msg back;
    size_t n =
        tsn_stun_build_success(out, sizeof out, m->txid, (const struct sockaddr *)&m->xor_mapped,
                               fuzz_key, sizeof fuzz_key - 1);
    if (n == 0 || tsn_stun_parse(out, n, &back) != 0 || !back.has_xor_mapped)
        abort();
    if (memcmp(&back.xor_mapped, &m->xor_mapped, sizeof back.xor_mapped) != 0)
        abort();
    if (tsn_stun_check_integrity(out, n, &back, fuzz_key, sizeof fuzz_key - 1) != 0)
        abort();
}

static void check_request_round_trip(const struct tsn_stun_msg *m)
{
    char name[TSN_STUN_MAX_USERNAME + 1];
    uint8_t out[TSN_STUN_MAX_USERNAME + 128];
    struct tsn_stun_msg back;

    /* The builder takes a C string: stop at the first NUL. */
    size_t name_len = strnlen((const char *)m->username, m->username_len);
    memcpy(name, m->username, name_len);
    name[name_len] = '\0';
    size_t n = tsn_stun_build_request(out, sizeof out, m->txid, name, m->priority, m->tiebreaker,
                                      m->use_candidate, fuzz_key, sizeof fuzz_key - 1);
    if (n == 0 || tsn_stun_parse(out, n, &back) != 0)
        abort();
    if (back.username_len != name_len || memcmp(back.username, name, name_len) != 0 ||
        back.priority != m->priority || back.tiebreaker != m->tiebreaker ||
        back.use_candidate != m->use_candidate || !back.has_fingerprint)
        abort();
    if (tsn_stun_check_integrity(out, n, &back, fuzz_key, sizeof fuzz_key - 1) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tsn_stun_msg m;

    (void)tsn_stun_is_stun(data, size);
    if (tsn_stun_parse(data, size, &m) != 0)
        return 0;
    if (m.length + (size_t)TSN_STUN_HEADER_BYTES != size)
        abort();
    if (m.has_integrity)
        (void)tsn_stun_check_integrity(data, size, &m, fuzz_key, sizeof fuzz_key - 1);
    if (m.has_xor_mapped)
        check_success_round_trip(&m);
    if (m.username)
        check_request_round_trip(&m);
    if (m.has_error_code) {
        uint8_t out[128];
        struct tsn_stun_msg back;
        size_t n = tsn_stun_build_error(out, sizeof out, m.txid, m.error_code, NULL, 0);
        if (n == 0 || tsn_stun_parse(out, n, &back) != 0 || back.error_code != m.error_code)
            abort();
    }
    return 0;
}
