#ifndef GS_LOG_H
#define GS_LOG_H
/*
 * Logs: one record per line on stderr, never a secret value.
 *
 *   gs_info("unsealed", "namespace=%s name=%s error=\"%s\"", ns, name, gs_error_last());
 *
 * fmt_kv is a list of key=value fields separated by spaces, written like a
 * printf format (checked by the compiler): each key and each value is a small
 * template, formatted on its own and then escaped by the one escaper
 * (lib/core/text.h), so no value — a newline, a quote, an '=', a control byte,
 * invalid UTF-8 — can end the record or forge a field. A value template in
 * double quotes ("%s") may hold spaces and is always written quoted in logfmt;
 * a bare one ends at the first space and is quoted only when it needs to be.
 * A field without '=' is logged as detail=... unless it formats to "" (so
 * "%s", "" means no fields; NULL or "" do too). Each value is cut at
 * GS_LOG_VALUE_MAX bytes ("..." marks the cut).
 *
 * Text (default), logfmt with an RFC 3339 UTC timestamp in milliseconds:
 *   time=2026-12-04T17:03:45.123Z level=info msg="unsealed" namespace=prod name=db
 * Keys keep [A-Za-z0-9_.:/-]; any other byte becomes '_'.
 * JSON lines (gs_log_json = 1, --log-format=json), keys in call order:
 *   {"time":"2026-12-04T17:03:45.123Z","level":"info","msg":"unsealed","namespace":"prod","name":"db"}
 * A value that is one numeric conversion (%d, %zu, %.3f...) and formats as a
 * JSON number is written as a number; everything else is a JSON string.
 *
 * gs_log_level selects the minimum level; gs_log_level and gs_log_json are set
 * once at start-up, before threads. gs_log never changes gs_error_last().
 */
#include <stdio.h>

#include "core/error.h"

enum gs_log_level { GS_LOG_DEBUG, GS_LOG_INFO, GS_LOG_WARN, GS_LOG_ERROR };
extern int gs_log_level;
extern int gs_log_json; /* one JSON object per line instead of key=value */

#define GS_LOG_VALUE_MAX 4096

void gs_log(int level, const char *msg, const char *fmt_kv, ...) GS_PRINTF(3, 4);
#define gs_debug(msg, ...) gs_log(GS_LOG_DEBUG, msg, __VA_ARGS__)
#define gs_info(msg, ...) gs_log(GS_LOG_INFO, msg, __VA_ARGS__)
#define gs_warn(msg, ...) gs_log(GS_LOG_WARN, msg, __VA_ARGS__)
#define gs_err(msg, ...) gs_log(GS_LOG_ERROR, msg, __VA_ARGS__)

/* Where records go (stderr when NULL); for tests. Not thread-safe with gs_log. */
void gs_log_set_stream(FILE *f);

#endif
