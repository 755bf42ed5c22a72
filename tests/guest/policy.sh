#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Per-binding TLS policy and live changes: a certificate chain sent in
# order, protocol floor and TLS 1.3 off, ALPN lists, and `binding set` (or
# the files changing on disk) taking effect at the next handshake while
# established connections carry on undisturbed.
set -u
. "$(dirname "$0")/../lib.sh"
B=127.0.0.1:8443
t_scratch policy
t_cleanup() {
	"$KHTTPSCTL" binding del $B > /dev/null 2>&1
	echo 120000 > /sys/module/khttps/parameters/idle_timeout_ms
}
# Connections held across the steps stay idle longer than TCG makes sure of.
echo 0 > /sys/module/khttps/parameters/idle_timeout_ms
sclient() { echo | timeout 30 openssl s_client -connect $B -servername localhost "$@" 2>&1; }
certfp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
fp() { sclient | openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2; }
hello() { curl -sS --max-time 60 "$@" https://localhost:8443/hello --resolve localhost:8443:127.0.0.1 2>&1; }

t_log "step: a CA, an intermediate, a leaf; backend; daemon"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -days 2 -subj /CN=khttps-test-root -keyout "$dir/root.key" \
	-out "$dir/root.crt" > /dev/null 2>&1
printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n' > "$dir/ca.ext"
openssl req "${ec[@]}" -subj /CN=khttps-test-intermediate -keyout "$dir/inter.key" -out "$dir/inter.csr" > /dev/null 2>&1
openssl x509 -req -in "$dir/inter.csr" -CA "$dir/root.crt" -CAkey "$dir/root.key" -CAcreateserial \
	-days 2 -extfile "$dir/ca.ext" -out "$dir/inter.crt" > /dev/null 2>&1
printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:false\n' > "$dir/leaf.ext"
for leaf in leaf leaf2; do
	openssl req "${ec[@]}" -subj /CN=localhost -keyout "$dir/$leaf.key" -out "$dir/$leaf.csr" > /dev/null 2>&1
	openssl x509 -req -in "$dir/$leaf.csr" -CA "$dir/inter.crt" -CAkey "$dir/inter.key" -CAcreateserial \
		-days 2 -extfile "$dir/leaf.ext" -out "$dir/$leaf.crt" > /dev/null 2>&1
done
chmod 600 "$dir"/*.key
# leafB: a copy of leaf2 that stays as it is when leaf2's files are replaced.
cp -p "$dir/leaf2.crt" "$dir/leafB.crt"; cp -p "$dir/leaf2.key" "$dir/leafB.key"
mkdir -p "$dir/root-www"
python3 "$T_SRC/tests/guest/backend.py" 8080 "$dir/root-www" > "$dir/backend.log" 2>&1 &
pids+=($!)
t_wait 30 t_listening 127.0.0.1:8080 || t_log "backend not listening"
t_daemon
pids+=("$dpid")

t_log "step: certificate chain"
t_check "binding with chain FILE" "$KHTTPSCTL" binding add $B cert "$dir/leaf.crt" key "$dir/leaf.key" \
	chain "$dir/inter.crt" backend 127.0.0.1:8080
out=$(sclient -showcerts -CAfile "$dir/root.crt")
subjects=$(printf '%s\n' "$out" | grep -E '^ *[0-9] s:' | sed 's/^ *//')
[ "$(printf '%s\n' "$subjects" | head -n 2 | tr '\n' '|')" = "0 s:CN = localhost|1 s:CN = khttps-test-intermediate|" ] &&
	[[ $out == *"Verify return code: 0 (ok)"* ]] &&
	t_ok "the leaf, then the intermediate; verified against the root" ||
	t_fail "the leaf, then the intermediate; verified against the root" "$subjects / $(printf '%s\n' "$out" | grep 'Verify return')"
out=$(hello --cacert "$dir/root.crt")
[ "$out" = "hello from the backend" ] && t_ok "curl trusting only the root is served" ||
	t_fail "curl trusting only the root is served" "$out"

t_log "step: protocol floor and TLS 1.3 off"
t_check "binding set tls 1.3" "$KHTTPSCTL" binding set $B tls 1.3
f0=$(stat_of handshakes_failed_tls)
out=$(sclient -tls1_2)
[[ $out == *"alert protocol version"* || $out == *"alert number 70"* ]] &&
	t_ok "tls 1.3: a TLS 1.2 client is refused (protocol_version)" ||
	t_fail "tls 1.3: a TLS 1.2 client is refused (protocol_version)" "$(printf '%s\n' "$out" | grep -i alert | head -n 2)"
[ "$(stat_of handshakes_failed_tls)" -gt "$f0" ] && t_ok "and counted as handshakes_failed_tls" ||
	t_fail "and counted as handshakes_failed_tls" "$f0 -> $(stat_of handshakes_failed_tls)"
[[ $(sclient -tls1_3) == *"Protocol  : TLSv1.3"* || $(sclient -tls1_3) == *"TLSv1.3"* ]] &&
	t_ok "tls 1.3: a TLS 1.3 client is served" || t_fail "tls 1.3: a TLS 1.3 client is served"
out=$("$KHTTPSCTL" binding set $B tls13 off 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"below the lowest"* ]] && t_ok "tls 1.3 with tls13 off is refused" ||
	t_fail "tls 1.3 with tls13 off is refused" "rc $rc: $out"
