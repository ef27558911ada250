/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The control-socket protocol between lbctl and lbd (server: agent/control/ctl.c, client:
 * common/ctl_client.c).
 *
 * Transport: a UNIX stream socket (default CTL_SOCKET_DEFAULT, mode 0660, owned by
 * root and the optional --socket-group). Each message is one JSON object on one line,
 * terminated by '\n'. A request line, newline included, is at most CTL_MSG_MAX bytes;
 * a longer one is answered with code 2 "request too large" and the connection is
 * closed. Responses may be larger (a backend listing), up to CTL_RESP_MAX bytes.
 *
 * Request:   {"v":1,"argv":["vip","add","192.0.2.10:80/tcp","encap","ipip"]}
 *   "v"     protocol version, an integer; anything but CTL_PROTO_VERSION gets code 3
 *   "argv"  the lbctl grammar words after the global options: a non-empty array of
 *           at most CTL_ARGV_MAX strings (no NUL bytes inside); other keys are ignored
 * Response:  {"v":1,"code":0,"data":<any JSON value or null>}
 *   or       {"v":1,"code":4,"errno":"ENOENT","message":"backend 10.1.0.5 not found in ..."}
 *   "code"  enum ctl_code, equal to lbctl's exit code; "errno" is a symbolic name
 *
 * A file larger than one request goes as ["apply-part", TEXT]... then
 * ["apply", TEXT (, "dry-run")], all on one connection: the apply takes the
 * concatenation of the parts and its own TEXT.
 *
 * Several requests may be sent on one connection; they are answered in order. A
 * connection with no complete request for CTL_IDLE_MS is closed. At most
 * CTL_CLIENTS_MAX clients are served at once, of which the last
 * CTL_ROOT_RESERVE only to uid 0, and at most CTL_CLIENTS_PER_UID from any
 * other one uid; a client beyond these receives one error line (code 3,
 * "EBUSY") and is closed. uid 0 is never refused: when every place is taken,
 * the client that has waited longest since its last request makes room.
 */
#ifndef XLB_COMMON_CTL_PROTO_H
#define XLB_COMMON_CTL_PROTO_H

#define CTL_PROTO_VERSION 1
#define CTL_SOCKET_DEFAULT "/run/xlb/lbd.sock"
#define CTL_MSG_MAX (64 * 1024)		/* request line, '\n' included */
#define CTL_RESP_MAX (16 * 1024 * 1024) /* response line, '\n' included */
#define CTL_ARGV_MAX 256
#define CTL_CLIENTS_MAX 64
#define CTL_ROOT_RESERVE 8     /* places only uid 0 takes */
#define CTL_CLIENTS_PER_UID 16 /* for every uid but 0 */
#define CTL_IDLE_MS 30000

/* Response codes; each equals the lbctl exit code for that outcome */
enum ctl_code {
	CTL_OK = 0,	    /* success */
	CTL_E_FAILED = 1,   /* the operation failed */
	CTL_E_USAGE = 2,    /* bad request: syntax, value, unknown or repeated keyword */
	CTL_E_CONNECT = 3,  /* cannot talk: version mismatch, permission, busy */
	CTL_E_NOTFOUND = 4, /* the object does not exist */
	CTL_E_EXISTS = 5,   /* the object already exists */
	__CTL_CODE_MAX,
};

/* Default "errno" name sent with an error code */
static inline const char *ctl_code_errno_name(int code)
{
	switch (code) {
	case CTL_OK:
		return "OK";
	case CTL_E_USAGE:
		return "EINVAL";
	case CTL_E_CONNECT:
		return "EPROTO";
	case CTL_E_NOTFOUND:
		return "ENOENT";
	case CTL_E_EXISTS:
		return "EEXIST";
	default:
		return "EIO";
	}
}

#endif /* XLB_COMMON_CTL_PROTO_H */
