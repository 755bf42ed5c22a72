#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's bounds on connections: max_pending_handshakes and
# max_connections refuse the excess at TCP accept, counted; a client that
# closes before its keys are installed is counted (client_gone), not an
# error; after each, the binding serves on and nothing is left over.
set -u
. "$(dirname "$0")/../lib.sh"
dir=$(mktemp -d /tmp/khttps-limits.XXXXXX)
params=/sys/module/khttps/parameters
pids=()
cleanup() {
	echo 120000 > /sys/module/khttps/parameters/idle_timeout_ms
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	"$KHTTPSCTL" binding del 127.0.0.1:8443 > /dev/null 2>&1
	echo 1024 > $params/max_pending_handshakes
	echo 65536 > $params/max_connections
	rm -rf "$dir"
}
trap cleanup EXIT
# Connections held across the steps stay idle longer than TCG makes sure of.
echo 0 > /sys/module/khttps/parameters/idle_timeout_ms
probe=$T_SRC/tests/guest/tlsprobe.py
hello() { curl -sSk --max-time 60 https://127.0.0.1:8443/hello 2>&1; }
# A plain TCP connection's fate: "closed" when the server ends it at once.
refused() {
	timeout 30 python3 -c '
import socket
s = socket.create_connection(("127.0.0.1", 8443), timeout=20)
try:
    print("closed" if s.recv(1) == b"" else "data")
except ConnectionResetError:
    print("closed")
except socket.timeout:
    print("open")'
}
idle() { [ "$(stat_of active)" -eq 0 ]; }

t_log "step: certificate, backend, forward binding, daemon"
t_site 127.0.0.1:8443
"$KHTTPSD" -f -w 2 --trust "$dir" > "$dir/khttpsd.log" 2>&1 &
pids+=($!)
out=$(hello)
[ "$out" = "hello from the backend" ] && t_ok "served" || t_fail "served" "$out"

t_log "step: max_pending_handshakes"
echo 2 > $params/max_pending_handshakes
python3 "$probe" stall 127.0.0.1 8443 2 60 > "$dir/stall.out" 2>&1 &
stall=$!
pids+=($stall)
t_wait 30 eval '[ "$(stat_of pending)" -eq 2 ]'
r0=$(stat_of refused_pending)
out=$(refused)
[ "$out" = closed ] && [ "$(stat_of refused_pending)" = $((r0 + 1)) ] &&
	t_ok "a third handshake beyond max_pending_handshakes=2 is refused and counted" ||
	t_fail "a third handshake beyond max_pending_handshakes=2 is refused and counted" \
		"$out; refused_pending $r0 -> $(stat_of refused_pending)"
# The stalled ones end at the handshake timeout; then there is room again.
echo 1024 > $params/max_pending_handshakes
kill "$stall" 2>/dev/null; wait "$stall" 2>/dev/null
out=$(hello)
[ "$out" = "hello from the backend" ] && t_ok "served again once the limit is raised" ||
	t_fail "served again once the limit is raised" "$out"
t_wait 30 idle

t_log "step: max_connections"
python3 "$probe" hold 127.0.0.1 8443 2 "$dir/go" > "$dir/hold.out" 2>&1 &
hold=$!
pids+=($hold)
t_wait 120 grep -q '^ready' "$dir/hold.out"
echo 2 > $params/max_connections
r0=$(stat_of refused_connections)
out=$(refused)
[ "$out" = closed ] && [ "$(stat_of refused_connections)" = $((r0 + 1)) ] &&
	t_ok "a third connection beyond max_connections=2 is refused and counted" ||
	t_fail "a third connection beyond max_connections=2 is refused and counted" \
		"$out; refused_connections $r0 -> $(stat_of refused_connections)"
echo 65536 > $params/max_connections
touch "$dir/go"
wait "$hold"
[[ $(cat "$dir/hold.out") == *"ok 2"* ]] &&
	t_ok "the connections within the limit were untouched" ||
	t_fail "the connections within the limit were untouched" "$(cat "$dir/hold.out")"
t_wait 30 idle

t_log "step: a client that closes right after its handshake"
# The client's Finished and FIN arrive together; the keys come after the
# FIN, on a socket in CLOSE_WAIT that kTLS refuses.  Timing decides, so a
# few tries; each must end cleanly either way.
g0=$(stat_of client_gone)
for try in 1 2 3 4 5; do
	timeout 30 python3 -c '
import socket, ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
raw = socket.create_connection(("127.0.0.1", 8443), timeout=20)
s = ctx.wrap_socket(raw)
# The TLS socket took the fd over; its shutdown() is a bare TCP FIN,
# no close_notify.
s.shutdown(socket.SHUT_WR)
s.settimeout(20)
try:
    while s.recv(4096):
        pass
except OSError:
    pass' > /dev/null 2>&1
	t_wait 30 idle
	[ "$(stat_of client_gone)" -gt "$g0" ] && break
done
g=$(( $(stat_of client_gone) - g0 ))
[ "$g" -ge 1 ] && idle &&
	t_ok "a client gone before its keys is closed and counted ($g of $try tries)" ||
	t_fail "a client gone before its keys is closed and counted" "client_gone +$g in $try tries"
out=$(hello)
[ "$out" = "hello from the backend" ] && t_ok "the binding serves on" || t_fail "the binding serves on" "$out"
[ "$(stat_of pending)" -eq 0 ] && idle && t_ok "no connection left over" ||
	t_fail "no connection left over" "pending $(stat_of pending), active $(stat_of active)"
if [ "$T_FAILED" -gt 0 ]; then
	"$KHTTPSCTL" stats | sed 's/^/#   /'
	tail -n 20 "$dir/khttpsd.log" | sed 's/^/#   khttpsd: /'
fi
t_done
