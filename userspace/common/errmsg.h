/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* One way to report a failure with a message: write it into the caller's
 * buffer and return the error code, so `return errmsg(-EINVAL, err, len,
 * "invalid port '%s'", s);` is a single statement. */
#ifndef XLB_COMMON_ERRMSG_H
#define XLB_COMMON_ERRMSG_H

#include <stddef.h>

/* Formats into @err (if non-NULL and @errlen > 0) and returns @ret */
int errmsg(int ret, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* XLB_COMMON_ERRMSG_H */
