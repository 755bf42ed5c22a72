#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's bounds on connections: max_pending_handshakes,
# max_connections, max_conns_per_source (IPv4 and an IPv6 /64) and a full
# accept queue (default_queue_len) refuse the excess at TCP accept,
# counted; a SYN flood is answered with SYN cookies while a real client is
# served; a client that closes before its keys are installed is counted
# (client_gone), not an error; after each, the binding serves on and
# nothing is left over.  Last, the module stays loaded while an
# application holds a queued connection.
set -u
. "$(dirname "$0")/../lib.sh"
dir=$(mktemp -d /tmp/khttps-limits.XXXXXX)
params=/sys/module/khttps/parameters
pids=()
cleanup() {
	echo 120000 > /sys/module/khttps/parameters/idle_timeout_ms
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	"$KHTTPSCTL" binding del 127.0.0.1:8443 > /dev/null 2>&1
	"$KHTTPSCTL" binding del 127.0.0.1:8444 > /dev/null 2>&1
	[ -d /sys/module/khttps ] || insmod "$T_SRC/khttps.ko"
	echo 128 > $params/default_queue_len
	echo 0 > $params/max_conns_per_source
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
# To 127.0.0.1:8443, or to HOST PORT from SRC.
refused() {
	timeout 30 python3 -c '
import socket, sys
host, port, src = sys.argv[1:4] if len(sys.argv) > 3 else ("127.0.0.1", 8443, None)
s = socket.create_connection((host, int(port)), timeout=20, source_address=(src, 0) if src else None)
try:
    print("closed" if s.recv(1) == b"" else "data")
except ConnectionResetError:
    print("closed")
except socket.timeout:
    print("open")' "$@"
}
idle() { [ "$(stat_of active)" -eq 0 ]; }

t_log "step: certificate, backend, forward binding, daemon"
t_site 127.0.0.1:8443
t_daemon
pids+=("$dpid")
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

t_log "step: max_conns_per_source"
# IPv4 counts by address; IPv6 by /64: a server address and clients in two
# /64s of the documentation prefix, on this namespace's loopback.
ip -6 addr add 2001:db8:1::1/128 dev lo nodad
for a in 2001:db8:2::a 2001:db8:2::b 2001:db8:3::a; do ip -6 addr add $a/128 dev lo nodad; done
V6=[2001:db8:1::1]:8445
t_check "IPv6 forward binding" t_forward_binding $V6
echo 2 > $params/max_conns_per_source
rm -f "$dir/go"
python3 "$probe" hold 127.0.0.1 8443 2 "$dir/go" > "$dir/hold4.out" 2>&1 &
hold4=$!
python3 "$probe" hold 2001:db8:1::1 8445 2 "$dir/go" 2001:db8:2::a > "$dir/hold6.out" 2>&1 &
hold6=$!
pids+=($hold4 $hold6)
t_wait 120 grep -q '^ready' "$dir/hold4.out"
t_wait 120 grep -q '^ready' "$dir/hold6.out"
r0=$(stat_of refused_source)
out4=$(refused 127.0.0.1 8443 127.0.0.1)
out6=$(refused 2001:db8:1::1 8445 2001:db8:2::b)
[ "$out4" = closed ] && [ "$out6" = closed ] && [ "$(stat_of refused_source)" = $((r0 + 2)) ] &&
	t_ok "a third connection from 127.0.0.1, and from 2001:db8:2::/64, is refused and counted" ||
	t_fail "a third connection from 127.0.0.1, and from 2001:db8:2::/64, is refused and counted" \
		"$out4, $out6; refused_source $r0 -> $(stat_of refused_source)"
out4=$(curl -sSk --max-time 60 --interface 127.0.0.2 https://127.0.0.1:8443/hello 2>&1)
out6=$(curl -sSk --max-time 60 --interface 2001:db8:3::a "https://$V6/hello" 2>&1)
[ "$out4" = "hello from the backend" ] && [ "$out6" = "hello from the backend" ] &&
	t_ok "other sources (127.0.0.2, 2001:db8:3::/64) are served meanwhile" ||
	t_fail "other sources (127.0.0.2, 2001:db8:3::/64) are served meanwhile" "$out4; $out6"
touch "$dir/go"
wait $hold4 $hold6
[[ $(cat "$dir/hold4.out") == *"ok 2"* ]] && [[ $(cat "$dir/hold6.out") == *"ok 2"* ]] &&
	t_ok "the connections within the limit were untouched" ||
	t_fail "the connections within the limit were untouched" "$(cat "$dir/hold4.out" "$dir/hold6.out")"
t_wait 30 idle
out4=$(hello)
out6=$(curl -sSk --max-time 60 --interface 2001:db8:2::b "https://$V6/hello" 2>&1)
[ "$out4" = "hello from the backend" ] && [ "$out6" = "hello from the backend" ] &&
	t_ok "once they closed, the same sources are served again" ||
	t_fail "once they closed, the same sources are served again" "$out4; $out6"
echo 0 > $params/max_conns_per_source
"$KHTTPSCTL" binding del $V6 > /dev/null
t_wait 30 idle

t_log "step: a SYN flood: SYN cookies keep the binding serving"
# The listeners are plain kernel TCP listeners (backlog 1024, or the
# namespace's net.core.somaxconn if lower, as for listen(2)): once the SYN
# queue is full, the namespace's net.ipv4.tcp_syncookies (1 unless an
# administrator turned it off) answers with cookies and keeps no state.
# 3000 SYNs from spoofed sources to a binding on 192.0.2.1, a veth of
# this namespace whose peer is down: the SYN-ACKs have a route (without
# one the kernel keeps no request) and go nowhere.  somaxconn 128 for this
# binding: the test shows it is honoured, and a small queue stays full
# however slowly a debug kernel lets the flood go out.
syncookies=$(sysctl -n net.ipv4.tcp_syncookies)
somaxconn=$(sysctl -n net.core.somaxconn)
sysctl -qw net.core.somaxconn=128
ip link add sf0 type veth peer name sf1
ip addr add 192.0.2.1/24 dev sf0
ip link set sf0 up
ip route add 198.51.100.0/24 dev sf0
F=192.0.2.1:8446
t_check "forward binding on $F" t_forward_binding $F
sysctl -qw net.core.somaxconn="$somaxconn"
sent0=$(t_tcpext SyncookiesSent); recv0=$(t_tcpext SyncookiesRecv); acc0=$(stat_of accepted)
# The flood goes on while the client connects: a request lives as long as
# its SYN-ACK retries, fewer once the queue is half full, and on a slow
# (debug) kernel the first ones age out before the client comes.
python3 "$T_SRC/tests/guest/synflood.py" 192.0.2.1 8446 3000 198.51.100.0 300 > "$dir/flood" 2>&1 &
fpid=$!; pids+=("$fpid")
t_wait 120 grep -q '^sent 3000$' "$dir/flood"
synrecv=$(ss -Htn state syn-recv "sport = :8446" | wc -l)
got=$(curl -sSk --max-time 60 https://$F/hello 2>&1)
kill "$fpid" 2>/dev/null; wait "$fpid"
out=$(head -n 1 "$dir/flood")
sent=$(( $(t_tcpext SyncookiesSent) - sent0 )); recv=$(( $(t_tcpext SyncookiesRecv) - recv0 ))
t_log "flood: $(tr '\n' ' ' < "$dir/flood")(tcp_syncookies $syncookies); $synrecv in the SYN queue; cookies sent $sent, validated $recv"
if [ "$syncookies" = 0 ]; then
	t_skip "SYN cookies answer a flood" "net.ipv4.tcp_syncookies is 0 here"
else
	[ "$out" = "sent 3000" ] && [ "$sent" -gt 0 ] && [ "$synrecv" -le 129 ] &&
		t_ok "the SYN queue stays within somaxconn 128 ($synrecv); the rest is answered with $sent cookies" ||
		t_fail "the SYN queue stays bounded; the rest is answered with cookies" "$out; queue $synrecv, cookies $sent"
	[ "$got" = "hello from the backend" ] && [ "$recv" -ge 1 ] &&
		t_ok "a client is served during the flood (its ACK carried a valid cookie)" ||
		t_fail "a client is served during the flood" "cookies validated $recv: $got"
fi
acc=$(( $(stat_of accepted) - acc0 ))
[ "$acc" = 1 ] && t_ok "the flood never reached khttps (1 connection accepted)" ||
	t_fail "the flood never reached khttps" "$acc accepted"
"$KHTTPSCTL" binding del $F > /dev/null
ip link del sf0
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

t_log "step: a full accept queue refuses at TCP accept, counted"
QB=127.0.0.1:8444
qhello() { curl -sSk --max-time 60 https://$QB/hello 2>&1; }
t_check "queue binding" "$KHTTPSCTL" binding add $QB cert "$dir/cert.pem" key "$dir/key.pem" queue www
echo 3 > $params/default_queue_len
q0=$(stat_of queue_full)
for n in 1 2 3; do
	(sleep 20 | openssl s_client -connect $QB) > /dev/null 2>&1 &
	pids+=($!)
done
t_wait 60 eval '[ "$(stat_of queued)" -ge 3 ]'
out=$(curl -sSk --max-time 30 https://$QB/hello 2>&1); rc=$?
if [ "$(stat_of queue_full)" -gt "$q0" ] && [ $rc -ne 0 ] && [ "$(stat_of queued)" = 3 ]; then
	t_ok "queue full: a fourth connection is refused and counted"
else
	t_fail "queue full: a fourth connection is refused and counted" \
		"queued $(stat_of queued), queue_full $q0 -> $(stat_of queue_full), curl rc $rc: $out"
fi
echo 128 > $params/default_queue_len
mkdir -p "$dir/www"
echo "hello from the backend" > "$dir/www/hello"
"$T_BUILD/khttps-serve" -q www -r "$dir/www" > "$dir/serve.log" 2>&1 &
server=$!
pids+=($server)
out=$(qhello)
t_wait 30 eval '[ "$(stat_of queued)" = 0 ]'
[ "$out" = "hello from the backend" ] && [ "$(stat_of queued)" = 0 ] &&
	t_ok "an application takes the waiting connections and serves new ones" ||
	t_fail "an application takes the waiting connections and serves new ones" "queued $(stat_of queued): $out"

t_log "step: the module stays while an application holds a connection"
kill "$server"; wait "$server" 2>/dev/null
python3 "$T_SRC/tests/guest/qapp.py" www hold "$dir/go2" > "$dir/qapp.out" 2>&1 &
app=$!
pids+=($app)
timeout 120 python3 "$probe" echo-close 127.0.0.1 8444 > "$dir/client.out" 2>&1 &
client=$!
pids+=($client)
t_wait 60 grep -q '^held' "$dir/qapp.out"
out=$(rmmod khttps 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *"in use"* ]] && [ -d /sys/module/khttps ] &&
	t_ok "rmmod is refused (in use) while an application holds a connection" ||
	t_fail "rmmod is refused (in use) while an application holds a connection" "rc $rc: $out"
touch "$dir/go2"
wait $client; wait $app
[ "$(cat "$dir/client.out")" = ok ] && grep -q '^done' "$dir/qapp.out" &&
	t_ok "that connection works on after the refused rmmod" ||
	t_fail "that connection works on after the refused rmmod" "$(cat "$dir/client.out"); $(cat "$dir/qapp.out")"
out=$(rmmod khttps 2>&1) && [ ! -d /sys/module/khttps ] &&
	t_ok "rmmod succeeds once the application closed it (bindings, daemon still there)" ||
	t_fail "rmmod succeeds once the application closed it (bindings, daemon still there)" "$out"
[ -d /sys/module/khttps ] || insmod "$T_SRC/khttps.ko"

if [ "$T_FAILED" -gt 0 ]; then
	"$KHTTPSCTL" stats | sed 's/^/#   /'
	tail -n 20 "$dir/khttpsd.log" | sed 's/^/#   khttpsd: /'
	[ -f "$dir/serve.log" ] && tail -n 20 "$dir/serve.log" | sed 's/^/#   khttps-serve: /'
fi
t_done
