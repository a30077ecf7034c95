#!/usr/bin/env bash
# Write RUN/report.html: one static page, no external assets, readable from
# file:// (links are relative to the run folder):
#   setup/reports/report.sh RUN
#
#   Kernels    each kernel, how its guest ended (crash/hang reasons), its logs,
#              and its detectors line ("detectors: 14/14 injected faults
#              caught"); a kernel where a self-test missed its fault is
#              first said to be one the suite is broken on (p.broken)
#   Matrix     test by kernel (table#matrix), a chip per outcome with its count
#   By pin source  kernel cases by source (table#sources), chips as above
#   Findings   finding by kernel (table#findings): cases and blocks; kernel
#              behaviour only, never a self-test, never a refusal
#   Protections  the refusals by kernel (table#protections): the kernel
#              protecting the data (EOPNOTSUPP, EFAULT...), not findings
#   Cases      case by kernel (table#cases), a cell per outcome
#   Self-tests the detectors' own matrix (table#selftests), folded
#   Details    every kernel case that is not a plain pass or skip, and every
#              self-test that missed its fault: detail, errno,
#              expectation and commit, block counts, kernel-log lines, and
#              links to its TAP, the kernel log and its dumped blocks
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG="report"
. "$top/setup/run/common.sh"
. "$top/setup/reports/results-lib.sh"

run=${1:?usage: report.sh RUN}
[ -d "$run" ] || die 2 "$run: no such folder"
bad=$(check_run "$run") || die 2 "$bad"
trap 'rm -f "$run/report.html.tmp"' EXIT
run=$(cd "$run" && pwd)

# The kernels, their status and files, as JSON lines.
kernel_meta() {
	local d
	while IFS= read -r d; do
		jq -n -c --arg dir "$d" --arg spec "$(kernel_field "$run" "$d" 2)" \
			--arg release "$(kernel_field "$run" "$d" 3)" --arg pkg "$(kernel_field "$run" "$d" 4)" \
			--arg exit "$(sed -n 's/^exit: //p' "$run/$d/status.txt" 2>/dev/null)" \
			--arg boots "$(sed -n 's/^boots: //p' "$run/$d/status.txt" 2>/dev/null)" \
			--arg accel "$(sed -n 's/^accel: //p' "$run/$d/status.txt" 2>/dev/null)" \
			--arg reasons "$(sed -n 's/^reason: //p' "$run/$d/status.txt" 2>/dev/null)" \
			--arg files "$(cd "$run/$d" && ls -1 -- *.log *.tap manifest.txt status.txt 2>/dev/null)" \
			'{dir: $dir, spec: $spec, release: $release, pkg: $pkg, exit: $exit, boots: $boots, accel: $accel,
			  reasons: ($reasons | split("\n") | map(select(length > 0))),
			  files: ($files | split("\n") | map(select(length > 0)))}'
	done < <(kernel_dirs "$run")
}

# Dumped block files, relative to the run folder.
dump_files() { (cd "$run" && find . -path '*/dumps/*' -type f 2>/dev/null | sed 's|^\./||' | sort); }

meta=$(jq -n -c --arg run "$(basename "$run")" \
	--arg command "$(cat "$run/command.txt" 2>/dev/null)" \
	--arg generated "$(date -u '+%Y-%m-%d %H:%M UTC')" \
	--slurpfile kernels <(kernel_meta) \
	--rawfile dumps <(dump_files) \
	'{run: $run, command: $command, generated: $generated, kernels: $kernels,
	  dumps: ($dumps | split("\n") | map(select(length > 0)))}')

