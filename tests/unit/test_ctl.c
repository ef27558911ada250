// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Control socket: a real server in a temp dir, driven by the client API and by raw
 * sockets. Single-threaded: the test sends without blocking, runs ctl_dispatch() a
 * few times (pump), then reads. Peer-credential cases fork a client and need root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "agent/control/ctl.h"
#include "common/ctl_client.h"
#include "common/log.h"

#define BIG_LEN (1024 * 1024)
#define TEST_GROUP 4242 /* an arbitrary gid for the group cases (root only) */

struct fix {
	char dir[64];
	char sub[96];
	char path[128];
	struct ctl_server *srv;
	int calls;
	char *big;
};

/* echo argv back; "missing" -> not found; "full" -> failed, ENOSPC; "big" -> a 1 MiB
 * string */
static int handler(void *arg, const struct ctl_peer *peer, struct json_object *argv,
		   struct json_object **data, char *msg, size_t msglen, const char **errname)
{
	struct fix *f = arg;
	const char *w0 = json_object_get_string(json_object_array_get_idx(argv, 0));

	(void)peer;
	if (!strcmp(w0, "full")) {
		snprintf(msg, msglen, "state: cannot save: No space left on device");
		*errname = "ENOSPC";
		return CTL_E_FAILED;
	}
	f->calls++;
	if (!strcmp(w0, "missing")) {
		snprintf(msg, msglen, "backend 10.1.0.5 not found in vip 203.0.113.10:443/tcp");
		return CTL_E_NOTFOUND;
	}
	if (!strcmp(w0, "big")) {
		*data = json_object_new_string(f->big);
		return CTL_OK;
	}
	*data = json_object_get(argv);
	return CTL_OK;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/xlb-ctl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sub, sizeof(f->sub), "%s/run", f->dir);
	snprintf(f->path, sizeof(f->path), "%s/lbd.sock", f->sub);
	f->big = malloc(BIG_LEN + 1);
	assert_non_null(f->big);
	memset(f->big, 'b', BIG_LEN);
	f->big[BIG_LEN] = '\0';
	f->srv = ctl_open(f->path, -1, handler, f);
	assert_non_null(f->srv);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ctl_close(f->srv);
	unlink(f->path);
	rmdir(f->sub);
	rmdir(f->dir);
	free(f->big);
	free(f);
	return 0;
}

/* Runs the server loop a few times, as the agent's epoll would */
static void pump(struct fix *f)
{
	struct pollfd p = { .events = POLLIN };
	int i;

	if (!f->srv)
		return;
	p.fd = ctl_fd(f->srv);
	for (i = 0; i < 10; i++) {
		if (poll(&p, 1, 1) > 0)
			assert_int_equal(ctl_dispatch(f->srv), 0);
	}
}

static int raw_connect(struct fix *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Sends all of buf, pumping the server while the socket is full */
static void raw_send(struct fix *f, int fd, const char *buf, size_t len)
{
	uint64_t end = mono_ms() + 5000;
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			break; /* the server closed: caller checks what it answered */
		assert_true(mono_ms() < end);
		pump(f);
	}
}

static void raw_sends(struct fix *f, int fd, const char *s)
{
	raw_send(f, fd, s, strlen(s));
}

/* Reads one line, pumping the server meanwhile. Returns a malloc'd line without its
 * newline, or NULL on EOF/reset/timeout (2 s).
 */
static char *raw_line(struct fix *f, int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	uint64_t end = mono_ms() + 2000;

	assert_non_null(buf);
	while (mono_ms() < end) {
		ssize_t n;

		if (cap - len < 4096) {
			char *tmp = realloc(buf, cap * 2);

			assert_non_null(tmp);
			buf = tmp;
			cap *= 2;
		}
		n = recv(fd, buf + len, 1, MSG_DONTWAIT); /* byte by byte: never past '\n' */
		if (n == 1) {
			if (buf[len] == '\n') {
				buf[len] = '\0';
				return buf;
			}
			len++;
			continue;
		}
		if (n == 0 || errno != EAGAIN)
			break;
		pump(f);
	}
	free(buf);
	return NULL;
}

