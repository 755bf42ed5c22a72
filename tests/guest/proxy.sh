#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# khttps-test: shared
# Forward mode with "proxy v2": the kernel sends the backend a PROXY protocol
# v2 header before the client's first byte.  A strict parser (pp2backend.py)
# checks the addresses, SNI, ALPN, TLS version and cipher and the verified
# client certificate's CN, subject, issuer, serial and fingerprint, for IPv4
# and IPv6, TLS 1.2 and 1.3; a real nginx with "listen ... proxy_protocol"
# takes the header and reads the client's address from it.
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch proxy
t_cleanup() {
	for b in 127.0.0.1:8443 [::1]:8443 127.0.0.1:8444 127.0.0.1:8445; do
		"$KHTTPSCTL" binding del "$b" > /dev/null 2>&1
	done
}
# The JSON field $2 of the header the backend parsed ($1), or "-".
field() { python3 -c 'import json,sys
try: print(json.loads(sys.argv[1]).get(sys.argv[2], "-"))
except ValueError: print("-")' "$1" "$2"; }
# curl to $1 (host:port for --resolve), more options after it; prints the body
# then the client's own port on a last line.
get() {
	local hp=$1
	shift
	curl -sS --max-time 60 --cacert "$dir/server.crt" --resolve "localhost:${hp##*:}:${hp%:*}" \
		-w '%{local_port}' "$@" "https://localhost:${hp##*:}/" 2>&1
}

t_log "step: certificates, backends, daemon"
python3 "$T_SRC/tests/guest/pki.py" "$dir"
python3 "$T_SRC/tests/guest/pp2backend.py" 8082 > "$dir/pp2.log" 2>&1 &
pids+=($!)
t_daemon
pids+=("$dpid")
t_wait 30 t_listening 127.0.0.1:8082 || t_log "pp2backend not listening"

out=$("$KHTTPSCTL" binding add 127.0.0.1:8443 cert "$dir/server.crt" key "$dir/server.key" \
	proxy v2 queue pp 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"forward mode"* ]] && t_ok "proxy v2 on a queue binding is refused" ||
	t_fail "proxy v2 on a queue binding is refused" "rc $rc: $out"
out=$("$KHTTPSCTL" binding add 127.0.0.1:8443 cert "$dir/server.crt" key "$dir/server.key" \
	proxy v1 backend 127.0.0.1:8082 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"proxy takes v2"* ]] && t_ok "proxy v1 is no word" ||
	t_fail "proxy v1 is no word" "rc $rc: $out"
t_check "binding add 127.0.0.1:8443 ... proxy v2" "$KHTTPSCTL" binding add 127.0.0.1:8443 \
	cert "$dir/server.crt" key "$dir/server.key" proxy v2 backend 127.0.0.1:8082
"$KHTTPSCTL" binding show | grep -q "proxy v2" && t_ok "binding show lists proxy v2" ||
	t_fail "binding show lists proxy v2" "$("$KHTTPSCTL" binding show)"
[ "$("$KHTTPSCTL" --json binding show | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["proxy"])')" = v2 ] &&
	t_ok "binding show --json: proxy v2" || t_fail "binding show --json: proxy v2"

