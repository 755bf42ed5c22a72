#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The daemon is only in the handshake path: killing it must cost no
# established connection.  Handshakes a killed worker held fail (counted
# worker_lost) and their clients are closed; the supervisor restarts
# killed workers; with the whole daemon killed, new clients wait and their
# handshakes go through once it is started again.
set -u
. "$(dirname "$0")/../lib.sh"
dir=$(mktemp -d /tmp/khttps-daemon.XXXXXX)
pids=()
dpid=
cleanup() {
	echo 120000 > /sys/module/khttps/parameters/idle_timeout_ms
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	"$KHTTPSCTL" binding del 127.0.0.1:8443 > /dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
# Connections held across the steps stay idle longer than TCG makes sure of.
echo 0 > /sys/module/khttps/parameters/idle_timeout_ms
probe=$T_SRC/tests/guest/tlsprobe.py
hello() { curl -sSk --max-time 60 https://127.0.0.1:8443/hello 2>&1; }

t_log "step: certificate, backend, forward binding, daemon"
t_site 127.0.0.1:8443
t_daemon
out=$(hello)
[ "$out" = "hello from the backend" ] && t_ok "served with the daemon up" ||
	t_fail "served with the daemon up" "$out"

t_log "step: established connections, and handshakes stuck in the workers"
python3 "$probe" hold 127.0.0.1 8443 4 "$dir/go" > "$dir/hold.out" 2>&1 &
hold=$!
pids+=($hold)
t_wait 120 grep -q '^ready' "$dir/hold.out" || t_log "hold: $(cat "$dir/hold.out")"
python3 "$probe" stall 127.0.0.1 8443 2 60 > "$dir/stall.out" 2>&1 &
stall=$!
pids+=($stall)
t_wait 30 grep -q '^stalled' "$dir/stall.out"
# Two handshakes pending, and two idle workers take them at once (they
# must be killed well within the 10 s handshake timeout).
t_wait 30 eval '[ "$(stat_of pending)" -eq 2 ]'
sleep 2
lost0=$(stat_of worker_lost)

t_log "step: SIGKILL the workers; the supervisor restarts them"
pkill -9 -P "$dpid"
wait "$stall"
out=$(cat "$dir/stall.out")
lost=$(( $(stat_of worker_lost) - lost0 ))
[[ $out == *"ended 2"* ]] && [ "$lost" -eq 2 ] &&
	t_ok "the killed workers' handshakes end, their clients closed, counted worker_lost ($lost)" ||
	t_fail "the killed workers' handshakes end, their clients closed, counted worker_lost" \
		"$out; worker_lost +$lost"
t_wait 30 eval '[ "$(pgrep -c -P "$dpid")" -eq 2 ]'
out=$(hello)
[ "$out" = "hello from the backend" ] && t_ok "new handshakes succeed with restarted workers" ||
	t_fail "new handshakes succeed with restarted workers" "$out"

t_log "step: SIGKILL the whole daemon mid-handshake, then start it again"
python3 "$probe" stall 127.0.0.1 8443 1 60 > "$dir/stall.out" 2>&1 &
stall=$!
pids+=($stall)
t_wait 30 eval '[ "$(stat_of pending)" -eq 1 ]'
sleep 2
t_daemon_kill
wait "$stall"
[[ $(cat "$dir/stall.out") == *"ended 1"* ]] &&
	t_ok "the daemon's handshake in progress ends when it is killed" ||
	t_fail "the daemon's handshake in progress ends when it is killed" "$(cat "$dir/stall.out")"
# A client that comes while no daemon runs waits for one (within the
# handshake timeout, 10 s by default).
hello > "$dir/waiting.out" &
waiting=$!
t_wait 30 eval '[ "$(stat_of pending)" -eq 1 ]'
sleep 1
t_daemon
wait "$waiting"
out=$(cat "$dir/waiting.out")
[ "$out" = "hello from the backend" ] &&
	t_ok "a handshake that waited for the daemon goes through when it is back" ||
	t_fail "a handshake that waited for the daemon goes through when it is back" "$out"

t_log "step: the connections established before both kills"
touch "$dir/go"
wait "$hold"
out=$(cat "$dir/hold.out")
[[ $out == *"ok 4"* ]] && t_ok "4 established connections kept working through both kills" ||
	t_fail "4 established connections kept working through both kills" "$out"
out=$(hello)
[ "$out" = "hello from the backend" ] && t_ok "new handshakes succeed after the restart" ||
	t_fail "new handshakes succeed after the restart" "$out"
t_wait 30 eval '[ "$(stat_of pending)" -eq 0 ] && [ "$(stat_of active)" -eq 0 ]'
[ "$(stat_of pending)" -eq 0 ] && [ "$(stat_of active)" -eq 0 ] &&
	t_ok "no connection left over" ||
	t_fail "no connection left over" "pending $(stat_of pending), active $(stat_of active)"
if [ "$T_FAILED" -gt 0 ]; then
	"$KHTTPSCTL" stats | sed 's/^/#   /'
	tail -n 20 "$dir/khttpsd.log" | sed 's/^/#   khttpsd: /'
fi
t_done
