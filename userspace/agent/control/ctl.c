// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Control-socket server: one internal epoll holding the listening socket and every
 * client, line framing with bounded buffers, request checks, peer authorization and
 * the audit log. Protocol in common/ctl_proto.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, struct ucred; the Makefile sets it already */
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "common/fsutil.h"
#include "common/clock.h"
#include "agent/control/ctl.h"
#include "common/sockio.h"
#include "common/log.h"

#define CTL_JSON_DEPTH 8	 /* requests are flat; refuse deep nesting early */
#define CTL_OUT_HIGH CTL_MSG_MAX /* stop answering a client with this much unsent */
#define CTL_ACCEPT_BATCH 16	 /* accepts per dispatch, so clients cannot starve */
#define CTL_EVENTS 32		 /* epoll events per dispatch */
/* Changes made per dispatch, round robin over the clients; reads are all
 * answered first, so a read never waits behind a queue of changes */
#define CTL_CHANGES_PER_DISPATCH 1
#define CTL_LISTEN_BACKLOG 128
#define CTL_TAG_LISTEN ((void *)&ctl_tag) /* epoll data of the listening socket */

static const char ctl_tag;

struct ctl_client {
	int fd;
	struct ctl_peer peer;
	bool allowed;
	bool closing;	  /* close once the output is flushed; read nothing more */
	bool eof;	  /* the peer shut its side: answer the complete lines, then close */
	uint64_t last_ms; /* accept, last complete request or write progress */
	char *in;	  /* CTL_MSG_MAX bytes */
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	uint32_t events; /* currently registered with epoll */
};

struct ctl_server {
	int lfd;
	int epfd;
	long group;
	ctl_handler_fn fn;
	void *arg;
	dev_t dev; /* identity of our socket file, so ctl_close() unlinks only ours */
	ino_t ino;
	unsigned int nr_clients;
	unsigned int rr; /* the slot whose change goes first in the next dispatch */
	struct ctl_client *clients[CTL_CLIENTS_MAX];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint64_t next_conn;
	uint64_t refused_log_ms; /* last warning about a refused client */
	unsigned int refused_quiet;
	void (*close_fn)(void *arg, uint64_t conn);
	bool (*readonly_fn)(struct json_object *argv);
};

void ctl_set_close_hook(struct ctl_server *srv, void (*fn)(void *arg, uint64_t conn))
{
	srv->close_fn = fn;
}

void ctl_set_readonly_fn(struct ctl_server *srv, bool (*fn)(struct json_object *argv))
{
	srv->readonly_fn = fn;
}

/* ---- request parsing (pure) ---- */

static int bad(char *msg, size_t msglen, int code, const char *what)
{
	snprintf(msg, msglen, "%s", what);
	return code;
}

