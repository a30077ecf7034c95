# shellcheck shell=bash
# The supervisor behind setup/host/pressure.sh: starts each job, watches the
# owner and the clock, stops everything, records what ran. Sourced; uses
# pf, pjobs, dirs, pdir, results, runtime, owner, top, here.
# shellcheck disable=SC2154 # all set by pressure.sh

declare -A jpid=() jwhere=() jsize=() jstatus=() jdetail=()
aux_pids=() FIO=() cg='' cg_mount='' stop_reason=''

free_bytes() { df -P -B1 "$1" | awk 'NR == 2 { print $4 }'; }

# The working set a job may use in DIR: pressure_size, at most an eighth
# of the free space, in whole MiB.
cap_size() { # DIR
	local want f
	want=$(to_bytes "$(profile_key "$pf" pressure_size 64m)")
	f=$(($(free_bytes "$1") / 8))
	[ "$f" -ge "$want" ] || want=$f
	echo $((want >> 20 << 20))
}

mib() { echo "$(($1 >> 20)) MiB"; }

not_run() { jstatus[$1]=not-run jdetail[$1]=$2; warn "$1 not run: $2"; }

# The bounded fio command line (in FIO) writing its JSON to pdir/OUT.json.
fio_cmd() { # OUT FIO-ARGS...
	local out=$1
	shift
	FIO=(timeout -k 30 -s INT $((runtime + 30)) fio --output-format=json
		"--output=$pdir/$out.json" "$@")
}

launch() { # JOB WHERE SIZE CMD...
	local job=$1
	jwhere[$job]=$2 jsize[$job]=$3
	shift 3
	"$@" >>"$pdir/$job.log" 2>&1 &
	jpid[$job]=$! jstatus[$job]=running
	log "$job: started (pid $!) in $(printf '%s' "${jwhere[$job]}") with $(mib "${jsize[$job]}")"
}

