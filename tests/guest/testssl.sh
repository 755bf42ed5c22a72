#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# khttps-test: shared
# testssl.sh against a forward binding with the default policy: no protocol
# below TLS 1.2, no weak cipher category (NULL, anonymous, export, low,
# 3DES/IDEA, obsolete CBC), no client-initiated renegotiation.  About
# 2.5 minutes under TCG.
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch testssl
B=127.0.0.1:8443
t_cleanup() { "$KHTTPSCTL" binding del $B > /dev/null 2>&1; }
testssl=$(command -v testssl || command -v testssl.sh)
if [ -z "$testssl" ]; then
	t_skip "testssl.sh finds nothing weak" "testssl.sh not installed"
	t_done
	exit 0
fi
python3 "$T_SRC/tests/guest/pki.py" "$dir"
t_backend
"$KHTTPSD" -f -w 4 --trust "$dir" --ticket-keys "$dir/keys/ticket-keys" > "$dir/khttpsd.log" 2>&1 &
pids+=($!)
t_check "binding add $B" "$KHTTPSCTL" binding add $B cert "$dir/server.crt" \
	key "$dir/server.key" backend 127.0.0.1:8080
start=$(date +%s)
timeout 3000 "$testssl" --quiet --color 0 --warnings off -p -s -R \
	--jsonfile "$dir/testssl.json" $B > "$dir/testssl.out" 2>&1
rc=$?
t_log "testssl.sh took $(( $(date +%s) - start )) s (exit $rc)"
# finding ID: what testssl.sh said of ID ("" when it said nothing).
finding() {
	python3 -c "import json,sys
print(next((f['finding'] for f in json.load(open(sys.argv[1])) if f['id'] == sys.argv[2]), ''))" \
		"$dir/testssl.json" "$1" 2>/dev/null
}
for p in SSLv2 SSLv3 TLS1 TLS1_1; do
	f=$(finding $p)
	[[ $f == "not offered"* ]] && t_ok "$p is not offered" || t_fail "$p is not offered" "'$f'"
done
for p in TLS1_2 TLS1_3; do
	f=$(finding $p)
	[[ $f == "offered"* ]] && t_ok "$p is offered" || t_fail "$p is offered" "'$f'"
done
for c in cipherlist_NULL cipherlist_aNULL cipherlist_EXPORT cipherlist_LOW cipherlist_3DES_IDEA \
	 cipherlist_AVERAGE; do
	f=$(finding $c)
	[[ $f == "not offered"* ]] && t_ok "$c: not offered" || t_fail "$c: not offered" "'$f'"
done
f=$(finding secure_client_renego)
[[ $f == *"not vulnerable"* ]] && t_ok "no client-initiated renegotiation ($f)" ||
	t_fail "no client-initiated renegotiation" "'$f'"
if [ "$T_FAILED" -gt 0 ]; then
	sed 's/^/#   /' "$dir/testssl.out" | tail -n 60
fi
t_done
