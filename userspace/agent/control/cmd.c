// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd: lbctl's verbs on the agent side. Every request is parsed with the
 * shared grammar and validated here, whatever lbctl checked. Changes go
 * through commit_config(); views are built as JSON (lbctl renders text).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <json-c/json.h>
#include <xlb/abi.h>
#include <xlb/hash.h>
#include "agent/control/agent.h"
#include "agent/control/cmd.h"
#include "agent/control/commit.h"
#include "agent/health/breaker.h"
#include "agent/model/cfgdiff.h"
#include "agent/dataplane/ifstats.h"
#include "agent/model/policy_model.h"
#include "common/cidr.h"
#include "agent/model/state.h"
#include "agent/health/supervise.h"
#include "agent/control/ctl.h"
#include "agent/control/notify.h"
#include "common/ctl_proto.h"
#include "common/grammar.h"
#include "common/log.h"
#include "common/names.h"
#include "common/parse.h"

#define ARGS_MAX CTL_ARGV_MAX

/* The cause of the request's failure (a positive errno), for the answer's
 * "errno" (cmd_handle); 0 when none was recorded. One request at a time. */
static int req_errno;

/* A failed commit: exit code 1, its cause recorded for the answer */
static int failed(int err)
{
	req_errno = err < 0 ? -err : 0;
	return CTL_E_FAILED;
}

/* 0 -> CTL_OK, -errno -> failed(-errno) */
static int failed_if(int err)
{
	return err ? failed(err) : CTL_OK;
}

static int errno_to_code(int err)
{
	switch (err) {
	case -ENOENT:
		return CTL_E_NOTFOUND;
	case -EEXIST:
		return CTL_E_EXISTS;
	case -EINVAL:
		return CTL_E_USAGE;
	default:
		req_errno = -err;
		return CTL_E_FAILED;
	}
}

static json_object *jstr_addr(const struct xlb_addr *a)
{
	char buf[PARSE_ADDR_STRLEN];

	format_addr(a, buf, sizeof(buf));
	return json_object_new_string(buf);
}

static json_object *jstr_vip(const struct xlb_vip_key *k)
{
	char buf[PARSE_VIP_STRLEN];

	format_vip(k, buf, sizeof(buf));
	return json_object_new_string(buf);
}

static json_object *jstr_dur(uint64_t ms)
{
	char buf[PARSE_DUR_STRLEN];

	format_dur(ms, buf, sizeof(buf));
	return json_object_new_string(buf);
}

