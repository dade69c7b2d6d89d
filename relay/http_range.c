/* HTTP Range parsing; see http_range.h for what is served and what is
 * ignored. The grammar (RFC 9110 14.1.2):
 *   ranges-specifier = range-unit "=" range-set
 *   range-set        = 1#range-spec   (a list: elements split by commas, OWS
 *                                      around them, empty elements allowed)
 *   range-spec       = int-range / suffix-range
 *   int-range        = first-pos "-" [ last-pos ]
 *   suffix-range     = "-" suffix-length
 * The unit is case-insensitive. */
#include "http_range.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum spec_kind { SPEC_BAD = 0, SPEC_INT, SPEC_SUFFIX };

struct spec {
    enum spec_kind kind;
    uint64_t a, b; /* INT: a, and b (UINT64_MAX when absent); SUFFIX: b = length */
};

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Digits [p, end) into *v, saturating at UINT64_MAX. Returns the count of
 * digits read (0: none). */
static size_t read_digits(const char *p, const char *end, uint64_t *v)
{
    size_t n = 0;
    uint64_t x = 0;
    while (p + n < end && p[n] >= '0' && p[n] <= '9') {
        unsigned d = (unsigned)(p[n] - '0');
        x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
        n++;
    }
    *v = x;
    return n;
}

/* One list element, OWS already trimmed, non-empty. */
static struct spec parse_spec(const char *p, const char *end)
{
    struct spec s = {SPEC_BAD, 0, 0};
    if (*p == '-') {
        size_t n = read_digits(p + 1, end, &s.b);
        if (n > 0 && p + 1 + n == end)
            s.kind = SPEC_SUFFIX;
        return s;
    }
    size_t n = read_digits(p, end, &s.a);
    if (n == 0 || p + n == end || p[n] != '-')
        return s;
    p += n + 1;
    if (p == end) {
        s.b = UINT64_MAX;
        s.kind = SPEC_INT;
        return s;
    }
    n = read_digits(p, end, &s.b);
    if (n > 0 && p + n == end && s.a <= s.b)
        s.kind = SPEC_INT;
    return s;
}

static int whole(uint64_t size, struct tsn_http_range *out)
{
    out->first = size ? 0 : 1;
    out->last = size ? size - 1 : 0;
    return 200;
}

int tsn_http_range_parse(const char *hdr, size_t len, uint64_t size, struct tsn_http_range *out)
{
    static const char unit[] = "bytes=";
    const size_t unit_len = sizeof unit - 1;
    if (!hdr || len <= unit_len || strncasecmp(hdr, unit, unit_len) != 0 || memchr(hdr, '\0', len))
        return whole(size, out);
    const char *p = hdr + unit_len, *end = hdr + len;
    struct spec one = {SPEC_BAD, 0, 0};
    int count = 0;
    while (p <= end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        const char *s = p;
        while (s < e && is_ows(*s))
            s++;
        while (e > s && is_ows(e[-1]))
            e--;
        if (s < e) { /* empty list elements do not count */
            one = parse_spec(s, e);
            if (one.kind == SPEC_BAD || ++count > 1)
                return whole(size, out);
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    if (count == 0)
        return whole(size, out);
    if (size == 0 || (one.kind == SPEC_INT && one.a >= size) ||
        (one.kind == SPEC_SUFFIX && one.b == 0)) {
        out->first = out->last = 0;
        return 416;
    }
    if (one.kind == SPEC_SUFFIX) {
        out->first = one.b >= size ? 0 : size - one.b;
        out->last = size - 1;
    } else {
        out->first = one.a;
        out->last = one.b >= size ? size - 1 : one.b;
    }
    return 206;
}

int tsn_http_range_content_range(int status, const struct tsn_http_range *r, uint64_t size,
                                 char *out, size_t cap)
{
    int n;
    if (status == 206)
        n = snprintf(out, cap, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, r->first, r->last, size);
    else if (status == 416)
        n = snprintf(out, cap, "bytes */%" PRIu64, size);
    else {
        if (cap > 0)
            out[0] = '\0';
        return 0;
    }
    return n < 0 || (size_t)n >= cap ? -1 : n;
}
