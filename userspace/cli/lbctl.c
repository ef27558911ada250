// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* lbctl: the operator's CLI. Checks the syntax locally (usage errors exit 2
 * without contacting lbd), sends the words to lbd's control socket, and prints
 * the answer as text or JSON. Never writes BPF maps itself.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <xlb/abi.h>
#include "cli/lbctl.h"
#include "common/clock.h"
#include "common/ctl_client.h"
#include "common/ctl_proto.h"
#include "common/grammar.h"

#define TIMEOUT_MS 10000

struct lbctl_opts g_opts = { .socket = CTL_SOCKET_DEFAULT };

int json_flags(void)
{
	return (g_opts.pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN) |
	       JSON_C_TO_STRING_NOSLASHESCAPE;
}

static json_object *err_obj(int code, const char *errno_name, const char *msg)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_int(code));
	json_object_object_add(e, "errno", json_object_new_string(errno_name));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(o, "error", e);
	return o;
}

int p_err(int code, const char *errno_name, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (g_opts.json) {
		json_object *o = err_obj(code, errno_name, msg);

		printf("%s\n", json_object_to_json_string_ext(o, json_flags()));
		json_object_put(o);
	} else {
		fprintf(stderr, "Error: %s\n", msg);
	}
	return code;
}

static void print_json(json_object *data)
{
	printf("%s\n", data ? json_object_to_json_string_ext(data, json_flags()) : "null");
}

static const char *errno_name(int e)
{
	switch (e) {
	case ENOENT:
		return "ENOENT";
	case EACCES:
		return "EACCES";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EPROTO:
		return "EPROTO";
	default:
		return "ECONNREFUSED";
	}
}

/* Why we may not use the socket: its owner, group and mode, and who we are */
static void access_hint(char *buf, size_t len)
{
	char owner[64], group[64], me[64];
	struct passwd *pw;
	struct group *gr;
	struct stat st;
	bool member = false;
	gid_t groups[256];
	int n, i;

	if (stat(g_opts.socket, &st)) {
		snprintf(buf, len,
			 "cannot look at the socket: %s (a directory above it is not "
			 "searchable by you)",
			 strerror(errno));
		return;
	}
	pw = getpwuid(st.st_uid);
	snprintf(owner, sizeof(owner), "%s", pw ? pw->pw_name : "?");
	gr = getgrgid(st.st_gid);
	snprintf(group, sizeof(group), "%s", gr ? gr->gr_name : "?");
	pw = getpwuid(geteuid());
	snprintf(me, sizeof(me), "%s", pw ? pw->pw_name : "?");
	n = getgroups(256, groups);
	member = getegid() == st.st_gid;
	for (i = 0; i < n && !member; i++)
		member = groups[i] == st.st_gid;
	snprintf(buf, len,
		 "socket owner %s (uid %u), group %s (gid %u), mode %04o; you are %s (uid %u), %s "
		 "group %s: run as root, or start lbd with --socket-group GROUP and join GROUP",
		 owner, (unsigned int)st.st_uid, group, (unsigned int)st.st_gid,
		 (unsigned int)(st.st_mode & 07777), me, (unsigned int)geteuid(),
		 member ? "in" : "not in", group);
}

static int connect_lbd(void)
{
	int fd = ctl_client_connect(g_opts.socket, TIMEOUT_MS);
	char hint[512];

	if (fd == -EACCES || fd == -EPERM) {
		access_hint(hint, sizeof(hint));
		return -p_err(CTL_E_CONNECT, errno_name(-fd), "cannot reach lbd at %s: %s (%s)",
			      g_opts.socket, strerror(-fd), hint);
	}
	if (fd < 0)
		return -p_err(CTL_E_CONNECT, errno_name(-fd),
			      "cannot reach lbd at %s: %s (is lbd running?)", g_opts.socket,
			      strerror(-fd));
	return fd;
}

/* Syntax check of the words lbd's grammar knows; 0 or the usage exit code */
static int check_syntax(int argc, char **argv)
{
	struct gr_cmd c;
	char err[512];

	if (!strcmp(argv[0], "agent") || !strcmp(argv[0], "version"))
		return 0;
	if (grammar_parse(argc, argv, &c, err, sizeof(err)))
		return p_err(CTL_E_USAGE, "EINVAL", "%s", err);
	if (c.verb == GR_VERB_HELP) {
		print_help(argv[0]);
		return -1; /* handled: exit 0 */
	}
	return 0;
}

