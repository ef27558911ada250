/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The BPF <-> userspace contract: ABI version, map names and pin layout.
 * Bump XLB_ABI_VERSION on any change to a shared struct, map or enum meaning.
 */
#ifndef XLB_ABI_H
#define XLB_ABI_H

/* Compiled into the object (rodata) and part of the pin path, so lbd never
 * reuses maps pinned by an incompatible build.
 */
#define XLB_ABI_VERSION 2

#define XLB_STR_(x) #x
#define XLB_STR(x) XLB_STR_(x)

/* Pins live under <pin-dir>/v<ABI>/, default /sys/fs/bpf/xlb/v1/ */
#define XLB_PIN_ROOT_DEFAULT "/sys/fs/bpf/xlb"
#define XLB_PIN_SUBDIR "v" XLB_STR(XLB_ABI_VERSION)

/* Map names: lowercase, xlb_ prefix, at most 15 characters (BPF_OBJ_NAME_LEN). */
#define XLB_MAP_VIPS "xlb_vips"
#define XLB_MAP_VIP_ADDRS "xlb_vip_addrs"
#define XLB_MAP_BACKENDS "xlb_backends"
#define XLB_MAP_RINGS "xlb_rings"
#define XLB_MAP_RING_SIG "xlb_ring_sig"
#define XLB_MAP_FLOWS "xlb_flows"
#define XLB_MAP_FRAGS "xlb_frags"
#define XLB_MAP_CONFIG "xlb_config"
#define XLB_MAP_TX_PORTS "xlb_tx_ports"
#define XLB_MAP_COUNTERS "xlb_counters"
#define XLB_MAP_VIP_STATS "xlb_vip_stats"
#define XLB_MAP_BE_STATS "xlb_be_stats"
#define XLB_MAP_FLOOD "xlb_flood"
#define XLB_MAP_ICMP_TB "xlb_icmp_tb"
#define XLB_MAP_WRR_POS "xlb_wrr_pos"
#define XLB_MAP_BE_ACTIVE "xlb_be_active"
#define XLB_MAP_LC_SETS "xlb_lc_sets"
#define XLB_MAP_BE_BRK "xlb_be_brk"
#define XLB_MAP_BE_PASV "xlb_be_pasv"
#define XLB_MAP_DECAP_ADDRS "xlb_dcap_addrs"
#define XLB_MAP_DECAP_CNT "xlb_dcap_cnt"

/* Program names as they appear in bpftool and pins */
#define XLB_PROG_XDP "xlb_xdp"
#define XLB_PROG_DECAP "xlb_decap"

#endif /* XLB_ABI_H */