static void jadd(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *vip_view(struct agent *a, const struct cfg_vip *v)
{
	json_object *o = json_object_new_object();
	const struct gr_opts *p = &v->opt;

	jadd(o, "vip", jstr_vip(&v->key));
	jadd(o, "sched", json_object_new_string(gr_sched_name(p->sched)));
	jadd(o, "encap", json_object_new_string(names_encap(p->encap)));
	jadd(o, "hash", json_object_new_string(gr_hash_name(p->hash)));
	jadd(o, "ring_size", json_object_new_int64(p->ring_size));
	jadd(o, "udp_idle", jstr_dur(p->udp_idle_ms));
	jadd(o, "mtu", json_object_new_int(p->mtu));
	jadd(o, "check", json_object_new_string(gr_check_name(p->check)));
	jadd(o, "check_via", json_object_new_string(gr_via_name(p->check_via) ?: "?"));
	if (p->check == GR_CHECK_HTTP) {
		char ex[GR_EXPECT_STRLEN];

		jadd(o, "path", json_object_new_string(p->path));
		jadd(o, "host", p->host[0] ? json_object_new_string(p->host) : NULL);
		if (gr_expect_format(p->expect, p->nexpect, ex, sizeof(ex)))
			snprintf(ex, sizeof(ex), "?");
		jadd(o, "expect", json_object_new_string(ex));
	}
	if (p->check == GR_CHECK_UDP) {
		/* the payload actually sent; receive null: any reply will do */
		jadd(o, "send", json_object_new_string(p->send[0] ? p->send : CFG_DEF_UDP_PAYLOAD));
		jadd(o, "receive", p->receive[0] ? json_object_new_string(p->receive) : NULL);
	}
	jadd(o, "interval", jstr_dur(p->interval_ms));
	jadd(o, "timeout", jstr_dur(p->timeout_ms));
	jadd(o, "rise", json_object_new_int(p->rise));
	jadd(o, "fall", json_object_new_int(p->fall));
	jadd(o, "eject_time", jstr_dur(p->eject_ms));
	jadd(o, "max_eject_time", jstr_dur(p->max_eject_ms));
	jadd(o, "half_open_flows", json_object_new_int(p->half_open_flows));
	jadd(o, "panic_pct", json_object_new_int(p->panic_pct));
	jadd(o, "max_eject_pct", json_object_new_int(p->max_eject_pct));
	jadd(o, "check_port", p->check_port ? json_object_new_int(p->check_port) : NULL);
	jadd(o, "open_flows", json_object_new_string(gr_open_flows_name(p->open_flows) ?: "?"));
	jadd(o, "init_state", json_object_new_string(gr_init_name(p->init_state) ?: "?"));
	jadd(o, "fail_ratio", json_object_new_int(p->fail_ratio));
	jadd(o, "fail_window", json_object_new_int(p->fail_window));
	jadd(o, "fail_min", json_object_new_int(p->fail_min));
	jadd(o, "syn_burst", json_object_new_int64(p->syn_burst));
	jadd(o, "backends", json_object_new_int64(v->nbe));
	jadd(o, "panic", json_object_new_boolean(supervise_panic(a->sv, v)));
	jadd(o, "vip_id", json_object_new_int64(v->vip_id));
	return o;
}

static json_object *backend_view(struct agent *a, const struct cfg_vip *v,
				 const struct cfg_backend *b)
{
	json_object *o = json_object_new_object();
	struct xlb_be_stats bs = {};

	if (b->slot)
		maps_be_stats_read(a->maps, b->slot, &bs);
	jadd(o, "vip", jstr_vip(&v->key));
	jadd(o, "addr", jstr_addr(&b->addr));
	jadd(o, "port", json_object_new_int(b->port ? b->port : ntohs(v->key.port)));
	jadd(o, "weight", json_object_new_int(b->weight));
	jadd(o, "health", json_object_new_string(supervise_health(a->sv, v, b)));
	jadd(o, "breaker", json_object_new_string(supervise_breaker(a->sv, v, b)));
	jadd(o, "usable", json_object_new_boolean(supervise_usable(a->sv, v, b)));
	if (b->has_check)
		jadd(o, "check", json_object_new_string(gr_check_name(b->check) ?: "?"));
	if (b->check_port)
		jadd(o, "check_port", json_object_new_int(b->check_port));
	{
		struct xlb_be_brk dp = {};
		struct xlb_be_pasv pv = {};
		uint64_t left;
		uint32_t ej;
		bool open = supervise_breaker_info(a->sv, v, b, &ej, &left);

		jadd(o, "ejections", json_object_new_int64(ej));
		/* how long an open breaker stays open (to the agent's last tick) */
		jadd(o, "open_for_ms", open ? json_object_new_int64((int64_t)left) : NULL);
		if (b->slot && !maps_be_brk_get(a->maps, b->slot, &dp)) {
			/* what the dataplane enforces right now */
			jadd(o, "dp_breaker",
			     json_object_new_string(dp.state == XLB_BRK_OPEN	  ? "open" :
						    dp.state == XLB_BRK_HALF_OPEN ? "half-open" :
										    "closed"));
			jadd(o, "half_open_budget",
			     dp.state == XLB_BRK_HALF_OPEN ?
				     json_object_new_int(dp.budget < 0 ? 0 : dp.budget) :
				     NULL);
		}
		if (b->slot)
			maps_be_pasv_read(a->maps, b->slot, &pv);
		jadd(o, "syn_retx", json_object_new_int64(pv.syn_retx));
		jadd(o, "established", json_object_new_int64(pv.estab));
		jadd(o, "breaker_refused", json_object_new_int64(pv.brk_refused));
		jadd(o, "breaker_trials", json_object_new_int64(pv.brk_admit));
	}
	{
		uint32_t last_us, avg_us;

		supervise_latency(a->sv, v, b, &last_us, &avg_us);
		jadd(o, "check_latency_us", json_object_new_int64(last_us));
		jadd(o, "check_latency_avg_us", json_object_new_int64(avg_us));
	}
	jadd(o, "draining", json_object_new_boolean(b->draining));
	jadd(o, "next_hop",
	     json_object_new_string(sync_slot_ready(a->sync, b->slot) ? "resolved" : "pending"));
	if (b->slot && sync_slot_ready(a->sync, b->slot)) {
		const struct xlb_backend *e = sync_slot_entry(a->sync, b->slot);
		char mac[PARSE_MAC_STRLEN], ifname[IF_NAMESIZE];

		format_mac(e->dmac, mac, sizeof(mac));
		jadd(o, "next_hop_mac", json_object_new_string(mac));
		jadd(o, "egress",
		     json_object_new_string(if_indextoname(e->ifindex, ifname) ? ifname : "?"));
	} else {
		jadd(o, "next_hop_mac", NULL);
		jadd(o, "egress", NULL);
	}
	{
		__u64 active = 0;

		if (b->slot)
			maps_be_active_get(a->maps, b->slot, &active);
		/* flows started minus flows seen ending; LRU evictions are not subtracted */
		jadd(o, "active_flows", json_object_new_int64(active));
	}
	jadd(o, "new_flows", json_object_new_int64(bs.new_flows));
	jadd(o, "packets", json_object_new_int64(bs.packets));
	jadd(o, "bytes", json_object_new_int64(bs.bytes));
	jadd(o, "slot", json_object_new_int64(b->slot));
	return o;
}

static int find_vip(struct agent *a, const struct gr_cmd *c, struct cfg_vip **out, char *msg,
		    size_t len)
{
	char buf[PARSE_VIP_STRLEN];

	*out = NULL;
	if (!(c->args & GR_ARG_VIP))
		return 0;
	*out = config_vip(&a->cfg, &c->vip);
	if (*out)
		return 0;
	format_vip(&c->vip, buf, sizeof(buf));
	snprintf(msg, len, "vip %s not found", buf);
	return CTL_E_NOTFOUND;
}

static int do_vip_show(struct agent *a, const struct gr_cmd *c, json_object **data, char *msg,
		       size_t len)
{
	struct cfg_vip *one;
	json_object *arr;
	size_t i;
	int ret = find_vip(a, c, &one, msg, len);

	if (ret)
		return ret;
	arr = json_object_new_array();
	for (i = 0; i < a->cfg.nvip; i++)
		if (!one || one == &a->cfg.vip[i])
			json_object_array_add(arr, vip_view(a, &a->cfg.vip[i]));
	*data = arr;
	return CTL_OK;
}

static int do_backend_show(struct agent *a, const struct gr_cmd *c, json_object **data, char *msg,
			   size_t len)
{
	struct cfg_vip *one;
	json_object *arr;
	size_t i, j;
	int ret = find_vip(a, c, &one, msg, len);

	if (ret)
		return ret;
	arr = json_object_new_array();
	for (i = 0; i < a->cfg.nvip; i++) {
		struct cfg_vip *v = &a->cfg.vip[i];

		if (one && one != v)
			continue;
		for (j = 0; j < v->nbe; j++)
			json_object_array_add(arr, backend_view(a, v, &v->be[j]));
	}
	*data = arr;
	return CTL_OK;
}

static int do_stats_show(struct agent *a, const struct gr_cmd *c, json_object **data, char *msg,
			 size_t len)
{
	__u64 cnt[__XLB_CNT_MAX], drops[__XLB_DROP_MAX];
	json_object *o, *g, *d, *vips, *ifs;
	struct cfg_vip *one;
	size_t i, j;
	int ret = find_vip(a, c, &one, msg, len);

	if (ret)
		return ret;
	ret = maps_counters_read(a->maps, cnt, drops);
	if (ret) {
		snprintf(msg, len, "stats: cannot read counters: %s", strerror(-ret));
		return CTL_E_FAILED;
	}
	o = json_object_new_object();
	g = json_object_new_object();
	d = json_object_new_object();
	for (i = 0; i < __XLB_CNT_MAX; i++)
		jadd(g, names_counter(i), json_object_new_int64(cnt[i]));
	for (i = 1; i < __XLB_DROP_MAX; i++)
		jadd(d, names_drop(i), json_object_new_int64(drops[i]));
	jadd(g, "drops", d);
	/* counted in the background, a chunk per second: null until the first pass */
	jadd(g, "flow_table_entries",
	     a->flows.passes ? json_object_new_int64(a->flows.last) : NULL);
	jadd(o, "global", g);
	/* what the drivers dropped of what XDP sent: nothing of ours counts it */
	ifs = json_object_new_array();
	for (i = 0; i < (size_t)a->nifaces; i++) {
		json_object *io = json_object_new_object();
		unsigned int found;
		uint64_t sum;

		jadd(io, "interface", json_object_new_string(a->ifaces[i]));
		jadd(io, "xdp_tx_errors",
		     !ifstats_xdp_tx_errors(a->ifaces[i], &sum, &found) && found ?
			     json_object_new_int64((int64_t)sum) :
			     NULL);
		json_object_array_add(ifs, io);
	}
	jadd(o, "interfaces", ifs);
	vips = json_object_new_array();
	for (i = 0; i < a->cfg.nvip; i++) {
		struct cfg_vip *v = &a->cfg.vip[i];
		struct xlb_vip_stats vs = {};
		json_object *vo, *bes;

		if (one && one != v)
			continue;
		if (v->vip_id < XLB_MAX_VIPS)
			maps_vip_stats_read(a->maps, v->vip_id, &vs);
		vo = json_object_new_object();
		jadd(vo, "vip", jstr_vip(&v->key));
		jadd(vo, "packets", json_object_new_int64(vs.packets));
		jadd(vo, "bytes", json_object_new_int64(vs.bytes));
		jadd(vo, "new_flows", json_object_new_int64(vs.new_flows));
		jadd(vo, "drops", json_object_new_int64(vs.drops));
		bes = json_object_new_array();
		for (j = 0; j < v->nbe; j++) {
			struct xlb_be_stats bs = {};
			json_object *bo = json_object_new_object();

			if (v->be[j].slot)
				maps_be_stats_read(a->maps, v->be[j].slot, &bs);
			jadd(bo, "addr", jstr_addr(&v->be[j].addr));
			jadd(bo, "packets", json_object_new_int64(bs.packets));
			jadd(bo, "bytes", json_object_new_int64(bs.bytes));
			jadd(bo, "new_flows", json_object_new_int64(bs.new_flows));
			json_object_array_add(bes, bo);
		}
		jadd(vo, "backends", bes);
		json_object_array_add(vips, vo);
	}
	jadd(o, "vips", vips);
	*data = o;
	return CTL_OK;
}

/* flow lookup VIP SRC[:PORT]: the flow table's answer, else Maglev's */
static int do_flow_lookup(struct agent *a, const struct gr_cmd *c, json_object **data, char *msg,
			  size_t len)
{
	struct xlb_flow_key k = {};
	struct xlb_flow_val fv;
	struct xlb_backend be;
	struct cfg_vip *v;
	const char *why;
	__u32 slot, id, h;
	json_object *o;
	size_t i;
	int ret = find_vip(a, c, &v, msg, len);

	if (ret)
		return ret;
	if (c->addr.family != v->key.family) {
		snprintf(msg, len, "flow: source family does not match vip");
		return CTL_E_USAGE;
	}
	memcpy(k.src, c->addr.addr, sizeof(k.src));
	memcpy(k.dst, v->key.addr, sizeof(k.dst));
	k.sport = htons(c->src_port);
	k.dport = v->key.port;
	k.proto = v->key.proto;
	k.family = v->key.family;
	o = json_object_new_object();
	jadd(o, "vip", jstr_vip(&v->key));
	jadd(o, "src", jstr_addr(&c->addr));
	jadd(o, "src_port", json_object_new_int(c->src_port));
	if (!maps_flow_lookup(a->maps, &k, &fv) && !maps_backend_get(a->maps, fv.backend_id, &be) &&
	    (be.flags & XLB_BE_F_ACTIVE) && be.gen == fv.backend_gen) {
		id = fv.backend_id;
		why = "flow-table";
	} else {
		h = v->opt.hash == GR_HASH_SRC ? xlb_hash_src(&k, maps_hash_seed(a->maps)) :
						 xlb_hash_flow(&k, maps_hash_seed(a->maps));
		struct xlb_vip_val vv = { .ring_size = v->opt.ring_size };

		/* the table and size the dataplane uses now (the VIP entry's bank) */
		maps_vip_lookup(a->maps, &v->key, &vv);
		slot = h % (vv.ring_size ?: v->opt.ring_size);
		jadd(o, "hash", json_object_new_int64(h));
		jadd(o, "ring_slot", json_object_new_int64(slot));
		if (maps_ring_lookup(a->maps, v->vip_id, vv.ring_bank, slot, &id)) {
			jadd(o, "backend", NULL);
			jadd(o, "reason", json_object_new_string("no-usable-backend"));
			*data = o;
			return CTL_OK;
		}
		why = "maglev";
	}
	jadd(o, "backend", NULL);
	for (i = 0; i < v->nbe; i++)
		if (v->be[i].slot == id)
			jadd(o, "backend", jstr_addr(&v->be[i].addr));
	jadd(o, "reason", json_object_new_string(why));
	*data = o;
	return CTL_OK;
}

static int emit_json_line(void *arg, const char *line)
{
	json_object_array_add(arg, json_object_new_string(line));
	return 0;
}

static int emit_change(void *arg, const struct cfgdiff_change *c)
{
	json_object *o = json_object_new_object();

	jadd(o, "op", json_object_new_string(cfgdiff_op_name(c->op)));
	jadd(o, "object", json_object_new_string(c->object));
	jadd(o, "line", json_object_new_string(c->line));
	jadd(o, "old", c->old ? json_object_new_string(c->old) : NULL);
	json_object_array_add(arg, o);
	return 0;
}

/* apply TEXT dry-run: what apply TEXT would change, changing nothing.
 * Data: {"changes": [{"op", "object", "line", "old"}], "added", "removed",
 * "changed"} (counts of lines) */
static int do_apply_dry_run(struct agent *a, struct config *next, json_object **data, char *msg,
			    size_t len)
{
	json_object *o, *arr = json_object_new_array();
	size_t i, n[3] = { 0, 0, 0 };
	int ret = cfgdiff(&a->cfg, next, emit_change, arr);

	if (ret < 0) {
		json_object_put(arr);
		snprintf(msg, len, "apply: cannot compare the configurations: %s", strerror(-ret));
		return CTL_E_FAILED;
	}
	for (i = 0; i < json_object_array_length(arr); i++) {
		const char *op = json_object_get_string(
			json_object_object_get(json_object_array_get_idx(arr, i), "op"));

		n[!strcmp(op, "add") ? 0 : !strcmp(op, "del") ? 1 : 2]++;
	}
	o = json_object_new_object();
	jadd(o, "changes", arr);
	jadd(o, "added", json_object_new_int64(n[0]));
	jadd(o, "removed", json_object_new_int64(n[1]));
	jadd(o, "changed", json_object_new_int64(n[2]));
	*data = o;
	return CTL_OK;
}

/* Give the VIPs and backends of @next that the running config has already
 * their ids, so that their flows are not disturbed */
static void keep_ids(const struct agent *a, struct config *next)
{
	size_t i, j;

	for (i = 0; i < next->nvip; i++) {
		struct cfg_vip *nv = &next->vip[i], *ov = config_vip(&a->cfg, &nv->key);

		if (!ov)
			continue;
		nv->vip_id = ov->vip_id;
		for (j = 0; j < nv->nbe; j++) {
			struct cfg_backend *ob = config_backend(ov, &nv->be[j].addr);

			if (ob)
				nv->be[j].slot = ob->slot;
		}
	}
}

/* apply TEXT [dry-run]: replace the whole config; ids of unchanged VIPs/backends
 * are kept, so their flows are not disturbed. With dry-run, the same checks and
 * the list of changes, and nothing applied. */
static int do_apply(struct agent *a, const char *text, bool dry_run, json_object **data, char *msg,
		    size_t len)
{
	struct config next;
	int err;

	config_init(&next);
	err = config_load_text(&next, text, msg, len);
	if (err) {
		config_free(&next);
		/* an invalid file is a usage error whatever the line says (a
		 * backend of a VIP the file lacks too): 2, as documented */
		return err == -ENOMEM ? CTL_E_FAILED : CTL_E_USAGE;
	}
	if (dry_run) {
		err = do_apply_dry_run(a, &next, data, msg, len);
		config_free(&next);
		return err;
	}
	keep_ids(a, &next);
	err = commit_config(a, &next, msg, len);
	return err ? failed(err) : CTL_OK; /* the dataplane or the state file failed */
}

/* Runtime drains survive a reload: a backend drained in the running config,
 * in both configs and not drained by @next (the file) stays drained, unless the
 * file as last read drained it (then the file took its drain away). Each
 * drain kept goes to @kept as its line. */
static int keep_drains(const struct agent *a, struct config *next, json_object *kept)
{
	char vip[PARSE_VIP_STRLEN], addr[PARSE_ADDR_STRLEN], line[2 * PARSE_VIP_STRLEN + 32];
	size_t i, j, n = 0;

	for (i = 0; i < next->nvip; i++) {
		struct cfg_vip *nv = &next->vip[i], *ov = config_vip(&a->cfg, &nv->key);
		struct cfg_vip *fv = a->have_file_cfg ? config_vip(&a->file_cfg, &nv->key) : NULL;

		if (!ov)
			continue;
		for (j = 0; j < nv->nbe; j++) {
			struct cfg_backend *nb = &nv->be[j], *ob = config_backend(ov, &nb->addr);
			struct cfg_backend *fb = fv ? config_backend(fv, &nb->addr) : NULL;

			if (!ob || !ob->draining || nb->draining || (fb && fb->draining))
				continue;
			nb->draining = true;
			format_vip(&nv->key, vip, sizeof(vip));
			format_addr(&nb->addr, addr, sizeof(addr));
			snprintf(line, sizeof(line), "backend drain %s %s", vip, addr);
			json_object_array_add(kept, json_object_new_string(line));
			n++;
		}
	}
	return (int)n;
}

/* The file as read now becomes the reference for the next reload's drains */
static void remember_file(struct agent *a, const char *text)
{
	struct config f;
	char why[256];

	config_init(&f);
	if (config_load_text(&f, text, why, sizeof(why))) {
		config_free(&f);
		return;
	}
	if (a->have_file_cfg)
		config_free(&a->file_cfg);
	a->file_cfg = f;
	a->have_file_cfg = true;
}

int cmd_remember_file(struct agent *a)
{
	char *text, why[256];
	int err;

	if (!a->config_path)
		return 0;
	err = state_read_file(a->config_path, &text, NULL, why, sizeof(why));
	if (err)
		return err;
	remember_file(a, text);
	free(text);
	return 0;
}

/* One line of the log per change a reload made */
static void log_changes(const char *path, json_object *arr, json_object *kept)
{
	size_t i;

	for (i = 0; i < json_object_array_length(arr); i++) {
		json_object *c = json_object_array_get_idx(arr, i);
		const char *op = json_object_get_string(json_object_object_get(c, "op"));
		const char *line = json_object_get_string(json_object_object_get(c, "line"));

		if (!strcmp(op, "change"))
			pr_info("agent: reload of %s: ~ %s (was: %s)", path, line,
				json_object_get_string(json_object_object_get(c, "old")));
		else
			pr_info("agent: reload of %s: %s %s", path, strcmp(op, "add") ? "-" : "+",
				line);
	}
	for (i = 0; i < json_object_array_length(kept); i++)
		pr_info("agent: reload of %s: = %s (runtime drain kept)", path,
			json_object_get_string(json_object_array_get_idx(kept, i)));
}

/* Re-read --config, keep the runtime drains, apply the difference. Data: as
 * apply --dry-run ({"changes", "added", "removed", "changed"}) plus "kept":
 * the lines of runtime drains the file does not mention */
static int do_reload(struct agent *a, json_object **data, char *msg, size_t msglen)
{
	json_object *o = NULL, *kept;
	struct config next;
	char *text, why[256];
	int err, code;

	if (!a->config_path) {
		snprintf(msg, msglen, "reload: lbd was started without --config");
		return CTL_E_FAILED;
	}
	err = state_read_file(a->config_path, &text, NULL, why, sizeof(why));
	if (err) {
		snprintf(msg, msglen, "reload: %s: %s", a->config_path, why);
		return CTL_E_FAILED;
	}
	config_init(&next);
	err = config_load_text(&next, text, msg, msglen);
	if (err) {
		config_free(&next);
		free(text);
		return err == -ENOMEM ? CTL_E_FAILED : CTL_E_USAGE;
	}
	kept = json_object_new_array();
	keep_drains(a, &next, kept);
	code = do_apply_dry_run(a, &next, &o, msg, msglen); /* what will change */
	if (code) {
		config_free(&next);
		goto out;
	}
	keep_ids(a, &next);
	err = commit_config(a, &next, msg, msglen);
	if (err) {
		code = failed(err); /* the dataplane or the state file failed */
		goto out;
	}
	remember_file(a, text);
	log_changes(a->config_path, json_object_object_get(o, "changes"), kept);
	pr_info("agent: reloaded %s: %d added, %d removed, %d changed, %zu runtime drains kept",
		a->config_path, json_object_get_int(json_object_object_get(o, "added")),
		json_object_get_int(json_object_object_get(o, "removed")),
		json_object_get_int(json_object_object_get(o, "changed")),
		json_object_array_length(kept));
	jadd(o, "kept", json_object_get(kept));
	if (data) {
		*data = o;
		o = NULL;
	}
out:
	json_object_put(kept);
	json_object_put(o);
	free(text);
	return code;
}

int cmd_reload(struct agent *a, json_object **data, char *msg, size_t msglen)
{
	char status[128];
	int code;

	if (!a->config_path)
		return do_reload(a, data, msg, msglen); /* refused, nothing to say */
	notify_reloading();
	code = do_reload(a, data, msg, msglen);
	if (code)
		pr_err("agent: reload of %s failed: %s", a->config_path, msg);
	/* failed or not, lbd serves on with a whole config: ready again */
	snprintf(status, sizeof(status), "ready: %zu vips; last reload %s", a->cfg.nvip,
		 code ? "failed (see the log)" : "applied");
	notify_ready(status);
	return code;
}

static int do_change(struct agent *a, const struct gr_cmd *c, char *msg, size_t len)
{
	struct config next;
	int err;

	err = config_copy(&next, &a->cfg);
	if (err) {
		snprintf(msg, len, "config: cannot copy: %s", strerror(-err));
		return CTL_E_FAILED;
	}
	err = config_apply(&next, c, msg, len);
	if (err) {
		config_free(&next);
		return errno_to_code(err);
	}
	err = commit_config(a, &next, msg, len);
	return err ? failed(err) : CTL_OK;
}

static int do_agent(struct agent *a, int argc, char **argv, json_object **data, char *msg,
		    size_t len)
{
	json_object *o, *ifs;
	int i;

	if (argc < 2 || !strcmp(argv[1], "status")) {
		o = json_object_new_object();
		jadd(o, "pid", json_object_new_int(getpid()));
		ifs = json_object_new_array();
		for (i = 0; i < a->nifaces; i++)
			json_object_array_add(ifs, json_object_new_string(a->ifaces[i]));
		jadd(o, "ifaces", ifs);
		jadd(o, "vips", json_object_new_int64(a->cfg.nvip));
		jadd(o, "next_hops_pending", json_object_new_boolean(sync_pending(a->sync)));
		jadd(o, "state_file", json_object_new_string(a->st.path));
		jadd(o, "log_lines_dropped", json_object_new_int64((int64_t)log_dropped()));
		*data = o;
		return CTL_OK;
	}
	if (!strcmp(argv[1], "reload") && argc == 2)
		return cmd_reload(a, data, msg, len);
	if (!strcmp(argv[1], "stop") && (argc == 2 || (argc == 3 && !strcmp(argv[2], "detach")))) {
		a->stop = true;
		a->detach = argc == 3;
		return CTL_OK;
	}
	snprintf(msg, len, "unknown command '%s' for 'agent'; try 'lbctl agent help'", argv[1]);
	return CTL_E_USAGE;
}

static int add_event(void *arg, const struct supervise_event *e)
{
	json_object *arr = arg, *o = json_object_new_object();
	const char *(*name)(int) = e->kind == BREAKER_EV_HEALTH ? breaker_health_name :
								  breaker_state_name;

	jadd(o, "seq", json_object_new_int64((int64_t)e->seq));
	jadd(o, "time_ms", json_object_new_int64((int64_t)e->time_ms));
	jadd(o, "vip", json_object_new_string(e->vip));
	jadd(o, "backend", json_object_new_string(e->backend));
	jadd(o, "kind", json_object_new_string(breaker_ev_kind_name(e->kind)));
	if (e->kind == BREAKER_EV_PANIC) {
		jadd(o, "from", json_object_new_string(e->old_state ? "panic" : "normal"));
		jadd(o, "to", json_object_new_string(e->new_state ? "panic" : "normal"));
	} else {
		jadd(o, "from", json_object_new_string(name(e->old_state)));
		jadd(o, "to", json_object_new_string(name(e->new_state)));
	}
	jadd(o, "ejections", json_object_new_int64(e->ejections));
	jadd(o, "open_ms", e->open_ms ? json_object_new_int64((int64_t)e->open_ms) : NULL);
	jadd(o, "reason", json_object_new_string(e->reason));
	json_object_array_add(arr, o);
	return 0;
}

/* events [since SEQ]: health and breaker changes lbd still remembers */
static int do_events(struct agent *a, int argc, char **argv, json_object **data, char *msg,
		     size_t len)
{
	unsigned long long since = 0;
	char *end;

	if (argc == 3 && !strcmp(argv[1], "since")) {
		errno = 0;
		since = strtoull(argv[2], &end, 10);
		if (errno || *end || !*argv[2] || argv[2][0] == '-') {
			snprintf(msg, len, "invalid since '%.32s': want an event number", argv[2]);
			return CTL_E_USAGE;
		}
	} else if (argc != 1) {
		snprintf(msg, len, "usage: events [since SEQ]");
		return CTL_E_USAGE;
	}
	*data = json_object_new_array();
	supervise_events(a->sv, since, add_event, *data);
	return CTL_OK;
}

/* ---- policy and ratelimit ---- */

static bool scope_wanted(const struct gr_cmd *c, const struct pol_scope *s)
{
	if (!(c->args & GR_ARG_VIP))
		return true;
	return !s->global && !memcmp(&s->key, &c->vip, sizeof(c->vip));
}

static void rules_json(struct agent *a, const struct pol_scope *s, json_object *arr)
{
	const struct policy *p = &a->cfg.pol;
	char buf[PARSE_VIP_STRLEN + 64];
	uint32_t id;

	for (id = s->head; id != POL_NONE; id = p->rule[id].next) {
		const struct pol_rule *r = &p->rule[id];
		json_object *o = json_object_new_object(), *ex = json_object_new_array();
		__u64 hits = 0;
		unsigned int i;

		jadd(o, "id", json_object_new_int64(id));
		jadd(o, "vip", s->global ? NULL : jstr_vip(&s->key));
		jadd(o, "action", json_object_new_string(gr_action_name(r->action) ?: "?"));
		cidr_format(&r->cidr, buf, sizeof(buf));
		jadd(o, "cidr", json_object_new_string(buf));
		for (i = 0; i < r->nexcept; i++) {
			cidr_format(&r->except[i], buf, sizeof(buf));
			json_object_array_add(ex, json_object_new_string(buf));
		}
		jadd(o, "except", ex);
		jadd(o, "proto",
		     r->proto ? json_object_new_string(gr_proto_name(r->proto) ?: "?") : NULL);
		if (r->nports && !gr_ports_format(r->ports, r->nports, buf, sizeof(buf)))
			jadd(o, "ports", json_object_new_string(buf));
		else
			jadd(o, "ports", NULL);
		maps_pol_hits_read(a->maps, id, &hits);
		jadd(o, "hits", json_object_new_int64((int64_t)hits));
		json_object_array_add(arr, o);
	}
}

static int do_policy_show(struct agent *a, const struct gr_cmd *c, json_object **data, char *msg,
			  size_t len)
{
	const struct policy *p = &a->cfg.pol;
	json_object *arr;
	size_t i;

	if ((c->args & GR_ARG_VIP) && !config_vip(&a->cfg, &c->vip)) {
		char vs[PARSE_VIP_STRLEN];

		format_vip(&c->vip, vs, sizeof(vs));
		snprintf(msg, len, "vip %s not found", vs);
		return CTL_E_NOTFOUND;
	}
	arr = json_object_new_array();
	if (scope_wanted(c, &p->global))
		rules_json(a, &p->global, arr);
	for (i = 0; i < p->nvip; i++)
		if (scope_wanted(c, p->vip[i]))
			rules_json(a, p->vip[i], arr);
	*data = arr;
	return CTL_OK;
}

static void rl_json(const struct pol_scope *s, json_object *arr)
{
	json_object *o;
	const struct pol_rl *r = &s->rl;

	if (!s->has_rl)
		return;
	o = json_object_new_object();
	jadd(o, "vip", s->global ? NULL : jstr_vip(&s->key));
	/* bursts as enforced: one second's worth when not given */
	jadd(o, "pps", json_object_new_int64(r->pps));
	jadd(o, "burst", json_object_new_int64(r->pps ? (r->burst ?: r->pps) : 0));
	jadd(o, "new_flows", json_object_new_int64(r->new_flows));
	jadd(o, "new_flows_burst",
	     json_object_new_int64(r->new_flows ? (r->new_flows_burst ?: r->new_flows) : 0));
	jadd(o, "ceiling", json_object_new_int64(r->ceiling));
	jadd(o, "ceiling_burst",
	     json_object_new_int64(r->ceiling ? (r->ceiling_burst ?: r->ceiling) : 0));
	jadd(o, "prefix_len", json_object_new_int(r->prefix_len ?: POL_DEF_PREFIX_LEN));
	jadd(o, "prefix_len6", json_object_new_int(r->prefix_len6 ?: POL_DEF_PREFIX_LEN6));
	json_object_array_add(arr, o);
}

static int do_ratelimit_show(struct agent *a, const struct gr_cmd *c, json_object **data)
{
	const struct policy *p = &a->cfg.pol;
	json_object *arr = json_object_new_array();
	size_t i;

	if (scope_wanted(c, &p->global))
		rl_json(&p->global, arr);
	for (i = 0; i < p->nvip; i++)
		if (scope_wanted(c, p->vip[i]))
			rl_json(p->vip[i], arr);
	*data = arr;
	return CTL_OK;
}

/* A policy or ratelimit change: into the open transaction, or live at once */
static int do_policy_change(struct agent *a, const struct ctl_peer *peer, const struct gr_cmd *c,
			    char *msg, size_t len)
{
	struct pol_vip_set vips;
	struct policy prev;
	int err;

	if (a->txn_conn) {
		if (!peer || peer->conn != a->txn_conn) {
			snprintf(msg, len,
				 "policy: another client's batch is being applied; try again");
			return CTL_E_FAILED;
		}
		err = policy_apply(&a->txn, config_vip_set(&a->cfg, &vips), c, msg, len);
		return err ? errno_to_code(err) : CTL_OK; /* published at commit */
	}
	/* live: the policy before it, in case the change cannot be kept */
	if (policy_copy(&prev, &a->cfg.pol)) {
		snprintf(msg, len, "policy: out of memory");
		return CTL_E_FAILED;
	}
	err = policy_apply(&a->cfg.pol, config_vip_set(&a->cfg, &vips), c, msg, len);
	if (err) {
		policy_free(&prev);
		return errno_to_code(err);
	}
	err = commit_policy(a, &prev, msg, len);
	return err ? failed(err) : CTL_OK;
}

static void txn_drop(struct agent *a)
{
	policy_free(&a->txn);
	policy_init(&a->txn);
	a->txn_conn = 0;
}

/* A file too large for one request: lbctl apply sends it in parts */
#define APPLY_TEXT_MAX (256u << 20)

static void apply_drop(struct agent *a)
{
	free(a->apply_buf);
	a->apply_buf = NULL;
	a->apply_len = 0;
	a->apply_conn = 0;
}

/* apply-part TEXT: the next part of a file whose last part comes as `apply
 * TEXT [dry-run]` on the same connection, which then applies the whole */
static int do_apply_part(struct agent *a, const struct ctl_peer *peer, int argc, char **argv,
			 char *msg, size_t len)
{
	size_t n;
	char *tmp;

	if (argc != 2 || !peer) {
		snprintf(msg, len, "apply-part: expects a part of the file's text");
		return CTL_E_USAGE;
	}
	if (a->apply_conn && a->apply_conn != peer->conn) {
		snprintf(msg, len, "apply: another client's apply is being sent; try again");
		return CTL_E_FAILED;
	}
	n = strlen(argv[1]);
	if (a->apply_len + n > APPLY_TEXT_MAX) {
		apply_drop(a);
		snprintf(msg, len, "apply: file larger than %u MiB", APPLY_TEXT_MAX >> 20);
		return CTL_E_USAGE;
	}
	tmp = realloc(a->apply_buf, a->apply_len + n + 1);
	if (!tmp) {
		apply_drop(a);
		snprintf(msg, len, "apply: out of memory");
		return CTL_E_FAILED;
	}
	memcpy(tmp + a->apply_len, argv[1], n + 1);
	a->apply_buf = tmp;
	a->apply_len += n;
	a->apply_conn = peer->conn;
	return CTL_OK;
}

/* apply TEXT [dry-run]: with parts sent before on this connection, TEXT is
 * the last one */
static int do_apply_req(struct agent *a, const struct ctl_peer *peer, const char *text,
			bool dry_run, json_object **data, char *msg, size_t len)
{
	char *whole;
	int code;

	if (!peer || !a->apply_conn || a->apply_conn != peer->conn)
		return do_apply(a, text, dry_run, data, msg, len);
	if (do_apply_part(a, peer, 2, (char *[]){ "apply-part", (char *)text }, msg, len))
		return CTL_E_FAILED;
	whole = a->apply_buf; /* taken */
	a->apply_buf = NULL;
	apply_drop(a);
	code = do_apply(a, whole, dry_run, data, msg, len);
	free(whole);
	return code;
}

void cmd_conn_closed(void *arg, uint64_t conn)
{
	struct agent *a = arg;

	if (a->apply_conn && a->apply_conn == conn)
		apply_drop(a); /* went away before its last part */

	if (a->txn_conn && a->txn_conn == conn) {
		pr_warn("policy: client went away with a batch open: nothing of it applied");
		txn_drop(a);
	}
}

/* txn lines TEXT [force]: many policy/ratelimit lines of a batch in one
 * request (lbctl batch sends them in chunks). Applied to the open transaction
 * in order; stops at the first failing line unless force. Data:
 * {"applied": N, "errors": [{"index", "code", "errno", "message"}]}, index
 * counting the chunk's lines from 0 (blank and comment lines included). */
static int txn_lines(struct agent *a, const char *text, bool force, json_object **data)
{
	char *buf = strdup(text), *line, *next, *words[GR_MAX_WORDS], err[512];
	json_object *errs = json_object_new_array(), *o;
	int n, idx = 0, applied = 0, code;
	struct pol_vip_set vips;
	struct gr_cmd c;

	if (!buf) {
		json_object_put(errs);
		return CTL_E_FAILED;
	}
	for (line = buf; line; line = next, idx++) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		code = CTL_OK;
		if (grammar_split(line, words, GR_MAX_WORDS, &n, err, sizeof(err)) ||
		    (n && grammar_parse(n, words, &c, err, sizeof(err)))) {
			code = CTL_E_USAGE;
		} else if (!n) {
			continue;
		} else if ((c.obj != GR_OBJ_POLICY && c.obj != GR_OBJ_RATELIMIT) ||
			   c.verb == GR_VERB_SHOW || c.verb == GR_VERB_HELP) {
			snprintf(err, sizeof(err), "txn lines: only policy and ratelimit changes");
			code = CTL_E_USAGE;
		} else {
			int e = policy_apply(&a->txn, config_vip_set(&a->cfg, &vips), &c, err,
					     sizeof(err));

			code = e ? errno_to_code(e) : CTL_OK;
		}
		if (code == CTL_OK) {
			applied++;
			continue;
		}
		o = json_object_new_object();
		jadd(o, "index", json_object_new_int(idx));
		jadd(o, "code", json_object_new_int(code));
		jadd(o, "message", json_object_new_string(err));
		json_object_array_add(errs, o);
		if (!force)
			break;
	}
	free(buf);
	o = json_object_new_object();
	jadd(o, "applied", json_object_new_int(applied));
	jadd(o, "errors", errs);
	*data = o;
	return CTL_OK;
}