static int run_one(int fd, int argc, char **argv, json_object *extra, json_object **out);

/* `backend show` or `backend list`, with or without a VIP */
static bool is_backend_show(int argc, char **argv)
{
	return argc >= 1 && !strcmp(argv[0], "backend") &&
	       (argc == 1 || !strcmp(argv[1], "show") || !strcmp(argv[1], "list"));
}

static int64_t i64_of(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

/* -s -s: the counters of @data again a second later, and each backend's rates over
 * that second (packets_per_s, bytes_per_s, new_flows_per_s) added to @data */
static int add_rates(int fd, int argc, char **argv, json_object *data)
{
	static const char *const keys[] = { "packets", "bytes", "new_flows" };
	json_object *later = NULL;
	uint64_t t0 = mono_ms(), dt;
	size_t i, n;
	int code;

	usleep(1000 * 1000);
	code = run_one(fd, argc, argv, NULL, &later);
	if (code) {
		json_object_put(later);
		return p_err(code, "EIO", "backend show: the second sample failed");
	}
	dt = mono_ms() - t0;
	n = json_object_array_length(data);
	for (i = 0; i < n && i < json_object_array_length(later); i++) {
		json_object *b0 = json_object_array_get_idx(data, i);
		json_object *b1 = json_object_array_get_idx(later, i);
		char name[32];

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			int64_t d = i64_of(b1, keys[k]) - i64_of(b0, keys[k]);

			snprintf(name, sizeof(name), "%s_per_s", keys[k]);
			json_object_object_add(
				b0, name,
				json_object_new_double(d < 0 ? 0 : d * 1000.0 / (double)dt));
			/* the later sample's counters, so counters and rates agree */
			json_object_object_add(b0, keys[k],
					       json_object_new_int64(i64_of(b1, keys[k])));
		}
		json_object_object_add(b0, "active_flows",
				       json_object_new_int64(i64_of(b1, "active_flows")));
	}
	json_object_put(later);
	return 0;
}

/* Send one command on @fd and return its exit code. @extra (taken; may be NULL)
 * is one more word, or an array of more words. Its result (data, or an error
 * object) goes to *@out when @out is given (batch -j), else it is printed. */
static int run_one(int fd, int argc, char **argv, json_object *extra, json_object **out)
{
	json_object *jargv = json_object_new_array(), *resp = NULL, *data;
	int i, err, code;

	for (i = 0; i < argc; i++)
		json_object_array_add(jargv, json_object_new_string(argv[i]));
	if (extra && json_object_is_type(extra, json_type_array)) {
		for (i = 0; i < (int)json_object_array_length(extra); i++)
			json_object_array_add(jargv,
					      json_object_get(json_object_array_get_idx(extra, i)));
		json_object_put(extra);
	} else if (extra) {
		json_object_array_add(jargv, extra);
	}
	err = ctl_client_request(fd, jargv, &resp, TIMEOUT_MS);
	json_object_put(jargv);
	if (err) {
		char msg[512];

		snprintf(msg, sizeof(msg), "lbd at %s: %s", g_opts.socket,
			 err == -EPROTO ? "protocol error or version mismatch" : strerror(-err));
		if (out) {
			*out = err_obj(CTL_E_CONNECT, errno_name(-err), msg);
			return CTL_E_CONNECT;
		}
		return p_err(CTL_E_CONNECT, errno_name(-err), "%s", msg);
	}
	code = ctl_resp_code(resp);
	if (code == CTL_E_CONNECT && !strcmp(ctl_resp_errno(resp), "EACCES")) {
		/* lbd refused this peer: say what the socket allows and who we are */
		char msg[1024], hint[512];

		access_hint(hint, sizeof(hint));
		snprintf(msg, sizeof(msg), "lbd at %s: %s (%s)", g_opts.socket,
			 ctl_resp_message(resp), hint);
		json_object_put(resp);
		if (out) {
			*out = err_obj(code, "EACCES", msg);
			return code;
		}
		return p_err(code, "EACCES", "%s", msg);
	}
	if (out) {
		*out = code ? err_obj(code, ctl_resp_errno(resp), ctl_resp_message(resp)) :
			      json_object_get(ctl_resp_data(resp));
	} else if (code) {
		p_err(code, ctl_resp_errno(resp), "%s", ctl_resp_message(resp));
	} else {
		data = ctl_resp_data(resp);
		if (g_opts.stats >= 2 && is_backend_show(argc, argv) &&
		    json_object_is_type(data, json_type_array))
			code = add_rates(fd, argc, argv, data);
		if (!code && g_opts.json)
			print_json(data);
		else if (!code)
			render_text(argc, argv, data);
	}
	json_object_put(resp);
	return code;
}