out=$("$KHTTPSCTL" binding set $B tls 1.1 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"1.2 or 1.3"* ]] && t_ok "tls 1.1 is no word" || t_fail "tls 1.1 is no word" "rc $rc: $out"
t_check "binding set tls 1.2 tls13 off" "$KHTTPSCTL" binding set $B tls 1.2 tls13 off
out=$(sclient -tls1_3)
[[ $out == *"alert protocol version"* || $out == *"alert number 70"* ]] &&
	t_ok "tls13 off: a TLS 1.3-only client is refused" ||
	t_fail "tls13 off: a TLS 1.3-only client is refused" "$(printf '%s\n' "$out" | grep -i alert | head -n 2)"
out=$(sclient)
[[ $out == *"TLSv1.2"* ]] && t_ok "tls13 off: a client offering both gets TLS 1.2" ||
	t_fail "tls13 off: a client offering both gets TLS 1.2" "$(printf '%s\n' "$out" | grep -E 'Protocol|New,')"
out=$(hello --cacert "$dir/root.crt")
[ "$out" = "hello from the backend" ] && t_ok "and is served" || t_fail "and is served" "$out"
t_check "binding set tls13 on" "$KHTTPSCTL" binding set $B tls13 on

t_log "step: ALPN"
out=$(sclient -alpn h2,http/1.1)
[[ $out == *"ALPN protocol: http/1.1"* ]] && t_ok "default ALPN: http/1.1 chosen from h2,http/1.1" ||
	t_fail "default ALPN: http/1.1 chosen from h2,http/1.1" "$(printf '%s\n' "$out" | grep -i alpn)"
out=$(sclient -alpn h2)
[[ $out == *"No ALPN negotiated"* ]] && [[ $out == *"Verify return"* ]] &&
	t_ok "a client offering only h2 gets no ALPN, and no alert" ||
	t_fail "a client offering only h2 gets no ALPN, and no alert" "$(printf '%s\n' "$out" | grep -iE 'alpn|alert')"
t_check "binding set alpn h2,http/1.1" "$KHTTPSCTL" binding set $B alpn h2,http/1.1
out=$(sclient -alpn http/1.1,h2)
[[ $out == *"ALPN protocol: h2"* ]] && t_ok "alpn h2,http/1.1: the server's preference wins" ||
	t_fail "alpn h2,http/1.1: the server's preference wins" "$(printf '%s\n' "$out" | grep -i alpn)"
out=$("$KHTTPSCTL" binding set $B alpn 'h2,,x' 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"ALPN is protocol names"* ]] && t_ok "a malformed ALPN list is refused" ||
	t_fail "a malformed ALPN list is refused" "rc $rc: $out"
"$KHTTPSCTL" binding show > "$dir/show.txt"
grep -q "alpn h2,http/1.1 chain $dir/inter.crt" "$dir/show.txt" && t_ok "binding show lists the policy words" ||
	t_fail "binding show lists the policy words" "$(cat "$dir/show.txt")"
"$KHTTPSCTL" --json binding show | python3 -c '
import json, sys
b = json.load(sys.stdin)[0]
assert b["tls"] == "1.2" and b["tls13"] is True and b["alpn"] == "h2,http/1.1" and b["chain"].endswith("/inter.crt"), b' 2>&1 &&
	t_ok "binding show --json gives the policy" || t_fail "binding show --json gives the policy"
t_check "binding set alpn http/1.1" "$KHTTPSCTL" binding set $B alpn http/1.1

