/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* lbctl's side of the control socket (protocol in common/ctl_proto.h): connect,
 * send one request, wait for its response line, each with a timeout.
 */
#ifndef XLB_COMMON_CTL_CLIENT_H
#define XLB_COMMON_CTL_CLIENT_H

#include <json-c/json.h>

#include "common/ctl_proto.h"

/* Connects to the lbd socket at path, retrying while its backlog is full, for up to
 * timeout_ms (< 0: no limit). Returns a non-blocking fd, or -errno (-ENOENT: no
 * socket, -ECONNREFUSED: nobody serves it, -EACCES: no permission, -ETIMEDOUT).
 */
int ctl_client_connect(const char *path, int timeout_ms);

/* Sends {"v":1,"argv":argv_array} (argv_array is borrowed). Returns 0 or -errno
 * (-EMSGSIZE: longer than CTL_MSG_MAX, -ETIMEDOUT, -EPIPE/-ECONNRESET).
 */
int ctl_client_send(int fd, struct json_object *argv_array, int timeout_ms);

/* Waits for one response line. Returns 0 with *resp a checked response object (the
 * caller puts it), or -errno: -ETIMEDOUT, -ECONNRESET (closed before a full line),
 * -EPROTO (malformed response, data after it, or a protocol version other than ours).
 */
int ctl_client_recv(int fd, struct json_object **resp, int timeout_ms);

/* ctl_client_send() then ctl_client_recv(), timeout_ms for the whole exchange */
int ctl_client_request(int fd, struct json_object *argv_array, struct json_object **resp,
		       int timeout_ms);

void ctl_client_close(int fd);

/* Accessors for a response returned by ctl_client_recv() */
int ctl_resp_code(struct json_object *resp);		     /* enum ctl_code */
struct json_object *ctl_resp_data(struct json_object *resp); /* borrowed; NULL for null */
const char *ctl_resp_errno(struct json_object *resp);	     /* "" on success */
const char *ctl_resp_message(struct json_object *resp);	     /* "" on success */

#endif /* XLB_COMMON_CTL_CLIENT_H */
