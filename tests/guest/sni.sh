#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# khttps-test: shared
# The HTTP.SYS binding model: host (SNI) bindings and wildcards sharing one
# port, a central certificate store, address bindings as the fallback, and
# unrecognized_name when nothing matches.  Which binding served a handshake
# is told by its certificate's fingerprint.
set -u
. "$(dirname "$0")/../lib.sh"
dir=$(mktemp -d /tmp/khttps-sni.XXXXXX)
pids=()
NAMES=${KHTTPS_SNI_NAMES:-20}
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	"$KHTTPSCTL" --json binding show 2>/dev/null | python3 -c '
import json, sys
for b in json.load(sys.stdin):
    print(b["bind"])' 2>/dev/null | while read -r b; do "$KHTTPSCTL" binding del "$b" > /dev/null 2>&1; done
	rm -rf "$dir"
}
trap cleanup EXIT
bstat() {
	"$KHTTPSCTL" --json binding show | python3 -c "
import json, sys
print(next(b['stats']['$2'] for b in json.load(sys.stdin) if b['bind'] == '$1'))"
}
# A self-signed certificate for $2 in $1.crt / $1.key.
mkcert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$2" \
		-keyout "$1.key" -out "$1.crt" > /dev/null 2>&1 && chmod 600 "$1.key"
}
certfp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
# The fingerprint of the certificate served to SNI $1 ("" for none) at $2.
fp() {
	local sni=(-noservername)
	[ -n "$1" ] && sni=(-servername "$1")
	echo | timeout 30 openssl s_client -connect "${2:-127.0.0.1:8443}" "${sni[@]}" 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2
}
# The alert that failed the handshake, as s_client reports it ("alert
# number 112" under TLS 1.3, "alert unrecognized name" under 1.2).
hs_err() {
	local sni=(-noservername)
	[ -n "$1" ] && sni=(-servername "$1")
	echo | timeout 30 openssl s_client -connect "${2:-127.0.0.1:8443}" "${sni[@]}" 2>&1 |
		grep -oE 'alert (number [0-9]+|[a-z ]+)' | head -n 1
}
unrecognized() { [[ $1 == *"number 112"* || $1 == *"unrecognized name"* ]]; }
expect_fp() {
	local got
	got=$(fp "$2" "${4:-}")
	[ -n "$got" ] && [ "$got" = "$(certfp "$3")" ] && t_ok "$1" || t_fail "$1" "got '$got', want $(certfp "$3")"
}

t_log "step: certificates, backend, daemon"
for c in www api wild dflt local; do mkcert "$dir/$c" "$c.example.test"; done
for i in $(seq "$NAMES"); do mkcert "$dir/n$i" "n$i.many.test"; done
mkdir -p "$dir/store"
t_backend
t_daemon
pids+=("$dpid")
add() { "$KHTTPSCTL" binding add "$1" cert "$dir/$2.crt" key "$dir/$2.key" backend 127.0.0.1:8080; }

t_log "step: host bindings on one port"
t_check "host binding www.example.test:8443" add www.example.test:8443 www
t_check "host binding API.Example.Test:8443 (case is ignored)" add API.Example.Test:8443 api
t_check "wildcard binding *.example.test:8443" add '*.example.test:8443' wild
out=$(add www.example.test:8443 www 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"binding for this host name and port exists"* ]] &&
	t_ok "a second www.example.test:8443 is refused" ||
	t_fail "a second www.example.test:8443 is refused" "rc $rc: $out"
for bad in 'bad!name:8443' 'a..b:8443' 'x.*.test:8443' 'www.example.test:0' '10.0.0.300:8443'; do
	out=$(add "$bad" www 2>&1); rc=$?
	[ $rc = 2 ] && t_ok "'$bad' is refused: ${out#khttpsctl: }" || t_fail "'$bad' is refused" "rc $rc: $out"
done
t_wait 20 t_listening 0.0.0.0:8443
ss -Hltn "sport = :8443" | grep -q '\[::\]:8443' && t_ok "host bindings listen on 0.0.0.0 and [::]" ||
	t_fail "host bindings listen on 0.0.0.0 and [::]" "$(ss -Hltn "sport = :8443")"