start_pagecache_churn() {
	local d s min=''
	for d in "${dirs[@]}"; do
		s=$(cap_size "$d")
		[ -n "$min" ] && [ "$min" -le "$s" ] || min=$s
	done
	[ "$min" -gt 0 ] || { not_run pagecache-churn "no free space in ${dirs[*]}"; return; }
	fio_cmd pagecache-churn "$top/workloads/pagecache-churn.fio"
	PR_DIRS=$(IFS=: && echo "${dirs[*]}") PR_NDIRS=${#dirs[@]} PR_SIZE=$min PR_RUNTIME=$runtime \
		launch pagecache-churn "$(IFS=: && echo "${dirs[*]}")" "$min" "${FIO[@]}"
}

# A cgroup v2 group with memory.high at half of SIZE; sets cg.
cg_setup() { # SIZE
	local root
	root=$(findmnt -n -t cgroup2 -o TARGET | head -n1)
	if [ -z "$root" ]; then
		cg_mount=/run/pinrace-pressure-cgroup
		mkdir -p "$cg_mount" && mount -t cgroup2 none "$cg_mount" || return 1
		root=$cg_mount
	fi
	grep -qw memory "$root/cgroup.controllers" || return 1
	grep -qw memory "$root/cgroup.subtree_control" ||
		echo +memory >"$root/cgroup.subtree_control" || return 1
	cg=$root/pinrace-pressure-$$
	mkdir -p "$cg" && echo $(($1 / 2)) >"$cg/memory.high" && echo "$1" >"$cg/memory.max"
}

start_reclaim() {
	local d=${dirs[0]} s wrap=()
	s=$(cap_size "$d")
	[ "$s" -gt 0 ] || { not_run reclaim "no free space in $d"; return; }
	if cg_setup "$s"; then
		# shellcheck disable=SC2016 # expanded by the inner bash
		wrap=(bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg")
		jdetail[reclaim]="memory cgroup, memory.high $(mib $((s / 2)))"
	else
		cg=''
		jdetail[reclaim]="no cgroup v2 memory controller: not confined, reclaim only when the machine runs short"
	fi
	fio_cmd reclaim "$top/workloads/reclaim.fio"
	PR_DIR=$d PR_SIZE=$s PR_RUNTIME=$runtime launch reclaim "$d" "$s" "${wrap[@]}" "${FIO[@]}"
}

# Where rdma_cm can reach a listener: this host's own RDMA interface, or
# the second namespace of setup/guest/twohost.sh inside the guest.
start_rdma_mmap() {
	local addr=${PINRACE_PRESSURE_RDMA_ADDR:-} sns=() cns=() buf='' d line out
	if [ -z "$addr" ] && [ "${PINRACE_IN_VM:-0}" = 1 ]; then
		out=$(bash "$here/guest/twohost.sh" up 2>>"$pdir/rdma-mmap.log")
		while IFS= read -r line; do
			case $line in PINRACE_PEER_ADDR=* | PINRACE_NETNS=* | PINRACE_PEER_NETNS=*)
				export "${line?}" ;; esac
		done <<<"$out"
		addr=${PINRACE_PEER_ADDR:-}
		[ -z "$addr" ] || sns=(ip netns exec "$PINRACE_PEER_NETNS") cns=(ip netns exec "$PINRACE_NETNS")
	fi
	[ -n "$addr" ] || {
		not_run rdma-mmap "no address rdma_cm can reach (rdma_cm does not connect to 127.0.0.1 over rxe on lo): set PINRACE_PRESSURE_RDMA_ADDR to this host's RDMA interface address${PINRACE_IN_VM:+; setup/guest/twohost.sh up failed: $(tail -n1 "$pdir/rdma-mmap.log")}"
		return
	}
	for d in "${dirs[@]}"; do
		[ "$(findmnt -n -o FSTYPE -T "$d" | tail -n1)" != tmpfs ] || { buf=$d && break; }
	done
	buf=${buf:-${PINRACE_TMPFS_DIR:-/dev/shm}}
	export PR_RDMA_ADDR=$addr PR_RDMA_PORT=7472 PR_BUF_DIR=$buf PR_RUNTIME=$runtime \
		PR_RDMA_RATE=${PINRACE_PRESSURE_RDMA_RATE:-8m}
	# fio 3.33 maps an mmapshared file as it finds it (an empty one: SIGBUS)
	truncate -s 16M "$buf/pinrace-fio-rdma.server" "$buf/pinrace-fio-rdma.client" ||
		{ not_run rdma-mmap "cannot create its buffer files in $buf" && return; }
	fio_cmd rdma-mmap.server --section=server "$top/workloads/rdma-mmap.fio"
	"${sns[@]}" "${FIO[@]}" >>"$pdir/rdma-mmap.log" 2>&1 &
	aux_pids+=($!)
	listening "$PR_RDMA_PORT" "${sns[@]}" ||
		warn "rdma-mmap: no listener on port $PR_RDMA_PORT after 60 s; starting the client anyway"
	jdetail[rdma-mmap]="buffers: files on $buf (iomem=mmapshared), $PR_RDMA_RATE/s to $addr:$PR_RDMA_PORT${cns[*]:+ from ${cns[*]: -1} to ${sns[*]: -1}}"
	fio_cmd rdma-mmap --section=client "$top/workloads/rdma-mmap.fio"
	launch rdma-mmap "$addr" 0 "${cns[@]}" "${FIO[@]}"
}

start_other() { # JOB
	local s
	s=$(cap_size "${dirs[0]}")
	fio_cmd "$1" "$top/workloads/$1.fio"
	PR_DIR=${dirs[0]} PR_DIRS=$(IFS=: && echo "${dirs[*]}") PR_NDIRS=${#dirs[@]} \
		PR_SIZE=$s PR_RUNTIME=$runtime launch "$1" "${dirs[0]}" "$s" "${FIO[@]}"
}

start_job() { # JOB
	case $1 in
	pagecache-churn) start_pagecache_churn ;;
	reclaim) start_reclaim ;;
	rdma-mmap) start_rdma_mmap ;;
	*) start_other "$1" ;;
	esac
}

# The fio server's rdma_cm listener (fio has no other way to say it is up).
listening() { # PORT [ip netns exec NS]
	local port=$1
	shift
	for _ in $(seq 120); do
		"$@" rdma resource show cm_id 2>/dev/null | grep -q "LISTEN.*:$port " && return 0
		sleep 0.5
	done
	return 1
}

# PID and every process below it (fio puts each job process in a session
# of its own, so a process group does not hold them all).
tree() { # PID
	local c
	echo "$1"
	for c in $(pgrep -P "$1"); do tree "$c"; done
}

alive() { # PID...
	local p
	for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done
	return 1
}

