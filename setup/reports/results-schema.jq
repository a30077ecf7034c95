# The schema of one results.jsonl record (README: "results.jsonl"), the
# one rule every reader checks (setup/reports/results-lib.sh: results_check).
# A record is one JSON object a line holding every core key below with a
# value of one of the listed types; any other key is allowed (fields added
# later must not break older readers). Seeds are decimal strings: readers
# that hold numbers as doubles round them past 2^53.

def results_core: {
	kernel: ["string"], device: ["string", "null"], test: ["string"],
	case: ["string"], role: ["string"], status: ["string"], finding: ["string"],
	errno: ["string", "null"], backing: ["string"], fs: ["string", "null"],
	mr: ["string"], op: ["string", "null"], variant: ["string", "null"],
	detail: ["string"], blocks: ["number"], counts: ["object"],
	first_bad: ["number"], seed: ["string", "null"],
	run_seed: ["string", "null"], ops: ["number"], xfers: ["number"],
	ms: ["number"], expected: ["string", "null"], commit: ["string", "null"],
	hang: ["object", "null"], boot: ["number", "null"], log: ["string", "null"],
	killed_by: ["string", "null"], source: ["string"],
	kmsg: ["array"]
};

# Records written before seeds were strings and before every record had
# run_seed, hang, boot, log, killed_by, role and source (the numbers turned into
# strings before jq reads them: see results_check); an old record's role
# comes from its names (selftest-* tests and cases were the self-tests).
def role_by_name: if ((.test // "") | startswith("selftest-")) or ((.case // "") | test("(^|/)selftest-"))
	then "selftest" else "kernel" end;
# The one role rule: the record's own, else by its names.
def role: .role // role_by_name;
def results_upgrade:
	if type == "object" then
		{run_seed: null, hang: null, boot: null, log: null, killed_by: null,
		 role: role_by_name,
		 source: (if (.mr // "none") != "none" then "rdma" else "none" end)} + .
	else . end;

# null for a good record, else one line saying what is wrong with it.
def results_error:
	if type != "object" then "not a JSON object but \(type)"
	else . as $r
	| [results_core | to_entries[] | .key as $k | .value as $want
	   | if ($r | has($k) | not) then "no key \"\($k)\""
	     elif ($want | index([$r[$k] | type])) == null then
		"key \"\($k)\" is \($r[$k] | type), want \($want | join(" or "))"
	     else empty end] as $bad
	| if ($bad | length) > 0 then $bad[0]
	  elif ($r.status | test("^[a-z][a-z-]*$") | not) then
		"status \($r.status | tojson | .[0:40]) is not a status word"
	  elif ([$r.seed, $r.run_seed][] | select(. != null)
		| test("^(0|[1-9][0-9]{0,19})$") | not) then
		"seed or run_seed is not a decimal string"
	  elif ($r.kmsg | map(type == "string") | all | not) then "kmsg holds a non-string"
	  else null end
	end;
