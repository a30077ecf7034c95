# shellcheck shell=bash
# Reading and extending run folders. Source it; it defines functions only.
#
# A run folder (results/<date>-<label>/) holds one sub-folder per kernel and
#   kernels.tsv   one line per kernel, in run order:
#                 DIR <tab> NAME <tab> RELEASE <tab> PACKAGE, NAME being the
#                 spec (debian:sid), local:IMAGE_FILE_NAME for a bzImage, or host
#   command.txt   the run.sh command line
# and, once the run is over, matrix.txt, report.html and junit.xml.
# A kernel folder holds results.jsonl, the .tap files, dumps/, the guest's
# logs and status.txt ("exit: N", "boots: N", "reason: ...").
# A folder with results.jsonl and no kernels.tsv counts as one kernel.
#
#   kernel_dirs RUN           the kernel folders of RUN (names), in run order
#   kernel_field RUN DIR N    field N (2 spec, 3 release, 4 package) of DIR
#   run_records RUN           every results.jsonl line of RUN, compact, with
#                             "dir" (the kernel folder) and "col" (its index)
#                             added; the last line of a (dir, test, case) wins;
#                             "seed" as a string (jq 1.6 rounds numbers > 2^53)
#   results_check FILE [--as-written]
#                             the schema (setup/reports/results-schema.jq) over every
#                             line of FILE: nothing and true when all are
#                             records, else "FILE:LINE: what is wrong" and
#                             false. Records of older runs (numeric seeds, no
#                             run_seed/hang/boot/log) pass unless --as-written
#   check_run RUN             results_check over every results.jsonl of RUN
#   case_role TEST CASE       "selftest" or "kernel", as build/tests/TEST
#                             --list says (CASE "*": selftest when all are)
#   with_role                 stdin to stdout: results.jsonl lines, "role" added
#   RESULTS_JQ                jq definitions every report starts its program
#                             with, the one place that says which case is a
#                             self-test, what a self-test must end with, and
#                             what is a finding or a protection (below)
#   error_record KERNEL TEST CASE FINDING DETAIL [KMSG_JSON [EXTRA_JSON]]
#                             an "error" line in results.jsonl's own format
#                             (with the case's role)
#   tap_points TAP            how many test points TAP holds
#   tap_append error|skip TAP NAME WHY
#                             the next test point of TAP: "not ok N NAME" and
#                             "# error: WHY" (TAP has no error directive), or
#                             "ok N NAME # SKIP WHY"; an unfinished YAML block
#                             closed first, a plan written first when TAP has
#                             none, and raised to N when it counts fewer (a
#                             program that numbered every case, then was
#                             stopped: its error is one point more)
#   tap_point_names TAP       the names of TAP's test points, one a line

kernel_dirs() {
	local run=$1
	if [ -r "$run/kernels.tsv" ]; then
		cut -f1 "$run/kernels.tsv"
	elif [ -e "$run/results.jsonl" ]; then
		echo .
	fi
}

kernel_field() {
	[ -r "$1/kernels.tsv" ] || return 0
	awk -F'\t' -v d="$2" -v n="$3" '$1 == d { print $n; exit }' "$1/kernels.tsv"
}

# Numeric seeds of older runs as strings, before jq (1.6) reads and rounds them.
seeds_as_strings() { LC_ALL=C sed -E 's/("(run_)?seed": *)([0-9]+)/\1"\3"/g' "$@"; }