int ctl_parse_request(const char *line, size_t len, struct json_object **argv, char *msg,
		      size_t msglen)
{
	struct json_object *root, *v, *arr;
	struct json_tokener *tok;
	size_t i, n, off;
	int64_t ver;

	*argv = NULL;
	if (len >= CTL_MSG_MAX)
		return bad(msg, msglen, CTL_E_USAGE, "request too large");
	if (memchr(line, '\0', len))
		return bad(msg, msglen, CTL_E_USAGE, "invalid request: NUL byte");
	tok = json_tokener_new_ex(CTL_JSON_DEPTH);
	if (!tok)
		return bad(msg, msglen, CTL_E_FAILED, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, line, (int)len);
	off = json_tokener_get_parse_end(tok);
	if (!root) {
		snprintf(msg, msglen, "invalid request: %s",
			 json_tokener_get_error(tok) == json_tokener_continue ?
				 "incomplete JSON" :
				 json_tokener_error_desc(json_tokener_get_error(tok)));
		json_tokener_free(tok);
		return CTL_E_USAGE;
	}
	json_tokener_free(tok);
	for (; off < len; off++) {
		if (!strchr(" \t\r", line[off])) {
			json_object_put(root);
			return bad(msg, msglen, CTL_E_USAGE, "invalid request: data after JSON");
		}
	}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return bad(msg, msglen, CTL_E_USAGE, "invalid request: not a JSON object");
	}
	if (!json_object_object_get_ex(root, "v", &v) || !json_object_is_type(v, json_type_int)) {
		json_object_put(root);
		return bad(msg, msglen, CTL_E_USAGE, "invalid request: missing integer \"v\"");
	}
	ver = json_object_get_int64(v);
	if (ver != CTL_PROTO_VERSION) {
		snprintf(msg, msglen, "protocol version %lld not supported (lbd speaks %d)",
			 (long long)ver, CTL_PROTO_VERSION);
		json_object_put(root);
		return CTL_E_CONNECT;
	}
	if (!json_object_object_get_ex(root, "argv", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		json_object_put(root);
		return bad(msg, msglen, CTL_E_USAGE, "invalid request: \"argv\" is not an array");
	}
	n = json_object_array_length(arr);
	if (n == 0 || n > CTL_ARGV_MAX) {
		snprintf(msg, msglen, "invalid request: \"argv\" has %zu words (1 to %d allowed)",
			 n, CTL_ARGV_MAX);
		json_object_put(root);
		return CTL_E_USAGE;
	}
	for (i = 0; i < n; i++) {
		struct json_object *w = json_object_array_get_idx(arr, i);
		const char *s;

		if (!json_object_is_type(w, json_type_string)) {
			snprintf(msg, msglen, "invalid request: argv[%zu] is not a string", i);
			json_object_put(root);
			return CTL_E_USAGE;
		}
		s = json_object_get_string(w);
		if (strlen(s) != (size_t)json_object_get_string_len(w)) {
			snprintf(msg, msglen, "invalid request: argv[%zu] contains a NUL byte", i);
			json_object_put(root);
			return CTL_E_USAGE;
		}
	}
	*argv = json_object_get(arr);
	json_object_put(root);
	return CTL_OK;
}

char *ctl_argv_join(struct json_object *argv, char *buf, size_t buflen)
{
	size_t i, n = json_object_array_length(argv), pos = 0;
	bool cut = false;

	if (!buflen)
		return buf;
	for (i = 0; i < n && !cut; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(argv, i));

		if (i) {
			if (pos + 1 >= buflen) {
				cut = true;
				break;
			}
			buf[pos++] = ' ';
		}
		for (; s && *s; s++) {
			if (pos + 1 >= buflen) {
				cut = true;
				break;
			}
			/* requests are logged: no control bytes (log injection) */
			buf[pos++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
		}
	}
	if (cut && buflen >= 4) {
		pos = pos > buflen - 4 ? buflen - 4 : pos;
		memcpy(buf + pos, "...", 3);
		pos += 3;
	}
	buf[pos] = '\0';
	return buf;
}

/* ---- authorization ---- */

/* 1: gid is in the Groups: line of /proc/<pid>/status, 0: it is not, -1: unknown */
static int proc_has_group(pid_t pid, gid_t gid)
{
	char path[64], line[4096];
	int ret = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (strncmp(line, "Groups:", 7))
			continue;
		if (!strchr(line, '\n'))
			break; /* too many groups for the buffer: fall back */
		ret = 0;
		for (p = line + 7;; p = end) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			if (g == gid) {
				ret = 1;
				break;
			}
		}
		break;
	}
	fclose(f);
	return ret;
}

static bool user_has_group(uid_t uid, gid_t gid)
{
	struct passwd pw, *res = NULL;
	gid_t *groups = NULL;
	int i, n = 64;
	bool found = false;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) || !res)
		return false;
	if (pw.pw_gid == gid)
		return true;
	for (;;) {
		gid_t *tmp = realloc(groups, (size_t)n * sizeof(*groups));
		int want = n;

		if (!tmp)
			break;
		groups = tmp;
		if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &want) >= 0) {
			for (i = 0; i < want; i++)
				found |= groups[i] == gid;
			break;
		}
		if (want <= n || want > 65536)
			break;
		n = want;
	}
	free(groups);
	return found;
}

