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

# Module load and unload free some objects through kfree_rcu: per-cycle
# kmalloc-96 counts of this module and of a stock one (dummy) both
# saw-tooth by up to ~+20 and net to zero, so snapshots wait for the
# drain (t_slab_snapshot).
loaded() { [ -d /sys/module/khttps ]; }

loaded && rmmod khttps
# Warm up: first loads allocate caches and sysfs structures for good.
for _ in 1 2 3; do insmod "$KO" && rmmod khttps; done
before=$(mktemp); after=$(mktemp); again=$(mktemp)
trap 'rm -f "$before" "$after" "$again"; loaded || insmod "$KO"' EXIT
cycles() {
	local i
	for i in $(seq "$CYCLES"); do
		if ! insmod "$KO" || ! loaded || ! rmmod khttps || loaded; then
			fails=$((fails + 1))
			t_log "cycle failed"
		fi
	done
}
# Caches that grew by >= CYCLES objects from snapshot $1 to $2.
grown() {
	join "$1" "$2" | awk -v n="$CYCLES" '$3 - $2 >= n { print $1 }'
}
fails=0
t_slab_snapshot > "$before"
cycles
t_slab_snapshot > "$after"

# A leak of even one object per cycle shows as growth of >= CYCLES.  Other
# processes of the guest move shared caches too (maple_node grew by 23 once,
# a process's address space ending late), so a cache that grew is put to a
# second batch of cycles: a leak grows again, by as much; noise does not.
suspects=$(echo $(grown "$before" "$after"))
if [ -n "$suspects" ]; then
	t_log "grew in the first $CYCLES cycles: $suspects; $CYCLES more"
	cycles
	t_slab_snapshot > "$again"
	still=
	for c in $(grown "$after" "$again"); do
		case " $suspects " in *" $c "*) still="$still $c" ;; esac
	done
	suspects=$still
fi
[ "$fails" -eq 0 ] && t_ok "$CYCLES load/unload cycles" || t_fail "$CYCLES load/unload cycles" "$fails failed"
if [ -z "$suspects" ]; then
	t_ok "no slab cache grew by one object per cycle"
else
	for c in $suspects; do
		echo "#   $c: $(awk -v c="$c" '$1 == c { print $2 }' "$before") -> $(awk -v c="$c" '$1 == c { print $2 }' "$after") -> $(awk -v c="$c" '$1 == c { print $2 }' "$again")"
	done
	t_fail "no slab cache grew by one object per cycle" "twice in a row"
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
