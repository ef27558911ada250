/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Directories the agent creates (state file, control socket, pin directory). */
#ifndef XLB_COMMON_FSUTIL_H
#define XLB_COMMON_FSUTIL_H

#include <sys/types.h>

/* mkdir -p @dir: every missing component with @mode. 0 or -errno. */
int mkdir_p(const char *dir, mode_t mode);
/* mkdir -p of the directory that holds @path. 0 or -errno. */
int mkdir_parents(const char *path, mode_t mode);

#endif /* XLB_COMMON_FSUTIL_H */
