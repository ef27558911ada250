/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* state: the running config persisted in the lbctl grammar, so a restart or a
 * crash loses no accepted change. The file is lbd's own: it ends with a line
 * that proves it whole, and one that is not whole is never applied. Saved by
 * the durable writer (common/fsutil.h); the state it replaces is kept as
 * <state>.prev, for `lbd --use-previous-state`.
 *
 *   # xlb state: written by lbd on every accepted change; lbctl grammar
 *   vip add 203.0.113.10:80/tcp
 *   backend add 203.0.113.10:80/tcp 198.51.100.11
 *   # xlb-state-end lines 3 bytes 142 crc32 43b1d124
 *
 * The end line counts the lines and bytes before it and carries their CRC-32
 * (IEEE 802.3, as zlib's crc32()) in 8 hex digits. It is a comment for the
 * grammar, so `lbctl batch` and `--config` read a state file as it is; a
 * hand-written --config file needs no such line.
 */
#ifndef XLB_AGENT_STATE_H
#define XLB_AGENT_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "agent/model/config.h"

#define STATE_PATH_DEFAULT "/var/lib/xlb/state.conf"
#define STATE_PREV_SUFFIX ".prev"
#define STATE_HEADER "# xlb state: written by lbd on every accepted change; lbctl grammar"
#define STATE_END_TAG "# xlb-state-end"
#define STATE_FILE_MAX (64 << 20)
#define STATE_FILE_MODE 0600 /* the state file and the files beside it */

struct state {
	char path[PATH_MAX];
	char prev[PATH_MAX]; /* <path>.prev */
	/* path holds a whole state lbd wrote or loaded (its size and CRC below):
	 * the next save that changes it keeps it as .prev */
	bool cur_ok;
	size_t cur_len;
	uint32_t cur_crc;
	bool prev_warned; /* .prev could not be made: said once */
	/* each VIP's lines as last written, by position, so a change reprints
	 * only the VIPs it touched (config_vip_digest) */
	struct state_vlines *vl;
	size_t nvl;
};

/* Where the config came from at start-up */
enum state_source {
	STATE_SRC_NONE,	  /* nothing: started empty */
	STATE_SRC_STATE,  /* the state file */
	STATE_SRC_PREV,	  /* <state>.prev (--use-previous-state) */
	STATE_SRC_CONFIG, /* --config */
};

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320) of @len bytes, continuing @crc
 * (0 to start). Pure. */
uint32_t state_crc32(uint32_t crc, const void *buf, size_t len);

/* The whole file for @cfg: header, the config's lines, end line. A malloc'ed
 * buffer in *buf (NUL-terminated, *len bytes without the NUL). 0 or -ENOMEM.
 * Pure. */
int state_render(const struct config *cfg, char **buf, size_t *len);

/* Whether @text (@len bytes) is a whole state file: not empty, ends with a
 * newline, its last line is a well-formed end line whose counts and CRC match
 * what precedes it. Pure. 0, or -EBADMSG with the reason in @why. */
int state_check(const char *text, size_t len, char *why, size_t whylen);

/* Read a whole config or state file into a malloc'ed NUL-terminated string
 * (its size in *len; @len may be NULL), without blocking: a FIFO or anything
 * else that is not a regular file is refused, as is a NUL byte in the text.
 * 0, -ENOENT if it does not exist, or -errno with the reason in @why. */
int state_read_file(const char *path, char **text, size_t *len, char *why, size_t whylen);

/* Set up @st for the state file @path. 0 or -ENAMETOOLONG. */
int state_init(struct state *st, const char *path);
/* Free what @st keeps between saves */
void state_fini(struct state *st);

/* The config to start with, into @cfg (empty on entry). With @use_prev,
 * <state>.prev; else the state file if it exists, else @config (may be NULL),
 * else nothing. A state file (or .prev) must be whole (state_check()); any
 * file must be a regular file that loads without error. A missing state file
 * beside an existing .prev is refused too (the operator chooses). Pure of map
 * writes. 0 (the source in *src), or -errno with a message naming the file and
 * the reason in @msg. */
int state_load(struct state *st, const char *config, bool use_prev, struct config *cfg,
	       enum state_source *src, char *msg, size_t msglen);

/* Lines for state_write_lines(): each through @emit(@emit_arg, line), without
 * its newline; 0 or the first error of @emit (or the generator's own) */
typedef int (*state_emit_fn)(void *arg, const char *line);
typedef int (*state_lines_fn)(void *arg, state_emit_fn emit, void *emit_arg);

/* Write a file of lbd's own beside the state file (the health states): the
 * lines @gen gives, each ended by a newline, through the same durable writer
 * and mode (0600) as the state file, without a .prev or an end line. @path
 * holds exactly those lines, or (on error) what it held before. 0 or -errno
 * (not logged). */
int state_write_lines(const char *path, state_lines_fn gen, void *arg);

/* Persist @cfg through the durable writer (mode 0600, parent directories
 * created), keeping the state it replaces as .prev. 0 or -errno (logged): on
 * error the state file holds what it held before. */
int state_save(struct state *st, const struct config *cfg);

#endif /* XLB_AGENT_STATE_H */