static volatile sig_atomic_t g_stop;

static void on_stop(int sig)
{
	(void)sig;
	g_stop = 1;
}

/* events [follow]: the changes lbd remembers; follow keeps asking for newer
 * ones (4 times a second) until interrupted or lbd goes away. */
static int do_events(int argc, char **argv)
{
	char since[32], *req[3] = { "events", "since", since };
	json_object *jargv, *resp = NULL, *data, *ev, *seq;
	unsigned long long last = 0;
	int fd, err, code = 0;
	size_t i, n;

	if (argc == 1) {
		fd = connect_lbd();
		if (fd < 0)
			return -fd;
		code = run_one(fd, 1, argv, NULL, NULL);
		ctl_client_close(fd);
		return code;
	}
	if (argc != 2 || strcmp(argv[1], "follow"))
		return p_err(CTL_E_USAGE, "EINVAL", "usage: lbctl events [follow]");
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!g_stop) {
		fd = connect_lbd();
		if (fd < 0)
			return -fd;
		snprintf(since, sizeof(since), "%llu", last);
		jargv = json_object_new_array();
		for (i = 0; i < 3; i++)
			json_object_array_add(jargv, json_object_new_string(req[i]));
		err = ctl_client_request(fd, jargv, &resp, TIMEOUT_MS);
		json_object_put(jargv);
		ctl_client_close(fd);
		if (err)
			return p_err(CTL_E_CONNECT, errno_name(-err), "lbd at %s: %s",
				     g_opts.socket, strerror(-err));
		code = ctl_resp_code(resp);
		if (code) {
			p_err(code, ctl_resp_errno(resp), "%s", ctl_resp_message(resp));
			json_object_put(resp);
			return code;
		}
		data = ctl_resp_data(resp);
		n = data ? json_object_array_length(data) : 0;
		for (i = 0; i < n; i++) {
			ev = json_object_array_get_idx(data, i);
			if (json_object_object_get_ex(ev, "seq", &seq))
				last = (unsigned long long)json_object_get_int64(seq);
			if (g_opts.json)
				printf("%s\n", /* one object per line, even with -p */
				       json_object_to_json_string_ext(
					       ev, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
			else
				render_event(ev);
		}
		json_object_put(resp);
		resp = NULL;
		usleep(250000);
	}
	return 0;
}

static int read_file(const char *path, char **out)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t len = 0, cap = 4096, n;
	char *buf;

	if (!f)
		return -errno;
	buf = malloc(cap);
	while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	if (f != stdin)
		fclose(f);
	if (!buf)
		return -ENOMEM;
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* txn begin|commit|abort on @fd: an lbctl exit code (message printed) */
static int txn(int fd, const char *verb)
{
	char *words[2] = { "txn", (char *)verb };
	json_object *out = NULL, *e = NULL;
	int code = run_one(fd, 2, words, NULL, &out);

	if (code && json_object_object_get_ex(out, "error", &e))
		fprintf(stderr, "Error: batch: %s\n",
			json_object_get_string(json_object_object_get(e, "message")));
	json_object_put(out);
	return code;
}

/* Policy lines of a batch travel in chunks ("txn lines TEXT"): one request
 * for hundreds of lines, so 100,000 rules load in well under a second. */
#define CHUNK_MAX (48 * 1024) /* raw bytes of one chunk (JSON escaping grows it) */

struct chunk {
	char buf[CHUNK_MAX + 1];
	size_t len;
	int *lineno; /* file line of each chunk line */
	char **raw;  /* each line as written (for messages and -j) */
	int n, cap;
};

/* One {"line", "command", "output"} element of batch -j (takes @out) */
static void batch_result(json_object *results, int lineno, char **words, int n, json_object *out)
{
	json_object *item = json_object_new_object(), *cmd = json_object_new_array();
	int i;

	for (i = 0; i < n; i++)
		json_object_array_add(cmd, json_object_new_string(words[i]));
	json_object_object_add(item, "line", json_object_new_int(lineno));
	json_object_object_add(item, "command", cmd);
	json_object_object_add(item, "output", out);
	json_object_array_add(results, item);
}

static void batch_item(json_object *results, int lineno, const char *raw, json_object *out)
{
	char copy[GR_LINE_MAX], *words[GR_MAX_WORDS], err[64];
	int n = 0;

	snprintf(copy, sizeof(copy), "%s", raw);
	if (grammar_split(copy, words, GR_MAX_WORDS, &n, err, sizeof(err)))
		n = 0;
	batch_result(results, lineno, words, n, out);
}

static void chunk_discard(struct chunk *ch)
{
	for (int i = 0; i < ch->n; i++)
		free(ch->raw[i]);
	ch->n = 0;
	ch->len = 0;
}

/* Send the chunk; returns the first failing exit code (0 if none) */
static int chunk_flush(int fd, struct chunk *ch, json_object *results)
{
	char *words[4] = { "txn", "lines", ch->buf, "force" };
	json_object *out = NULL, *errs, *e, *v;
	int code, i, k = 0, nerr, idx, ecode, first = 0;

	if (!ch->n)
		return 0;
	ch->buf[ch->len] = '\0';
	code = run_one(fd, g_opts.force ? 4 : 3, words, NULL, &out);
	if (code) { /* the request itself failed: every line of it did */
		json_object *err = NULL;

		json_object_object_get_ex(out, "error", &err);
		fprintf(stderr, "Error: line %d: %s\n", ch->lineno[0],
			err ? json_object_get_string(json_object_object_get(err, "message")) :
			      "failed");
		json_object_put(out);
		first = code;
		goto out;
	}
	nerr = json_object_object_get_ex(out, "errors", &errs) ?
		       (int)json_object_array_length(errs) :
		       0;
	for (i = 0; i < ch->n; i++) {
		json_object *res = NULL;

		e = k < nerr ? json_object_array_get_idx(errs, k) : NULL;
		idx = e && json_object_object_get_ex(e, "index", &v) ? json_object_get_int(v) : -1;
		if (idx == i) {
			const char *m = json_object_object_get_ex(e, "message", &v) ?
						json_object_get_string(v) :
						"failed";

			ecode = json_object_object_get_ex(e, "code", &v) ? json_object_get_int(v) :
									   CTL_E_FAILED;
			first = first ? first : ecode;
			if (results)
				res = err_obj(ecode, ctl_code_errno_name(ecode), m);
			else
				fprintf(stderr, "Error: line %d: %s\n", ch->lineno[i], m);
			k++;
		}
		if (results)
			batch_item(results, ch->lineno[i], ch->raw[i], res);
		if (idx == i && !g_opts.force)
			break;
	}
	json_object_put(out);
out:
	chunk_discard(ch);
	return first;
}

/* Add a policy line to the chunk (flushing a full one first) */
static int chunk_add(int fd, struct chunk *ch, const char *line, int lineno, json_object *results)
{
	size_t l = strlen(line);
	int code = 0;

	if (l + 1 > CHUNK_MAX)
		return -1; /* too long for a chunk: sent alone */
	if (ch->len + l + 1 > CHUNK_MAX) {
		code = chunk_flush(fd, ch, results);
		if (code)
			return code;
	}
	if (ch->n == ch->cap) {
		int ncap = ch->cap ? ch->cap * 2 : 1024;
		int *ln = realloc(ch->lineno, (size_t)ncap * sizeof(*ln));
		char **raw;

		if (!ln)
			return CTL_E_FAILED;
		ch->lineno = ln;
		raw = realloc(ch->raw, (size_t)ncap * sizeof(*raw));
		if (!raw)
			return CTL_E_FAILED;
		ch->raw = raw;
		ch->cap = ncap;
	}
	ch->raw[ch->n] = strdup(line);
	if (!ch->raw[ch->n])
		return CTL_E_FAILED;
	ch->lineno[ch->n++] = lineno;
	memcpy(ch->buf + ch->len, line, l);
	ch->len += l;
	ch->buf[ch->len++] = '\n';
	return 0;
}

static bool is_policy_line(const char *line)
{
	line += strspn(line, " \t");
	return (!strncmp(line, "policy", 6) && strchr(" \t", line[6]) && line[6]) ||
	       (!strncmp(line, "ratelimit", 9) && strchr(" \t", line[9]) && line[9]);
}

/* batch FILE|-: one command per line on one connection; stops at the first
 * failing line (or goes on with -f and exits 1). -j prints one array of
 * {"line": N, "command": [...], "output": value-or-error}. policy and
 * ratelimit lines are one transaction: lbd publishes them together at the
 * end, or none of them when the batch stops at a failing line; they travel
 * in chunks of many lines. */
/* The batch stopped: its staged policy lines were dropped, say so in -j */
static void mark_rolled_back(json_object *results)
{
	size_t i, n = json_object_array_length(results);

	for (i = 0; i < n; i++) {
		json_object *it = json_object_array_get_idx(results, i), *cmd, *out;
		const char *w;

		if (!json_object_object_get_ex(it, "command", &cmd) ||
		    !json_object_array_length(cmd))
			continue;
		w = json_object_get_string(json_object_array_get_idx(cmd, 0));
		if (strcmp(w, "policy") && strcmp(w, "ratelimit"))
			continue;
		if (json_object_object_get_ex(it, "output", &out) && out)
			continue;
		json_object_object_add(it, "output",
				       err_obj(CTL_E_FAILED, "ECANCELED",
					       "not applied: the batch stopped at a failing line"));
	}
}

static int do_batch(const char *path)
{
	char *text, *line, *next, *words[GR_MAX_WORDS], err[256];
	json_object *results = g_opts.json ? json_object_new_array() : NULL, *out;
	int fd, n, lineno = 0, code, failed = 0, ret;
	struct chunk *ch = NULL;
	bool in_txn = false;

	ret = read_file(path, &text);
	if (ret)
		return p_err(CTL_E_FAILED, "EIO", "batch: %s: %s", path, strerror(-ret));
	fd = connect_lbd();
	if (fd < 0) {
		free(text);
		json_object_put(results);
		return -fd;
	}
	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++; /* blank and comment lines count, so numbers match the file */
		if (!in_txn && is_policy_line(line)) {
			/* the first policy line opens the transaction (lines before it
			 * were applied on their own, as they would be anyway) */
			ch = calloc(1, sizeof(*ch));
			code = ch ? txn(fd, "begin") : CTL_E_FAILED;
			if (code) {
				failed = code;
				break;
			}
			in_txn = true;
		}
		if (in_txn && is_policy_line(line)) {
			code = chunk_add(fd, ch, line, lineno, results);
			if (code >= 0) {
				if (code) {
					failed = failed ? failed : code;
					if (!g_opts.force)
						break;
				}
				continue;
			}
		} else if (in_txn) { /* keep the order: policy lines before this one go first */
			code = chunk_flush(fd, ch, results);
			if (code) {
				failed = failed ? failed : code;
				if (!g_opts.force)
					break;
			}
		}
		out = NULL;
		if (grammar_split(line, words, GR_MAX_WORDS, &n, err, sizeof(err))) {
			code = CTL_E_USAGE;
			out = err_obj(code, "EINVAL", err);
		} else if (!n) {
			continue;
		} else {
			code = 0;
			if (strcmp(words[0], "agent") && strcmp(words[0], "version")) {
				struct gr_cmd c;

				if (grammar_parse(n, words, &c, err, sizeof(err))) {
					code = CTL_E_USAGE;
					out = err_obj(code, "EINVAL", err);
				}
			}
			if (!code)
				code = run_one(fd, n, words, NULL, &out);
		}
		if (results) {
			batch_result(results, lineno, words, n, out);
		} else {
			if (code) {
				json_object *e = NULL;

				json_object_object_get_ex(out, "error", &e);
				fprintf(stderr, "Error: line %d: %s\n", lineno,
					e ? json_object_get_string(
						    json_object_object_get(e, "message")) :
					    "failed");
			} else if (!g_opts.quiet) {
				render_text(n, words, out);
			}
			json_object_put(out);
		}
		if (code) {
			failed = failed ? failed : code;
			if (!g_opts.force)
				break;
		}
	}
	if (!in_txn)
		free(ch); /* none, or its begin failed */
	if (in_txn) {
		if (!failed || g_opts.force) {
			code = chunk_flush(fd, ch, results);
			failed = failed ? failed : code;
		} else {
			chunk_discard(ch); /* aborted below */
			if (results)
				mark_rolled_back(results);
			else
				fprintf(stderr, "Error: batch: stopped; none of its policy and "
						"ratelimit lines were applied\n");
		}
		/* stopped at a failing line: none of the policy lines apply */
		code = txn(fd, failed && !g_opts.force ? "abort" : "commit");
		failed = failed ? failed : code;
		free(ch->lineno);
		free(ch->raw);
		free(ch);
	}
	ctl_client_close(fd);
	free(text);
	if (results) {
		print_json(results);
		json_object_put(results);
	}
	if (failed && g_opts.force)
		return CTL_E_FAILED;
	return failed;
}

