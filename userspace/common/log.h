/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The one logger of lbd and lbctl: pr_err/pr_warn/pr_info/pr_debug to stderr,
 * printf-checked. Message shape (STYLE 45): "subsystem: object: what: reason",
 * lowercase, no final period, no trailing newline in the format.
 * lbctl prints plain lines ("warning: ..."); lbd puts the time (UTC, ms) and the
 * level on every line, or, when stderr is the journal, the level and a syslog
 * priority prefix ("<4>warning: ...") that journald turns into the priority.
 */
#ifndef XLB_COMMON_LOG_H
#define XLB_COMMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN = 1,
	LOG_LVL_INFO = 2,
	LOG_LVL_DEBUG = 3,
	LOG_LVL_LIBBPF_DEBUG = 4, /* -vv: also libbpf's debug output */
};

enum log_style {
	LOG_STYLE_PLAIN,   /* "warning: msg", info without a tag (lbctl) */
	LOG_STYLE_TIME,	   /* "2025-01-31T12:00:00.123Z warning: msg" */
	LOG_STYLE_JOURNAL, /* "<4>warning: msg": journald adds the time */
};

void log_set_level(enum log_level lvl);
void log_set_style(enum log_style style);
/* The style for a daemon's stderr: LOG_STYLE_JOURNAL when $JOURNAL_STREAM names
 * fd 2 (systemd connected it to the journal), else LOG_STYLE_TIME */
enum log_style log_daemon_style(void);
/* Whether a JOURNAL_STREAM value ("DEV:INO", decimal) names the file @dev/@ino. Pure */
int log_journal_stream_is(const char *journal_stream, unsigned long dev, unsigned long ino);
/* Route libbpf's output into this logger, one level lower (debug only at -vv) */
void log_bridge_libbpf(void);

/* From now on, never wait for stderr (lbd's event loop): lines go through a
 * buffer of @cap bytes written without blocking; a line that does not fit is
 * dropped and counted, and once the buffer is out again a warning says how
 * many were. 0 or -errno */
int log_set_nonblocking(size_t cap);
/* Write what is pending, without waiting (call it from the event loop) */
void log_flush(void);
/* Whether lines wait in the buffer */
int log_pending(void);
/* Lines dropped since start because stderr was not read */
uint64_t log_dropped(void);
/* Leave non-blocking mode, waiting at most @wait_ms for pending lines */
void log_close(int wait_ms);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define pr_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* XLB_COMMON_LOG_H */
