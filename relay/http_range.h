/* The HTTP Range request header (RFC 9110, section 14) for one file of a
 * known size: a pure parser over the header bytes, and the Content-Range
 * value of the reply. Only the "bytes" unit and a single range are served:
 *   "bytes=a-b"  bytes a..b (b clamped to the last byte),
 *   "bytes=a-"   from a to the end,
 *   "bytes=-n"   the last n bytes (the whole file when n >= size);
 * optional whitespace around the range (as a list element may have) is
 * allowed. Anything else is ignored, as the RFC lets a server do, and the
 * whole file is sent (200): another unit, a syntax error (a space inside a
 * range, a sign, a > b, no digits), and several ranges (we do not send
 * multipart/byteranges). A well-formed single range that selects no byte is
 * unsatisfiable (416): a >= size, "-0", and any range of an empty file.
 * Numbers too large for 64 bits saturate (a first byte beyond any file, a
 * last byte or suffix covering all of it), so they are never wrapped.
 * No I/O, no logging. */
#ifndef TSN_HTTP_RANGE_H
#define TSN_HTTP_RANGE_H

#include <stddef.h>
#include <stdint.h>

/* Inclusive byte positions of the part to send. */
struct tsn_http_range {
    uint64_t first;
    uint64_t last;
};

/* Longest Content-Range value (with its NUL): "bytes " + 3 * 20 digits + "-/". */
#define TSN_HTTP_RANGE_CONTENT_RANGE_MAX 72

/* Parses the Range header value `hdr` (`len` bytes; NULL or len 0 = no
 * header) against a file of `size` bytes. Returns the reply status:
 * 200 (send the whole file; *out = 0..size-1, or first = 1 > last = 0 when
 * size is 0), 206 (send *out, within the file), or 416 (nothing; *out
 * zeroed). Never fails. */
int tsn_http_range_parse(const char *hdr, size_t len, uint64_t size, struct tsn_http_range *out);

/* The Content-Range value for a reply of `status`: 206 gives
 * "bytes a-b/size", 416 gives "bytes *" followed by "/size". Returns the length written into
 * `out` (cap >= TSN_HTTP_RANGE_CONTENT_RANGE_MAX always suffices), 0 for
 * another status (no header to send; `out` is ""), -1 if `cap` is too small. */
int tsn_http_range_content_range(int status, const struct tsn_http_range *r, uint64_t size,
                                 char *out, size_t cap);

#endif
