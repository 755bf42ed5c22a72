#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bindings and the handshake upcall with real clients: khttpsctl manages
# bindings (and says what is wrong), the kernel listens and accepts, khttpsd
# does the handshake, and the kernel installs kTLS (counted by khttps and by
# kTLS itself in /proc/net/tls_stat).  No handshake without a daemon: it
# times out and is counted.  Plaintext delivery is not tested here yet.
set -u
. "$(dirname "$0")/../lib.sh"
dir=$(mktemp -d /tmp/khttps-hs.XXXXXX)
away=$(mktemp -d /tmp/khttps-untrusted.XXXXXX)
dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	"$KHTTPSCTL" binding del 127.0.0.1:8443 > /dev/null 2>&1
	"$KHTTPSCTL" binding del 127.0.0.1:8444 > /dev/null 2>&1
	"$KHTTPSCTL" binding del [::1]:8443 > /dev/null 2>&1
	"$KHTTPSCTL" binding del 127.0.0.1:8446 > /dev/null 2>&1
	echo 10000 > /sys/module/khttps/parameters/handshake_timeout_ms
	rm -rf "$dir" "$away"
}
trap cleanup EXIT

t_log "step: certificates (ECDSA P-256 and RSA-2048, self-signed)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
	-keyout "$dir/ec.key" -out "$dir/ec.crt" > /dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
	-keyout "$dir/rsa.key" -out "$dir/rsa.crt" > /dev/null 2>&1