t_log "step: live certificate changes, established connections undisturbed"
python3 "$T_SRC/tests/guest/tlsprobe.py" hold 127.0.0.1 8443 4 "$dir/go" > "$dir/hold.out" 2>&1 &
hold=$!
pids+=($hold)
t_wait 120 grep -q '^ready' "$dir/hold.out" || t_log "hold: $(cat "$dir/hold.out")"
[ "$(fp)" = "$(certfp "$dir/leaf.crt")" ] && t_ok "serving leaf" || t_fail "serving leaf" "$(fp)"
t_check "binding set cert leaf2" "$KHTTPSCTL" binding set $B cert "$dir/leaf2.crt" key "$dir/leaf2.key"
[ "$(fp)" = "$(certfp "$dir/leaf2.crt")" ] && t_ok "the next handshake gets leaf2" ||
	t_fail "the next handshake gets leaf2" "$(fp)"
# The same paths, new contents: the daemon notices the files changed.
cp "$dir/leaf.crt" "$dir/leaf2.crt.new"; cp "$dir/leaf.key" "$dir/leaf2.key.new"
mv "$dir/leaf2.crt.new" "$dir/leaf2.crt"; mv "$dir/leaf2.key.new" "$dir/leaf2.key"
[ "$(fp)" = "$(certfp "$dir/leaf.crt")" ] && t_ok "a certificate file replaced on disk is used at once" ||
	t_fail "a certificate file replaced on disk is used at once" "$(fp)"
touch "$dir/go"
wait "$hold"
[[ $(cat "$dir/hold.out") == *"ok 4"* ]] && t_ok "4 connections made before the changes worked on" ||
	t_fail "4 connections made before the changes worked on" "$(cat "$dir/hold.out")"
t_log "step: certificate rotation under load"
# New handshakes back to back while the certificate changes under them,
# by binding set and by files replaced one after the other on disk.
python3 - "$dir/stop" > "$dir/load.out" 2>&1 <<'PY' &
import os, socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ok = bad = 0
seen = set()
while not os.path.exists(sys.argv[1]):
    try:
        with socket.create_connection(("127.0.0.1", 8443), timeout=30) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                seen.add(s.getpeercert(binary_form=True))
                s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    d = s.recv(4096)
                    if not d:
                        break
                    data += d
        if data.startswith(b"HTTP/1.1 200") and data.rstrip().endswith(b"hello from the backend"):
            ok += 1
        else:
            bad += 1
            print("bad response", data[:80], flush=True)
    except (OSError, ssl.SSLError) as e:
        bad += 1
        print("error", e, flush=True)
print("ok", ok, "failed", bad, "certificates", len(seen))
PY
load=$!
pids+=($load)
for round in 1 2 3; do
	sleep 2
	"$KHTTPSCTL" binding set $B cert "$dir/leaf.crt" key "$dir/leaf.key"
	sleep 2
	"$KHTTPSCTL" binding set $B cert "$dir/leaf2.crt" key "$dir/leaf2.key"
	sleep 2
	# leaf2's files take the other key pair: certificate first, key after.
	if [ $((round % 2)) = 1 ]; then src=leafB; else src=leaf; fi
	cp "$dir/$src.crt" "$dir/leaf2.crt.new"; mv "$dir/leaf2.crt.new" "$dir/leaf2.crt"
	sleep 0.5
	cp -p "$dir/$src.key" "$dir/leaf2.key.new"; mv "$dir/leaf2.key.new" "$dir/leaf2.key"
done
sleep 2
touch "$dir/stop"
wait "$load"
out=$(tail -n 1 "$dir/load.out")
read -r _ nok _ nbad _ ncert <<< "$out"
[ "${nbad:-1}" = 0 ] && [ "${nok:-0}" -ge 20 ] && [ "${ncert:-0}" -ge 2 ] &&
	t_ok "rotation under load: $nok requests, $ncert certificates, none failed ($(grep -c 'serving the version loaded before' "$dir/khttpsd.log") handshakes in a half-replaced moment kept the old pair)" ||
	t_fail "rotation under load: none failed" "$(tail -n 5 "$dir/load.out")"

out=$("$KHTTPSCTL" binding set 127.0.0.1:9443 tls 1.3 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"no binding matches"* ]] && t_ok "binding set on no binding says so" ||
	t_fail "binding set on no binding says so" "rc $rc: $out"
out=$("$KHTTPSCTL" binding set $B cert "$dir/leaf.crt" 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"with its key"* ]] && t_ok "a certificate without its key is refused" ||
	t_fail "a certificate without its key is refused" "rc $rc: $out"
t_check "binding del" "$KHTTPSCTL" binding del $B
t_wait 30 eval '[ "$(stat_of active)" = 0 ]'
[ "$(stat_of active)" = 0 ] && t_ok "nothing left over" || t_fail "nothing left over" "active $(stat_of active)"
if [ "$T_FAILED" -gt 0 ]; then
	tail -n 30 "$dir/khttpsd.log" | sed 's/^/#   khttpsd: /'
fi
t_done
