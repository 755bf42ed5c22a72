#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The error log: each refused or failed connection is one event with the
# right reason, peer and binding, seen live by khttpsctl monitor and
# written by khttpsd --error-log; the events of each reason equal its
# counter's growth; a good connection makes none; joining needs
# CAP_NET_ADMIN; SIGHUP reopens the log file.
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch errlog
params=/sys/module/khttps/parameters
t_cleanup() {
	echo 1024 > $params/max_pending_handshakes
	echo 10000 > $params/handshake_timeout_ms
	for b in 127.0.0.1:8443 127.0.0.1:8446 www.example.test:8444; do
		"$KHTTPSCTL" binding del $b > /dev/null 2>&1
	done
}
probe=$T_SRC/tests/guest/tlsprobe.py

t_log "step: certificate, backend, bindings, daemon with --error-log, monitor"
t_cert
t_backend
"$KHTTPSCTL" binding add 127.0.0.1:8443 cert "$dir/cert.pem" key "$dir/key.pem" \
	backend 127.0.0.1:8080 tls 1.3 > /dev/null 2>&1
# Nothing listens on port 9: every connection there is a backend error.
"$KHTTPSCTL" binding add 127.0.0.1:8446 cert "$dir/cert.pem" key "$dir/key.pem" \
	backend 127.0.0.1:9 > /dev/null 2>&1
"$KHTTPSCTL" binding add www.example.test:8444 cert "$dir/cert.pem" key "$dir/key.pem" \
	backend 127.0.0.1:8080 > /dev/null 2>&1
t_daemon --error-log "$dir/error.log"
daemon=$dpid
pids+=($daemon)
"$KHTTPSCTL" monitor --json > "$dir/monitor.json" 2> "$dir/monitor.err" &
pids+=($!)
t_wait 30 sh -c '"$0" --json stats | grep -q "\"daemon\":true"' "$KHTTPSCTL" ||
	t_log "no daemon: $(cat "$dir/khttpsd.log")"
# Until the monitor and the error-log process have joined: failures that
# both see.  The lines they make here are left out of the checks below.
warm() {
	echo | timeout 30 openssl s_client -connect 127.0.0.1:8443 -tls1_2 > /dev/null 2>&1
	[ -s "$dir/monitor.json" ] && [ -s "$dir/error.log" ]
}
t_wait 60 warm || t_log "monitor or error log saw nothing: $(cat "$dir/monitor.err")"
sleep 1
skip_mon=$(wc -l < "$dir/monitor.json")
skip_log=$(wc -l < "$dir/error.log")
declare -A before
for r in handshakes_failed_tls unrecognized_name handshake_timeouts refused_pending bad_records \
	backend_errors; do
	before[$r]=$(stat_of $r)
done

t_log "step: one failure of each kind"
out=$(curl -sSk --max-time 60 https://127.0.0.1:8443/hello 2>&1)
[ "$out" = "hello from the backend" ] || t_log "a good request failed: $out"
echo | timeout 30 openssl s_client -connect 127.0.0.1:8443 -tls1_2 > /dev/null 2>&1
echo | timeout 30 openssl s_client -connect 127.0.0.1:8444 -servername nope.example.test > /dev/null 2>&1
python3 "$probe" bad-mac 127.0.0.1 8443 > "$dir/badmac.out" 2>&1
curl -sSk --max-time 60 https://127.0.0.1:8446/hello > /dev/null 2>&1
echo 8000 > $params/handshake_timeout_ms
echo 1 > $params/max_pending_handshakes
python3 "$probe" stall 127.0.0.1 8443 1 20 > "$dir/stall.out" 2>&1 &
stall=$!
t_wait 30 grep -q stalled "$dir/stall.out"
# The stalled handshake holds the one pending place: this one is refused.
timeout 20 python3 -c 'import socket; s = socket.create_connection(("127.0.0.1", 8443)); s.recv(1)' \
	> /dev/null 2>&1
wait $stall
echo 1024 > $params/max_pending_handshakes
echo 10000 > $params/handshake_timeout_ms
t_wait 30 eval '[ "$(stat_of active)" -eq 0 ]'
sleep 1

t_log "step: what monitor and the log file show"
python3 - "$dir/monitor.json" "$dir/error.log" "$("$KHTTPSCTL" --json stats)" \
	"$(declare -p before | sed 's/^declare -A before=//')" "$skip_mon" "$skip_log" \
	> "$dir/check.out" 2>&1 <<'PY'
import json, re, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][int(sys.argv[5]):]
lines = [l.rstrip("\n") for l in open(sys.argv[2]) if l.strip()][int(sys.argv[6]):]
stats = json.loads(sys.argv[3])
before = dict(re.findall(r'\[(\w+)\]="(\d+)"', sys.argv[4]))
want = {
    "handshakes_failed_tls": "127.0.0.1:8443",
    "unrecognized_name": None,
    "handshake_timeouts": "127.0.0.1:8443",
    "refused_pending": "127.0.0.1:8443",
    "bad_records": "127.0.0.1:8443",
    "backend_errors": "127.0.0.1:8446",
}
ok = True
def check(cond, what):
    global ok
    print(("ok " if cond else "FAIL ") + what)
    ok &= bool(cond)
