#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hostile TLS costs only its own connection.  hostile.py sends, after a
# real TLS 1.3 handshake, records no library sends (bad MACs and lengths,
# oversized and zero-length records, every alert at both levels, KeyUpdate
# storms, handshake and unknown records), and before one, malformed and
# fuzzed ClientHellos: each connection gets the alert RFC 8446 asks for (or
# a plain close after a fatal alert of the client's) and is counted under
# its reason.  Slowloris on the handshake and on the record layer ends at
# handshake_timeout_ms and idle_timeout_ms; while it holds more connections
# than khttpsd has workers, new clients are still served.  Then keep-alive
# clients (h2load) measure their requests/s alone and again under all of
# it: at least 70% of the baseline.
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch hostile
dpid=
t_cleanup() {
	echo 10000 > /sys/module/khttps/parameters/handshake_timeout_ms
	echo 120000 > /sys/module/khttps/parameters/idle_timeout_ms
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	"$KHTTPSCTL" binding del 127.0.0.1:8443 > /dev/null 2>&1
}
hostile=$T_SRC/tests/guest/hostile.py
hello() { curl -sSk --max-time 60 https://127.0.0.1:8443/hello 2>&1; }
idle() { [ "$(stat_of active)" -eq 0 ]; }

t_log "step: certificate, backend, forward binding, daemon"
t_site 127.0.0.1:8443
"$KHTTPSD" -f --trust "$dir" > "$dir/khttpsd.log" 2>&1 &
dpid=$!
out=$(hello)
[ "$out" = "hello from the backend" ] && t_ok "served" || t_fail "served" "$out"

t_log "step: every attack once, each checked (hostile.py check)"
start=$(date +%s)
python3 "$hostile" check 127.0.0.1 8443 > "$dir/check.out" 2>&1
t_log "the attacks took $(( $(date +%s) - start )) s"
n=0
while IFS= read -r line; do
	case $line in
	"ok "*) name=${line#ok }; t_ok "${name%%: *}"; n=$((n + 1)) ;;
	"not ok "*) name=${line#not ok }; t_fail "${name%%: *}" "${name#*: }"; n=$((n + 1)) ;;
	*) t_log "hostile.py: $line" ;;
	esac
done < "$dir/check.out"
[ "$n" -ge 80 ] && t_ok "hostile.py tried $n attacks" ||
	t_fail "hostile.py tried $n attacks" "$(tail -n 5 "$dir/check.out")"
t_wait 30 idle
t_check "khttpsd is still running" kill -0 "$dpid"
out=$(hello)
[ "$out" = "hello from the backend" ] && t_ok "served after the attacks" ||
	t_fail "served after the attacks" "$out"

t_log "step: slowloris, more connections than khttpsd has workers"
echo 4000 > /sys/module/khttps/parameters/handshake_timeout_ms
echo 4000 > /sys/module/khttps/parameters/idle_timeout_ms
hs0=$(stat_of handshake_timeouts) it0=$(stat_of idle_timeouts)
python3 "$hostile" slow 127.0.0.1 8443 12 60 > "$dir/slow.out" 2>&1 &
slow=$!
pids+=($slow)
t_wait 120 grep -q '^held' "$dir/slow.out" || t_log "slow: $(cat "$dir/slow.out")"
start=$(date +%s%N)
out=$(hello)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$out" = "hello from the backend" ] && [ "$ms" -lt $((3000 * T_SLOW)) ] &&
	t_ok "a new client is served while 6 handshakes dribble (${ms} ms)" ||
	t_fail "a new client is served while 6 handshakes dribble" "${ms} ms: $out"
wait "$slow"
grep -q '^ended 12$' "$dir/slow.out" && t_ok "the server closed all 12 slowloris connections" ||
	t_fail "the server closed all 12 slowloris connections" "$(cat "$dir/slow.out")"
hs=$(( $(stat_of handshake_timeouts) - hs0 )) it=$(( $(stat_of idle_timeouts) - it0 ))
[ "$hs" -eq 6 ] && [ "$it" -eq 6 ] &&
	t_ok "counted: 6 handshake timeouts, 6 idle timeouts" ||
	t_fail "counted: 6 handshake timeouts, 6 idle timeouts" "handshake_timeouts +$hs, idle_timeouts +$it"
t_wait 30 idle

t_log "step: ClientHellos, then silence: 16 handshakes wait, the 4 workers do not"
# A stalled handshake holds one of its worker's slots, not the worker
# (khttpsd's worker.c): a new client is served at once meanwhile.  With a
# worker per handshake it would wait for the stalled ones' timeout, 12 s.
param=/sys/module/khttps/parameters/handshake_timeout_ms
hs_timeout=$(cat $param)
echo $((12000 * T_SLOW)) > $param
hs0=$(stat_of handshake_timeouts)
python3 "$T_SRC/tests/guest/tlsprobe.py" stall 127.0.0.1 8443 16 $((60 * T_SLOW)) > "$dir/stall.out" 2>&1 &
stall=$!
pids+=($stall)
t_wait 60 grep -q '^stalled' "$dir/stall.out" || t_log "stall: $(cat "$dir/stall.out")"
t_wait 30 eval '[ "$(stat_of pending)" -ge 16 ]'
start=$(date +%s%N)
out=$(hello)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$out" = "hello from the backend" ] && [ "$ms" -lt $((3000 * T_SLOW)) ] &&
	t_ok "a new client is served while 16 handshakes wait for theirs (${ms} ms)" ||
	t_fail "a new client is served while 16 handshakes wait for theirs" "${ms} ms: $out"
wait "$stall"
echo "$hs_timeout" > $param
hs=$(( $(stat_of handshake_timeouts) - hs0 ))
grep -q '^ended 16$' "$dir/stall.out" && [ "$hs" -eq 16 ] &&
	t_ok "all 16 closed at handshake_timeout_ms and counted" ||
	t_fail "all 16 closed at handshake_timeout_ms and counted" "$(cat "$dir/stall.out"); handshake_timeouts +$hs"
t_wait 30 idle

t_log "step: throughput of keep-alive clients, alone and under attack"
# h2load: 4 keep-alive connections for 10 s; its "N req/s" line.
rate() {
	h2load --h1 -c 4 -D 10 https://127.0.0.1:8443/hello 2> /dev/null |
		sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p'
}
base=$(rate)
nice -n 5 python3 "$hostile" loop 127.0.0.1 8443 14 > "$dir/loop.out" 2>&1 &
loop=$!
pids+=($loop)
python3 "$hostile" slow 127.0.0.1 8443 6 14 > "$dir/slow2.out" 2>&1 &
pids+=($!)
sleep 2
hostile_rate=$(rate)
wait "$loop"
t_log "baseline ${base:-?} req/s; under attack ${hostile_rate:-?} req/s, $(cat "$dir/loop.out")"
if [ -n "$base" ] && [ -n "$hostile_rate" ]; then
	python3 -c "import sys; sys.exit(0 if $hostile_rate >= 0.7 * $base else 1)" &&
		t_ok "under attack: at least 70% of the baseline requests/s" ||
		t_fail "under attack: at least 70% of the baseline requests/s" "$hostile_rate of $base"
else
	t_fail "under attack: at least 70% of the baseline requests/s" "h2load gave no rate"
fi
t_wait 60 idle || t_log "still active: $(stat_of active)"
t_check "nothing left open" idle
t_check "khttpsd is still running after it all" kill -0 "$dpid"
t_done
