// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sockio: non-blocking send of a pending buffer. */
#include <errno.h>
#include <sys/socket.h>
#include "sockio.h"

int sock_send_some(int fd, const char *buf, size_t len, size_t *off)
{
	while (*off < len) {
		ssize_t n = send(fd, buf + *off, len - *off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
		*off += (size_t)n;
	}
	return 0;
}