/* Reads one response line and checks it; returns the parsed object */
static struct json_object *raw_resp(struct fix *f, int fd, int code)
{
	char *line = raw_line(f, fd);
	struct json_object *r, *v;

	assert_non_null(line);
	r = json_tokener_parse(line);
	free(line);
	assert_non_null(r);
	assert_true(json_object_object_get_ex(r, "v", &v));
	assert_int_equal(json_object_get_int(v), CTL_PROTO_VERSION);
	assert_int_equal(ctl_resp_code(r), code);
	if (code) {
		assert_true(strlen(ctl_resp_errno(r)) > 1);
		assert_true(strlen(ctl_resp_message(r)) > 0);
		assert_false(json_object_object_get_ex(r, "data", NULL));
	} else {
		assert_true(json_object_object_get_ex(r, "data", NULL));
	}
	return r;
}

/* True when the server has closed fd (EOF or reset), pumping meanwhile */
static int raw_closed(struct fix *f, int fd)
{
	uint64_t end = mono_ms() + 2000;
	char c;

	while (mono_ms() < end) {
		ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN))
			return 1;
		if (n == 1)
			return 0; /* unexpected data */
		pump(f);
	}
	return 0;
}

static struct json_object *words(const char *json)
{
	struct json_object *a = json_tokener_parse(json);

	assert_non_null(a);
	return a;
}

static void round_trip_on(struct fix *f, int fd, const char *argv_json)
{
	struct json_object *argv = words(argv_json), *resp = NULL;

	assert_int_equal(ctl_client_send(fd, argv, 1000), 0);
	pump(f);
	assert_int_equal(ctl_client_recv(fd, &resp, 1000), 0);
	assert_int_equal(ctl_resp_code(resp), CTL_OK);
	assert_true(json_object_equal(ctl_resp_data(resp), argv));
	json_object_put(resp);
	json_object_put(argv);
}

static void round_trip(struct fix *f)
{
	int fd = ctl_client_connect(f->path, 1000);

	assert_true(fd >= 0);
	round_trip_on(f, fd, "[\"vip\",\"show\"]");
	ctl_client_close(fd);
	pump(f);
}

static void test_round_trip(void **state)
{
	struct fix *f = *state;
	int fd = ctl_client_connect(f->path, 1000);

	assert_true(fd >= 0);
	round_trip_on(f, fd, "[\"vip\",\"add\",\"192.0.2.10:80/tcp\",\"encap\",\"ipip\"]");
	assert_int_equal(f->calls, 1);
	assert_int_equal(ctl_nr_clients(f->srv), 1);
	ctl_client_close(fd);
	pump(f);
	assert_int_equal(ctl_nr_clients(f->srv), 0);
}

