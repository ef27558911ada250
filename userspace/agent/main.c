// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* lbd: the xlb agent. Loads (or reuses) the dataplane, restores the running
 * config, attaches, then serves the control socket on one event loop
 * (epoll: signals, a 1 s timer, the control socket, netlink changes).
 * SIGTERM/SIGINT leave the dataplane forwarding with the last state.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "common/clock.h"
#include "agent/control/agent.h"
#include "agent/cfgmap.h"
#include "agent/check_config.h"
#include "agent/options.h"
#include "agent/control/cmd.h"
#include "agent/control/ctl.h"
#include "agent/control/metrics.h"
#include "agent/dataplane/netlink.h"
#include "agent/control/notify.h"
#include "agent/dataplane/polsync.h"
#include "agent/health/supervise.h"
#include "agent/model/state.h"
#include "common/ctl_proto.h"
#include "common/fsutil.h"
#include "common/log.h"

/* stderr is written without blocking through a buffer of this size; a line
 * that does not fit is dropped (counted: agent status, metrics) */
#define LOG_BUF_BYTES (256 * 1024) /* --log-buffer's default */
#define LOG_RETRY_MS 100	   /* how soon a stalled stderr is tried again */

/* sync's next-hop resolver, backed by netlink.c */
static int resolve_nh(void *arg, const struct xlb_addr *dst, uint32_t *ifindex, uint8_t dmac[6],
		      uint8_t smac[6], struct xlb_addr *via)
{
	struct nh_entry nh;
	int err = netlink_resolve(arg, dst, &nh);

	if (err)
		return err;
	*ifindex = nh.ifindex;
	memcpy(dmac, nh.dmac, 6);
	memcpy(smac, nh.smac, 6);
	*via = nh.via;
	return 0;
}

/* The number of backends the config may hold: --max-backends, else the size of
 * the pinned maps (fixed once pinned), else the default. --check-config reads
 * no pin: it checks against --max-backends as given, or the default. */
static int backend_limit(const struct opts *o)
{
	__u32 n = 0;
	int err;

	if (!o->be_max && !o->check) {
		err = maps_pinned_entries(o->pin_dir, XLB_MAP_BACKENDS, &n);
		if (err) {
			pr_err("lbd: cannot read the size of the pinned %s: %s", XLB_MAP_BACKENDS,
			       strerror(-err));
			return err;
		}
		if (n > 1)
			pr_info("lbd: room for %u backends, as pinned (--max-backends)", n - 1);
	}
	config_set_max_backends(o->be_max ? o->be_max : n > 1 ? n - 1 : 0);
	return 0;
}

/* The config to start with: checked whole and valid before anything is applied */
static int load_config(struct agent *a, const struct opts *o)
{
	enum state_source src;
	char msg[1024];
	int err;

	err = state_load(&a->st, o->config, o->use_prev, &a->cfg, &src, msg, sizeof(msg));
	if (err) {
		pr_err("lbd: %s; nothing applied: the dataplane keeps forwarding as it was", msg);
		return err;
	}
	if (src == STATE_SRC_NONE)
		pr_info("lbd: no state file %s and no --config: starting empty", a->st.path);
	else if (src == STATE_SRC_PREV)
		pr_warn("lbd: loaded %zu vips from %s, the previous state (--use-previous-state); "
			"it replaces %s",
			a->cfg.nvip, a->st.prev, a->st.path);
	else
		pr_info("lbd: loaded %zu vips from %s", a->cfg.nvip,
			src == STATE_SRC_STATE ? a->st.path : o->config);
	return 0;
}

static bool usable_backend(void *arg, const struct cfg_vip *v, const struct cfg_backend *b)
{
	return supervise_usable(arg, v, b);
}

static int breaker_state(void *arg, const struct cfg_vip *v, const struct cfg_backend *b,
			 struct xlb_be_brk *out, uint32_t *gen)
{
	return supervise_dp_state(arg, v, b, out, gen);
}

static int read_pasv(void *arg, const struct cfg_vip *v, const struct cfg_backend *b,
		     struct xlb_be_pasv *out)
{
	struct agent *a = arg;

	(void)v;
	if (!b->slot)
		return -ENOENT;
	return maps_be_pasv_read(a->maps, b->slot, out);
}

static void on_sv_changed(void *arg)
{
	bool *resync = arg;

	*resync = true; /* a backend became usable or not: rebuild its tables */
}

struct nh_ev_ctx {
	struct sync *sync;
	bool *resync;
};

/* A route or neighbour changed: only the next hops it concerns are resolved again */
static void on_nh_event(void *arg, int what, const struct xlb_addr *addr)
{
	struct nh_ev_ctx *c = arg;

	if (sync_nh_invalidate(c->sync, what == NH_EV_NEIGH ? addr : NULL))
		*c->resync = true;
}

