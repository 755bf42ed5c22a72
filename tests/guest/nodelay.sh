#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The first response after a TLS 1.3 handshake must not wait a round trip
# for Nagle.  The server sends its session tickets after the client's
# Finished; the response follows at once, a small segment while the tickets
# are not yet acknowledged.  With Nagle on, TCP holds it until the client's
# ACK comes back: one round trip more before every new connection's first
# byte.  nginx and HAProxy set TCP_NODELAY on their sockets for this; so
# must khttps, on the client's socket (both modes) and the relay's backend
# socket.  On loopback an ACK is immediate, so the round trip is made real
# with netem on a veth pair:
#
#   this test's netns (client)                      netns khd: khttpsd, backend
#   veth-c 10.9.1.1/24  <--- netem 150 ms each way --->  veth-s 10.9.1.2/24
#                                             10.9.1.2:8443 forward -> 127.0.0.1:8080
#                                             10.9.1.2:8444 queue d -> khttps-serve
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch nodelay
DELAY_MS=150
RTT_MS=$((2 * DELAY_MS))

t_log "step: namespace, veth with netem, certificate, backend, daemon, bindings"
if ! t_veth_ns khd$$ 10.9.1.1 10.9.1.2; then
	t_skip "first response without a Nagle wait" "cannot make a netns with a veth pair"
	t_done
	exit
fi
if ! tc qdisc add dev veth-c root netem delay ${DELAY_MS}ms 2> "$dir/tc.err" ||
   ! inx tc qdisc add dev veth-s root netem delay ${DELAY_MS}ms 2>> "$dir/tc.err"; then
	t_skip "first response without a Nagle wait" "no netem: $(head -n 1 "$dir/tc.err")"
	t_done
	exit
fi
t_cert
mkdir -p "$dir/root" && echo hello > "$dir/root/hello"
# Not through inx: $! must be the process itself, not a subshell.
ip netns exec "$T_NS" python3 "$T_SRC/tests/guest/backend.py" 8080 "$dir/root" \
	> "$dir/backend.log" 2>&1 &
pids+=($!)
ip netns exec "$T_NS" "$KHTTPSD" -f -w 2 --trust "$dir" > "$dir/khttpsd.log" 2>&1 &
pids+=($!)
t_check "forward binding" inx "$KHTTPSCTL" binding add 10.9.1.2:8443 cert "$dir/cert.pem" \
	key "$dir/key.pem" backend 127.0.0.1:8080
t_check "queue binding" inx "$KHTTPSCTL" binding add 10.9.1.2:8444 cert "$dir/cert.pem" \
	key "$dir/key.pem" queue d
ip netns exec "$T_NS" "$T_SRC/build/khttps-serve" -q d -r "$dir/root" > "$dir/serve.log" 2>&1 &
pids+=($!)
t_wait 30 eval 'inx ss -Hltn "sport = :8080" | grep -q .' || t_log "backend not listening"

# The least, over three TLS 1.3 connections to PORT, of the milliseconds
# from the end of the handshake to the response's first byte (curl's
# time_starttransfer - time_appconnect): the request's round trip and the
# server's work; a Nagle wait would add a round trip.
first_byte() {
	local out best=
	for _ in 1 2 3; do
		out=$(curl -sSk --tlsv1.3 --max-time 60 -o /dev/null \
			-w '%{time_appconnect} %{time_starttransfer}' "https://10.9.1.2:$1/hello" 2>&1) ||
			{ echo "curl: $out"; return; }
		out=$(awk '{ printf "%d", ($2 - $1) * 1000 }' <<< "$out")
		[ -z "$best" ] || [ "$out" -lt "$best" ] && best=$out
	done
	echo "$best"
}
t_log "step: time to the first byte, the round trip being $RTT_MS ms"
# Under TCG the server's part can take a while; a Nagle wait adds a whole
# round trip, so half of one is the margin.
limit=$((RTT_MS + RTT_MS / 2))
for m in "forward 8443" "queue 8444"; do
	set -- $m
	ms=$(first_byte "$2")
	if [[ $ms =~ ^[0-9]+$ ]] && [ "$ms" -lt "$limit" ]; then
		t_ok "$1 mode: the first response $ms ms after the handshake (< $limit ms)"
	else
		t_fail "$1 mode: the first response within $limit ms of the handshake" \
			"$ms ms; khttpsd: $(tail -n 3 "$dir/khttpsd.log")"
	fi
done
t_done
