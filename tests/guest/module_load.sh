#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Load and unload khttps.ko 20 times: each cycle works, no slab cache grows
# (slub_debug is on in the guest, so SLUB keeps no per-CPU slabs and active
# object counts are exact), and no kernel report (the runner checks the log).
# Load-time parameters are range-checked too.  Leaves the module loaded.
set -u
. "$(dirname "$0")/../lib.sh"
KO=$T_SRC/khttps.ko
CYCLES=20

# Module load and unload free some objects through kfree_rcu, which drains
# its batches every 5 s: per-cycle kmalloc-96 counts of this module and of a
# stock one (dummy) both saw-tooth by up to ~+20 and net to zero.  Let the
# drain and its grace period pass (shrinkers drain it too) before a snapshot.
slab_snapshot() {
	sleep 6; echo 2 > /proc/sys/vm/drop_caches; sleep 1
	t_slab_shrink
	awk 'NR > 2 { print $1, $2 }' /proc/slabinfo | sort
}
loaded() { [ -d /sys/module/khttps ]; }

loaded && rmmod khttps
# Warm up: first loads allocate caches and sysfs structures for good.
for _ in 1 2 3; do insmod "$KO" && rmmod khttps; done
before=$(mktemp); after=$(mktemp)
trap 'rm -f "$before" "$after"; loaded || insmod "$KO"' EXIT
slab_snapshot > "$before"
fails=0
for i in $(seq "$CYCLES"); do
	if ! insmod "$KO" || ! loaded || ! rmmod khttps || loaded; then
		fails=$((fails + 1))
		t_log "cycle $i failed"
	fi
done
slab_snapshot > "$after"
[ "$fails" -eq 0 ] && t_ok "$CYCLES load/unload cycles" || t_fail "$CYCLES load/unload cycles" "$fails failed"

# A leak of even one object per cycle shows as growth of >= CYCLES.
grown=$(join "$before" "$after" | awk -v n="$CYCLES" '$3 - $2 >= n { print $1 ": " $2 " -> " $3 }')
if [ -z "$grown" ]; then
	t_ok "no slab cache grew by one object per cycle"
else
	printf '%s\n' "$grown" | sed 's/^/#   /'
	t_fail "no slab cache grew by one object per cycle"
fi

# The kernel names the parameter it refused (EINVAL from our set handler).
for bad in handshake_timeout_ms=5 max_connections=0 default_queue_len=70000 max_pending_handshakes=abc; do
	dmesg -C
	if insmod "$KO" "$bad" > /dev/null 2>&1 || loaded; then
		loaded && rmmod khttps
		t_fail "insmod $bad refused" "it loaded"
	elif dmesg | grep -q "khttps: \`${bad#*=}' invalid for parameter \`${bad%=*}'"; then
		t_ok "insmod $bad refused, parameter named"
	else
		t_fail "insmod $bad refused, parameter named" "$(dmesg | tail -n 3)"
	fi
done
if insmod "$KO" handshake_timeout_ms=20000 && [ "$(cat /sys/module/khttps/parameters/handshake_timeout_ms)" = 20000 ]; then
	t_ok "insmod handshake_timeout_ms=20000 takes effect"
else
	t_fail "insmod handshake_timeout_ms=20000 takes effect"
fi
loaded && rmmod khttps
insmod "$KO" && t_ok "reload with defaults" || t_fail "reload with defaults"
t_done
