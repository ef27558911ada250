/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* state: the running config persisted in the lbctl grammar, so a restart or a
 * crash loses no accepted change. Written atomically (temp file, fsync,
 * rename, fsync of the directory).
 */
#ifndef XLB_AGENT_STATE_H
#define XLB_AGENT_STATE_H

#include "agent/config.h"

#define STATE_PATH_DEFAULT "/var/lib/xlb/state.conf"

/* Persist @cfg at @path (creating its directory). 0 or -errno (logged). */
int state_save(const char *path, const struct config *cfg);
/* Read a whole file (config or state) into a malloc'ed NUL-terminated string.
 * 0, -ENOENT if it does not exist, or -errno (-EFBIG past 16 MiB). */
int state_read_file(const char *path, char **text);

#endif /* XLB_AGENT_STATE_H */