/* What the event loop serves besides the agent's state */
struct lbd {
	struct nh_ctx *nh;
	struct ctl_server *ctl;
	struct metrics *mx;
	int ep, sfd, tfd;
	bool resync;	      /* re-apply the config to the maps after this round */
	uint64_t watchdog_ms; /* systemd's watchdog period; 0 = none */
};

/* Start-up never harms what is forwarding: the pinned program and maps are
 * not written until the pin directory is ours, the config is whole and
 * valid, it has been saved (the state directory is writable and has room)
 * and the program is attached. 0, or -1 (logged). */
static int start_dataplane(struct agent *a, const struct opts *o, struct lbd *l)
{
	struct xlb_maps_opts mo = {};
	char errbuf[PATH_MAX + 256] = "";
	int i, ret;

	if (check_private_dir(o->pin_dir, XLB_PIN_SUBDIR, errbuf, sizeof(errbuf))) {
		pr_err("lbd: refusing pin directory %s", errbuf);
		return -1;
	}
	if (load_config(a, o))
		return -1;
	cmd_remember_file(a); /* best effort: without it, a reload keeps every drain */
	if (state_save(&a->st, &a->cfg)) {
		pr_err("lbd: nothing applied: the dataplane keeps forwarding as it was");
		return -1;
	}
	mo.pin_root = o->pin_dir;
	mo.flow_max = o->flow_max;
	mo.be_max = o->be_max;
	a->maps = maps_open(&mo); /* reuses the pins: reads, never writes */
	if (!a->maps) {
		pr_err("lbd: cannot load the dataplane: %s (details: lbd -vv); nothing applied: "
		       "the dataplane keeps forwarding as it was",
		       strerror(errno));
		return -1;
	}
	l->nh = netlink_open();
	if (!l->nh) {
		pr_err("lbd: netlink: %s", strerror(errno));
		return -1;
	}
	a->sync = sync_new(a->maps, resolve_nh, l->nh);
	if (!a->sync) {
		pr_err("lbd: cannot read the backend table: %s", strerror(errno));
		return -1;
	}
	a->sv = supervise_new(on_sv_changed, &l->resync);
	if (a->sv) {
		supervise_set_gue_port(a->sv, o->gue_port);
		char hp[PATH_MAX + 8];

		snprintf(hp, sizeof(hp), "%s.health", a->st.path);
		if (supervise_persist(a->sv, hp))
			pr_warn("lbd: %s: cannot read saved health states", hp);
	}
	if (!a->sv || supervise_sync(a->sv, &a->cfg, mono_ms())) {
		pr_err("lbd: cannot start health checks: %s", strerror(errno));
		return -1;
	}
	sync_set_usable(a->sync, usable_backend, a->sv);
	sync_set_breaker(a->sync, breaker_state, a->sv);
	supervise_set_pasv(a->sv, read_pasv, a);
	a->ps = polsync_new(a->maps);
	if (!a->ps) {
		pr_err("lbd: %s", strerror(errno));
		return -1;
	}
	ret = sync_recover(a->sync, &a->cfg); /* ids of what the maps hold: reads only */
	if (ret) {
		pr_err("lbd: cannot read the dataplane's VIPs: %s", strerror(-ret));
		return -1;
	}
	/* Attach before the first map write. Over a link pinned by an earlier
	 * run this swaps the program in place, and the new one reads the same
	 * maps: forwarding goes on as it was. On a first start the maps are
	 * empty and every packet passes. Either way a failure leaves the maps
	 * untouched. */
	for (i = 0; i < a->nifaces; i++) {
		if (maps_attach(a->maps, a->ifaces[i], o->generic)) {
			pr_err("lbd: nothing applied: the dataplane keeps forwarding as it was");
			return -1;
		}
		if (o->generic)
			pr_warn("lbd: xlb_xdp attached to %s in generic mode: slow, for testing only",
				a->ifaces[i]);
		else
			pr_info("lbd: xlb_xdp attached to %s (native)", a->ifaces[i]);
	}
	if (cfgmap_setup(a, o) || sync_apply(a->sync, &a->cfg) ||
	    polsync_apply(a->ps, &a->cfg, errbuf, sizeof(errbuf))) {
		pr_err("lbd: cannot apply the configuration to the dataplane %s", errbuf);
		return -1;
	}
	return 0;
}

/* Signals, the 1 s timer, the metrics server and, last, the control socket
 * (it appears only once the program is attached and configured), all on one
 * epoll; then readiness is reported. 0, or -1 (logged). */
