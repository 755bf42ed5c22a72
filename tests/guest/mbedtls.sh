#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# khttps-test: shared
# The second handshake engine, mbedTLS 2.28 (TLS 1.2 only): "engine mbedtls"
# per binding and "khttpsd --engine mbedtls" for the whole daemon, with the
# TLS 1.2 matrix the OpenSSL engine passes: every kTLS suite with ECDSA and
# RSA certificates through curl, openssl s_client, gnutls-cli and an mbedTLS
# client, bodies checked by SHA-256 both ways; close_notify, bad records,
# renegotiation; client certificates (request/require, untrusted, expired,
# revoked) with the same identity strings as OpenSSL's; tickets and session
# ids across workers, a daemon restart, resume off, a new certificate and the
# close_notify policy; SNI and ccs bindings beside OpenSSL ones on one port;
# ALPN; TLS 1.3 refused.  khttpsd -v logs which engine ran each handshake.
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch mbedtls
B=127.0.0.1:8443
t_cleanup() {
	local b
	for b in $B 127.0.0.1:8444 127.0.0.1:8445 127.0.0.1:8446 www.mb.test:8447 \
		 www.os.test:8447 ccs:8448; do
		"$KHTTPSCTL" binding del $b > /dev/null 2>&1
	done
}
show_of() {	# BINDING FIELD
	"$KHTTPSCTL" --json binding show |
		python3 -c "import json,sys; print([b for b in json.load(sys.stdin) if b['bind'] == '$1'][0]['$2'])"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
by() { grep -c "by $1\$" "$dir/khttpsd.log"; }
start_daemon() {
	"$KHTTPSD" -f -v -w 2 --trust "$dir" --ticket-keys "$dir/keys/ticket-keys" "$@" \
		>> "$dir/khttpsd.log" 2>&1 &
	daemon=$!
	pids+=($daemon)
	t_wait 20 eval '[ "$(pgrep -c -P $daemon)" = 2 ]' || t_log "workers did not start"
}
stop_daemon() { kill "$daemon"; wait "$daemon" 2>/dev/null; }
# One HTTP/1.0 request through s_client -tls1_2 on PORT, more options after it.
hs() {
	local port=$1
	shift
	printf 'GET /hello HTTP/1.0\r\nHost: localhost\r\n\r\n' |
		timeout 60 openssl s_client -connect 127.0.0.1:$port -servername localhost -tls1_2 \
			-ign_eof "$@" 2>&1
	t_wait 30 eval '[ "$(stat_of active)" = 0 ]' || echo "connections still active" >&2
}
kind() { grep -oE '^(New|Reused), TLSv1\.[23]' <<< "$1" | head -n 1; }
fp_of() { openssl x509 -in "$1" -outform der | sha256sum | cut -d' ' -f1; }
served_fp() {	# PORT SNI: the SHA-256 of the certificate the server sent
	timeout 60 openssl s_client -connect 127.0.0.1:$1 -servername "$2" -tls1_2 < /dev/null 2>/dev/null |
		openssl x509 -outform der 2>/dev/null | sha256sum | cut -d' ' -f1
}
selfsigned() {	# NAME CN [KEY-ARGS...]: default P-256
	local name=$1 cn=$2 key=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
	shift 2
	[ $# -gt 0 ] && key=("$@")
	openssl req -x509 -nodes -days 2 -subj "/CN=$cn" -addext "subjectAltName=DNS:$cn" "${key[@]}" \
		-keyout "$dir/$name.key" -out "$dir/$name.crt" > /dev/null 2>&1
	chmod 600 "$dir/$name.key"
}

t_log "step: certificates, files, backend, daemon"
python3 "$T_SRC/tests/guest/pki.py" "$dir"
selfsigned rsa localhost -newkey rsa:2048
selfsigned mb www.mb.test
selfsigned os www.os.test
mkdir -p "$dir/store"
selfsigned store/ccs1.mb.test ccs1.mb.test
# A client certificate whose names need RFC 2253 escaping, and a serial with a leading zero byte.
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$dir/bob.key" \
	-subj "/C=DE/O=Example, Inc./OU=R\\+D \"lab\"/CN=bob <b\\\\o>" -out "$dir/bob.csr" 2> /dev/null
openssl x509 -req -in "$dir/bob.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -set_serial 0x00ff \
	-days 2 -out "$dir/bob.crt" 2> /dev/null
chmod 600 "$dir/bob.key"
sizes="0 16385 1048576"
mkdir -p "$dir/root"
for n in $sizes; do head -c "$n" /dev/urandom > "$dir/root/f$n"; done
t_backend
start_daemon

t_log "step: the engine word"
out=$("$KHTTPSCTL" binding add $B cert "$dir/server.crt" key "$dir/server.key" engine mbedtls \
	tls 1.3 backend 127.0.0.1:8080 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"TLS 1.2 only"* ]] &&
	t_ok "engine mbedtls with tls 1.3 is refused: the kernel says why" ||
	t_fail "engine mbedtls with tls 1.3 is refused: the kernel says why" "rc $rc: $out"
out=$("$KHTTPSCTL" binding add $B cert "$dir/server.crt" key "$dir/server.key" engine gnutls \
	backend 127.0.0.1:8080 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"openssl, mbedtls or default"* ]] && t_ok "engine gnutls is no word" ||
	t_fail "engine gnutls is no word" "rc $rc: $out"
