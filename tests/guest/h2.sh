#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# khttps-test: shared
# HTTP/2 passes through: a binding whose ALPN list offers h2 relays the
# client's HTTP/2 to a backend that speaks it.  The kernel relays bytes,
# whatever the protocol; the backend is nghttpd in cleartext with prior
# knowledge (what a client that negotiated h2 sends after the handshake),
# the client nghttp.  A binding that offers only http/1.1 (the default)
# negotiates no h2, and nghttp gives up.
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch h2
B=127.0.0.1:8443
t_cleanup() { "$KHTTPSCTL" binding del $B > /dev/null 2>&1; }
if ! command -v nghttp > /dev/null || ! command -v nghttpd > /dev/null; then
	t_skip "h2 through a forward binding" "nghttp2-client and nghttp2-server not installed"
	t_done
	exit 0
fi

t_log "step: certificates, an h2 backend, daemon"
python3 "$T_SRC/tests/guest/pki.py" "$dir"
mkdir -p "$dir/root"
echo "hello over h2" > "$dir/root/hello.txt"
head -c $((1024 * 1024)) /dev/urandom > "$dir/root/big"
nghttpd --no-tls --address=127.0.0.1 -d "$dir/root" 8081 > "$dir/nghttpd.log" 2>&1 &
pids+=($!)
t_wait 30 t_listening 127.0.0.1:8081 || t_log "nghttpd not listening"
t_daemon --ticket-keys "$dir/keys/ticket-keys"
pids+=("$dpid")
t_check "binding add $B ... alpn h2,http/1.1" "$KHTTPSCTL" binding add $B cert "$dir/server.crt" \
	key "$dir/server.key" backend 127.0.0.1:8081 alpn h2,http/1.1

t_log "step: h2 negotiated and served"
for v in 1.3 1.2; do
	# nghttp has no version switch: the binding's policy decides.
	[ $v = 1.2 ] && "$KHTTPSCTL" binding set $B tls13 off > /dev/null
	out=$(timeout 120 nghttp -v https://127.0.0.1:8443/hello.txt 2>&1)
	[[ $out == *"The negotiated protocol: h2"* ]] && [[ $out == *":status: 200"* ]] &&
		[[ $out == *"hello over h2"* ]] &&
		t_ok "TLS $v: ALPN picks h2 and the backend answers over HTTP/2" ||
		t_fail "TLS $v: ALPN picks h2 and the backend answers over HTTP/2" "$out"
done
"$KHTTPSCTL" binding set $B tls13 on > /dev/null
want=$(sha256sum < "$dir/root/big" | cut -d' ' -f1)
got=$(timeout 300 nghttp https://127.0.0.1:8443/big 2>/dev/null | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] && t_ok "1 MiB over h2, byte for byte" ||
	t_fail "1 MiB over h2, byte for byte" "sha256 $got, want $want"
out=$(timeout 300 nghttp -n -s -m 20 https://127.0.0.1:8443/big 2>&1)
n=$(grep -c "/big" <<< "$out")
[ "$n" -ge 20 ] && t_ok "20 concurrent streams on one connection" ||
	t_fail "20 concurrent streams on one connection" "$n answered: $(tail -n 5 <<< "$out")"

t_log "step: without h2 in the list"
t_check "binding set alpn http/1.1" "$KHTTPSCTL" binding set $B alpn http/1.1
out=$(timeout 120 nghttp -v https://127.0.0.1:8443/hello.txt 2>&1)
[[ $out == *"HTTP/2 protocol was not selected"* ]] && [[ $out != *"hello over h2"* ]] &&
	t_ok "alpn http/1.1: no h2 is negotiated (nghttp gives up)" ||
	t_fail "alpn http/1.1: no h2 is negotiated (nghttp gives up)" "$out"
t_done
