#!/usr/bin/env bash
# `make check`: the KCIDB export of a run folder is valid KCIDB v5:
#   setup/check/check-kcidb.sh RUN
# Writes RUN/kcidb.json with setup/reports/kcidb.sh, then checks, with jq, what the
# schema requires (kcidb-io's v5.0: version; checkouts with id and origin;
# builds with id, checkout_id and origin; tests with id, build_id and origin;
# ids "ORIGIN:...", origins [a-z0-9_]+, no null anywhere, no property the
# schema lacks, the status enum, numbers, strings, booleans, objects where
# it says so, paths of dot-separated [A-Za-z0-9_-]+, log excerpts within
# 16384 characters), then what this suite promises: every build and
# checkout referred to exists, one test per case of results.jsonl and one
# "pinrace" test per kernel, each case's status as kcidb_status says, every
# failing test carries its finding and its replay command. Last, a copy
# with faults put in must be refused (the checker can fail).
# Prints "ok - ..." / "not ok - ..." lines; exit 1 when one is not ok.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=check-kcidb
. "$top/setup/run/common.sh"
. "$top/setup/reports/results-lib.sh"

run=${1:?usage: check-kcidb.sh RUN}
[ -d "$run" ] || die 2 "$run: no such folder"
file=$run/kcidb.json
bad=0

