// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Pure value parsers and formatters (addresses, VIPs, ports, durations, MACs).
 * Hand-written digit loops instead of strtoul, so signs, blanks, hex, octal and
 * overflow never slip through.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "errmsg.h"
#include "parse.h"

/* Longest token quoted back in a message: input may come from a socket */
#define TOKMAX 64
#define MS_PER_S 1000ULL
#define MS_PER_M 60000ULL

/* Plain decimal, no sign, no leading zero, no overflow. 0 on success. */
static int dec_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || (s[0] == '0' && n > 1))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned int)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int parse_uint(const char *s, const char *name, uint64_t min, uint64_t max, uint64_t *out,
	       char *err, size_t errlen)
{
	uint64_t v;

	if (dec_u64(s, strlen(s), &v) || v < min || v > max)
		return errmsg(-EINVAL, err, errlen, "invalid %s '%.*s': must be %llu-%llu", name,
			      TOKMAX, s, (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

static int port_range(const char *s, uint16_t *port, uint64_t min, char *err, size_t errlen)
{
	uint64_t v;
	int ret;

	ret = parse_uint(s, "port", min, 65535, &v, err, errlen);
	if (!ret)
		*port = (uint16_t)v;
	return ret;
}

int parse_port(const char *s, uint16_t *port, char *err, size_t errlen)
{
	return port_range(s, port, 1, err, errlen);
}

int parse_port0(const char *s, uint16_t *port, char *err, size_t errlen)
{
	return port_range(s, port, 0, err, errlen);
}

int parse_proto(const char *s, uint8_t *proto, char *err, size_t errlen)
{
	if (!strcmp(s, "tcp"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(s, "udp"))
		*proto = IPPROTO_UDP;
	else
		return errmsg(-EINVAL, err, errlen, "invalid protocol '%.*s': must be tcp or udp",
			      TOKMAX, s);
	return 0;
}

static int is_v4_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, prefix, sizeof(prefix));
}

int parse_addr(const char *s, struct xlb_addr *out, char *err, size_t errlen)
{
	struct xlb_addr a;

	memset(&a, 0, sizeof(a));
	if (!*s)
		return errmsg(-EINVAL, err, errlen, "invalid address '': empty");
	/* inet_pton rejects blanks, zone ids, short IPv4 forms and leading zeros */
	if (strchr(s, ':')) {
		if (strlen(s) >= PARSE_ADDR_STRLEN || inet_pton(AF_INET6, s, a.addr) != 1)
			return errmsg(-EINVAL, err, errlen,
				      "invalid address '%.*s': not an IPv6 address", TOKMAX, s);
		if (is_v4_mapped((const uint8_t *)a.addr)) {
			char v4[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &a.addr[3], v4, sizeof(v4));
			return errmsg(-EINVAL, err, errlen,
				      "invalid address '%.*s': IPv4-mapped IPv6, write %s instead",
				      TOKMAX, s, v4);
		}
		a.family = XLB_FAMILY_V6;
	} else {
		if (strlen(s) >= INET_ADDRSTRLEN || inet_pton(AF_INET, s, a.addr) != 1)
			return errmsg(-EINVAL, err, errlen,
				      "invalid address '%.*s': not an IPv4 address", TOKMAX, s);
		a.family = XLB_FAMILY_V4;
	}
	*out = a;
	return 0;
}

int parse_vip(const char *s, struct xlb_vip_key *out, char *err, size_t errlen)
{
	char buf[PARSE_VIP_STRLEN];
	char sub[PARSE_VIP_STRLEN + 64];
	struct xlb_vip_key k;
	struct xlb_addr a;
	char *addr, *port, *proto, *p;
	uint16_t portnum;

	memset(&k, 0, sizeof(k));
	if (strlen(s) >= sizeof(buf))
		return errmsg(-EINVAL, err, errlen, "invalid vip '%.*s': too long", TOKMAX, s);
	strcpy(buf, s);

	proto = strrchr(buf, '/');
	if (!proto)
		return errmsg(-EINVAL, err, errlen,
			      "invalid vip '%s': missing '/tcp' or '/udp' (VIP is ADDR:PORT/PROTO)",
			      s);
	*proto++ = '\0';

	if (buf[0] == '[') {
		addr = buf + 1;
		p = strchr(addr, ']');
		if (!p)
			return errmsg(-EINVAL, err, errlen, "invalid vip '%s': missing ']'", s);
		*p++ = '\0';
		if (*p != ':')
			return errmsg(-EINVAL, err, errlen,
				      "invalid vip '%s': missing ':PORT' after ']' (VIP is "
				      "[ADDR6]:PORT/PROTO)",
				      s);
		port = p + 1;
		if (!strchr(addr, ':'))
			return errmsg(-EINVAL, err, errlen,
				      "invalid vip '%s': brackets are for IPv6 addresses only", s);
	} else {
		p = strchr(buf, ':');
		if (!p)
			return errmsg(-EINVAL, err, errlen,
				      "invalid vip '%s': missing ':PORT' (VIP is ADDR:PORT/PROTO)",
				      s);
		if (strchr(p + 1, ':'))
			return errmsg(-EINVAL, err, errlen,
				      "invalid vip '%s': write an IPv6 address in brackets, like "
				      "[2001:db8::10]:80/tcp",
				      s);
		*p = '\0';
		addr = buf;
		port = p + 1;
	}

	if (parse_addr(addr, &a, sub, sizeof(sub)))
		return errmsg(-EINVAL, err, errlen, "%s in vip '%s'", sub, s);
	if (parse_port0(port, &portnum, sub, sizeof(sub)))
		return errmsg(-EINVAL, err, errlen,
			      "invalid port '%s' in vip '%s': must be 0-65535", port, s);
	if (parse_proto(proto, &k.proto, sub, sizeof(sub)))
		return errmsg(-EINVAL, err, errlen,
			      "invalid protocol '%s' in vip '%s': must be tcp or udp", proto, s);
	memcpy(k.addr, a.addr, sizeof(k.addr));
	k.family = a.family;
	k.port = htons(portnum);
	*out = k;
	return 0;
}

int parse_addr_port(const char *s, struct xlb_addr *addr, uint16_t *port, char *err, size_t errlen)
{
	char buf[PARSE_ADDR_STRLEN + 8];
	char sub[sizeof(buf) + 128];
	const char *ps = NULL;
	struct xlb_addr a;
	uint16_t pn = 0;
	char *p;

	if (strlen(s) >= sizeof(buf))
		return errmsg(-EINVAL, err, errlen, "invalid address '%.*s': too long", TOKMAX, s);
	strcpy(buf, s);
	if (buf[0] == '[') {
		p = strchr(buf, ']');
		if (!p)
			return errmsg(-EINVAL, err, errlen, "invalid address '%s': missing ']'", s);
		*p++ = '\0';
		if (*p == ':')
			ps = p + 1;
		else if (*p)
			return errmsg(-EINVAL, err, errlen, "invalid address '%s': junk after ']'",
				      s);
		if (!strchr(buf + 1, ':'))
			return errmsg(-EINVAL, err, errlen,
				      "invalid address '%s': brackets are for IPv6 addresses only",
				      s);
		p = buf + 1;
	} else {
		p = strchr(buf, ':');
		/* one colon: IPv4:PORT; more: a bare IPv6 address */
		if (p && !strchr(p + 1, ':')) {
			*p = '\0';
			ps = p + 1;
		}
		p = buf;
	}
	if (parse_addr(p, &a, sub, sizeof(sub)))
		return errmsg(-EINVAL, err, errlen, "%s", sub);
	if (ps && parse_port(ps, &pn, sub, sizeof(sub)))
		return errmsg(-EINVAL, err, errlen, "invalid port '%s' in '%s': must be 1-65535",
			      ps, s);
	*addr = a;
	*port = pn;
	return 0;
}

static int dur_split(const char *s, uint64_t *ms)
{
	size_t n = strspn(s, "0123456789");
	const char *unit = s + n;
	uint64_t v, mul;
	int ret;

	if (!*unit || !strcmp(unit, "ms"))
		mul = 1;
	else if (!strcmp(unit, "s"))
		mul = MS_PER_S;
	else if (!strcmp(unit, "m"))
		mul = MS_PER_M;
	else
		return -ENOENT;
	ret = dec_u64(s, n, &v);
	if (ret)
		return ret;
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	*ms = v * mul;
	return 0;
}

void format_dur_bound(uint64_t ms, char *buf, size_t len)
{
	if (ms && ms % (3600 * MS_PER_S) == 0)
		snprintf(buf, len, "%lluh", (unsigned long long)(ms / (3600 * MS_PER_S)));
	else
		format_dur(ms, buf, len);
}

int parse_dur_range(const char *s, const char *name, uint64_t min_ms, uint64_t max_ms, uint64_t *ms,
		    char *err, size_t errlen)
{
	char lo[PARSE_DUR_STRLEN], hi[PARSE_DUR_STRLEN];
	uint64_t v = 0;
	int ret;

	ret = dur_split(s, &v);
	if (ret == -ENOENT)
		return errmsg(-EINVAL, err, errlen, "invalid %s '%.*s': unit must be ms, s or m",
			      name, TOKMAX, s);
	if (ret == -ERANGE)
		return errmsg(-EINVAL, err, errlen, "invalid %s '%.*s': too large", name, TOKMAX,
			      s);
	if (ret)
		return errmsg(-EINVAL, err, errlen,
			      "invalid %s '%.*s': must be a decimal number with an optional unit "
			      "ms, s or m",
			      name, TOKMAX, s);
	if (v < min_ms || v > max_ms) {
		format_dur_bound(min_ms, lo, sizeof(lo));
		format_dur_bound(max_ms, hi, sizeof(hi));
		return errmsg(-EINVAL, err, errlen, "invalid %s '%.*s': must be %s-%s", name,
			      TOKMAX, s, lo, hi);
	}
	*ms = v;
	return 0;
}

int parse_dur(const char *s, uint64_t *ms, char *err, size_t errlen)
{
	return parse_dur_range(s, "duration", 0, UINT64_MAX, ms, err, errlen);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int parse_mac(const char *s, uint8_t mac[6], char *err, size_t errlen)
{
	static const uint8_t zero[6];
	uint8_t m[6];
	int i;

	if (strlen(s) != 17)
		goto bad;
	for (i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			goto bad;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	if ((m[0] & 1) || !memcmp(m, zero, sizeof(m)))
		return errmsg(-EINVAL, err, errlen, "invalid mac '%s': must be a unicast address",
			      s);
	memcpy(mac, m, sizeof(m));
	return 0;
bad:
	return errmsg(-EINVAL, err, errlen, "invalid mac '%.*s': must be like aa:bb:cc:dd:ee:ff",
		      TOKMAX, s);
}

/* snprintf result to 0 / -ENOSPC */
static int fmt_ret(int n, size_t len)
{
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= len ? -ENOSPC : 0;
}

/* RFC 5952 text of an IPv6 address: lowercase, no leading zeros, the longest
 * (first on a tie) run of two or more zero groups as "::". Never the dotted
 * IPv4 tail glibc's inet_ntop prints for ::a.b.c.d (mapped ones are rejected
 * at parse time anyway).
 */
static void fmt6(const __be32 *addr, char *out)
{
	const uint8_t *b = (const uint8_t *)addr;
	int best = -1, bestlen = 1, run = 0, i;
	uint16_t g[8];
	char *p = out;

	for (i = 0; i < 8; i++) {
		g[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
		run = g[i] ? 0 : run + 1;
		if (run > bestlen) {
			bestlen = run;
			best = i - run + 1;
		}
	}
	for (i = 0; i < 8; i++) {
		if (i == best) {
			p += sprintf(p, "::");
			i += bestlen - 1;
			continue;
		}
		p += sprintf(p, "%s%x", (i == 0 || i == best + bestlen) ? "" : ":", g[i]);
	}
	*p = '\0';
}

int format_addr(const struct xlb_addr *addr, char *buf, size_t len)
{
	char tmp[PARSE_ADDR_STRLEN];

	if (addr->family == XLB_FAMILY_V4) {
		if (!inet_ntop(AF_INET, addr->addr, tmp, sizeof(tmp)))
			return -EINVAL;
	} else if (addr->family == XLB_FAMILY_V6) {
		fmt6(addr->addr, tmp);
	} else {
		return -EINVAL;
	}
	return fmt_ret(snprintf(buf, len, "%s", tmp), len);
}

int format_addr_port(const struct xlb_addr *addr, uint16_t port, char *buf, size_t len)
{
	char a[PARSE_ADDR_STRLEN];
	int ret;

	ret = format_addr(addr, a, sizeof(a));
	if (ret)
		return ret;
	if (!port)
		return fmt_ret(snprintf(buf, len, "%s", a), len);
	if (addr->family == XLB_FAMILY_V6)
		return fmt_ret(snprintf(buf, len, "[%s]:%u", a, port), len);
	return fmt_ret(snprintf(buf, len, "%s:%u", a, port), len);
}

int format_vip(const struct xlb_vip_key *key, char *buf, size_t len)
{
	char ap[PARSE_ADDR_STRLEN];
	struct xlb_addr a;
	const char *proto;
	int ret;

	if (key->proto == IPPROTO_TCP)
		proto = "tcp";
	else if (key->proto == IPPROTO_UDP)
		proto = "udp";
	else
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	memcpy(a.addr, key->addr, sizeof(a.addr));
	a.family = key->family;
	ret = format_addr(&a, ap, sizeof(ap));
	if (ret)
		return ret;
	if (a.family == XLB_FAMILY_V6)
		return fmt_ret(snprintf(buf, len, "[%s]:%u/%s", ap, ntohs(key->port), proto), len);
	return fmt_ret(snprintf(buf, len, "%s:%u/%s", ap, ntohs(key->port), proto), len);
}

int format_dur(uint64_t ms, char *buf, size_t len)
{
	unsigned long long v = (unsigned long long)ms;

	if (ms && ms % MS_PER_M == 0)
		return fmt_ret(snprintf(buf, len, "%llum", v / MS_PER_M), len);
	if (ms && ms % MS_PER_S == 0)
		return fmt_ret(snprintf(buf, len, "%llus", v / MS_PER_S), len);
	return fmt_ret(snprintf(buf, len, "%llums", v), len);
}

int format_mac(const uint8_t mac[6], char *buf, size_t len)
{
	return fmt_ret(snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
				mac[3], mac[4], mac[5]),
		       len);
}
