// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* supervise: the passive signal, SYN retransmissions read from the dataplane
 * once a second, as circuit failures.
 */
#include <netinet/in.h>
#include <stdio.h>
#include "agent/health/supervise_int.h"

void supervise_set_pasv(struct supervise *s, supervise_pasv_fn fn, void *arg)
{
	s->pasv = fn;
	s->pasv_arg = arg;
}

/* The passive signal: a burst of SYN retransmissions (clients whose SYN got
 * no answer) in one tick counts as `fall` failures of the circuit, so it
 * trips even while active checks (which may take another path) succeed. */
static void passive_tick(struct supervise *s, struct sv_vip *v, const struct config *cfg,
			 uint64_t now_ms)
{
	const struct cfg_vip *cv = cfg ? config_vip(cfg, &v->key) : NULL;
	struct xlb_be_pasv pv;
	uint32_t i, k, burst;
	uint64_t delta;

	if (!cv || !s->pasv || !cv->opt.syn_burst || cv->key.proto != IPPROTO_TCP)
		return;
	burst = cv->opt.syn_burst;
	for (i = 0; i < v->n; i++) {
		const struct cfg_backend *cb = config_backend(cv, &v->addr[i]);

		if (!cb || s->pasv(s->pasv_arg, cv, cb, &pv))
			continue;
		delta = v->syn_primed[i] && pv.syn_retx >= v->syn[i] ? pv.syn_retx - v->syn[i] : 0;
		v->syn[i] = pv.syn_retx;
		v->syn_primed[i] = true;
		if (delta < burst)
			continue;
		s->counts.syn_bursts++;
		snprintf(s->note, sizeof(s->note), "passive: %llu SYN retransmissions in 1s",
			 (unsigned long long)delta);
		for (k = 0; k < v->be[i].cfg.fall; k++) {
			uint32_t gen = v->be[i].gen;

			if (breaker_vip_result(&v->bv, i, gen, false, now_ms) > 0 ||
			    v->be[i].state == BREAKER_OPEN)
				break;
		}
		s->note[0] = '\0';
	}
}

void supervise_passive(struct supervise *s, const struct config *cfg, uint64_t now_ms)
{
	size_t i;

	s->now_ms = now_ms;
	for (i = 0; i < s->nvip; i++)
		passive_tick(s, s->vip[i], cfg, now_ms);
	sv_notify(s);
}
