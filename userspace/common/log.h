/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The one logger of lbd and lbctl: pr_err/pr_warn/pr_info/pr_debug to stderr,
 * printf-checked. Message shape (STYLE 45): "subsystem: object: what: reason",
 * lowercase, no final period, no trailing newline in the format.
 */
#ifndef XLB_COMMON_LOG_H
#define XLB_COMMON_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN = 1,
	LOG_LVL_INFO = 2,
	LOG_LVL_DEBUG = 3,
	LOG_LVL_LIBBPF_DEBUG = 4, /* -vv: also libbpf's debug output */
};

void log_set_level(enum log_level lvl);
/* Route libbpf's output into this logger, one level lower (debug only at -vv) */
void log_bridge_libbpf(void);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define pr_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* XLB_COMMON_LOG_H */
