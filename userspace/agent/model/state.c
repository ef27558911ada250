// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* state: the running config as a sealed file of lbctl command lines (format
 * in state.h): render and check (pure), read without blocking, load at
 * start-up, save durably keeping the previous state.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "common/fsutil.h"
#include "agent/model/state.h"
#include "common/log.h"

#define STATE_END_MAX 128 /* the end line, newline included */

/* zlib's CRC-32 (the one of `python3 -c 'import zlib'` and gzip): a byte-wise
 * table here took a fifth of lbd's time for a change with 10,000 backends */
uint32_t state_crc32(uint32_t crc, const void *buf, size_t len)
{
	return (uint32_t)crc32_z(crc, buf, len);
}

struct strbuf {
	char *s;
	size_t len, cap;
	size_t lines;
};

static int sb_put(struct strbuf *b, const char *s, size_t n)
{
	char *grown;
	size_t cap;

	if (b->len + n + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 4096; cap < b->len + n + 1; cap *= 2)
			;
		grown = realloc(b->s, cap);
		if (!grown)
			return -ENOMEM;
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static int emit_line(void *arg, const char *line)
{
	struct strbuf *b = arg;
	int err = sb_put(b, line, strlen(line));

	if (!err)
		err = sb_put(b, "\n", 1);
	b->lines++;
	return err;
}

/* A VIP's lines as last rendered */
struct state_vlines {
	struct xlb_vip_key key;
	uint64_t digest;
	char *txt;
	size_t len, lines;
};

/* VIP @i's lines into @b: kept ones when its digest has not changed, else
 * printed again (and kept) */
static int render_vip(struct state *st, const struct config *cfg, size_t i, struct strbuf *b)
{
	struct state_vlines *vl = &st->vl[i];
	struct strbuf one = {};
	uint64_t d = config_vip_digest(cfg, i);
	int err;

	if (vl->txt && d == vl->digest && !memcmp(&vl->key, &cfg->vip[i].key, sizeof(vl->key))) {
		b->lines += vl->lines;
		return sb_put(b, vl->txt, vl->len);
	}
	err = config_print_vip(cfg, i, emit_line, &one);
	if (err) {
		free(one.s);
		return err;
	}
	free(vl->txt);
	vl->txt = one.s;
	vl->len = one.len;
	vl->lines = one.lines;
	vl->key = cfg->vip[i].key;
	vl->digest = d;
	b->lines += one.lines;
	return sb_put(b, one.s, one.len);
}

/* The whole file for @cfg; with @st, VIPs whose lines did not change since the
 * last render are not printed again */
static int render(struct state *st, const struct config *cfg, char **buf, size_t *len,
		  uint32_t *body_crc)
{
	struct strbuf b = {};
	char end[STATE_END_MAX];
	size_t i;
	int err, n;

	if (st && st->nvl != cfg->nvip) {
		struct state_vlines *vl;

		for (i = cfg->nvip; i < st->nvl; i++)
			free(st->vl[i].txt);
		vl = realloc(st->vl, (cfg->nvip ? cfg->nvip : 1) * sizeof(*vl));
		if (!vl) {
			st->nvl = st->nvl < cfg->nvip ? st->nvl : cfg->nvip;
			return -ENOMEM;
		}
		if (cfg->nvip > st->nvl)
			memset(vl + st->nvl, 0, (cfg->nvip - st->nvl) * sizeof(*vl));
		st->vl = vl;
		st->nvl = cfg->nvip;
	}
	err = emit_line(&b, STATE_HEADER);
	for (i = 0; !err && i < cfg->nvip; i++)
		err = st ? render_vip(st, cfg, i, &b) : config_print_vip(cfg, i, emit_line, &b);
	if (!err)
		err = policy_print(&cfg->pol, emit_line, &b);
	if (!err) {
		*body_crc = state_crc32(0, b.s, b.len);
		n = snprintf(end, sizeof(end), "%s lines %zu bytes %zu crc32 %08" PRIx32 "\n",
			     STATE_END_TAG, b.lines, b.len, *body_crc);
		err = sb_put(&b, end, n);
	}
	if (err) {
		free(b.s);
		return err;
	}
	*buf = b.s;
	*len = b.len;
	return 0;
}

int state_render(const struct config *cfg, char **buf, size_t *len)
{
	uint32_t crc;

	return render(NULL, cfg, buf, len, &crc);
}

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 0;
	const char *p;

	while (len && (p = memchr(s, '\n', len))) {
		n++;
		len -= p + 1 - s;
		s = p + 1;
	}
	return n;
}