t_check "binding add $B ... engine mbedtls" "$KHTTPSCTL" binding add $B cert "$dir/server.crt" \
	key "$dir/server.key" engine mbedtls backend 127.0.0.1:8080
t_check "binding add 127.0.0.1:8444 (RSA-2048) ... engine mbedtls" "$KHTTPSCTL" binding add \
	127.0.0.1:8444 cert "$dir/rsa.crt" key "$dir/rsa.key" engine mbedtls backend 127.0.0.1:8080
[ "$(show_of $B engine)" = mbedtls ] && "$KHTTPSCTL" binding show | grep -q "engine mbedtls" &&
	t_ok "binding show gives the engine (human and --json)" ||
	t_fail "binding show gives the engine (human and --json)" "$("$KHTTPSCTL" binding show)"

t_log "step: bodies both ways, every kTLS suite, ECDSA and RSA"
# PORT CIPHER (OpenSSL's name): every size down and up on one keep-alive connection each.
curl_matrix() {
	local port=$1 c=$2 get=() post=() n i=0 got
	for n in $sizes; do
		get+=(-o "$dir/got$n" "https://127.0.0.1:$port/files/f$n")
		[ $i -gt 0 ] && post+=(--next)
		post+=(-sSk --tlsv1.2 --tls-max 1.2 --ciphers "$c" --max-time 120
		       --data-binary "@$dir/root/f$n" https://127.0.0.1:$port/_khttps/sha256)
		i=$((i + 1))
	done
	rm -f "$dir"/got*
	out=$(curl -sSk --tlsv1.2 --tls-max 1.2 --ciphers "$c" --max-time 120 "${get[@]}" 2>&1)
	for n in $sizes; do
		[ -f "$dir/got$n" ] && [ "$(sha "$dir/got$n")" = "$(sha "$dir/root/f$n")" ] ||
			{ t_fail "curl $c: bodies $sizes B down" "$n B: $out"; return; }
	done
	t_ok "curl $c: bodies $(echo $sizes | tr ' ' ,) B down"
	got=$(curl "${post[@]}" 2>&1)
	want=$(for n in $sizes; do sha "$dir/root/f$n"; done)
	[ "$(echo $got)" = "$(echo $want)" ] && t_ok "curl $c: bodies $(echo $sizes | tr ' ' ,) B up" ||
		t_fail "curl $c: bodies up" "got '$got'"
}
m0=$(by mbedtls); o0=$(by openssl)
for c in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305; do
	curl_matrix 8443 $c
done
for c in ECDHE-RSA-AES128-GCM-SHA256 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-RSA-CHACHA20-POLY1305; do
	curl_matrix 8444 $c
done
# The other clients, pipelined on one connection by clidrive.py, one suite each.
want=
for n in $sizes; do want+="$(sha "$dir/root/f$n") "; done
for client in openssl gnutls mbedtls; do
	case $client in
	openssl) name=ECDHE-ECDSA-AES128-GCM-SHA256
		cmd=(openssl s_client -quiet -connect $B -tls1_2 -cipher $name) ;;
	gnutls) name=AES-256-GCM
		cmd=(gnutls-cli --insecure --logfile=/dev/null -p 8443 127.0.0.1
		     "--priority=NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+$name:-KX-ALL:+ECDHE-ECDSA") ;;
	mbedtls) name=TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256
		cmd=("$T_BUILD/tests/tools/mbedcli" -s $name 127.0.0.1 8443) ;;
	esac
	got=$(timeout 600 python3 "$T_SRC/tests/guest/clidrive.py" get $(for n in $sizes; do echo /files/f$n; done) \
		-- "${cmd[@]}" 2> "$dir/cli.err")
	[ "$(echo $got)" = "${want}exit 0" ] && t_ok "$client client $name: bodies down, pipelined" ||
		t_fail "$client client $name: bodies down, pipelined" "got: $(echo $got); $(tail -n 3 "$dir/cli.err")"
	got=$(timeout 600 python3 "$T_SRC/tests/guest/clidrive.py" post \
		$(for n in $sizes; do echo "$dir/root/f$n"; done) -- "${cmd[@]}" 2> "$dir/cli.err")
	[ "$(echo $got)" = "${want}exit 0" ] && t_ok "$client client $name: bodies up, pipelined" ||
		t_fail "$client client $name: bodies up, pipelined" "got: $(echo $got); $(tail -n 3 "$dir/cli.err")"
