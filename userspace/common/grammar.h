/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The lbctl command grammar shared by lbctl, the lbd config and state files and
 * `lbctl show`: split a line into words, parse words into a struct gr_cmd, and
 * print a gr_cmd back as its one canonical line. Syntax only; the agent checks
 * semantics (ring-size primality, `path` without `check http`, existence,
 * max-eject-time below eject-time, `check-via vip`; for policy: except inside
 * its CIDR, icmp without ports, ceiling only with vip, chain lengths).
 */
#ifndef XLB_COMMON_GRAMMAR_H
#define XLB_COMMON_GRAMMAR_H

#include <stddef.h>
#include <stdint.h>
#include <xlb/types.h>
#include <xlb/policy_abi.h>
#include "cidr.h"
#include "limits.h"

#define GR_MAX_WORDS 64	    /* a sensible argv size for grammar_split */
#define GR_PATH_MAX 255	    /* longest health-check path, bytes */
#define GR_PAYLOAD_MAX 255  /* longest udp check send/receive text, bytes */
#define GR_HOST_MAX 255	    /* longest http check Host header value, bytes */
#define GR_EXPECT_MAX 8	    /* HTTP status ranges of `expect` */
#define GR_EXPECT_STRLEN 72 /* a printed `expect` value, NUL included */
#define GR_LINE_MAX 2048    /* every printed command fits */
#define GR_EXCEPT_MAX 8	    /* except blocks of one policy rule */

enum gr_object {
	GR_OBJ_ALL = 0, /* top-level `show`: the whole running config */
	GR_OBJ_VIP,
	GR_OBJ_BACKEND,
	GR_OBJ_STATS,
	GR_OBJ_FLOW,
	GR_OBJ_POLICY,
	GR_OBJ_RATELIMIT,
};

enum gr_verb {
	GR_VERB_SHOW = 0, /* alias list; also an object given alone */
	GR_VERB_ADD,
	GR_VERB_SET,
	GR_VERB_DEL, /* alias delete */
	GR_VERB_DRAIN,
	GR_VERB_ENABLE,
	GR_VERB_LOOKUP,
	GR_VERB_HELP,
	GR_VERB_FLUSH,	 /* policy flush */
	GR_VERB_DEFAULT, /* policy default */
};

enum gr_sched {
	GR_SCHED_MAGLEV = 0, /* == XLB_SCHED_MAGLEV */
	GR_SCHED_WRR,
	GR_SCHED_LC,
	__GR_SCHED_MAX,
};

/* encap values are XLB_ENCAP_IPIP/GUE/L2 from <xlb/consts.h> (names.h names) */

enum gr_hash {
	GR_HASH_5TUPLE = 0,
	GR_HASH_SRC, /* XLB_VIP_F_HASH_SRC */
	__GR_HASH_MAX,
};

enum gr_check {
	GR_CHECK_NONE = 0,
	GR_CHECK_TCP,
	GR_CHECK_HTTP,
	GR_CHECK_UDP,
	__GR_CHECK_MAX,
};

enum gr_open_flows {
	GR_OPEN_FLOWS_KEEP = 0, /* flows of an open backend stay on it */
	GR_OPEN_FLOWS_RESELECT, /* XLB_VIP_F_RESELECT_OPEN */
	__GR_OPEN_FLOWS_MAX,
};

enum gr_init {
	GR_INIT_DOWN = 0, /* a new backend waits for its first successful check */
	GR_INIT_UP,	  /* a new backend takes traffic at once; failures take it out */
	__GR_INIT_MAX,
};

enum gr_via {
	GR_VIA_DIRECT = 0, /* checks go to the backend's own address */
	GR_VIA_VIP,	   /* through the tunnel to the VIP on the backend (check tcp) */
	__GR_VIA_MAX,
};

/* One inclusive HTTP status range of `expect`; one code is lo == hi */
struct gr_range {
	uint16_t lo;
	uint16_t hi;
};