/* Waits for a forked client, pumping the server; returns its exit status */
static int run_child(struct fix *f, pid_t pid)
{
	uint64_t end = mono_ms() + 10000;
	int status;

	assert_true(pid >= 0);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (mono_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("client child timed out");
		}
		pump(f);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

/* The blocking ctl_client_request() from another process */
static void test_client_request(void **state)
{
	struct fix *f = *state;
	pid_t pid = fork();

	if (pid == 0) {
		struct json_object *argv = json_tokener_parse("[\"backend\",\"show\"]"), *resp;
		int fd = ctl_client_connect(f->path, 2000);

		if (fd < 0 || ctl_client_request(fd, argv, &resp, 5000))
			_exit(1);
		_exit(ctl_resp_code(resp) == 0 && json_object_equal(ctl_resp_data(resp), argv) ? 0 :
												 2);
	}
	assert_int_equal(run_child(f, pid), 0);
	assert_int_equal(f->calls, 1);
}

static void test_not_found(void **state)
{
	struct fix *f = *state;
	int fd = raw_connect(f);
	struct json_object *r;

	raw_sends(f, fd, "{\"v\":1,\"argv\":[\"missing\",\"x\"]}\n");
	r = raw_resp(f, fd, CTL_E_NOTFOUND);
	assert_string_equal(ctl_resp_errno(r), "ENOENT");
	assert_string_equal(ctl_resp_message(r),
			    "backend 10.1.0.5 not found in vip 203.0.113.10:443/tcp");
	json_object_put(r);
	close(fd);
}

/* a failure answers with the cause the handler names, not exit code 1's EIO */
static void test_failure_names_its_cause(void **state)
{
	struct fix *f = *state;
	int fd = raw_connect(f);
	struct json_object *r;

	raw_sends(f, fd, "{\"v\":1,\"argv\":[\"full\"]}\n");
	r = raw_resp(f, fd, CTL_E_FAILED);
	assert_string_equal(ctl_resp_errno(r), "ENOSPC");
	assert_string_equal(ctl_resp_message(r), "state: cannot save: No space left on device");
	json_object_put(r);
	close(fd);
}

static void test_pipelined(void **state)
{
	struct fix *f = *state;
	struct json_object *r;
	int fd = raw_connect(f), i;

	raw_sends(f, fd,
		  "{\"v\":1,\"argv\":[\"first\"]}\n{\"v\":1,\"argv\":[\"second\"]}\n"
		  "{\"v\":1,\"argv\":[\"third\"]}\n");
	pump(f);
	/* the client API reads exactly one line at a time: nothing lost in between */
	for (i = 0; i < 3; i++) {
		static const char *const want[] = { "first", "second", "third" };

		assert_int_equal(ctl_client_recv(fd, &r, 1000), 0);
		assert_int_equal(ctl_resp_code(r), 0);
		assert_string_equal(
			json_object_get_string(json_object_array_get_idx(ctl_resp_data(r), 0)),
			want[i]);
		json_object_put(r);
	}
	assert_int_equal(f->calls, 3);
	close(fd);
}

static void test_split_request(void **state)
{
	struct fix *f = *state;
	int fd = raw_connect(f);
	struct json_object *r;
	char c;

	raw_sends(f, fd, "{\"v\":1,\"ar");
	pump(f);
	raw_sends(f, fd, "gv\":[\"vip\",");
	pump(f);
	assert_int_equal(recv(fd, &c, 1, MSG_DONTWAIT), -1); /* nothing answered yet */
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(f->calls, 0);
	raw_sends(f, fd, "\"show\"]}");
	pump(f);
	raw_sends(f, fd, "\n");
	r = raw_resp(f, fd, CTL_OK);
	assert_int_equal(json_object_array_length(ctl_resp_data(r)), 2);
	json_object_put(r);
	assert_int_equal(f->calls, 1);
	close(fd);
}

static void test_oversized(void **state)
{
	struct fix *f = *state;
	char *buf = malloc(CTL_MSG_MAX + 1);
	struct json_object *r;
	int fd = raw_connect(f);

	assert_non_null(buf);
	memset(buf, 'x', CTL_MSG_MAX + 1);
	raw_send(f, fd, buf, CTL_MSG_MAX + 1);
	r = raw_resp(f, fd, CTL_E_USAGE);
	assert_string_equal(ctl_resp_message(r), "request too large");
	json_object_put(r);
	assert_true(raw_closed(f, fd));
	assert_int_equal(f->calls, 0);
	close(fd);
	free(buf);
	round_trip(f);
}

/* A request of exactly CTL_MSG_MAX bytes, newline included, is accepted */
static void test_max_size_accepted(void **state)
{
	static const char head[] = "{\"v\":1,\"argv\":[\"vip\"]";
	struct fix *f = *state;
	char *buf = malloc(CTL_MSG_MAX);
	struct json_object *r;
	int fd = raw_connect(f);

	assert_non_null(buf);
	memset(buf, ' ', CTL_MSG_MAX);
	memcpy(buf, head, sizeof(head) - 1);
	buf[CTL_MSG_MAX - 2] = '}';
	buf[CTL_MSG_MAX - 1] = '\n';
	raw_send(f, fd, buf, CTL_MSG_MAX);
	r = raw_resp(f, fd, CTL_OK);
	json_object_put(r);
	free(buf);
	close(fd);
}

static void expect_rejected(struct fix *f, const char *line, int code, const char *errname)
{
	int fd = raw_connect(f);
	struct json_object *r;

	raw_sends(f, fd, line);
	r = raw_resp(f, fd, code);
	if (errname)
		assert_string_equal(ctl_resp_errno(r), errname);
	json_object_put(r);
	assert_int_equal(f->calls, 0);
	/* the connection stays usable */
	raw_sends(f, fd, "{\"v\":1,\"argv\":[\"ok\"]}\n");
	r = raw_resp(f, fd, CTL_OK);
	json_object_put(r);
	f->calls = 0;
	close(fd);
}

static void test_invalid_json(void **state)
{
	struct fix *f = *state;

	expect_rejected(f, "{\"v\":1,\"argv\":[}\n", CTL_E_USAGE, "EINVAL");
	expect_rejected(f, "not json at all\n", CTL_E_USAGE, "EINVAL");
	expect_rejected(f, "\n", CTL_E_USAGE, "EINVAL");
	expect_rejected(f, "{\"v\":1,\"argv\":[\"a\"]} trailing\n", CTL_E_USAGE, "EINVAL");
}

static void test_wrong_version(void **state)
{
	struct fix *f = *state;

	expect_rejected(f, "{\"v\":2,\"argv\":[\"vip\",\"show\"]}\n", CTL_E_CONNECT, "EPROTO");
	expect_rejected(f, "{\"v\":0,\"argv\":[\"vip\",\"show\"]}\n", CTL_E_CONNECT, "EPROTO");
	expect_rejected(f, "{\"argv\":[\"vip\",\"show\"]}\n", CTL_E_USAGE, "EINVAL");
	expect_rejected(f, "{\"v\":\"1\",\"argv\":[\"vip\",\"show\"]}\n", CTL_E_USAGE, NULL);
}

static void test_bad_argv(void **state)
{
	struct fix *f = *state;
	char *line = malloc(16 + 4 * (CTL_ARGV_MAX + 1) + 8);
	struct json_object *r;
	int fd, i, pos;

	expect_rejected(f, "{\"v\":1,\"argv\":[\"vip\",1]}\n", CTL_E_USAGE, "EINVAL");
	expect_rejected(f, "{\"v\":1,\"argv\":[\"vip\",null]}\n", CTL_E_USAGE, NULL);
	expect_rejected(f, "{\"v\":1,\"argv\":\"vip show\"}\n", CTL_E_USAGE, NULL);
	expect_rejected(f, "{\"v\":1,\"argv\":[]}\n", CTL_E_USAGE, NULL);
	expect_rejected(f, "{\"v\":1}\n", CTL_E_USAGE, NULL);
	expect_rejected(f, "{\"v\":1,\"argv\":[\"a\\u0000b\"]}\n", CTL_E_USAGE, NULL);

	/* CTL_ARGV_MAX + 1 words are refused, CTL_ARGV_MAX are served */
	assert_non_null(line);
	pos = sprintf(line, "{\"v\":1,\"argv\":[");
	for (i = 0; i <= CTL_ARGV_MAX; i++)
		pos += sprintf(line + pos, "%s\"w\"", i ? "," : "");
	strcpy(line + pos, "]}\n");
	expect_rejected(f, line, CTL_E_USAGE, NULL);
	strcpy(line + pos - 4, "]}\n"); /* drop the last ,"w" */
	fd = raw_connect(f);
	raw_sends(f, fd, line);
	r = raw_resp(f, fd, CTL_OK);
	assert_int_equal(json_object_array_length(ctl_resp_data(r)), CTL_ARGV_MAX);
	json_object_put(r);
	close(fd);
	free(line);
}

/* Admission: uid 0 may take every place and, when all are taken, the client
 * idle longest makes room for it; any other uid gets at most
 * CTL_CLIENTS_PER_UID places, out of the ones not reserved for uid 0 */
static void test_max_clients(void **state)
{
	struct fix *f = *state;
	int fds[CTL_CLIENTS_MAX], extra, i, n;
	struct json_object *r;
	bool root = geteuid() == 0;

	n = root ? CTL_CLIENTS_MAX : CTL_CLIENTS_PER_UID;
	for (i = 0; i < n; i++) {
		fds[i] = raw_connect(f);
		raw_sends(f, fds[i], "{\"v\":1,\"argv\":[\"hello\"]}\n");
		json_object_put(raw_resp(f, fds[i], CTL_OK));
	}
	assert_int_equal(ctl_nr_clients(f->srv), n);
	extra = raw_connect(f);
	if (root) {
		/* served; fds[0], the one idle longest, was closed for it */
		raw_sends(f, extra, "{\"v\":1,\"argv\":[\"root\"]}\n");
		json_object_put(raw_resp(f, extra, CTL_OK));
		assert_true(raw_closed(f, fds[0]));
	} else {
		r = raw_resp(f, extra, CTL_E_CONNECT);
		assert_string_equal(ctl_resp_errno(r), "EBUSY");
		json_object_put(r);
		assert_true(raw_closed(f, extra));
	}
	close(extra);
	close(fds[0]);
	pump(f);
	assert_int_equal(ctl_nr_clients(f->srv), n - 1);
	/* the existing clients are still served */
	raw_sends(f, fds[7], "{\"v\":1,\"argv\":[\"again\"]}\n");
	json_object_put(raw_resp(f, fds[7], CTL_OK));
	/* a freed slot is reused */
	round_trip(f);
	for (i = 1; i < n; i++)
		close(fds[i]);
	pump(f);
	assert_int_equal(ctl_nr_clients(f->srv), 0);
}

static void test_disconnect_mid_request(void **state)
{
	struct fix *f = *state;
	int a = raw_connect(f);

	raw_sends(f, a, "{\"v\":1,\"argv\":[\"vip\",\"ad");
	pump(f);
	assert_int_equal(ctl_nr_clients(f->srv), 1);
	close(a);
	pump(f);
	assert_int_equal(ctl_nr_clients(f->srv), 0);
	assert_int_equal(f->calls, 0);
	round_trip(f);
}

/* Half-close after the request: the answer still arrives, then the server closes */
static void test_shutdown_after_request(void **state)
{
	struct fix *f = *state;
	int fd = raw_connect(f);

	raw_sends(f, fd, "{\"v\":1,\"argv\":[\"vip\",\"show\"]}\n{\"v\":1,\"argv\":[\"partial");
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	json_object_put(raw_resp(f, fd, CTL_OK));
	assert_true(raw_closed(f, fd));
	assert_int_equal(f->calls, 1);
	close(fd);
	pump(f);
	assert_int_equal(ctl_nr_clients(f->srv), 0);
}

/* A response far larger than the socket buffer goes out through EPOLLOUT */
static void test_big_response(void **state)
{
	struct fix *f = *state;
	int fd = raw_connect(f);
	struct json_object *r;

	raw_sends(f, fd, "{\"v\":1,\"argv\":[\"big\"]}\n{\"v\":1,\"argv\":[\"after\"]}\n");
	r = raw_resp(f, fd, CTL_OK);
	assert_int_equal(json_object_get_string_len(ctl_resp_data(r)), BIG_LEN);
	json_object_put(r);
	r = raw_resp(f, fd, CTL_OK);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ctl_resp_data(r), 0)),
			    "after");
	json_object_put(r);
	close(fd);
}

