/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Compiler helpers for BPF code: inlining, branch hints, build-time asserts. */
#ifndef XLB_BPF_COMPILER_H
#define XLB_BPF_COMPILER_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#define XLB_BUILD_BUG_ON(cond) _Static_assert(!(cond), "build bug: " #cond)

/* Stops the compiler from merging or reordering around it (verifier-friendly bounds) */
#define barrier() asm volatile("" ::: "memory")
#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif

#ifdef XLB_DEBUG
#define xlb_dbg(fmt, ...) bpf_printk(fmt, ##__VA_ARGS__)
#else
#define xlb_dbg(fmt, ...) \
	do {              \
	} while (0)
#endif

#endif /* XLB_BPF_COMPILER_H */
