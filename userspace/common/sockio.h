/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* sockio: the one non-blocking send loop of the agent's socket servers. */
#ifndef XLB_COMMON_SOCKIO_H
#define XLB_COMMON_SOCKIO_H

#include <stddef.h>

/* Send buf[*off..len) as far as the socket takes it, advancing *off (no
 * SIGPIPE, retried on EINTR). 0 when everything is sent, -EAGAIN when the
 * socket is full, another -errno when the peer is gone. */
int sock_send_some(int fd, const char *buf, size_t len, size_t *off);

#endif /* XLB_COMMON_SOCKIO_H */
