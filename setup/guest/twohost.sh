#!/bin/bash
# Two hosts inside one (disposable) machine, for the two-host tests: two
# network namespaces joined by a veth pair, a soft-RoCE link on each end,
# and the peer program (build/tests/peer-rdma) serving in the second.
#
#   setup/guest/twohost.sh up       set it up (or find it up); print the PINRACE_*
#                             lines the tests take (PINRACE_PEER, PINRACE_NETNS,
#                             PINRACE_PEER_NETDEV, ...)
#   setup/guest/twohost.sh down     stop the peer, delete the links and namespaces
#   setup/guest/twohost.sh show     the veth's packet counters (ip -s link)
#
#   namespace   netdev      address        rdma link
#   pinrace-a   pr-veth-a   $NET.1/24      rxe_pra     (the test: PINRACE_NETNS)
#   pinrace-b   pr-veth-b   $NET.2/24      rxe_prb     (the peer, port 7471)
#
# NET is PINRACE_TWOHOST_NET (default 10.250.7): the /24 exists only in the
# two namespaces, so nothing outside them is ever addressed.
#
# What the kernel must offer: veth, rdma_rxe, rdma_ucm, the RDMA subsystem in
# shared network-namespace mode (in exclusive mode a link added from a
# namespace lands in the initial one, and `rdma dev set DEV netns NS` fails
# with EOPNOTSUPP for rxe; inside the pinrace guest this script switches to
# shared mode, elsewhere it says so and stops), and an rdma_rxe with
# per-namespace UDP sockets (rxe_ns_*: 7.2 has them, 6.1 and 6.12 do not;
# without them rxe receives RoCE only in the initial namespace). Exit 4
# when one of these is missing (named; the two-host tests then skip), 1 when
# the setup is broken, 2 on bad usage. A failure is remembered until down.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
top=$(dirname "$here")
export PINRACE_PROG=twohost.sh
# shellcheck source-path=SCRIPTDIR source=../run/common.sh
. "$here/run/common.sh"

NET=${PINRACE_TWOHOST_NET:-10.250.7}
NS_A=pinrace-a NS_B=pinrace-b
VETH_A=pr-veth-a VETH_B=pr-veth-b
RXE_A=rxe_pra RXE_B=rxe_prb
PORT=7471
STATE=/run/pinrace-twohost
PEER=$top/build/tests/peer-rdma

in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

env_lines() {
	cat <<EOF
PINRACE_PEER=$NET.2:$PORT
PINRACE_NETNS=$NS_A
PINRACE_PEER_NETNS=$NS_B
PINRACE_PEER_NETDEV=$VETH_A
PINRACE_PEER_ADDR=$NET.2
PINRACE_LOCAL_ADDR=$NET.1
EOF
}

peer_alive() { [ -s "$STATE/peer.pid" ] && kill -0 "$(cat "$STATE/peer.pid")" 2>/dev/null; }

is_up() {
	[ -e "$STATE/ok" ] && [ -e "/run/netns/$NS_A" ] && [ -e "/run/netns/$NS_B" ] &&
		in_a rdma link show "$RXE_A/1" 2>/dev/null | grep -q ACTIVE && peer_alive
}

# Exclusive mode cannot work with rxe; shared mode can be set only while no
# other namespace exists, and only here if this is the throwaway guest.
netns_mode() {
	local mode
	mode=$(rdma system show 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "netns") print $(i + 1) }')
	[ "$mode" != exclusive ] && return 0
	[ "${PINRACE_IN_VM:-0}" = 1 ] ||
		die 4 "the RDMA subsystem is in exclusive netns mode: rxe links cannot be moved into a namespace (rdma dev set DEV netns: EOPNOTSUPP); run 'rdma system set netns shared' (no other network namespace may exist then)"
	rdma system set netns shared ||
		die 1 "cannot switch the RDMA subsystem to shared netns mode (other network namespaces exist?)"
	log "switched the RDMA subsystem to shared netns mode (this guest only)"
}

wait_active() { # NS DEV
	local _
	for _ in $(seq 50); do
		ip netns exec "$1" rdma link show "$2/1" 2>/dev/null | grep -q ACTIVE && return 0
		sleep 0.2
	done
	die 1 "$2 did not become ACTIVE"
}

