/* The one-line reason that fallible calls hand back: formats it into the
 * caller's buffer (if any) and returns the error code, so a failure reads
 *   return tsn_why(why, why_len, -EINVAL, "--size needs WxH, not '%s'", v);
 */
#ifndef TSN_WHY_H
#define TSN_WHY_H

#include <stddef.h>

/* Writes the formatted reason into why (when why && why_len), returns err. */
int tsn_why(char *why, size_t why_len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
