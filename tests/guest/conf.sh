#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# khttps.conf: khttpsctl apply makes the kernel's bindings those of a file
# (adding, changing, replacing, deleting; unchanged bindings and every
# established connection untouched), save prints them back exactly, a file
# with an error changes nothing and names its line, and a step the kernel
# refuses undoes the steps before it.
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch conf
t_cleanup() {
	printf '' > "$dir/empty.conf"
	"$KHTTPSCTL" apply "$dir/empty.conf" > /dev/null 2>&1
	echo 120000 > /sys/module/khttps/parameters/idle_timeout_ms
}
# Connections held across the steps stay idle longer than TCG makes sure of.
echo 0 > /sys/module/khttps/parameters/idle_timeout_ms
saved() { "$KHTTPSCTL" save 2>&1; }
# The guest has no /dev/fd, so no <(...): the current state to a file first.
same() { saved > "$dir/now.conf"; cmp -s "$1" "$dir/now.conf"; }
changes() { diff "$1" "$dir/now.conf"; }
certfp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
fp() {
	echo | timeout 30 openssl s_client -connect "$1" -servername "$2" 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2
}
accepted() {
	"$KHTTPSCTL" --json binding show | python3 -c "import json,sys
print([b for b in json.load(sys.stdin) if b['bind'] == '$1'][0]['stats']['accepted'])"
}

t_log "step: certificates, backend, daemon"
for c in a b; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$c" \
		-addext "subjectAltName=DNS:$c.example.test" -keyout "$dir/$c.key" -out "$dir/$c.crt" \
		> /dev/null 2>&1