done
m=$(( $(by mbedtls) - m0 )); o=$(( $(by openssl) - o0 ))
[ "$m" -ge 18 ] && [ "$o" = 0 ] && t_ok "mbedtls ran all $m handshakes (khttpsd -v)" ||
	t_fail "mbedtls ran all handshakes" "$m by mbedtls, $o by openssl"
grep -E "by mbedtls$" "$dir/khttpsd.log" | grep -qv "TLS 1.2 suite" &&
	t_fail "every mbedtls handshake is TLS 1.2" "$(grep -E 'by mbedtls$' "$dir/khttpsd.log" | grep -v 'TLS 1.2' | head -n 2)" ||
	t_ok "every mbedtls handshake is TLS 1.2"

t_log "step: what the kernel does after an mbedtls handshake"
probe=$T_SRC/tests/guest/tlsprobe.py
out=$(timeout 60 python3 "$probe" close-notify 127.0.0.1 8443 2>&1)
[ "$out" = ok ] && t_ok "close_notify both ways" || t_fail "close_notify both ways" "$out"
bad0=$(stat_of bad_records)
out=$(timeout 60 python3 "$probe" bad-mac 127.0.0.1 8443 2>&1)
[ "$out" = ok ] && [ "$(stat_of bad_records)" -gt "$bad0" ] &&
	t_ok "a record with a bad MAC gets bad_record_mac and is counted" ||
	t_fail "a record with a bad MAC gets bad_record_mac and is counted" "$out"
rn0=$(stat_of renegotiations)
out=$( (sleep 3; echo R; sleep 3) | timeout 60 openssl s_client -connect $B -tls1_2 2>&1)
t_wait 5 eval '[ "$(stat_of renegotiations)" -gt "$rn0" ]'
[ "$(stat_of renegotiations)" -gt "$rn0" ] && [[ $out == *"no renegotiation"* ]] &&
	t_ok "renegotiation is refused with no_renegotiation and counted" ||
	t_fail "renegotiation is refused with no_renegotiation and counted" "$(grep -iE 'alert|error' <<< "$out" | head -n 3)"
out=$(timeout 300 python3 "$probe" pipeline 127.0.0.1 8443 40 3 2>&1)
[ "$out" = "ok 40" ] && t_ok "40 concurrent connections, 3 pipelined requests each" ||
	t_fail "40 concurrent connections, 3 pipelined requests each" "$out"

