// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* state: atomic persistence of the running config as lbctl command lines. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/fsutil.h"
#include "agent/state.h"
#include "common/log.h"

#define STATE_FILE_MAX (16 << 20)

struct emit_buf {
	FILE *f;
};

static int emit_line(void *arg, const char *line)
{
	struct emit_buf *b = arg;

	return fprintf(b->f, "%s\n", line) < 0 ? -EIO : 0;
}

int state_save(const char *path, const struct config *cfg)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	struct emit_buf b;
	int fd, dfd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	err = mkdir_parents(path, 0755);
	if (err)
		goto out_log;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto out_log;
	}
	b.f = fdopen(fd, "w");
	if (!b.f) {
		err = -errno;
		close(fd);
		goto out_unlink;
	}
	fprintf(b.f, "# xlb state: written by lbd on every accepted change; lbctl grammar\n");
	err = config_print(cfg, emit_line, &b);
	if (!err && fflush(b.f))
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	if (fclose(b.f) && !err)
		err = -errno;
	if (err)
		goto out_unlink;
	if (rename(tmp, path)) {
		err = -errno;
		goto out_unlink;
	}
	/* the rename itself must reach the disk */
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;

out_unlink:
	unlink(tmp);
out_log:
	pr_err("state: %s: cannot save: %s", path, strerror(-err));
	return err;
}

int state_read_file(const char *path, char **text)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t off = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out_close;
	}
	if (st.st_size > STATE_FILE_MAX) {
		err = -EFBIG;
		goto out_close;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out_close;
	}
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
	}
	buf[off] = '\0';
	*text = buf;
out_close:
	close(fd);
	return err;
}
