#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Fails if a BPF object source pulls in a glibc header (sys/, bits/, gnu/ under
# /usr/include or its multiarch dir, or features.h). Those are written for the host's
# ABIs, not for -target bpf: <gnu/stubs.h> then asks for gnu/stubs-32.h, which only
# the i386 libc headers ship, so the build breaks on a machine without them.
#
# Usage: bash scripts/check-bpf-includes.sh CLANG_FLAGS... -- FILE...
#   (`make check` runs it with $(BPF_CFLAGS) $(CLANG_BPF_SYS_INCLUDES) on bpf/*.bpf.c
#   and bench/*.bpf.c; CLANG=clang by default)
# Prints, for each offending FILE, the first glibc header and the chain of includes
# that reached it; exit status 1 if any file has one, 2 if clang cannot list them.
set -uo pipefail

CLANG=${CLANG:-clang}
flags=()
while (($#)) && [[ $1 != -- ]]; do
	flags+=("$1")
	shift
done
if [[ ${1:-} != -- ]] || (($# < 2)); then
	echo "usage: $0 CLANG_FLAGS... -- FILE..." >&2
	exit 2
fi
shift

GLIBC_RE='^/usr/include/([^/]*-linux-[^/]*/)?(sys|bits|gnu)/|^/usr/include/features\.h$'
bad=0
for src in "$@"; do
	# -M -MG: preprocess only and treat a missing header (stubs-32.h) as found, so the
	# list is complete even where the build would fail; -H prints the include tree
	# (one dot per level) on stderr.
	if ! tree=$("$CLANG" "${flags[@]}" -M -MG -H "$src" 2>&1 >/dev/null); then
		printf '%s\n' "$tree" >&2
		echo "check-bpf-includes: $src: $CLANG cannot list its includes" >&2
		exit 2
	fi
	if ! printf '%s\n' "$tree" | awk -v src="$src" -v re="$GLIBC_RE" '
		/^\.+ / {
			depth = index($0, " ") - 1
			path = substr($0, depth + 2)
			stack[depth] = path
			if (path ~ re) {
				n++
				if (n == 1) {
					chain = src
					for (i = 1; i < depth; i++)
						chain = chain " -> " stack[i]
					first = path
				}
			}
		}
		END {
			if (!n)
				exit 0
			printf "check-bpf-includes: %s: includes glibc header %s (%d glibc headers in all)\n",
				src, first, n
			printf "  via %s\n", chain
			exit 1
		}' >&2; then
		bad=1
	fi
done
if ((bad)); then
	echo "check-bpf-includes: BPF code must use UAPI headers only (define what glibc would give; see bpf/lib/icmphdr.h)" >&2
	exit 1
fi
exit 0