t_log "step: TLS 1.3 and the protocol floor"
# mbedTLS 2.28 reads supported_versions no more than it speaks 1.3: a
# ClientHello offering 1.3 only finds no common suite (handshake_failure).
f0=$(stat_of handshakes_failed_tls)
out=$(curl -sSk --tlsv1.3 --max-time 60 https://$B/hello 2>&1); rc=$?
t_wait 5 eval '[ "$(stat_of handshakes_failed_tls)" -gt "$f0" ]'
[ $rc != 0 ] && [[ $out == *"handshake failure"* ]] && [ "$(stat_of handshakes_failed_tls)" -gt "$f0" ] &&
	t_ok "a TLS 1.3-only client is refused (handshake_failure), counted" ||
	t_fail "a TLS 1.3-only client is refused (handshake_failure), counted" "rc $rc: $out"
out=$(printf 'GET /hello HTTP/1.0\r\n\r\n' | timeout 60 openssl s_client -connect $B -ign_eof 2>&1)
[ "$(kind "$out")" = "New, TLSv1.2" ] && [[ $out == *"hello from the backend"* ]] &&
	t_ok "a client offering 1.3 and 1.2 gets 1.2 and is served" ||
	t_fail "a client offering 1.3 and 1.2 gets 1.2 and is served" "$(kind "$out"): $out"

t_log "step: ALPN"
t_check "binding set $B alpn h2,http/1.1" "$KHTTPSCTL" binding set $B alpn h2,http/1.1
out=$(timeout 60 openssl s_client -connect $B -tls1_2 -alpn h2,http/1.1 < /dev/null 2>&1)
[[ $out == *"ALPN protocol: h2"* ]] && t_ok "ALPN: h2 chosen from h2,http/1.1" ||
	t_fail "ALPN: h2 chosen from h2,http/1.1" "$(grep -i alpn <<< "$out")"
out=$(timeout 60 openssl s_client -connect $B -tls1_2 -alpn http/1.1 < /dev/null 2>&1)
[[ $out == *"ALPN protocol: http/1.1"* ]] && t_ok "ALPN: http/1.1 for a client that offers only it" ||
	t_fail "ALPN: http/1.1 for a client that offers only it" "$(grep -i alpn <<< "$out")"
out=$(timeout 60 openssl s_client -connect $B -tls1_2 -alpn spdy/3 < /dev/null 2>&1)
[[ $out == *"no application protocol"* ]] &&
	t_ok "ALPN: a client offering none of the list gets no_application_protocol (mbedTLS's way)" ||
	t_fail "ALPN: a client offering none of the list gets no_application_protocol" "$(grep -iE 'alpn|alert' <<< "$out")"
t_check "binding set $B alpn http/1.1" "$KHTTPSCTL" binding set $B alpn http/1.1

t_log "step: client certificates"
as() {	# WHO [curl options]: GET /hello on $B as WHO ("" for none)
	local who=$1 id=()
	shift
	[ -n "$who" ] && id=(--cert "$dir/$who.crt" --key "$dir/$who.key")
	curl -sS --max-time 60 --cacert "$dir/server.crt" --resolve localhost:8443:127.0.0.1 \
		"${id[@]}" "$@" https://localhost:8443/hello 2>&1
}
served() { [ "$1" = "hello from the backend" ]; }
t_check "binding set $B clientcert require ca crl" "$KHTTPSCTL" binding set $B clientcert require \
	ca "$dir/ca.crt" crl "$dir/crl.pem"
f0=$(stat_of handshakes_failed_client_cert)
out=$(as alice); served "$out" && t_ok "require: a certificate from the CA is served" ||
	t_fail "require: a certificate from the CA is served" "$out"
out=$(as ""); ! served "$out" && [[ $out == *"handshake failure"* ]] &&
	t_ok "require: no certificate: handshake_failure" || t_fail "require: no certificate: handshake_failure" "$out"
out=$(as eve); [[ $out == *"unknown ca"* ]] && t_ok "require: an untrusted certificate: unknown_ca" ||
	t_fail "require: an untrusted certificate: unknown_ca" "$out"
# (curl reports a certificate_expired alert as its own verification failure)
out=$(timeout 60 openssl s_client -connect $B -tls1_2 -cert "$dir/old.crt" -key "$dir/old.key" < /dev/null 2>&1)
[[ $out == *"alert certificate expired"* ]] && t_ok "require: an expired certificate: certificate_expired" ||
	t_fail "require: an expired certificate: certificate_expired" "$(grep -i alert <<< "$out")"
out=$(as mallory); [[ $out == *"certificate revoked"* ]] && t_ok "require: a revoked certificate: certificate_revoked" ||
	t_fail "require: a revoked certificate: certificate_revoked" "$out"
t_check "binding set $B clientcert request" "$KHTTPSCTL" binding set $B clientcert request
out=$(as ""); served "$out" && t_ok "request: a client without a certificate is served" ||
	t_fail "request: a client without a certificate is served" "$out"
out=$(as alice); served "$out" && t_ok "request: a verified certificate is served" ||
	t_fail "request: a verified certificate is served" "$out"
out=$(as eve); [[ $out == *"unknown ca"* ]] && t_ok "request: an untrusted certificate: unknown_ca" ||
	t_fail "request: an untrusted certificate: unknown_ca" "$out"
out=$(as mallory); [[ $out == *"certificate revoked"* ]] && t_ok "request: a revoked certificate: certificate_revoked" ||
	t_fail "request: a revoked certificate: certificate_revoked" "$out"
f=$(( $(stat_of handshakes_failed_client_cert) - f0 ))
[ $f = 6 ] && t_ok "6 refused client certificates counted" || t_fail "6 refused client certificates counted" "$f"
t_check "binding set $B clientcert off" "$KHTTPSCTL" binding set $B clientcert off

t_log "step: the client's identity, the same from both engines (PROXY v2)"
python3 "$T_SRC/tests/guest/pp2backend.py" 8082 > "$dir/pp2.log" 2>&1 &
pids+=($!)
t_wait 30 t_listening 127.0.0.1:8082 || t_log "pp2backend not listening"
for e in 8445:mbedtls 8446:openssl; do
	t_check "binding add 127.0.0.1:${e%:*} engine ${e#*:} proxy v2 clientcert require" \
		"$KHTTPSCTL" binding add 127.0.0.1:${e%:*} cert "$dir/server.crt" key "$dir/server.key" \
		engine ${e#*:} clientcert require ca "$dir/ca.crt" proxy v2 backend 127.0.0.1:8082
done
ident() {	# PORT WHO: the identity fields pp2backend.py parsed
	curl -sS --max-time 60 --cacert "$dir/server.crt" --resolve localhost:$1:127.0.0.1 --tls-max 1.2 \
		--cert "$dir/$2.crt" --key "$dir/$2.key" https://localhost:$1/ 2>&1 |
		python3 -c "import json,sys
j = json.loads(sys.stdin.read().splitlines()[0])
print(json.dumps({k: j.get(k) for k in ('ssl_cn', 'ssl_verify', 'client_subject', 'client_issuer',
                                       'client_serial', 'client_sha256', 'ssl_version')}))" 2>&1
}
for who in alice bob; do
	m=$(ident 8445 $who); o=$(ident 8446 $who)
	[ "$m" = "$o" ] && [[ $m == *"$(fp_of "$dir/$who.crt")"* ]] &&
		t_ok "$who: subject, issuer, serial, CN, fingerprint as OpenSSL gives them ($m)" ||
		t_fail "$who: subject, issuer, serial, CN, fingerprint as OpenSSL gives them" "mbedtls $m; openssl $o"
done
"$KHTTPSCTL" binding del 127.0.0.1:8445; "$KHTTPSCTL" binding del 127.0.0.1:8446

t_log "step: sessions: tickets and ids, across workers and a restart"
r0=$(stat_of handshakes_resumed)
read -r w1 w2 <<< "$(pgrep -P "$daemon" | tr '\n' ' ')"
for how in ticket id; do
	opt=(); [ $how = id ] && opt=(-no_ticket)
	kill -STOP "$w2"
	k1=$(kind "$(hs 8443 "${opt[@]}" -sess_out "$dir/s-$how")")
	kill -CONT "$w2"; kill -STOP "$w1"
	out=$(hs 8443 "${opt[@]}" -sess_in "$dir/s-$how")
	k2=$(kind "$out")
	kill -CONT "$w1"
	[ "$k1" = "New, TLSv1.2" ] && [ "$k2" = "Reused, TLSv1.2" ] && [[ $out == *"hello from the backend"* ]] &&
		t_ok "session $how made by worker $w1 resumes on worker $w2, and the request is served" ||
		t_fail "session $how made by worker $w1 resumes on worker $w2" "$k1 / $k2"
done
r=$(( $(stat_of handshakes_resumed) - r0 ))
[ "$r" = 2 ] && t_ok "2 resumed handshakes counted" || t_fail "2 resumed handshakes counted" "$r"
grep -q "resumed, .*by mbedtls" "$dir/khttpsd.log" && t_ok "khttpsd -v: resumed by mbedtls" ||
	t_fail "khttpsd -v: resumed by mbedtls" "$(tail -n 3 "$dir/khttpsd.log")"
stop_daemon
start_daemon
k=$(kind "$(hs 8443 -sess_in "$dir/s-ticket")")
[ "$k" = "Reused, TLSv1.2" ] && t_ok "a ticket from before a daemon restart resumes" ||
	t_fail "a ticket from before a daemon restart resumes" "$k"
t_check "binding set $B resume off" "$KHTTPSCTL" binding set $B resume off
k=$(kind "$(hs 8443 -sess_in "$dir/s-ticket")")
[ "$k" = "New, TLSv1.2" ] && t_ok "resume off: the ticket is not taken" ||
	t_fail "resume off: the ticket is not taken" "$k"
t_check "binding set $B resume on" "$KHTTPSCTL" binding set $B resume on
out=$(KHTTPSCTL=$KHTTPSCTL timeout 300 python3 "$probe" sessions 127.0.0.1 8443 1.2 tc 2>&1)
[ "$out" = "N N" ] && t_ok "close_notify policy: a truncated session does not resume (tickets)" ||
	t_fail "close_notify policy: a truncated session does not resume (tickets)" "$out"
out=$(KHTTPSCTL=$KHTTPSCTL timeout 300 python3 "$probe" sessions 127.0.0.1 8443 1.2id ccc 2>&1)
[ "$out" = "N R R" ] && t_ok "close_notify policy: a cleanly closed session resumes (ids)" ||
	t_fail "close_notify policy: a cleanly closed session resumes (ids)" "$out"
# A session from OpenSSL's engine (same key file, same certificate) is not mbedTLS's.
t_check "binding set $B engine openssl" "$KHTTPSCTL" binding set $B engine openssl
hs 8443 -sess_out "$dir/s-openssl" > /dev/null
t_check "binding set $B engine mbedtls" "$KHTTPSCTL" binding set $B engine mbedtls
k=$(kind "$(hs 8443 -sess_in "$dir/s-openssl")")
[ "$k" = "New, TLSv1.2" ] && t_ok "an OpenSSL engine's ticket gets a full handshake from mbedtls" ||
	t_fail "an OpenSSL engine's ticket gets a full handshake from mbedtls" "$k"
t_check "binding set $B cert rsa.crt key rsa.key" "$KHTTPSCTL" binding set $B \
	cert "$dir/rsa.crt" key "$dir/rsa.key"
out=$(hs 8443 -sess_in "$dir/s-ticket" -sess_out "$dir/s-rsa")
k=$(kind "$out")
k2=$(kind "$(hs 8443 -sess_in "$dir/s-rsa")")
[ "$k" = "New, TLSv1.2" ] && [ "$k2" = "Reused, TLSv1.2" ] &&
	t_ok "a new certificate ends resumption of the old one's sessions; its own resume" ||
	t_fail "a new certificate ends resumption of the old one's sessions; its own resume" "$k / $k2"

t_log "step: SNI and ccs bindings beside OpenSSL ones"
t_check "binding add www.mb.test:8447 engine mbedtls" "$KHTTPSCTL" binding add www.mb.test:8447 \
	cert "$dir/mb.crt" key "$dir/mb.key" engine mbedtls backend 127.0.0.1:8080
t_check "binding add www.os.test:8447 (openssl)" "$KHTTPSCTL" binding add www.os.test:8447 \
	cert "$dir/os.crt" key "$dir/os.key" backend 127.0.0.1:8080
t_check "binding add ccs:8448 store engine mbedtls" "$KHTTPSCTL" binding add ccs:8448 \
	store "$dir/store" engine mbedtls backend 127.0.0.1:8080
m0=$(by mbedtls); o0=$(by openssl)
[ "$(served_fp 8447 www.mb.test)" = "$(fp_of "$dir/mb.crt")" ] &&
[ "$(served_fp 8447 www.os.test)" = "$(fp_of "$dir/os.crt")" ] &&
[ "$(served_fp 8448 ccs1.mb.test)" = "$(fp_of "$dir/store/ccs1.mb.test.crt")" ] &&
[ $(( $(by mbedtls) - m0 )) = 2 ] && [ $(( $(by openssl) - o0 )) = 1 ] &&
	t_ok "one port, two engines by SNI; a ccs store with mbedtls: each its certificate" ||
	t_fail "one port, two engines by SNI; a ccs store with mbedtls" \
		"$(( $(by mbedtls) - m0 )) by mbedtls, $(( $(by openssl) - o0 )) by openssl"
out=$(curl -sS --max-time 60 --cacert "$dir/mb.crt" --resolve www.mb.test:8447:127.0.0.1 \
	https://www.mb.test:8447/hello 2>&1)
served "$out" && t_ok "curl through the SNI binding with mbedtls, certificate verified" ||
	t_fail "curl through the SNI binding with mbedtls, certificate verified" "$out"
u0=$(stat_of unrecognized_name)
out=$(curl -sSk --max-time 60 --resolve nowhere.test:8447:127.0.0.1 https://nowhere.test:8447/ 2>&1)
t_wait 5 eval '[ "$(stat_of unrecognized_name)" -gt "$u0" ]'
[[ $out == *"unrecognized name"* ]] && t_ok "an unknown name on that port: unrecognized_name" ||
	t_fail "an unknown name on that port: unrecognized_name" "$out"

t_log "step: khttpsd --engine mbedtls"
stop_daemon
start_daemon --engine mbedtls
t_check "binding add 127.0.0.1:8445 (no engine word)" "$KHTTPSCTL" binding add 127.0.0.1:8445 \
	cert "$dir/server.crt" key "$dir/server.key" backend 127.0.0.1:8080
t_check "binding add 127.0.0.1:8446 engine openssl" "$KHTTPSCTL" binding add 127.0.0.1:8446 \
	cert "$dir/server.crt" key "$dir/server.key" engine openssl backend 127.0.0.1:8080
m0=$(by mbedtls)
out=$(curl -sSk --max-time 60 https://127.0.0.1:8445/hello 2>&1)
served "$out" && [ $(( $(by mbedtls) - m0 )) = 1 ] &&
	t_ok "a binding without an engine word takes the daemon's: mbedtls" ||
	t_fail "a binding without an engine word takes the daemon's: mbedtls" "$out"
out=$(curl -sSk --max-time 60 --tlsv1.3 https://127.0.0.1:8446/hello 2>&1)
served "$out" && t_ok "engine openssl in a binding overrides it (TLS 1.3 served)" ||
	t_fail "engine openssl in a binding overrides it (TLS 1.3 served)" "$out"

if [ "$T_FAILED" -gt 0 ]; then
	tail -n 40 "$dir/khttpsd.log" | sed 's/^/#   khttpsd: /'
fi
t_done
