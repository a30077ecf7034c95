#!/usr/bin/env bash
# A run's outputs read by the standard consumers, for make check:
#   - prove (and Perl's TAP::Parser) over every .tap: no parse error, and as
#     many test points per test as results.jsonl has records;
#   - PyYAML over every YAML block of the .tap files;
#   - xmllint over every junit.xml;
#   - the results schema (setup/reports/results-schema.jq) over every results.jsonl,
#     as written (seeds decimal strings, every core key);
#   - `jq -r .seed`: a selftest case replayed here from the record's run_seed
#     gets exactly the seed jq printed.
#
#   setup/check/check-consumers.sh RUN
#
# RUN is a run folder (or a kernel folder). Prints "ok - ..." / "not ok - ..."
# lines; exit 1 when any is not ok, 2 on bad usage.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
PINRACE_PROG=check-consumers
. "$top/setup/run/common.sh"
. "$top/setup/reports/results-lib.sh"

run=${1:-}
[[ -n $run && -d $run ]] || die 2 "usage: check-consumers.sh RUN (a run folder)"
run=$(cd "$run" && pwd)
need_cmd prove perl xmllint jq /usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
verdict() { # STATUS WHAT
	if [ "$1" -eq 0 ]; then echo "ok - $2"; else echo "not ok - $2" && failed=1; fi
}
name=${run##*/}

mapfile -t kdirs < <(kernel_dirs "$run")
taps=() jsonls=()
for d in "${kdirs[@]}"; do
	for f in "$run/$d"/*.tap; do [ -e "$f" ] && taps+=("$f"); done
	[ ! -s "$run/$d/results.jsonl" ] || jsonls+=("$run/$d/results.jsonl")
done

# prove: its summary names every file with a parse error.
if [ ${#taps[@]} -gt 0 ]; then
	prove --exec cat "${taps[@]}" >"$tmp/prove.out" 2>&1
	bad=$(awk '/^[^ ].*\(Wstat/ { f = $1 } /Parse errors:/ { print f ": " substr($0, index($0, "Parse")) }' "$tmp/prove.out")
	[ -z "$bad" ]
	verdict $? "$name: prove reads all ${#taps[@]} .tap files without a parse error${bad:+: $(head -n3 <<<"$bad" | paste -sd';')}"
else
	verdict 1 "$name: no .tap files"
fi

# TAP::Parser: test points per test (TEST.tap, and TEST.resumeN.tap of older
# runs) against results.jsonl's records of that test.
for d in "${kdirs[@]}"; do
	ts=()
	for f in "$run/$d"/*.tap; do [ -e "$f" ] && ts+=("$f"); done
	[ ${#ts[@]} -gt 0 ] || continue
	perl -MTAP::Parser -e '
		for my $f (@ARGV) {
			my $p = TAP::Parser->new({ source => $f, merge => 0 });
			$p->run;
			(my $t = $f) =~ s{.*/}{};
			$t =~ s{(\.resume[0-9]+)?\.tap$}{};
			my @e = $p->parse_errors;
			(my $e = $e[0] // "") =~ s/\s+/ /g;
			printf "%s\t%d\t%s\n", $t, scalar $p->tests_run, $e;
		}' "${ts[@]}" >"$tmp/points"
	got=$(awk -F'\t' '{ n[$1] += $2 } END { for (t in n) print t, n[t] }' "$tmp/points" | sort)
	want=$( [ -s "$run/$d/results.jsonl" ] && jq -r .test "$run/$d/results.jsonl" | sort | uniq -c |
		awk '{ print $2, $1 }' | sort)
	diff=$(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | head -n4 | paste -sd';')
	[ -z "$diff" ]
	verdict $? "$name/$d: TAP::Parser counts the same cases per test as results.jsonl ($(grep -c . <<<"$got") tests)${diff:+: results.jsonl < > TAP: $diff}"
done

# PyYAML: every YAML block (indented '---' ... '...' after a test point).
if [ ${#taps[@]} -gt 0 ]; then
	/usr/bin/python3 - "${taps[@]}" >"$tmp/yaml.out" 2>&1 <<'EOF'
import sys, yaml
blocks = bad = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i] == "  ---":
            start, body = i + 1, []
            i += 1
            while i < len(lines) and lines[i] != "  ...":
                body.append(lines[i][2:])
                i += 1
            blocks += 1
            try:
                doc = yaml.safe_load("\n".join(body))
                if not isinstance(doc, dict):
                    raise ValueError("not a mapping but %s" % type(doc).__name__)
            except Exception as e:
                bad += 1
                if bad <= 3:
                    msg = " ".join(str(e).split())[:160]
                    print("bad %s:%d: %s" % (path.rsplit("/", 2)[-2] + "/" + path.rsplit("/", 1)[-1], start, msg))
        i += 1
print("blocks %d bad %d" % (blocks, bad))
EOF
	read -r _ blocks _ nbad < <(grep '^blocks ' "$tmp/yaml.out")
	[ "${nbad:-1}" -eq 0 ]
	verdict $? "$name: PyYAML parses $((${blocks:-0} - ${nbad:-0})) of ${blocks:-?} YAML blocks$(grep '^bad ' "$tmp/yaml.out" | sed 's/^bad / /' | paste -sd';')"
fi

# xmllint: every junit.xml.
while IFS= read -r x; do
	xmllint --noout "$x" 2>"$tmp/xml.err"
	verdict $? "$name: xmllint reads ${x#"$run"/}$(head -c 200 "$tmp/xml.err" | tr '\n' ' ')"
done < <(find "$run" -maxdepth 2 -name junit.xml)

# The schema over every results.jsonl, as written.
for j in "${jsonls[@]}"; do
	bad=$(results_check "$j" --as-written)
	verdict $? "$name: ${j#"$run"/} matches the results schema as written ($(grep -c . "$j") records)${bad:+: $bad}"
done

# jq -r .seed replays: a selftest case of the run, replayed here from its
# run_seed, gets the seed jq printed.
rec=$(jq -c 'select((.test | startswith("selftest-verify")) and .run_seed != null)' "${jsonls[@]}" 2>/dev/null | head -n1)
if [ -n "$rec" ]; then
	t=$(jq -r .test <<<"$rec") c=$(jq -r .case <<<"$rec")
	seed=$(jq -r .seed <<<"$rec") run_seed=$(jq -r .run_seed <<<"$rec")
	mkdir -p "$tmp/replay"
	PINRACE_RESULTS=$tmp/replay "$top/build/tests/$t" --seed "$run_seed" \
		--case "$(sed 's/[][*?\\]/\\&/g' <<<"$c")" >/dev/null 2>&1
	again=$(jq -r .seed "$tmp/replay/results.jsonl" 2>/dev/null | head -n1)
	[ -n "$again" ] && [ "$again" = "$seed" ]
	verdict $? "$name: jq -r .seed replays: $t/$c with --seed $run_seed (jq -r .run_seed) ran with seed ${again:-none}, jq -r .seed says $seed"
else
	echo "ok - $name: jq -r .seed replays # SKIP no selftest-verify record in the run to replay"
fi
exit $failed
