#!/usr/bin/env bash
# Verdicts over repeated runs of a case (run.sh --repeat N, --rerun-failed N):
#
#   setup/run/repeat.sh verdict KDIR [N]  for every case run more than once in
#                        KDIR/results.jsonl (lines with "repeat"), append one
#                        verdict line and write KDIR/repeats.tap; N: the
#                        --repeat the replay line asks for
#   setup/run/repeat.sh unexpected FILE   how many cases of a results.jsonl end
#                        unexpected (the last line of a case counts): fail,
#                        error, xpass, or flaky without an intermittent line
#
# A run that passed (pass, xpass) is good, one that failed (fail, xfail,
# error) is bad, a skip does not count. The verdict: all good: the last
# good run's status; all bad: the last bad run's; both: "flaky", with
# the share that failed and the commonest finding of those ("flaky 3/8
# hang"). A flaky case is expected when every bad run was an xfail (the
# expectations' intermittent lines say exactly that); otherwise it is
# unexpected. The verdict line is the last bad (else good) run's line with
# "repeat": "verdict" and "repeats": {runs, bad, skipped, statuses,
# finding, expected}.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=repeat
. "$top/setup/run/common.sh"

# The verdicts of a results.jsonl's repeated cases, one JSON line each.
verdicts() { # FILE [N]
	jq -c -s --arg n "${2:-}" '
	def bad: .status == "fail" or .status == "xfail" or .status == "error";
	def good: .status == "pass" or .status == "xpass";
	map(select(.repeats == null)) | group_by([.test, .case])[]
	| select(any(.[]; .repeat != null) and length > 1)
	| . as $runs
	| [.[] | select(bad)] as $b | [.[] | select(good)] as $g
	| select(($b | length) + ($g | length) > 0)
	| ($b | map(.finding) | group_by(.) | max_by(length) // [] | first // "none") as $f
	| (if ($b | length) > 0 then $b[-1] else $g[-1] end) as $last
	| ($b | length) as $nb | (($b | length) + ($g | length)) as $nn
	| $last + {
		status: (if $nb == 0 or $nb == $nn then $last.status else "flaky" end),
		repeat: "verdict",
		replay: ($last.replay // null | if . != null and $n != "" and startswith("./run.sh ") then "\(.) --repeat \($n)" else . end),
		repeats: {runs: $nn, bad: $nb, skipped: (($runs | length) - $nn),
			statuses: ($runs | group_by(.status) | map({key: .[0].status, value: length}) | from_entries),
			finding: $f, expected: ($nb > 0 and ($b | all(.status == "xfail")))},
		detail: (if $nb > 0 and $nb < $nn then "flaky \($nb)/\($nn) \($f): \($last.detail // "")"
			else "\($nn) runs: \($last.status)" + (if $nb > 0 then ": \($last.detail // "")" else "" end) end)
	}' < <(sed -E 's/("(run_)?seed": *)([0-9]+)/\1"\3"/g' "$1") # jq 1.6 rounds numbers > 2^53
}

# TAP 13 of the verdicts: ok for a pass, not ok (with a TODO for a known
# failure or a flaky case) and a YAML block otherwise.
tap() {
	jq -r -s '
	"TAP version 13", "1..\(length)",
	(to_entries[] | .key as $i | .value as $v
	 | ($v.status | if . == "pass" or . == "xpass" then "ok" else "not ok" end) as $ok
	 | (if $v.status == "flaky" then " # TODO flaky \($v.repeats.bad)/\($v.repeats.runs) \($v.repeats.finding)"
		+ (if $v.repeats.expected then "" else " (unexpected: no intermittent expectation)" end)
	    elif $v.status == "xfail" then " # TODO XFAIL: \($v.expected // $v.finding)"
	    else "" end) as $dir
	 | "\($ok) \($i + 1) \($v.test)/\($v.case)\($dir)",
	   "# \($v.repeats.runs) runs: \($v.repeats.statuses | to_entries | map("\(.key) \(.value)") | join(", "))",
	   (if $ok == "not ok" then
		"  ---", "  status: \($v.status)", "  finding: \($v.repeats.finding)",
		"  share: \($v.repeats.bad)/\($v.repeats.runs)", "  expected: \($v.repeats.expected)",
		"  replay: \($v.replay | tojson)", "  detail: \($v.detail | tojson)", "  ..."
	    else empty end))'
}

case ${1:-} in
verdict)
	kdir=${2:?usage: repeat.sh verdict KDIR [N]}
	[ -s "$kdir/results.jsonl" ] || exit 0
	v=$(verdicts "$kdir/results.jsonl" "${3:-}") || die 1 "cannot read $kdir/results.jsonl"
	[ -n "$v" ] || exit 0
	printf '%s\n' "$v" | jq -c . >>"$kdir/results.jsonl"
	printf '%s\n' "$v" | tap >"$kdir/repeats.tap"
	;;
unexpected)
	[ -s "${2:?usage: repeat.sh unexpected FILE}" ] || { echo 0; exit 0; }
	jq -s 'group_by([.test, .case]) | map(last | select(.status == "fail" or .status == "error"
		or .status == "xpass" or (.status == "flaky" and (.repeats.expected | not)))) | length' "$2"
	;;
*) die 2 "usage: repeat.sh verdict KDIR [N] | unexpected FILE" ;;
esac
