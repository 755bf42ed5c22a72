#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark, inside the guest (bench/run boots it with khttps.ko loaded):
#
#   bench/guest.sh OUTDIR
#
# One nginx serves plain HTTP on 127.0.0.1:8080: the backend every TLS
# front end relays to, and the ceiling (plain).  The contenders:
#
#   fwd      khttps forward binding -> 8080            8443 (ECDSA), 8453 (RSA)
#   queue    khttps queue bindings -> khttps-serve     8444 (ECDSA), 8454 (RSA)
#   nginx    nginx terminating TLS, serving the files  8445, 8455
#   haproxy  HAProxy, TLS -> TCP to 8080               8446, 8456
#   stunnel  stunnel4, TLS -> TCP to 8080              8447, 8457
#   gnutls   gnutls-serv --http with kTLS on (GnuTLS's system config
#            "ktls = true"): a user-space handshake, kernel records; it
#            answers every request with one file, so 64 MiB only     8448
#
# Every contender gets the same clients (wrk, curl, openssl s_time), the
# same files and the same two vCPUs; the repetitions interleave the
# contenders, so drift spreads over all.  Each measurement is one JSON line
# from bench/cell.py in OUTDIR/raw.jsonl (for khttps's cells with the
# counters of "khttpsctl stats" that moved); report.py makes the table.
# BENCH_REPS (default 5) and BENCH_SECS (default 5) shorten a trial run;
# BENCH_ONLY, an extended regular expression, keeps only the cells whose
# "CONTENDER WORKLOAD" it matches (e.g. '(fwd|haproxy) small$'; the idle
# connection figures are "memory plain", "memory fwd" and "memory nginx").
# BENCH_PERF=1 also samples the whole guest with perf (cpu-clock, 999 Hz,
# call graphs) during each cell's first repetition and writes the report,
# by process, binary and symbol (bench/perfsum.py), to
# OUTDIR/perf/CONTENDER-WORKLOAD.txt; perf's own work is in those cells'
# figures, so a profiled run's table is not one to keep.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
out=$1
reps=${BENCH_REPS:-5}
secs=${BENCH_SECS:-5}
only=${BENCH_ONLY:-}
ctl=$src/build/khttpsctl
W=$(mktemp -d /tmp/khttps-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
	wait 2> /dev/null
	rm -rf "$W"
}
trap cleanup EXIT
say() { echo "bench: $*" >&2; }
listening() { ss -Hltn "sport = :$1" | grep -q .; }
mkdir -p "$out"
[ -z "${BENCH_PERF:-}" ] || command -v perf > /dev/null ||
	{ say "BENCH_PERF is set but there is no perf (Debian: linux-perf)"; exit 1; }
raw=$out/raw.jsonl
: > "$raw"

say "certificates and files"
openssl req -x509 -nodes -days 2 -subj /CN=localhost -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-keyout "$W/ec.key" -out "$W/ec.crt" 2> /dev/null
openssl req -x509 -nodes -days 2 -subj /CN=localhost -newkey rsa:2048 \
	-keyout "$W/rsa.key" -out "$W/rsa.crt" 2> /dev/null