static bool peer_allowed(const struct ctl_server *srv, const struct ctl_peer *p)
{
	int r;

	if (p->uid == 0 || p->uid == geteuid())
		return true;
	if (srv->group < 0)
		return false;
	if (p->gid == (gid_t)srv->group)
		return true;
	r = proc_has_group(p->pid, (gid_t)srv->group);
	if (r >= 0)
		return r;
	return user_has_group(p->uid, (gid_t)srv->group);
}

/* ---- clients ---- */

static int client_slot(const struct ctl_server *srv, const struct ctl_client *c)
{
	int i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		if (srv->clients[i] == c)
			return i;
	return -1;
}

static void client_free(struct ctl_server *srv, struct ctl_client *c)
{
	int i = client_slot(srv, c);

	if (i >= 0) {
		srv->clients[i] = NULL;
		srv->nr_clients--;
	}
	if (srv->close_fn)
		srv->close_fn(srv->arg, c->peer.conn);
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static void client_update_events(struct ctl_server *srv, struct ctl_client *c)
{
	struct epoll_event ev = { .data.ptr = c };
	uint32_t want = 0;

	if (!c->closing && !c->eof && c->out_len - c->out_off < CTL_OUT_HIGH &&
	    c->in_len < CTL_MSG_MAX)
		want |= EPOLLIN | EPOLLRDHUP;
	if (c->out_len > c->out_off)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	ev.events = want;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
}

/* Writes what it can. Returns 0, or -1 when the client is gone (and was freed) */
static int client_flush(struct ctl_server *srv, struct ctl_client *c)
{
	size_t before = c->out_off;
	int err = sock_send_some(c->fd, c->out, c->out_len, &c->out_off);

	if (c->out_off != before)
		c->last_ms = mono_ms();
	if (err && err != -EAGAIN) {
		pr_debug("ctl: uid %u pid %d: write failed: %s", c->peer.uid, c->peer.pid,
			 strerror(-err));
		client_free(srv, c);
		return -1;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->closing) {
			client_free(srv, c);
			return -1;
		}
	}
	client_update_events(srv, c);
	return 0;
}