/* struct gr_opts.set: which keywords the command gave */
#define GR_OPT_SCHED (1U << 0)
#define GR_OPT_ENCAP (1U << 1)
#define GR_OPT_HASH (1U << 2)
#define GR_OPT_RING_SIZE (1U << 3)
#define GR_OPT_UDP_IDLE (1U << 4)
#define GR_OPT_MTU (1U << 5)
#define GR_OPT_CHECK (1U << 6)
#define GR_OPT_PATH (1U << 7)
#define GR_OPT_INTERVAL (1U << 8)
#define GR_OPT_TIMEOUT (1U << 9)
#define GR_OPT_RISE (1U << 10)
#define GR_OPT_FALL (1U << 11)
#define GR_OPT_WEIGHT (1U << 12)
#define GR_OPT_PORT (1U << 13)
#define GR_OPT_MAC (1U << 14)
#define GR_OPT_EJECT_TIME (1U << 15)
#define GR_OPT_MAX_EJECT_TIME (1U << 16)
#define GR_OPT_HALF_OPEN_FLOWS (1U << 17)
#define GR_OPT_PANIC (1U << 18)
#define GR_OPT_MAX_EJECT (1U << 19)
#define GR_OPT_EXPECT (1U << 20)
#define GR_OPT_SEND (1U << 21)
#define GR_OPT_RECEIVE (1U << 22)
#define GR_OPT_CHECK_VIA (1U << 23)
#define GR_OPT_HOST (1U << 24)
#define GR_OPT_CHECK_PORT (1U << 25)
#define GR_OPT_OPEN_FLOWS (1U << 26)
#define GR_OPT_SYN_BURST (1U << 27)
#define GR_OPT_INIT_STATE (1U << 28)
#define GR_OPT_FAIL_RATIO (1U << 29)
#define GR_OPT_FAIL_WINDOW (1U << 30)
#define GR_OPT_FAIL_MIN (1U << 31)

/* Keyword values; a field means something only when its bit is in set. */
struct gr_opts {
	uint32_t set; /* GR_OPT_* */
	uint32_t ring_size;
	uint32_t udp_idle_ms;
	uint32_t interval_ms;
	uint32_t timeout_ms;
	uint32_t eject_ms;     /* eject-time */
	uint32_t max_eject_ms; /* max-eject-time */
	uint16_t half_open_flows;
	uint16_t mtu;
	uint16_t weight;
	uint16_t port;	     /* backend port, host order */
	uint16_t check_port; /* port the check connects to, host order; 0 = traffic port */
	uint32_t syn_burst;  /* SYN retransmissions per second that trip a backend; 0 = off */
	uint8_t open_flows;  /* enum gr_open_flows */
	uint8_t init_state;  /* enum gr_init */
	uint8_t fail_ratio;  /* percent of failures in the window that trips; 0 = off */
	uint8_t fail_window; /* results the ratio looks at */
	uint8_t fail_min;    /* results needed before the ratio may trip */
	uint8_t sched;	     /* enum gr_sched */
	uint8_t encap;	     /* XLB_ENCAP_* */
	uint8_t hash;	     /* enum gr_hash */
	uint8_t check;	     /* enum gr_check */
	uint8_t rise;
	uint8_t fall;
	uint8_t panic_pct;
	uint8_t max_eject_pct;
	uint8_t check_via; /* enum gr_via */
	uint8_t nexpect;   /* ranges in expect; sorted, merged, disjoint */
	uint8_t mac[6];
	struct gr_range expect[GR_EXPECT_MAX];
	char path[GR_PATH_MAX + 1];
	char send[GR_PAYLOAD_MAX + 1];	  /* printable, no quotes */
	char receive[GR_PAYLOAD_MAX + 1]; /* printable, no quotes */
	char host[GR_HOST_MAX + 1];	  /* http Host header; "" = the address */
};

/* struct gr_cmd.args: which positional arguments were given */
#define GR_ARG_VIP (1U << 0)
#define GR_ARG_ADDR (1U << 1)
#define GR_ARG_SRC_PORT (1U << 2)
#define GR_ARG_ACTION (1U << 3) /* policy add/default: pol.action */
#define GR_ARG_CIDR (1U << 4)	/* policy add/del: pol.cidr */

/* struct gr_policy.set: which keywords a policy command gave */
#define GR_POL_EXCEPT (1U << 0)
#define GR_POL_PROTO (1U << 1)
#define GR_POL_PORTS (1U << 2)

/* policy add|del|default [vip VIP] ...: the VIP (scope) is gr_cmd.vip with
 * GR_ARG_VIP; without it the command is about the global rule set. */
struct gr_policy {
	uint32_t set;	  /* GR_POL_* */
	uint8_t action;	  /* GR_ARG_ACTION: XLB_POL_ALLOW / XLB_POL_DENY */
	uint8_t proto;	  /* GR_POL_PROTO: IPPROTO_TCP, IPPROTO_UDP or IPPROTO_ICMP */
	uint8_t nexcept;  /* GR_POL_EXCEPT: 1..GR_EXCEPT_MAX, sorted by cidr_cmp */
	uint8_t nports;	  /* GR_POL_PORTS: 1..XLB_POL_PORTS_MAX, sorted, merged, disjoint */
	struct cidr cidr; /* GR_ARG_CIDR: normalised (host bits cleared) */
	struct cidr except[GR_EXCEPT_MAX];
	struct gr_range ports[XLB_POL_PORTS_MAX]; /* destination ports, host order */
};

