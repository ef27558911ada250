// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* lbd: the xlb agent. Loads (or reuses) the dataplane, restores the running
 * config, attaches, then serves the control socket on one event loop
 * (epoll: signals, a 1 s timer, the control socket, netlink changes).
 * SIGTERM/SIGINT leave the dataplane forwarding with the last state.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "common/clock.h"
#include "agent/agent.h"
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
#include "common/parse.h"

/* stderr is written without blocking through a buffer of this size; a line
 * that does not fit is dropped (counted: agent status, metrics) */
#define LOG_BUF_BYTES (256 * 1024) /* --log-buffer's default */
#define LOG_RETRY_MS 100	   /* how soon a stalled stderr is tried again */

static const char usage_text[] =
	"Usage: lbd --iface IFACE [--iface IFACE...] [OPTIONS]\n"
	"       lbd --check-config FILE\n"
	"\n"
	"Runs the xlb agent in the foreground, logging to stderr.\n"
	"\n"
	"      --check-config FILE  parse and validate FILE (config or state file), print\n"
	"                           the configuration it holds and exit: 0 valid, 1 cannot\n"
	"                           read, 2 invalid. Touches no map, pin, socket or state\n"
	"  -i, --iface IFACE        attach xlb_xdp to IFACE (repeatable, at most 8)\n"
	"  -c, --config FILE        commands to load when there is no state file\n"
	"  -s, --state FILE         running config, rewritten on every change\n"
	"                           (default " STATE_PATH_DEFAULT ")\n"
	"      --use-previous-state start from FILE.prev, the state before the last\n"
	"                           change (when FILE is damaged); FILE is replaced\n"
	"  -S, --socket PATH        control socket (default " CTL_SOCKET_DEFAULT ")\n"
	"  -g, --socket-group GROUP members of GROUP may use the socket (default: root only)\n"
	"  -p, --pin-dir DIR        bpffs directory for pins (default " XLB_PIN_ROOT_DEFAULT ");\n"
	"                           owned by root, not writable by group or others\n"
	"  -m, --xdp-mode MODE      native (default) or generic (slow; for testing)\n"
	"      --src4 ADDR[/LEN]    outer IPv4 source; LEN < 32 varies the low bits per flow\n"
	"      --src6 ADDR[/LEN]    outer IPv6 source (default: first address of the iface)\n"
	"      --gue-port PORT      GUE destination port (default 6080)\n"
	"      --flood-rate N       new flows per CPU per second before the flood guard\n"
	"                           stops inserting (default 125000, 0 = off)\n"
	"      --flow-table-size N  flow table entries, shared by all CPUs (default 1048576;\n"
	"                           fixed once pinned)\n"
	"      --max-backends N     backends in all VIPs together (default 16384, at most\n"
	"                           1048576; fixed once pinned)\n"
	"      --icmp-rate N        too-big answers per CPU per second (default 100)\n"
	"      --icmp-burst N       ... of which at once (default 20)\n"
	"      --metrics ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics\n"
	"                           (off by default; e.g. 127.0.0.1:19842 or [::1]:19842)\n"
	"      --log-buffer BYTES   stderr is written without blocking through a buffer of\n"
	"                           this size; lines beyond it are dropped and counted\n"
	"                           (default 262144)\n"
	"  -v, --verbose            more logging (-vv: libbpf debug and verifier logs)\n"
	"  -h, --help               this text\n"
	"\n"
	"Signals: SIGHUP re-reads --config; SIGTERM/SIGINT stop, the dataplane keeps\n"
	"forwarding. Under systemd (Type=notify) lbd reports readiness once the control\n"
	"socket serves.\n"
	"Exit status: 0 after a clean stop, 1 on a start-up failure, 2 on a usage error.\n";