# INT first (fio writes its JSON), KILL after 45 s for whatever is left.
stop_all() {
	local p all=()
	for p in "${jpid[@]}" "${aux_pids[@]}"; do
		mapfile -t -O ${#all[@]} all < <(tree "$p")
	done
	for p in "${jpid[@]}" "${aux_pids[@]}"; do kill -INT "$p" 2>/dev/null; done
	for _ in $(seq 45); do alive "${all[@]}" || break; sleep 1; done
	for p in "${all[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
}

# Reclaim's evidence, then the group and files go.
cleanup() {
	local d
	if [ -n "$cg" ] && [ -d "$cg" ]; then
		jdetail[reclaim]+="; $(awk '$1 ~ /^(pgscan|pgsteal|file_writeback)$/ { printf "%s %s, ", $1, $2 }' "$cg/memory.stat")$(awk '$1 == "high" { printf "memory.high reached %s times", $2 }' "$cg/memory.events")"
		rmdir "$cg" 2>/dev/null
	fi
	[ -z "$cg_mount" ] || umount "$cg_mount" 2>/dev/null
	for d in "${dirs[@]}"; do
		rm -f "$d"/pagecache-churn.*.* "$d"/pinrace-reclaim.* "$d"/pinrace-fio-rdma.*
	done
	rm -f "${PR_BUF_DIR:-/nonexistent}"/pinrace-fio-rdma.*
}

# fio's JSON without the notes fio writes before it, sometimes on the
# same line as its opening brace ("...: Interrupted system call{").
fio_json() { # FILE
	{ echo '{' && sed -n '/^  "fio version"/,$p' "$1" 2>/dev/null; } | jq -c . 2>/dev/null || echo '{}'
}

# One JSON object per job from its fio output.
job_record() { # JOB
	local j=$1 st=${jstatus[$1]} fio
	fio=$(fio_json "$pdir/$1.json")
	if [ "$st" = running ]; then
		st=ran
		jq -e '.jobs | length > 0 and all(.error == 0)' <<<"$fio" >/dev/null 2>&1 ||
			{ st=failed && jdetail[$j]+="${jdetail[$j]:+; }$(grep -v '^$' "$pdir/$j.log" 2>/dev/null | tail -n1)"; }
	fi
	jq -n --arg job "$j" --arg status "$st" --arg where "${jwhere[$j]:-}" \
		--arg size "${jsize[$j]:-0}" --arg detail "${jdetail[$j]:-}" --argjson fio "$fio" \
		'{job: $job, status: $status, where: $where, size: ($size | tonumber), detail: $detail,
		  seconds: ([$fio.jobs[]?.elapsed] | max // 0),
		  read_bytes: ([$fio.jobs[]?.read.io_bytes] | add // 0),
		  write_bytes: ([$fio.jobs[]?.write.io_bytes] | add // 0),
		  fio_error: ([$fio.jobs[]?.error] | max // null)}'
}

record() { # START END
	local j
	for j in "${pjobs[@]}"; do job_record "$j"; done |
		jq -s --arg profile "$(profile_key "$pf" name "$pf")" --argjson start "$1" \
			--argjson stop "$2" --arg reason "$stop_reason" --argjson bound "$runtime" \
			'{profile: $profile, started: $start, stopped: $stop, stop_reason: $reason,
			  runtime_bound: $bound, jobs: .}' >"$results/pressure.json"
	jq -r '"pressure (profile \(.profile)): \(.stopped - .started) s, stopped: \(.stop_reason)",
		(.jobs[] | "  \(.job): \(.status)" + (if .status == "not-run" then "" else
		 " \(.seconds) s in \(.where), read \(.read_bytes / 1048576 | floor) MiB, written \(.write_bytes / 1048576 | floor) MiB" end)
		 + (if .detail != "" then " (\(.detail))" else "" end))' \
		"$results/pressure.json" >"$results/pressure.txt"
}

supervise() {
	local t0 j line
	echo $$ >"$pdir/supervisor.pid"
	trap 'stop_reason=${stop_reason:-stop requested}' TERM INT
	t0=$(date +%s)
	for j in "${pjobs[@]}"; do start_job "$j"; done
	sleep 3
	line="pressure: "
	for j in "${pjobs[@]}"; do
		if [ "${jstatus[$j]}" = running ] && ! kill -0 "${jpid[$j]}" 2>/dev/null; then
			warn "$j ended at once: $(tail -n1 "$pdir/$j.log")"
		fi
		line+="$j ${jstatus[$j]}, "
	done
	echo "${line%, }" >"$pdir/started"
	while [ -z "$stop_reason" ]; do
		sleep 1 &
		wait $! 2>/dev/null
		kill -0 "$owner" 2>/dev/null || stop_reason=${stop_reason:-"owner $owner exited"}
		alive "${jpid[@]}" "${aux_pids[@]}" || stop_reason=${stop_reason:-"all jobs ended"}
		[ $(($(date +%s) - t0)) -lt $((runtime + 60)) ] || stop_reason=${stop_reason:-"runtime bound ${runtime} s"}
	done
	log "stopping: $stop_reason"
	stop_all
	cleanup
	record "$t0" "$(date +%s)"
	rm -f "$pdir/supervisor.pid"
}