expect_fp "SNI www.example.test gets its certificate" www.example.test "$dir/www.crt"
expect_fp "SNI api.example.test gets its certificate" api.example.test "$dir/api.crt"
expect_fp "SNI WWW.EXAMPLE.TEST. (case, trailing dot) gets www's" WWW.EXAMPLE.TEST. "$dir/www.crt"
expect_fp "SNI other.example.test gets the wildcard's" other.example.test "$dir/wild.crt"
expect_fp "IPv6: SNI www.example.test at [::1] gets www's" www.example.test "$dir/www.crt" "[::1]:8443"
out=$(curl -sS --max-time 60 --cacert "$dir/www.crt" --resolve www.example.test:8443:127.0.0.1 \
	https://www.example.test:8443/hello 2>&1)
[ "$out" = "hello from the backend" ] && t_ok "curl verifies www.example.test and is served" ||
	t_fail "curl verifies www.example.test and is served" "$out"
# s_client may leave before its keys land (client_gone): count connections.
[ "$(bstat www.example.test:8443 accepted)" = 4 ] && [ "$(bstat api.example.test:8443 accepted)" = 1 ] &&
	[ "$(bstat '*.example.test:8443' accepted)" = 1 ] &&
	t_ok "each host binding counts its own connections" ||
	t_fail "each host binding counts its own connections" \
		"www $(bstat www.example.test:8443 accepted), api $(bstat api.example.test:8443 accepted)"

t_log "step: no match"
u0=$(stat_of unrecognized_name)
out=$(hs_err a.b.example.test)
unrecognized "$out" && t_ok "a.b.example.test (two labels below the wildcard): unrecognized_name" ||
	t_fail "a.b.example.test (two labels below the wildcard): unrecognized_name" "$out"
out=$(hs_err "")
unrecognized "$out" && t_ok "no SNI and no address binding: unrecognized_name" ||
	t_fail "no SNI and no address binding: unrecognized_name" "$out"
[ "$(stat_of unrecognized_name)" = $((u0 + 2)) ] && t_ok "both counted as unrecognized_name" ||
	t_fail "both counted as unrecognized_name" "$u0 -> $(stat_of unrecognized_name)"

t_log "step: address bindings as the fallback"
t_check "address binding 0.0.0.0:8443 beside the host bindings" add 0.0.0.0:8443 dflt
t_check "address binding 127.0.0.1:8443 beside 0.0.0.0:8443" add 127.0.0.1:8443 local
expect_fp "no SNI at 127.0.0.1: its address binding" "" "$dir/local.crt"
expect_fp "unknown name at 127.0.0.1: its address binding" nothing.test "$dir/local.crt"
expect_fp "no SNI at 127.0.0.2: the 0.0.0.0 binding" "" "$dir/dflt.crt" 127.0.0.2:8443
expect_fp "SNI www at 127.0.0.2: still www's" www.example.test "$dir/www.crt" 127.0.0.2:8443
out=$(curl -sSk --max-time 60 https://127.0.0.1:8443/hello 2>&1)
[ "$out" = "hello from the backend" ] && t_ok "curl without SNI is served by the address binding" ||
	t_fail "curl without SNI is served by the address binding" "$out"

t_log "step: $NAMES names with distinct certificates"
for i in $(seq "$NAMES"); do add "n$i.many.test:8443" "n$i" || t_log "add n$i failed"; done
bad=0
for i in $(seq "$NAMES"); do
	[ "$(fp "n$i.many.test")" = "$(certfp "$dir/n$i.crt")" ] || bad=$((bad + 1))
done
[ $bad = 0 ] && t_ok "$NAMES names on one port, each its own certificate" ||
	t_fail "$NAMES names on one port, each its own certificate" "$bad wrong"

t_log "step: central certificate store"
mkcert "$dir/store/shop.store.test" shop.store.test
cat "$dir/store/shop.store.test.crt" "$dir/store/shop.store.test.key" > "$dir/store/shop.store.test.pem"
chmod 600 "$dir/store/shop.store.test.pem"
rm "$dir/store/shop.store.test.crt" "$dir/store/shop.store.test.key"
mkcert "$dir/store/blog.store.test" blog.store.test
mkcert "$dir/store/_.wild.store.test" '*.wild.store.test'
mkcert "$dir/store/www.example.test" www.example.test
cp "$dir/store/shop.store.test.pem" "$dir/shop.pem"
t_check "ccs:8443 store" "$KHTTPSCTL" binding add ccs:8443 store "$dir/store" backend 127.0.0.1:8080
out=$("$KHTTPSCTL" binding add ccs:8443 store "$dir/store" backend 127.0.0.1:8080 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"ccs binding already"* ]] && t_ok "one ccs store per port" ||
	t_fail "one ccs store per port" "rc $rc: $out"
out=$("$KHTTPSCTL" binding add ccs:8444 cert "$dir/www.crt" key "$dir/www.key" backend 127.0.0.1:8080 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"store DIR"* ]] && t_ok "a ccs binding takes a store, not cert and key" ||
	t_fail "a ccs binding takes a store, not cert and key" "rc $rc: $out"