/* txn begin|commit|abort: lbctl batch makes its policy lines one change */
static int do_txn(struct agent *a, const struct ctl_peer *peer, int argc, char **argv,
		  json_object **data, char *msg, size_t len)
{
	struct xlb_vip_key gone[64];
	struct policy prev;
	size_t i, n;

	if (argc >= 3 && argc <= 4 && peer && !strcmp(argv[1], "lines")) {
		if (a->txn_conn != peer->conn) {
			snprintf(msg, len, "policy: no batch open on this connection");
			return CTL_E_FAILED;
		}
		return txn_lines(a, argv[2], argc == 4 && !strcmp(argv[3], "force"), data);
	}
	if (argc != 2 || !peer) {
		snprintf(msg, len, "usage: txn begin|commit|abort");
		return CTL_E_USAGE;
	}
	if (!strcmp(argv[1], "begin")) {
		if (a->txn_conn) {
			snprintf(msg, len, "policy: %s",
				 a->txn_conn == peer->conn ? "a batch is already open" :
							     "another client's batch is being "
							     "applied; try again");
			return CTL_E_FAILED;
		}
		if (policy_copy(&a->txn, &a->cfg.pol)) {
			policy_init(&a->txn);
			snprintf(msg, len, "policy: out of memory");
			return CTL_E_FAILED;
		}
		a->txn_conn = peer->conn;
		return CTL_OK;
	}
	if (a->txn_conn != peer->conn) {
		snprintf(msg, len, "policy: no batch open on this connection");
		return CTL_E_FAILED;
	}
	if (!strcmp(argv[1], "abort")) {
		txn_drop(a);
		return CTL_OK;
	}
	if (strcmp(argv[1], "commit")) {
		snprintf(msg, len, "usage: txn begin|commit|abort");
		return CTL_E_USAGE;
	}
	do { /* VIPs deleted meanwhile take their staged rules with them */
		for (i = 0, n = 0; i < a->txn.nvip && n < 64; i++)
			if (!config_vip(&a->cfg, &a->txn.vip[i]->key))
				gone[n++] = a->txn.vip[i]->key;
		for (i = 0; i < n; i++)
			policy_drop_vip(&a->txn, &gone[i]);
	} while (n == 64);
	prev = a->cfg.pol;   /* moved: put back if the batch cannot be kept */
	a->cfg.pol = a->txn; /* moved */
	policy_init(&a->txn);
	a->txn_conn = 0;
	return failed_if(commit_policy(a, &prev, msg, len));
}

