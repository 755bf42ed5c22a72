#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# khttpsctl conns: each open connection with its peer, binding, phase,
# version, cipher, SNI, plaintext bytes (equal to what the client sent and
# got) and age; admin only.
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch conns
params=/sys/module/khttps/parameters
t_cleanup() {
	echo 10000 > $params/handshake_timeout_ms
	echo 120000 > $params/idle_timeout_ms
	for b in 127.0.0.1:8443 127.0.0.1:8445 www.example.test:8447; do
		"$KHTTPSCTL" binding del $b > /dev/null 2>&1
	done
}
probe=$T_SRC/tests/guest/tlsprobe.py
conns() { "$KHTTPSCTL" --json conns; }
relays() { conns | grep -o '"phase":"relay"' | wc -l; }

t_log "step: certificate, backend, a forward and a queue binding, daemon"
t_cert
t_backend
"$KHTTPSCTL" binding add 127.0.0.1:8443 cert "$dir/cert.pem" key "$dir/key.pem" \
	backend 127.0.0.1:8080 > /dev/null 2>&1
"$KHTTPSCTL" binding add 127.0.0.1:8445 cert "$dir/cert.pem" key "$dir/key.pem" \
	queue connsq > /dev/null 2>&1
t_daemon
pids+=("$dpid")
[ "$(conns)" = "[]" ] && t_ok "no connections: an empty list" || t_fail "no connections: an empty list" "$(conns)"