css='
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: .2em .5em; text-align: left; vertical-align: top; }
thead th { background: #f0f0f0; position: sticky; top: 0; }
td.cell a, a.chip { display: inline-block; padding: 0 .4em; margin: 1px; border-radius: 3px; text-decoration: none; color: #000; }
.s-pass { background: #c8e6c9; } .s-skip { background: #e0e0e0; } .s-xfail { background: #ffe0a0; }
.s-fail { background: #ef9a9a; font-weight: bold; } .s-error { background: #ce93d8; font-weight: bold; }
.s-xpass { background: #ffab91; font-weight: bold; } .s-none { background: #fff; color: #999; }
.s-flaky { background: #b3e5fc; font-weight: bold; } .b-flaky { border-color: #0288d1 !important; }
.bad { color: #b00; font-weight: bold; } .meta { color: #555; }
p.broken { background: #ef9a9a; padding: .4em .6em; font-weight: bold; }
details.selftests > summary { cursor: pointer; }
section.detail { border-left: 6px solid #ccc; margin: .8em 0; padding: .2em .8em; background: #fafafa; }
.b-fail { border-color: #e57373 !important; } .b-error { border-color: #ab47bc !important; }
.b-xpass { border-color: #ff7043 !important; } .b-xfail { border-color: #ffca28 !important; }
section.detail dt { font-weight: bold; float: left; width: 8em; } section.detail dd { margin-left: 8.5em; }
pre { background: #f6f6f6; padding: .4em; overflow-x: auto; font-size: 12px; }
td.case { font-family: monospace; }'

# Large values go through files: one argument may not exceed 128 KiB.
run_records "$run" | jq -r -s --slurpfile meta <(printf '%s\n' "$meta") --arg css "$css" "$RESULTS_JQ"'
$meta[0] as $m |
def h: tostring | @html;
def url: split("/") | map(@uri) | join("/");
def link($path; $text): "<a href=\"\($path | url | h)\">\($text | h)</a>";
def order: ["fail", "error", "xpass", "flaky", "xfail", "pass", "skip"];
def worst: . as $s | order | map(select(. as $o | $s | index($o))) | first // "none";
def outcome: [.status, (select(.finding != "none") | .finding), (.errno // empty)] | join(" ");
def kernel($d): $m.kernels | map(select(.dir == $d)) | first;
def taps: . as $r | kernel($r.dir).files
	| map(select(test("^\($r.test | gsub("[.]"; "\\."))(\\.resume[0-9]+)?\\.tap$")));
def dumps: . as $r | "\($r.dir)/dumps/\($r.test)/\($r.case)/" as $p
	| $m.dumps | map(select(startswith($p)));
def detailed: if .role == "selftest" then (caught | not) and .status != "skip"
	else (.status != "pass" and .status != "skip") or ((.kmsg // []) | length > 0) end;
def caselink: "<a href=\"" + (if detailed then "#\(.id)" else ("\(.dir)/\(.test).tap" | url | h) end)
	+ "\">\(.test | h)/\(.case | h)</a>";
def rows($rs; $pre): to_entries[] | .key as $ti | .value as $t
 | (if $pre == "" then "#selftests-h" else "#\($pre)\($ti)" end) as $href
 | "<tr class=\"test\"><th><a href=\"\($href)\">\($t | h)</a></th>"
 + ([$m.kernels[].dir as $d | $rs | map(select(.dir == $d and .test == $t)) as $rs
     | "<td class=\"cell\">" + (if ($rs | length) == 0 then "<span class=\"s-none\">not run</span>" else
	 ([order[] as $s | $rs | map(select(.status == $s)) | select(length > 0)
	  | "<a class=\"chip s-\($s)\" href=\"\($href)\">\(length) \($s)</a>"] | join("")) end) + "</td>"]
    | join("")) + "</tr>";
def exitword: {"": "-", "0": "ok", "1": "unexpected results", "3": "broken setup",
	"10": "CRASHED", "11": "HUNG", "12": "did not boot"}[.] // "exit \(.)";

(to_entries | map(.value + {id: "r\(.key)"})) as $every
| ($every | map(select(.role == "kernel"))) as $all
| ($every | map(select(.role == "selftest"))) as $self
| ($m.kernels | map(.dir)) as $dirs
| ($m.kernels | map(.dir as $d | {key: $d, value: ($self | map(select(.dir == $d)))}) | from_entries) as $selfby
| ($m.kernels | map("<th>" + (if .spec != "" and .spec != .dir then "\(.spec | h)<br>" else "" end) + "\(.dir | h)</th>") | join("")) as $heads
| ($all | map(.test) | unique) as $tests
| ($self | map(.test) | unique) as $stests
| ($all | map(select(finding) | .finding) | unique) as $findings
| ($all | map(select(protection))) as $protected
| "<!DOCTYPE html>",
"<html lang=\"en\"><head><meta charset=\"utf-8\"><title>pinrace \($m.run | h)</title><style>\($css)</style></head><body>",
"<h1>pinrace run \($m.run | h)</h1>",
($m.kernels[] | . as $k | $selfby[$k.dir] | broken_line
 | "<p class=\"broken\">\($k.dir | h): \(. | h)</p>"),
"<p class=\"meta\">\($all | length) kernel case results (and \($self | length) self-tests) on \($dirs | length) kernel(s); generated \($m.generated | h)<br><code>\($m.command | h)</code><br>Also here: "
 + link("matrix.txt"; "matrix.txt") + ", " + link("junit.xml"; "junit.xml") + "</p>",

"<h2>Kernels</h2>",
"<table id=\"kernels\"><thead><tr><th>#</th><th>kernel</th><th>release</th><th>package</th><th>guest</th><th>detectors</th><th>logs</th></tr></thead><tbody>",
($m.kernels | to_entries[] | .key as $i | .value as $k
 | "<tr><td>\($i + 1)</td><td>\($k.spec | h)</td><td>\($k.release | h)</td><td>\($k.pkg | h)</td>"
 + "<td class=\"\(if ($k.exit == "" or $k.exit == "0" or $k.exit == "1") then "" else "bad" end)\">\($k.exit | exitword | h)"
 + (if ($k.boots | tonumber? // 1) > 1 then ", \($k.boots) boots" else "" end)
 + (if ($k.accel // "") != "" then " (\($k.accel | h))" else "" end)
 + ($k.reasons | map("<br>" + h) | join("")) + "</td>"
 + ($selfby[$k.dir] | if length == 0 then "<td class=\"detectors\">-</td>" else
    "<td class=\"detectors\(if detectors.missed | length > 0 then " bad" else "" end)\">"
    + ([broken_line, detectors_line] | map(h) | join("<br>")) + "</td>" end) + "<td>"
 + ([$k.files[] | select(test("\\.log$") or . == "manifest.txt" or . == "status.txt") | select(test("\\.stderr$") | not)
    | link("\($k.dir)/\(.)"; .)] | join(" ")) + "</td></tr>"),
"</tbody></table>",

"<h2>Test by kernel</h2>",
"<p class=\"meta\">A chip per outcome with its count; <span class=\"s-fail\">fail</span>, <span class=\"s-error\">error</span> and <span class=\"s-xpass\">xpass</span> are unexpected, <span class=\"s-xfail\">xfail</span> is a known kernel bug (tests/expectations.txt), <span class=\"s-flaky\">flaky</span> failed in some of its repeats only.</p>",
"<table id=\"matrix\"><thead><tr><th>test</th>\($heads)</tr></thead><tbody>",
($tests | rows($all; "t")),
"</tbody></table>",

"<h2>By pin source</h2>",
"<p class=\"meta\">Kernel cases by the source that held the pages: rdma (MRs), cpu (the control: no pin), io_uring, vmsplice, odirect...</p>",
"<table id=\"sources\"><thead><tr><th>source</th>\($heads)</tr></thead><tbody>",
(($all | map(.source // "none") | unique) as $srcs | $srcs | rows($all | map(.test = (.source // "none")); "s")
 | sub("<tr class=\"test\">"; "<tr class=\"source\">") | gsub("href=\"#s[0-9]+\""; "href=\"#sources\"")),
"</tbody></table>",

"<h2>Findings</h2>",
(if ($findings | length) == 0 then "<p>No findings on any kernel.</p>" else
 "<table id=\"findings\"><thead><tr><th>finding</th>\($heads)</tr></thead><tbody>",
 ($findings[] as $f
  | "<tr><th>\($f | h)</th>" + ([$dirs[] as $d | $all | map(select(.dir == $d and .finding == $f)) as $rs
      | ($rs | map(.counts // {} | to_entries[]) | group_by(.key) | map("\(.[0].key) \(map(.value) | add)")) as $blocks
      | "<td>" + (if ($rs | length) == 0 then "" else
	  "\($rs | length) case(s)" + (if ($blocks | length) > 0 then "<br>blocks: \($blocks | join(", ") | h)" else "" end)
	  + "<br>" + ($rs | map(caselink) | .[0:5] | join("<br>"))
	  + (if ($rs | length) > 5 then "<br>(\(($rs | length) - 5) more)" else "" end) end) + "</td>"] | join("")) + "</tr>"),
 "</tbody></table>" end),

"<h2>Protections</h2>",
(if ($protected | length) == 0 then "<p>No refusals.</p>" else
 "<p class=\"meta\">Registrations and pins the kernel refused: it protected the data. Not findings.</p>",
 "<table id=\"protections\"><thead><tr><th>test</th><th>refused</th>\($heads)</tr></thead><tbody>",
 ($protected | group_by([.test, .errno])[] as $g
  | "<tr><td>\($g[0].test | h)</td><td>\($g[0].errno // "refused" | h)</td>"
  + ([$dirs[] as $d | $g | map(select(.dir == $d)) | "<td>" + (if length == 0 then "" else
      "\(length) case(s): " + (map(.case | h) | .[0:4] | join(", ")) + (if length > 4 then ", ..." else "" end) end)
      + "</td>"] | join("")) + "</tr>"),
 "</tbody></table>" end),

"<h2>Cases</h2>",
"<table id=\"cases\"><thead><tr><th>test</th><th>case</th>\($heads)</tr></thead><tbody>",
(($all | group_by([.test, .case])) as $gs | range(0; $gs | length) as $i | $gs[$i] as $g
 | ($tests | index($g[0].test)) as $ti
 | "<tr class=\"case\"\(if $i == 0 or $gs[$i - 1][0].test != $g[0].test then " id=\"t\($ti)\"" else "" end)>"
 + "<td>\($g[0].test | h)</td><td class=\"case\">\($g[0].case | h)</td>"
 + ([$dirs[] as $d | ($g | map(select(.dir == $d)) | first) as $r
     | if $r == null then "<td class=\"cell\"><span class=\"s-none\">-</span></td>"
       else "<td class=\"cell\"><a class=\"s-\($r.status)\" title=\"\(($r.detail // "") | h)\" href=\""
	 + (if ($r | detailed) then "#\($r.id)" else ("\($r.dir)/\($r.test).tap" | url | h) end)
	 + "\">\($r | outcome | h)</a></td>" end] | join("")) + "</tr>"),
"</tbody></table>",

"<h2 id=\"selftests-h\">Self-tests</h2>",
"<p class=\"meta\">The suite\u0027s detectors fed the faults they must catch; a pass or an xfail means the fault was caught. "
 + "Not kernel behaviour, and counted nowhere above.</p>",
"<ul id=\"detectors\">",
($m.kernels[].dir as $d | $selfby[$d] | select(length > 0) | "<li>\($d | h): "
   + ([broken_line, detectors_line] | map(h) | join("<br>"))
   + (detectors.missed | map("<br>" + caselink) | join("")) + "</li>"),
"</ul>",
(if ($stests | length) == 0 then empty else
 "<details class=\"selftests\"><summary>the self-tests by kernel</summary>",
 "<table id=\"selftests\"><thead><tr><th>self-test</th>\($heads)</tr></thead><tbody>",
 ($stests | rows($self; "")),
 "</tbody></table></details>" end),

"<h2>Details</h2>",
($every | map(select(detailed)) | if length == 0 then "<p>Every case passed or was skipped.</p>" else .[] |
 "<section class=\"detail b-\(.status)\" id=\"\(.id)\"><h3>\(.dir | h) · \(.test | h)/\(.case | h): \(outcome | h)</h3><dl>"
 + "<dt>detail</dt><dd>\((.detail // "") | h)</dd>"
 + (if .errno then "<dt>errno</dt><dd>\(.errno | h)</dd>" else "" end)
 + (if .expected then "<dt>expected</dt><dd>\(.expected | h) (commit \(.commit | h))</dd>" else "" end)
 + (if (.blocks // 0) > 0 then "<dt>blocks</dt><dd>\(.blocks) verified; \(.counts | tojson | h); first bad \(.first_bad)</dd>" else "" end)
 + (if .seed then "<dt>seed</dt><dd>\(.seed | h)</dd>" else "" end)
 + (if .repeats then "<dt>repeats</dt><dd>\(.repeats.bad) of \(.repeats.runs) runs failed (\(.repeats.statuses | to_entries | map("\(.key) \(.value)") | join(", ") | h))\(if .status == "flaky" then if .repeats.expected then ", known intermittent" else ", unexpected: no intermittent expectation" end else "" end)</dd>" else "" end)
 + (if .replay then "<dt>replay</dt><dd><code>\(.replay | h)</code></dd>" else "" end)
 + (if .backing and .backing != "none" then "<dt>axes</dt><dd>\([.backing, .fs, .mr, .op, .variant] | map(select(. != null)) | join(" · ") | h)</dd>" else "" end)
 + "<dt>files</dt><dd>" + ([taps[] as $t | link("\(.dir)/\($t)"; $t)]
     + [link("\(.dir)/kernel.log"; "kernel.log")]
     + (if .log then [link("\(.dir)/\(.log)"; .log)] else [] end)
     + (dumps | if length > 0 then [link(.[0] | sub("[^/]*$"; ""); "dumps (\(length) files)")] + map(link(.; sub(".*/"; ""))) else [] end)
     | join(" ")) + "</dd></dl>"
 + (if ((.kmsg // []) | length) > 0 then "<pre>\(.kmsg | join("\n") | h)</pre>" else "" end)
 + "</section>" end),
"</body></html>"' >"$run/report.html.tmp" && mv "$run/report.html.tmp" "$run/report.html"