bool cmd_is_readonly(struct json_object *jargv)
{
	static const char *const reads[] = { "version", "events", "show", "list",
					     "stats",	"flow",	  "help" };
	static const char *const views[] = { "show", "list", "help", "status" };
	int n = json_object_array_length(jargv), i;
	const char *w0, *w1, *last;

	if (n < 1)
		return false;
	w0 = json_object_get_string(json_object_array_get_idx(jargv, 0));
	w1 = n > 1 ? json_object_get_string(json_object_array_get_idx(jargv, 1)) : NULL;
	last = json_object_get_string(json_object_array_get_idx(jargv, n - 1));
	if (!w0 || !last)
		return false;
	for (i = 0; i < (int)(sizeof(reads) / sizeof(reads[0])); i++)
		if (!strcmp(w0, reads[i]))
			return true;
	if (!strcmp(w0, "apply"))
		return n == 3 && !strcmp(last, "dry-run");
	if (!strcmp(w0, "apply-part"))
		return true; /* only staged: the final apply changes (and is audited) */
	if (!strcmp(w0, "txn"))
		return false;
	/* vip, backend, policy, ratelimit, agent: alone, a view verb, or help */
	if (!w1 || !strcmp(last, "help"))
		return true;
	for (i = 0; i < (int)(sizeof(views) / sizeof(views[0])); i++)
		if (!strcmp(w1, views[i]))
			return true;
	return false;
}