create() {
	{ ip netns add "$NS_A" && ip netns add "$NS_B"; } || die 1 "ip netns add failed"
	ip link add "$VETH_A" type veth peer name "$VETH_B" ||
		die 4 "ip link add $VETH_A type veth failed (is the veth module there?)"
	ip link set "$VETH_A" netns "$NS_A" && ip link set "$VETH_B" netns "$NS_B"
	ip -n "$NS_A" addr add "$NET.1/24" dev "$VETH_A"
	ip -n "$NS_B" addr add "$NET.2/24" dev "$VETH_B"
	local ns
	for ns in "$NS_A" "$NS_B"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_A" link set "$VETH_A" up && ip -n "$NS_B" link set "$VETH_B" up
	in_a rdma link add "$RXE_A" type rxe netdev "$VETH_A" ||
		die 4 "rdma link add $RXE_A type rxe netdev $VETH_A failed (is rdma_rxe loaded?)"
	in_b rdma link add "$RXE_B" type rxe netdev "$VETH_B" ||
		die 1 "rdma link add $RXE_B type rxe netdev $VETH_B failed"
	wait_active "$NS_A" "$RXE_A"
	wait_active "$NS_B" "$RXE_B"
}

start_peer() {
	[ -x "$PEER" ] || die 1 "$PEER is not built (make)"
	# not holding the lock (fd 9) for the rest of its life
	in_b "$PEER" --listen "$NET.2:$PORT" --daemon --log "$STATE/peer.log" \
		--pidfile "$STATE/peer.pid" --idle 7200 9>&- ||
		die 1 "the peer did not start: $(tail -n1 "$STATE/peer.log" 2>/dev/null)"
}

# The real thing: connect from A as a test does.
probe() {
	local out
	if out=$(in_a "$PEER" --probe "$NET.2:$PORT" 2>&1); then
		log "$out"
		return 0
	fi
	if ! grep -q ' rxe_ns_' /proc/kallsyms 2>/dev/null; then
		die 4 "this kernel's rdma_rxe has no per-namespace UDP sockets (no rxe_ns_* symbols; 7.2 has them, 6.1 and 6.12 do not): rxe receives RoCE only in the initial namespace, so two namespaces cannot be two hosts here ($out)"
	fi
	die 1 "the peer in $NS_B does not answer from $NS_A: $out"
}

up() {
	local code msg
	[ "$(id -u)" = 0 ] || die 4 "needs root (network namespaces, rdma links)"
	need_cmd ip rdma
	[ -e /dev/infiniband/rdma_cm ] || die 4 "no /dev/infiniband/rdma_cm (is rdma_ucm loaded?)"
	mkdir -p "$STATE"
	exec 9>"$STATE/lock"
	flock 9
	# A failure is remembered until `down`: every test case asking again
	# gets the same answer at once.
	if [ -s "$STATE/failed" ]; then
		read -r code msg <"$STATE/failed"
		die "$code" "$msg (remembered; twohost.sh down forgets it)"
	fi
	if ! is_up; then
		down_quiet
		code=0
		(netns_mode && create && start_peer && probe) 2>"$STATE/up.err" || code=$?
		if [ $code != 0 ]; then
			msg=$(sed 's/^twohost.sh: error: //' "$STATE/up.err" | tail -n1)
			echo "$code $msg" >"$STATE/failed"
			die "$code" "$msg"
		fi
		cat "$STATE/up.err" >&2
		touch "$STATE/ok"
		log "up: $NS_A/$VETH_A/$RXE_A $NET.1 <-> $NS_B/$VETH_B/$RXE_B $NET.2, peer on port $PORT"
	fi
	env_lines
}

down_quiet() {
	if peer_alive; then
		kill "$(cat "$STATE/peer.pid")" 2>/dev/null || true
	fi
	rm -f "$STATE/peer.pid" "$STATE/ok"
	[ ! -e "/run/netns/$NS_A" ] || in_a rdma link delete "$RXE_A" 2>/dev/null || true
	[ ! -e "/run/netns/$NS_B" ] || in_b rdma link delete "$RXE_B" 2>/dev/null || true
	ip netns delete "$NS_A" 2>/dev/null || true
	ip netns delete "$NS_B" 2>/dev/null || true
}

down() {
	mkdir -p "$STATE"
	exec 9>"$STATE/lock"
	flock 9
	down_quiet
	rm -f "$STATE/failed"
	log "down"
}

show() {
	[ -e "/run/netns/$NS_A" ] || die 1 "not up"
	ip -n "$NS_A" -s link show "$VETH_A"
}

case ${1:-} in
up) up ;;
down) down ;;
show) show ;;
*) die 2 "usage: twohost.sh up|down|show" ;;
esac