expect_fp "ccs: NAME.pem (certificate and key in one file)" shop.store.test "$dir/shop.pem"
expect_fp "ccs: NAME.crt and NAME.key" blog.store.test "$dir/store/blog.store.test.crt"
expect_fp "ccs: _.wild.store.test serves x.wild.store.test" x.wild.store.test "$dir/store/_.wild.store.test.crt"
expect_fp "a host binding comes before the store" www.example.test "$dir/www.crt"
expect_fp "a name not in the store falls to the address binding" none.store.test "$dir/local.crt"
u0=$(stat_of unrecognized_name)
out=$(hs_err ../../etc/passwd)
unrecognized "$out" && [ "$(stat_of unrecognized_name)" = $((u0 + 1)) ] &&
	t_ok "a server name with slashes gets unrecognized_name" ||
	t_fail "a server name with slashes gets unrecognized_name" "$out; unrecognized_name $u0 -> $(stat_of unrecognized_name)"

t_log "step: live changes"
t_check "delete www.example.test:8443" "$KHTTPSCTL" binding del www.example.test:8443
expect_fp "www now falls to the wildcard binding" www.example.test "$dir/wild.crt"
t_check "delete *.example.test:8443" "$KHTTPSCTL" binding del '*.example.test:8443'
expect_fp "then to the store's www.example.test" www.example.test "$dir/store/www.example.test.crt"
t_check "delete ccs:8443" "$KHTTPSCTL" binding del ccs:8443
expect_fp "then to the address binding" www.example.test "$dir/local.crt"
"$KHTTPSCTL" binding show > "$dir/show.txt"
grep -q '^api.example.test:8443 ' "$dir/show.txt" && grep -q '^127.0.0.1:8443 ' "$dir/show.txt" &&
	t_ok "binding show names host and address bindings" || t_fail "binding show names host and address bindings" "$(cat "$dir/show.txt")"
"$KHTTPSCTL" --json binding show | python3 -c '
import json, sys
k = {b["bind"]: b["kind"] for b in json.load(sys.stdin)}
assert k["api.example.test:8443"] == "host" and k["0.0.0.0:8443"] == "address", k' 2>&1 &&
	t_ok "binding show --json gives each binding's kind" || t_fail "binding show --json gives each binding's kind"
for b in api.example.test:8443 0.0.0.0:8443 127.0.0.1:8443; do "$KHTTPSCTL" binding del "$b"; done
for i in $(seq "$NAMES"); do "$KHTTPSCTL" binding del "n$i.many.test:8443"; done
t_wait 20 eval '! ss -Hltn "sport = :8443" | grep -q .'
ss -Hltn "sport = :8443" | grep -q . && t_fail "the last binding's delete closes the listeners" "$(ss -Hltn "sport = :8443")" ||
	t_ok "the last binding's delete closes the listeners"
[ "$(stat_of active)" = 0 ] && [ "$(stat_of pending)" = 0 ] && t_ok "nothing left over" ||
	t_fail "nothing left over" "active $(stat_of active), pending $(stat_of pending)"
t_log "step: a store of 1000 names, loaded on first use, then cached"
# One worker, so that the second pass finds what the first loaded.
kill "${pids[1]}"; wait "${pids[1]}" 2>/dev/null
"$KHTTPSD" -f -w 1 --trust "$dir" > "$dir/khttpsd1.log" 2>&1 &
pids+=($!)
python3 "$T_SRC/tests/guest/ccsstore.py" make "$dir/big" 1000
t_check "ccs:8444 with 1000 certificates" "$KHTTPSCTL" binding add ccs:8444 store "$dir/big" \
	backend 127.0.0.1:8080
SAMPLE=${KHTTPS_CCS_SAMPLE:-200}
first=$(python3 "$T_SRC/tests/guest/ccsstore.py" fetch 127.0.0.1 8444 "$dir/big" "$SAMPLE")
cached=$(python3 "$T_SRC/tests/guest/ccsstore.py" fetch 127.0.0.1 8444 "$dir/big" "$SAMPLE")
read -r _ n1 _ w1 _ s1 <<< "${first##*$'\n'}"
read -r _ n2 _ w2 _ s2 <<< "${cached##*$'\n'}"
[ "${w1:-1}" = 0 ] && [ "${n1:-0}" = "$SAMPLE" ] &&
	t_ok "$SAMPLE of 1000 names (first and last included), each its own certificate: first use ${s1}s" ||
	t_fail "$SAMPLE of 1000 names, each its own certificate, first use" "$first"
[ "${w2:-1}" = 0 ] && [ "${n2:-0}" = "$SAMPLE" ] &&
	t_ok "again from the cache: ${s2}s (first use ${s1}s)" ||
	t_fail "again from the cache" "$cached"
"$KHTTPSCTL" binding del ccs:8444

if [ "$T_FAILED" -gt 0 ]; then
	"$KHTTPSCTL" stats | sed 's/^/#   /'
	tail -n 30 "$dir/khttpsd.log" | sed 's/^/#   khttpsd: /'
fi
t_done
