// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Logger: level filter, optional program-name prefix, libbpf bridge. */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "log.h"

static enum log_level cur_level = LOG_LVL_INFO;

static const char *const level_tag[] = {
	[LOG_LVL_ERR] = "error: ",   [LOG_LVL_WARN] = "warning: ",	 [LOG_LVL_INFO] = "",
	[LOG_LVL_DEBUG] = "debug: ", [LOG_LVL_LIBBPF_DEBUG] = "debug: ",
};

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n;

	if (lvl > cur_level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n') /* libbpf lines end in newlines; ours must not */
		buf[--n] = '\0';
	fprintf(stderr, "%s%s\n", level_tag[lvl], buf);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings carry the whole verifier log on a load failure: the
	 * caller prints one line instead (STYLE 46), so libbpf shows from -v on,
	 * its debug output from -vv */
	enum log_level lvl = level == LIBBPF_DEBUG ? LOG_LVL_LIBBPF_DEBUG : LOG_LVL_DEBUG;

	if (lvl <= cur_level) {
		fputs("libbpf: ", stderr);
		vfprintf(stderr, fmt, ap);
	}
	return 0;
}

void log_bridge_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