static int handle(void *arg, const struct ctl_peer *peer, struct json_object *jargv,
		  struct json_object **data, char *msg, size_t msglen);

int cmd_handle(void *arg, const struct ctl_peer *peer, struct json_object *jargv,
	       struct json_object **data, char *msg, size_t msglen, const char **errname)
{
	int code;

	req_errno = 0;
	code = handle(arg, peer, jargv, data, msg, msglen);
	/* a failure names its cause (ENOSPC when the state cannot be saved), not
	 * the generic EIO of exit code 1 */
	if (code == CTL_E_FAILED && req_errno > 0 && strerrorname_np(req_errno))
		*errname = strerrorname_np(req_errno);
	return code;
}

static int handle(void *arg, const struct ctl_peer *peer, struct json_object *jargv,
		  struct json_object **data, char *msg, size_t msglen)
{
	struct agent *a = arg;
	char *argv[ARGS_MAX];
	struct gr_cmd c;
	json_object *o;
	int argc = json_object_array_length(jargv), i;

	if (argc < 1) { /* ctl.c guarantees a non-empty array; be safe anyway */
		snprintf(msg, msglen, "empty command");
		return CTL_E_USAGE;
	}
	if (argc > ARGS_MAX)
		argc = ARGS_MAX;
	for (i = 0; i < argc; i++)
		argv[i] = (char *)json_object_get_string(json_object_array_get_idx(jargv, i));

