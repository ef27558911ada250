/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Files and directories of the agent: mkdir -p (state file, control socket, pin
 * directory), the durable writer (state and health files) and the ownership
 * check of the pin directory.
 */
#ifndef XLB_COMMON_FSUTIL_H
#define XLB_COMMON_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* mkdir -p @dir: every missing component with @mode. 0 or -errno. */
int mkdir_p(const char *dir, mode_t mode);
/* mkdir -p of the directory that holds @path. 0 or -errno. */
int mkdir_parents(const char *path, mode_t mode);

/* The durable writer, in two steps so a caller can act between them (state.c
 * keeps the file being replaced as <path>.prev):
 * durable_prepare() writes @buf to "<path>.tmp" (in the same directory, mode
 * @mode), fsyncs and closes it, checking every write, fsync and close; the
 * name goes to @tmp. On error the temporary file is removed: 0 or -errno.
 * durable_commit() renames it over @path, then fsyncs the directory. 0 or
 * -errno; *renamed tells whether @path was replaced (true with an error: the
 * directory sync failed, so the new name may not survive a power loss).
 */
int durable_prepare(const char *path, const void *buf, size_t len, mode_t mode, char *tmp,
		    size_t tmplen);
int durable_commit(const char *tmp, const char *path, bool *renamed);
/* Both steps: @path holds exactly @buf, or (on error) what it held before. */
int write_durable(const char *path, const void *buf, size_t len, mode_t mode);

/* Refuses a pin directory others could tamper with, as sshd's StrictModes does:
 * @dir (if it exists) must be a directory owned by root (or the user lbd runs
 * as) and not writable by group or others; every directory above it likewise,
 * except that a sticky one (/tmp, /sys/fs/bpf) may be writable by all; and
 * @dir/@sub (if it exists and @sub is not NULL) like @dir. Missing directories
 * are fine: lbd creates them 0700. 0, or -errno with the directory, its owner
 * and mode in @why.
 */
int check_private_dir(const char *dir, const char *sub, char *why, size_t whylen);

#endif /* XLB_COMMON_FSUTIL_H */