# The schema's rules: one line per violation, none when FILE is valid.
# shellcheck disable=SC2016 # jq code
violations() {
	jq -r '
	def origin_ok: type == "string" and test("^[a-z0-9_]+$");
	def id_ok: type == "string" and test("^[a-z0-9_]+:");
	def time_ok: type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})$");
	def typed($t): {
		id: "id", origin: "origin", checkout_id: "id", build_id: "id", start_time: "time",
		path: "path", status: "status", comment: "string", tree_name: "string",
		git_commit_hash: "string", patchset_hash: "string", architecture: "arch",
		config_name: "string", compiler: "string", command: "string",
		log_excerpt: "excerpt", duration: "number", valid: "boolean", waived: "boolean",
		misc: "object", environment: "environment", number: "object"} as $types
		| to_entries[] | .key as $k | .value as $v | ($types[$k] // "unknown") as $want
		| if $v == null then "\($t) \($k): null"
		  elif $want == "unknown" then "\($t): property \($k) not in the schema"
		  elif $want == "id" and ($v | id_ok | not) then "\($t) \($k): \($v | tojson) is not ORIGIN:..."
		  elif $want == "origin" and ($v | origin_ok | not) then "\($t) origin: \($v | tojson)"
		  elif $want == "time" and ($v | time_ok | not) then "\($t) \($k): \($v | tojson) is not a date-time"
		  elif $want == "path" and ($v | type != "string" or (test("^([a-zA-Z0-9_-]+([.][a-zA-Z0-9_-]+)*)?$") | not))
			then "\($t) path: \($v | tojson)"
		  elif $want == "status" and ([$v] | inside(["FAIL", "ERROR", "MISS", "PASS", "DONE", "SKIP"]) | not)
			then "\($t) status: \($v | tojson)"
		  elif $want == "arch" and ($v | type != "string" or (test("^[a-z0-9_]*$") | not)) then "\($t) architecture: \($v | tojson)"
		  elif $want == "excerpt" and ($v | type != "string" or length > 16384) then "\($t) log_excerpt: not a string of at most 16384"
		  elif $want == "environment" and ($v | type != "object" or (keys - ["comment", "misc", "compatible"] | length > 0))
			then "\($t) environment: \($v | tojson | .[0:80])"
		  elif ($want == "string" or $want == "number" or $want == "boolean" or $want == "object")
			and ($v | type) != $want then "\($t) \($k): a \($v | type), not a \($want)"
		  else empty end;
	def need($t; $req): . as $o | $req[] | select($o[.] == null) | "\($t): \(.) missing";
	def nonulls($t): [paths(. == null)] | map("\($t): null at \(map(tostring) | join("."))")[];
	if type != "object" then "not a JSON object" else
	(if .version != {major: 5, minor: (.version.minor // -1)} or (.version.minor | type) != "number"
	 then "version: \(.version | tojson), not {major: 5, minor: N}" else empty end),
	(keys - ["version", "checkouts", "builds", "tests", "issues", "incidents"] | .[] | "top level: \(.) not in the schema"),
	(["checkouts", "builds", "tests"][] as $kind | .[$kind] // [] |
	 if type != "array" then "\($kind): not a list" else
	 to_entries[] | "\($kind)[\(.key)]" as $t | .value
	 | if type != "object" then "\($t): not an object" else
	   need($t; {checkouts: ["id", "origin"], builds: ["id", "checkout_id", "origin"],
		tests: ["id", "build_id", "origin"]}[$kind]), typed($t), nonulls($t) end end)
	end' "$1"
}

bash "$top/setup/reports/kcidb.sh" "$run" "$file" 2>/dev/null
say $? "kcidb.sh wrote $(basename "$file") for $(basename "$run")"
[ -s "$file" ] || exit 1
v=$(violations "$file")
[ -z "$v" ]
say $? "kcidb.json: KCIDB v5 required fields and types$([ -z "$v" ] || echo ": $(head -n3 <<<"$v" | paste -sd';')")"

recs=$(run_records "$run")
# What the suite promises, as one list of problems.
promises=$(jq -r -n --slurpfile k "$file" --slurpfile recs <(printf '%s\n' "$recs") "$RESULTS_JQ"'
	$k[0] as $k | ($k.checkouts | map(.id)) as $co | ($k.builds | map(.id)) as $bu
	| ($k.tests | map(select(.path != "pinrace"))) as $cases
	| ($k.builds[] | select([.checkout_id] | inside($co) | not) | "build \(.id): no checkout \(.checkout_id)"),
	  ($k.tests[] | select([.build_id] | inside($bu) | not) | "test \(.id): no build \(.build_id)"),
	  ($k.tests | group_by(.id)[] | select(length > 1) | "test id \(.[0].id) twice"),
	  ($cases | group_by([.build_id, .path])[] | select(length > 1) | "path \(.[0].path) twice in \(.[0].build_id)"),
	  (if ($cases | length) != ($recs | length) then "\($cases | length) case tests for \($recs | length) results" else empty end),
	  (if ($k.tests | map(select(.path == "pinrace")) | length) != ($bu | length) then "not one pinrace test per build" else empty end),
	  ($recs | map(kcidb_status) | group_by(.) | map({key: .[0], value: length}) | from_entries) as $want
	  | ($cases | map(.status) | group_by(.) | map({key: .[0], value: length}) | from_entries) as $got
	  | (if $want != $got then "statuses \($got | tojson), want \($want | tojson)" else empty end),
	  ($cases[] | select(.status == "FAIL") | select((.misc.finding // "") == "" or ((.misc.replay // "") | startswith("./run.sh") | not))
	   | "failing \(.path): no finding or no replay command")')
[ -z "$promises" ]
say $? "kcidb.json: one test per case ($(printf '%s\n' "$recs" | grep -c .)), statuses as results.jsonl says, every FAIL with its finding and replay command$([ -z "$promises" ] || echo ": $(head -n3 <<<"$promises" | paste -sd';')")"

# The checker must refuse what is wrong.
broken=$(mktemp)
jq '.tests[0].status = "BROKEN" | .tests[1].origin = null | del(.builds[0].checkout_id)
	| .tests[2].path = "pinrace.a/b" | .checkouts[0].frob = 1 | .tests[3].duration = "1"' "$file" >"$broken"
n=$(violations "$broken" | grep -c .)
rm -f "$broken"
[ "$n" -ge 6 ]
say $? "kcidb.json with 6 faults put in: $n violation(s) found"
exit $bad
