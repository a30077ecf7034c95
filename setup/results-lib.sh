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
#   error_record KERNEL TEST CASE FINDING DETAIL [KMSG_JSON [EXTRA_JSON]]
#                             an "error" line in results.jsonl's own format

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

run_records() {
	local run=$1 d col=0
	for d in $(kernel_dirs "$run"); do
		[ -s "$run/$d/results.jsonl" ] &&
			sed -E 's/("seed": *)([0-9]+)/\1"\2"/' "$run/$d/results.jsonl" |
			jq -c --arg d "$d" --argjson c $col '. + {dir: $d, col: $c}' 
		col=$((col + 1))
	done | jq -c -s 'reduce .[] as $r ({}; .[[$r.dir, $r.test, $r.case] | tojson] = $r) | .[]'
}

error_record() {
	local k=$1 t=$2 c=$3 f=$4 why=$5 kmsg=${6:-[]} extra=${7:-'{}'}
	jq -n -r --arg k "$k" --arg t "$t" --arg c "$c" --arg f "$f" --arg why "$why" \
		--argjson kmsg "$kmsg" --argjson x "$extra" '
		def q: tojson;
		{kernel: $k, device: null, test: $t, case: $c, status: "error", finding: $f,
		 errno: null, backing: "none", fs: null, mr: "none", op: null, variant: null,
		 detail: $why, blocks: 0, counts: {}, first_bad: -1, seed: null, ops: 0,
		 xfers: 0, ms: 0, expected: null, commit: null, kmsg: $kmsg} + $x
		| "{" + ([to_entries[] | "\(.key | q): \(.value | q)"] | join(", ")) + "}"'
}