/* A file larger than one request goes to lbd in parts of whole lines
 * ("apply-part TEXT"), its last part as "apply TEXT [dry-run]": lbd applies
 * the whole at once, as for a small file */
#define APPLY_PART_MAX (32 * 1024) /* raw bytes of one part (JSON escaping grows it) */

/* Sends every part of @text but the last; returns where the last starts, or
 * NULL with *@code set (the error printed) */
static char *apply_send_parts(int fd, char *text, int *code)
{
	char *req[1] = { "apply-part" }, *p = text, *cut, save;
	json_object *out = NULL, *e = NULL;

	while (strlen(p) > APPLY_PART_MAX) {
		cut = p + APPLY_PART_MAX;
		while (cut > p && cut[-1] != '\n')
			cut--;
		if (cut == p) /* one line longer than a part: alone */
			cut = strchr(p + APPLY_PART_MAX, '\n') ?: p + strlen(p);
		if (!*cut)
			break;
		if (*cut == '\n')
			cut++;
		save = *cut;
		*cut = '\0';
		*code = run_one(fd, 1, req, json_object_new_string(p), &out);
		*cut = save;
		if (*code) {
			json_object_object_get_ex(out, "error", &e);
			p_err(*code,
			      e ? json_object_get_string(json_object_object_get(e, "errno")) :
				  "EIO",
			      "%s",
			      e ? json_object_get_string(json_object_object_get(e, "message")) :
				  "failed");
			json_object_put(out);
			return NULL;
		}
		json_object_put(out);
		out = NULL;
		p = cut;
	}
	return p;
}

