// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* systemd readiness and status through libsystemd's sd_notify(); compiled to
 * stubs without it (XLB_HAVE_LIBSYSTEMD unset by scripts/configure.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent/control/notify.h"
#include "common/log.h"

#ifdef XLB_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>

bool notify_supported(void)
{
	return true;
}

static void send_state(const char *what, const char *state)
{
	int ret;

	if (!getenv("NOTIFY_SOCKET"))
		return;
	ret = sd_notify(0, state);
	if (ret < 0)
		pr_warn("notify: cannot tell systemd %s: %s", what, strerror(-ret));
	else
		pr_debug("notify: %s sent to systemd", what);
}

uint64_t notify_watchdog_ms(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec / 1000 ?: 1;
}

void notify_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1"); /* every second: not logged */
}
#else
bool notify_supported(void)
{
	return false;
}

static void send_state(const char *what, const char *state)
{
	static bool warned;

	(void)state;
	if (!getenv("NOTIFY_SOCKET") || warned)
		return;
	warned = true;
	pr_warn("notify: NOTIFY_SOCKET is set but lbd was built without libsystemd: cannot "
		"send %s (rebuild with libsystemd-dev, or use Type=simple)",
		what);
}

uint64_t notify_watchdog_ms(void)
{
	return 0;
}

void notify_watchdog(void)
{
}
#endif

void notify_ready(const char *status)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "READY=1\nSTATUS=%s", status);
	send_state("readiness", buf);
}

void notify_reloading(void)
{
	send_state("reloading", "RELOADING=1\nSTATUS=reloading the configuration");
}

void notify_stopping(const char *status)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "STOPPING=1\nSTATUS=%s", status);
	send_state("stopping", buf);
}