t_log "step: TLS 1.3, no client certificate"
out=$(get 127.0.0.1:8443 --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256)
port=${out##*$'\n'}; j=${out%$'\n'*}
t_log "header: $j"
[ "$(field "$j" family)" = tcp4 ] && [ "$(field "$j" src)" = 127.0.0.1 ] &&
	[ "$(field "$j" src_port)" = "$port" ] && [ "$(field "$j" dst)" = 127.0.0.1 ] &&
	[ "$(field "$j" dst_port)" = 8443 ] &&
	t_ok "TCP4: the client's address and port, the address it connected to" ||
	t_fail "TCP4: the client's address and port, the address it connected to" "port $port: $j"
[ "$(field "$j" authority)" = localhost ] && [ "$(field "$j" alpn)" = http/1.1 ] &&
	t_ok "PP2_TYPE_AUTHORITY is the SNI, PP2_TYPE_ALPN the protocol" ||
	t_fail "PP2_TYPE_AUTHORITY is the SNI, PP2_TYPE_ALPN the protocol" "$j"
[ "$(field "$j" ssl_version)" = TLSv1.3 ] && [ "$(field "$j" ssl_cipher)" = TLS_AES_128_GCM_SHA256 ] &&
	t_ok "PP2_TYPE_SSL: TLSv1.3, TLS_AES_128_GCM_SHA256" ||
	t_fail "PP2_TYPE_SSL: TLSv1.3, TLS_AES_128_GCM_SHA256" "$j"
[ "$(field "$j" ssl_client)" = 1 ] && [ "$(field "$j" ssl_verify)" != 0 ] &&
	[ "$(field "$j" ssl_cn)" = - ] && [ "$(field "$j" client_sha256)" = - ] &&
	t_ok "no client certificate: client flags SSL only, verify non-zero, no CN or identity TLVs" ||
	t_fail "no client certificate: client flags SSL only, verify non-zero, no CN or identity TLVs" "$j"

t_log "step: TLS 1.2 and a large body behind the header"
out=$(get 127.0.0.1:8443 --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES256-GCM-SHA384)
j=${out%$'\n'*}
[ "$(field "$j" ssl_version)" = TLSv1.2 ] && [ "$(field "$j" ssl_cipher)" = ECDHE-ECDSA-AES256-GCM-SHA384 ] &&
	t_ok "PP2_TYPE_SSL: TLSv1.2, ECDHE-ECDSA-AES256-GCM-SHA384" ||
	t_fail "PP2_TYPE_SSL: TLSv1.2, ECDHE-ECDSA-AES256-GCM-SHA384" "$j"
head -c 1048576 /dev/urandom > "$dir/body"
want=$(sha256sum < "$dir/body" | cut -d' ' -f1)
out=$(get 127.0.0.1:8443 --data-binary @"$dir/body")
[ "$(field "${out%$'\n'*}" sha256)" = "$want" ] &&
	t_ok "1 MiB POST after the header arrives intact (SHA-256)" ||
	t_fail "1 MiB POST after the header arrives intact (SHA-256)" "$out"

t_log "step: a verified client certificate"
t_check "binding set clientcert require ca" "$KHTTPSCTL" binding set 127.0.0.1:8443 \
	clientcert require ca "$dir/ca.crt"
"$KHTTPSCTL" binding show | grep -q "clientcert require ca $dir/ca.crt proxy v2" &&
	t_ok "binding set keeps proxy v2 beside the new words" ||
	t_fail "binding set keeps proxy v2 beside the new words" "$("$KHTTPSCTL" binding show)"
fp=$(openssl x509 -in "$dir/alice.crt" -outform der | sha256sum | cut -d' ' -f1)
for v in 1.3 1.2; do
	out=$(get 127.0.0.1:8443 --tlsv$v --tls-max $v --cert "$dir/alice.crt" --key "$dir/alice.key")
	j=${out%$'\n'*}
	if [ "$(field "$j" ssl_client)" = 7 ] && [ "$(field "$j" ssl_verify)" = 0 ] &&
	   [ "$(field "$j" ssl_cn)" = alice ] && [ "$(field "$j" client_subject)" = CN=alice ] &&
	   [ "$(field "$j" client_issuer)" = CN=khttps-test-client-ca ] &&
	   [ "$(field "$j" client_serial)" = 0A ] && [ "$(field "$j" client_sha256)" = "$fp" ]; then
		t_ok "TLS $v: client certificate: flags, verify 0, CN, subject, issuer, serial, SHA-256"
	else
		t_fail "TLS $v: client certificate: flags, verify 0, CN, subject, issuer, serial, SHA-256" "$j"
	fi
done

t_log "step: IPv6"
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
	t_check "binding add [::1]:8443 ... proxy v2" "$KHTTPSCTL" binding add [::1]:8443 \
		cert "$dir/server.crt" key "$dir/server.key" proxy v2 backend 127.0.0.1:8082
	out=$(get [::1]:8443)
	port=${out##*$'\n'}; j=${out%$'\n'*}
	[ "$(field "$j" family)" = tcp6 ] && [ "$(field "$j" src)" = ::1 ] &&
		[ "$(field "$j" src_port)" = "$port" ] && [ "$(field "$j" dst)" = ::1 ] &&
		[ "$(field "$j" dst_port)" = 8443 ] &&
		t_ok "TCP6: the client's address and port, the address it connected to" ||
		t_fail "TCP6: the client's address and port, the address it connected to" "port $port: $j"
else
	t_skip "TCP6: the client's address and port" "no IPv6 loopback"
fi

t_check "a queue binding on 127.0.0.1:8445" "$KHTTPSCTL" binding add 127.0.0.1:8445 \
	cert "$dir/server.crt" key "$dir/server.key" queue pp
out=$("$KHTTPSCTL" binding set 127.0.0.1:8445 proxy v2 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"PROXY header is for forward mode"* ]] &&
	t_ok "the kernel refuses proxy v2 on a queue binding (binding set)" ||
	t_fail "the kernel refuses proxy v2 on a queue binding (binding set)" "rc $rc: $out"

t_log "step: proxy off, live"
t_check "binding set proxy off" "$KHTTPSCTL" binding set 127.0.0.1:8443 proxy off clientcert off
out=$(get 127.0.0.1:8443)
[[ $out == "no PROXY v2 signature"* ]] && t_ok "after proxy off the backend gets the request alone" ||
	t_fail "after proxy off the backend gets the request alone" "$out"

t_log "step: nginx with listen ... proxy_protocol"
if ! nginx=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null); then
	t_skip "nginx reads the client address from the header" "nginx not installed"
else
	mkdir -p "$dir/nginx"
	cat > "$dir/nginx/nginx.conf" <<EOF
daemon off;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $dir/nginx;
	proxy_temp_path $dir/nginx;
	fastcgi_temp_path $dir/nginx;
	uwsgi_temp_path $dir/nginx;
	scgi_temp_path $dir/nginx;
	server {
		listen 127.0.0.1:8083 proxy_protocol;
		location / {
			return 200 "client \$proxy_protocol_addr:\$proxy_protocol_port to \$proxy_protocol_server_addr:\$proxy_protocol_server_port\n";
		}
	}
}
EOF
	"$nginx" -e "$dir/nginx/error.log" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" &
	pids+=($!)
	t_wait 30 t_listening 127.0.0.1:8083 || t_log "nginx not listening: $(cat "$dir/nginx/error.log")"
	t_check "binding add 127.0.0.1:8444 ... proxy v2 backend nginx" "$KHTTPSCTL" binding add \
		127.0.0.1:8444 cert "$dir/server.crt" key "$dir/server.key" proxy v2 backend 127.0.0.1:8083
	out=$(get 127.0.0.1:8444)
	port=${out##*$'\n'}
	[ "${out%$'\n'*}" = "client 127.0.0.1:$port to 127.0.0.1:8444" ] &&
		t_ok "nginx reads the client address from the header ($("$nginx" -v 2>&1 | cut -d/ -f2))" ||
		t_fail "nginx reads the client address from the header" "$out; $(cat "$dir/nginx/error.log")"
fi
t_done