static void test_addr_in_use(void **state)
{
	struct fix *f = *state;
	struct ctl_server *second;

	errno = 0;
	second = ctl_open(f->path, -1, handler, f);
	assert_null(second);
	assert_int_equal(errno, EADDRINUSE);
	round_trip(f); /* the first server is untouched */
}

static void test_stale_socket(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fix *f = *state;
	struct stat st;
	int fd;

	ctl_close(f->srv);
	f->srv = NULL;
	assert_int_equal(access(f->path, F_OK), -1); /* ctl_close unlinked it */
	/* a socket file nobody listens on, as a killed lbd leaves it */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, f->path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_int_equal(ctl_client_connect(f->path, 100), -ECONNREFUSED);
	f->srv = ctl_open(f->path, -1, handler, f);
	assert_non_null(f->srv);
	round_trip(f);

	/* something that is not a socket is never removed */
	ctl_close(f->srv);
	f->srv = NULL;
	fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	errno = 0;
	assert_null(ctl_open(f->path, -1, handler, f));
	assert_int_equal(errno, EEXIST);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	unlink(f->path);
}

static void test_socket_mode(void **state)
{
	struct fix *f = *state;
	struct stat st;
	gid_t gid = geteuid() == 0 ? TEST_GROUP : getegid();

	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(lstat(f->sub, &st), 0); /* parent created by ctl_open */
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);

	ctl_close(f->srv);
	f->srv = ctl_open(f->path, gid, handler, f);
	assert_non_null(f->srv);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, gid);
}

