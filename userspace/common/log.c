// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Logger: level filter, line prefix (time and level, or the journal's
 * priority), libbpf bridge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "log.h"

static enum log_level cur_level = LOG_LVL_INFO;
static enum log_style cur_style = LOG_STYLE_PLAIN;

static const char *const level_tag[] = {
	[LOG_LVL_ERR] = "error: ",   [LOG_LVL_WARN] = "warning: ",	 [LOG_LVL_INFO] = "",
	[LOG_LVL_DEBUG] = "debug: ", [LOG_LVL_LIBBPF_DEBUG] = "debug: ",
};

/* the daemon styles tag every line, info too */
static const char *const level_word[] = {
	[LOG_LVL_ERR] = "error",   [LOG_LVL_WARN] = "warning",	     [LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug", [LOG_LVL_LIBBPF_DEBUG] = "debug",
};

/* syslog priorities (sd-daemon.h's SD_ERR...): LOG_ERR 3, LOG_WARNING 4, LOG_INFO 6,
 * LOG_DEBUG 7 */
static const int level_prio[] = {
	[LOG_LVL_ERR] = 3,   [LOG_LVL_WARN] = 4,	 [LOG_LVL_INFO] = 6,
	[LOG_LVL_DEBUG] = 7, [LOG_LVL_LIBBPF_DEBUG] = 7,
};

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

void log_set_style(enum log_style style)
{
	cur_style = style;
}

int log_journal_stream_is(const char *journal_stream, unsigned long dev, unsigned long ino)
{
	unsigned long jdev, jino;
	char tail;

	if (!journal_stream || sscanf(journal_stream, "%lu:%lu%c", &jdev, &jino, &tail) != 2)
		return 0;
	return jdev == dev && jino == ino;
}

enum log_style log_daemon_style(void)
{
	struct stat st;

	/* systemd sets JOURNAL_STREAM to the stream's device and inode; a child
	 * whose stderr was redirected elsewhere inherits the variable, so compare */
	if (!fstat(2, &st) &&
	    log_journal_stream_is(getenv("JOURNAL_STREAM"), (unsigned long)st.st_dev,
				  (unsigned long)st.st_ino))
		return LOG_STYLE_JOURNAL;
	return LOG_STYLE_TIME;
}

/* The prefix of one line at @lvl in the current style, into @buf */
static const char *line_prefix(enum log_level lvl, char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	switch (cur_style) {
	case LOG_STYLE_JOURNAL:
		snprintf(buf, len, "<%d>%s: ", level_prio[lvl], level_word[lvl]);
		return buf;
	case LOG_STYLE_TIME:
		clock_gettime(CLOCK_REALTIME, &ts);
		if (!gmtime_r(&ts.tv_sec, &tm))
			memset(&tm, 0, sizeof(tm));
		n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(buf + n, len - n, ".%03dZ %s: ", (int)(ts.tv_nsec / 1000000),
			 level_word[lvl]);
		return buf;
	default:
		return level_tag[lvl];
	}
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char buf[1024], pfx[64];
	size_t n;

	if (lvl > cur_level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n') /* libbpf lines end in newlines; ours must not */
		buf[--n] = '\0';
	fprintf(stderr, "%s%s\n", line_prefix(lvl, pfx, sizeof(pfx)), buf);
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
	char pfx[64];

	if (lvl <= cur_level) {
		fprintf(stderr, "%slibbpf: ", line_prefix(lvl, pfx, sizeof(pfx)));
		vfprintf(stderr, fmt, ap);
	}
	return 0;
}

void log_bridge_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
