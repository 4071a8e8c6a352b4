/*
 * core/time.h - wall-clock helpers and the Edm.DateTimeOffset parser.
 *
 * An instant is counted in 100-nanosecond ticks since 0001-01-01T00:00:00Z (the .NET epoch), so
 * the seven fraction digits Graph sends survive exactly and comparisons are plain integer ones.
 */
#ifndef CMP_CORE_TIME_H
#define CMP_CORE_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Seconds since the Unix epoch. */
int64_t time_now(void);

/* Ticks of the Unix epoch. */
#define TIME_UNIX_EPOCH_TICKS INT64_C(621355968000000000)

/*
 * Parse an ISO 8601 / RFC 3339 date-time with a mandatory offset ('Z' or +hh:mm / -hh:mm) and
 * up to seven fraction digits, e.g. 2016-12-31T23:59:37.9174975-08:00.  Stores the UTC instant in
 * *ticks.  Returns 0 or CMP_EBADREQUEST.
 */
int time_parse_datetimeoffset(const char *s, size_t n, int64_t *ticks);

/* Format `unix_seconds` as Graph's innerError date: 2025-02-13T10:17:05 (UTC, no zone). out[20]. */
void time_format_inner_date(int64_t unix_seconds, char out[20]);

/* Format `unix_seconds` as an RFC 1123 HTTP date into out[30]. */
void time_format_http_date(int64_t unix_seconds, char out[30]);

#endif
