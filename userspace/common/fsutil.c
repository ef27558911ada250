// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* mkdir -p, once for lbd's state, socket and pin directories */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "fsutil.h"

int mkdir_p(const char *dir, mode_t mode)
{
	char buf[PATH_MAX];
	char *p;

	if (!*dir || snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int mkdir_parents(const char *path, mode_t mode)
{
	char dir[PATH_MAX];
	char *p;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0; /* relative name, or in / */
	*p = '\0';
	return mkdir_p(dir, mode);
}
