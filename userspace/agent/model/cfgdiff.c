// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The difference of two configurations: both printed canonically, each line
 * keyed by the object it configures, both lists sorted by key and merged. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent/model/cfgdiff.h"
#include "common/grammar.h"
#include "common/parse.h"

struct keyed {
	char *key, *line;
	const char *object;
	size_t pos; /* order in its config */
	bool matched;
};

struct klist {
	struct keyed *v;
	size_t n, cap;
	int err;
};

static const char *scope_of(const struct gr_cmd *c, char *buf, size_t len)
{
	if (!(c->args & GR_ARG_VIP))
		return "global";
	format_vip(&c->vip, buf, len);
	return buf;
}

/* The key of one canonical line, and what it configures */
static int line_key(const char *line, char *key, size_t keylen, const char **object)
{
	char copy[GR_LINE_MAX], *words[GR_MAX_WORDS], err[256], vip[PARSE_VIP_STRLEN],
		addr[PARSE_ADDR_STRLEN];
	struct gr_cmd c, id;
	int n;

	snprintf(copy, sizeof(copy), "%s", line);
	if (grammar_split(copy, words, GR_MAX_WORDS, &n, err, sizeof(err)) || !n ||
	    grammar_parse(n, words, &c, err, sizeof(err)))
		return -EINVAL;
	switch (c.obj) {
	case GR_OBJ_VIP:
		format_vip(&c.vip, vip, sizeof(vip));
		snprintf(key, keylen, "vip %s", vip);
		*object = "vip";
		return 0;
	case GR_OBJ_BACKEND:
		format_vip(&c.vip, vip, sizeof(vip));
		format_addr(&c.addr, addr, sizeof(addr));
		/* a drain line is the backend's drain state, apart from its add line */
		*object = c.verb == GR_VERB_DRAIN ? "drain" : "backend";
		snprintf(key, keylen, "%s %s %s", *object, vip, addr);
		return 0;
	case GR_OBJ_POLICY:
		*object = "policy";
		if (c.verb == GR_VERB_DEFAULT) {
			snprintf(key, keylen, "policy default %s", scope_of(&c, vip, sizeof(vip)));
			return 0;
		}
		/* a rule is named by its scope, CIDR, proto and ports: its del line */
		id = c;
		id.verb = GR_VERB_DEL;
		id.args &= ~GR_ARG_ACTION;
		id.pol.set &= ~GR_POL_EXCEPT;
		id.pol.nexcept = 0;
		return grammar_print(&id, key, keylen) ? -EINVAL : 0;
	case GR_OBJ_RATELIMIT:
		*object = "ratelimit";
		snprintf(key, keylen, "ratelimit %s", scope_of(&c, vip, sizeof(vip)));
		return 0;
	default:
		return -EINVAL;
	}
}

static int collect(void *arg, const char *line)
{
	struct klist *l = arg;
	char key[GR_LINE_MAX];
	const char *object;
	struct keyed *k;

	if (line_key(line, key, sizeof(key), &object))
		return l->err = -EINVAL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct keyed *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return l->err = -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	k = &l->v[l->n];
	k->key = strdup(key);
	k->line = strdup(line);
	if (!k->key || !k->line) {
		free(k->key);
		free(k->line);
		return l->err = -ENOMEM;
	}
	k->object = object;
	k->pos = l->n++;
	k->matched = false;
	return 0;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

static int by_pos(const void *a, const void *b)
{
	size_t x = (*(struct keyed *const *)a)->pos, y = (*(struct keyed *const *)b)->pos;

	return x < y ? -1 : x > y;
}

static void klist_free(struct klist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].line);
	}
	free(l->v);
}

int cfgdiff(const struct config *old, const struct config *next,
	    int (*emit)(void *arg, const struct cfgdiff_change *c), void *arg)
{
	struct klist a = {}, b = {};
	struct keyed **bo = NULL, **partner = NULL;
	size_t i, j;
	int ret = 0, count = 0, r;

	if (config_print(old, collect, &a) || config_print(next, collect, &b)) {
		ret = a.err ? a.err : b.err ? b.err : -EINVAL;
		goto out;
	}
	qsort(a.v, a.n, sizeof(*a.v), by_key);
	qsort(b.v, b.n, sizeof(*b.v), by_key);
	/* partner[k]: for the k-th line of next (in its own order), its old line */
	bo = calloc(b.n + 1, sizeof(*bo));
	partner = calloc(b.n + 1, sizeof(*partner));
	if (!bo || !partner) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0, j = 0; i < a.n && j < b.n;) {
		int c = strcmp(a.v[i].key, b.v[j].key);

		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			a.v[i].matched = b.v[j].matched = true;
			partner[b.v[j].pos] = &a.v[i];
			i++;
			j++;
		}
	}
	/* what goes, in the old order */
	{
		struct keyed **ao = calloc(a.n + 1, sizeof(*ao));

		if (!ao) {
			ret = -ENOMEM;
			goto out;
		}
		for (i = 0; i < a.n; i++)
			ao[i] = &a.v[i];
		qsort(ao, a.n, sizeof(*ao), by_pos);
		for (i = 0; i < a.n; i++) {
			struct cfgdiff_change ch = { CFGDIFF_DEL, ao[i]->object, ao[i]->line,
						     NULL };

			if (ao[i]->matched)
				continue;
			count++;
			r = emit(arg, &ch);
			if (r < 0) {
				free(ao);
				ret = r;
				goto out;
			}
		}
		free(ao);
	}
	/* what comes or changes, in the new order */
	for (i = 0; i < b.n; i++)
		bo[i] = &b.v[i];
	qsort(bo, b.n, sizeof(*bo), by_pos);
	for (i = 0; i < b.n; i++) {
		struct keyed *was = partner[i];
		struct cfgdiff_change ch = { CFGDIFF_ADD, bo[i]->object, bo[i]->line, NULL };

		if (was && !strcmp(was->line, bo[i]->line))
			continue;
		if (was) {
			ch.op = CFGDIFF_CHANGE;
			ch.old = was->line;
		}
		count++;
		r = emit(arg, &ch);
		if (r < 0) {
			ret = r;
			goto out;
		}
	}
	ret = count;
out:
	free(partner);
	free(bo);
	klist_free(&a);
	klist_free(&b);
	return ret;
}

const char *cfgdiff_op_name(enum cfgdiff_op op)
{
	static const char *const names[] = { "del", "add", "change" };

	return op <= CFGDIFF_CHANGE ? names[op] : "?";
}