static void test_idle_timeout(void **state)
{
	struct fix *f = *state;
	uint64_t t0 = mono_ms();
	int idle = raw_connect(f), busy;

	pump(f);
	assert_int_equal(ctl_nr_clients(f->srv), 1);
	ctl_tick(f->srv, t0 + CTL_IDLE_MS - 1000);
	assert_int_equal(ctl_nr_clients(f->srv), 1);
	ctl_tick(f->srv, t0 + CTL_IDLE_MS + 1000);
	assert_int_equal(ctl_nr_clients(f->srv), 0);
	assert_true(raw_closed(f, idle));
	close(idle);

	/* a complete request restarts the clock; a partial one does not */
	idle = raw_connect(f);
	busy = raw_connect(f);
	pump(f);
	usleep(300 * 1000);
	raw_sends(f, idle, "{\"v\":1,");
	raw_sends(f, busy, "{\"v\":1,\"argv\":[\"x\"]}\n");
	json_object_put(raw_resp(f, busy, CTL_OK));
	assert_int_equal(ctl_nr_clients(f->srv), 2);
	ctl_tick(f->srv, mono_ms() + CTL_IDLE_MS - 200);
	assert_int_equal(ctl_nr_clients(f->srv), 1);
	assert_true(raw_closed(f, idle));
	raw_sends(f, busy, "{\"v\":1,\"argv\":[\"y\"]}\n");
	json_object_put(raw_resp(f, busy, CTL_OK));
	close(busy);
	close(idle);
}