struct opts {
	const char *config, *state, *socket, *pin_dir, *group;
	const char *src4, *src6;
	const char *metrics;
	const char *check; /* --check-config FILE */
	bool generic, use_prev;
	uint16_t gue_port;
	uint32_t flood_rate, flow_max, icmp_rate, icmp_burst;
	uint32_t be_max;  /* --max-backends; 0 = as pinned, else XLB_MAX_BACKENDS */
	uint32_t log_buf; /* --log-buffer */
};

/* A usage error: one log line (time and level, as every line lbd writes), exit 2 */
static void __attribute__((format(printf, 1, 2), noreturn)) die_usage(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("lbd: %s; try 'lbd --help'", msg);
	exit(2);
}

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

/* Bring the checks and the dataplane back to the running config */
static void restore_running(struct agent *a)
{
	char scratch[256];

	supervise_sync(a->sv, &a->cfg, mono_ms());
	sync_apply(a->sync, &a->cfg);
	polsync_apply(a->ps, &a->cfg, scratch, sizeof(scratch));
}

int agent_commit(struct agent *a, struct config *next, char *msg, size_t msglen)
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

int agent_commit_policy(struct agent *a, struct policy *prev, char *msg, size_t msglen)
{
	char scratch[256];
	int err = polsync_apply(a->ps, &a->cfg, msg, msglen);

	if (!err) {
		/* live: persist it before answering (see agent_commit) */
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

/* ADDR[/LEN] -> address and the number of low bits to vary */
static void parse_src(const char *s, int family, __be32 *out, int *bits)
{
	char buf[64], err[128];
	struct xlb_addr a;
	char *slash;
	uint64_t len = family == XLB_FAMILY_V4 ? 32 : 128;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (parse_uint(slash + 1, "prefix length", 1, len, &len, err, sizeof(err)))
			die_usage("%s", err);
	}
	if (parse_addr(buf, &a, err, sizeof(err)))
		die_usage("%s", err);
	if (a.family != family)
		die_usage("'%s': wrong address family for this option", s);
	memcpy(out, a.addr, family == XLB_FAMILY_V4 ? 4 : 16);
	len = (family == XLB_FAMILY_V4 ? 32 : 128) - len;
	if ((int)len < *bits)
		*bits = len;
}

/* Default outer sources: the first IPv4 and global IPv6 address of @ifname */
static void default_src(const char *ifname, struct xlb_config *xc, bool want4, bool want6)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname))
			continue;
		if (want4 && i->ifa_addr->sa_family == AF_INET) {
			xc->src4 = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
			want4 = false;
		} else if (want6 && i->ifa_addr->sa_family == AF_INET6) {
			const struct in6_addr *a6 =
				&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;

			if (IN6_IS_ADDR_LINKLOCAL(a6))
				continue;
			memcpy(xc->src6, a6, 16);
			want6 = false;
		}
	}
	freeifaddrs(ifa);
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

static int print_line(void *arg, const char *line)
{
	return fprintf(arg, "%s\n", line) < 0 ? -EIO : 0;
}

/* lbd --check-config FILE: FILE read, parsed and validated exactly as lbd
 * loads a --config or state file (a state file's end line checked too), and
 * the configuration it holds printed in the canonical form on stdout. Nothing
 * else is touched: no map, pin, socket, state file or netlink. Returns the
 * exit status: 0 valid, 1 cannot be read, 2 invalid. */
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

static int check_config(const char *path)
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
	last = len > 1 ? memrchr(text, '\n', len - 1) : NULL;
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

