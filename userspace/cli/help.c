// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* lbctl help: the grammar of every object, printed to stdout (pipe to a pager). */
#include <stdio.h>
#include <string.h>
#include "cli/lbctl.h"

#define HELP_VIP \
	"VIP := { ADDR:PORT/PROTO | [ADDR6]:PORT/PROTO }   PROTO := { tcp | udp }   PORT 0 = every port\n"
#define HELP_DUR "DUR := N[ms|s|m]   (a bare number is milliseconds)\n"
#define HELP_OPTIONS                                                                        \
	"OPTIONS := { -j|--json [ -p|--pretty ] | -s|--stats | -d|--details | -q|--quiet\n" \
	"             | -f|--force (batch: go on past errors) | -S|--socket PATH\n"         \
	"             | -V|--version | -h|--help }\n"
#define HELP_EXIT                                                                   \
	"Exit status: 0 ok, 1 operation failed, 2 usage error (nothing changed),\n" \
	"             3 cannot reach lbd, 4 not found, 5 already exists\n"

static const char help_main[] =
	"Usage: lbctl [ OPTIONS ] OBJECT { COMMAND | help }\n"
	"       lbctl [ OPTIONS ] show                 (running config, as lbctl lines)\n"
	"       lbctl [ OPTIONS ] batch { FILE | - }   (one command per line)\n"
	"       lbctl [ OPTIONS ] apply [ --dry-run ] FILE   (replace the whole config)\n"
	"       lbctl version\n"
	"OBJECT := { vip | backend | policy | ratelimit | stats | flow | events | agent |\n"
	"            decap }\n" HELP_OPTIONS HELP_EXIT;

static const char help_vip[] =
	"Usage: lbctl vip add VIP [ sched { maglev | wrr | lc } ] [ encap { ipip | gue | l2 } ]\n"
	"                 [ hash { 5tuple | src } ] [ ring-size PRIME ] [ udp-idle DUR ] [ mtu N ]\n"
	"                 [ check { tcp | http | udp | none } ] [ check-via { direct | vip } ]\n"
	"                 [ check-port N ] [ path PATH ] [ host NAME ] [ expect CODES ]\n"
	"                 [ send TEXT ] [ receive TEXT ] [ interval DUR ] [ timeout DUR ]\n"
	"                 [ rise N ] [ fall N ] [ fail-ratio PCT ] [ fail-window N ] [ fail-min N ]\n"
	"                 [ init-state { down | up } ] [ eject-time DUR ]\n"
	"                 [ max-eject-time DUR ] [ half-open-flows N ] [ panic PCT ] [ max-eject PCT ]\n"
	"                 [ open-flows { keep | reselect } ] [ syn-burst N ]\n"
	"       lbctl vip set VIP { the same keywords }\n"
	"       lbctl vip del VIP\n"
	"       lbctl vip { show | list } [ VIP ]\n" HELP_VIP HELP_DUR
	"Defaults: sched maglev, encap ipip, hash 5tuple, ring-size 65537, udp-idle 30s,\n"
	"          mtu 1500, check none, interval 2s, timeout 1s, rise 2, fall 3,\n"
	"          expect 200-299 (http), eject-time 30s, max-eject-time 5m,\n"
	"          half-open-flows 3, panic 50, max-eject 50, open-flows keep, syn-burst 8,\n"
	"          init-state down (a new backend waits for its first successful check),\n"
	"          fail-ratio 0 (off; with it, fail-window 20 and fail-min 10 results)\n"
	"          (check-port: the backend's traffic port; host: the address)\n"
	"open-flows: what happens to existing flows of a backend whose breaker opens.\n"
	"syn-burst: SYN retransmissions (clients never answered) per second that count\n"
	"           as `fall` failures of a backend's breaker; 0 = off (tcp VIPs)\n"
	"CODES := STATUS[-STATUS][,...]   (HTTP statuses 100-599)\n";

