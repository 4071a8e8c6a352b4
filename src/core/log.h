/*
 * core/log.h - process log lines on stderr: "2026-11-28T10:00:00Z level message".
 */
#ifndef CMP_CORE_LOG_H
#define CMP_CORE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below `level` are dropped.  Default LOG_INFO. */
void log_set_level(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Drain OpenSSL's error queue into the log as "<what>: <error>" lines (never into a client's
 * message). */
void log_openssl(const char *what);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
