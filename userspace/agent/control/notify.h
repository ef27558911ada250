/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* notify: lbd's side of systemd's service protocol (sd_notify(3)): readiness
 * once the control socket serves, reloads, stopping, the watchdog and a status
 * line for `systemctl status`. Every call is a no-op when NOTIFY_SOCKET is unset
 * (lbd run by hand, by a script or by another supervisor), and when lbd was
 * built without libsystemd (configure found no libsystemd-dev): then a set
 * NOTIFY_SOCKET is warned about once, since a Type=notify unit would time out.
 */
#ifndef XLB_AGENT_NOTIFY_H
#define XLB_AGENT_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* READY=1 and STATUS=@status: start-up (or a reload) is complete */
void notify_ready(const char *status);
/* RELOADING=1: a reload has started; follow it with notify_ready() */
void notify_reloading(void);
/* STOPPING=1 with STATUS=@status */
void notify_stopping(const char *status);
/* The watchdog interval systemd asked for (WatchdogSec=), in ms; 0 if none */
uint64_t notify_watchdog_ms(void);
/* WATCHDOG=1: the event loop is alive */
void notify_watchdog(void);
/* Whether lbd was built with libsystemd */
bool notify_supported(void);

#endif /* XLB_AGENT_NOTIFY_H */
