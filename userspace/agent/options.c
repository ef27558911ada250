// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* options: lbd's command line, its help text and its usage errors */
#include <getopt.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent/options.h"
#include "common/ctl_proto.h"
#include "common/log.h"
#include "common/parse.h"

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

void options_die_usage(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("lbd: %s; try 'lbd --help'", msg);
	exit(2);
}

void options_parse(int argc, char **argv, struct opts *o, struct agent *a)
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
				options_die_usage("too many --iface (at most %s)", "8");
			if (!if_nametoindex(optarg))
				options_die_usage("--iface '%s': no such interface", optarg);
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
				options_die_usage(
					"invalid --xdp-mode '%s': must be native or generic",
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
				options_die_usage("%s", err);
			o->gue_port = v;
			break;
		case 4:
			if (parse_uint(optarg, "flood rate", 0, UINT32_MAX, &v, err, sizeof(err)))
				options_die_usage("%s", err);
			o->flood_rate = v;
			break;
		case 5:
			if (parse_uint(optarg, "flow table size", 1024, 1 << 28, &v, err,
				       sizeof(err)))
				options_die_usage("%s", err);
			o->flow_max = v;
			break;
		case 6:
			o->metrics = optarg;
			break;
		case 8:
			if (parse_uint(optarg, "icmp rate", 1, 1000000, &v, err, sizeof(err)))
				options_die_usage("%s", err);
			o->icmp_rate = v;
			break;
		case 9:
			if (parse_uint(optarg, "icmp burst", 1, 1000000, &v, err, sizeof(err)))
				options_die_usage("%s", err);
			o->icmp_burst = v;
			break;
		case 7:
			o->use_prev = true;
			break;
		case 11:
			if (parse_uint(optarg, "log buffer", 1024, 1 << 30, &v, err, sizeof(err)))
				options_die_usage("%s", err);
			o->log_buf = v;
			break;
		case 10:
			o->check = optarg;
			break;
		case 12:
			if (parse_uint(optarg, "max backends", 1, XLB_MAX_BACKENDS_LIMIT, &v, err,
				       sizeof(err)))
				options_die_usage("%s", err);
			o->be_max = v;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case ':':
			options_die_usage("option '%s' needs a value", argv[optind - 1]);
		default:
			options_die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		options_die_usage("unexpected argument '%s'", argv[optind]);
	if (!a->nifaces && !o->check)
		options_die_usage("%s", "missing --iface");
	log_set_level(verbose >= 2 ? LOG_LVL_LIBBPF_DEBUG : verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
}
