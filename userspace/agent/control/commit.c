// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* commit: the transaction behind every change of the running config (see
 * commit.h): checks, then the dataplane, then the state file; rollback on any
 * failure. Called by the control handlers (cmd.c), never by main.c.
 */
#include <stdio.h>
#include <string.h>
#include "common/clock.h"
#include "common/log.h"
#include "agent/control/commit.h"
#include "agent/dataplane/polsync.h"
#include "agent/health/supervise.h"

/* Bring the checks and the dataplane back to the running config */
static void restore_running(struct agent *a)
{
	char scratch[256];

	supervise_sync(a->sv, &a->cfg, mono_ms());
	sync_apply(a->sync, &a->cfg);
	polsync_apply(a->ps, &a->cfg, scratch, sizeof(scratch));
}

int commit_config(struct agent *a, struct config *next, char *msg, size_t msglen)
{
	int err;

	msg[0] = '\0';
	/* checks first: a new checked backend starts unknown, out of the tables */
	err = supervise_sync(a->sv, next, mono_ms());
	if (!err)
		err = sync_apply(a->sync, next);
	if (!err) /* VIP ids exist now: policy scopes can name them */
		err = polsync_apply(a->ps, next, msg, msglen);
	if (err) {
		if (!msg[0] || strncmp(msg, "policy:", 7))
			snprintf(msg, msglen, "dataplane update failed: %s", strerror(-err));
		goto out_restore;
	}
	/* live: persist it before answering, so what is acknowledged survives a
	 * crash; a change that cannot be saved is taken out of the dataplane */
	err = state_save(&a->st, next);
	if (err) {
		snprintf(msg, msglen, "state file %s: cannot save: %s; nothing changed", a->st.path,
			 strerror(-err));
		goto out_restore;
	}
	config_free(&a->cfg);
	a->cfg = *next; /* the model moves; next is now empty */
	config_init(next);
	a->gen++;
	return 0;

out_restore:
	pr_err("agent: %s; restoring the running config", msg);
	config_free(next);
	restore_running(a);
	return err;
}

int commit_policy(struct agent *a, struct policy *prev, char *msg, size_t msglen)
{
	char scratch[256];
	int err = polsync_apply(a->ps, &a->cfg, msg, msglen);

	if (!err) {
		/* live: persist it before answering (see commit_config) */
		err = state_save(&a->st, &a->cfg);
		if (err)
			snprintf(msg, msglen, "state file %s: cannot save: %s; nothing changed",
				 a->st.path, strerror(-err));
	}
	if (err) {
		pr_err("agent: %s; restoring the running policy", msg);
		policy_free(&a->cfg.pol);
		a->cfg.pol = *prev; /* moved back */
		policy_init(prev);
		polsync_apply(a->ps, &a->cfg, scratch, sizeof(scratch));
		return err;
	}
	policy_free(prev);
	policy_init(prev);
	a->gen++;
	return 0;
}