for reason, binding in want.items():
    evs = [e for e in events if e["reason"] == reason]
    grown = stats[reason] - int(before[reason])
    check(len(evs) == grown and grown >= 1,
          "%s: %d events for %d counted" % (reason, len(evs), grown))
    for e in evs:
        check(e.get("binding") == binding, "%s: binding %s" % (reason, e.get("binding")))
        check(e["peer"].startswith("127.0.0.1:") and e["local"].split(":")[-1] in
              ("8443", "8444", "8446"), "%s: peer %s local %s" % (reason, e["peer"], e["local"]))
        check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", e["time"]), "time " + e["time"])
        if reason == "unrecognized_name":
            check(e.get("sni") == "nope.example.test", "unrecognized_name: sni %s" % e.get("sni"))
other = [e for e in events if e["reason"] not in want]
check(not other, "no other events (a good request makes none): %s" % other)
# The file holds the same events, one line each, in the same order.
fields = [l.split(" ") for l in lines]
check(len(lines) == len(events), "%d lines in the file, %d events" % (len(lines), len(events)))
for f, e in zip(fields, events):
    check(len(f) == 6 and f[0] == e["time"] and f[1] == e["peer"] and f[2] == e["local"] and
          f[3] == (e.get("binding") or "-") and f[4] == e["reason"] and f[5] == (e.get("sni") or "-"),
          "line %s matches the event" % " ".join(f))
print("all ok" if ok else "some failed")
PY
sed 's/^/# /' "$dir/check.out" | grep -v '^# ok' | head -n 30
grep -q '^all ok' "$dir/check.out" &&
	t_ok "monitor and --error-log: one event per failure, right reason, peer and binding; equal to the counters" ||
	t_fail "monitor and --error-log: one event per failure, right reason, peer and binding; equal to the counters"
grep -q '^ok handshakes_failed_tls' "$dir/check.out" && t_ok "reason handshakes_failed_tls" ||
	t_fail "reason handshakes_failed_tls"
for r in unrecognized_name handshake_timeouts refused_pending bad_records backend_errors; do
	grep -q "^ok $r:" "$dir/check.out" && t_ok "reason $r" || t_fail "reason $r"
done

t_log "step: privileges, text view, log rotation"
if command -v setpriv > /dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$KHTTPSCTL" monitor -n 1 2>&1); rc=$?
	[ $rc -ne 0 ] && [[ $out == *"Operation not permitted"* ]] &&
		t_ok "monitor without CAP_NET_ADMIN is refused" ||
		t_fail "monitor without CAP_NET_ADMIN is refused" "rc $rc: $out"
else
	t_skip "monitor without CAP_NET_ADMIN is refused" "setpriv not installed"
fi
"$KHTTPSCTL" monitor -n 1 > "$dir/text.out" 2>&1 &
mon=$!
sleep 1
mv "$dir/error.log" "$dir/error.log.1"
kill -HUP $daemon
sleep 1
echo | timeout 30 openssl s_client -connect 127.0.0.1:8443 -tls1_2 > /dev/null 2>&1
t_wait 30 test -s "$dir/error.log"
wait $mon
grep -qE '^[0-9T:.-]+Z 127\.0\.0\.1:[0-9]+ 127\.0\.0\.1:8443 127\.0\.0\.1:8443 handshakes_failed_tls -$' "$dir/text.out" &&
	t_ok "monitor -n 1: one line, TIME PEER LOCAL BINDING REASON SNI, then exits" ||
	t_fail "monitor -n 1: one line, TIME PEER LOCAL BINDING REASON SNI, then exits" "$(cat "$dir/text.out")"
[ "$(wc -l < "$dir/error.log")" = 1 ] && grep -q handshakes_failed_tls "$dir/error.log" &&
	t_ok "after SIGHUP the log goes to a new file" ||
	t_fail "after SIGHUP the log goes to a new file" "$(cat "$dir/error.log" 2>&1)"
t_done
