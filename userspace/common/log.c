// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Logger: level filter, line prefix (time and level, or the journal's
 * priority), libbpf bridge. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "log.h"

static enum log_level cur_level = LOG_LVL_INFO;
static enum log_style cur_style = LOG_STYLE_PLAIN;

/* Non-blocking mode (log_set_nonblocking): lines go to a bounded buffer that
 * is written to fd 2 without ever waiting; what does not fit is dropped and
 * counted. */
static struct {
	bool on;
	int fd;	   /* a non-blocking description of fd 2 (or fd 2 itself) */
	bool sock; /* fd 2 is a socket: send(MSG_DONTWAIT) */
	char *buf; /* pending bytes: buf[0..len) */
	size_t len, cap;
	uint64_t dropped;	/* lines dropped since the last report */
	uint64_t dropped_total; /* lines dropped since start */
} nb = { .fd = 2 };

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

int log_set_nonblocking(size_t cap)
{
	struct stat st;
	int fd;

	if (nb.on)
		return 0;
	if (fstat(2, &st))
		return -errno;
	nb.buf = malloc(cap);
	if (!nb.buf)
		return -ENOMEM;
	nb.cap = cap;
	nb.fd = 2;
	if (S_ISSOCK(st.st_mode)) {
		nb.sock = true; /* the journal's stream */
	} else if (S_ISFIFO(st.st_mode)) {
		/* a description of our own: O_NONBLOCK on fd 2's would change it
		 * for every process sharing it */
		fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			nb.fd = fd;
	} /* else a file, a terminal or /dev/null: written as it is */
	fflush(stderr);
	nb.on = true;
	return 0;
}

/* Write as much of @s as fd 2 takes now; the number of bytes written, or
 * -errno (-EAGAIN: full) */
static ssize_t nb_write(const char *s, size_t n)
{
	ssize_t w;

	do
		w = nb.sock ? send(nb.fd, s, n, MSG_DONTWAIT | MSG_NOSIGNAL) : write(nb.fd, s, n);
	while (w < 0 && errno == EINTR);
	if (w < 0 && errno == ENOTSOCK && nb.sock) {
		nb.sock = false;
		return nb_write(s, n);
	}
	return w < 0 ? -errno : w;
}

static void nb_report_drops(void);

/* Write pending bytes; once all are out, say how many lines were dropped */
void log_flush(void)
{
	ssize_t w;

	if (!nb.on)
		return;
	while (nb.len) {
		w = nb_write(nb.buf, nb.len);
		if (w <= 0) {
			if (w < 0 && w != -EAGAIN)
				nb.len = 0; /* the reader is gone: nothing to wait for */
			break;
		}
		memmove(nb.buf, nb.buf + w, nb.len - (size_t)w);
		nb.len -= (size_t)w;
	}
	if (!nb.len && nb.dropped)
		nb_report_drops();
}

int log_pending(void)
{
	return nb.on && nb.len;
}

uint64_t log_dropped(void)
{
	return nb.dropped_total;
}

/* Queue or write @n bytes (whole lines); a line that does not fit is dropped */
static void nb_emit(const char *s, size_t n)
{
	ssize_t w = 0;

	if (!nb.len) {
		w = nb_write(s, n);
		if (w < 0)
			w = 0;
		if ((size_t)w == n)
			return;
	}
	if (nb.cap - nb.len < n - (size_t)w) {
		if (!w) { /* a partly written line is finished below whatever it costs */
			nb.dropped++;
			nb.dropped_total++;
			return;
		}
		n = (size_t)w + (nb.cap - nb.len); /* cut; the reader sees a broken line */
	}
	memcpy(nb.buf + nb.len, s + w, n - (size_t)w);
	nb.len += n - (size_t)w;
}

static void emit_line(enum log_level lvl, const char *msg)
{
	char line[1200], pfx[64];
	int n;

	if (!nb.on) {
		fprintf(stderr, "%s%s\n", line_prefix(lvl, pfx, sizeof(pfx)), msg);
		return;
	}
	n = snprintf(line, sizeof(line), "%s%s\n", line_prefix(lvl, pfx, sizeof(pfx)), msg);
	if (n >= (int)sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	nb_emit(line, (size_t)n);
}

static void nb_report_drops(void)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "log: %llu lines dropped: stderr was not read fast enough",
		 (unsigned long long)nb.dropped);
	nb.dropped = 0;
	emit_line(LOG_LVL_WARN, msg);
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n;

	if (lvl > cur_level)
		return;
	if (nb.on)
		log_flush(); /* older lines first, and the count of lost ones */
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n') /* libbpf lines end in newlines; ours must not */
		buf[--n] = '\0';
	emit_line(lvl, buf);
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

	if (lvl <= cur_level && nb.on) {
		char buf[1024];
		int n = snprintf(buf, sizeof(buf),
				 "%slibbpf: ", line_prefix(lvl, pfx, sizeof(pfx)));

		vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
		log_flush();
		nb_emit(buf, strlen(buf));
	} else if (lvl <= cur_level) {
		fprintf(stderr, "%slibbpf: ", line_prefix(lvl, pfx, sizeof(pfx)));
		vfprintf(stderr, fmt, ap);
	}
	return 0;
}

void log_close(int wait_ms)
{
	struct pollfd p = { .events = POLLOUT };

	if (!nb.on)
		return;
	p.fd = nb.fd;
	log_flush();
	while (nb.len && wait_ms > 0 && poll(&p, 1, 100) >= 0) {
		log_flush();
		wait_ms -= 100;
	}
	if (nb.fd != 2)
		close(nb.fd);
	free(nb.buf);
	memset(&nb, 0, sizeof(nb));
	nb.fd = 2;
}

void log_bridge_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