int state_check(const char *text, size_t len, char *why, size_t whylen)
{
	size_t start, lines, bytes, n;
	char end[STATE_END_MAX], line[STATE_END_MAX];
	unsigned int crc;

	if (!len) {
		snprintf(why, whylen, "empty (0 bytes): not a state file lbd wrote");
		return -EBADMSG;
	}
	if (text[len - 1] != '\n') {
		snprintf(why, whylen,
			 "not whole: it ends inside a line (cut short after %zu bytes)", len);
		return -EBADMSG;
	}
	for (start = len - 1; start && text[start - 1] != '\n'; start--)
		;
	n = len - start;
	if (n < sizeof(STATE_END_TAG) ||
	    memcmp(text + start, STATE_END_TAG " ", sizeof(STATE_END_TAG))) {
		snprintf(why, whylen,
			 "not whole: no end line after line %zu (cut short, or not written by lbd)",
			 count_lines(text, len));
		return -EBADMSG;
	}
	/* exactly as state_render() writes it: same words, no sign, no 0x */
	if (n < sizeof(line)) {
		memcpy(line, text + start, n);
		line[n] = '\0';
	}
	if (n >= sizeof(line) ||
	    sscanf(line, STATE_END_TAG " lines %zu bytes %zu crc32 %8x", &lines, &bytes, &crc) !=
		    3 ||
	    snprintf(end, sizeof(end), "%s lines %zu bytes %zu crc32 %08x\n", STATE_END_TAG, lines,
		     bytes, crc) != (int)n ||
	    strcmp(end, line)) {
		snprintf(why, whylen, "malformed end line (line %zu)",
			 count_lines(text, start) + 1);
		return -EBADMSG;
	}
	if (bytes != start) {
		snprintf(why, whylen, "not whole: %zu bytes before the end line, which says %zu",
			 start, bytes);
		return -EBADMSG;
	}
	n = count_lines(text, start);
	if (n != lines) {
		snprintf(why, whylen, "not whole: %zu lines before the end line, which says %zu", n,
			 lines);
		return -EBADMSG;
	}
	if (state_crc32(0, text, start) != crc) {
		snprintf(why, whylen,
			 "damaged: CRC-32 %08" PRIx32 " of the %zu bytes before the "
			 "end line, which says %08x",
			 state_crc32(0, text, start), start, crc);
		return -EBADMSG;
	}
	return 0;
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m)  ? "a directory" :
	       S_ISFIFO(m) ? "a FIFO" :
	       S_ISSOCK(m) ? "a socket" :
	       S_ISCHR(m)  ? "a character device" :
	       S_ISBLK(m)  ? "a block device" :
			     "not a regular file";
}

int state_read_file(const char *path, char **text, size_t *len, char *why, size_t whylen)
{
	size_t off = 0, cap;
	struct stat st;
	char *buf = NULL, *grown, *nul;
	ssize_t n;
	int fd, err = 0;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		snprintf(why, whylen, "cannot stat: %s", strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file (%s)", file_kind(st.st_mode));
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out_close;
	}
	if (st.st_size > STATE_FILE_MAX) {
		snprintf(why, whylen, "too large (%lld bytes, at most %d)", (long long)st.st_size,
			 STATE_FILE_MAX);
		err = -EFBIG;
		goto out_close;
	}
	/* to the end of file, whatever st_size said a moment ago */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	for (;;) {
		if (!buf) {
			err = -ENOMEM;
			snprintf(why, whylen, "%s", strerror(ENOMEM));
			goto out_close;
		}
		if (off + 1 == cap) {
			if (cap > STATE_FILE_MAX) {
				snprintf(why, whylen, "too large (more than %d bytes)",
					 STATE_FILE_MAX);
				err = -EFBIG;
				goto out_free;
			}
			grown = realloc(buf, cap * 2);
			if (!grown)
				free(buf);
			buf = grown;
			cap *= 2;
			continue;
		}
		n = read(fd, buf + off, cap - 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			snprintf(why, whylen, "read failed: %s", strerror(errno));
			goto out_free;
		}
		if (!n)
			break;
		off += n;
	}
	buf[off] = '\0';
	nul = memchr(buf, '\0', off);
	if (nul) {
		snprintf(why, whylen, "not a text file (a NUL byte at offset %td)", nul - buf);
		err = -EBADMSG;
		goto out_free;
	}
	*text = buf;
	if (len)
		*len = off;
	goto out_close;
out_free:
	free(buf);
out_close:
	close(fd);
	return err;
}

void state_fini(struct state *st)
{
	for (size_t i = 0; i < st->nvl; i++)
		free(st->vl[i].txt);
	free(st->vl);
	st->vl = NULL;
	st->nvl = 0;
}

int state_init(struct state *st, const char *path)
{
	memset(st, 0, sizeof(*st));
	if (snprintf(st->path, sizeof(st->path), "%s", path) >= (int)sizeof(st->path) ||
	    snprintf(st->prev, sizeof(st->prev), "%s" STATE_PREV_SUFFIX, path) >=
		    (int)sizeof(st->prev))
		return -ENAMETOOLONG;
	return 0;
}

