// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* supervise: health states saved beside the state file, so a restarted lbd
 * keeps a down backend out and an up one in until its checks say otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "agent/health/supervise_int.h"
#include "agent/model/state.h"
#include "common/log.h"
#include "common/parse.h"

/* The health file's lines: a header, then "VIP ADDR up|down" for each checked
 * backend whose state is known */
static int health_lines(void *arg, state_emit_fn emit, void *emit_arg)
{
	const struct supervise *s = arg;
	char vs[PARSE_VIP_STRLEN], as[PARSE_ADDR_STRLEN], line[256];
	size_t i;
	uint32_t j;
	int err;

	err = emit(emit_arg, "# xlb health states, written by lbd on every change");
	for (i = 0; !err && i < s->nvip; i++) {
		const struct sv_vip *v = s->vip[i];

		format_vip(&v->key, vs, sizeof(vs));
		for (j = 0; !err && j < v->n; j++) {
			if (v->be[j].health.state == BREAKER_HEALTH_UNKNOWN)
				continue;
			format_addr(&v->addr[j], as, sizeof(as));
			snprintf(line, sizeof(line), "%s %s %s", vs, as,
				 breaker_health_name(v->be[j].health.state));
			err = emit(emit_arg, line);
		}
	}
	return err;
}

/* Health states of every checked backend, through the state file's durable
 * writer (state.c: mode 0600) */
void sv_save_health(struct supervise *s)
{
	int err;

	s->save_needed = false;
	if (!s->persist)
		return;
	err = state_write_lines(s->persist, health_lines, s);
	if (err)
		pr_warn("health: %s: cannot save: %s", s->persist, strerror(-err));
}

int supervise_persist(struct supervise *s, const char *path)
{
	char line[512], *vs, *as, *st, err[128];
	struct sv_saved r, *grown;
	struct stat sb;
	FILE *f;
	int fd;

	free(s->persist);
	s->persist = strdup(path);
	if (!s->persist)
		return -ENOMEM;
	/* never wait on a FIFO; only a regular file holds saved states */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL;

		vs = strtok_r(line, " \t\n", &save);
		as = strtok_r(NULL, " \t\n", &save);
		st = strtok_r(NULL, " \t\n", &save);
		if (!vs || *vs == '#' || !as || !st)
			continue;
		memset(&r, 0, sizeof(r));
		if (parse_vip(vs, &r.key, err, sizeof(err)) ||
		    parse_addr(as, &r.addr, err, sizeof(err)))
			continue; /* a stale or foreign line: the checks will tell */
		r.state = !strcmp(st, "up")   ? BREAKER_HEALTH_UP :
			  !strcmp(st, "down") ? BREAKER_HEALTH_DOWN :
						BREAKER_HEALTH_UNKNOWN;
		grown = realloc(s->saved, (s->nsaved + 1) * sizeof(*grown));
		if (!grown)
			break;
		s->saved = grown;
		s->saved[s->nsaved++] = r;
	}
	fclose(f);
	return 0;
}

int sv_saved_state(const struct supervise *s, const struct xlb_vip_key *k, const struct xlb_addr *a)
{
	size_t i;

	for (i = 0; i < s->nsaved; i++)
		if (!memcmp(&s->saved[i].key, k, sizeof(*k)) &&
		    !memcmp(&s->saved[i].addr, a, sizeof(*a)))
			return s->saved[i].state;
	return BREAKER_HEALTH_UNKNOWN;
}