chmod 600 "$W"/*.key
cat "$W/ec.crt" "$W/ec.key" > "$W/ec.pem"
cat "$W/rsa.crt" "$W/rsa.key" > "$W/rsa.pem"
mkdir -p "$W/www" "$W/tmp"
head -c 100 /dev/urandom | base64 -w 0 | head -c 100 > "$W/www/small"
head -c $((1 << 20)) /dev/urandom > "$W/www/1m"
head -c $((64 << 20)) /dev/urandom > "$W/www/64m"

# The guest boots without udev: load the CPU's cipher drivers as a server's
# udev would, or the kernel runs aes-generic while user space uses AES-NI.
grep -qw aes /proc/cpuinfo && modprobe -q aesni_intel
grep -qw pclmulqdq /proc/cpuinfo && modprobe -q ghash_clmulni_intel
grep -qw avx2 /proc/cpuinfo && modprobe -q chacha_x86_64 && modprobe -q poly1305_x86_64

# Many connections at once: room in every table on the way.
ulimit -n 65536
sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096 \
	net.ipv4.ip_local_port_range="10000 65000" net.ipv4.tcp_tw_reuse=1
echo 60000 > /sys/module/khttps/parameters/handshake_timeout_ms

say "servers"
# One cipher suite for every contender, so that the ratios compare the
# same cipher: khttpsd prefers AES-128-GCM, while OpenSSL's clients (wrk,
# curl, s_time) offer AES-256-GCM first and nginx, HAProxy and stunnel
# would take that.  AES-256 runs 14 rounds to AES-128's 10.  Each
# contender's choice is checked below and written to meta.txt.
suite=TLS_AES_128_GCM_SHA256
cat > "$W/nginx.conf" <<EOF
user root;
worker_processes 2;
daemon off;
pid $W/nginx.pid;
error_log $W/nginx.err;
events { worker_connections 8192; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000000;
	keepalive_timeout 300s;
	client_body_temp_path $W/tmp; proxy_temp_path $W/tmp; fastcgi_temp_path $W/tmp;
	uwsgi_temp_path $W/tmp; scgi_temp_path $W/tmp;
	ssl_protocols TLSv1.2 TLSv1.3;
	ssl_conf_command Ciphersuites $suite;
	ssl_session_cache shared:bench:10m;
	ssl_session_tickets on;
	server { listen 127.0.0.1:8080 backlog=4096; root $W/www; }
	server { listen 127.0.0.1:8445 ssl backlog=4096; root $W/www;
		 ssl_certificate $W/ec.crt; ssl_certificate_key $W/ec.key; }
	server { listen 127.0.0.1:8455 ssl backlog=4096; root $W/www;
		 ssl_certificate $W/rsa.crt; ssl_certificate_key $W/rsa.key; }
}
EOF
nginx -c "$W/nginx.conf" &
pids+=($!)
cat > "$W/haproxy.cfg" <<EOF
global
	maxconn 20000
	nbthread 2
	ssl-default-bind-options ssl-min-ver TLSv1.2
	ssl-default-bind-ciphersuites $suite
defaults
	mode tcp
	timeout connect 10s
	timeout client 300s
	timeout server 300s
frontend tls
	bind 127.0.0.1:8446 ssl crt $W/ec.pem
	bind 127.0.0.1:8456 ssl crt $W/rsa.pem
	default_backend plain
backend plain
	server nginx 127.0.0.1:8080
EOF
haproxy -db -f "$W/haproxy.cfg" > "$W/haproxy.log" 2>&1 &
pids+=($!)
cat > "$W/stunnel.conf" <<EOF
foreground = yes
pid =
sslVersionMin = TLSv1.2
ciphersuites = $suite
[ec]
accept = 127.0.0.1:8447
connect = 127.0.0.1:8080
cert = $W/ec.crt
key = $W/ec.key
[rsa]
accept = 127.0.0.1:8457
connect = 127.0.0.1:8080
cert = $W/rsa.crt
key = $W/rsa.key
EOF
stunnel "$W/stunnel.conf" > "$W/stunnel.log" 2>&1 &
pids+=($!)
"$src/build/khttpsd" -f -w 2 --trust "$W" --ticket-keys "$W/keys/ticket-keys" > "$W/khttpsd.log" 2>&1 &
pids+=($!)
# khttps's defaults, close_notify policy on: like nginx it sends close_notify
# when the server closes, and an OpenSSL client (s_time) keeps a session
# only after one (without it, the client drops the session as truncated).
for b in "8443 ec" "8453 rsa"; do
	set -- $b
	"$ctl" binding add 127.0.0.1:$1 cert "$W/$2.crt" key "$W/$2.key" \
		backend 127.0.0.1:8080 > /dev/null
done
for b in "8444 ec" "8454 rsa"; do
	set -- $b
	"$ctl" binding add 127.0.0.1:$1 cert "$W/$2.crt" key "$W/$2.key" queue bench > /dev/null
done
"$src/build/khttps-serve" -q bench -r "$W/www" > "$W/serve.log" 2>&1 &
pids+=($!)
printf '[global]\nktls = true\n' > "$W/gnutls.conf"
GNUTLS_SYSTEM_PRIORITY_FILE=$W/gnutls.conf gnutls-serv --http --httpdata="$W/www/64m" -p 8448 \
	--priority NORMAL:-CIPHER-ALL:+AES-128-GCM \
	--x509certfile "$W/ec.crt" --x509keyfile "$W/ec.key" > "$W/gnutls.log" 2>&1 &
pids+=($!)
for port in 8080 8443 8444 8445 8446 8447 8448 8453 8454 8455 8456 8457; do
	for i in $(seq 300); do listening $port && break; sleep 0.1; done
	listening $port || { say "nothing listens on $port"; exit 1; }
done
khttpsd_pids=$(pgrep -d, -f "$src/build/khttpsd")
# The backend's processes (the same nginx also serves the nginx contender:
# report.py uses their CPU only for the contenders that relay to it).
nginx_pids=$(pgrep -d, -x nginx)

say "facts of this run"
{
	echo "kernel $(uname -r)"
	echo "cmdline $(cat /proc/cmdline)"
	echo "cpus $(nproc)"
	echo "cpu $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "reps $reps"
	echo "secs $secs"
	echo "nginx $(nginx -v 2>&1 | sed 's/.*\///')"
	echo "haproxy $(haproxy -v | awk 'NR == 1 { print $3 }')"
	echo "stunnel $(stunnel -version 2>&1 | awk '/^stunnel/ { print $2; exit }')"
	echo "openssl $(openssl version | awk '{ print $2 }')"
	echo "wrk $(wrk --version 2>&1 | awk 'NR == 1 { print $2 }')"
	echo "gnutls $(gnutls-cli --version 2>&1 | awk 'NR == 1 { print $NF }')"
} > "$out/meta.txt"

say "raw gcm(aes) in this kernel (tcrypt mode 211, 1 s per size)"
dmesg -C
modprobe tcrypt mode=211 sec=1 2> /dev/null	# tcrypt never stays loaded
dmesg > "$out/tcrypt.txt"
echo "gcm $(awk '/^name *: gcm\(aes\)/ { getline; sub(/^driver *: /, ""); print; exit }' /proc/crypto)" \
	>> "$out/meta.txt"

url() {	# CONTENDER KIND PATH: the URL of PATH at CONTENDER's port for KIND (ec or rsa)
	local base
	case $1-$2 in
	plain-*) echo "http://127.0.0.1:8080$3"; return ;;
	fwd-ec) base=8443 ;; fwd-rsa) base=8453 ;; queue-ec) base=8444 ;; queue-rsa) base=8454 ;;
	nginx-ec) base=8445 ;; nginx-rsa) base=8455 ;;
	haproxy-ec) base=8446 ;; haproxy-rsa) base=8456 ;;
	stunnel-ec) base=8447 ;; stunnel-rsa) base=8457 ;;
	gnutls-*) base=8448 ;;
	esac
	echo "https://127.0.0.1:$base$3"
}
hostport() { local u=${1#*://}; echo "${u%%/*}"; }
# The suite each contender negotiates with an OpenSSL client, as the cells' clients do.
for c in fwd queue nginx haproxy stunnel gnutls; do
	for k in ec rsa; do
		[ $c-$k != gnutls-rsa ] || continue
		got=$(timeout 60 openssl s_client -connect "$(hostport "$(url $c $k /)")" -brief < /dev/null 2>&1 |
			awk -F': *' '/^Ciphersuite/ { print $2; exit }')
		echo "suite $c-$k ${got:-none}" >> "$out/meta.txt"
	done
done

busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
second() { local a; a=$(busy); sleep 1; echo $(( $(busy) - a )); }
# The guest's busy ticks in an idle second (servers up, no clients): the
# lowest of five.  Under TCG on a loaded host this is not zero.
idle=$(for i in 1 2 3 4 5; do second; done | sort -n | head -n 1)
echo "idle_ticks $idle of $(getconf CLK_TCK)" >> "$out/meta.txt"
# Until a second is no busier than idle plus 10% of a CPU, at most 30 s: a
# server still working off the last cell's handshakes (1000 connections
# leave a queue behind) would be billed to the next cell.
settle() {
	local i
	for i in $(seq 30); do
		[ "$(second)" -le $((idle + $(getconf CLK_TCK) / 10)) ] && return
	done
	say "the guest did not settle in 30 s: $(ps -eo pcpu=,comm= --sort=-pcpu | head -n 3 | tr -s ' \n' ' ')"
}
cell() {	# CONTENDER WORKLOAD REP [cell.py options] -- COMMAND...
	local c=$1 w=$2 r=$3
	shift 3
	[[ "$c $w" =~ $only ]] || return 0
	settle
	say "rep $r: $c $w"
	local under=() stats=()
	[ -z "${BENCH_PERF:-}" ] || [ "$r" != 1 ] || under=(profile "$c-$w")
	# khttps's own counters over its cells: the handshakes each cost.
	case $c in fwd | queue) stats=(--stats "$ctl") ;; esac
	"${under[@]}" python3 "$src/bench/cell.py" --tag contender=$c --tag workload=$w --tag rep=$r \
		--watch "$khttpsd_pids" --backend "$nginx_pids" "${stats[@]}" "$@" >> "$raw"
}
profile() {	# NAME COMMAND...: run COMMAND under a whole-guest perf record
	local name=$1 data=$W/perf.data rec
	shift
	mkdir -p "$out/perf"
	rm -f "$W/perf.ctl" "$W/perf.ack"
	mkfifo "$W/perf.ctl" "$W/perf.ack"
	# Events off until perf has read every process's maps (seconds under
	# TCG, longer on busy CPUs); its ack says they are on.
	perf record -q -N -a -g -F 999 -e cpu-clock -D -1 \
		--control "fifo:$W/perf.ctl,$W/perf.ack" -o "$data" 2> "$out/perf/$name.err" &
	rec=$!
	echo enable > "$W/perf.ctl"
	timeout 120 head -n 1 "$W/perf.ack" > /dev/null || say "perf did not start for $name"
	"$@"
	kill -INT $rec
	wait $rec
	perf report -i "$data" --no-children --sort comm,dso,sym --stdio -g none 2>> "$out/perf/$name.err" |
		python3 "$src/bench/perfsum.py" > "$out/perf/$name.txt"
}

for r in $(seq "$reps"); do
	for c in plain fwd queue nginx haproxy stunnel; do
		cell $c small $r -- wrk -t2 -c16 -d${secs}s "$(url $c ec /small)"
		cell $c 1m $r -- wrk -t2 -c4 -d${secs}s "$(url $c ec /1m)"
		cell $c 64m $r -- curl -sSk -o /dev/null -w '%{size_download} %{time_total}\n' \
			"$(url $c ec /64m)"
		cell $c conc1000 $r -- wrk -t2 -c1000 -d$((secs * 6))s --timeout 60s "$(url $c ec /small)"
	done
	tls0=$(awk '$1 == "TlsTxSw" { print $2 }' /proc/net/tls_stat)
	cell gnutls 64m $r -- curl -sSk -o /dev/null -w '%{size_download} %{time_total}\n' \
		"$(url gnutls ec /64m)"
	echo "gnutls_ktls_tx $(( $(awk '$1 == "TlsTxSw" { print $2 }' /proc/net/tls_stat) - tls0 ))" \
		>> "$out/meta.txt"
	for c in fwd queue nginx haproxy stunnel; do
		for k in ec rsa; do
			cell $c full-$k $r -- openssl s_time -connect "$(hostport "$(url $c $k /)")" \
				-new -www /small -time $secs
		done
		cell $c resumed-ec $r -- openssl s_time -connect "$(hostport "$(url $c ec /)")" \
			-reuse -www /small -time $secs
	done
	# khttpsd while established connections move data: after the handshakes.
	for c in fwd queue; do
		cell $c steady $r --window 3 $secs -- wrk -t2 -c16 -d$((secs + 5))s "$(url $c ec /1m)"
	done
done
# Kernel memory per idle connection: Slab + KernelStack (/proc/meminfo)
# with N idle connections held, against none.  plain: client and nginx
# sockets; fwd: client and khttps sockets, the kTLS state and khttps's
# connection, and the relay's backend socket with nginx's (4 sockets).
slab_kb() { awk '/^Slab:/ { s = $2 } /^KernelStack:/ { k = $2 } END { print s + k }' /proc/meminfo; }
n=${BENCH_IDLE:-500}
for m in "plain 8080 plain" "fwd 8443 tls" "nginx 8445 tls"; do
	set -- $m
	[[ "memory $1" =~ $only ]] || continue
	say "memory: $n idle $1 connections"
	sync; echo 2 > /proc/sys/vm/drop_caches; sleep 1
	before=$(slab_kb)
	rm -f "$W/hold.in"; mkfifo "$W/hold.in"
	python3 "$src/bench/hold.py" $2 $n $3 < "$W/hold.in" > "$W/hold.out" 2>&1 &
	holder=$!
	exec 9> "$W/hold.in"
	for i in $(seq 1200); do grep -q '^held' "$W/hold.out" && break; sleep 0.5; done
	sleep 2
	after=$(slab_kb)
	grep -q '^held' "$W/hold.out" && echo "$1 $n $before $after" >> "$out/memory.txt" ||
		say "memory $1: $(tail -n 2 "$W/hold.out")"
	exec 9>&-
	wait $holder
	sleep 2
done
"$ctl" --json stats > "$out/khttps-stats.json"
say "done: $(wc -l < "$raw") measurements"
