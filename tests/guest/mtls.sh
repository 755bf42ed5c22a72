#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# khttps-test: shared
# Client certificates per binding (clientcert off|request|require, ca, crl),
# negotiated in the first handshake for TLS 1.2 and 1.3: a verified client
# is served; a missing, untrusted, expired or revoked certificate fails with
# the alert TLS defines for it and is counted.
set -u
. "$(dirname "$0")/../lib.sh"
B=127.0.0.1:8443
t_scratch mtls
t_cleanup() { "$KHTTPSCTL" binding del $B > /dev/null 2>&1; }
resumed_on() {
	"$KHTTPSCTL" --json binding show | python3 -c "import json,sys
print(next(b['stats']['handshakes_resumed'] for b in json.load(sys.stdin) if b['bind'] == '$1'))"
}
# curl as client $1 ("" for none), more curl options after it.
as() {
	local who=$1 id=()
	shift
	[ -n "$who" ] && id=(--cert "$dir/$who.crt" --key "$dir/$who.key")
	curl -sS --max-time 60 --cacert "$dir/server.crt" --resolve localhost:8443:127.0.0.1 \
		"${id[@]}" "$@" https://localhost:8443/hello 2>&1
}
served() { [ "$1" = "hello from the backend" ]; }

t_log "step: certificates, backend, daemon"
python3 "$T_SRC/tests/guest/pki.py" "$dir"
t_backend
t_daemon
pids+=("$dpid")
out=$("$KHTTPSCTL" binding add $B cert "$dir/server.crt" key "$dir/server.key" clientcert require \
	backend 127.0.0.1:8080 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"need a ca file"* ]] && t_ok "clientcert require without a ca is refused" ||
	t_fail "clientcert require without a ca is refused" "rc $rc: $out"
out=$("$KHTTPSCTL" binding add $B cert "$dir/server.crt" key "$dir/server.key" clientcert maybe \
	ca "$dir/ca.crt" backend 127.0.0.1:8080 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"off, request or require"* ]] && t_ok "clientcert maybe is no word" ||
	t_fail "clientcert maybe is no word" "rc $rc: $out"
t_check "binding with clientcert require, ca and crl" "$KHTTPSCTL" binding add $B \
	cert "$dir/server.crt" key "$dir/server.key" clientcert require ca "$dir/ca.crt" \
	crl "$dir/crl.pem" backend 127.0.0.1:8080

t_log "step: clientcert require"
f0=$(stat_of handshakes_failed_client_cert)
for v in 1.3 1.2; do
	ver=(--tlsv$v --tls-max $v)
	out=$(as alice "${ver[@]}")
	served "$out" && t_ok "TLS $v: a certificate from the CA is served" ||
		t_fail "TLS $v: a certificate from the CA is served" "$out"
	out=$(as "" "${ver[@]}")
	if [ $v = 1.3 ]; then want="certificate required"; else want="handshake failure"; fi
	! served "$out" && [[ $out == *"$want"* ]] && t_ok "TLS $v: no certificate: $want" ||
		t_fail "TLS $v: no certificate: $want" "$out"
done
out=$(as eve)
[[ $out == *"unknown ca"* ]] && t_ok "an untrusted certificate: unknown_ca" || t_fail "an untrusted certificate: unknown_ca" "$out"
out=$(as old)
[[ $out == *"certificate expired"* ]] && t_ok "an expired certificate: certificate_expired" ||
	t_fail "an expired certificate: certificate_expired" "$out"
out=$(as mallory)
[[ $out == *"certificate revoked"* ]] && t_ok "a revoked certificate (CRL): certificate_revoked" ||
	t_fail "a revoked certificate (CRL): certificate_revoked" "$out"
f=$(( $(stat_of handshakes_failed_client_cert) - f0 ))
[ $f = 5 ] && t_ok "5 refused client certificates counted" || t_fail "5 refused client certificates counted" "$f"
grep -q "client certificate: certificate revoked" "$dir/khttpsd.log" &&
	t_ok "khttpsd logs why a client certificate failed" || t_fail "khttpsd logs why a client certificate failed"