static void test_close_unlinks(void **state)
{
	struct fix *f = *state;
	int fd = raw_connect(f);

	pump(f);
	ctl_close(f->srv);
	f->srv = NULL;
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_true(raw_closed(f, fd)); /* ctl_close closed its clients too */
	close(fd);
	assert_int_equal(ctl_client_connect(f->path, 100), -ENOENT);
}

/* Forks a client that drops to uid/gid 65534 with the given supplementary groups,
 * sends one request and exits with the response code (100+ on transport errors).
 */
static int unprivileged_request(struct fix *f, const gid_t *groups, int ngroups)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct json_object *argv = json_tokener_parse("[\"vip\",\"show\"]"), *resp;
		int fd;

		if (setgroups((size_t)ngroups, groups) || setgid(65534) || setuid(65534))
			_exit(101);
		fd = ctl_client_connect(f->path, 2000);
		if (fd < 0)
			_exit(102);
		if (ctl_client_request(fd, argv, &resp, 5000))
			_exit(103);
		if (ctl_resp_code(resp) == CTL_E_CONNECT &&
		    strcmp(ctl_resp_message(resp), "permission denied"))
			_exit(104);
		_exit(ctl_resp_code(resp));
	}
	return run_child(f, pid);
}

static void test_peer_permission(void **state)
{
	struct fix *f = *state;
	gid_t member = TEST_GROUP;

	if (geteuid() != 0) {
		skip(); /* needs setuid to an unprivileged peer */
		return;
	}
	/* let the unprivileged child reach the socket: the server check must stop it */
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(f->path, 0666), 0);
	assert_int_equal(unprivileged_request(f, NULL, 0), CTL_E_CONNECT);
	assert_int_equal(f->calls, 0);

	/* with --socket-group, a member (supplementary group) is served */
	ctl_close(f->srv);
	f->srv = ctl_open(f->path, TEST_GROUP, handler, f);
	assert_non_null(f->srv);
	assert_int_equal(chmod(f->path, 0666), 0);
	assert_int_equal(unprivileged_request(f, &member, 1), CTL_OK);
	assert_int_equal(f->calls, 1);
	assert_int_equal(unprivileged_request(f, NULL, 0), CTL_E_CONNECT);
	assert_int_equal(f->calls, 1);
	/* and with the real 0660 mode a non-member cannot even connect */
	assert_int_equal(chmod(f->path, 0660), 0);
	assert_int_equal(unprivileged_request(f, NULL, 0), 102);
}

