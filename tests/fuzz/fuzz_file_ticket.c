/* Fuzz target for tsn_file_ticket_verify (the ?ticket= of a download URL,
 * straight from the network). The input is the ticket text; it is checked
 * for a fixed key, room, session and file at a fixed time.
 *
 * Invariants (abort on violation):
 *  - the result is 0, -EINVAL, -EACCES or -EKEYEXPIRED;
 *  - on error the subject is "" and the role TSN_ROLE_NONE;
 *  - 0 only for the exact text tsn_file_ticket_make gives for the holder and
 *    expiry it names (so accepting it needed the key), with a known role,
 *    a subject of printable characters, and an expiry after "now";
 *  - the same input gives the same answer again (no hidden state). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "file_ticket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[] = "fuzz-key-0123456789abcdef-fuzz-key";
#define ROOM "roomA"
#define ID   "20261127T075012Z-3fa9c2d1"
#define NAME "recording.mp4"
#define NOW  1795000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *t = malloc(size ? size : 1);
    if (!t)
        return 0;
    memcpy(t, data, size);
    char sub[TSN_SUB_MAX + 1], sub2[TSN_SUB_MAX + 1];
    enum tsn_role role = TSN_ROLE_ADMIN, role2;
    int rc = tsn_file_ticket_verify(key, sizeof key - 1, ROOM, ID, NAME, t, size, NOW, sub, &role);
    if (rc != 0 && rc != -EINVAL && rc != -EACCES && rc != -EKEYEXPIRED)
        abort();
    if (rc != 0 && (sub[0] != '\0' || role != TSN_ROLE_NONE))
        abort();
    if (rc == 0) {
        char again[TSN_FILE_TICKET_MAX + 1];
        int64_t exp = strtoll(t, NULL, 10);
        int n = tsn_file_ticket_make(key, sizeof key - 1, ROOM, ID, NAME, sub, role, exp, again,
                                     sizeof again);
        if (n < 0 || (size_t)n != size || memcmp(again, t, size) != 0 || exp <= NOW)
            abort();
    }
    if (tsn_file_ticket_verify(key, sizeof key - 1, ROOM, ID, NAME, t, size, NOW, sub2, &role2) !=
            rc ||
        strcmp(sub, sub2) != 0 || role != role2)
        abort();
    free(t);
    return 0;
}
