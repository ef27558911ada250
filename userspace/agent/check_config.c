// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* check_config: lbd --check-config, a config or state file validated and
 * printed without touching anything else */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent/check_config.h"
#include "agent/model/config.h"
#include "agent/model/state.h"

static int print_line(void *arg, const char *line)
{
	return fprintf(arg, "%s\n", line) < 0 ? -EIO : 0;
}

/* lbd --check-config FILE: FILE read, parsed and validated exactly as lbd
 * loads a --config or state file (a state file's end line checked too), and
 * the configuration it holds printed in the canonical form on stdout. Nothing
 * else is touched: no map, pin, socket, state file or netlink. Returns the
 * exit status: 0 valid, 1 cannot be read, 2 invalid. */
int check_config(const char *path)
{
	struct config cfg;
	char *text = NULL, why[512] = "", msg[1024];
	const char *last;
	size_t len = 0, nbe = 0, i;
	int err, ret = 0;

	err = state_read_file(path, &text, &len, why, sizeof(why));
	if (err) {
		fprintf(stderr, "lbd: %s: cannot read: %s\n", path, why[0] ? why : strerror(-err));
		return 1;
	}
	/* a state file (its last line is the end line) must also be whole */
	last = text && len > 1 ? memrchr(text, '\n', len - 1) : NULL;
	last = last ? last + 1 : text;
	if (!strncmp(last, STATE_END_TAG, strlen(STATE_END_TAG)) &&
	    state_check(text, len, why, sizeof(why))) {
		fprintf(stderr, "lbd: %s: invalid: state file not whole: %s\n", path, why);
		free(text);
		return 2;
	}
	config_init(&cfg);
	err = config_load_text(&cfg, text, msg, sizeof(msg));
	free(text);
	if (err) {
		fprintf(stderr, "lbd: %s: invalid: %s\n", path, msg);
		ret = 2;
		goto out;
	}
	if (config_print(&cfg, print_line, stdout) || fflush(stdout)) {
		fprintf(stderr, "lbd: %s: cannot print: %s\n", path, strerror(errno));
		ret = 1;
		goto out;
	}
	for (i = 0; i < cfg.nvip; i++)
		nbe += cfg.vip[i].nbe;
	fprintf(stderr, "lbd: %s: valid: %zu vips, %zu backends, %u policy rules\n", path, cfg.nvip,
		nbe, cfg.pol.nrules);
out:
	config_free(&cfg);
	return ret;
}
