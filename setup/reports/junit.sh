#!/usr/bin/env bash
# Write RUN/junit.xml (GitLab, Jenkins) from the run's results.jsonl files:
#   setup/reports/junit.sh RUN
#
# One <testsuite> per kernel and test ("RELEASE/TEST"); one <testcase> per
# case, classname "pinrace.RELEASE.TEST" (dots of the release as "_", so
# that Jenkins groups by kernel, then test) and name the case.
#   pass   a plain <testcase>
#   fail   <failure type="FINDING" message="FINDING: detail">
#   xpass  <failure type="xpass" message="XPASS: ...">: known to fail, passed
#   error  <error message="detail"> (crash, hang, timeout, broken setup)
#   skip   <skipped message="reason"/>
#   flaky  failed in some repeats only (setup/run/repeat.sh): <skipped type="flaky">
#          when an intermittent expectation covers it, else <failure type="flaky">
#   xfail  <skipped type="xfail" message="XFAIL: FINDING: reason (commit C)"/>:
#          a known kernel bug that showed up again; kept apart from the passes
#          and visible as a skip whose message starts with XFAIL, since JUnit
#          has no expected-failure element
#   flaky  <failure type="flaky" message="FLAKY: ...">: mixed over repeats
# Every case but a pass carries the details (finding, errno, blocks, seed,
# expectation, kernel-log lines, the TAP and dump paths) in <system-out>.
#
# The suite's own self-tests are not kernel results: per kernel they are one
# <testsuite name="RELEASE/detectors"> holding one <testcase> named by the
# detectors line ("detectors: 14/14 injected faults caught"), classname
# "pinrace.RELEASE.detectors"; it is a <failure type="suite-broken"> ("the
# suite is broken on this kernel: ...") when a self-test missed its fault.
# Its <system-out> lists every self-test and how it ended.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG="junit"
. "$top/setup/run/common.sh"
. "$top/setup/reports/results-lib.sh"

run=${1:?usage: junit.sh RUN}
[ -d "$run" ] || die 2 "$run: no such folder"
bad=$(check_run "$run") || die 2 "$bad"
trap 'rm -f "$run/junit.xml.tmp"' EXIT

run_records "$run" | jq -r -s --arg run "$(basename "$run")" "$RESULTS_JQ"'
def x: tostring | explode | map(select(. >= 32 or . == 9 or . == 10)) | implode | @html;
def cls: "pinrace.\(.kernel | gsub("\\."; "_")).\(.test)";
def secs: ((.ms // 0) / 1000 | tostring);
def out:
	[ "status: \(.status)", "finding: \(.finding)",
	  (select(.errno) | "errno: \(.errno)"),
	  (select((.detail // "") != "") | "detail: \(.detail)"),
	  (select((.blocks // 0) > 0) | "blocks: \(.blocks), counts: \(.counts | tojson), first_bad: \(.first_bad)"),
	  (select(.seed) | "seed: \(.seed)"),
	  (select(.repeats) | "repeats: \(.repeats.bad) of \(.repeats.runs) failed, \(.repeats.statuses | tojson)"),
	  (select(.replay) | "replay: \(.replay)"),
	  (select(.expected) | "expected: \(.expected) (commit \(.commit))"),
	  ((.kmsg // [])[] | "kmsg: \(.)"),
	  "tap: \(.dir)/\(.test).tap",
	  (select((.blocks // 0) > 0 and .first_bad >= 0) | "dumps: \(.dir)/dumps/\(.test)/\(.case)/")
	] | join("\n");
def body:
	if .status == "pass" then ""
	elif .status == "fail" then
		"<failure type=\"\(.finding | x)\" message=\"\("\(.finding): \(.detail // "")" | x)\"/>"
	elif .status == "xpass" then
		"<failure type=\"xpass\" message=\"\("XPASS: known to fail (\(.expected // "?"), commit \(.commit // "?")) but passed" | x)\"/>"
	elif .status == "error" then
		"<error type=\"error\" message=\"\(.detail // "error" | x)\"/>"
	elif .status == "skip" then
		"<skipped message=\"\(.detail // "skipped" | x)\"/>"
	elif .status == "flaky" then
		(if .repeats.expected then "<skipped type=\"flaky\" message=\"\("FLAKY \(.repeats.bad)/\(.repeats.runs) \(.repeats.finding) (known intermittent): \(.expected // "")" | x)\"/>"
		 else "<failure type=\"flaky\" message=\"\("FLAKY \(.repeats.bad)/\(.repeats.runs) \(.repeats.finding), no intermittent expectation: \(.detail // "")" | x)\"/>" end)
	elif .status == "xfail" then
		"<skipped type=\"xfail\" message=\"\("XFAIL: \(.finding): \(.expected // .detail // "") (commit \(.commit // "-"))" | x)\"/>"
	else "<error type=\"\(.status | x)\" message=\"unknown status\"/>" end
	+ (if .status == "pass" then "" else "<system-out>\(out | x)</system-out>" end);
def counts: {
	tests: length,
	failures: map(select(.status == "fail" or .status == "xpass" or (.status == "flaky" and (.repeats.expected | not)))) | length,
	errors: map(select(.status == "error")) | length,
	skipped: map(select(.status == "skip" or .status == "xfail" or (.status == "flaky" and .repeats.expected))) | length,
	time: (map(.ms // 0) | add // 0 | . / 1000) };
def attrs: to_entries | map(" \(.key)=\"\(.value | x)\"") | join("");
"<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
"<!-- pinrace: an xfail (a known kernel bug) is a skipped element of type xfail whose message starts with XFAIL; an xpass is a failure of type xpass -->",
def detectors_case: . as $s | (broken_line // "") as $b
	| "    <testcase classname=\"pinrace.\(.[0].kernel | gsub("\\."; "_") | x).detectors\" name=\"\(detectors_line | x)\""
	+ " time=\"\(map(.ms // 0) | add / 1000)\">"
	+ (if $b != "" then "<failure type=\"suite-broken\" message=\"\($b | x)\"/>" else "" end)
	+ "<system-out>\($s | map("\(.test)/\(.case): \(.status)\(if .finding != "none" then " " + .finding else "" end)"
	   + (if caught or .status == "skip" then "" else " (MISSED)" end)) | join("\n") | x)</system-out></testcase>";
map(select(role == "selftest")) as $self
| map(select(role == "kernel"))
| ($self | group_by(.col)) as $sk
| "<testsuites name=\"pinrace \($run | x)\"\(counts | .tests += ($sk | length)
	| .failures += ([$sk[] | select(detectors.missed | length > 0)] | length) | attrs)>",
($sk[] as $s
 | "  <testsuite name=\"\("\($s[0].dir)/detectors" | x)\" tests=\"1\" failures=\"\($s | detectors.missed | if length > 0 then 1 else 0 end)\" errors=\"0\" skipped=\"0\">",
   ($s | detectors_case),
   "  </testsuite>"),
(group_by([.col, .test])[] as $g
 | "  <testsuite name=\"\("\($g[0].dir)/\($g[0].test)" | x)\"\($g | counts | attrs)>",
   "    <properties><property name=\"kernel\" value=\"\($g[0].kernel | x)\"/></properties>",
   ($g[] | "    <testcase classname=\"\(cls | x)\" name=\"\(.case | x)\" time=\"\(secs)\">\(body)</testcase>"),
   "  </testsuite>"),
"</testsuites>"' >"$run/junit.xml.tmp" && mv "$run/junit.xml.tmp" "$run/junit.xml"