/* struct gr_ratelimit.set: which keywords `ratelimit set` gave */
#define GR_RL_PPS (1U << 0)
#define GR_RL_BURST (1U << 1) /* burst of pps */
#define GR_RL_NEW_FLOWS (1U << 2)
#define GR_RL_NEW_FLOWS_BURST (1U << 3)
#define GR_RL_CEILING (1U << 4)
#define GR_RL_CEILING_BURST (1U << 5)
#define GR_RL_PREFIX_LEN (1U << 6)
#define GR_RL_PREFIX_LEN6 (1U << 7)

/* ratelimit set [vip VIP] ...: rates per second, bursts in packets or flows */
struct gr_ratelimit {
	uint32_t set;		  /* GR_RL_* */
	uint32_t pps;		  /* per source: packets per second, 1..GR_RATE_MAX */
	uint32_t burst;		  /* of pps */
	uint32_t new_flows;	  /* per source: new flows per second */
	uint32_t new_flows_burst; /* of new-flows */
	uint32_t ceiling;	  /* whole VIP: new flows per second (vip only) */
	uint32_t ceiling_burst;	  /* of ceiling */
	uint8_t prefix_len;	  /* IPv4 source prefix one bucket covers: 1-32 */
	uint8_t prefix_len6;	  /* IPv6: 1-128 */
	uint8_t pad[2];
};

struct gr_cmd {
	enum gr_object obj;
	enum gr_verb verb;
	uint32_t args;		/* GR_ARG_* */
	struct xlb_vip_key vip; /* GR_ARG_VIP */
	struct xlb_addr addr;	/* GR_ARG_ADDR: backend address, or flow source */
	uint16_t src_port;	/* GR_ARG_SRC_PORT: flow lookup source port, host order */
	struct gr_opts opt;
	struct gr_policy pol;	/* obj GR_OBJ_POLICY */
	struct gr_ratelimit rl; /* obj GR_OBJ_RATELIMIT */
};

/* Split line in place into words. Blanks separate words; '#' outside quotes
 * starts a comment; "double quotes" make one word of what they enclose (no
 * escapes; the closing quote must end the word). A blank or comment-only line
 * gives *argc = 0. At most max words. 0 or -EINVAL with err set.
 */
int grammar_split(char *line, char **argv, int max, int *argc, char *err, size_t errlen);

/* Parse OBJECT VERB ARGS... (no "lbctl", no global options) into *c, which is
 * zeroed first, so two parses of equivalent commands are memcmp-equal.
 * 0 or -EINVAL with a message naming the offending word in err.
 */
int grammar_parse(int argc, char *const argv[], struct gr_cmd *c, char *err, size_t errlen);

/* The canonical line of c: keywords in grammar order, only those in set,
 * canonical values. grammar_split + grammar_parse of it give back c.
 * 0, -EINVAL on a value out of any table, -ENOSPC if len is too small.
 */
int grammar_print(const struct gr_cmd *c, char *buf, size_t len);

/* grammar_print of @cmd handed to @emit (config and policy printers):
 * @emit's result, or grammar_print's error */
int grammar_emit(const struct gr_cmd *cmd, int (*emit)(void *arg, const char *line), void *arg);

/* "vip", "backend", ... and "show", "add", ...: for messages and help */
const char *gr_object_name(enum gr_object obj);
const char *gr_verb_name(enum gr_verb verb);
/* Value names of the keyword enums; NULL when out of range */
const char *gr_sched_name(unsigned int v);
const char *gr_hash_name(unsigned int v);
const char *gr_check_name(unsigned int v);
const char *gr_via_name(unsigned int v);
const char *gr_open_flows_name(unsigned int v);
const char *gr_init_name(unsigned int v);
/* "allow" / "deny" for XLB_POL_*; "tcp", "udp", "icmp" for IPPROTO_* */
const char *gr_action_name(unsigned int v);
const char *gr_proto_name(unsigned int v);

/* "200-299,301": the canonical text of n ranges. 0, -EINVAL or -ENOSPC. */
int gr_expect_format(const struct gr_range *r, unsigned int n, char *buf, size_t len);
/* Port ranges "80,443-444" (1..XLB_POL_PORTS_MAX ranges) and except lists
 * "10.1.0.0/16,10.2.0.0/16" (1..GR_EXCEPT_MAX): 0, -EINVAL or -ENOSPC */
int gr_ports_format(const struct gr_range *r, unsigned int n, char *buf, size_t len);
int gr_except_format(const struct cidr *c, unsigned int n, char *buf, size_t len);

#endif /* XLB_COMMON_GRAMMAR_H */