done
chmod 600 "$dir"/*.key
mkdir -p "$dir/store" "$dir/conf"
cp "$dir/a.crt" "$dir/store/s.example.test.crt"; cp "$dir/a.key" "$dir/store/s.example.test.key"
t_backend
t_daemon
pids+=("$dpid")
t_wait 30 "$KHTTPSCTL" stats --json > /dev/null

t_log "step: apply a file written by hand"
# Comments, one-line and multi-line stanzas, quoted values, a path relative
# to the file's directory, a host name in capitals, a user by name.
cat > "$dir/conf/one.conf" <<EOF
# the sites of this test
binding 127.0.0.1:8443 cert $dir/a.crt key $dir/a.key backend 127.0.0.1:8080

binding A.Example.Test:8444     # SNI
	cert ../a.crt  key ../a.key
	backend 127.0.0.1:8080
	alpn "h2,http/1.1"   tls 1.3
binding b.example.test:8444
	cert "$dir/b.crt"
	key $dir/b.key
	backend 127.0.0.1:8080
	closenotify off
	resume off
	maxconns 100
binding ccs:8445 store $dir/store backend 127.0.0.1:8080
binding 127.0.0.1:8446 cert $dir/a.crt key $dir/a.key queue confq user nobody
binding 127.0.0.1:8448 cert $dir/a.crt key $dir/a.key backend 127.0.0.1:8080
	tls 1.2 tls13 on resume on closenotify default   # the defaults, said out loud
EOF
out=$("$KHTTPSCTL" apply "$dir/conf/one.conf" 2>&1)
[[ $out == *"6 added, 0 changed, 0 replaced, 0 deleted, 0 unchanged"* ]] &&
	t_ok "apply: 6 bindings added" || t_fail "apply: 6 bindings added" "$out"
nobody=$(id -un nobody 2>/dev/null || echo 65534)
cat > "$dir/expect1.conf" <<EOF
# khttps bindings (khttps.conf(5)); khttpsctl apply reads this back

binding 127.0.0.1:8443
	cert $dir/a.crt
	key $dir/a.key
	backend 127.0.0.1:8080

binding 127.0.0.1:8446
	cert $dir/a.crt
	key $dir/a.key
	queue confq
	user $nobody

binding 127.0.0.1:8448
	cert $dir/a.crt
	key $dir/a.key
	backend 127.0.0.1:8080

binding a.example.test:8444
	cert $dir/a.crt
	key $dir/a.key
	backend 127.0.0.1:8080
	tls 1.3
	alpn h2,http/1.1

binding b.example.test:8444
	cert $dir/b.crt
	key $dir/b.key
	backend 127.0.0.1:8080
	resume off
	closenotify off
	maxconns 100

binding ccs:8445
	store $dir/store
	backend 127.0.0.1:8080
EOF
saved > "$dir/save1.conf"
diff -u "$dir/expect1.conf" "$dir/save1.conf" > "$dir/diff1" &&
	t_ok "save prints every binding in the file's words, canonical" ||
	t_fail "save prints every binding in the file's words, canonical" "$(cat "$dir/diff1")"
out=$("$KHTTPSCTL" apply "$dir/save1.conf" 2>&1)
[[ $out == *"0 added, 0 changed, 0 replaced, 0 deleted, 6 unchanged"* ]] &&
	t_ok "applying the saved file changes nothing" || t_fail "applying the saved file changes nothing" "$out"
saved > "$dir/save1b.conf"
cmp -s "$dir/save1.conf" "$dir/save1b.conf" && t_ok "apply then save round-trips exactly" ||
	t_fail "apply then save round-trips exactly" "$(diff "$dir/save1.conf" "$dir/save1b.conf")"
[ "$(fp 127.0.0.1:8444 a.example.test)" = "$(certfp "$dir/a.crt")" ] &&
	[ "$(fp 127.0.0.1:8444 b.example.test)" = "$(certfp "$dir/b.crt")" ] &&
	[ "$(fp 127.0.0.1:8445 s.example.test)" = "$(certfp "$dir/a.crt")" ] &&
	t_ok "the applied bindings serve their certificates (SNI, ccs)" ||
	t_fail "the applied bindings serve their certificates (SNI, ccs)"
out=$(curl -sS --max-time 60 -k https://127.0.0.1:8443/hello 2>&1)
[ "$out" = "hello from the backend" ] && t_ok "an applied binding forwards to its backend" ||
	t_fail "an applied binding forwards to its backend" "$out"

t_log "step: a second file changes, replaces, deletes and adds while connections run"
python3 "$T_SRC/tests/guest/tlsprobe.py" hold 127.0.0.1 8443 3 "$dir/go" > "$dir/hold1.out" 2>&1 &
hold1=$!
python3 "$T_SRC/tests/guest/tlsprobe.py" hold 127.0.0.1 8448 3 "$dir/go" > "$dir/hold2.out" 2>&1 &
hold2=$!
pids+=($hold1 $hold2)
t_wait 120 grep -q '^ready' "$dir/hold1.out" || t_log "hold1: $(cat "$dir/hold1.out")"
t_wait 120 grep -q '^ready' "$dir/hold2.out" || t_log "hold2: $(cat "$dir/hold2.out")"
acc0=$(accepted 127.0.0.1:8443)
# 8443 and a.example.test unchanged; 8448 and b.example.test changed (new
# certificate, new policy); 8446 moves to another queue (replaced); ccs:8445
# goes; c.example.test comes.
sed -e '/^binding 127.0.0.1:8446/,/^$/s/queue confq/queue confq2/' \
	-e '/^binding 127.0.0.1:8448/,/^$/s/a\.\(crt\|key\)/b.\1/' \
	-e '/^binding b.example.test/,/^$/s/closenotify off/closenotify on/' \
	-e '/^binding ccs:8445/,$d' "$dir/save1.conf" > "$dir/conf/two.conf"
cat >> "$dir/conf/two.conf" <<EOF
binding c.example.test:8444 cert $dir/b.crt key $dir/b.key backend 127.0.0.1:8080 tls13 off
EOF
out=$("$KHTTPSCTL" apply --dry-run "$dir/conf/two.conf" 2>&1)
[[ $out == *"would change 127.0.0.1:8448"* && $out == *"would change b.example.test:8444"* &&
	$out == *"would replace 127.0.0.1:8446"* && $out == *"would delete ccs:8445"* &&
	$out == *"would add c.example.test:8444"* &&
	$out == *"1 added, 2 changed, 1 replaced, 1 deleted, 2 unchanged (dry run"* ]] &&
	t_ok "apply --dry-run says what would change" || t_fail "apply --dry-run says what would change" "$out"
same "$dir/save1.conf" && t_ok "a dry run changes nothing" || t_fail "a dry run changes nothing"
out=$("$KHTTPSCTL" apply "$dir/conf/two.conf" 2>&1)
[[ $out == *"1 added, 2 changed, 1 replaced, 1 deleted, 2 unchanged"* ]] &&
	t_ok "apply: 1 added, 2 changed, 1 replaced, 1 deleted, 2 unchanged" ||
	t_fail "apply: 1 added, 2 changed, 1 replaced, 1 deleted, 2 unchanged" "$out"
saved > "$dir/save2.conf"
grep -v '^ *$' "$dir/save2.conf" | grep -q 'queue confq2' && ! grep -q ccs:8445 "$dir/save2.conf" &&
	grep -q 'c.example.test:8444' "$dir/save2.conf" &&
	t_ok "the kernel's bindings are the file's" || t_fail "the kernel's bindings are the file's" "$(cat "$dir/save2.conf")"
"$KHTTPSCTL" apply "$dir/save2.conf" > "$dir/again.out" 2>&1
grep -q '0 added, 0 changed, 0 replaced, 0 deleted, 6 unchanged' "$dir/again.out" &&
	same "$dir/save2.conf" && t_ok "the second state round-trips too" ||
	t_fail "the second state round-trips too" "$(cat "$dir/again.out")"
[ "$(fp 127.0.0.1:8448 x)" = "$(certfp "$dir/b.crt")" ] &&
	[ "$(fp 127.0.0.1:8444 c.example.test)" = "$(certfp "$dir/b.crt")" ] &&
	t_ok "new handshakes get the changed and the added binding's certificate" ||
	t_fail "new handshakes get the changed and the added binding's certificate"
[ "$(accepted 127.0.0.1:8443)" = "$acc0" ] &&
	t_ok "the unchanged binding was left alone (its counters go on)" ||
	t_fail "the unchanged binding was left alone (its counters go on)" "$acc0 -> $(accepted 127.0.0.1:8443)"

t_log "step: a file with errors changes nothing and names its lines"
cp "$dir/conf/one.conf" "$dir/conf/bad.conf"
cat >> "$dir/conf/bad.conf" <<EOF
binding 127.0.0.1:8449 cert $dir/a.crt key $dir/a.key backend 127.0.0.1:8080 tls 1.4
binding 127.0.0.1:8450 cert $dir/nosuch.crt key $dir/a.key backend 127.0.0.1:8080
binding 127.0.0.1:8443 cert $dir/a.crt key $dir/a.key backend 127.0.0.1:8080
binding 127.0.0.1:8452 cert $dir/a.crt key $dir/a.key backend 127.0.0.1:8080
	colour blue
EOF
n=$(wc -l < "$dir/conf/one.conf")
out=$("$KHTTPSCTL" apply "$dir/conf/bad.conf" 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *"bad.conf:$((n + 1)): tls takes 1.2 or 1.3"* &&
	$out == *"bad.conf:$((n + 2)): cannot use certificate"* &&
	$out == *"bad.conf:$((n + 3)): binding 127.0.0.1:8443 is already on line 2"* ]] &&
	t_ok "each error named with file and line" || t_fail "each error named with file and line" "rc $rc: $out"
[[ $out == *"bad.conf:$((n + 5)): unknown word 'colour'"* && $out == *"nothing changed"* ]] &&
	t_ok "an unknown word is named on its own line; nothing changed" ||
	t_fail "an unknown word is named on its own line; nothing changed" "$out"
same "$dir/save2.conf" && t_ok "the invalid file changed nothing" ||
	t_fail "the invalid file changed nothing" "$(changes "$dir/save2.conf")"
printf 'binding 127.0.0.1:8443 cert "%s/a.crt\n' "$dir" > "$dir/conf/quote.conf"
out=$("$KHTTPSCTL" apply "$dir/conf/quote.conf" 2>&1)
[[ $out == *"quote.conf:1: a quoted value has no closing"* ]] && same "$dir/save2.conf" &&
	t_ok "an unclosed quote is named, nothing changed" || t_fail "an unclosed quote is named, nothing changed" "$out"
out=$("$KHTTPSCTL" apply "$dir/conf/nosuch.conf" 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *"cannot read"*"nosuch.conf"* ]] && t_ok "a missing file is an error" ||
	t_fail "a missing file is an error" "$out"

t_log "step: a step the kernel refuses undoes the steps before it"
# The kernel, not khttpsctl, refuses mbedTLS with a TLS 1.3 floor; that
# binding is added last, after a deletion, a change and a replacement.
sed -e '/^binding 127.0.0.1:8446/,/^$/s/queue confq2/queue confq3/' \
	-e '/^binding 127.0.0.1:8448/,/^$/s/b\.\(crt\|key\)/a.\1/' \
	-e '/^binding c.example.test/,$d' "$dir/save2.conf" > "$dir/conf/refused.conf"
echo "binding 127.0.0.1:8451 cert $dir/a.crt key $dir/a.key backend 127.0.0.1:8080 engine mbedtls tls 1.3" \
	>> "$dir/conf/refused.conf"
out=$("$KHTTPSCTL" apply "$dir/conf/refused.conf" 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *"refused.conf:"*"binding 127.0.0.1:8451: "*"mbed"* && $out == *"undone"* ]] &&
	t_ok "the kernel's refusal is named with the line" || t_fail "the kernel's refusal is named with the line" "rc $rc: $out"
same "$dir/save2.conf" && t_ok "the steps before it were undone" ||
	t_fail "the steps before it were undone" "$(changes "$dir/save2.conf")"

touch "$dir/go"
wait "$hold1" "$hold2"
[[ $(cat "$dir/hold1.out") == *"ok 3"* && $(cat "$dir/hold2.out") == *"ok 3"* ]] &&
	t_ok "connections made before the applies (unchanged and changed bindings) worked on" ||
	t_fail "connections made before the applies (unchanged and changed bindings) worked on" \
		"$(cat "$dir/hold1.out" "$dir/hold2.out")"

t_log "step: stats --prometheus"
# Quiet first: the held connections have closed, so no counter moves between the views.
t_wait 60 sh -c '"$0" --json stats | grep -q "\"active\":0,"' "$KHTTPSCTL" || t_log "connections still active"
"$KHTTPSCTL" stats --prometheus > "$dir/prom.txt" 2>&1
"$KHTTPSCTL" --json binding show > "$dir/show.json"
"$KHTTPSCTL" --json stats > "$dir/stats.json"
python3 - "$dir/prom.txt" "$dir/show.json" "$dir/stats.json" > "$dir/prom.check" 2>&1 <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
show = json.load(open(sys.argv[2]))
glob = json.load(open(sys.argv[3]))
sample = re.compile(r'^(khttps_[a-z_]+)(\{binding="((?:[^"\\]|\\.)*)"\})? ([0-9]+)$')
types, seen = {}, {}
for line in text.splitlines():
    m = re.match(r'^# TYPE (khttps_[a-z_]+) (counter|gauge)$', line)
    if m:
        assert m.group(1) not in types, "family twice: " + line
        types[m.group(1)] = m.group(2)
        continue
    if line.startswith("# HELP "):
        continue
    m = sample.match(line)
    assert m, "not Prometheus text: %r" % line
    fam = m.group(1)
    assert fam in types, "sample before its TYPE: " + line
    assert (types[fam] == "counter") == fam.endswith("_total"), line
    seen[(fam, m.group(3))] = int(m.group(4))
assert types["khttps_active"] == "gauge" and types["khttps_accepted_total"] == "counter"
assert seen[("khttps_daemon_running", None)] == 1
for b in show:
    for k, v in b["stats"].items():
        fam = "khttps_" + k + ("" if types.get("khttps_" + k) == "gauge" else "_total")
        assert seen[(fam, b["bind"])] == v, (fam, b["bind"], v)
assert seen[("khttps_handshakes_ok_total", None)] == glob["handshakes_ok"]
assert seen[("khttps_accepted_total", "127.0.0.1:8443")] > 0
print("ok", len(seen))
PY
grep -q '^ok' "$dir/prom.check" &&
	t_ok "stats --prometheus: valid text format, per binding, equal to --json" ||
	t_fail "stats --prometheus: valid text format, per binding, equal to --json" "$(cat "$dir/prom.check")"

t_log "step: an empty file deletes every binding"
printf '# nothing\n' > "$dir/conf/empty.conf"
out=$("$KHTTPSCTL" apply "$dir/conf/empty.conf" 2>&1)
[[ $out == *"0 added, 0 changed, 0 replaced, 6 deleted, 0 unchanged"* ]] &&
	[ "$("$KHTTPSCTL" --json binding show)" = "[]" ] &&
	t_ok "an empty file: every binding deleted" || t_fail "an empty file: every binding deleted" "$out"
t_done