results_check() { # FILE [--as-written]
	local f=$1 legacy=1 top_=${BASH_SOURCE[0]%/*} name=$1
	[ "${2:-}" != --as-written ] || legacy=0
	[[ $f != *[[:cntrl:]]* ]] || name=$(printf '%q' "$f")
	{ if [ $legacy = 1 ]; then seeds_as_strings "$f"; else cat "$f"; fi; } |
		jq -R -n -r -L "$top_" --arg f "$name" --argjson legacy $legacy '
		include "results-schema";
		foreach inputs as $l (0; . + 1; . as $n
			| ($l | try (fromjson | [.]) catch null) as $p
			| (if $p == null then "not a JSON object (not JSON, or cut short)"
			   else $p[0] | (if $legacy == 1 then results_upgrade else . end) | results_error end)
			| select(. != null) | "\($f):\($n): \(.)")' |
		LC_ALL=C tr -c '[:print:]\n' '?' | head -n1 | grep . && return 1
	return 0
}

check_run() { # RUN
	local d
	for d in $(kernel_dirs "$1"); do
		[ ! -s "$1/$d/results.jsonl" ] || results_check "$1/$d/results.jsonl" || return 1
	done
}

# A record is a self-test of the suite's own detectors ("role": "selftest",
# written by the harness; older records: a test named selftest-* or a case
# naming selftest) or a case about the kernel ("kernel"). A self-test did
# its job when it passed or failed the way tests/expectations.txt says
# (xfail): the fault it injected was caught. Kernel cases: a finding is any
# finding but a refusal; a refusal that was not unexpected is the kernel
# protecting the data. "flaky" (mixed outcomes over repeats) is unexpected.
# Fleets: a case's name there (case_path: "pinrace.TEST.CASE", "/" as ".",
# other characters LAVA or KCIDB would refuse as "_"), its KCIDB status and
# its LAVA result (see setup/reports/kcidb.sh, setup/lava/pinrace.sh).
# shellcheck disable=SC2016 # jq code
# The role rule and the schema are results-schema.jq's (one definition).
RESULTS_JQ=$(cat "${BASH_SOURCE[0]%/*}/results-schema.jq")'
def unexpected: .status == "fail" or .status == "error" or .status == "xpass" or .status == "flaky";
def caught: .status == "pass" or .status == "xfail";
def protection: role == "kernel" and .finding == "refused" and (unexpected | not);
def finding: role == "kernel" and .finding != null and .finding != "none" and (protection | not);
def path_part: if . == "" then "_" else gsub("[^A-Za-z0-9_-]"; "_") end;
def case_path: "pinrace.\(.test | path_part).\(.case | split("/") | map(path_part) | join("."))";
def kcidb_status: if role == "selftest" then
		(if .status == "skip" then "SKIP" elif caught then "PASS" else "ERROR" end)
	else {pass: "PASS", xpass: "PASS", fail: "FAIL", xfail: "FAIL", flaky: "FAIL",
		error: "ERROR", skip: "SKIP"}[.status] // "ERROR" end;
def lava_result: {PASS: "pass", FAIL: "fail", ERROR: "fail", SKIP: "skip", MISS: "skip"}[kcidb_status];
def detectors: map(select(role == "selftest")) as $s
	| ($s | map(select(.status != "skip"))) as $ran
	| {caught: ($ran | map(select(caught)) | length), ran: ($ran | length),
	   skipped: (($s | length) - ($ran | length)),
	   missed: ($ran | map(select(caught | not)))};
def detectors_line: detectors as $d
	| "detectors: \($d.caught)/\($d.ran) injected faults caught"
	+ (if $d.skipped > 0 then " (\($d.skipped) self-tests skipped)" else "" end);
def broken_line: detectors.missed as $m
	| if ($m | length) == 0 then empty else
	  "the suite is broken on this kernel: \($m | length) detector self-test(s) did not catch their fault: "
	  + ($m | map("\(.test)/\(.case) (\([.status, (select(.finding != "none") | .finding)] | join(" ")))")
	     | .[0:5] | join(", ")) + (if ($m | length) > 5 then ", ..." else "" end) end;
'

# The DOM of an HTML or XML report as headless Chromium builds it (a
# throw-away profile, removed when Chromium ends).
report_dom() { # FILE
	(
		prof=$(mktemp -d)
		trap 'rm -rf "$prof"' EXIT
		timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
			--disable-component-update --disable-sync --no-first-run --user-data-dir="$prof" \
			--dump-dom "file://$1" 2>/dev/null
	)
}

with_role() { jq -c "$RESULTS_JQ"' . + {role: role}'; }

run_records() {
	local run=$1 d col=0
	for d in $(kernel_dirs "$run"); do
		[ -s "$run/$d/results.jsonl" ] &&
			seeds_as_strings "$run/$d/results.jsonl" |
			jq -c -L "${BASH_SOURCE[0]%/*}" --arg d "$d" --argjson c $col \
				'include "results-schema"; results_upgrade + {dir: $d, col: $c}'
		col=$((col + 1))
	done | jq -c -s 'reduce .[] as $r ({}; .[[$r.dir, $r.test, $r.case] | tojson] = $r) | .[]'
}

# shellcheck disable=SC2154 # $top: set by the script that sources this
case_role() {
	"$top/build/tests/$1" --list 2>/dev/null | awk -F'\t' -v c="$1/$2" -v all="$([ "$2" = '*' ] && echo 1)" '
		$1 == c || all { n++; s += $3 == "selftest" }
		END { print n && n == s ? "selftest" : "kernel" }'
}

error_record() {
	local k=$1 t=$2 c=$3 f=$4 why=$5 kmsg=${6:-[]} extra=${7:-'{}'} role
	role=$(case_role "$t" "$c")
	jq -n -r --arg k "$k" --arg t "$t" --arg c "$c" --arg f "$f" --arg why "$why" \
		--arg role "$role" --argjson kmsg "$kmsg" --argjson x "$extra" '
		def q: tojson;
		{kernel: $k, device: null, test: $t, case: $c, role: $role, status: "error",
		 finding: $f, errno: null, backing: "none", fs: null, mr: "none", source: "none", op: null,
		 variant: null, detail: $why, blocks: 0, counts: {}, first_bad: -1, seed: null,
		 run_seed: null, ops: 0, xfers: 0, ms: 0, killed_by: null, expected: null,
		 commit: null, hang: null, boot: null, log: null, kmsg: $kmsg} + $x
		| "{" + ([to_entries[] | "\(.key | q): \(.value | q)"] | join(", ")) + "}"'
}

tap_points() { grep -cE '^(not )?ok [0-9]+( |$)' "$1" 2>/dev/null || true; }

tap_point_names() {
	sed -nE 's/^(not )?ok [0-9]+ ([^#]*[^ #]).*/\2/p' "$1" 2>/dev/null
}

tap_append() { # error|skip TAP NAME WHY
	local tap=$2 n plan head='' why
	n=$(tap_points "$tap")
	plan=$(sed -nE 's/^1\.\.([0-9]+).*/\1/p' "$tap" 2>/dev/null | head -n1)
	[ ! -s "$tap" ] || [ -z "$(tail -c1 "$tap")" ] || head=$'\n'
	[ -n "$plan" ] || head+="TAP version 13"$'\n'"1..$((n + 1))"$'\n'
	[ -z "$plan" ] || [ "$plan" -gt "$n" ] || sed -i -E "0,/^1\.\.[0-9]+/s//1..$((n + 1))/" "$tap"
	# a YAML block the dead program left open
	[ "$(grep -E '^  (---|\.\.\.)$' "$tap" 2>/dev/null | tail -n1)" != '  ---' ] || head+=$'  ...\n'
	why=$(LC_ALL=C tr -c '[:print:]' ' ' <<<"$4" | sed 's/ *$//')
	if [ "$1" = skip ]; then
		printf '%sok %d %s # SKIP %s\n' "$head" $((n + 1)) "$3" "$why" >>"$tap"
	else
		printf '%snot ok %d %s\n# error: %s\n' "$head" $((n + 1)) "$3" "$why" >>"$tap"
	fi
}
