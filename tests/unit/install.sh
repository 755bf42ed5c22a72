#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make install DESTDIR=... PREFIX=/usr installs what an admin needs, where
# Debian looks for it; make dkms-src gives DKMS a tree it builds the module
# from (dkms build into a private dkms tree, so the host's is untouched).
set -u
. "$(dirname "$0")/../lib.sh"
cd "$T_SRC"
t_scratch install
d=$dir/root

if make -s install DESTDIR="$d" PREFIX=/usr > "$dir/install.log" 2>&1; then
	t_ok "make install DESTDIR PREFIX=/usr"
else
	sed 's/^/#   /' "$dir/install.log" | tail -n 20
	t_fail "make install DESTDIR PREFIX=/usr"
fi
krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
	"/lib/modules/$(scripts/kver)/build/include/generated/utsrelease.h")
expect="etc/khttps/khttps.conf
etc/logrotate.d/khttps
lib/modules/$krel/updates/khttps.ko*
usr/bin/khttps-serve
usr/include/libkhttps.h
usr/include/linux/khttps.h
usr/lib/libkhttps.a
usr/lib/libkhttps.so
usr/lib/libkhttps.so.0
usr/lib/systemd/system/khttpsd.service
usr/sbin/khttpsctl
usr/sbin/khttpsd
usr/share/doc/khttps/khttps.conf.example
usr/share/man/man3/libkhttps.3
usr/share/man/man5/khttps.conf.5
usr/share/man/man8/khttpsctl.8
usr/share/man/man8/khttpsd.8"
missing=
while read -r f; do
	# shellcheck disable=SC2086
	ls "$d"/$f > /dev/null 2>&1 || missing="$missing $f"
done <<< "$expect"
[ -z "$missing" ] && t_ok "every expected file installed" || t_fail "every expected file installed" "missing:$missing"
extra=
while read -r f; do
	known=
	while read -r pat; do
		# shellcheck disable=SC2053
		[[ $f == $pat ]] && known=1
	done <<< "$expect"
	[ -n "$known" ] || extra="$extra $f"
done < <(cd "$d" && find . -type f -o -type l | sed 's|^\./||')
[ -z "$extra" ] && t_ok "nothing else installed" || t_fail "nothing else installed" "$extra"
[ "$(stat -c %a "$d/usr/sbin/khttpsd")" = 755 ] && [ "$(stat -c %a "$d/usr/include/libkhttps.h")" = 644 ] &&
	t_ok "modes: programs 755, data 644" || t_fail "modes: programs 755, data 644"
unit=$d/usr/lib/systemd/system/khttpsd.service
grep -qx 'ExecStart=/usr/sbin/khttpsd --foreground --error-log /var/log/khttps/error.log' "$unit" &&
	grep -qx 'ExecStartPre=/usr/sbin/khttpsctl apply /etc/khttps/khttps.conf' "$unit" &&
	grep -qx 'ExecStartPre=/sbin/modprobe khttps' "$unit" && ! grep -q @ "$unit" &&
	t_ok "the unit loads the module, applies the config, runs the daemon (paths filled in)" ||
	t_fail "the unit loads the module, applies the config, runs the daemon (paths filled in)" "$(grep Exec "$unit")"
if command -v systemd-analyze > /dev/null; then
	# Against this system's units, with our programs where DESTDIR has them.
	sed "s|/usr/sbin/|$d/usr/sbin/|g" "$unit" > "$dir/khttpsd.service"
	out=$(systemd-analyze verify --man=no "$dir/khttpsd.service" 2>&1)
	[ -z "$out" ] && t_ok "systemd-analyze verify: no complaint" || t_fail "systemd-analyze verify: no complaint" "$out"
else
	t_skip "systemd-analyze verify: no complaint" "systemd-analyze not installed"
fi
"$d/usr/sbin/khttpsctl" --help | grep -q '^  apply' && "$d/usr/sbin/khttpsd" --version > /dev/null &&
	"$d/usr/bin/khttps-serve" --help | grep -q -- '--queue QUEUE' &&
	t_ok "the installed programs run" || t_fail "the installed programs run"
"$d/usr/bin/khttps-serve" --no-such-option > /dev/null 2>&1
[ $? = 2 ] && t_ok "khttps-serve: an unknown option is a usage error (2)" ||
	t_fail "khttps-serve: an unknown option is a usage error (2)"
bad=
for m in "$d"/usr/share/man/man*/*; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" 2>&1 > /dev/null)
	[ -z "$w" ] || bad="$bad $(basename "$m"): $w"
done
[ -z "$bad" ] && t_ok "man pages render without warnings" || t_fail "man pages render without warnings" "$bad"
echo "binding x:1" > "$d/etc/khttps/khttps.conf"
make -s install-user DESTDIR="$d" PREFIX=/usr > /dev/null 2>&1
[ "$(cat "$d/etc/khttps/khttps.conf")" = "binding x:1" ] && t_ok "an existing khttps.conf is not overwritten" ||
	t_fail "an existing khttps.conf is not overwritten"
# The example parses (every stanza commented out: an empty set of bindings).
out=$("$d/usr/sbin/khttpsctl" apply -n "$d/usr/share/doc/khttps/khttps.conf.example" 2>&1)
[[ $out != *".example:"* ]] && t_ok "the example config has no error" || t_fail "the example config has no error" "$out"

t_log "DKMS"
if ! make -s dkms-src DESTDIR="$dir/dkms-root" > "$dir/dkms-src.log" 2>&1; then
	t_fail "make dkms-src" "$(cat "$dir/dkms-src.log")"
else
	t_ok "make dkms-src"
fi
ver=$(cat VERSION)
if ! command -v dkms > /dev/null; then
	t_skip "dkms builds the module" "dkms not installed"
else
	kdir=$(readlink -f "/lib/modules/$krel/build")
	mkdir -p "$dir/dkms-tree"
	dkms build -m khttps -v "$ver" -k "$krel" --dkmstree "$dir/dkms-tree" \
		--sourcetree "$dir/dkms-root/usr/src" --kernelsourcedir "$kdir" \
		> "$dir/dkms.log" 2>&1
	ko=$(ls "$dir/dkms-tree/khttps/$ver/$krel"/*/module/khttps.ko* 2>/dev/null | head -n 1)
	if [ -n "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$krel "; then
		t_ok "dkms builds the module for $krel"
	else
		sed 's/^/#   /' "$dir/dkms.log" | tail -n 30
		t_fail "dkms builds the module for $krel"
	fi
fi
t_done