	if (!strcmp(argv[0], "version")) {
		o = json_object_new_object();
		jadd(o, "lbd", json_object_new_string(XLB_VERSION));
		jadd(o, "bpf_abi", json_object_new_int(XLB_ABI_VERSION));
		jadd(o, "json_schema", json_object_new_int(XLB_JSON_SCHEMA));
		jadd(o, "ctl_proto", json_object_new_int(CTL_PROTO_VERSION));
		*data = o;
		return CTL_OK;
	}
	if (!strcmp(argv[0], "agent"))
		return do_agent(a, argc, argv, data, msg, msglen);
	if (!strcmp(argv[0], "events"))
		return do_events(a, argc, argv, data, msg, msglen);
	if (!strcmp(argv[0], "txn"))
		return do_txn(a, peer, argc, argv, data, msg, msglen);
	if (!strcmp(argv[0], "apply-part"))
		return do_apply_part(a, peer, argc, argv, msg, msglen);
	if (!strcmp(argv[0], "apply")) {
		/* a dry run compares with the running config: a batch may be open */
		if (argc == 3 && !strcmp(argv[2], "dry-run"))
			return do_apply_req(a, peer, argv[1], true, data, msg, msglen);
		if (a->txn_conn || argc != 2) {
			if (peer && a->apply_conn == peer->conn)
				apply_drop(a); /* its parts go with it */
		}
		if (a->txn_conn) {
			snprintf(msg, msglen, "apply: a policy batch is being applied; try again");
			return CTL_E_FAILED;
		}
		if (argc != 2) {
			snprintf(msg, msglen,
				 "apply: expects the file's text as one argument [ dry-run ]");
			return CTL_E_USAGE;
		}
		return do_apply_req(a, peer, argv[1], false, data, msg, msglen);
	}