t_log "step: two relayed connections, a queued one, a stalled handshake"
python3 "$probe" hold 127.0.0.1 8443 2 "$dir/go" > "$dir/hold.out" 2>&1 &
hold=$!
pids+=($hold)
t_wait 120 grep -q '^ready' "$dir/hold.out" || t_log "hold: $(cat "$dir/hold.out")"
# Nobody takes connections from connsq: this one waits on the queue.
curl -sSk --max-time 120 https://127.0.0.1:8445/ -H 'Host: q.example.test' > /dev/null 2>&1 &
curlpid=$!
pids+=($curlpid)
echo 60000 > $params/handshake_timeout_ms
python3 "$probe" stall 127.0.0.1 8443 1 60 > "$dir/stall.out" 2>&1 &
stall=$!
pids+=($stall)
t_wait 60 grep -q stalled "$dir/stall.out"
t_wait 60 eval '[ "$(conns | grep -o queued)" = queued ]' || t_log "no queued connection: $(conns)"
conns > "$dir/conns.json"
"$KHTTPSCTL" --json binding show > "$dir/show.json"
python3 - "$dir/conns.json" "$dir/show.json" > "$dir/check.out" 2>&1 <<'PY'
import json, sys
conns = json.load(open(sys.argv[1]))
show = {b["bind"]: b for b in json.load(open(sys.argv[2]))}
request = len(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
ok = True
def check(cond, what):
    global ok
    print(("ok " if cond else "FAIL ") + what)
    ok &= bool(cond)
relay = [c for c in conns if c["phase"] == "relay"]
check(len(relay) == 2, "two relayed connections: %s" % [c["phase"] for c in conns])
for c in relay:
    check(c["binding"] == "127.0.0.1:8443" and c["local"] == "127.0.0.1:8443" and
          c["peer"].startswith("127.0.0.1:"), "relay: addresses %s" % c)
    check(c["version"] in ("TLSv1.2", "TLSv1.3") and c["cipher"] != "unknown", "relay: %s %s" %
          (c["version"], c["cipher"]))
    check(c["bytes_in"] == request and c["bytes_out"] > 0, "relay: bytes %d in, %d out" %
          (c["bytes_in"], c["bytes_out"]))
    check(0 <= c["age_ms"] < 600000, "relay: age %d ms" % c["age_ms"])
b = show["127.0.0.1:8443"]["stats"]
check(sum(c["bytes_in"] for c in relay) == b["bytes_in"] and
      sum(c["bytes_out"] for c in relay) == b["bytes_out"],
      "the connections' bytes add up to the binding's counters")
queued = [c for c in conns if c["phase"] == "queued"]
check(len(queued) == 1 and queued[0]["binding"] == "127.0.0.1:8445", "one queued connection")
hs = [c for c in conns if c["phase"] in ("waiting", "handshake")]
check(len(hs) == 1 and "version" not in hs[0] and hs[0]["bytes_in"] == 0,
      "one stalled handshake, without version or bytes")
check(len({c["id"] for c in conns}) == len(conns) == 4, "four connections, distinct ids")
print("all ok" if ok else "some failed")
PY
sed 's/^/# /' "$dir/check.out" | grep -v '^# ok'
for what in "two relayed connections" "relay: addresses" "relay: bytes" \
	"the connections' bytes add up" "one queued connection" "one stalled handshake" \
	"four connections"; do
	grep -q "^ok $what" "$dir/check.out" && ! grep -q "^FAIL $what" "$dir/check.out" &&
		t_ok "conns: $what" || t_fail "conns: $what"
done
out=$("$KHTTPSCTL" conns)
[[ $(printf '%s\n' "$out" | head -n 1) == "ID "*"PEER"*"BINDING"*"PHASE"* ]] &&
	[ "$(printf '%s\n' "$out" | grep -c ' relay ')" = 2 ] &&
	t_ok "conns: a table with a header, a line per connection" ||
	t_fail "conns: a table with a header, a line per connection" "$out"
if command -v setpriv > /dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$KHTTPSCTL" conns 2>&1); rc=$?
	[ $rc -ne 0 ] && [[ $out == *"ermission"* || $out == *"not permitted"* ]] &&
		t_ok "conns without CAP_NET_ADMIN is refused" ||
		t_fail "conns without CAP_NET_ADMIN is refused" "rc $rc: $out"
else
	t_skip "conns without CAP_NET_ADMIN is refused" "setpriv not installed"
fi
touch "$dir/go"
wait $hold
kill $curlpid $stall 2>/dev/null

t_log "step: maxconns, on an address binding and on a host binding"
bstat() {
	"$KHTTPSCTL" --json binding show | python3 -c "import json,sys
print([b for b in json.load(sys.stdin) if b['bind'] == '$1'][0]['stats']['$2'])"
}
t_check "binding set maxconns 2" "$KHTTPSCTL" binding set 127.0.0.1:8443 maxconns 2
python3 "$probe" hold 127.0.0.1 8443 2 "$dir/go3" > "$dir/hold3.out" 2>&1 &
hold3=$!
pids+=($hold3)
t_wait 120 grep -q '^ready' "$dir/hold3.out"
r0=$(bstat 127.0.0.1:8443 refused_connections)
out=$(curl -sSk --max-time 30 https://127.0.0.1:8443/hello 2>&1)
[ "$out" != "hello from the backend" ] && [ "$(bstat 127.0.0.1:8443 refused_connections)" = $((r0 + 1)) ] &&
	t_ok "maxconns 2: a third connection is refused and counted" ||
	t_fail "maxconns 2: a third connection is refused and counted" "$out"
touch "$dir/go3"
wait $hold3
[[ $(cat "$dir/hold3.out") == *"ok 2"* ]] && t_ok "maxconns 2: the two within it are served" ||
	t_fail "maxconns 2: the two within it are served" "$(cat "$dir/hold3.out")"
t_wait 30 eval '[ "$(relays)" = 0 ]'
out=$(curl -sSk --max-time 30 https://127.0.0.1:8443/hello 2>&1)
[ "$out" = "hello from the backend" ] && t_ok "maxconns 2: served again once they closed" ||
	t_fail "maxconns 2: served again once they closed" "$out"
t_check "binding set maxconns none" "$KHTTPSCTL" binding set 127.0.0.1:8443 maxconns none
"$KHTTPSCTL" --json binding show | grep -q '"maxconns"' && t_fail "maxconns none clears the limit" ||
	t_ok "maxconns none clears the limit"
t_check "host binding with maxconns 1" "$KHTTPSCTL" binding add www.example.test:8447 \
	cert "$dir/cert.pem" key "$dir/key.pem" backend 127.0.0.1:8080 maxconns 1
# -ign_eof holds the connection with stdin at EOF (a "sleep | s_client"
# pipeline would keep the test's cleanup waiting for the sleep).
timeout 150 openssl s_client -ign_eof -connect 127.0.0.1:8447 -servername www.example.test \
	< /dev/null > "$dir/sclient.out" 2>&1 &
sclient=$!
pids+=($sclient)
t_wait 60 grep -q '^New, ' "$dir/sclient.out"
out=$(curl -sSk --max-time 30 https://www.example.test:8447/hello \
	--resolve www.example.test:8447:127.0.0.1 2>&1)
[ "$out" != "hello from the backend" ] && [ "$(bstat www.example.test:8447 refused_connections)" = 1 ] &&
	[ "$(bstat www.example.test:8447 active)" = 1 ] &&
	t_ok "maxconns 1 on a host binding: a second client (by SNI) is refused and counted" ||
	t_fail "maxconns 1 on a host binding: a second client (by SNI) is refused and counted" \
		"$out; refused $(bstat www.example.test:8447 refused_connections)"
kill $sclient 2>/dev/null
"$KHTTPSCTL" binding del www.example.test:8447 > /dev/null

t_log "step: idle_timeout_ms closes a silent forward connection and an untaken queued one, counted"
# The relayed connections end; the queued one (its client gone, nobody
# takes it) waits in its queue.
t_wait 60 eval '[ "$(relays)" = 0 ]'
i0=$(stat_of idle_timeouts) q0=$(stat_of queued)
echo 2000 > $params/idle_timeout_ms
python3 "$probe" hold 127.0.0.1 8443 1 "$dir/go2" > "$dir/hold2.out" 2>&1 &
hold2=$!
pids+=($hold2)
t_wait 120 grep -q '^ready' "$dir/hold2.out"
t_wait 40 eval '[ "$(relays)" = 0 ] && [ "$(stat_of queued)" = 0 ]' && gone=1 || gone=
i1=$(stat_of idle_timeouts)
echo 120000 > $params/idle_timeout_ms
touch "$dir/go2"
wait $hold2
[ -n "$gone" ] && [ "$q0" = 1 ] && [ "$i1" = $((i0 + 2)) ] && ! grep -q '^ok' "$dir/hold2.out" &&
	t_ok "an idle forward connection and a queued one nobody took are closed after idle_timeout_ms, counted" ||
	t_fail "an idle forward connection and a queued one nobody took are closed after idle_timeout_ms, counted" \
		"gone=$gone queued before $q0, idle_timeouts $i0 -> $i1; $(cat "$dir/hold2.out")"
t_done
