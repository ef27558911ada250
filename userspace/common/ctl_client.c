// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Control-socket client used by lbctl: non-blocking socket, poll() with one deadline
 * per call, responses read exactly up to their newline (so nothing is lost when
 * requests are pipelined) and checked before they are returned.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/clock.h"
#include "common/ctl_client.h"

#define CTL_CLIENT_CHUNK 65536
#define CTL_CONNECT_RETRY_MS 10

static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : (int64_t)mono_ms() + timeout_ms;
}

/* Milliseconds left for poll(): -1 forever, 0 when expired */
static int time_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - (int64_t)mono_ms();
	return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* Waits for events on fd until the deadline. Returns 0 or -errno */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	for (;;) {
		int left = time_left(deadline);

		if (left == 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left);
		if (n > 0)
			return 0; /* POLLHUP/POLLERR: let the next call report it */
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int ctl_client_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = deadline_of(timeout_ms);
	int fd, err;

	if (!path || strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		err = errno;
		if (err == EINTR)
			continue;
		if (err == EINPROGRESS) {
			err = -wait_fd(fd, POLLOUT, deadline);
			if (!err) {
				socklen_t len = sizeof(err);

				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
					err = errno;
			}
			if (!err)
				return fd;
			break;
		}
		if (err != EAGAIN)
			break;
		/* the listener's backlog is full: lbd is busy, try again shortly */
		if (time_left(deadline) == 0) {
			err = ETIMEDOUT;
			break;
		}
		poll(NULL, 0, CTL_CONNECT_RETRY_MS);
	}
	close(fd);
	return -err;
}

int ctl_client_send(int fd, struct json_object *argv_array, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	struct json_object *req;
	const char *s;
	size_t len, off = 0;
	char *line;
	int err = 0;

	if (!json_object_is_type(argv_array, json_type_array))
		return -EINVAL;
	req = json_object_new_object();
	if (!req)
		return -ENOMEM;
	json_object_object_add(req, "v", json_object_new_int(CTL_PROTO_VERSION));
	json_object_object_add(req, "argv", json_object_get(argv_array));
	s = json_object_to_json_string_ext(req,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = s ? strlen(s) : 0;
	if (!s || len + 1 > CTL_MSG_MAX) {
		json_object_put(req);
		return s ? -EMSGSIZE : -ENOMEM;
	}
	line = malloc(len + 1);
	if (!line) {
		json_object_put(req);
		return -ENOMEM;
	}
	memcpy(line, s, len);
	line[len++] = '\n';
	json_object_put(req);

	while (off < len) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			err = -errno;
			break;
		}
		err = wait_fd(fd, POLLOUT, deadline);
		if (err)
			break;
	}
	free(line);
	return err;
}

static int check_response(struct json_object *r)
{
	struct json_object *v, *code;

	if (!json_object_is_type(r, json_type_object))
		return -EPROTO;
	if (!json_object_object_get_ex(r, "v", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != CTL_PROTO_VERSION)
		return -EPROTO;
	if (!json_object_object_get_ex(r, "code", &code) ||
	    !json_object_is_type(code, json_type_int) || json_object_get_int64(code) < 0 ||
	    json_object_get_int64(code) >= __CTL_CODE_MAX)
		return -EPROTO;
	return 0;
}

int ctl_client_recv(int fd, struct json_object **resp, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	struct json_tokener *tok;
	struct json_object *r;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int err;

	*resp = NULL;
	for (;;) {
		ssize_t n;
		char *nl;

		if (len >= CTL_RESP_MAX) {
			err = -EPROTO; /* longer than any response may be */
			goto out;
		}
		if (cap - len < CTL_CLIENT_CHUNK) {
			char *tmp;

			cap = cap ? cap * 2 : CTL_CLIENT_CHUNK;
			if (cap > CTL_RESP_MAX + CTL_CLIENT_CHUNK)
				cap = CTL_RESP_MAX + CTL_CLIENT_CHUNK;
			tmp = realloc(buf, cap);
			if (!tmp) {
				err = -ENOMEM;
				goto out;
			}
			buf = tmp;
		}
		/* peek, then consume only up to the newline: a pipelined reply stays queued */
		n = recv(fd, buf + len, CTL_CLIENT_CHUNK, MSG_PEEK | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				err = -errno;
				goto out;
			}
			err = wait_fd(fd, POLLIN, deadline);
			if (err)
				goto out;
			continue;
		}
		if (n == 0) {
			err = -ECONNRESET;
			goto out;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		if (nl)
			n = nl - (buf + len) + 1;
		n = recv(fd, buf + len, (size_t)n, MSG_DONTWAIT);
		if (n <= 0) {
			err = n < 0 ? -errno : -ECONNRESET;
			goto out;
		}
		len += (size_t)n;
		if (nl)
			break;
	}
	if (len > CTL_RESP_MAX) {
		err = -EPROTO;
		goto out;
	}
	tok = json_tokener_new();
	if (!tok) {
		err = -ENOMEM;
		goto out;
	}
	r = json_tokener_parse_ex(tok, buf, (int)len - 1);
	if (r && json_tokener_get_parse_end(tok) != len - 1) {
		json_object_put(r);
		r = NULL;
	}
	json_tokener_free(tok);
	err = r ? check_response(r) : -EPROTO;
	if (err)
		json_object_put(r);
	else
		*resp = r;
out:
	free(buf);
	return err;
}

int ctl_client_request(int fd, struct json_object *argv_array, struct json_object **resp,
		       int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	int err;

	*resp = NULL;
	err = ctl_client_send(fd, argv_array, timeout_ms);
	if (err)
		return err;
	if (deadline >= 0 && time_left(deadline) == 0)
		return -ETIMEDOUT;
	return ctl_client_recv(fd, resp, deadline < 0 ? -1 : time_left(deadline));
}

void ctl_client_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

int ctl_resp_code(struct json_object *resp)
{
	struct json_object *c;

	if (!json_object_object_get_ex(resp, "code", &c))
		return CTL_E_CONNECT;
	return json_object_get_int(c);
}

struct json_object *ctl_resp_data(struct json_object *resp)
{
	struct json_object *d;

	return json_object_object_get_ex(resp, "data", &d) ? d : NULL;
}

static const char *resp_string(struct json_object *resp, const char *key)
{
	struct json_object *s;
	const char *str;

	if (!json_object_object_get_ex(resp, key, &s) || !json_object_is_type(s, json_type_string))
		return "";
	str = json_object_get_string(s);
	return str ? str : "";
}

const char *ctl_resp_errno(struct json_object *resp)
{
	return resp_string(resp, "errno");
}

const char *ctl_resp_message(struct json_object *resp)
{
	return resp_string(resp, "message");
}