chmod 600 "$dir"/*.key

t_log "step: bindings"
out=$("$KHTTPSCTL" binding add 127.0.0.1:8443 cert "$dir/ec.crt" key "$dir/ec.key" backend 127.0.0.1:8080 2>&1)
[ $? = 0 ] && t_ok "binding add (forward)" || t_fail "binding add (forward)" "$out"
out=$("$KHTTPSCTL" binding add 127.0.0.1:8443 cert "$dir/ec.crt" key "$dir/ec.key" backend 127.0.0.1:8080 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"binding for this address and port exists"* ]] && t_ok "duplicate binding refused with a reason" ||
	t_fail "duplicate binding refused with a reason" "rc $rc: $out"
out=$("$KHTTPSCTL" binding add [::1]:8443 cert "$dir/rsa.crt" key "$dir/rsa.key" queue app 2>&1)
[ $? = 0 ] && t_ok "binding add [::1]:8443 (queue)" || t_fail "binding add [::1]:8443 (queue)" "$out"
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",8444)); s.listen(); time.sleep(30)' &
nc_pid=$!
t_wait 20 t_listening 127.0.0.1:8444
out=$("$KHTTPSCTL" binding add 127.0.0.1:8444 cert "$dir/ec.crt" key "$dir/ec.key" queue q 2>&1); rc=$?
kill $nc_pid 2>/dev/null; wait $nc_pid 2>/dev/null
[ $rc = 1 ] && [[ $out == *"port is in use"* ]] && t_ok "port in use is reported" || t_fail "port in use is reported" "rc $rc: $out"
out=$("$KHTTPSCTL" binding add 300.1.1.1:8443 cert "$dir/ec.crt" key "$dir/ec.key" queue q 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"not an IP address"* ]] && t_ok "bad address is reported" || t_fail "bad address is reported" "rc $rc: $out"
out=$("$KHTTPSCTL" binding add 127.0.0.1:8445 cert "$dir/none.crt" key "$dir/ec.key" queue q 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"No such file"* ]] && t_ok "missing certificate is reported" || t_fail "missing certificate is reported" "rc $rc: $out"
out=$("$KHTTPSCTL" binding del 127.0.0.1:9999 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"no binding"* ]] && t_ok "deleting an unknown binding is reported" || t_fail "deleting an unknown binding is reported" "rc $rc: $out"
json=$("$KHTTPSCTL" --json binding show)
if python3 -c 'import json,sys; b={x["bind"]:x for x in json.loads(sys.argv[1])}; assert b["127.0.0.1:8443"]["mode"]=="forward" and b["127.0.0.1:8443"]["backend"]=="127.0.0.1:8080" and b["[::1]:8443"]["queue"]=="app" and len(b)==2' "$json"; then
	t_ok "binding show --json lists both"
else
	t_fail "binding show --json lists both" "$json"
fi
out=$("$KHTTPSCTL" binding del [::1]:8443 2>&1) && ! "$KHTTPSCTL" binding show | grep -q '::1' && t_ok "binding del" || t_fail "binding del" "$out"

t_log "step: no daemon: the handshake times out and is counted"
echo 1000 > /sys/module/khttps/parameters/handshake_timeout_ms
before=$(stat_of handshake_timeouts)
start=$(date +%s%N)
timeout 20 openssl s_client -connect 127.0.0.1:8443 < /dev/null > "$dir/nodaemon.log" 2>&1
took=$(( ($(date +%s%N) - start) / 1000000 ))
after=$(stat_of handshake_timeouts)
if [ "$after" = $((before + 1)) ] && [ "$took" -lt $((10000 * T_SLOW)) ]; then
	t_ok "handshake without a daemon times out (${took} ms) and is counted"
else
	t_fail "handshake without a daemon times out and is counted" "timeouts $before -> $after, took ${took} ms"
fi
echo 10000 > /sys/module/khttps/parameters/handshake_timeout_ms

t_log "step: HS_ACCEPT by hand: the reply that takes the last waiting connection says so"
lost0=$(stat_of worker_lost)
out=$(timeout 60 python3 "$T_SRC/tests/guest/acceptlast.py" 127.0.0.1 8443 3 2>&1) &&
	t_ok "HS_ACCEPT: KHTTPS_A_LAST on the last of 3 waiting, then EAGAIN ($out)" ||
	t_fail "HS_ACCEPT: KHTTPS_A_LAST on the last of 3 waiting, then EAGAIN" "$out"
# Its netlink socket closed: the three it took fail as worker_lost at once.
t_wait 10 eval '[ "$(stat_of pending)" = 0 ]'
[ "$(stat_of worker_lost)" = $((lost0 + 3)) ] && [ "$(stat_of pending)" = 0 ] &&
	t_ok "the connections of a worker that went away fail at once (worker_lost)" ||
	t_fail "the connections of a worker that went away fail at once" \
		"worker_lost $lost0 -> $(stat_of worker_lost), pending $(stat_of pending)"

t_log "step: READY to one worker: each names its group socket in HS_ACCEPT"
out=$(timeout 120 python3 "$T_SRC/tests/guest/readyone.py" 127.0.0.1 8443 2>&1) &&
	t_ok "READY wakes one worker, a burst both, a gone worker's share the other, an old worker all, a stuck one all ($out)" ||
	t_fail "READY wakes one worker, a burst both, a gone worker's share the other, an old worker all, a stuck one all" "$out"
t_wait 10 eval '[ "$(stat_of pending)" = 0 ]'

t_log "step: daemon; TLS 1.3 and 1.2 with each kTLS cipher"
"$KHTTPSD" -f -w 2 --trust "$dir" 2> "$dir/khttpsd.log" &
dpid=$!
t_wait 10 grep -q ' ready: ' "$dir/khttpsd.log"
handshake() {	# NAME ARGS...: one s_client handshake, then the counters
	local name=$1; shift
	local ok0 tx0 rx0 ok1 tx1 rx1 out
	ok0=$(stat_of handshakes_ok); tx0=$(t_tls_stat TlsTxSw); rx0=$(t_tls_stat TlsRxSw)
	# The client stays connected until the daemon counted the handshake (at
	# most 20 s): in TLS 1.3 the client finishes first, and one that left
	# before the keys were installed would be counted as gone. A fixed wait
	# lost the first handshake when the daemon's first one was slow.
	out=$(t_wait 20 eval '[ "$(stat_of handshakes_ok)" -gt "$ok0" ]' |
		timeout 60 openssl s_client -connect 127.0.0.1:8443 -servername localhost "$@" 2>&1)
	t_wait 5 eval '[ "$(stat_of handshakes_ok)" -gt "$ok0" ]'
	ok1=$(stat_of handshakes_ok); tx1=$(t_tls_stat TlsTxSw); rx1=$(t_tls_stat TlsRxSw)
	if [[ $out == *"$name"* ]] && [ "$ok1" = $((ok0 + 1)) ] && [ "$tx1" = $((tx0 + 1)) ] && [ "$rx1" = $((rx0 + 1)) ]; then
		t_ok "handshake $* -> kTLS installed"
	else
		printf '%s\n' "$out" | grep -E 'Protocol|Cipher|error|alert' | head -5 | sed 's/^/#   /'
		t_fail "handshake $* -> kTLS installed" "handshakes_ok $ok0->$ok1, TlsTxSw $tx0->$tx1, TlsRxSw $rx0->$rx1"
	fi
}
handshake TLS_AES_128_GCM_SHA256 -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256
handshake TLS_AES_256_GCM_SHA384 -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384
handshake TLS_CHACHA20_POLY1305_SHA256 -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256
handshake ECDHE-ECDSA-AES128-GCM-SHA256 -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
handshake ECDHE-ECDSA-AES256-GCM-SHA384 -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384
handshake ECDHE-ECDSA-CHACHA20-POLY1305 -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305

before=$(stat_of handshakes_failed); tls0=$(stat_of handshakes_failed_tls)
out=$(timeout 30 openssl s_client -connect 127.0.0.1:8443 -tls1_1 < /dev/null 2>&1)
t_wait 5 eval '[ "$(stat_of handshakes_failed)" -gt "$before" ]'
[ "$(stat_of handshakes_failed)" = $((before + 1)) ] && [ "$(stat_of handshakes_failed_tls)" = $((tls0 + 1)) ] &&
	t_ok "TLS 1.1 refused and counted as failed (reason: tls)" ||
	t_fail "TLS 1.1 refused and counted as failed (reason: tls)" "$(printf '%s' "$out" | tail -n 2)"
before=$(stat_of handshakes_failed); tls0=$(stat_of handshakes_failed_tls)
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 10 python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",8443)); s.sendall(sys.stdin.buffer.read()); s.settimeout(5); s.recv(100)' 2>/dev/null
t_wait 5 eval '[ "$(stat_of handshakes_failed)" -gt "$before" ]'
[ "$(stat_of handshakes_failed)" = $((before + 1)) ] && [ "$(stat_of handshakes_failed_tls)" = $((tls0 + 1)) ] &&
	t_ok "plaintext HTTP on the TLS port fails that handshake only (reason: tls)" ||
	t_fail "plaintext HTTP on the TLS port fails that handshake only (reason: tls)"
before=$(stat_of handshakes_failed); closed0=$(stat_of handshakes_failed_closed)
# Half a ClientHello, then the client goes.
timeout 10 python3 -c 'import socket,time; s=socket.create_connection(("127.0.0.1",8443)); s.sendall(b"\x16\x03\x01\x02\x00\x01"); time.sleep(1); s.close()'
t_wait 5 eval '[ "$(stat_of handshakes_failed)" -gt "$before" ]'
[ "$(stat_of handshakes_failed)" = $((before + 1)) ] && [ "$(stat_of handshakes_failed_closed)" = $((closed0 + 1)) ] &&
	t_ok "a client that leaves mid-handshake is counted (reason: closed)" ||
	t_fail "a client that leaves mid-handshake is counted (reason: closed)" \
		"failed $before -> $(stat_of handshakes_failed), closed $closed0 -> $(stat_of handshakes_failed_closed)"

t_log "step: a private key readable by others is refused"
chmod 644 "$dir/ec.key"
before=$(stat_of handshakes_failed); cert0=$(stat_of handshakes_failed_cert)
timeout 30 openssl s_client -connect 127.0.0.1:8443 < /dev/null > /dev/null 2>&1
t_wait 5 eval '[ "$(stat_of handshakes_failed)" -gt "$before" ]'
chmod 600 "$dir/ec.key"
if [ "$(stat_of handshakes_failed)" = $((before + 1)) ] && [ "$(stat_of handshakes_failed_cert)" = $((cert0 + 1)) ] &&
   grep -q "readable by group or others" "$dir/khttpsd.log"; then
	t_ok "group/other-readable private key refused with a clear log line"
else
	t_fail "group/other-readable private key refused with a clear log line" "$(tail -n 3 "$dir/khttpsd.log")"
fi

t_log "step: files outside the --trust directory are refused, also once cached"
# khttpsctl gives the kernel resolved paths; the daemon resolves them again
# when it loads the files, and reuses what it loaded while the files are the
# same (device, inode, size, mtime).  A directory on the path turned into a
# link to copies outside the trusted directory must be refused.
mkdir "$dir/site"
cp "$dir/ec.crt" "$dir/ec.key" "$dir/site/"
cp "$dir/ec.crt" "$dir/ec.key" "$away/"
chmod 600 "$dir/site/ec.key" "$away/ec.key"
"$KHTTPSCTL" binding add 127.0.0.1:8446 cert "$dir/site/ec.crt" key "$dir/site/ec.key" backend 127.0.0.1:8080 > /dev/null
# Each client stays until its handshake was counted, as ok or as failed.
counted() { echo $(( $(stat_of handshakes_ok) + $(stat_of handshakes_failed) )); }
hs8446() {
	local n0; n0=$(counted)
	t_wait 20 eval '[ "$(counted)" -gt "$n0" ]' |
		timeout 60 openssl s_client -connect 127.0.0.1:8446 > /dev/null 2>&1
}
ok0=$(stat_of handshakes_ok)
hs8446; hs8446; hs8446
t_wait 5 eval '[ "$(stat_of handshakes_ok)" -ge $((ok0 + 3)) ]'
[ "$(stat_of handshakes_ok)" = $((ok0 + 3)) ] && t_ok "files in the trusted directory: served (again from the cache)" ||
	t_fail "files in the trusted directory: served" "handshakes_ok $ok0 -> $(stat_of handshakes_ok)"
mv "$dir/site" "$dir/site.old"
ln -s "$away" "$dir/site"
before=$(stat_of handshakes_failed); ok0=$(stat_of handshakes_ok)
hs8446; hs8446
t_wait 5 eval '[ "$(stat_of handshakes_failed)" -ge $((before + 2)) ]'
if [ "$(stat_of handshakes_failed)" = $((before + 2)) ] && [ "$(stat_of handshakes_ok)" = "$ok0" ] &&
   grep -q "refusing $dir/site/ec.crt: not under a trusted directory" "$dir/khttpsd.log"; then
	t_ok "the path turned outside the trusted directory: refused with a clear log line"
else
	t_fail "the path turned outside the trusted directory: refused" \
		"failed $before -> $(stat_of handshakes_failed), ok $ok0 -> $(stat_of handshakes_ok); $(tail -n 2 "$dir/khttpsd.log")"
fi

t_log "step: the daemon exits cleanly"
kill -TERM "$dpid"; wait "$dpid"; rc=$?; dpid=
[ $rc = 0 ] && t_ok "khttpsd exits 0 on SIGTERM with workers" || t_fail "khttpsd exits 0 on SIGTERM with workers" "status $rc"
sed 's/^/#   khttpsd: /' "$dir/khttpsd.log" | tail -n 12
t_done
