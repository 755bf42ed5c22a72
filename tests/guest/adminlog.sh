#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The kernel log: one line per administrator's change (binding added,
# changed, deleted; a parameter set; a namespace's bindings torn down), all
# under one rate limit (10 lines per 5 s), and nothing per connection.
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch adminlog
P=/sys/module/khttps/parameters
ns=$(stat -L -c %i /proc/self/ns/net)
t_cleanup() { echo 10000 > $P/handshake_timeout_ms; }

t_cert
ctl() { "$KHTTPSCTL" "$@" > /dev/null 2>&1; }
klog() { dmesg | grep -F "khttps: $1" > /dev/null; }
# Wait out the rate limit's interval so that earlier tests' lines do not count.
fresh() { sleep 6; dmesg -C; }

fresh
b="127.0.0.1:8443 -> 127.0.0.1:8080"
ctl binding add 127.0.0.1:8443 cert "$dir/cert.pem" key "$dir/key.pem" backend 127.0.0.1:8080
klog "binding $b added in netns $ns" && t_ok "binding add: one log line" ||
	t_fail "binding add: one log line" "$(dmesg | tail -n 3)"
ctl binding set 127.0.0.1:8443 backend 127.0.0.1:8081
klog "binding 127.0.0.1:8443 -> 127.0.0.1:8081 changed in netns $ns" &&
	t_ok "binding set: one log line" || t_fail "binding set: one log line" "$(dmesg | tail -n 3)"
ctl binding add example.test:8443 cert "$dir/cert.pem" key "$dir/key.pem" queue adminq
klog "binding example.test:8443 -> queue adminq added in netns $ns" &&
	t_ok "host binding in queue mode: named by host and queue" ||
	t_fail "host binding in queue mode: named by host and queue" "$(dmesg | tail -n 3)"
ctl binding del example.test:8443
ctl binding del 127.0.0.1:8443
klog "binding 127.0.0.1:8443 -> 127.0.0.1:8081 deleted in netns $ns" &&
	t_ok "binding del: one log line" || t_fail "binding del: one log line" "$(dmesg | tail -n 3)"
echo 5000 > $P/handshake_timeout_ms
klog "handshake_timeout_ms set to 5000 (was 10000)" && t_ok "parameter write: old and new value" ||
	t_fail "parameter write: old and new value" "$(dmesg | tail -n 3)"
n=$(dmesg | grep -c "khttps: ")
echo 5000 > $P/handshake_timeout_ms
[ "$(dmesg | grep -c "khttps: ")" = "$n" ] && t_ok "writing the same value logs nothing" ||
	t_fail "writing the same value logs nothing" "$(dmesg | tail -n 2)"

# A refused write and a failed bind are the caller's errors, not changes: no line.
n=$(dmesg | grep -c "khttps: ")
echo 1 > $P/handshake_timeout_ms 2>/dev/null
ctl binding add 127.0.0.1:8443 cert "$dir/cert.pem" key "$dir/key.pem" queue q2
ctl binding add 127.0.0.1:8443 cert "$dir/cert.pem" key "$dir/key.pem" queue q2
ctl binding del 127.0.0.1:8443
[ "$(dmesg | grep -c "khttps: ")" = $((n + 2)) ] &&
	t_ok "a refused write and a duplicate add log nothing" ||
	t_fail "a refused write and a duplicate add log nothing" "$(dmesg | tail -n 4)"

# Connections are not admin events: a client that connects and leaves
# (refused: no daemon, the handshake times out later) adds no line.
ctl binding add 127.0.0.1:8443 cert "$dir/cert.pem" key "$dir/key.pem" backend 127.0.0.1:8080
n=$(dmesg | grep -c "khttps: ")
for _ in 1 2 3 4 5; do
	timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8443; printf "hello" >&3' 2>/dev/null
done
sleep 1
[ "$(dmesg | grep -c "khttps: ")" = "$n" ] && t_ok "connections log nothing" ||
	t_fail "connections log nothing" "$(dmesg | tail -n 4)"
ctl binding del 127.0.0.1:8443

# A burst: at most 10 lines, then "callbacks suppressed" once the interval ends.
fresh
for i in $(seq 1 30); do echo $((5000 + i)) > $P/handshake_timeout_ms; done
n=$(dmesg | grep -c "khttps: handshake_timeout_ms set to")
[ "$n" -le 10 ] && [ "$n" -ge 1 ] && t_ok "30 writes in a burst: $n lines (at most 10)" ||
	t_fail "30 writes in a burst: at most 10 lines" "$n lines"
sleep 6
echo 10000 > $P/handshake_timeout_ms
dmesg | grep -q "callbacks suppressed" && klog "handshake_timeout_ms set to 10000" &&
	t_ok "after the interval: suppressed lines counted, logging resumes" ||
	t_fail "after the interval: suppressed lines counted, logging resumes" "$(dmesg | tail -n 3)"

# A namespace that goes away with a binding: one line for all of them.
fresh
unshare -n sh -c "ip link set lo up && stat -L -c %i /proc/self/ns/net > '$dir/ns' &&
	'$KHTTPSCTL' binding add 127.0.0.1:9443 cert '$dir/cert.pem' key '$dir/key.pem' backend 127.0.0.1:8080 &&
	'$KHTTPSCTL' binding add 127.0.0.2:9443 cert '$dir/cert.pem' key '$dir/key.pem' backend 127.0.0.1:8080" \
	> /dev/null 2>&1
if t_wait 30 klog "netns $(cat "$dir/ns") going away: 2 bindings deleted"; then
	t_ok "netns exit: its bindings' deletion logged once"
else
	t_fail "netns exit: its bindings' deletion logged once" "$(dmesg | tail -n 4)"
fi
klog "binding 127.0.0.1:9443 -> 127.0.0.1:8080 added in netns $(cat "$dir/ns")" &&
	t_ok "the other namespace's bindings carry its inode" ||
	t_fail "the other namespace's bindings carry its inode" "$(dmesg | tail -n 4)"
t_done