	if (grammar_parse(argc, argv, &c, msg, msglen))
		return CTL_E_USAGE;
	switch (c.obj) {
	case GR_OBJ_ALL:
		o = json_object_new_array();
		config_print(&a->cfg, emit_json_line, o);
		*data = o;
		return CTL_OK;
	case GR_OBJ_VIP:
		if (c.verb == GR_VERB_SHOW)
			return do_vip_show(a, &c, data, msg, msglen);
		break;
	case GR_OBJ_BACKEND:
		if (c.verb == GR_VERB_SHOW)
			return do_backend_show(a, &c, data, msg, msglen);
		break;
	case GR_OBJ_STATS:
		return do_stats_show(a, &c, data, msg, msglen);
	case GR_OBJ_FLOW:
		return do_flow_lookup(a, &c, data, msg, msglen);
	case GR_OBJ_POLICY:
	case GR_OBJ_RATELIMIT:
		if (c.verb == GR_VERB_HELP)
			break;
		if (c.verb == GR_VERB_SHOW)
			return c.obj == GR_OBJ_POLICY ? do_policy_show(a, &c, data, msg, msglen) :
							do_ratelimit_show(a, &c, data);
		return do_policy_change(a, peer, &c, msg, msglen);
	}
	if (c.verb == GR_VERB_HELP) {
		snprintf(msg, msglen, "help is printed by lbctl itself");
		return CTL_E_USAGE;
	}
	return do_change(a, &c, msg, msglen);
}