/* apply [ --dry-run ] FILE: lbd validates the whole file, then replaces the
 * running config with it; --dry-run prints what would change instead */
static int do_apply(int argc, char **argv)
{
	const char *path = NULL;
	bool dry_run = false;
	json_object *out = NULL, *v;
	char *text, *last, *req[1] = { "apply" };
	int fd, code = 0, ret, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run") && !dry_run)
			dry_run = true;
		else if (!path && (argv[i][0] != '-' || !strcmp(argv[i], "-")))
			path = argv[i];
		else
			return p_err(CTL_E_USAGE, "EINVAL",
				     "apply: unexpected '%s'; try 'lbctl apply help'", argv[i]);
	}
	if (!path)
		return p_err(CTL_E_USAGE, "EINVAL", "apply: expects FILE; try 'lbctl apply help'");
	ret = read_file(path, &text);
	if (ret)
		return p_err(CTL_E_FAILED, "EIO", "apply: %s: %s", path, strerror(-ret));
	fd = connect_lbd();
	if (fd < 0) {
		free(text);
		return -fd;
	}
	last = apply_send_parts(fd, text, &code);
	if (!last) {
		ctl_client_close(fd);
		free(text);
		return code;
	}
	if (!dry_run) {
		code = run_one(fd, 1, req, json_object_new_string(last), NULL);
		if (!code && g_opts.json)
			print_json(NULL);
	} else {
		json_object *jargv = json_object_new_array();

		/* "apply TEXT dry-run": the text travels as one word */
		json_object_array_add(jargv, json_object_new_string(last));
		json_object_array_add(jargv, json_object_new_string("dry-run"));
		code = run_one(fd, 1, req, jargv, &out);
		if (code) {
			json_object *e = NULL;

			json_object_object_get_ex(out, "error", &e);
			p_err(code,
			      e ? json_object_get_string(json_object_object_get(e, "errno")) :
				  "EIO",
			      "%s",
			      e ? json_object_get_string(json_object_object_get(e, "message")) :
				  "failed");
		} else if (g_opts.json) {
			print_json(out);
		} else {
			render_apply_diff(out);
			if (json_object_object_get_ex(out, "changes", &v) &&
			    !json_object_array_length(v))
				fprintf(stderr, "apply --dry-run: %s: no change\n", path);
			else
				fprintf(stderr,
					"apply --dry-run: %s: %d added, %d removed, %d changed; "
					"nothing applied\n",
					path,
					json_object_get_int(json_object_object_get(out, "added")),
					json_object_get_int(json_object_object_get(out, "removed")),
					json_object_get_int(
						json_object_object_get(out, "changed")));
		}
		json_object_put(out);
	}
	ctl_client_close(fd);
	free(text);
	return code;
}