/* Queues one response line; the response object is consumed */
static void client_queue(struct ctl_client *c, struct json_object *resp)
{
	const char *s;
	size_t len;

	s = json_object_to_json_string_ext(resp,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = s ? strlen(s) : 0;
	if (!s || len + 1 > CTL_RESP_MAX) {
		static const char too_big[] = "{\"v\":1,\"code\":1,\"errno\":\"EMSGSIZE\","
					      "\"message\":\"response too large\"}";

		s = too_big;
		len = sizeof(too_big) - 1;
	}
	if (c->out_off) { /* compact before growing */
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len + 1 > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *tmp;

		while (cap < c->out_len + len + 1)
			cap *= 2;
		tmp = realloc(c->out, cap);
		if (!tmp) {
			pr_err("ctl: uid %u pid %d: cannot queue response: out of memory",
			       c->peer.uid, c->peer.pid);
			c->closing = true;
			json_object_put(resp);
			return;
		}
		c->out = tmp;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	json_object_put(resp);
}

static struct json_object *make_response(int code, const char *errname, const char *msg,
					 struct json_object *data)
{
	struct json_object *r = json_object_new_object();

	if (!r) {
		json_object_put(data);
		return NULL;
	}
	json_object_object_add(r, "v", json_object_new_int(CTL_PROTO_VERSION));
	json_object_object_add(r, "code", json_object_new_int(code));
	if (code == CTL_OK) {
		json_object_object_add(r, "data", data);
	} else {
		json_object_put(data);
		json_object_object_add(r, "errno",
				       json_object_new_string(errname ? errname :
									ctl_code_errno_name(code)));
		json_object_object_add(r, "message",
				       json_object_new_string(msg && *msg ? msg :
									    "operation failed"));
	}
	return r;
}

static void client_error(struct ctl_client *c, int code, const char *errname, const char *msg)
{
	struct json_object *r = make_response(code, errname, msg, NULL);

	if (r)
		client_queue(c, r);
}

static void handle_line(struct ctl_server *srv, struct ctl_client *c, const char *line, size_t len)
{
	struct json_object *argv = NULL, *data = NULL, *r;
	char msg[512] = "", joined[900];
	const char *errname = NULL;
	enum log_level lvl;
	int code;

	code = ctl_parse_request(line, len, &argv, msg, sizeof(msg));
	if (code != CTL_OK) {
		pr_debug("ctl: uid %u pid %d: rejected request: %s", c->peer.uid, c->peer.pid, msg);
		client_error(c, code, NULL, msg);
		return;
	}
	/* the audit log, one line per request with its outcome: every change at
	 * info; reads (show, status, events follow's polling...) only at debug, so
	 * they do not drown it. A long request (apply of a whole file) is cut to
	 * its start and its size. */
	lvl = srv->readonly_fn && srv->readonly_fn(argv) ? LOG_LVL_DEBUG : LOG_LVL_INFO;
	ctl_argv_join(argv, joined, sizeof(joined));
	if (len > 200 && strlen(joined) > 160)
		snprintf(joined + 160, sizeof(joined) - 160, "... (%zu bytes)", len);
	if (!c->allowed) {
		pr_warn("ctl: uid %u pid %d: %s: refused: permission denied", c->peer.uid,
			c->peer.pid, joined);
		client_error(c, CTL_E_CONNECT, "EACCES", "permission denied");
		json_object_put(argv);
		return;
	}
	code = srv->fn(srv->arg, &c->peer, argv, &data, msg, sizeof(msg), &errname);
	json_object_put(argv);
	if (code < 0 || code >= __CTL_CODE_MAX) {
		pr_warn("ctl: handler returned invalid code %d", code);
		code = CTL_E_FAILED;
	}
	if (code == CTL_OK)
		log_msg(lvl, "ctl: uid %u pid %d: %s: ok", c->peer.uid, c->peer.pid, joined);
	else
		log_msg(lvl, "ctl: uid %u pid %d: %s: exit %d: %s", c->peer.uid, c->peer.pid,
			joined, code, msg[0] ? msg : ctl_code_errno_name(code));
	r = make_response(code, errname, msg, data);
	if (r)
		client_queue(c, r);
	else
		c->closing = true;
}

/* Whether the request line changes something (a read, or a request that is
 * refused, is answered at once) */
static bool line_is_change(const struct ctl_server *srv, const char *line, size_t len)
{
	struct json_object *argv;
	char msg[128];
	bool change;

	if (!srv->readonly_fn || ctl_parse_request(line, len, &argv, msg, sizeof(msg)) != CTL_OK)
		return false;
	change = !srv->readonly_fn(argv);
	json_object_put(argv);
	return change;
}

/* Answers the complete lines in the input buffer, in order, while the output
 * backlog is small, making at most *@budget changes (one less each); the first
 * change beyond that waits, and every line after it */
static void client_process(struct ctl_server *srv, struct ctl_client *c, int *budget)
{
	size_t start = 0;

	while (!c->closing && c->out_len - c->out_off < CTL_OUT_HIGH) {
		char *nl = memchr(c->in + start, '\n', c->in_len - start);
		size_t len;

		if (!nl)
			break;
		len = (size_t)(nl - (c->in + start));
		if (line_is_change(srv, c->in + start, len)) {
			if (*budget <= 0)
				break;
			(*budget)--;
		}
		handle_line(srv, c, c->in + start, len);
		start = (size_t)(nl - c->in) + 1;
		c->last_ms = mono_ms();
	}
	if (start) {
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
	}
	if (c->eof && !c->closing && !memchr(c->in, '\n', c->in_len)) {
		c->closing = true; /* all answered; a partial line is dropped */
		return;
	}
	if (!c->closing && c->in_len == CTL_MSG_MAX && !memchr(c->in, '\n', c->in_len)) {
		pr_warn("ctl: uid %u pid %d: request too large (max %d bytes), closing",
			c->peer.uid, c->peer.pid, CTL_MSG_MAX);
		client_error(c, CTL_E_USAGE, "EMSGSIZE", "request too large");
		c->closing = true;
	}
}

/* Returns -1 if the client was freed */
static int client_read(struct ctl_server *srv, struct ctl_client *c)
{
	ssize_t n;

	if (c->closing || c->eof || c->in_len == CTL_MSG_MAX)
		return 0;
	n = recv(c->fd, c->in + c->in_len, CTL_MSG_MAX - c->in_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		pr_debug("ctl: uid %u pid %d: read failed: %s", c->peer.uid, c->peer.pid,
			 strerror(errno));
		client_free(srv, c);
		return -1;
	}
	if (n == 0) {
		/* peer closed its side: answer what is complete, drop a partial line */
		c->eof = true;
		return 0;
	}
	c->in_len += (size_t)n;
	return 0;
}

static void refuse(int fd, const char *errname, const char *msg)
{
	char line[256];
	int n;

	n = snprintf(line, sizeof(line),
		     "{\"v\":%d,\"code\":%d,\"errno\":\"%s\",\"message\":\"%s\"}\n",
		     CTL_PROTO_VERSION, CTL_E_CONNECT, errname, msg);
	/* best effort: a fresh socket has room for one short line */
	if (n > 0 && (size_t)n < sizeof(line) &&
	    send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		pr_debug("ctl: cannot send refusal: %s", strerror(errno));
	close(fd);
}

/* Whether @cred may take a place; if uid 0 finds none, the client that has
 * waited longest since its last request (another uid's first) makes room.
 * 0 or the refusal's message in @why */
static int admit(struct ctl_server *srv, const struct ucred *cred, char *why, size_t len)
{
	struct ctl_client *victim = NULL;
	unsigned int same = 0;
	int i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *c = srv->clients[i];

		if (!c)
			continue;
		same += c->peer.uid == cred->uid;
		if (!victim || (victim->peer.uid == 0 && c->peer.uid != 0) ||
		    ((victim->peer.uid == 0) == (c->peer.uid == 0) && c->last_ms < victim->last_ms))
			victim = c;
	}
	if (cred->uid != 0) {
		if (srv->nr_clients >= CTL_CLIENTS_MAX - CTL_ROOT_RESERVE) {
			snprintf(why, len, "too many clients");
			return -EBUSY;
		}
		if (same >= CTL_CLIENTS_PER_UID) {
			snprintf(why, len, "too many connections from uid %u (at most %d)",
				 cred->uid, CTL_CLIENTS_PER_UID);
			return -EBUSY;
		}
		return 0;
	}
	if (srv->nr_clients >= CTL_CLIENTS_MAX && victim) {
		pr_warn("ctl: uid %u pid %d: closed to make room for uid 0 (pid %d)",
			victim->peer.uid, victim->peer.pid, cred->pid);
		client_free(srv, victim);
	}
	return 0;
}

static void accept_clients(struct ctl_server *srv)
{
	int k;

	for (k = 0; k < CTL_ACCEPT_BATCH; k++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		struct ctl_client *c;
		char why[96];
		int fd, i;

		fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				pr_warn("ctl: %s: accept failed: %s", srv->path, strerror(errno));
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen)) {
			pr_warn("ctl: %s: cannot get peer credentials: %s", srv->path,
				strerror(errno));
			close(fd);
			continue;
		}
		if (admit(srv, &cred, why, sizeof(why))) {
			uint64_t now = mono_ms();

			/* a warning a second at most (STYLE 47), with the count since */
			if (now >= srv->refused_log_ms + 1000) {
				pr_warn("ctl: uid %u pid %d: refused: %s (%u clients; %u more "
					"refused since the last warning)",
					cred.uid, cred.pid, why, srv->nr_clients,
					srv->refused_quiet);
				srv->refused_log_ms = now;
				srv->refused_quiet = 0;
			} else {
				srv->refused_quiet++;
			}
			refuse(fd, "EBUSY", why);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c)
			c->in = malloc(CTL_MSG_MAX);
		if (!c || !c->in) {
			pr_err("ctl: uid %u pid %d: cannot accept: out of memory", cred.uid,
			       cred.pid);
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->peer.uid = cred.uid;
		c->peer.gid = cred.gid;
		c->peer.pid = cred.pid;
		c->peer.conn = ++srv->next_conn;
		c->allowed = peer_allowed(srv, &c->peer);
		c->last_ms = mono_ms();
		c->events = ev.events;
		ev.data.ptr = c;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			pr_err("ctl: %s: epoll add failed: %s", srv->path, strerror(errno));
			free(c->in);
			free(c);
			close(fd);
			continue;
		}
		for (i = 0; i < CTL_CLIENTS_MAX && srv->clients[i]; i++)
			;
		srv->clients[i] = c;
		srv->nr_clients++;
		pr_debug("ctl: uid %u pid %d: connected", cred.uid, cred.pid);
	}
}

