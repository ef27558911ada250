// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Files and directories of lbd: mkdir -p, the durable writer (state and health
 * files) and the ownership check of the pin directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
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

/* The directory holding @path ("." for a bare name) */
static void dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

int durable_prepare(const char *path, const void *buf, size_t len, mode_t mode, char *tmp,
		    size_t tmplen)
{
	const char *p = buf;
	ssize_t n;
	int fd, err = 0;

	if (snprintf(tmp, tmplen, "%s.tmp", path) >= (int)tmplen)
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	/* a temporary file left by a crash may have had another mode */
	if (fchmod(fd, mode))
		err = -errno;
	while (!err && len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* 0 cannot happen for a regular file */
			err = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int durable_commit(const char *tmp, const char *path, bool *renamed)
{
	char dir[PATH_MAX];
	int dfd, err = 0;

	*renamed = false;
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	*renamed = true;
	/* the rename itself must reach the disk */
	dir_of(path, dir, sizeof(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* EINVAL: a file system that cannot sync directories (nothing to wait for) */
	if (fsync(dfd) && errno != EINVAL)
		err = -errno;
	if (close(dfd) && !err)
		err = -errno;
	return err;
}

int write_durable(const char *path, const void *buf, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	bool renamed;
	int err;

	err = durable_prepare(path, buf, len, mode, tmp, sizeof(tmp));
	if (!err)
		err = durable_commit(tmp, path, &renamed);
	return err;
}

/* Whether @st is safe to hold lbd's pins: owned by root (or lbd's own user),
 * and either not writable by group and others, or (@sticky_ok, for the
 * directories above) sticky, where nobody removes or renames what is not theirs.
 */
static bool private_enough(const struct stat *st, bool sticky_ok)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return false;
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return true;
	return sticky_ok && (st->st_mode & S_ISVTX);
}

static int refuse_dir(const char *dir, const struct stat *st, bool sticky_ok, char *why,
		      size_t whylen)
{
	snprintf(why, whylen,
		 "%s: owner uid %u, mode %04o: must be a directory owned by root and not "
		 "writable by group or others%s",
		 dir, (unsigned int)st->st_uid, (unsigned int)(st->st_mode & 07777),
		 sticky_ok ? " (or sticky)" : "");
	return -EPERM;
}

int check_private_dir(const char *dir, const char *sub, char *why, size_t whylen)
{
	char buf[PATH_MAX], *p;
	struct stat st;

	size_t n;

	if (!*dir || snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf)) {
		snprintf(why, whylen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	for (n = strlen(buf); n > 1 && buf[n - 1] == '/'; n--)
		buf[n - 1] = '\0';
	/* the directory itself, strictly */
	if (stat(buf, &st)) {
		if (errno != ENOENT) {
			snprintf(why, whylen, "%s: %s", buf, strerror(errno));
			return -errno;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s: not a directory", buf);
		return -ENOTDIR;
	} else if (!private_enough(&st, false)) {
		return refuse_dir(buf, &st, false, why, whylen);
	}
	/* then every directory above it: whoever may replace one of them may
	 * replace the pin directory (as sshd's StrictModes walks up) */
	while ((p = strrchr(buf, '/'))) {
		if (p == buf)
			p[1] = '\0'; /* "/" itself, last */
		else
			*p = '\0';
		if (stat(buf, &st)) {
			if (errno == ENOENT)
				continue; /* created 0700 by lbd */
			snprintf(why, whylen, "%s: %s", buf, strerror(errno));
			return -errno;
		}
		if (!private_enough(&st, true))
			return refuse_dir(buf, &st, true, why, whylen);
		if (p == buf)
			break;
	}
	/* and the directory lbd pins into, if an earlier run (or someone) made it */
	if (sub) {
		if (snprintf(buf, sizeof(buf), "%s/%s", dir, sub) >= (int)sizeof(buf)) {
			snprintf(why, whylen, "%s/%s: path too long", dir, sub);
			return -ENAMETOOLONG;
		}
		if (stat(buf, &st))
			return 0; /* lbd creates it, 0700 */
		if (!S_ISDIR(st.st_mode)) {
			snprintf(why, whylen, "%s: not a directory", buf);
			return -ENOTDIR;
		}
		if (!private_enough(&st, false))
			return refuse_dir(buf, &st, false, why, whylen);
	}
	return 0;
}