static int do_version(void)
{
	json_object *jargv = json_object_new_array(), *resp = NULL, *o, *d;
	int fd = ctl_client_connect(g_opts.socket, 1000);

	o = json_object_new_object();
	json_object_object_add(o, "lbctl", json_object_new_string(LBCTL_VERSION));
	json_object_object_add(o, "bpf_abi", json_object_new_int(XLB_ABI_VERSION));
	json_object_array_add(jargv, json_object_new_string("version"));
	if (fd >= 0 && !ctl_client_request(fd, jargv, &resp, 2000) && !ctl_resp_code(resp) &&
	    (d = ctl_resp_data(resp))) {
		json_object_object_foreach(d, k, v) {
			if (strcmp(k, "bpf_abi"))
				json_object_object_add(o, k, json_object_get(v));
		}
	} else {
		json_object_object_add(o, "lbd", NULL);
	}
	if (fd >= 0)
		ctl_client_close(fd);
	if (g_opts.json) {
		print_json(o);
	} else {
		json_object_object_foreach(o, k2, v2) {
			printf("%-12s %s\n", k2,
			       v2 ? json_object_get_string(v2) : "(not reachable)");
		}
	}
	json_object_put(resp);
	json_object_put(jargv);
	json_object_put(o);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1, fd, code;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			g_opts.json = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
			g_opts.json = g_opts.pretty = true;
		} else if (!strcmp(a, "-d") || !strcmp(a, "--details")) {
			g_opts.details = true;
		} else if (!strcmp(a, "-s") || !strcmp(a, "--stats")) {
			g_opts.stats++;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			g_opts.quiet = true;
		} else if (!strcmp(a, "-f") || !strcmp(a, "--force")) {
			g_opts.force = true;
		} else if (!strcmp(a, "-S") || !strcmp(a, "--socket")) {
			if (++i == argc)
				return p_err(CTL_E_USAGE, "EINVAL", "missing PATH after '%s'", a);
			g_opts.socket = argv[i];
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			return do_version();
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_help(NULL);
			return 0;
		} else {
			return p_err(CTL_E_USAGE, "EINVAL", "unknown option '%s'; try 'lbctl help'",
				     a);
		}
	}
	argc -= i;
	argv += i;
	if (!argc || !strcmp(argv[0], "help")) {
		print_help(NULL);
		return 0;
	}
	if (argc >= 2 && (!strcmp(argv[argc - 1], "help") || !strcmp(argv[argc - 1], "-h"))) {
		if (print_help(argv[0]))
			return p_err(CTL_E_USAGE, "EINVAL", "unknown object '%s'; try 'lbctl help'",
				     argv[0]);
		return 0;
	}
	if (!strcmp(argv[0], "version"))
		return do_version();
	if (!strcmp(argv[0], "batch")) {
		if (argc != 2)
			return p_err(CTL_E_USAGE, "EINVAL", "batch: expects FILE or -");
		return do_batch(argv[1]);
	}
	if (!strcmp(argv[0], "apply"))
		return do_apply(argc, argv);
	if (!strcmp(argv[0], "decap")) /* no lbd: talks to the kernel itself */
		return do_decap(argc - 1, argv + 1);
	if (!strcmp(argv[0], "events"))
		return do_events(argc, argv);

	code = check_syntax(argc, argv);
	if (code)
		return code < 0 ? 0 : code;
	fd = connect_lbd();
	if (fd < 0)
		return -fd;
	code = run_one(fd, argc, argv, NULL, NULL);
	/* commands that print nothing still print one JSON value */
	ctl_client_close(fd);
	return code;
}