/* Read, check (@sealed) and load one file; the message names it as @what */
static int load_file(const char *what, const char *path, bool sealed, struct config *cfg,
		     char **text, size_t *len, char *msg, size_t msglen)
{
	char why[384];
	int err;

	err = state_read_file(path, text, len, why, sizeof(why));
	if (err == -ENOENT)
		return err;
	if (!err && sealed)
		err = state_check(*text, *len, why, sizeof(why));
	if (!err) {
		err = config_load_text(cfg, *text, why, sizeof(why));
		if (err) { /* nothing half-loaded */
			config_free(cfg);
			config_init(cfg);
		}
	}
	if (err) {
		snprintf(msg, msglen, "%s %s: %s", what, path, why);
		free(*text);
		*text = NULL;
	}
	return err;
}

int state_load(struct state *st, const char *config, bool use_prev, struct config *cfg,
	       enum state_source *src, char *msg, size_t msglen)
{
	struct stat sb;
	char *text = NULL;
	size_t len = 0;
	int err;

	*src = STATE_SRC_NONE;
	st->cur_ok = false;
	if (use_prev) {
		/* the state file stays as it is until the first save replaces it
		 * (cur_ok false: it does not become the new .prev) */
		err = load_file("previous state file", st->prev, true, cfg, &text, &len, msg,
				msglen);
		if (err == -ENOENT)
			snprintf(msg, msglen, "previous state file %s: does not exist", st->prev);
		if (!err)
			*src = STATE_SRC_PREV;
		free(text);
		return err;
	}
	err = load_file("state file", st->path, true, cfg, &text, &len, msg, msglen);
	if (!err) {
		const char *end = text && len > 1 ? memrchr(text, '\n', len - 1) : NULL;

		/* whole (load_file checked it): the body is all before the end line */
		st->cur_ok = true;
		st->cur_len = len;
		st->cur_crc = state_crc32(0, text, end ? (size_t)(end + 1 - text) : 0);
		*src = STATE_SRC_STATE;
		free(text);
		return 0;
	}
	if (err != -ENOENT) {
		if (!lstat(st->prev, &sb)) {
			size_t n = strlen(msg);

			snprintf(msg + n, msglen - n,
				 "; to start from the previous state (%s) instead, run lbd with "
				 "--use-previous-state",
				 st->prev);
		}
		return err;
	}
	if (!lstat(st->prev, &sb)) {
		/* lbd never removes its state file: someone did, or it was lost */
		snprintf(msg, msglen,
			 "state file %s: does not exist, but %s does: run lbd with "
			 "--use-previous-state to start from it, or remove it to start %s%s",
			 st->path, st->prev, config ? "from " : "empty", config ? config : "");
		return -ENOENT;
	}
	if (!config)
		return 0;
	err = load_file("config file", config, false, cfg, &text, &len, msg, msglen);
	if (err == -ENOENT)
		snprintf(msg, msglen, "config file %s: does not exist", config);
	if (!err)
		*src = STATE_SRC_CONFIG;
	free(text);
	return err;
}

int state_write_lines(const char *path, state_lines_fn gen, void *arg)
{
	struct strbuf b = {};
	int err = gen(arg, emit_line, &b);

	if (!err)
		err = write_durable(path, b.s ? b.s : "", b.len, STATE_FILE_MODE);
	free(b.s);
	return err;
}

/* Keep what @st->path holds now as .prev: linked, then renamed over .prev, so
 * the state file never goes missing in between. false if it could not be. */
static bool keep_prev(struct state *st)
{
	char tmp[PATH_MAX + 8];

	snprintf(tmp, sizeof(tmp), "%s.tmp", st->prev);
	unlink(tmp);
	if (!link(st->path, tmp) && !rename(tmp, st->prev))
		return true;
	if (!st->prev_warned)
		pr_warn("state: %s: cannot keep the previous state: %s", st->prev, strerror(errno));
	st->prev_warned = true;
	unlink(tmp);
	return false;
}

int state_save(struct state *st, const struct config *cfg)
{
	char tmp[PATH_MAX];
	bool renamed = false, rotated = false;
	uint32_t crc;
	size_t len;
	char *buf;
	int err;

	/* the file's identity: its length and its body's CRC (the end line
	 * follows from the body; a second CRC over 5.7 MB took 5 ms a change) */
	err = render(st, cfg, &buf, &len, &crc);
	if (err)
		goto out_log;
	err = mkdir_parents(st->path, 0755);
	if (!err)
		err = durable_prepare(st->path, buf, len, STATE_FILE_MODE, tmp, sizeof(tmp));
	free(buf);
	if (err)
		goto out_log;
	if (st->cur_ok && (len != st->cur_len || crc != st->cur_crc))
		rotated = keep_prev(st);
	err = durable_commit(tmp, st->path, &renamed);
	if (err && renamed && rotated) {
		/* the directory did not sync: put the state of record back */
		if (rename(st->prev, st->path))
			st->cur_ok = false;
	} else if (err && renamed) {
		st->cur_ok = false; /* holds the new state, maybe not durably */
	}
	if (err)
		goto out_log;
	st->cur_ok = true;
	st->cur_len = len;
	st->cur_crc = crc;
	return 0;
out_log:
	pr_err("state: %s: cannot save: %s", st->path, strerror(-err));
	return err;
}