/* Whether a client has a complete request (or one too large, or its end)
 * waiting and room for its answer */
static bool client_ready(const struct ctl_client *c)
{
	return !c->closing && c->out_len - c->out_off < CTL_OUT_HIGH &&
	       (memchr(c->in, '\n', c->in_len) || c->eof || c->in_len == CTL_MSG_MAX);
}

bool ctl_pending(const struct ctl_server *srv)
{
	int i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		if (srv->clients[i] && client_ready(srv->clients[i]))
			return true;
	return false;
}

int ctl_dispatch(struct ctl_server *srv)
{
	struct epoll_event evs[CTL_EVENTS];
	int i, k, n, none = 0, budget = CTL_CHANGES_PER_DISPATCH;

	n = epoll_wait(srv->epfd, evs, CTL_EVENTS, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		struct ctl_client *c = evs[i].data.ptr;

		if (c == CTL_TAG_LISTEN) {
			accept_clients(srv);
			continue;
		}
		if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
			if (client_read(srv, c) < 0)
				continue;
		}
		client_flush(srv, c); /* may free c */
	}
	/* reads first, everywhere; then the changes, round robin */
	for (k = 0; k < 2; k++) {
		for (i = 0; i < CTL_CLIENTS_MAX; i++) {
			int slot = (int)((srv->rr + (unsigned int)i) % CTL_CLIENTS_MAX);
			struct ctl_client *c = srv->clients[slot];

			if (!c || !client_ready(c))
				continue;
			client_process(srv, c, k ? &budget : &none);
			if (k && budget <= 0)
				srv->rr = (unsigned int)slot + 1;
			client_flush(srv, c); /* may free c */
		}
	}
	return 0;
}

