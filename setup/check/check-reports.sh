#!/usr/bin/env bash
# `make check`: the reports of a run keep the suite's self-tests apart from
# what the kernel did:
#   setup/check/check-reports.sh RUN
# report.html (as headless Chromium builds it), matrix.txt and junit.xml
# must give each kernel one detectors line, say "the suite is broken on
# this kernel" exactly where a self-test missed its fault (and before the
# tables), list no self-test among the findings or the cases, and list the
# refusals as protections, never as findings. Prints "ok - ..." or
# "not ok - ..." lines; exit 1 when one is not ok.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=check-reports
. "$top/setup/run/common.sh"
. "$top/setup/reports/results-lib.sh"

run=${1:?usage: check-reports.sh RUN}
[ -d "$run" ] || die 2 "$run: no such folder"
run=$(cd "$run" && pwd)
bad=0

recs=$(run_records "$run")
q() { printf '%s\n' "$recs" | jq -r -s "$RESULTS_JQ$1"; }
nk=$(q '[.[] | select(role == "selftest") | .dir] | unique | length')
nbroken=$(q 'group_by(.dir) | map(select(detectors.missed | length > 0)) | length')
nprot=$(q 'map(select(protection)) | group_by([.test, .errno]) | length')
# "test/case" of every self-test, and the same as matrix.txt's columns.
selfnames=$(q '.[] | select(role == "selftest") | "\(.test)/\(.case)"' | sort -u)

dom=$(report_dom "$run/report.html")
# The lines of one table of the DOM.
table() { awk -v id="<table id=\"$1\">" 'index($0, id) { f = 1 } f { print } f && /<\/table>/ { exit }' <<<"$dom"; }

got=$(grep -c '^<li>[^<]*: \(the suite is broken on this kernel: .*<br>\)\?detectors: [0-9]*/[0-9]* injected faults caught' <<<"$dom")
[ "$got" -eq "$nk" ]
say $? "report.html: one detectors line per kernel ($got of $nk)"
got=$(grep -c '<p class="broken">' <<<"$dom")
first=$(grep -n -m1 -e '<p class="broken">' -e '<table id="kernels">' <<<"$dom" | grep -c broken)
[ "$got" -eq "$nbroken" ] && { [ "$nbroken" -eq 0 ] || [ "$first" -eq 1 ]; }
say $? "report.html: 'the suite is broken on this kernel' for $got kernel(s) (want $nbroken), above the tables"
leak=$(table findings | grep -o '>[^<>]*/[^<>]*</a>' | sed 's/^>//; s/<\/a>$//' | grep -Fxf <(printf '%s\n' "$selfnames") | head -n3)
[ -z "$leak" ] && ! table findings | grep -q '<th>refused</th>'
say $? "report.html: table#findings lists no self-test and no refusal${leak:+ (lists $leak)}"
got=$(table protections | grep -c '^<tr><td>')
[ "$got" -eq "$nprot" ]
say $? "report.html: table#protections has $got row(s) of refusals (want $nprot)"
leak=$(table cases | sed -n 's|^<tr class="case"[^>]*><td>\([^<]*\)</td><td class="case">\([^<]*\)</td>.*|\1/\2|p' |
	grep -Fxf <(printf '%s\n' "$selfnames") | head -n3)
[ -z "$leak" ]
say $? "report.html: table#cases lists no self-test${leak:+ (lists $leak)}"

# matrix.txt: the detectors lines, and no self-test above its own section.
m=$run/matrix.txt
got=$(grep -c ': detectors: [0-9]*/[0-9]* injected faults caught' "$m")
[ "$got" -eq "$nk" ] && [ "$(grep -c ': the suite is broken on this kernel' "$m")" -eq "$nbroken" ]
say $? "matrix.txt: one detectors line per kernel ($got of $nk), $nbroken 'suite is broken'"
leak=$(sed '/^self-tests (/,$d' "$m" | awk '{ print $1 "/" $2 }' | grep -Fxf <(printf '%s\n' "$selfnames") | head -n3)
[ -z "$leak" ]
say $? "matrix.txt: no self-test among the findings and cases${leak:+ (lists $leak)}"

# junit.xml: one detectors testcase per kernel, no self-test as a testcase.
j=$run/junit.xml
got=$(grep -c '<testcase classname="[^"]*\.detectors" name="detectors: ' "$j")
leak=$(q '.[] | select(role == "selftest") | .case' | sort -u |
	while IFS= read -r c; do grep -F "name=\"$c\"" "$j" | grep -v '\.detectors"'; done | head -n1)
[ "$got" -eq "$nk" ] && [ -z "$leak" ] && xmllint --noout "$j"
say $? "junit.xml: one detectors testcase per kernel ($got of $nk), no self-test case of its own"
exit $bad
