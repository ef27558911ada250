// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* errmsg: format a message into a caller's buffer and pass an error code on. */
#include <stdarg.h>
#include <stdio.h>
#include "errmsg.h"

int errmsg(int ret, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}
