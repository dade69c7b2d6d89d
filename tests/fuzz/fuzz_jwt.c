/* Fuzz target for tsn_jwt_verify (and tsn_jwt_sign on what verify accepts).
 *
 * The first input byte picks what the rest is, so the fuzzer reaches code
 * behind the signature check without having to forge an HMAC:
 *   'C'  the claims JSON: wrapped in the standard header and signed here;
 *   'H'  the header JSON: with fixed valid claims, signed here;
 *   else the whole token text as a client would send it.
 * Invariants (abort on violation): *out is all zero after any error; claims
 * that verify can be signed again, and that token verifies to the same
 * claims. Key and clock are fixed so every run is reproducible. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_key[] = "fuzz-key-0123456789abcdef-fuzz-key";
#define FUZZ_KEY_LEN (sizeof fuzz_key - 1)
#define FUZZ_NOW_S   1700000000
#define FUZZ_LEEWAY  30

/* base64url without padding via OpenSSL (independent of jwt.c). Returns the
 * length written, or 0 if it does not fit. */
static size_t b64url(const uint8_t *in, size_t len, char *out, size_t cap)
{
    if ((len + 2) / 3 * 4 + 1 > cap)
        return 0;
    int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    for (int i = 0; i < n; i++)
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    out[n] = '\0';
    return (size_t)n;
}

/* header.payload.HMAC into `tok`; returns the token length or 0. */
static size_t make_token(const uint8_t *header, size_t h_len, const uint8_t *payload, size_t p_len,
                         char *tok, size_t cap)
{
    size_t n = b64url(header, h_len, tok, cap);
    if (n == 0 || n + 1 >= cap)
        return 0;
    tok[n++] = '.';
    size_t m = b64url(payload, p_len, tok + n, cap - n);
    if (m == 0)
        return 0;
    n += m;
    uint8_t mac[32];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), fuzz_key, (int)FUZZ_KEY_LEN, (const unsigned char *)tok, n, mac,
              &mac_len))
        return 0;
    if (n + 1 >= cap)
        return 0;
    tok[n++] = '.';
    m = b64url(mac, mac_len, tok + n, cap - n);
    return m ? n + m : 0;
}

/* verify zeroes *out first and writes it only on success. */
static int claims_zero(const struct tsn_claims *c)
{
    static const struct tsn_claims zero;
    return memcmp(c, &zero, sizeof zero) == 0;
}

static void check_resign(const struct tsn_claims *c)
{
    char tok[TSN_JWT_MAX_TOKEN + 1];
    int n = tsn_jwt_sign(c, fuzz_key, FUZZ_KEY_LEN, tok, sizeof tok);
    if (n <= 0 || (size_t)n != strlen(tok))
        abort(); /* verify accepted claims that sign refuses */
    struct tsn_claims again;
    if (tsn_jwt_verify(tok, (size_t)n, fuzz_key, FUZZ_KEY_LEN, FUZZ_NOW_S, FUZZ_LEEWAY, &again) !=
        0)
        abort();
    if (strcmp(again.room, c->room) != 0 || strcmp(again.sub, c->sub) != 0 ||
        again.role != c->role || again.exp != c->exp || again.nbf != c->nbf || again.iat != c->iat)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char std_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    static const char std_claims[] =
        "{\"room\":\"r\",\"role\":\"observer\",\"sub\":\"s\",\"exp\":1700000100}";
    if (size == 0)
        return 0;
    uint8_t mode = data[0];
    const uint8_t *rest = data + 1;
    size_t rest_len = size - 1;

    char *tok = malloc(2 * TSN_JWT_MAX_TOKEN + 256);
    if (!tok)
        return 0;
    size_t cap = 2 * TSN_JWT_MAX_TOKEN + 256, len = 0;
    const char *input = tok;
    if (mode == 'C' && rest_len <= TSN_JWT_MAX_TOKEN)
        len = make_token((const uint8_t *)std_header, sizeof std_header - 1, rest, rest_len, tok,
                         cap);
    else if (mode == 'H' && rest_len <= TSN_JWT_MAX_TOKEN)
        len = make_token(rest, rest_len, (const uint8_t *)std_claims, sizeof std_claims - 1, tok,
                         cap);
    else {
        input = (const char *)rest;
        len = rest_len;
    }

    struct tsn_claims c;
    int rc = tsn_jwt_verify(input, len, fuzz_key, FUZZ_KEY_LEN, FUZZ_NOW_S, FUZZ_LEEWAY, &c);
    if (rc != 0 && !claims_zero(&c))
        abort();
    if (rc == 0)
        check_resign(&c);
    (void)tsn_jwt_strerror(rc);
    free(tok);
    return 0;
}
