#ifndef GS_LOG_H
#define GS_LOG_H
/*
 * Logs: one line per event on stderr, "level=info msg=... key=value".
 * Never pass a secret value. gs_log_level selects the minimum level.
 */
#include "core/error.h"

enum gs_log_level { GS_LOG_DEBUG, GS_LOG_INFO, GS_LOG_WARN, GS_LOG_ERROR };
extern int gs_log_level;
extern int gs_log_json; /* one JSON object per line instead of key=value */

void gs_log(int level, const char *msg, const char *fmt_kv, ...) GS_PRINTF(3, 4);
#define gs_debug(msg, ...) gs_log(GS_LOG_DEBUG, msg, __VA_ARGS__)
#define gs_info(msg, ...) gs_log(GS_LOG_INFO, msg, __VA_ARGS__)
#define gs_warn(msg, ...) gs_log(GS_LOG_WARN, msg, __VA_ARGS__)
#define gs_err(msg, ...) gs_log(GS_LOG_ERROR, msg, __VA_ARGS__)

#endif