static int open_loop(struct agent *a, const struct opts *o, long group, struct lbd *l)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	struct epoll_event ev;
	char msg[PATH_MAX + 256];
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	l->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->sfd < 0 || l->tfd < 0 || l->ep < 0 || timerfd_settime(l->tfd, 0, &its, NULL)) {
		pr_err("lbd: event loop set-up failed: %s", strerror(errno));
		return -1;
	}
	if (o->metrics) {
		l->mx = metrics_open(o->metrics); /* logs the reason */
		if (!l->mx)
			return -1;
	}
	/* ready: the socket appears only once the program is attached and configured */
	l->ctl = ctl_open(o->socket, group, cmd_handle, a);
	if (!l->ctl)
		return -1;
	ctl_set_close_hook(l->ctl, cmd_conn_closed);
	ctl_set_readonly_fn(l->ctl, cmd_is_readonly);
	ev.events = EPOLLIN;
	ev.data.fd = l->sfd;
	epoll_ctl(l->ep, EPOLL_CTL_ADD, l->sfd, &ev);
	ev.data.fd = l->tfd;
	epoll_ctl(l->ep, EPOLL_CTL_ADD, l->tfd, &ev);
	ev.data.fd = ctl_fd(l->ctl);
	epoll_ctl(l->ep, EPOLL_CTL_ADD, ctl_fd(l->ctl), &ev);
	ev.data.fd = netlink_event_fd(l->nh);
	epoll_ctl(l->ep, EPOLL_CTL_ADD, netlink_event_fd(l->nh), &ev);
	if (l->mx) {
		ev.data.fd = metrics_fd(l->mx);
		epoll_ctl(l->ep, EPOLL_CTL_ADD, metrics_fd(l->mx), &ev);
	}
	ev.data.fd = supervise_fd(a->sv);
	epoll_ctl(l->ep, EPOLL_CTL_ADD, supervise_fd(a->sv), &ev);
	pr_info("lbd: ready: %zu vips, socket %s", a->cfg.nvip, o->socket);
	snprintf(msg, sizeof(msg), "ready: %zu vips, socket %s", a->cfg.nvip, o->socket);
	notify_ready(msg);
	l->watchdog_ms = notify_watchdog_ms();
	if (l->watchdog_ms)
		pr_info("lbd: systemd watchdog every %" PRIu64 " ms (the 1 s timer answers it)",
			l->watchdog_ms);
	if (l->watchdog_ms && l->watchdog_ms < 2000)
		pr_warn("lbd: WatchdogSec= below 2 s: the 1 s timer may answer too late");
	return 0;
}

/* The once-a-second work: watchdog, servers, checks, idle policy sync, flow
 * occupancy, next hops still unresolved */
static void on_timer(struct agent *a, struct lbd *l)
{
	uint64_t ticks;

	if (read(l->tfd, &ticks, sizeof(ticks)) < 0)
		return;
	if (l->watchdog_ms)
		notify_watchdog(); /* the loop is alive */
	ctl_tick(l->ctl, mono_ms());
	metrics_tick(l->mx, mono_ms());
	supervise_tick(a->sv, mono_ms());
	supervise_passive(a->sv, &a->cfg, mono_ms());
	if (!a->txn_conn)
		polsync_idle(a->ps, &a->cfg);
	/* occupancy: 64K entries a second, never a long stall */
	maps_flow_count_step(a->maps, &a->flows, 65536);
	metrics_note_build(l->mx, sync_last_build_ns(a->sync));
	if (sync_pending(a->sync))
		l->resync = true; /* next hops still unresolved: retry */
}

/* The event loop, until a->stop. 0, or -1 when epoll fails (logged). */
static int run_loop(struct agent *a, struct lbd *l)
{
	struct epoll_event evs[8];
	int i, n;

	while (!a->stop) {
		/* breaker deadlines (open periods ending) are kept to the ms, not the
		 * second: wake for the next one (at least 1 ms on, so a deadline that
		 * is due cannot spin the loop) */
		uint64_t next = supervise_next_ms(a->sv), now = mono_ms();
		int wait = next == UINT64_MAX ? -1 :
			   next <= now	      ? 1 :
			   next - now > 1000  ? 1000 :
						(int)(next - now);

		if (log_pending() && (wait < 0 || wait > LOG_RETRY_MS))
			wait = LOG_RETRY_MS; /* try the stalled stderr again soon */
		if (ctl_pending(l->ctl))
			wait = 0; /* changes wait their turn: serve them after the events */
		n = epoll_wait(l->ep, evs, 8, wait);
		log_flush();
		if (ctl_pending(l->ctl))
			ctl_dispatch(l->ctl);
		if (n == 0)
			supervise_tick(a->sv, mono_ms()); /* then on, as for any event */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pr_err("lbd: epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == l->sfd) {
				struct signalfd_siginfo si;

				char msg[512];

				while (read(l->sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo != SIGHUP)
						a->stop = true;
					else if (a->config_path)
						cmd_reload(a, NULL, msg, sizeof(msg));
					else
						pr_warn("lbd: SIGHUP without --config: nothing to reload");
				}
			} else if (fd == l->tfd) {
				on_timer(a, l);
			} else if (fd == ctl_fd(l->ctl)) {
				ctl_dispatch(l->ctl);
			} else if (fd == supervise_fd(a->sv)) {
				supervise_dispatch(a->sv, mono_ms());
			} else if (l->mx && fd == metrics_fd(l->mx)) {
				metrics_dispatch(l->mx, a);
			} else if (fd == netlink_event_fd(l->nh)) {
				struct nh_ev_ctx nctx = { .sync = a->sync, .resync = &l->resync };

				netlink_process_events(l->nh, on_nh_event, &nctx);
			}
		}
		if (l->resync && !a->stop) {
			l->resync = false;
			if (sync_apply(a->sync, &a->cfg))
				pr_warn("lbd: dataplane refresh after a next-hop change failed");
		}
	}
	return 0;
}