static void test_audit_log(void **state)
{
	struct fix *f = *state;
	char tmpl[] = "/tmp/xlb-ctl-log-XXXXXX", buf[4096], want[128];
	int saved = dup(STDERR_FILENO), lfd = mkstemp(tmpl), fd;
	ssize_t n;

	assert_true(saved >= 0 && lfd >= 0);
	unlink(tmpl);
	fflush(stderr);
	dup2(lfd, STDERR_FILENO);
	log_set_level(LOG_LVL_INFO);
	fd = raw_connect(f);
	raw_sends(f, fd, "{\"v\":1,\"argv\":[\"vip\",\"add\",\"192.0.2.10:80/tcp\",\"x\\ny\"]}\n");
	json_object_put(raw_resp(f, fd, CTL_OK));
	close(fd);
	pump(f);
	fflush(stderr);
	log_set_level(LOG_LVL_ERR);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(lfd, buf, sizeof(buf) - 1, 0);
	close(lfd);
	assert_true(n > 0);
	buf[n] = '\0';
	/* control bytes in words never reach the log (no forged lines); one line per
	 * request, with its outcome */
	snprintf(want, sizeof(want), "ctl: uid %u pid %d: vip add 192.0.2.10:80/tcp x?y: ok\n",
		 (unsigned int)geteuid(), (int)getpid());
	assert_non_null(strstr(buf, want));
}

static void test_client_timeout(void **state)
{
	struct fix *f = *state;
	struct json_object *argv = words("[\"vip\",\"show\"]"), *resp = NULL;
	int fd = ctl_client_connect(f->path, 1000);
	uint64_t t0;

	assert_true(fd >= 0);
	assert_int_equal(ctl_client_send(fd, argv, 1000), 0);
	t0 = mono_ms();
	/* nobody dispatches: the answer never comes */
	assert_int_equal(ctl_client_recv(fd, &resp, 150), -ETIMEDOUT);
	assert_true(mono_ms() - t0 >= 140);
	assert_null(resp);
	/* it arrives once the server runs */
	pump(f);
	assert_int_equal(ctl_client_recv(fd, &resp, 1000), 0);
	json_object_put(resp);
	json_object_put(argv);
	ctl_client_close(fd);
}

static void expect_client_error(const char *reply, int close_after, int err)
{
	struct json_object *resp = NULL;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(write(sv[1], reply, strlen(reply)), (ssize_t)strlen(reply));
	if (close_after)
		close(sv[1]);
	assert_int_equal(ctl_client_recv(sv[0], &resp, 200), err);
	if (err) {
		assert_null(resp);
	} else {
		assert_int_equal(ctl_resp_code(resp), CTL_OK);
		json_object_put(resp);
	}
	close(sv[0]);
	if (!close_after)
		close(sv[1]);
}

static void test_client_bad_response(void **state)
{
	(void)state;
	expect_client_error("{\"v\":2,\"code\":0,\"data\":null}\n", 0, -EPROTO);
	expect_client_error("{\"code\":0,\"data\":null}\n", 0, -EPROTO);
	expect_client_error("{\"v\":1,\"code\":9}\n", 0, -EPROTO);
	expect_client_error("{\"v\":1,\"code\":\"0\"}\n", 0, -EPROTO);
	expect_client_error("garbage\n", 0, -EPROTO);
	expect_client_error("[1,2]\n", 0, -EPROTO);
	expect_client_error("{\"v\":1,\"code\":0} x\n", 0, -EPROTO);
	expect_client_error("{\"v\":1,\"code\":0", 1, -ECONNRESET);
	expect_client_error("", 1, -ECONNRESET);
	expect_client_error("{\"v\":1,\"code\":0", 0, -ETIMEDOUT);
	expect_client_error("{\"v\":1,\"code\":0,\"data\":null}\n", 1, 0);
}

static void test_client_errors(void **state)
{
	struct fix *f = *state;
	struct json_object *big = json_object_new_array(), *resp;
	char path[200];
	int fd, i;

	snprintf(path, sizeof(path), "%s/nothing.sock", f->dir);
	assert_int_equal(ctl_client_connect(path, 100), -ENOENT);
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(ctl_client_connect(path, 100), -ENAMETOOLONG);
	/* a request that cannot fit in CTL_MSG_MAX is refused before sending */
	for (i = 0; i < CTL_MSG_MAX / 8; i++)
		json_object_array_add(big, json_object_new_string("0123456789"));
	fd = ctl_client_connect(f->path, 1000);
	assert_true(fd >= 0);
	assert_int_equal(ctl_client_request(fd, big, &resp, 1000), -EMSGSIZE);
	json_object_put(big);
	ctl_client_close(fd);
}

