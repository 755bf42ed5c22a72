#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# khttps-test: shared
# Key material stays where it is used.  Two live connections (TLS 1.3 and
# 1.2) whose secrets the client derives from its key log: traffic secrets,
# master secret, write keys and IVs.  None of them, raw or hex, is in the
# kernel log, the daemon's logs (verbose, and its error log), khttpsctl's
# output, the raw replies of every khttps dump, sysfs, the memory of the
# daemon's processes, or the core of a worker killed with SIGSEGV; the
# binding's private key is in none of those outside the daemon either.
# The connections go on after it all.
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch secrets
dpid=
pattern=$(cat /proc/sys/kernel/core_pattern)
t_cleanup() {
	printf '%s\n' "$pattern" > /proc/sys/kernel/core_pattern
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	"$KHTTPSCTL" binding del 127.0.0.1:8443 > /dev/null 2>&1
}
keyhunt=$T_SRC/tests/guest/keyhunt.py

t_log "step: certificate, backend, forward binding, daemon (verbose, error log, cores on)"
t_cert
python3 -c '
import sys
from cryptography.hazmat.primitives.serialization import load_pem_private_key
k = load_pem_private_key(open(sys.argv[1], "rb").read(), None)
print("server_private_key", k.private_numbers().private_value.to_bytes(32, "big").hex())
' "$dir/key.pem" > "$dir/private.key"
t_backend
t_check "forward binding" t_forward_binding 127.0.0.1:8443
echo "$dir/core.%p" > /proc/sys/kernel/core_pattern
(ulimit -c unlimited && exec "$KHTTPSD" -f -v -w 2 -l "$dir/error.log" --trust "$dir" \
	> "$dir/khttpsd.log" 2>&1) &
dpid=$!
"$KHTTPSCTL" monitor > "$dir/monitor.out" 2>&1 &
pids+=($!)

t_log "step: two live connections and their secrets"
python3 "$keyhunt" hold 127.0.0.1 8443 "$dir/keys" "$dir/go" > "$dir/hold.out" 2>&1 &
hold=$!
pids+=($hold)
t_wait 120 grep -q '^ready' "$dir/hold.out" || t_log "hold: $(cat "$dir/hold.out")"
n=$(wc -l < "$dir/keys" 2> /dev/null || echo 0)
[ "$n" -eq 9 ] && t_ok "9 secrets of a TLS 1.3 and a TLS 1.2 connection" ||
	t_fail "9 secrets of a TLS 1.3 and a TLS 1.2 connection" "$n: $(cat "$dir/hold.out")"
cat "$dir/keys" "$dir/private.key" > "$dir/all.keys"

# One search per place, named; $1 the keys file, the rest what to search.
look() {
	local name=$1 out; shift
	if out=$(python3 "$keyhunt" search "$@" 2>&1); then
		t_ok "$name: none (${out#clean } bytes searched)"
	else
		t_fail "$name" "$(printf '%s\n' "$out" | head -n 5)"
	fi
}

t_log "step: where the secrets must not be"
"$KHTTPSCTL" stats > "$dir/ctl.out" 2>&1
for a in "--json stats" "stats --prometheus" "binding show" "--json binding show" \
	"conns" "--json conns" "save"; do
	# shellcheck disable=SC2086
	"$KHTTPSCTL" $a >> "$dir/ctl.out" 2>&1
done
dmesg > "$dir/dmesg.out"
look "kernel log" "$dir/all.keys" "$dir/dmesg.out"
look "khttpsd's log (verbose) and error log" "$dir/all.keys" "$dir/khttpsd.log" "$dir/error.log"
look "khttpsctl stats, binding show, conns, save, monitor" "$dir/all.keys" "$dir/ctl.out" \
	"$dir/monitor.out"
look "raw netlink replies of every dump" "$dir/all.keys" genl
look "sysfs of the module" "$dir/all.keys" /sys/module/khttps
mem=()
for p in $dpid $(pgrep -P "$dpid"); do mem+=("pid:$p"); done
look "memory of khttpsd's ${#mem[@]} processes" "$dir/keys" "${mem[@]}"

t_log "step: a worker's core"
worker=$(pgrep -P "$dpid" | head -n 1)
kill -SEGV "$worker"
t_wait 60 test -s "$dir/core.$worker" && sleep 1
if [ -s "$dir/core.$worker" ]; then
	look "core of a worker ($(du -k "$dir/core.$worker" | cut -f1) KiB)" "$dir/keys" "$dir/core.$worker"
else
	t_fail "core of a worker" "no core written ($(ls "$dir"))"
fi

t_log "step: the connections go on"
touch "$dir/go"
wait "$hold"
grep -q '^ok' "$dir/hold.out" && t_ok "both connections served after it all" ||
	t_fail "both connections served after it all" "$(cat "$dir/hold.out")"
t_done
