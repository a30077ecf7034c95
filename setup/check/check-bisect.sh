#!/usr/bin/env bash
# make check: run.sh --bisect answers git bisect's three ways, one short
# guest boot each (no NVDIMM, one case):
#   0    a case that passes (selftest-harness/pass) on $PINRACE_CHECK_BISECT_KERNEL
#   1    a case that fails: a read-only MR over page cache goes stale after
#        truncate on every kernel (an xfail: the known bug still shows); the
#        self-tests now pass when they catch their fault, so none fails
#   125  a kernel that cannot run the case: dmabuf-pin's udmabuf case on
#        $PINRACE_CHECK_BISECT_OLD_KERNEL (6.1 has no udmabuf: it skips)
# Each prints "ok - ..." or "not ok - ..." with the verdict line. Boots
# nothing when PINRACE_CHECK_KERNELS is set empty (check.sh's native part).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=check-bisect
. "$top/setup/run/common.sh"

if [ -n "${PINRACE_CHECK_KERNELS-x}" ]; then :; else
	echo "ok - --bisect's three answers # SKIP PINRACE_CHECK_KERNELS is empty: no guest boots"
	exit 0
fi
good=${PINRACE_CHECK_BISECT_KERNEL:-debian:trixie}
old=${PINRACE_CHECK_BISECT_OLD_KERNEL:-debian:bookworm}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export PINRACE_NVDIMM_SIZE=0

bisect() { # WANT WHAT RUN.SH-ARGS...
	local want=$1 what=$2 rc line
	shift 2
	"$top/run.sh" --bisect --results "$out" "$@" >"$out/stdout" 2>"$out/stderr"
	rc=$?
	line=$(grep -m1 '^bisect: ' "$out/stdout")
	if [ "$rc" = "$want" ] && [ -n "$line" ]; then
		echo "ok - --bisect $what: exit $rc, $line"
	else
		echo "not ok - --bisect $what: exit $rc (want $want), ${line:-no verdict line}: $(tail -n3 "$out/stderr" | tr '\n' ' ')"
	fi
}

bisect 0 "a passing case on $good" --kernel "$good" --tests selftest-harness --case pass
bisect 1 "a failing case on $good" --kernel "$good" --tests mr-pagecache-truncate --case 'pagecache/pinned-ro/truncate-extend'
bisect 125 "a kernel that cannot run the case ($old)" --kernel "$old" --tests dmabuf-pin --case 'pinned-rw/udmabuf-mmap'
