/* Fuzz target for tsn-frame-check's text parsers
 * (tests/integration/frame_check_core.c, compiled in: the tool is not in a
 * library): the input as one frame-log line, and as a NUL-terminated string
 * for the dump file name and --mask parsers. Checks each result against its
 * contract (ranges, and that an accepted name prints back the same). */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../integration/frame_check_core.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s)
{
    uint64_t idx;
    int64_t cap;
    if (tsn_fc_parse_frame_name(s, &idx, &cap) != 0)
        return;
    if (cap < 0)
        abort();
    /* Digits may carry leading zeros; the numbers must still match. */
    char again[64];
    const char *p = s + 6;
    snprintf(again, sizeof again, "%" PRIu64, idx);
    while (*p == '0' && p[1] != '-')
        p++;
    if (strncmp(p, again, strlen(again)) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tsn_fc_log_entry e;
    int rc = tsn_fc_parse_log_line((const char *)data, size, &e);
    if (rc == 0 && (e.capture_us <= 0 || e.index < 0))
        abort();
    if (rc != 0 && rc != -ENODATA && rc != -EBADMSG && rc != -ERANGE)
        abort();

    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_name(s);
    struct tsn_fc_rect r;
    if (tsn_fc_parse_rect(s, &r) == 0 && (r.x < 0 || r.y < 0 || r.w <= 0 || r.h <= 0))
        abort();
    free(s);
    return 0;
}
