#!/usr/bin/env bash
# Write a run folder's results as KCIDB v5 JSON (KernelCI's common results
# database; submit with `kcidb-submit`):
#   setup/reports/kcidb.sh RUN FILE          (./run.sh --kcidb FILE does it at the end)
#
# Per kernel a checkout (the Debian package, the user's own build, or the
# lab host's running kernel: there is no source tree to name, so the
# checkout says where the kernel came from) and a build; then one test per
# case, path "pinrace.TEST.CASE" (case_path in results-lib.sh: "/" becomes
# ".", any other character KCIDB or LAVA would not take "_"), and one test
# "pinrace" per kernel summing the kernel up (MISS when the guest never
# booted, ERROR when the setup broke or a self-test missed its fault).
# Status (kcidb_status in results-lib.sh): pass and xpass PASS; fail, xfail
# (a known kernel bug that showed again) and flaky FAIL; error ERROR (the
# case did not complete: crash, hang, timeout); skip SKIP. A self-test
# describes the suite, not the kernel: PASS when it caught its fault, ERROR
# when it did not. Every test carries its duration, a log excerpt (the
# case's lines of its TAP: the verify report, then the kernel-log lines)
# and in misc the finding, errno, expectation, block counts, seed and the
# command that replays it.
#
# Ids are "ORIGIN:RUN:KERNEL[:TEST:CASE]"; ORIGIN is $PINRACE_KCIDB_ORIGIN
# (default pinrace). Exit 2 on bad input.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=kcidb
. "$top/setup/run/common.sh"
. "$top/setup/reports/results-lib.sh"
. "$top/setup/run/args.sh"