static void parse_opts(int argc, char **argv, struct opts *o, struct agent *a)
{
	static const struct option lo[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "socket-group", required_argument, NULL, 'g' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ "src4", required_argument, NULL, 1 },
		{ "src6", required_argument, NULL, 2 },
		{ "gue-port", required_argument, NULL, 3 },
		{ "flood-rate", required_argument, NULL, 4 },
		{ "flow-table-size", required_argument, NULL, 5 },
		{ "metrics", required_argument, NULL, 6 },
		{ "use-previous-state", no_argument, NULL, 7 },
		{ "icmp-rate", required_argument, NULL, 8 },
		{ "icmp-burst", required_argument, NULL, 9 },
		{ "check-config", required_argument, NULL, 10 },
		{ "log-buffer", required_argument, NULL, 11 },
		{ "max-backends", required_argument, NULL, 12 },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int verbose = 0, c;
	char err[128];
	uint64_t v;

	opterr = 0; /* getopt's own messages would bypass the logger */
	while ((c = getopt_long(argc, argv, ":i:c:s:S:g:p:m:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (a->nifaces == AGENT_IFACES_MAX)
				die_usage("too many --iface (at most %s)", "8");
			if (!if_nametoindex(optarg))
				die_usage("--iface '%s': no such interface", optarg);
			a->ifaces[a->nifaces++] = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->state = optarg;
			break;
		case 'S':
			o->socket = optarg;
			break;
		case 'g':
			o->group = optarg;
			break;
		case 'p':
			o->pin_dir = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "native") && strcmp(optarg, "generic"))
				die_usage("invalid --xdp-mode '%s': must be native or generic",
					  optarg);
			o->generic = !strcmp(optarg, "generic");
			break;
		case 1:
			o->src4 = optarg;
			break;
		case 2:
			o->src6 = optarg;
			break;
		case 3:
			if (parse_uint(optarg, "gue port", 1, 65535, &v, err, sizeof(err)))
				die_usage("%s", err);
			o->gue_port = v;
			break;
		case 4:
			if (parse_uint(optarg, "flood rate", 0, UINT32_MAX, &v, err, sizeof(err)))
				die_usage("%s", err);
			o->flood_rate = v;
			break;
		case 5:
			if (parse_uint(optarg, "flow table size", 1024, 1 << 28, &v, err,
				       sizeof(err)))
				die_usage("%s", err);
			o->flow_max = v;
			break;
		case 6:
			o->metrics = optarg;
			break;
		case 8:
			if (parse_uint(optarg, "icmp rate", 1, 1000000, &v, err, sizeof(err)))
				die_usage("%s", err);
			o->icmp_rate = v;
			break;
		case 9:
			if (parse_uint(optarg, "icmp burst", 1, 1000000, &v, err, sizeof(err)))
				die_usage("%s", err);
			o->icmp_burst = v;
			break;
		case 7:
			o->use_prev = true;
			break;
		case 11:
			if (parse_uint(optarg, "log buffer", 1024, 1 << 30, &v, err, sizeof(err)))
				die_usage("%s", err);
			o->log_buf = v;
			break;
		case 10:
			o->check = optarg;
			break;
		case 12:
			if (parse_uint(optarg, "max backends", 1, XLB_MAX_BACKENDS_LIMIT, &v, err,
				       sizeof(err)))
				die_usage("%s", err);
			o->be_max = v;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case ':':
			die_usage("option '%s' needs a value", argv[optind - 1]);
		default:
			die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!a->nifaces && !o->check)
		die_usage("%s", "missing --iface");
	log_set_level(verbose >= 2 ? LOG_LVL_LIBBPF_DEBUG : verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
}

static int setup_config_map(struct agent *a, const struct opts *o)
{
	struct xlb_config xc = {};
	int bits = XLB_SRC_BITS_MAX + 1;
	int err;

	err = maps_config_get(a->maps, &xc); /* keep the flags sync maintains */
	if (err)
		return err;
	memset(xc.src6, 0, sizeof(xc.src6));
	xc.src4 = 0;
	default_src(a->ifaces[0], &xc, !o->src4, !o->src6);
	if (o->src4)
		parse_src(o->src4, XLB_FAMILY_V4, &xc.src4, &bits);
	if (o->src6)
		parse_src(o->src6, XLB_FAMILY_V6, xc.src6, &bits);
	xc.src_bits = bits > XLB_SRC_BITS_MAX ? 0 : bits;
	xc.gue_port = o->gue_port;
	xc.flood_rate = o->flood_rate;
	xc.icmp_rate = o->icmp_rate;
	xc.icmp_burst = o->icmp_burst;
	if (!xc.src4)
		pr_warn("lbd: %s has no IPv4 address and no --src4: IPv4 backends get source 0.0.0.0",
			a->ifaces[0]);
	return maps_config_set(a->maps, &xc);
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

int main(int argc, char **argv)
{
	struct opts o = { .state = STATE_PATH_DEFAULT,
			  .socket = CTL_SOCKET_DEFAULT,
			  .pin_dir = XLB_PIN_ROOT_DEFAULT,
			  .flood_rate = XLB_FLOOD_RATE_DEFAULT,
			  .icmp_rate = XLB_ICMP_RATE_DEFAULT,
			  .icmp_burst = XLB_ICMP_BURST_DEFAULT };
	struct agent a = {};
	struct xlb_maps_opts mo = {};
	struct ctl_server *ctl = NULL;
	struct metrics *mx = NULL;
	struct nh_ctx *nh = NULL;
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	struct epoll_event ev, evs[8];
	sigset_t mask;
	int ep = -1, sfd = -1, tfd = -1, i, n, ret, err = 1;
	bool resync = false;
	uint64_t watchdog_ms = 0;
	long group = -1;
	char errbuf[PATH_MAX + 256] = "";

	setvbuf(stderr, NULL, _IOLBF, 0);
	log_bridge_libbpf();
	config_init(&a.cfg);
	config_init(&a.file_cfg);
	policy_init(&a.txn);
	/* time and level on every line; the journal adds its own time */
	log_set_style(log_daemon_style());
	parse_opts(argc, argv, &o, &a);
	/* the limit the config is checked against: what the maps will hold */
	if (backend_limit(&o))
		return 1;
	if (o.check) {
		err = check_config(o.check);
		config_free(&a.cfg);
		return err;
	}
	if (state_init(&a.st, o.state))
		die_usage("--state '%s': path too long", o.state);
	/* a stderr nobody reads must not stop the loop (health checks, the socket) */
	ret = log_set_nonblocking(o.log_buf ? o.log_buf : LOG_BUF_BYTES);
	if (ret) /* err stays 1 until the loop ends well: the exit status */
		pr_warn("lbd: log: cannot buffer: %s; stderr writes may block", strerror(-ret));
	a.config_path = o.config;
	if (o.group) {
		struct group *gr = getgrnam(o.group);

		if (!gr)
			die_usage("--socket-group '%s': no such group", o.group);
		group = gr->gr_gid;
	}

	/* Start-up never harms what is forwarding: the pinned program and maps
	 * are not written until the pin directory is ours, the config is whole
	 * and valid, it has been saved (the state directory is writable and has
	 * room) and the program is attached. */
	if (check_private_dir(o.pin_dir, XLB_PIN_SUBDIR, errbuf, sizeof(errbuf))) {
		pr_err("lbd: refusing pin directory %s", errbuf);
		goto out;
	}
	if (load_config(&a, &o))
		goto out;
	cmd_remember_file(&a); /* best effort: without it, a reload keeps every drain */
	if (state_save(&a.st, &a.cfg)) {
		pr_err("lbd: nothing applied: the dataplane keeps forwarding as it was");
		goto out;
	}
	mo.pin_root = o.pin_dir;
	mo.flow_max = o.flow_max;
	mo.be_max = o.be_max;
	a.maps = maps_open(&mo); /* reuses the pins: reads, never writes */
	if (!a.maps) {
		pr_err("lbd: cannot load the dataplane: %s (details: lbd -vv); nothing applied: "
		       "the dataplane keeps forwarding as it was",
		       strerror(errno));
		goto out;
	}
	nh = netlink_open();
	if (!nh) {
		pr_err("lbd: netlink: %s", strerror(errno));
		goto out;
	}
	a.sync = sync_new(a.maps, resolve_nh, nh);
	if (!a.sync) {
		pr_err("lbd: cannot read the backend table: %s", strerror(errno));
		goto out;
	}
	a.sv = supervise_new(on_sv_changed, &resync);
	if (a.sv) {
		supervise_set_gue_port(a.sv, o.gue_port);
		char hp[PATH_MAX + 8];

		snprintf(hp, sizeof(hp), "%s.health", a.st.path);
		if (supervise_persist(a.sv, hp))
			pr_warn("lbd: %s: cannot read saved health states", hp);
	}
	if (!a.sv || supervise_sync(a.sv, &a.cfg, mono_ms())) {
		pr_err("lbd: cannot start health checks: %s", strerror(errno));
		goto out;
	}
	sync_set_usable(a.sync, usable_backend, a.sv);
	sync_set_breaker(a.sync, breaker_state, a.sv);
	supervise_set_pasv(a.sv, read_pasv, &a);
	a.ps = polsync_new(a.maps);
	if (!a.ps) {
		pr_err("lbd: %s", strerror(errno));
		goto out;
	}
	ret = sync_recover(a.sync, &a.cfg); /* ids of what the maps hold: reads only */
	if (ret) {
		pr_err("lbd: cannot read the dataplane's VIPs: %s", strerror(-ret));
		goto out;
	}
	/* Attach before the first map write. Over a link pinned by an earlier
	 * run this swaps the program in place, and the new one reads the same
	 * maps: forwarding goes on as it was. On a first start the maps are
	 * empty and every packet passes. Either way a failure leaves the maps
	 * untouched. */
	for (i = 0; i < a.nifaces; i++) {
		if (maps_attach(a.maps, a.ifaces[i], o.generic)) {
			pr_err("lbd: nothing applied: the dataplane keeps forwarding as it was");
			goto out;
		}
		if (o.generic)
			pr_warn("lbd: xlb_xdp attached to %s in generic mode: slow, for testing only",
				a.ifaces[i]);
		else
			pr_info("lbd: xlb_xdp attached to %s (native)", a.ifaces[i]);
	}
	if (setup_config_map(&a, &o) || sync_apply(a.sync, &a.cfg) ||
	    polsync_apply(a.ps, &a.cfg, errbuf, sizeof(errbuf))) {
		pr_err("lbd: cannot apply the configuration to the dataplane %s", errbuf);
		goto out;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
		pr_err("lbd: event loop set-up failed: %s", strerror(errno));
		goto out;
	}
	if (o.metrics) {
		mx = metrics_open(o.metrics); /* logs the reason */
		if (!mx)
			goto out;
	}
	/* ready: the socket appears only once the program is attached and configured */
	ctl = ctl_open(o.socket, group, cmd_handle, &a);
	if (!ctl)
		goto out;
	ctl_set_close_hook(ctl, cmd_conn_closed);
	ctl_set_readonly_fn(ctl, cmd_is_readonly);
	ev.events = EPOLLIN;
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	ev.data.fd = ctl_fd(ctl);
	epoll_ctl(ep, EPOLL_CTL_ADD, ctl_fd(ctl), &ev);
	ev.data.fd = netlink_event_fd(nh);
	epoll_ctl(ep, EPOLL_CTL_ADD, netlink_event_fd(nh), &ev);
	if (mx) {
		ev.data.fd = metrics_fd(mx);
		epoll_ctl(ep, EPOLL_CTL_ADD, metrics_fd(mx), &ev);
	}
	ev.data.fd = supervise_fd(a.sv);
	epoll_ctl(ep, EPOLL_CTL_ADD, supervise_fd(a.sv), &ev);
	pr_info("lbd: ready: %zu vips, socket %s", a.cfg.nvip, o.socket);
	snprintf(errbuf, sizeof(errbuf), "ready: %zu vips, socket %s", a.cfg.nvip, o.socket);
	notify_ready(errbuf);
	watchdog_ms = notify_watchdog_ms();
	if (watchdog_ms)
		pr_info("lbd: systemd watchdog every %" PRIu64 " ms (the 1 s timer answers it)",
			watchdog_ms);
	if (watchdog_ms && watchdog_ms < 2000)
		pr_warn("lbd: WatchdogSec= below 2 s: the 1 s timer may answer too late");

	while (!a.stop) {
		/* breaker deadlines (open periods ending) are kept to the ms, not the
		 * second: wake for the next one (at least 1 ms on, so a deadline that
		 * is due cannot spin the loop) */
		uint64_t next = supervise_next_ms(a.sv), now = mono_ms();
		int wait = next == UINT64_MAX ? -1 :
			   next <= now	      ? 1 :
			   next - now > 1000  ? 1000 :
						(int)(next - now);

		if (log_pending() && (wait < 0 || wait > LOG_RETRY_MS))
			wait = LOG_RETRY_MS; /* try the stalled stderr again soon */
		if (ctl_pending(ctl))
			wait = 0; /* changes wait their turn: serve them after the events */
		n = epoll_wait(ep, evs, 8, wait);
		log_flush();
		if (ctl_pending(ctl))
			ctl_dispatch(ctl);
		if (n == 0)
			supervise_tick(a.sv, mono_ms()); /* then on, as for any event */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pr_err("lbd: epoll_wait: %s", strerror(errno));
			goto out;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				struct signalfd_siginfo si;

				char msg[512];

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo != SIGHUP)
						a.stop = true;
					else if (a.config_path)
						cmd_reload(&a, NULL, msg, sizeof(msg));
					else
						pr_warn("lbd: SIGHUP without --config: nothing to reload");
				}
			} else if (fd == tfd) {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					continue;
				if (watchdog_ms)
					notify_watchdog(); /* the loop is alive */
				ctl_tick(ctl, mono_ms());
				metrics_tick(mx, mono_ms());
				supervise_tick(a.sv, mono_ms());
				supervise_passive(a.sv, &a.cfg, mono_ms());
				if (!a.txn_conn)
					polsync_idle(a.ps, &a.cfg);
				/* occupancy: 64K entries a second, never a long stall */
				maps_flow_count_step(a.maps, &a.flows, 65536);
				metrics_note_build(mx, sync_last_build_ns(a.sync));
				if (sync_pending(a.sync))
					resync = true; /* next hops still unresolved: retry */
			} else if (fd == ctl_fd(ctl)) {
				ctl_dispatch(ctl);
			} else if (fd == supervise_fd(a.sv)) {
				supervise_dispatch(a.sv, mono_ms());
			} else if (mx && fd == metrics_fd(mx)) {
				metrics_dispatch(mx, &a);
			} else if (fd == netlink_event_fd(nh)) {
				struct nh_ev_ctx nctx = { .sync = a.sync, .resync = &resync };

				netlink_process_events(nh, on_nh_event, &nctx);
			}
		}
		if (resync && !a.stop) {
			resync = false;
			if (sync_apply(a.sync, &a.cfg))
				pr_warn("lbd: dataplane refresh after a next-hop change failed");
		}
	}
	err = 0;
	notify_stopping(a.detach ? "stopping: detaching the dataplane" :
				   "stopping: the dataplane keeps forwarding");
	if (a.detach) {
		for (i = 0; i < a.nifaces; i++)
			if (maps_detach(a.maps, a.ifaces[i]))
				err = 1;
		if (maps_unpin(a.maps))
			err = 1;
		pr_info("lbd: stopped, detached and unpinned (the state file %s is kept)",
			a.st.path);
	} else {
		pr_info("lbd: stopped; the dataplane keeps forwarding with the last state");
	}
out:
	metrics_close(mx);
	ctl_close(ctl);
	if (ep >= 0)
		close(ep);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	supervise_free(a.sv);
	polsync_free(a.ps);
	policy_free(&a.txn);
	free(a.apply_buf);
	sync_free(a.sync);
	netlink_close(nh);
	config_free(&a.cfg);
	config_free(&a.file_cfg);
	state_fini(&a.st);
	maps_flow_count_free(&a.flows);
	maps_close(a.maps);
	log_close(1000); /* the last lines, if stderr is read at all */
	return err;
}