/* A clean stop: the dataplane keeps forwarding, or with a->detach is
 * detached and unpinned. The exit status: 0, or 1 if detaching failed. */
static int stop_dataplane(struct agent *a)
{
	int i, err = 0;

	notify_stopping(a->detach ? "stopping: detaching the dataplane" :
				    "stopping: the dataplane keeps forwarding");
	if (a->detach) {
		for (i = 0; i < a->nifaces; i++)
			if (maps_detach(a->maps, a->ifaces[i]))
				err = 1;
		if (maps_unpin(a->maps))
			err = 1;
		pr_info("lbd: stopped, detached and unpinned (the state file %s is kept)",
			a->st.path);
	} else {
		pr_info("lbd: stopped; the dataplane keeps forwarding with the last state");
	}
	return err;
}

int main(int argc, char **argv)
{
	struct opts o = { .state = STATE_PATH_DEFAULT,
			  .socket = CTL_SOCKET_DEFAULT,
			  .pin_dir = XLB_PIN_ROOT_DEFAULT,
			  .flood_rate = XLB_FLOOD_RATE_DEFAULT,
			  .icmp_rate = XLB_ICMP_RATE_DEFAULT,
			  .icmp_burst = XLB_ICMP_BURST_DEFAULT };
	struct agent a = {};
	struct lbd l = { .ep = -1, .sfd = -1, .tfd = -1 };
	int ret, err = 1; /* stays 1 until the loop ends well: the exit status */
	long group = -1;

	setvbuf(stderr, NULL, _IOLBF, 0);
	log_bridge_libbpf();
	config_init(&a.cfg);
	config_init(&a.file_cfg);
	policy_init(&a.txn);
	/* time and level on every line; the journal adds its own time */
	log_set_style(log_daemon_style());
	options_parse(argc, argv, &o, &a);
	/* the limit the config is checked against: what the maps will hold */
	if (backend_limit(&o))
		return 1;
	if (o.check) {
		err = check_config(o.check);
		config_free(&a.cfg);
		return err;
	}
	if (state_init(&a.st, o.state))
		options_die_usage("--state '%s': path too long", o.state);
	/* a stderr nobody reads must not stop the loop (health checks, the socket) */
	ret = log_set_nonblocking(o.log_buf ? o.log_buf : LOG_BUF_BYTES);
	if (ret)
		pr_warn("lbd: log: cannot buffer: %s; stderr writes may block", strerror(-ret));
	a.config_path = o.config;
	if (o.group) {
		struct group *gr = getgrnam(o.group);

		if (!gr)
			options_die_usage("--socket-group '%s': no such group", o.group);
		group = gr->gr_gid;
	}

	if (!start_dataplane(&a, &o, &l) && !open_loop(&a, &o, group, &l) && !run_loop(&a, &l))
		err = stop_dataplane(&a);

	metrics_close(l.mx);
	ctl_close(l.ctl);
	if (l.ep >= 0)
		close(l.ep);
	if (l.sfd >= 0)
		close(l.sfd);
	if (l.tfd >= 0)
		close(l.tfd);
	supervise_free(a.sv);
	polsync_free(a.ps);
	policy_free(&a.txn);
	free(a.apply_buf);
	sync_free(a.sync);
	netlink_close(l.nh);
	config_free(&a.cfg);
	config_free(&a.file_cfg);
	state_fini(&a.st);
	maps_flow_count_free(&a.flows);
	maps_close(a.maps);
	log_close(1000); /* the last lines, if stderr is read at all */
	return err;
}
