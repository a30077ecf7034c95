#!/usr/bin/env bash
# Print a run's summary table from its results.jsonl:
#   setup/summary.sh RUN_DIR
set -u
run=${1:?usage: summary.sh RUN_DIR}
jsonl="$run/results.jsonl"
if [ ! -s "$jsonl" ]; then
	echo "no results in $jsonl"
	exit 0
fi
{
	printf 'TEST\tCASE\tSTATUS\tFINDING\tERRNO\n'
	jq -r '[.test, .case, .status, .finding, (.errno // "-")] | @tsv' "$jsonl"
} | column -t -s $'\t'
jq -r -s '"totals: " + (group_by(.status) | map("\(.[0].status) \(length)") | join(", "))' "$jsonl"