static const char help_backend[] =
	"Usage: lbctl backend add VIP ADDR [ weight N ] [ port N ] [ mac MAC ]\n"
	"                         [ check { tcp | http | udp | none } ] [ check-port N ]\n"
	"       lbctl backend set VIP ADDR { weight N | port N | mac MAC | check KIND |\n"
	"                                    check-port N }...\n"
	"       lbctl backend drain VIP ADDR     (no new flows; existing flows stay)\n"
	"       lbctl backend enable VIP ADDR    (undo drain)\n"
	"       lbctl backend del VIP ADDR\n"
	"       lbctl backend { show | list } [ VIP ]\n" HELP_VIP
	"Defaults: weight 100 (1-65535); the next-hop MAC is resolved unless mac is given\n"
	"check / check-port override the VIP's check for this backend (check none: never\n"
	"checked, always up); the other check settings are the VIP's\n";

static const char help_stats[] = "Usage: lbctl stats show [ VIP ]\n" HELP_VIP;

static const char help_flow[] =
	"Usage: lbctl flow lookup VIP SRC_ADDR[:PORT]    ([SRC_ADDR6]:PORT for IPv6)\n"
	"       which backend this flow goes to, and why (flow-table or maglev)\n" HELP_VIP;

static const char help_events[] =
	"Usage: lbctl events             (health and breaker changes lbd remembers, oldest first)\n"
	"       lbctl events follow      (then keep printing new ones until interrupted)\n"
	"Each line: TIME VIP BACKEND KIND: FROM -> TO (REASON). KIND is health, state\n"
	"(the circuit breaker), refused (an ejection max-eject refused) or panic.\n"
	"lbd keeps the last 1024 events; -j prints an array (follow: one object per line).\n";

static const char help_policy[] =
	"Usage: lbctl policy add [ vip VIP ] { allow | deny } CIDR [ except CIDR[,CIDR...] ]\n"
	"                        [ proto { tcp | udp | icmp } ] [ ports N[-M][,...] ]\n"
	"       lbctl policy del [ vip VIP ] CIDR [ proto P ] [ ports ... ]\n"
	"       lbctl policy default [ vip VIP ] { allow | deny }\n"
	"       lbctl policy flush [ vip VIP ]      (without vip: the global rules)\n"
	"       lbctl policy { show | list } [ vip VIP ]\n" HELP_VIP
	"Source rules, as Kubernetes NetworkPolicy ipBlocks: a rule applies to sources in\n"
	"its CIDR and in none of its except blocks; of the rules that apply, the longest\n"
	"CIDR decides (same CIDR: rules with proto/ports first, then the older one); the\n"
	"first whose proto and destination ports match wins, else the default (allow).\n"
	"Global rules are evaluated first: a global deny drops; otherwise the VIP's rules\n"
	"decide. Host bits in a CIDR are accepted and cleared (10.1.2.3/8 is 10.0.0.0/8);\n"
	"a bare address is /32 or /128. ports without proto match tcp and udp. At most 8\n"
	"except blocks, 4 port ranges, and 8 rules that apply to one prefix. A rule is\n"
	"named by its scope, CIDR, proto and ports (del, duplicates). Only TCP/UDP packets\n"
	"to a VIP are filtered. show: each rule with its hits (packets it decided).\n"
	"In `lbctl batch`, policy and ratelimit lines are applied together at the end, or\n"
	"none of them when the batch stops at a failing line (with -f, failing lines are\n"
	"skipped and the others applied together).\n";

static const char help_ratelimit[] =
	"Usage: lbctl ratelimit set [ vip VIP ] [ pps N ] [ burst N ] [ new-flows N ]\n"
	"                           [ new-flows-burst N ] [ ceiling N ] [ ceiling-burst N ]\n"
	"                           [ prefix-len N ] [ prefix-len6 N ]\n"
	"       lbctl ratelimit del [ vip VIP ]\n"
	"       lbctl ratelimit { show | list } [ vip VIP ]\n" HELP_VIP
	"Per source (an IPv4 /prefix-len, default 32; an IPv6 /prefix-len6, default 64),\n"
	"globally or for one VIP: pps packets per second (burst), new-flows new flows per\n"
	"second (new-flows-burst). ceiling: new flows per second for the whole VIP (vip\n"
	"only; established flows are never limited by it). A burst not given is one\n"
	"second's worth (the rate). set changes only the keywords given; a rate of 0\n"
	"switches that limit off (all off: as del). Buckets live in\n"
	"an LRU table: when it is full, the least recently seen source starts over with\n"
	"a full burst (counted as rl_new_source in lbctl stats show).\n";