[ $# -eq 2 ] || die 2 "usage: kcidb.sh RUN FILE"
run=$1 file=$2
[ -d "$run" ] && [ -n "$(kernel_dirs "$run")" ] || die 2 "$run: not a run folder (no kernels.tsv, no results.jsonl)"
arg_out_file FILE "$file"
origin=${PINRACE_KCIDB_ORIGIN:-pinrace}
[[ $origin =~ ^[a-z0-9_]+$ ]] || die 2 "PINRACE_KCIDB_ORIGIN '$origin': KCIDB wants [a-z0-9_]+"
need_cmd jq
run=$(cd "$run" && pwd)

# The command line that ran, and what a replay keeps of it: the profile and,
# on a lab host, the options naming its device and directories.
cmd=()
[ ! -r "$run/command.txt" ] || eval "cmd=($(cat "$run/command.txt"))"
keep=()
for ((i = 1; i < ${#cmd[@]}; i++)); do
	case ${cmd[i]} in
	--host) keep+=(--host) ;;
	--profile | --scratch | --dax | --device | --config | --timeout) keep+=("${cmd[i]}" "${cmd[i + 1]}") && i=$((i + 1)) ;;
	--kernel | --tests | --seed | --results | --modules | --kcidb) i=$((i + 1)) ;;
	esac
done
keep_q=$(printf ' %q' "${keep[@]}")
[ ${#keep[@]} -gt 0 ] || keep_q=''

# Kernels: folder, spec, release, package, how the guest ended, bzImage
# modules (not recorded: the spec names the image).
kernels() {
	local d
	for d in $(kernel_dirs "$run"); do
		jq -n -c --arg dir "$d" --arg spec "$(kernel_field "$run" "$d" 2)" \
			--arg release "$(kernel_field "$run" "$d" 3)" --arg pkg "$(kernel_field "$run" "$d" 4)" \
			--arg exit "$(sed -n 's/^exit: //p' "$run/$d/status.txt" 2>/dev/null)" \
			--arg seconds "$(sed -n 's/^seconds: //p' "$run/$d/status.txt" 2>/dev/null)" \
			--arg reason "$(sed -n 's/^reason: //p' "$run/$d/status.txt" 2>/dev/null | head -n3)" \
			--arg console "$(tail -n 20 "$run/$d/console.log" 2>/dev/null | cut -c1-300)" \
			'{dir: $dir, spec: $spec, release: $release, pkg: $pkg, exit: $exit,
			  seconds: ($seconds | tonumber? // null), reason: $reason, console: $console}'
	done
}

# "DIR<tab>TEST<tab>CASE<tab>LINE": each case's lines of its TAP files (the
# diagnostics written before its result line, the line, its YAML block).
tap_lines() {
	local d f t
	for d in $(kernel_dirs "$run"); do
		for f in "$run/$d"/*.tap; do
			[ -e "$f" ] || continue
			t=${f##*/} t=${t%.tap} t=${t%.resume[0-9]*}
			awk -v d="$d" -v t="$t" '
				/^(not )?ok [0-9]+ / {
					c = $0; sub(/^(not )?ok [0-9]+ /, "", c); sub(/ # .*/, "", c)
					for (i = 0; i < n; i++) print d "\t" t "\t" c "\t" buf[i]
					n = 0; print d "\t" t "\t" c "\t" $0; yaml = 1; next }
				yaml && /^  / { print d "\t" t "\t" c "\t" $0; next }
				{ yaml = 0 }
				/^# (Totals|kernel |[a-z0-9-]+: )/ && !/^# verify/ { next }
				/^#/ { buf[n++] = $0 }' "$f"
		done
	done
}

started=$(date -u -r "$run/command.txt" +%Y-%m-%dT%H:%M:%S+00:00 2>/dev/null ||
	date -u -r "$run" +%Y-%m-%dT%H:%M:%S+00:00)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$file.tmp"' EXIT
kernels >"$tmp/kernels.jsonl"
tap_lines | jq -R -c 'split("\t") | {key: (.[0:3] | tojson), line: (.[3:] | join("\t"))}' |
	jq -c -s 'group_by(.key) | map({key: .[0].key, value: (map(.line) | join("\n"))}) | from_entries' >"$tmp/taps.json"
run_records "$run" >"$tmp/records.jsonl"

jq -n --arg origin "$origin" --arg runid "$(basename "$run")" --arg started "$started" \
	--arg keep "$keep_q" --arg arch "$(uname -m)" \
	--slurpfile kernels "$tmp/kernels.jsonl" --slurpfile taps "$tmp/taps.json" \
	--slurpfile recs "$tmp/records.jsonl" "$RESULTS_JQ"'
def nonull: with_entries(select(.value != null and .value != [] and .value != {} and .value != ""));
def clip: if length > 16000 then .[0:16000] + "\n[...]" else . end;
def sq: "\u0027" + gsub("\u0027"; "\u0027\\\u0027\u0027") + "\u0027";
def kid($k): "\($origin):\($runid):\($k.dir)";
def where($k): if $k.spec == "host" then "lab host (run.sh --host)"
	elif ($k.spec | startswith("local:")) then "own build \($k.spec | ltrimstr("local:"))"
	else "Debian package \($k.pkg)" end;
def replay($k): if (.replay // "" | startswith("./run.sh")) then .replay else
	"./run.sh" + (if $k.spec == "host" then "" else " --kernel \($k.spec | sq)" end)
	+ $keep + " --tests \(.test | sq)" + (if .run_seed then " --seed \(.run_seed)" else "" end) end;
def excerpt: ($taps[0][[.dir, .test, .case] | tojson] // "") as $t
	| [$t, (if (.kmsg // []) | length > 0 and ($t | contains("kmsg:") | not)
		then "kernel log:\n" + (.kmsg | join("\n")) else empty end),
	   (if $t == "" then .detail // empty else empty end)]
	| map(select(. != "")) | join("\n") | clip;
def test_obj($k): {
	id: "\(kid($k)):\(.test):\(.case)", origin: $origin, build_id: kid($k),
	path: case_path, status: kcidb_status, start_time: $started,
	duration: ((.ms // 0) / 1000), log_excerpt: excerpt,
	environment: {comment: ((if $k.spec == "host" then "lab host" else
		"QEMU guest (TCG): soft-RoCE rxe, emulated pmem and NVDIMM" end)
		+ (if .device then ", RDMA device \(.device)" else "" end))},
	misc: ({role, status, finding, errno, detail, expected, commit,
		backing, fs, mr, op, variant, blocks, counts, first_bad, seed, run_seed,
		kmsg, tap: "\(.dir)/\(.test).tap", replay: replay($k),
		replay_in_guest: ("build/tests/\(.test) --case \(.case | sq)"
			+ (if .run_seed then " --seed \(.run_seed)" else "" end))} | nonull)
	} | nonull;
def summary_obj($k; $rs): ($rs | map(select(role == "selftest")) | detectors) as $d
	| ($rs | map(kcidb_status)) as $st
	| {id: kid($k), origin: $origin, build_id: kid($k), path: "pinrace", start_time: $started,
	   status: (if $k.exit == "12" or ($rs | length) == 0 then "MISS"
		elif $k.exit == "3" or ($d.missed | length) > 0 then "ERROR"
		else (["FAIL", "ERROR", "MISS", "PASS", "DONE", "SKIP"] | map(select(. as $s | $st | index($s))) | first // "SKIP") end),
	   duration: $k.seconds,
	   log_excerpt: ([(if ($rs | length) == 0 then "no results: this kernel\u0027s tests never ran"
			+ (if $k.exit != "" then " (guest exit \($k.exit))" else "" end) else empty end),
		($rs | broken_line), ($rs | select(length > 0) | detectors_line),
		(if $k.reason != "" then "guest: \($k.reason)" else empty end),
		(if $k.exit == "12" then "console:\n\($k.console)" else empty end)] | join("\n") | clip),
	   misc: ({guest_exit: $k.exit, detectors: ($rs | detectors_line), suite_broken: (($d.missed | length) > 0),
		cases: ($rs | length)} | nonull)} | nonull;
{version: {major: 5, minor: 0},
 checkouts: [$kernels[] | {id: kid(.), origin: $origin, start_time: $started, valid: true,
	comment: "\(where(.)): \(.release)",
	misc: ({spec, release, package: (if .pkg == "-" then "" else .pkg end)} | nonull)} | nonull],
 builds: [$kernels[] | {id: kid(.), checkout_id: kid(.), origin: $origin, architecture: $arch,
	config_name: (if .spec == "host" then "host" elif (.spec | startswith("local:")) then "local" else "debian" end),
	comment: "\(where(.)): \(.release)", start_time: $started, status: "PASS",
	misc: ({release, spec} | nonull)} | nonull],
 tests: [$kernels[] as $k | ($recs | map(select(.dir == $k.dir))) as $rs
	| summary_obj($k; $rs), ($rs[] | test_obj($k))]}' >"$file.tmp" && mv "$file.tmp" "$file" ||
	die 1 "writing $file failed"
log "$file: $(jq -r '"\(.checkouts | length) checkout(s), \(.builds | length) build(s), \(.tests | length) test(s)"' "$file")"
