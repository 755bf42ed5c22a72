#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Module parameters: visible with their defaults, out-of-range or malformed
# writes refused with EINVAL and the value unchanged, valid writes effective.
set -u
. "$(dirname "$0")/../lib.sh"
P=/sys/module/khttps/parameters

# name default min max
params="handshake_timeout_ms 10000 100 600000
max_pending_handshakes 1024 1 1048576
max_connections 65536 1 4194304
default_queue_len 128 1 65535
close_notify 1 0 1
max_sessions 65536 0 4194304
idle_timeout_ms 120000 0 86400000
max_conns_per_source 0 0 4194304
rx_expect_no_pad 1 0 1
ready_retry_ms 50 1 10000"

while read -r name def min max; do
	f=$P/$name
	if [ ! -f "$f" ]; then
		t_fail "$name visible" "no $f"
		continue
	fi
	v=$(cat "$f")
	[ "$v" = "$def" ] && t_ok "$name defaults to $def" || t_fail "$name defaults to $def" "reads $v"
	[ "$(stat -c %a "$f")" = 644 ] && t_ok "$name is root-writable, world-readable" ||
		t_fail "$name mode 644" "mode $(stat -c %a "$f")"
	for bad in $((min - 1)) $((max + 1)) abc -5 "" 99999999999999999999 "1 2"; do
		[ "$bad" = -1 ] && continue	# min - 1 for min 0 would be covered by -5
		# echo, as an admin would: even '' becomes a write of "\n".
		err=$( { echo "$bad" > "$f"; } 2>&1 )
		now=$(cat "$f")
		if [ -n "$err" ] && [ "$now" = "$def" ] && [[ $err == *"Invalid argument"* ]]; then
			t_ok "$name refuses '$bad' with EINVAL"
		else
			t_fail "$name refuses '$bad' with EINVAL" "write said '${err:-nothing}', value now $now"
		fi
	done
	for good in $min $max; do
		if echo "$good" > "$f" 2>/dev/null && [ "$(cat "$f")" = "$good" ]; then
			t_ok "$name accepts $good"
		else
			t_fail "$name accepts $good" "value now $(cat "$f")"
		fi
	done
	echo "$def" > "$f"
done <<< "$params"

t_log "step: rx_expect_no_pad decides how kTLS reads TLS 1.3 records"
# On (serve.inc covers it), a padded record is decrypted a second time and
# counted; off, kTLS copies every record and never meets the case.
if [ -z "$(t_tls_stat TlsRxNoPadViolation)" ]; then
	t_skip "rx_expect_no_pad 0" "this kernel's kTLS has no TLS_RX_EXPECT_NO_PAD"
else
	t_scratch params
	t_site 127.0.0.1:8443
	t_daemon
	pids+=("$dpid")
	t_cleanup() { echo 1 > $P/rx_expect_no_pad; "$KHTTPSCTL" binding del 127.0.0.1:8443 > /dev/null 2>&1; }
	head -c 100000 /dev/urandom > "$dir/body"
	want="$(sha256sum < "$dir/body" | cut -d' ' -f1) exit 0"
	for v in 0 1; do
		echo $v > $P/rx_expect_no_pad
		t_post_padded 300 "$dir/body"
		[ "$pad_viol" -gt 0 ] && on=1 || on=0
		[ "$pad_got" = "$want" ] && [ $on = $v ] &&
			t_ok "rx_expect_no_pad $v: a padded upload arrives intact ($pad_viol records decrypted again)" ||
			t_fail "rx_expect_no_pad $v: a padded upload arrives intact, decrypted again only when 1" \
				"got: $pad_got; $pad_viol decrypted again; $(tail -n 3 "$dir/pad.err" | tr '\n' ' ')"
	done
fi
t_done
