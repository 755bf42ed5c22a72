#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Faults in rounds, with the kernel's books checked after each kind:
#  - the daemon's workers, and the whole daemon, SIGKILLed while clients
#    keep connecting: established connections live on, handshakes resume,
#    every failed client is one the kernel counted worker_lost;
#  - a handshake flood far beyond max_pending_handshakes: the excess is
#    refused at accept, fast, and connection memory stays bounded;
#  - the module unloaded under load and loaded again, repeatedly.
# Nothing may leak: connection objects (the khttps_conn slab cache, exact
# under the guest's slub_debug) and the namespace's TCP sockets come back
# to their count, and a leaked object at unload fails the guest run
# (kmem_cache_destroy warns).
#   KHTTPS_FAULT_ROUNDS  daemon kill rounds (default 6), unload rounds half that
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch faults
params=/sys/module/khttps/parameters
probe=$T_SRC/tests/guest/tlsprobe.py
KO=$T_SRC/khttps.ko
ROUNDS=${KHTTPS_FAULT_ROUNDS:-6}
B=127.0.0.1:8443
dpid=
loadpids=()
t_cleanup() {
	stop_load
	[ -n "$dpid" ] && t_daemon_kill
	[ -d /sys/module/khttps ] || insmod "$KO"
	"$KHTTPSCTL" binding del $B > /dev/null 2>&1
	echo 1024 > $params/max_pending_handshakes
	echo 10000 > $params/handshake_timeout_ms
	echo 120000 > $params/idle_timeout_ms
}
# Held connections stay idle longer than TCG makes sure of.
echo 0 > $params/idle_timeout_ms
conn_objs() { t_slab_exact khttps_conn; t_slab_shrink khttps_conn; t_slab_objs khttps_conn; }
tcp_inuse() { awk '$1 == "TCP:" { print $3 }' /proc/net/sockstat; }
hello() { curl -sSk --max-time 60 https://$B/hello 2>&1; }
served() { [ "$(hello)" = "hello from the backend" ]; }
workers_up() { [ "$(pgrep -c -P "$dpid")" -eq 2 ]; }
# Clients that connect, GET /hello and close, one after another, until
# $dir/stop exists; each counts its successes and failures in $dir/load.N.
load() {
	local ok=0 bad=0
	while [ ! -e "$dir/stop" ]; do
		if served; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
		echo "$ok $bad" > "$dir/load.$1"
	done
}
start_load() {
	local i
	rm -f "$dir/stop" "$dir"/load.*
	for i in 1 2 3; do
		load $i &
		loadpids+=($!)
	done
}
stop_load() {
	touch "$dir/stop"
	[ ${#loadpids[@]} -eq 0 ] || wait "${loadpids[@]}" 2>/dev/null
	loadpids=()
}
load_sum() { cat "$dir"/load.* 2>/dev/null | awk '{ ok += $1; bad += $2 } END { print ok + 0, bad + 0 }'; }

t_log "step: certificate, backend, forward binding, daemon, 8 held connections"
t_site $B
t_daemon
t_wait 60 served && t_ok "served" || t_fail "served" "$(hello)"
t_wait 30 eval '[ "$(stat_of active)" -eq 0 ]'
base_objs=$(conn_objs) base_tcp=$(tcp_inuse)
python3 "$probe" hold 127.0.0.1 8443 8 "$dir/go" > "$dir/hold.out" 2>&1 &
hold=$!
pids+=($hold)
t_wait 120 grep -q '^ready' "$dir/hold.out" || t_log "hold: $(cat "$dir/hold.out")"
held_objs=$(conn_objs) held_tcp=$(tcp_inuse)
[ "$base_objs" -eq 0 ] && [ "$held_objs" -eq 8 ] &&
	t_ok "the khttps_conn cache counts connections: 0, then 8 held" ||
	t_fail "the khttps_conn cache counts connections" "$base_objs, then $held_objs with 8 held"

t_log "step: $ROUNDS rounds of SIGKILL (workers, then the whole daemon) under load"
lost0=$(stat_of worker_lost) hs_start=$(stat_of handshakes_ok)
start_load
resumed=0
for r in $(seq 1 "$ROUNDS"); do
	hs0=$(stat_of handshakes_ok)
	t_wait 60 eval '[ "$(stat_of handshakes_ok)" -gt "$hs0" ]'
	if [ $((r % 2)) -eq 1 ]; then
		pkill -9 -P "$dpid"
		t_wait 30 workers_up
	else
		t_daemon_kill
		t_daemon
	fi
	hs1=$(stat_of handshakes_ok)
	t_wait 60 eval '[ "$(stat_of handshakes_ok)" -gt "$hs1" ]' && resumed=$((resumed + 1))
done
stop_load
read -r ok bad <<< "$(load_sum)"
lost=$(( $(stat_of worker_lost) - lost0 ))
hs=$(( $(stat_of handshakes_ok) - hs_start ))
t_log "$ROUNDS kills: $hs handshakes done, $ok requests served, $bad failed, worker_lost +$lost"
[ "$resumed" -eq "$ROUNDS" ] && t_ok "handshakes resume after each of $ROUNDS kills" ||
	t_fail "handshakes resume after each of $ROUNDS kills" "only after $resumed"
[ "$ok" -gt 0 ] && [ "$bad" -le "$lost" ] &&
	t_ok "every failed client is a handshake counted worker_lost ($bad failed, $lost lost)" ||
	t_fail "every failed client is a handshake counted worker_lost" "$ok ok, $bad failed, worker_lost +$lost"
idle_again() { [ "$(stat_of pending)" -eq 0 ] && [ "$(stat_of active)" -eq 8 ]; }
t_wait 30 idle_again
books() {	# OBJS TCP: the connection objects and TCP sockets expected now
	[ "$(conn_objs)" -eq "$1" ] && [ "$(tcp_inuse)" -eq "$2" ]
}
t_wait 30 books "$held_objs" "$held_tcp" &&
	t_ok "after the kills: $held_objs connection objects and $held_tcp TCP sockets, as before" ||
	t_fail "after the kills: connection objects and TCP sockets as before" \
		"objects $held_objs -> $(conn_objs), TCP $held_tcp -> $(tcp_inuse)"
touch "$dir/go"
wait "$hold"
[[ $(cat "$dir/hold.out") == *"ok 8"* ]] && t_ok "8 connections established before the kills still work" ||
	t_fail "8 connections established before the kills still work" "$(cat "$dir/hold.out")"

t_log "step: a flood of 1000 handshakes against max_pending_handshakes=32"
t_wait 30 books "$base_objs" "$base_tcp"
echo 32 > $params/max_pending_handshakes
echo 30000 > $params/handshake_timeout_ms
rp0=$(stat_of refused_pending)
ulimit -n 4096
rm -f "$dir/flood.done"
( peak=0
  while [ ! -e "$dir/flood.done" ]; do
	n=$(conn_objs); [ "$n" -gt "$peak" ] && peak=$n
	echo "$peak" > "$dir/peak"
	sleep 0.05
  done ) &
sampler=$!
pids+=($sampler)
out=$(timeout 120 python3 "$probe" flood 127.0.0.1 8443 1000 15 2>&1)
touch "$dir/flood.done"
wait "$sampler"
peak=$(cat "$dir/peak")
refused=$(( $(stat_of refused_pending) - rp0 ))
t_log "flood: $out; refused_pending +$refused; at most $peak connection objects"
read -r _ r _ a _ o _ slowest <<< "$out"
[ "${r:-0}" -ge 900 ] && [ "$refused" -eq "$r" ] && [ $((r + a + o)) -eq 1000 ] &&
	t_ok "the excess is refused at accept and counted ($r of 1000)" ||
	t_fail "the excess is refused at accept and counted" "$out; refused_pending +$refused"
[ "${slowest:-999999}" -lt $((10000 * T_SLOW)) ] && t_ok "refused fast: the slowest refusal after ${slowest} ms" ||
	t_fail "refused fast (within 10 s)" "$out"
# 8 held, 32 pending, a few on their way.  A refused connection's object
# is allocated and freed at once; on a KASAN kernel the freed ones sit in
# the quarantine, counted, between the sampler's shrink and its count
# (seen: 55 and 109 in two runs), so there the count says nothing.
if t_kasan; then
	t_skip "memory bounded: at most 48 connection objects" \
		"KASAN's quarantine counts freed objects (peak $peak)"
elif [ "$peak" -le 48 ]; then
	t_ok "memory bounded: at most $peak connection objects (32 pending allowed)"
else
	t_fail "memory bounded: at most 48 connection objects" "$peak"
fi
echo 1024 > $params/max_pending_handshakes
echo 10000 > $params/handshake_timeout_ms
t_wait 30 eval '[ "$(stat_of pending)" -eq 0 ]'
served && t_ok "served once the flood is gone" || t_fail "served once the flood is gone" "$(hello)"
t_wait 30 books "$base_objs" "$base_tcp" &&
	t_ok "after the flood: no connection object or TCP socket left" ||
	t_fail "after the flood: no connection object or TCP socket left" \
		"objects $(conn_objs), TCP $base_tcp -> $(tcp_inuse)"

UNLOADS=$(( (ROUNDS + 1) / 2 ))
t_log "step: $UNLOADS rounds of rmmod under load, then insmod"
unloaded=0 back=0
for r in $(seq 1 "$UNLOADS"); do
	python3 "$probe" hold 127.0.0.1 8443 4 "$dir/go$r" > "$dir/hold$r.out" 2>&1 &
	h=$!
	pids+=($h)
	t_wait 120 grep -q '^ready' "$dir/hold$r.out"
	start_load
	sleep 2
	if out=$(rmmod khttps 2>&1) && [ ! -d /sys/module/khttps ]; then
		unloaded=$((unloaded + 1))
	else
		t_log "round $r: rmmod: $out"
	fi
	stop_load
	kill "$h" 2>/dev/null; wait "$h" 2>/dev/null
	t_daemon_kill
	[ -d /sys/module/khttps ] || insmod "$KO"
	t_forward_binding $B > /dev/null 2>&1
	t_daemon
	t_wait 60 served && t_wait 30 books "$base_objs" "$base_tcp" && back=$((back + 1))
done
[ "$unloaded" -eq "$UNLOADS" ] &&
	t_ok "rmmod under load succeeds, $UNLOADS times (relayed and pending connections torn down)" ||
	t_fail "rmmod under load succeeds, $UNLOADS times" "$unloaded times"
[ "$back" -eq "$UNLOADS" ] &&
	t_ok "after each insmod: served, no connection object or TCP socket left over" ||
	t_fail "after each insmod: served, nothing left over" \
		"$back of $UNLOADS; objects $(conn_objs), TCP $base_tcp -> $(tcp_inuse)"
if [ "$T_FAILED" -gt 0 ]; then
	"$KHTTPSCTL" stats | sed 's/^/#   /'
	tail -n 20 "$dir/khttpsd.log" | sed 's/^/#   khttpsd: /'
fi
t_done