t_log "step: clientcert request"
t_check "binding set clientcert request" "$KHTTPSCTL" binding set $B clientcert request
out=$(as "")
served "$out" && t_ok "request: a client without a certificate is served" ||
	t_fail "request: a client without a certificate is served" "$out"
out=$(as alice)
served "$out" && t_ok "request: a verified certificate is served" || t_fail "request: a verified certificate is served" "$out"
out=$(as eve)
[[ $out == *"unknown ca"* ]] && t_ok "request: an untrusted certificate is still refused" ||
	t_fail "request: an untrusted certificate is still refused" "$out"
"$KHTTPSCTL" binding show | grep -q "clientcert request ca $dir/ca.crt crl $dir/crl.pem" &&
	t_ok "binding show lists clientcert, ca and crl" || t_fail "binding show lists clientcert, ca and crl" "$("$KHTTPSCTL" binding show)"

t_log "step: the verified identity reaches a queue application"
t_check "queue binding 127.0.0.1:8444 with clientcert require" "$KHTTPSCTL" binding add 127.0.0.1:8444 \
	cert "$dir/server.crt" key "$dir/server.key" clientcert require ca "$dir/ca.crt" queue mtls
"$T_BUILD/khttps-serve" -q mtls -r "$dir/root" > "$dir/serve.log" 2>&1 &
pids+=($!)
info=$(curl -sS --max-time 60 --cacert "$dir/server.crt" --resolve localhost:8444:127.0.0.1 \
	--cert "$dir/alice.crt" --key "$dir/alice.key" https://localhost:8444/_khttps/info 2>&1)
want_fp=$(openssl x509 -in "$dir/alice.crt" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
want_serial=$(openssl x509 -in "$dir/alice.crt" -noout -serial | cut -d= -f2)
[[ $info == *"client_subject CN=alice"* ]] && [[ $info == *"client_issuer CN=khttps-test-client-ca"* ]] &&
	[[ $info == *"client_serial $want_serial"* ]] && [[ $info == *"client_sha256 $want_fp"* ]] &&
	t_ok "libkhttps gives subject, issuer, serial and SHA-256 of the client certificate" ||
	t_fail "libkhttps gives subject, issuer, serial and SHA-256 of the client certificate" "$info"
# A resumed session carries the certificate of its full handshake.  The end
# of the first connection must not decide here: closenotify off.
t_check "binding set 127.0.0.1:8444 closenotify off" "$KHTTPSCTL" binding set 127.0.0.1:8444 \
	closenotify off
r0=$(resumed_on 127.0.0.1:8444)
info=$(curl -sS --max-time 60 --cacert "$dir/server.crt" --resolve localhost:8444:127.0.0.1 \
	--cert "$dir/alice.crt" --key "$dir/alice.key" -H "Connection: close" \
	https://localhost:8444/_khttps/info https://localhost:8444/_khttps/info 2>&1)
r=$(( $(resumed_on 127.0.0.1:8444) - r0 ))
[ "$(grep -c "client_sha256 $want_fp" <<< "$info")" = 2 ] && [ "$r" = 1 ] &&
	t_ok "a resumed connection gives the application the same client certificate" ||
	t_fail "a resumed connection gives the application the same client certificate" "$r resumed: $info"
"$KHTTPSCTL" binding del 127.0.0.1:8444

t_log "step: clientcert off"
t_check "binding set clientcert off" "$KHTTPSCTL" binding set $B clientcert off
out=$(as eve)
served "$out" && t_ok "off: no certificate is asked for or checked" || t_fail "off: no certificate is asked for or checked" "$out"
t_check "binding del" "$KHTTPSCTL" binding del $B
if [ "$T_FAILED" -gt 0 ]; then
	tail -n 30 "$dir/khttpsd.log" | sed 's/^/#   khttpsd: /'
fi
t_done
