#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A network namespace deleted with live bindings and connections: once its
# last process is gone, khttps's connections must not keep it alive; its
# pre_exit deletes the bindings and closes the connections (an established
# forward connection, one waiting in a queue), and the clients see the end.
#
#   this test's netns (clients)            netns khx: khttpsd, backend
#   veth-c 10.9.0.1/24  <---------------->  veth-s 10.9.0.2/24
#                                            10.9.0.2:8443 forward -> 127.0.0.1:8080
#                                            10.9.0.2:8444 queue q (no application)
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch netns

t_log "step: namespace, veth, certificates, backend, daemon, bindings"
if ! t_veth_ns khx$$ 10.9.0.1 10.9.0.2; then
	t_skip "netns teardown" "cannot make a netns with a veth pair"
	t_done
	exit
fi
python3 "$T_SRC/tests/guest/pki.py" "$dir"
mkdir -p "$dir/root" && echo hello > "$dir/root/x"
# Not through inx: $! must be the process itself, not a subshell.
ip netns exec "$T_NS" python3 "$T_SRC/tests/guest/backend.py" 8080 "$dir/root" \
	> "$dir/backend.log" 2>&1 &
pids+=($!)
ip netns exec "$T_NS" "$KHTTPSD" -f -w 2 --trust "$dir" > "$dir/khttpsd.log" 2>&1 &
pids+=($!)
inx "$KHTTPSCTL" binding add 10.9.0.2:8443 cert "$dir/server.crt" key "$dir/server.key" \
	backend 127.0.0.1:8080 > /dev/null 2>&1 &&
	inx "$KHTTPSCTL" binding add 10.9.0.2:8444 cert "$dir/server.crt" key "$dir/server.key" \
	queue q > /dev/null 2>&1 && t_ok "bindings added in the namespace" ||
	t_fail "bindings added in the namespace"
t_wait 30 eval 'inx ss -Hltn "sport = :8080" | grep -q .' || t_log "backend not listening"
nsino=$(inx stat -L -c %i /proc/self/ns/net)

# client PORT get|idle: connect, maybe one request, say "ready", then wait for the end.
client() {
	python3 - "$@" <<'PY'
import socket, ssl, sys
port, get = int(sys.argv[1]), sys.argv[2] == "get"
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("10.9.0.2", port), timeout=60),
                    server_hostname="localhost")
if get:
    s.sendall(b"GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
    print("response", b"hello" in s.recv(65536), flush=True)
print("ready", flush=True)
s.settimeout(120)
try:
    print("end", "eof" if not s.recv(1) else "data", flush=True)
except (OSError, ssl.SSLError) as e:
    print("end", type(e).__name__, flush=True)
PY
}
client 8443 idle > "$dir/c1" 2>&1 &
pids+=($!)
client 8444 none > "$dir/c2" 2>&1 &
pids+=($!)
if t_wait 60 grep -q ready "$dir/c1" && t_wait 60 grep -q ready "$dir/c2"; then
	t_ok "a forward connection is open; one waits in the queue"
else
	t_fail "connections established" "$(cat "$dir/c1" "$dir/c2" "$dir/khttpsd.log")"
fi
phases=$(inx "$KHTTPSCTL" --json conns |
	python3 -c 'import json,sys; print(" ".join(sorted(c["phase"] for c in json.load(sys.stdin))))')
[ "$phases" = "queued relay" ] && t_ok "khttpsctl conns: one relay, one queued" ||
	t_fail "khttpsctl conns: one relay, one queued" "phases: $phases"

t_log "step: the namespace's processes end and it is deleted"
dmesg -C
for p in "${pids[@]:0:2}"; do kill "$p"; wait "$p" 2>/dev/null; done
ip netns del "$T_NS"
if t_wait 60 eval 'dmesg | grep -q "khttps: netns $nsino going away: 2 bindings deleted"'; then
	t_ok "the namespace went away: its bindings deleted (pre_exit)"
else
	t_fail "the namespace went away: its bindings deleted (pre_exit)" \
		"no such kernel log line: $(dmesg | grep khttps | tail -n 3)"
	for p in /proc/[0-9]*; do
		[ "$(stat -L -c %i "$p/ns/net" 2>/dev/null)" = "$nsino" ] &&
			t_log "still in the namespace: ${p#/proc/} $(tr '\0' ' ' < "$p/cmdline")"
	done
fi
if t_wait 60 grep -q "^end" "$dir/c1" && t_wait 60 grep -q "^end" "$dir/c2"; then
	t_ok "both clients saw their connection end ($(grep -h ^end "$dir/c1" "$dir/c2" | xargs))"
else
	t_fail "both clients saw their connection end" "$(cat "$dir/c1" "$dir/c2")"
fi
t_done