static void test_parse_request(void **state)
{
	static const struct {
		const char *line;
		int code;
	} cases[] = {
		{ "{\"v\":1,\"argv\":[\"vip\",\"show\"]}", CTL_OK },
		{ " {\"v\":1,\"argv\":[\"a\"],\"json\":true}\r", CTL_OK },
		{ "{\"argv\":[\"a\"],\"v\":1}", CTL_OK },
		{ "{\"v\":1,\"argv\":[\"a\"]}{}", CTL_E_USAGE },
		{ "{\"v\":1.0,\"argv\":[\"a\"]}", CTL_E_USAGE },
		{ "{\"v\":3,\"argv\":[\"a\"]}", CTL_E_CONNECT },
		{ "{\"v\":99999999999999999999,\"argv\":[\"a\"]}", CTL_E_CONNECT }, /* clamped */
		{ "{\"v\":-1,\"argv\":[\"a\"]}", CTL_E_CONNECT },
		{ "{\"v\":1,\"argv\":[[\"a\"]]}", CTL_E_USAGE },
		{ "{\"v\":1,\"argv\":[{\"a\":1}]}", CTL_E_USAGE },
		{ "{\"v\":1,\"argv\":[\"a\",true]}", CTL_E_USAGE },
		{ "{\"v\":1,\"argv\":[\"a\"]", CTL_E_USAGE },
		{ "{'v':1,'argv':['a']}", CTL_E_USAGE },
		{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
		  CTL_E_USAGE },
		{ "null", CTL_E_USAGE },
		{ "", CTL_E_USAGE },
	};
	struct json_object *argv;
	char msg[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int code = ctl_parse_request(cases[i].line, strlen(cases[i].line), &argv, msg,
					     sizeof(msg));

		if (code != cases[i].code)
			fail_msg("case %zu (%s): code %d, want %d (%s)", i, cases[i].line, code,
				 cases[i].code, msg);
		if (code == CTL_OK) {
			assert_true(json_object_is_type(argv, json_type_array));
			json_object_put(argv);
		} else {
			assert_null(argv);
			assert_true(strlen(msg) > 0);
		}
	}
	/* an embedded NUL byte in the raw line */
	assert_int_equal(ctl_parse_request("{\"v\":1,\"argv\":[\"a\"]}\0", 22, &argv, msg,
					   sizeof(msg)),
			 CTL_E_USAGE);
}

static void test_argv_join(void **state)
{
	struct json_object *argv = words("[\"vip\",\"add\",\"a\\tb\",\"192.0.2.10:80/tcp\"]");
	char buf[64], small[12];

	(void)state;
	assert_string_equal(ctl_argv_join(argv, buf, sizeof(buf)), "vip add a?b 192.0.2.10:80/tcp");
	assert_string_equal(ctl_argv_join(argv, small, sizeof(small)), "vip add ...");
	assert_true(strlen(small) < sizeof(small));
	json_object_put(argv);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_client_request),
		T(test_not_found),
		T(test_failure_names_its_cause),
		T(test_pipelined),
		T(test_split_request),
		T(test_oversized),
		T(test_max_size_accepted),
		T(test_invalid_json),
		T(test_wrong_version),
		T(test_bad_argv),
		T(test_max_clients),
		T(test_disconnect_mid_request),
		T(test_shutdown_after_request),
		T(test_big_response),
		T(test_addr_in_use),
		T(test_stale_socket),
		T(test_socket_mode),
		T(test_idle_timeout),
		T(test_close_unlinks),
		T(test_peer_permission),
		T(test_audit_log),
		T(test_client_timeout),
		T(test_client_bad_response),
		T(test_client_errors),
		cmocka_unit_test(test_parse_request),
		cmocka_unit_test(test_argv_join),
	};

	umask(022);
	log_set_level(LOG_LVL_ERR); /* keep TAP readable; test_audit_log raises it */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
