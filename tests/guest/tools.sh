#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# khttpsctl and khttpsd against the loaded module, without it, and without
# privilege.  Leaves the module loaded.
set -u
. "$(dirname "$0")/../lib.sh"
KO=$T_SRC/khttps.ko
VERSION=$(cat "$T_SRC/VERSION")
API=$(awk '/^#define KHTTPS_API_VERSION/ { print $3 }' "$T_SRC/include/uapi/linux/khttps.h")
tmp=$(mktemp -d)
dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null
	[ -d /sys/module/khttps ] || insmod "$KO"
	rm -rf "$tmp"
}
trap cleanup EXIT
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# Until khttpsd, logging to FILE, says ready (10 s at most).
wait_ready() { for _ in $(seq 100); do grep -q ready "$1" && return; sleep 0.1; done; }

out=$("$KHTTPSCTL" version 2>&1); rc=$?
if [ $rc = 0 ] && [[ $out == *"khttpsctl  $VERSION"* ]] && [[ $out == *"khttps.ko  $VERSION  (api $API, kernel $(uname -r))"* ]]; then
	t_ok "khttpsctl version shows both sides"
else
	t_fail "khttpsctl version shows both sides" "rc $rc: $out"
fi
json=$("$KHTTPSCTL" --json version 2>&1)
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["module"]["version"]==sys.argv[2] and d["khttpsctl"]["api"]==int(sys.argv[3]) and isinstance(d["module"]["capabilities"], list)' "$json" "$VERSION" "$API" 2>/dev/null; then
	t_ok "khttpsctl --json version parses"
else
	t_fail "khttpsctl --json version parses" "$json"
fi
out=$(nobody "$KHTTPSCTL" version 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"Operation not permitted"* ]] && t_ok "khttpsctl as nobody: permission error" ||
	t_fail "khttpsctl as nobody: permission error" "rc $rc: $out"
out=$("$KHTTPSCTL" frobnicate 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"unknown command 'frobnicate'"* ]] && t_ok "khttpsctl names an unknown command" ||
	t_fail "khttpsctl names an unknown command" "rc $rc: $out"

# Bindings added while no khttpsd runs work once one starts: a warning, not an error.
t_cert "$tmp"
add() { "$KHTTPSCTL" binding add 127.0.0.1:8443 cert "$tmp/cert.pem" key "$tmp/key.pem" backend 127.0.0.1:8080; }
out=$(add 2>&1); rc=$?
[ $rc = 0 ] && [[ $out == *"warning: no khttpsd is running"* ]] &&
	t_ok "binding add without a daemon warns and succeeds" ||
	t_fail "binding add without a daemon warns and succeeds" "rc $rc: $out"
out=$("$KHTTPSCTL" stats 2>&1)
[[ $out == *"daemon                     not running"* ]] && t_ok "stats says no daemon runs" ||
	t_fail "stats says no daemon runs" "$out"
"$KHTTPSCTL" binding del 127.0.0.1:8443

# khttpsd: starts, says ready, exits 0 on SIGTERM.
"$KHTTPSD" -f -w 2 2> "$tmp/d.log" &
dpid=$!
wait_ready "$tmp/d.log"
if grep -q "ready: module $VERSION (api $API)" "$tmp/d.log" && grep -q "2 workers" "$tmp/d.log"; then
	t_ok "khttpsd -f starts and reports ready"
else
	t_fail "khttpsd -f starts and reports ready" "$(cat "$tmp/d.log")"
fi
out=$(add 2>&1); rc=$?
[ $rc = 0 ] && [ -z "$out" ] && t_ok "binding add with a daemon says nothing" ||
	t_fail "binding add with a daemon says nothing" "rc $rc: $out"
"$KHTTPSCTL" binding del 127.0.0.1:8443
json=$("$KHTTPSCTL" --json stats 2>&1)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["daemon"] is True and d["accepted"] >= 0' "$json" 2>/dev/null &&
	t_ok "stats --json says a daemon runs" || t_fail "stats --json says a daemon runs" "$json"
# Each network namespace has its own daemon, or none.
json=$(unshare -n "$KHTTPSCTL" --json stats 2>&1)
python3 -c 'import json,sys; assert json.loads(sys.argv[1])["daemon"] is False' "$json" 2>/dev/null &&
	t_ok "another namespace does not see this one's daemon" ||
	t_fail "another namespace does not see this one's daemon" "$json"
kill -HUP "$dpid"; sleep 0.5
kill -0 "$dpid" 2>/dev/null && t_ok "khttpsd survives SIGHUP" || t_fail "khttpsd survives SIGHUP"
kill -TERM "$dpid"
rc=124
for _ in $(seq 50); do kill -0 "$dpid" 2>/dev/null || { wait "$dpid"; rc=$?; break; }; sleep 0.1; done
dpid=
[ $rc = 0 ] && t_ok "khttpsd exits 0 on SIGTERM" || t_fail "khttpsd exits 0 on SIGTERM" "status $rc"
out=$("$KHTTPSCTL" stats 2>&1)
[[ $out == *"daemon                     not running"* ]] && t_ok "stats says no daemon once it exited" ||
	t_fail "stats says no daemon once it exited" "$out"
unshare -n "$KHTTPSD" -f -w 1 2> "$tmp/d2.log" &
dpid=$!
wait_ready "$tmp/d2.log"
out=$("$KHTTPSCTL" stats 2>&1)
if ! grep -q ready "$tmp/d2.log"; then
	t_fail "a daemon in another namespace does not count here" "no ready: $(cat "$tmp/d2.log")"
elif [[ $out == *"daemon                     not running"* ]]; then
	t_ok "a daemon in another namespace does not count here"
else
	t_fail "a daemon in another namespace does not count here" "$out"
fi
kill -TERM "$dpid"; wait "$dpid"
dpid=

out=$(nobody "$KHTTPSD" -f 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *CAP_NET_ADMIN* ]] && t_ok "khttpsd as nobody names CAP_NET_ADMIN" ||
	t_fail "khttpsd as nobody names CAP_NET_ADMIN" "rc $rc: $out"
out=$("$KHTTPSD" -f -w 0 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"--workers wants a number"* ]] && t_ok "khttpsd refuses -w 0" ||
	t_fail "khttpsd refuses -w 0" "rc $rc: $out"

# Without the module, both say so and fail.
rmmod khttps
out=$("$KHTTPSCTL" version 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"module is not loaded"* ]] && t_ok "khttpsctl without the module says so" ||
	t_fail "khttpsctl without the module says so" "rc $rc: $out"
out=$("$KHTTPSD" -f 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"module is not loaded"* ]] && t_ok "khttpsd without the module says so" ||
	t_fail "khttpsd without the module says so" "rc $rc: $out"
insmod "$KO"
t_done
