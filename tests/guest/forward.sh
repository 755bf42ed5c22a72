#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Forward mode end to end: real clients (curl, openssl s_client, Python's ssl)
# talk HTTPS to a khttps binding; the kernel does the records with kTLS and
# relays plaintext to a plain HTTP backend.  Bodies are checked by SHA-256,
# both ways, for every TLS version and kTLS cipher; then close_notify both
# ways, alerts for bad records, KeyUpdate and renegotiation, a backend that
# is down, many concurrent pipelined connections, and 64 MiB transfers.
set -u
. "$(dirname "$0")/../lib.sh"
dir=$(mktemp -d /tmp/khttps-fwd.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	"$KHTTPSCTL" binding del 127.0.0.1:8443 > /dev/null 2>&1
	"$KHTTPSCTL" binding del [::1]:8443 > /dev/null 2>&1
	"$KHTTPSCTL" binding del 127.0.0.1:8444 > /dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
stat_of() { "$KHTTPSCTL" --json stats | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
probe=$T_SRC/tests/guest/tlsprobe.py

t_log "step: certificate, files, backend, daemon, bindings"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
	-keyout "$dir/key.pem" -out "$dir/cert.pem" > /dev/null 2>&1
chmod 600 "$dir/key.pem"
mkdir "$dir/www"
sizes="0 1 16383 16384 16385 1048576"
for n in $sizes; do head -c "$n" /dev/urandom > "$dir/www/f$n"; done
python3 "$T_SRC/tests/guest/backend.py" 8080 "$dir/www" > "$dir/backend.log" 2>&1 &
pids+=($!)
"$KHTTPSD" -f -w 4 --trust "$dir" > "$dir/khttpsd.log" 2>&1 &
pids+=($!)
t_wait 30 t_listening 127.0.0.1:8080 || t_log "backend not listening"
t_check "forward binding on 127.0.0.1:8443" "$KHTTPSCTL" binding add 127.0.0.1:8443 \
	cert "$dir/cert.pem" key "$dir/key.pem" backend 127.0.0.1:8080
t_check "forward binding on [::1]:8443" "$KHTTPSCTL" binding add [::1]:8443 \
	cert "$dir/cert.pem" key "$dir/key.pem" backend 127.0.0.1:8080

out=$(curl -sSk --max-time 60 https://127.0.0.1:8443/hello 2>&1)
[ "$out" = "hello from the backend" ] && t_ok "curl GET through the relay (IPv4)" ||
	t_fail "curl GET through the relay (IPv4)" "$out"
out=$(curl -sSk --max-time 60 'https://[::1]:8443/hello' 2>&1)
[ "$out" = "hello from the backend" ] && t_ok "curl GET through the relay (IPv6)" ||
	t_fail "curl GET through the relay (IPv6)" "$out"

# VERSION CIPHER: every body size down (GET) and up (POST), on one
# keep-alive connection each way, each body checked by its hash.
matrix() {
	local ver=$1 cipher=$2 args=() get=() post=() n i=0 got
	case $ver in
	1.3) args=(--tlsv1.3 --tls13-ciphers "$cipher") ;;
	1.2) args=(--tlsv1.2 --tls-max 1.2 --ciphers "$cipher") ;;
	esac
	for n in $sizes; do
		get+=(-o "$dir/got$n" "https://127.0.0.1:8443/files/f$n")
		[ $i -gt 0 ] && post+=(--next)
		post+=(-sSk "${args[@]}" --max-time 120 --data-binary "@$dir/www/f$n"
		       -H 'Content-Type: application/octet-stream' https://127.0.0.1:8443/sha256)
		i=$((i + 1))
	done
	rm -f "$dir"/got*
	out=$(curl -sSk "${args[@]}" --max-time 120 "${get[@]}" 2>&1)
	for n in $sizes; do
		if [ -f "$dir/got$n" ] && [ "$(sha "$dir/got$n")" = "$(sha "$dir/www/f$n")" ]; then
			t_ok "TLS $ver $cipher: $n B down"
		else
			t_fail "TLS $ver $cipher: $n B down" "$out"
		fi
	done
	# (no mapfile < <(...): the guest has no /dev/fd)
	got=($(curl "${post[@]}" 2>&1))
	i=0
	for n in $sizes; do
		if [ "${got[$i]:-}" = "$(sha "$dir/www/f$n")" ]; then
			t_ok "TLS $ver $cipher: $n B up"
		else
			t_fail "TLS $ver $cipher: $n B up" "got '${got[$i]:-}' (${got[*]:0:12})"
		fi
		i=$((i + 1))
	done
}
t_log "step: bodies both ways, each version and cipher"
# KHTTPS_FWD_QUICK=1 (for development) runs one cell of the matrix.
tx0=$(awk '$1 == "TlsTxSw" { print $2 }' /proc/net/tls_stat)
matrix 1.3 TLS_AES_128_GCM_SHA256
if [ -z "${KHTTPS_FWD_QUICK:-}" ]; then
	matrix 1.3 TLS_AES_256_GCM_SHA384
	matrix 1.3 TLS_CHACHA20_POLY1305_SHA256
	matrix 1.2 ECDHE-ECDSA-AES128-GCM-SHA256
	matrix 1.2 ECDHE-ECDSA-AES256-GCM-SHA384
	matrix 1.2 ECDHE-ECDSA-CHACHA20-POLY1305
fi
tx1=$(awk '$1 == "TlsTxSw" { print $2 }' /proc/net/tls_stat)
[ $((tx1 - tx0)) -ge 2 ] && t_ok "kTLS did the records ($((tx1 - tx0)) kTLS TX contexts)" ||
	t_fail "kTLS did the records" "TlsTxSw $tx0 -> $tx1"

t_log "step: close_notify both ways"
cn_in=$(stat_of close_notify_in); cn_out=$(stat_of close_notify_out)
out=$(timeout 60 python3 "$probe" close-notify 127.0.0.1 8443 2>&1)
t_wait 5 eval '[ "$(stat_of close_notify_in)" -gt "$cn_in" ]'
if [ "$out" = ok ] && [ "$(stat_of close_notify_out)" -gt "$cn_out" ] &&
   [ "$(stat_of close_notify_in)" -gt "$cn_in" ]; then
	t_ok "close_notify: the server's ends a response, the client's ends a keep-alive connection"
else
	t_fail "close_notify: the server's ends a response, the client's ends a keep-alive connection" \
		"$out; close_notify in $cn_in -> $(stat_of close_notify_in), out $cn_out -> $(stat_of close_notify_out)"
fi

t_log "step: records the kernel must refuse"
bad0=$(stat_of bad_records)
out=$(timeout 60 python3 "$probe" bad-mac 127.0.0.1 8443 2>&1)
[ "$out" = ok ] && [ "$(stat_of bad_records)" -gt "$bad0" ] &&
	t_ok "a record with a bad MAC gets bad_record_mac and is counted" ||
	t_fail "a record with a bad MAC gets bad_record_mac and is counted" "$out"
ku0=$(stat_of key_updates)
out=$( (sleep 3; echo K; sleep 3) | timeout 60 openssl s_client -connect 127.0.0.1:8443 -tls1_3 2>&1)
t_wait 5 eval '[ "$(stat_of key_updates)" -gt "$ku0" ]'
if [ "$(stat_of key_updates)" -gt "$ku0" ] && [[ $out == *"internal error"* ]]; then
	t_ok "a client KeyUpdate closes with internal_error and is counted"
else
	printf '%s\n' "$out" | grep -iE 'alert|error|KEYUPDATE' | head -5 | sed 's/^/#   /'
	t_fail "a client KeyUpdate closes with internal_error and is counted"
fi
rn0=$(stat_of renegotiations)
out=$( (sleep 3; echo R; sleep 3) | timeout 60 openssl s_client -connect 127.0.0.1:8443 -tls1_2 2>&1)
t_wait 5 eval '[ "$(stat_of renegotiations)" -gt "$rn0" ]'
if [ "$(stat_of renegotiations)" -gt "$rn0" ] && [[ $out == *"no renegotiation"* ]]; then
	t_ok "TLS 1.2 renegotiation is refused with no_renegotiation and counted"
else
	printf '%s\n' "$out" | grep -iE 'alert|error|RENEGOT' | head -5 | sed 's/^/#   /'
	t_fail "TLS 1.2 renegotiation is refused with no_renegotiation and counted"
fi
out=$(curl -sSk --max-time 60 https://127.0.0.1:8443/hello 2>&1)
[ "$out" = "hello from the backend" ] && t_ok "the binding serves on after those" ||
	t_fail "the binding serves on after those" "$out"

t_log "step: a backend that is down"
t_check "binding to a closed backend port" "$KHTTPSCTL" binding add 127.0.0.1:8444 \
	cert "$dir/cert.pem" key "$dir/key.pem" backend 127.0.0.1:8089
be0=$(stat_of backend_errors)
out=$(curl -sSk --max-time 60 https://127.0.0.1:8444/hello 2>&1); rc=$?
t_wait 5 eval '[ "$(stat_of backend_errors)" -gt "$be0" ]'
if [ $rc -ne 0 ] && [ "$(stat_of backend_errors)" -gt "$be0" ]; then
	t_ok "backend down: the client gets an error, counted ($(printf '%s' "$out" | tail -n 1))"
else
	t_fail "backend down: the client gets an error, counted" "rc $rc: $out"
fi

t_log "step: 200 concurrent keep-alive connections, 3 pipelined requests each"
start=$(date +%s)
out=$(timeout 600 python3 "$probe" pipeline 127.0.0.1 8443 200 3 2>&1)
[ "$out" = "ok 200" ] && t_ok "200 concurrent pipelined connections ($(( $(date +%s) - start )) s)" ||
	t_fail "200 concurrent pipelined connections" "$out"

t_log "step: 64 MiB down (TLS 1.3 AES-128-GCM) and up (TLS 1.2 CHACHA20)"
head -c $((64 << 20)) /dev/urandom > "$dir/www/big"
start=$(date +%s)
curl -sSk --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256 --max-time 300 \
	-o "$dir/got-big" https://127.0.0.1:8443/files/big 2> "$dir/err"
[ -f "$dir/got-big" ] && [ "$(sha "$dir/got-big")" = "$(sha "$dir/www/big")" ] &&
	t_ok "64 MiB down ($(( $(date +%s) - start )) s)" || t_fail "64 MiB down" "$(cat "$dir/err")"
rm -f "$dir/got-big"
start=$(date +%s)
got=$(curl -sSk --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-CHACHA20-POLY1305 --max-time 300 \
	--data-binary "@$dir/www/big" https://127.0.0.1:8443/sha256 2>&1)
[ "$got" = "$(sha "$dir/www/big")" ] && t_ok "64 MiB up ($(( $(date +%s) - start )) s)" ||
	t_fail "64 MiB up" "$got"

"$KHTTPSCTL" stats | sed 's/^/#   /'
[ "$T_FAILED" -gt 0 ] && tail -n 30 "$dir/khttpsd.log" | sed 's/^/#   khttpsd: /'
t_done