static const char help_show[] =
	"Usage: lbctl show\n"
	"The whole running configuration as lbctl command lines (the config and state\n"
	"file format, xlb.conf(5)): VIPs with their backends, then policy and rate\n"
	"limits, each with only its non-default keywords. Valid input to `lbctl batch`\n"
	"into an empty lbd, and to `lbctl apply`: `lbctl show > f; lbctl apply f`\n"
	"changes nothing. -j: an array of those lines as strings.\n";

static const char help_batch[] =
	"Usage: lbctl [ -f ] [ -q ] batch { FILE | - }\n"
	"Runs FILE's commands (-: stdin), one per line, over one connection; blank lines\n"
	"and # comments are skipped. Stops at the first failing line (`batch: line N`)\n"
	"and exits with its status; lines before it stay applied (use apply for all or\n"
	"nothing). -f: run every line, exit 1 if any failed. -q: no output per line.\n"
	"policy and ratelimit lines are applied together after the last line, or none of\n"
	"them if the batch stops. -j: an array of {\"line\", \"command\", \"output\"}.\n";

static const char help_apply[] =
	"Usage: lbctl apply [ --dry-run ] FILE\n"
	"Replaces the whole running configuration with FILE's (xlb.conf(5)). lbd parses\n"
	"and validates all of FILE first: an invalid file changes nothing and exits 2\n"
	"naming its line. Only the difference is applied; VIPs and backends in both keep\n"
	"their ids and flows.\n"
	"--dry-run: the same checks, then what would change, changing nothing:\n"
	"  + LINE   added          - LINE   removed\n"
	"  ~ LINE   changed in place (the old line follows)\n"
	"  -j: {\"changes\": [{\"op\", \"object\", \"line\", \"old\"}], \"added\",\n"
	"      \"removed\", \"changed\"}\n"
	"See also `lbd --check-config FILE` (no lbd needed).\n";

static const char help_version[] =
	"Usage: lbctl version    (also lbctl -V)\n"
	"Versions of lbctl and, if it answers, lbd: lbctl, bpf_abi, lbd, json_schema,\n"
	"ctl_proto. Exits 0 even when lbd cannot be reached (lbd: not reachable).\n";

static const char help_agent[] =
	"Usage: lbctl agent status\n"
	"       lbctl agent reload            (re-read lbd's --config and apply it, keeping\n"
	"                                      runtime drains; prints what changed)\n"
	"       lbctl agent stop [ detach ]   (stop lbd; detach also removes the program)\n";

static const char help_decap[] =
	"Usage: lbctl decap attach dev IFACE [ addr ADDR ]... [ gue-port N ]\n"
	"                          [ mode { native | generic } ]\n"
	"       lbctl decap detach dev IFACE\n"
	"       lbctl decap { show | list } [ dev IFACE ]\n"
	"Runs xlb_decap on a backend without lbd, in the current network namespace: the\n"
	"program stays attached after lbctl exits and nothing is pinned.\n"
	"attach: tunnel endpoints are the given addrs, else every address of this\n"
	"        namespace except loopback-interface, 127/8, ::1 and fe80::/10 ones (VIPs\n"
	"        on lo are not endpoints); re-run to refresh. An xlb_decap already on IFACE\n"
	"        is replaced atomically (detached first if the mode changes); any other\n"
	"        XDP program is refused. Defaults: mode native, gue-port 6080.\n"
	"Exit status: 0 ok, 1 kernel refused or another program attached,\n"
	"             2 usage error or no such IFACE, 4 xlb_decap not attached on IFACE\n";

int print_help(const char *object)
{
	static const struct {
		const char *name;
		const char *text;
	} t[] = { { "vip", help_vip },	       { "backend", help_backend },
		  { "stats", help_stats },     { "flow", help_flow },
		  { "events", help_events },   { "agent", help_agent },
		  { "policy", help_policy },   { "ratelimit", help_ratelimit },
		  { "decap", help_decap },     { "show", help_show },
		  { "batch", help_batch },     { "apply", help_apply },
		  { "version", help_version }, { NULL, help_main } };
	unsigned int i;

	for (i = 0; t[i].name; i++)
		if (object && !strcmp(object, t[i].name))
			break;
	if (object && !t[i].name)
		return -1;
	fputs(t[i].text, stdout);
	return 0;
}