void ctl_tick(struct ctl_server *srv, uint64_t now)
{
	int i;

	for (i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *c = srv->clients[i];

		if (c && now >= c->last_ms + CTL_IDLE_MS) {
			pr_debug("ctl: uid %u pid %d: idle for %d ms, closing", c->peer.uid,
				 c->peer.pid, CTL_IDLE_MS);
			client_free(srv, c);
		}
	}
}

int ctl_fd(const struct ctl_server *srv)
{
	return srv->epfd;
}

unsigned int ctl_nr_clients(const struct ctl_server *srv)
{
	return srv->nr_clients;
}

/* ---- socket setup ---- */

/* 0: nothing (left) at path, <0: refuse to start */
static int clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, err;

	if (lstat(sa->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		pr_err("ctl: %s: exists and is not a socket", sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ? errno : 0;
	close(fd);
	/* EAGAIN: a listener whose backlog is full is still a listener */
	if (err == 0 || err == EAGAIN) {
		pr_err("ctl: %s: another lbd is already serving this socket", sa->sun_path);
		return -EADDRINUSE;
	}
	if (err != ECONNREFUSED) {
		pr_err("ctl: %s: cannot test existing socket: %s", sa->sun_path, strerror(err));
		return -err;
	}
	pr_info("ctl: %s: removing stale socket", sa->sun_path);
	if (unlink(sa->sun_path) && errno != ENOENT) {
		err = errno;
		pr_err("ctl: %s: cannot remove stale socket: %s", sa->sun_path, strerror(err));
		return -err;
	}
	return 0;
}

struct ctl_server *ctl_open(const char *path, long group, ctl_handler_fn fn, void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = CTL_TAG_LISTEN };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_server *srv;
	struct stat st;
	mode_t old_umask;
	int err;

	if (!path || !fn) {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		pr_err("ctl: %s: socket path too long (max %zu bytes)", path,
		       sizeof(sa.sun_path) - 1);
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->lfd = srv->epfd = -1;
	srv->group = group;
	srv->fn = fn;
	srv->arg = arg;
	strcpy(srv->path, path);

	err = mkdir_parents(path, 0755);
	if (err) {
		pr_err("ctl: %s: cannot create parent directory: %s", path, strerror(-err));
		goto out_free;
	}
	err = clear_stale(&sa);
	if (err)
		goto out_free;
	srv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->lfd < 0) {
		err = -errno;
		pr_err("ctl: %s: socket failed: %s", path, strerror(-err));
		goto out_free;
	}
	/* created 0600, widened below: never a moment with a looser mode */
	old_umask = umask(0177);
	err = bind(srv->lfd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old_umask);
	if (err) {
		pr_err("ctl: %s: bind failed: %s", path, strerror(-err));
		goto out_close;
	}
	if (group >= 0 && chown(path, (uid_t)-1, (gid_t)group)) {
		err = -errno;
		pr_err("ctl: %s: cannot set group %ld: %s", path, group, strerror(-err));
		goto out_unlink;
	}
	if (chmod(path, 0660) || lstat(path, &st)) {
		err = -errno;
		pr_err("ctl: %s: cannot set mode 0660: %s", path, strerror(-err));
		goto out_unlink;
	}
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	if (listen(srv->lfd, CTL_LISTEN_BACKLOG)) {
		err = -errno;
		pr_err("ctl: %s: listen failed: %s", path, strerror(-err));
		goto out_unlink;
	}
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0 || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd, &ev)) {
		err = -errno;
		pr_err("ctl: %s: epoll setup failed: %s", path, strerror(-err));
		goto out_unlink;
	}
	pr_debug("ctl: listening on %s", path);
	return srv;

out_unlink:
	unlink(path);
out_close:
	if (srv->epfd >= 0)
		close(srv->epfd);
	close(srv->lfd);
out_free:
	free(srv);
	errno = -err;
	return NULL;
}

void ctl_close(struct ctl_server *srv)
{
	struct stat st;
	int i;

	if (!srv)
		return;
	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		if (srv->clients[i])
			client_free(srv, srv->clients[i]);
	/* a successor lbd may already have replaced the file: unlink only our own */
	if (!lstat(srv->path, &st) && st.st_dev == srv->dev && st.st_ino == srv->ino)
		unlink(srv->path);
	close(srv->lfd);
	close(srv->epfd);
	free(srv);
}
