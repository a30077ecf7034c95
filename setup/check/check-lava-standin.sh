#!/usr/bin/env bash
# `make check`: LAVA's step (setup/lava/pinrace.sh) reports a run the way
# LAVA needs it, without LAVA and without booting anything:
#   setup/check/check-lava-standin.sh RUN
# A stand-in run.sh hands pinrace.sh a copy of RUN's first kernel as its
# run folder (a folder with kernels.tsv); a
# stand-in lava-test-case records each call; stand-in mkfs.xfs, mount,
# modprobe and rdma record whether anything was formatted or set up.
# Checks: one call per case of RUN's results.jsonl, each named
# pinrace.TEST.CASE (no "/", nothing LAVA or KCIDB refuses) with the result
# its status means (pass, xpass: pass; fail, xfail, error, flaky: fail;
# skip: skip; a self-test: pass when it caught its fault); run.sh called
# with --host and the options given; nothing formatted or mounted that no
# option named; the run folder attached to the log; and a run.sh that ends
# without results is one failing case "pinrace.run".
# Prints "ok - ..." / "not ok - ..." lines; exit 1 when one is not ok.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=check-lava-standin
. "$top/setup/run/common.sh"
. "$top/setup/reports/results-lib.sh"

run=${1:?usage: check-lava-standin.sh RUN}
[ -d "$run" ] || die 2 "$run: no such folder"
run=$(cd "$run" && pwd)
bad=0

w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
# The stand-in suite: the real helpers, a run.sh that "runs" by copying
# RUN's first kernel (--host runs one: the host's).
mkdir -p "$w/suite" "$w/bin"
ln -s "$top/setup" "$w/suite/setup"
cat >"$w/suite/run.sh" <<'EOF'
#!/bin/bash
printf '%s\n' "$@" >"$STANDIN/run.args"
[ -z "${STANDIN_RUN:-}" ] && exit 4
while [ $# -gt 0 ]; do [ "$1" != --results ] || results=$2; shift; done
r=$results/standin-run k=$(cut -f1 "$STANDIN_RUN/kernels.tsv" | head -n1)
mkdir -p "$r" && head -n1 "$STANDIN_RUN/kernels.tsv" >"$r/kernels.tsv" &&
	cp -a "$STANDIN_RUN/$k" "$r/" && ln -sfn standin-run "$results/latest"
exit 1
EOF
cat >"$w/bin/lava-test-case" <<'EOF'
#!/bin/bash
echo "$*" >>"$STANDIN/calls"
EOF
for c in mkfs.xfs mount modprobe rdma; do
	printf '#!/bin/bash\necho "%s $*" >>"$STANDIN/touched"\n' "$c" >"$w/bin/$c"
done
chmod +x "$w/suite/run.sh" "$w/bin"/*
export STANDIN=$w
lava() { # OUT [OPTION...]: pinrace.sh with the stand-ins
	local out=$1
	shift
	PATH="$w/bin:$PATH" LAVA_TEST_CASE="$w/bin/lava-test-case" \
		bash "$top/setup/lava/pinrace.sh" --suite "$w/suite" --results "$w/results" "$@" >"$out" 2>&1
}

STANDIN_RUN=$run lava "$w/out" --tests 'mr-*' --scratch /mnt/scratch --dax /mnt/dax \
	--device mlx5_0 --format-scratch '' --format-dax '' --attach log
rc=$?
# What each case must be reported as, from results.jsonl's own words.
want=$(run_records "$w/results/standin-run" | jq -r "$RESULTS_JQ"'
	{pass: "pass", xpass: "pass", fail: "fail", xfail: "fail", error: "fail", flaky: "fail", skip: "skip"} as $m
	| (if role == "selftest" and .status != "skip" then (if caught then "pass" else "fail" end)
	   else $m[.status] end) as $r
	| "pinrace.\(.test).\(.case | gsub("/"; ".")) --result \($r)"' | sort)
got=$(sort "$w/calls" 2>/dev/null)
n=$(grep -c . <<<"$want")
[ $rc -eq 0 ] && [ "$(grep -c . <<<"$got")" -eq "$n" ] && [ "$n" -gt 0 ]
say $? "pinrace.sh: one lava-test-case call per case ($(grep -c . <<<"$got") calls, $n cases), exit $rc"
# Names as the suite writes them may hold characters LAVA refuses: compare
# after mapping those the same way on both sides.
norm() { sed -E 's/[^A-Za-z0-9_. -]/_/g' <<<"$1" | sort; }
diff <(norm "$want") <(norm "$got") >"$w/diff"
say $? "pinrace.sh: each case named pinrace.TEST.CASE with its result$([ -s "$w/diff" ] && echo ": $(head -n4 "$w/diff" | paste -sd' ')")"
! cut -d' ' -f1 "$w/calls" | grep -vE '^pinrace\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$' | grep -q . &&
	[ "$(cut -d' ' -f1 "$w/calls" | sort | uniq -d | wc -l)" -eq 0 ]
say $? "pinrace.sh: every name unique and made of [A-Za-z0-9_-] parts joined by dots"
printf '%s\n' --host --tests 'mr-*' --scratch /mnt/scratch --dax /mnt/dax --device mlx5_0 >"$w/want.args"
grep -qxFf "$w/want.args" "$w/run.args" && [ "$(grep -cxFf "$w/want.args" "$w/run.args")" -eq "$(wc -l <"$w/want.args")" ] &&
	grep -qx -- --kcidb "$w/run.args"
say $? "pinrace.sh: ./run.sh $(paste -sd' ' "$w/run.args")"
[ ! -e "$w/touched" ]
say $? "pinrace.sh: nothing formatted, mounted, loaded or created that no option named$([ -e "$w/touched" ] && echo ": $(paste -sd';' "$w/touched")")"
sed -n '/^<pinrace-run-folder /,/^<\/pinrace-run-folder>/p' "$w/out" | sed '1d;$d' | base64 -d 2>/dev/null |
	tar -tJf - 2>/dev/null | grep -q '/results.jsonl$'
say $? "pinrace.sh: the run folder attached to the log (tar.xz in base64 between markers)"

rm -f "$w/calls" "$w/touched"
lava "$w/out2" --scratch /mnt/scratch
[ "$(cat "$w/calls" 2>/dev/null)" = "pinrace.run --result fail" ]
say $? "pinrace.sh: run.sh ending without results is one failing case: $(paste -sd';' "$w/calls" 2>/dev/null)"
exit $bad
