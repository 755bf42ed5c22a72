# SPDX-License-Identifier: GPL-2.0
# TAP 13 helpers for shell tests: source this, then call t_* and end with t_done.
#   t_ok NAME / t_fail NAME WHY / t_skip NAME WHY
#   t_check NAME CMD...      ok when CMD exits 0 (its output is shown on failure)
#   t_log MSG                a diagnostic line ("step: ..." lines timed)
#   t_wait SEC CMD...        retry CMD every 0.1 s until it succeeds, at most SEC×T_SLOW s
#   T_SLOW                   how much slower this kernel is (KHTTPS_SLOW, 10 on debug
#                            kernels): a time bound a test asserts is multiplied by it
#   t_listening ADDR:PORT    true when a TCP socket listens there (ss -ltn)
#   t_slab_exact CACHE       no KFENCE sampling for CACHE, so slabinfo counts all of it
#   t_slab_shrink [PREFIX]   on KASAN, shrink slab caches (empties the quarantine) before counting
#   t_slab_objs CACHE        the active objects of CACHE (0 when there is no such cache)
#   t_slab_snapshot          "CACHE ACTIVE" lines, sorted, once RCU frees and unused dentries went
#   t_tcpext NAME            this namespace's TcpExt counter NAME (/proc/net/netstat)
#   t_scratch NAME           $dir and $pids, cleaned up at exit (then t_cleanup, if defined)
#   t_daemon [OPTION...]     khttpsd -f -w 2 --trust $dir OPTION..., logging to $dir/khttpsd.log; pid in $dpid
#   t_daemon_kill            SIGKILL $dpid and its workers at once (nothing restarts them)
#   t_backend                backend.py on 127.0.0.1:8080, files from $dir/root
#   t_cert [DIR]             a self-signed localhost certificate, DIR/cert.pem and key.pem
#   t_forward_binding ADDR   a forward binding on ADDR with it, to t_backend
#   t_site ADDR              t_cert, t_backend and t_forward_binding ADDR (checked)
#   stat_of NAME             the namespace's khttps counter NAME
# Tests print their plan at the end (TAP allows it), so counts need no upkeep.
T_N=0
T_FAILED=0
T_SRC=${KHTTPS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
T_BUILD=$T_SRC/build
KHTTPSCTL=$T_BUILD/khttpsctl
KHTTPSD=$T_BUILD/khttpsd
T_SLOW=${KHTTPS_SLOW:-1}
echo "TAP version 13"

# A "step:" line carries the seconds since the test began: where time goes.
t_log() {
	case $* in
	step:*) echo "# [${SECONDS}s] $*" ;;
	*) echo "# $*" ;;
	esac
}
t_ok() { T_N=$((T_N + 1)); echo "ok $T_N $1"; }
t_fail() {
	T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1))
	[ $# -gt 1 ] && echo "# $1: $2"
	echo "not ok $T_N $1"
}
t_skip() { T_N=$((T_N + 1)); echo "ok $T_N $1 # SKIP $2"; }
t_check() {
	local name=$1 out; shift
	if out=$("$@" 2>&1); then
		t_ok "$name"
	else
		printf '%s\n' "$out" | sed 's/^/#   /' | tail -n 20
		t_fail "$name" "command failed: $*"
	fi
}
t_wait() {
	local end=$(( $(date +%s%N) + $1 * T_SLOW * 1000000000 )); shift
	until "$@"; do
		[ "$(date +%s%N)" -ge "$end" ] && return 1
		sleep 0.1
	done
}
# A scratch directory ($dir) and background processes (add to $pids) that
# go when the test ends; a test may define t_cleanup for more.
t_scratch() {
	dir=$(mktemp -d "/tmp/khttps-$1.XXXXXX")
	pids=()
	trap t__cleanup EXIT
}
t__cleanup() {
	local p start=$SECONDS
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	if declare -F t_cleanup > /dev/null; then t_cleanup; fi
	if [ -n "${T_NS:-}" ]; then ip netns del "$T_NS" 2>/dev/null; ip link del veth-c 2>/dev/null; fi
	rm -rf "$dir"
	# Time lost here is easy to miss: say so.
	[ $((SECONDS - start)) -lt 3 ] || echo "# cleanup took $((SECONDS - start))s"
}
# t_veth_ns NAME CLIENT SERVER: a network namespace NAME ($T_NS) with a veth
# pair to this one, veth-c CLIENT/24 here and veth-s SERVER/24 there, its
# loopback up; inx runs a command in it; both go when the test ends.
# Return: 1 when the namespace or the pair cannot be made.
t_veth_ns() {
	T_NS=$1
	{ ip netns add "$T_NS" && ip link add veth-c type veth peer name veth-s netns "$T_NS"; } ||
		return 1
	ip addr add "$2/24" dev veth-c && ip link set veth-c up
	inx ip link set lo up && inx ip addr add "$3/24" dev veth-s && inx ip link set veth-s up
	return 0
}
inx() { ip netns exec "$T_NS" "$@"; }
# A self-signed P-256 certificate for localhost: DIR/cert.pem and DIR/key.pem
# (mode 0600, or khttpsd refuses it); DIR is $dir unless given.
t_cert() {
	local d=${1:-$dir}
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
		-keyout "$d/key.pem" -out "$d/cert.pem" > /dev/null 2>&1
	chmod 600 "$d/key.pem"
}
# khttpsctl binding add ADDR:PORT with t_cert's certificate, forwarding to t_backend.
t_forward_binding() {
	"$KHTTPSCTL" binding add "$1" cert "$dir/cert.pem" key "$dir/key.pem" backend 127.0.0.1:8080
}
# The usual start: t_cert, t_backend, and a forward binding on ADDR:PORT (a case).
t_site() {
	t_cert
	t_backend
	t_check "forward binding" t_forward_binding "$1"
}
# khttpsd in the foreground, 2 workers, trusting $dir, with the options
# given, logging to $dir/khttpsd.log; its pid in $dpid.  t_daemon_kill
# SIGKILLs it and its workers at once, so nothing restarts them.
t_daemon() {
	"$KHTTPSD" -f -w 2 --trust "$dir" "$@" >> "$dir/khttpsd.log" 2>&1 &
	dpid=$!
}
t_daemon_kill() {
	kill -9 "$dpid" $(pgrep -P "$dpid") 2>/dev/null
	wait "$dpid" 2>/dev/null
	dpid=
}
# A counter of this namespace's khttps statistics (khttpsctl --json stats).
stat_of() { "$KHTTPSCTL" --json stats | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
# backend.py (plain HTTP) on 127.0.0.1:8080 serving $dir/root, until the test ends.
t_backend() {
	mkdir -p "$dir/root"
	python3 "$T_SRC/tests/guest/backend.py" 8080 "$dir/root" > "$dir/backend.log" 2>&1 &
	pids+=($!)
	t_wait 30 t_listening 127.0.0.1:8080 || t_log "backend not listening"
}
# True on a KASAN kernel: freed objects wait in its quarantine and still
# count as active until their cache is shrunk.
t_kasan() {
	[ -n "${T_KASAN:-}" ] || T_KASAN=$(grep -qw kasan_quarantine_put /proc/kallsyms && echo y || echo n)
	[ "$T_KASAN" = y ]
}
# On a KASAN kernel, shrink the slab caches whose name starts with PREFIX
# (all without one) before counting their objects.
t_slab_shrink() {
	local f
	t_kasan || return 0
	for f in /sys/kernel/slab/"${1:-}"*/shrink; do
		[ -w "$f" ] && echo 1 > "$f" 2>/dev/null
	done
	return 0
}
# Count a slab cache exactly from now on: objects KFENCE samples (the guest
# boots with it on) come from its own pool and are missing from slabinfo.
t_slab_exact() { echo 1 > "/sys/kernel/slab/$1/skip_kfence" 2>/dev/null || :; }
t_slab_objs() { awk -v c="$1" '$1 == c { print $2; f = 1 } END { if (!f) print 0 }' /proc/slabinfo; }
# Objects some frees hand to kfree_rcu, whose batches drain every 5 s; the
# dentries and inodes of files and /proc go with drop_caches.
t_slab_snapshot() {
	sleep 6; echo 2 > /proc/sys/vm/drop_caches; sleep 1
	t_slab_shrink
	awk 'NR > 2 { print $1, $2 }' /proc/slabinfo | sort
}
t_tcpext() {
	awk -v k="$1" '$1 == "TcpExt:" { if (!h) { split($0, n); h = 1 } else
		for (i = 2; i <= NF; i++) if (n[i] == k) print $i }' /proc/net/netstat
}
# A counter of this namespace's kTLS (/proc/net/tls_stat), e.g. TlsTxSw.
t_tls_stat() { awk -v k="$1" '$1 == k { print $2 }' /proc/net/tls_stat; }
# t_post_padded SEC FILE...: post FILEs to 127.0.0.1:8443 over TLS 1.3 with
# every record padded to 4 KiB (openssl s_client through clidrive.py, SEC at
# most).  Sets $pad_got (clidrive's words: each body's SHA-256, "exit N") and
# $pad_viol (records kTLS decrypted a second time meanwhile); stderr in
# $dir/pad.err.
t_post_padded() {
	local sec=$1 v0
	shift
	v0=$(t_tls_stat TlsRxNoPadViolation)
	pad_got=$(timeout "$sec" python3 "$T_SRC/tests/guest/clidrive.py" post "$@" -- \
		openssl s_client -quiet -connect 127.0.0.1:8443 -tls1_3 -record_padding 4096 \
		2> "$dir/pad.err")
	pad_got=$(echo $pad_got)
	pad_viol=$(( $(t_tls_stat TlsRxNoPadViolation) - v0 ))
}
t_listening() { ss -Hltn "sport = :${1##*:}" | grep -qF " ${1} "; }
t_done() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}
