/* Logging: one macro family for every module. Lines go to stderr as
 *   2026-11-26T22:58:38.123Z WARN  [room 3 peer 7] message
 * Callers put the object id first in the message. Never log tokens, keys,
 * SDP bodies or room names (a room name may identify a patient): log the
 * numeric room id instead. The log level is the only global state here. */
#ifndef TSN_LOG_H
#define TSN_LOG_H

enum tsn_log_level { TSN_LOG_ERROR = 0, TSN_LOG_WARN, TSN_LOG_INFO, TSN_LOG_DEBUG };

void tsn_log_set_level(enum tsn_log_level level);
enum tsn_log_level tsn_log_get_level(void);
/* Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int tsn_log_parse_level(const char *name);
void tsn_log_write(enum tsn_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define tsn_err(...)  tsn_log_write(TSN_LOG_ERROR, __VA_ARGS__)
#define tsn_warn(...) tsn_log_write(TSN_LOG_WARN, __VA_ARGS__)
#define tsn_info(...) tsn_log_write(TSN_LOG_INFO, __VA_ARGS__)
#define tsn_debug(...)                                                                             \
    do {                                                                                           \
        if (tsn_log_get_level() >= TSN_LOG_DEBUG)                                                  \
            tsn_log_write(TSN_LOG_DEBUG, __VA_ARGS__);                                             \
    } while (0)

#endif
