// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests of the state file: the end line that proves it whole (every cut
 * and every flipped byte is caught), reading without blocking (directory,
 * FIFO, NUL bytes), what start-up loads (state, .prev, --config, refusals),
 * the durable writer (mode 0600, .prev kept) and the pin-directory check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/model/config.h"
#include "agent/model/state.h"
#include "common/fsutil.h"
#include "common/grammar.h"

#define WHY 512

static const char cfg_text[] = "vip add 203.0.113.10:80/tcp\n"
			       "backend add 203.0.113.10:80/tcp 198.51.100.11 weight 300\n"
			       "backend add 203.0.113.10:80/tcp 198.51.100.12\n"
			       "vip add [2001:db8:100::10]:80/tcp encap gue\n"
			       "backend add [2001:db8:100::10]:80/tcp 2001:db8:2::11\n";

/* ---- helpers ---- */

static char tmpdir[PATH_MAX];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/xlb-test-state.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown_dir(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void path_in(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", tmpdir, name);

	assert_true(n > 0 && (size_t)n < len);
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path)
{
	char *text = NULL, why[WHY];

	assert_int_equal(state_read_file(path, &text, NULL, why, sizeof(why)), 0);
	return text;
}

static void load_cfg(struct config *c, const char *text)
{
	char err[WHY] = "";

	config_init(c);
	if (config_load_text(c, text, err, sizeof(err)))
		fail_msg("config: %s", err);
}

/* The state file text for cfg_text (malloc'ed) */
static __attribute__((noinline)) char *rendered(size_t *len)
{
	struct config c;
	char *buf = NULL;

	load_cfg(&c, cfg_text);
	assert_int_equal(state_render(&c, &buf, len), 0);
	config_free(&c);
	return buf;
}

static void assert_why(int ret, const char *why, const char *want)
{
	assert_int_not_equal(ret, 0);
	if (!strstr(why, want))
		fail_msg("reason '%s' lacks '%s'", why, want);
}

/* ---- the end line ---- */

static void test_crc32_vector(void **state)
{
	(void)state;
	/* the check value of CRC-32/ISO-HDLC (zlib's crc32) */
	assert_int_equal(state_crc32(0, "123456789", 9), 0xcbf43926);
	/* continuing a CRC gives the CRC of the whole */
	assert_int_equal(state_crc32(state_crc32(0, "1234", 4), "56789", 5), 0xcbf43926);
	assert_int_equal(state_crc32(0, "", 0), 0);
}

static void test_render_is_whole_and_loads(void **state)
{
	char why[WHY] = "", *text, *end;
	struct config a, b;
	size_t len;

	(void)state;
	text = rendered(&len);
	assert_int_equal(strlen(text), len);
	assert_int_equal(strncmp(text, STATE_HEADER "\n", strlen(STATE_HEADER) + 1), 0);
	end = strstr(text, STATE_END_TAG " lines 6 bytes ");
	assert_non_null(end);
	assert_int_equal(state_check(text, len, why, sizeof(why)), 0);
	/* the end line is a comment: the file loads as a config, unchanged */
	load_cfg(&a, cfg_text);
	load_cfg(&b, text);
	assert_int_equal(b.nvip, 2);
	assert_int_equal(b.vip[0].nbe, 2);
	assert_int_equal(b.vip[0].be[0].weight, 300);
	config_free(&a);
	config_free(&b);
	free(text);
}

static void test_empty_config_renders_whole(void **state)
{
	char why[WHY] = "", *text;
	struct config c;
	size_t len;

	(void)state;
	config_init(&c);
	assert_int_equal(state_render(&c, &text, &len), 0);
	assert_int_equal(state_check(text, len, why, sizeof(why)), 0);
	assert_non_null(strstr(text, STATE_END_TAG " lines 1 bytes "));
	config_free(&c);
	free(text);
}

static void test_empty_refused(void **state)
{
	char why[WHY] = "";

	(void)state;
	assert_why(state_check("", 0, why, sizeof(why)), why, "empty");
}

/* Every prefix shorter than the whole file is refused: cut after a line, in
 * the middle of one, inside the end line */
static void test_every_cut_refused(void **state)
{
	char why[WHY], *text, *cut;
	size_t len, k;

	(void)state;
	text = rendered(&len);
	for (k = 0; k < len; k++) {
		cut = strndup(text, k);
		assert_non_null(cut);
		why[0] = '\0';
		if (!state_check(cut, k, why, sizeof(why)))
			fail_msg("a cut after %zu of %zu bytes passed", k, len);
		if (k && text[k - 1] == '\n')
			assert_non_null(strstr(why, "no end line"));
		else if (k)
			assert_non_null(strstr(why, "ends inside a line"));
		free(cut);
	}
	free(text);
}

static void test_cut_messages(void **state)
{
	char why[WHY], *text, *p;
	size_t len;

	(void)state;
	text = rendered(&len);
	/* after line 4 (a whole, valid, smaller config) */
	p = text;
	for (int i = 0; i < 4; i++)
		p = strchr(p, '\n') + 1;
	assert_why(state_check(text, p - text, why, sizeof(why)), why, "no end line after line 4");
	/* mid-line: "weight 300" cut to "weight 3" */
	p = strstr(text, "weight 3") + strlen("weight 3");
	assert_why(state_check(text, p - text, why, sizeof(why)), why, "ends inside a line");
	free(text);
}

/* A flipped bit anywhere is caught: by the CRC before the end line, as a
 * malformed or mismatching end line inside it */
static void test_every_flip_refused(void **state)
{
	char why[WHY], *text;
	size_t len, k;

	(void)state;
	text = rendered(&len);
	for (k = 0; k < len; k++) {
		for (int bit = 0; bit < 8; bit++) {
			text[k] ^= (char)(1 << bit);
			if (!state_check(text, len, why, sizeof(why)))
				fail_msg("bit %d of byte %zu flipped passed", bit, k);
			text[k] ^= (char)(1 << bit);
		}
	}
	assert_int_equal(state_check(text, len, why, sizeof(why)), 0);
	free(text);
}

static void test_end_line_mismatch(void **state)
{
	char why[WHY], buf[512];
	const char *body = "# hand\nvip add 203.0.113.10:80/tcp\n";
	uint32_t crc = state_crc32(0, body, strlen(body));
	size_t n = strlen(body);

	(void)state;
	snprintf(buf, sizeof(buf), "%s%s lines 2 bytes %zu crc32 %08x\n", body, STATE_END_TAG, n,
		 crc);
	assert_int_equal(state_check(buf, strlen(buf), why, sizeof(why)), 0);
	snprintf(buf, sizeof(buf), "%s%s lines 3 bytes %zu crc32 %08x\n", body, STATE_END_TAG, n,
		 crc);
	assert_why(state_check(buf, strlen(buf), why, sizeof(why)), why,
		   "2 lines before the end line, which says 3");
	snprintf(buf, sizeof(buf), "%s%s lines 2 bytes %zu crc32 %08x\n", body, STATE_END_TAG,
		 n + 1, crc);
	assert_why(state_check(buf, strlen(buf), why, sizeof(why)), why, "bytes before the end");
	snprintf(buf, sizeof(buf), "%s%s lines 2 bytes %zu crc32 %08x\n", body, STATE_END_TAG, n,
		 crc ^ 1);
	assert_why(state_check(buf, strlen(buf), why, sizeof(why)), why, "damaged: CRC-32");
	/* only the canonical spelling: no 0x, no upper case, no sign, one blank */
	snprintf(buf, sizeof(buf), "%s%s lines 2 bytes %zu crc32 0x%08x\n", body, STATE_END_TAG, n,
		 crc);
	assert_why(state_check(buf, strlen(buf), why, sizeof(why)), why, "malformed end line");
	snprintf(buf, sizeof(buf), "%s%s lines 2 bytes %zu crc32 %08X\n", body, STATE_END_TAG, n,
		 crc | 0xa0000000);
	assert_int_not_equal(state_check(buf, strlen(buf), why, sizeof(why)), 0);
	snprintf(buf, sizeof(buf), "%s%s lines +2 bytes %zu crc32 %08x\n", body, STATE_END_TAG, n,
		 crc);
	assert_why(state_check(buf, strlen(buf), why, sizeof(why)), why, "malformed end line");
	snprintf(buf, sizeof(buf), "%s%s lines 2 bytes %zu crc32 %08x \n", body, STATE_END_TAG, n,
		 crc);
	assert_why(state_check(buf, strlen(buf), why, sizeof(why)), why, "malformed end line");
	/* anything after the end line: it is not the last line */
	snprintf(buf, sizeof(buf),
		 "%s%s lines 2 bytes %zu crc32 %08x\nvip del 203.0.113.10:80/tcp\n", body,
		 STATE_END_TAG, n, crc);
	assert_why(state_check(buf, strlen(buf), why, sizeof(why)), why, "no end line");
}

/* ---- reading ---- */

static void test_read_kinds(void **state)
{
	char path[PATH_MAX], why[WHY] = "", *text = NULL;
	size_t len = 99;

	(void)state;
	path_in(path, sizeof(path), "missing");
	assert_int_equal(state_read_file(path, &text, &len, why, sizeof(why)), -ENOENT);
	path_in(path, sizeof(path), "dir");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(state_read_file(path, &text, &len, why, sizeof(why)), -EISDIR);
	assert_non_null(strstr(why, "not a regular file (a directory)"));
	/* a FIFO with no writer: refused at once, never waited on */
	path_in(path, sizeof(path), "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_not_equal(state_read_file(path, &text, &len, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "a FIFO"));
	assert_null(text);
	path_in(path, sizeof(path), "nul");
	write_file(path, "vip add 203.0.113.10:80/tcp\n\0vip del\n", 38);
	assert_int_not_equal(state_read_file(path, &text, &len, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "NUL byte at offset 28"));
	path_in(path, sizeof(path), "empty");
	write_file(path, "", 0);
	assert_int_equal(state_read_file(path, &text, &len, why, sizeof(why)), 0);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);
}

/* ---- start-up: what is loaded ---- */

static int do_load(const char *state_path, const char *config, bool use_prev, struct config *c,
		   enum state_source *src, char *msg)
{
	struct state st;

	assert_int_equal(state_init(&st, state_path), 0);
	config_init(c);
	return state_load(&st, config, use_prev, c, src, msg, WHY);
}

static void test_load_sources(void **state)
{
	char sp[PATH_MAX], cp[PATH_MAX], pp[PATH_MAX], msg[WHY] = "", *text;
	enum state_source src;
	struct config c;
	size_t len;

	(void)state;
	path_in(sp, sizeof(sp), "state.conf");
	path_in(pp, sizeof(pp), "state.conf" STATE_PREV_SUFFIX);
	path_in(cp, sizeof(cp), "hand.conf");
	/* nothing at all: start empty */
	assert_int_equal(do_load(sp, NULL, false, &c, &src, msg), 0);
	assert_int_equal(src, STATE_SRC_NONE);
	config_free(&c);
	/* a hand-written --config needs no end line */
	write_file(cp, cfg_text, strlen(cfg_text));
	assert_int_equal(do_load(sp, cp, false, &c, &src, msg), 0);
	assert_int_equal(src, STATE_SRC_CONFIG);
	assert_int_equal(c.nvip, 2);
	config_free(&c);
	/* ... but a state file does, and wins over --config */
	text = rendered(&len);
	write_file(sp, text, len);
	assert_int_equal(do_load(sp, cp, false, &c, &src, msg), 0);
	assert_int_equal(src, STATE_SRC_STATE);
	assert_int_equal(c.nvip, 2);
	config_free(&c);
	write_file(sp, cfg_text, strlen(cfg_text));
	assert_int_equal(do_load(sp, cp, false, &c, &src, msg), -EBADMSG);
	assert_non_null(strstr(msg, sp));
	assert_non_null(strstr(msg, "no end line"));
	assert_null(strstr(msg, "--use-previous-state")); /* no .prev to offer */
	assert_int_equal(c.nvip, 0);
	config_free(&c);
	/* with a .prev beside it, the message offers it; the flag takes it */
	write_file(pp, text, len);
	assert_int_not_equal(do_load(sp, cp, false, &c, &src, msg), 0);
	assert_non_null(strstr(msg, "--use-previous-state"));
	config_free(&c);
	assert_int_equal(do_load(sp, cp, true, &c, &src, msg), 0);
	assert_int_equal(src, STATE_SRC_PREV);
	assert_int_equal(c.nvip, 2);
	config_free(&c);
	/* a state file gone while its .prev is there: the operator chooses */
	assert_int_equal(unlink(sp), 0);
	assert_int_equal(do_load(sp, cp, false, &c, &src, msg), -ENOENT);
	assert_non_null(strstr(msg, "does not exist, but"));
	config_free(&c);
	/* the flag without a .prev */
	assert_int_equal(unlink(pp), 0);
	assert_int_equal(do_load(sp, cp, true, &c, &src, msg), -ENOENT);
	assert_non_null(strstr(msg, pp));
	config_free(&c);
	free(text);
}

static void test_load_invalid_line(void **state)
{
	char sp[PATH_MAX], msg[WHY] = "", buf[512];
	const char *body = "vip add 203.0.113.10:80/tcp\n"
			   "backend add 203.0.113.10:80/tcp 198.51.100.11 weight 0\n";
	enum state_source src;
	struct config c;

	(void)state;
	/* whole, but not valid: refused with the line, nothing loaded */
	snprintf(buf, sizeof(buf), "%s%s lines 2 bytes %zu crc32 %08x\n", body, STATE_END_TAG,
		 strlen(body), state_crc32(0, body, strlen(body)));
	path_in(sp, sizeof(sp), "state.conf");
	write_file(sp, buf, strlen(buf));
	assert_int_not_equal(do_load(sp, NULL, false, &c, &src, msg), 0);
	assert_non_null(strstr(msg, sp));
	assert_non_null(strstr(msg, "line 2"));
	assert_int_equal(c.nvip, 0);
	config_free(&c);
	/* a directory and a FIFO as the state file */
	assert_int_equal(unlink(sp), 0);
	assert_int_equal(mkdir(sp, 0700), 0);
	assert_int_equal(do_load(sp, NULL, false, &c, &src, msg), -EISDIR);
	assert_non_null(strstr(msg, "a directory"));
	config_free(&c);
	assert_int_equal(rmdir(sp), 0);
	assert_int_equal(mkfifo(sp, 0600), 0);
	assert_int_not_equal(do_load(sp, NULL, false, &c, &src, msg), 0);
	assert_non_null(strstr(msg, "a FIFO"));
	config_free(&c);
}

/* ---- saving ---- */

static void test_save_keeps_prev(void **state)
{
	char sp[PATH_MAX], pp[PATH_MAX], why[WHY], *text, *prev;
	struct config c, more;
	enum state_source src;
	struct stat sb;
	struct state st;

	(void)state;
	path_in(sp, sizeof(sp), "sub/dir/state.conf");
	path_in(pp, sizeof(pp), "sub/dir/state.conf" STATE_PREV_SUFFIX);
	assert_int_equal(state_init(&st, sp), 0);
	load_cfg(&c, cfg_text);
	/* the first save creates the directories; nothing to keep yet */
	assert_int_equal(state_save(&st, &c), 0);
	assert_int_equal(stat(sp, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(stat(pp, &sb), -1);
	text = slurp(sp);
	assert_int_equal(state_check(text, strlen(text), why, sizeof(why)), 0);
	/* the same content again: the state is rewritten, .prev not made */
	assert_int_equal(state_save(&st, &c), 0);
	assert_int_equal(stat(pp, &sb), -1);
	/* a change: what was there becomes .prev */
	load_cfg(&more, "vip add 203.0.113.10:80/tcp\n");
	assert_int_equal(state_save(&st, &more), 0);
	prev = slurp(pp);
	assert_string_equal(prev, text);
	free(prev);
	free(text);
	/* start-up from .prev over a damaged state: the damaged file never
	 * becomes .prev; the first save replaces it */
	write_file(sp, "garbage", 7);
	config_free(&c);
	config_init(&c);
	state_fini(&st);
	assert_int_equal(state_init(&st, sp), 0);
	assert_int_equal(state_load(&st, NULL, true, &c, &src, why, sizeof(why)), 0);
	assert_int_equal(src, STATE_SRC_PREV);
	assert_int_equal(c.nvip, 2);
	text = slurp(pp);
	assert_int_equal(state_save(&st, &c), 0);
	prev = slurp(pp);
	assert_string_equal(prev, text);
	free(prev);
	prev = slurp(sp);
	assert_string_equal(prev, text);
	free(prev);
	free(text);
	config_free(&c);
	config_free(&more);
	state_fini(&st);
}

/* One command on top of @c, as lbd applies it (config_copy, then the change) */
static void apply_cmd(struct config *c, const char *line)
{
	char buf[GR_LINE_MAX], err[WHY] = "", *argv[GR_MAX_WORDS];
	struct gr_cmd cmd;
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	assert_int_equal(grammar_split(buf, argv, GR_MAX_WORDS, &argc, err, sizeof(err)), 0);
	assert_int_equal(grammar_parse(argc, argv, &cmd, err, sizeof(err)), 0);
	if (config_apply(c, &cmd, err, sizeof(err)))
		fail_msg("%s: %s", line, err);
}

/* state_save prints again only the VIPs a change touched: after each change
 * (lbd applies it to a copy, which becomes the config) the file is exactly
 * what a full render gives */
static void test_save_reprints_what_changed(void **state)
{
	static const char *const steps[] = {
		"backend set 203.0.113.10:80/tcp 198.51.100.12 weight 7",
		"backend drain 203.0.113.10:80/tcp 198.51.100.11",
		"vip set [2001:db8:100::10]:80/tcp mtu 1400",
		"backend add [2001:db8:100::10]:80/tcp 2001:db8:2::12 weight 5",
		"vip add 203.0.113.11:80/udp",
		"vip del 203.0.113.10:80/tcp", /* every later VIP moves up one */
		"backend set [2001:db8:100::10]:80/tcp 2001:db8:2::11 weight 9",
		"backend del [2001:db8:100::10]:80/tcp 2001:db8:2::11",
		"vip add 203.0.113.10:80/tcp",
		"backend add 203.0.113.10:80/tcp 198.51.100.11",
		"backend set [2001:db8:100::10]:80/tcp 2001:db8:2::12 weight 100",
	};
	char sp[PATH_MAX], *want, *got;
	struct config c, next;
	struct state st;
	size_t len;

	(void)state;
	path_in(sp, sizeof(sp), "reprint/state.conf");
	assert_int_equal(state_init(&st, sp), 0);
	load_cfg(&c, cfg_text);
	assert_int_equal(state_save(&st, &c), 0);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		config_init(&next);
		assert_int_equal(config_copy(&next, &c), 0);
		apply_cmd(&next, steps[i]);
		config_free(&c);
		c = next;
		assert_int_equal(state_save(&st, &c), 0);
		assert_int_equal(state_render(&c, &want, &len), 0);
		got = slurp(sp);
		if (strcmp(got, want))
			fail_msg("after '%s' the file holds:\n%s\nnot:\n%s", steps[i], got, want);
		free(got);
		free(want);
	}
	config_free(&c);
	state_fini(&st);
}

static void test_write_durable_mode(void **state)
{
	char p[PATH_MAX], tmp[PATH_MAX + 8], *text;
	struct stat sb;
	int fd;

	(void)state;
	path_in(p, sizeof(p), "health");
	/* a temporary file left by a crash, world-readable */
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	fd = open(tmp, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	close(fd);
	assert_int_equal(write_durable(p, "a b up\n", 7, 0600), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(stat(tmp, &sb), -1);
	text = slurp(p);
	assert_string_equal(text, "a b up\n");
	free(text);
	/* a directory that does not exist: the error, nothing written */
	path_in(p, sizeof(p), "nodir/health");
	assert_int_equal(write_durable(p, "x\n", 2, 0600), -ENOENT);
}

/* ---- the pin directory ---- */

static void test_pin_dir_check(void **state)
{
	char d[PATH_MAX], sub[PATH_MAX], why[WHY] = "";

	(void)state;
	path_in(d, sizeof(d), "pins");
	/* missing: lbd creates it 0700 */
	assert_int_equal(check_private_dir(d, "v1", why, sizeof(why)), 0);
	assert_int_equal(mkdir(d, 0700), 0);
	assert_int_equal(check_private_dir(d, "v1", why, sizeof(why)), 0);
	path_in(sub, sizeof(sub), "pins/");
	assert_int_equal(check_private_dir(sub, "v1", why, sizeof(why)), 0);
	/* writable by group or others, sticky or not: refused, with the mode */
	assert_int_equal(chmod(d, 0770), 0);
	assert_why(check_private_dir(d, "v1", why, sizeof(why)), why, "mode 0770");
	assert_non_null(strstr(why, d));
	assert_non_null(strstr(why, "owner uid"));
	assert_int_equal(chmod(d, 01777), 0);
	assert_why(check_private_dir(d, "v1", why, sizeof(why)), why, "mode 1777");
	assert_int_equal(chmod(d, 01700), 0); /* a bpffs mounted with -o mode=0700 */
	assert_int_equal(check_private_dir(d, "v1", why, sizeof(why)), 0);
	/* the pin subdirectory likewise */
	path_in(sub, sizeof(sub), "pins/v1");
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(chmod(sub, 0757), 0);
	assert_why(check_private_dir(d, "v1", why, sizeof(why)), why, "v1: owner uid");
	assert_int_equal(chmod(sub, 0700), 0);
	assert_int_equal(check_private_dir(d, "v1", why, sizeof(why)), 0);
	/* a directory above: writable by others only if sticky */
	assert_int_equal(chmod(tmpdir, 0777), 0);
	assert_why(check_private_dir(d, "v1", why, sizeof(why)), why, tmpdir);
	assert_int_equal(chmod(tmpdir, 01777), 0);
	assert_int_equal(check_private_dir(d, "v1", why, sizeof(why)), 0);
	assert_int_equal(chmod(tmpdir, 0700), 0);
	/* not a directory */
	path_in(sub, sizeof(sub), "file");
	write_file(sub, "", 0);
	assert_int_equal(check_private_dir(sub, NULL, why, sizeof(why)), -ENOTDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_vector),
		cmocka_unit_test(test_render_is_whole_and_loads),
		cmocka_unit_test(test_empty_config_renders_whole),
		cmocka_unit_test(test_empty_refused),
		cmocka_unit_test(test_every_cut_refused),
		cmocka_unit_test(test_cut_messages),
		cmocka_unit_test(test_every_flip_refused),
		cmocka_unit_test(test_end_line_mismatch),
		cmocka_unit_test_setup_teardown(test_read_kinds, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_sources, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_invalid_line, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_save_reprints_what_changed, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_save_keeps_prev, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_write_durable_mode, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_pin_dir_check, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
