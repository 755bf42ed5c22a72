#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# khttps.conf parsing, on the host: khttpsctl apply reads and checks the
# whole file before it talks to the kernel, so every error shows here,
# named FILE:LINE, with or without the module.  (The guest's conf.sh
# applies files to the kernel.)
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch conf-unit
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=x \
	-keyout k.pem -out c.pem > /dev/null 2>&1
mkdir -p sub store
apply() { "$KHTTPSCTL" apply -n "$1" 2>&1; }
# With the module loaded a good file gets past the checks too; either way
# no FILE:LINE message may appear.
good() {
	local out
	out=$(apply "$1")
	if [[ $out == *"$1:"[0-9]* || $out == *"nothing changed"* ]]; then
		t_fail "$2" "$out"
	else
		t_ok "$2"
	fi
}
# bad FILE LINE TEXT NAME: the message for LINE says TEXT, and nothing changed.
bad() {
	local out rc
	out=$(apply "$1"); rc=$?
	if [ $rc -ne 0 ] && [[ $out == *"$1:$2: $3"* && $out == *"nothing changed"* ]]; then
		t_ok "$4"
	else
		t_fail "$4" "rc $rc: $out"
	fi
}

cat > sub/good.conf <<'CONF'
# comment
binding 127.0.0.1:8443 cert ../c.pem key ../k.pem backend 127.0.0.1:8080   # trailing
binding WWW.Example.Test.:8444
	cert "../c.pem"
	key ../k.pem
	queue q user root group 0
	alpn "h2,http/1.1" tls 1.3 tls13 on clientcert request ca ../c.pem
	resume off closenotify default engine openssl
binding ccs:8445 store ../store backend [::1]:8080 proxy v2
binding *.example.test:8444 cert ../c.pem key ../k.pem backend localhost:8080
CONF
good sub/good.conf "a valid file: comments, quotes, stanzas, relative paths, every word"
printf '' > empty.conf
good empty.conf "an empty file is valid (no bindings)"

printf 'binding 127.0.0.1:1 cert c.pem key k.pem backend 127.0.0.1:2 tls 1.4\n' > f1.conf
bad f1.conf 1 "tls takes 1.2 or 1.3" "a bad value"
printf '# x\n\nbinding 127.0.0.1:1\n\tcert c.pem\n\tkey nosuch.pem\n\tbackend 127.0.0.1:2\n' > f2.conf
bad f2.conf 5 "cannot use key 'nosuch.pem'" "a missing file, on its own line"
printf 'binding 127.0.0.1:1 cert c.pem key k.pem backend 127.0.0.1:2\n\tcolour blue\n' > f3.conf
bad f3.conf 2 "unknown word 'colour'" "an unknown word"
printf 'binding 127.0.0.1:1 cert c.pem key k.pem\n\tbackend\n' > f4.conf
bad f4.conf 2 "'backend' needs a value on the same line" "a word without its value"
printf 'cert c.pem\n' > f5.conf
bad f5.conf 1 'expected "binding NAME"' "words before any binding"
printf 'binding 127.0.0.1:1 cert "c.pem key k.pem\n' > f6.conf
bad f6.conf 1 "a quoted value has no closing" "an unclosed quote"
printf 'binding 127.0.0.1:1 cert "c".pem key k.pem\n' > f14.conf
bad f14.conf 1 "a blank must follow a quoted value" "text glued to a quoted value"
printf 'binding 127.0.0.1:1 cert c.pem key k.pem backend 127.0.0.1:2\nbinding 127.0.0.1:1 cert c.pem key k.pem backend 127.0.0.1:3\n' > f7.conf
bad f7.conf 2 "binding 127.0.0.1:1 is already on line 1" "a binding named twice"
printf 'binding 127.0.0.1:1 cert c.pem key k.pem\n' > f8.conf
bad f8.conf 1 "127.0.0.1:1: a binding needs cert, key, and either backend or queue" "a binding without target"
printf 'binding ccs:1 cert c.pem key k.pem backend 127.0.0.1:2\n' > f9.conf
bad f9.conf 1 "ccs:1: a ccs binding takes store DIR" "a ccs binding with a certificate"
printf 'binding 127.0.0.1:1 cert c.pem key k.pem queue q proxy v2\n' > f10.conf
bad f10.conf 1 "127.0.0.1:1: proxy is for forward mode" "proxy on a queue binding"
printf 'binding 127.0.0.1:99999 cert c.pem key k.pem backend 127.0.0.1:2\n' > f11.conf
bad f11.conf 1 "'127.0.0.1:99999': the port must be 1..65535" "a bad port"
printf 'binding 127.0.0.1:1 cert c.pem key k.pem backend 127.0.0.1:2\n\tuser nobody\n' > f12.conf
bad f12.conf 2 "127.0.0.1:1: user and group are for queue bindings" "user on a forward binding"
printf 'binding 127.0.0.1:1\n\tcert c.pem\n\tcert c.pem\n' > f13.conf
bad f13.conf 3 "'cert' given twice" "a word given twice"
# Every error of a file at once, not just the first.
cat f1.conf f3.conf f13.conf > all.conf
out=$(apply all.conf)
[[ $out == *"all.conf:1: tls takes"* && $out == *"all.conf:3: unknown word 'colour'"* &&
	$out == *"all.conf:6: 'cert' given twice"* ]] && t_ok "all errors of a file are named at once" ||
	t_fail "all errors of a file are named at once" "$out"
out=$("$KHTTPSCTL" apply -n nosuch.conf 2>&1); rc=$?
[ $rc -ne 0 ] && [[ $out == *"cannot read nosuch.conf"* ]] && t_ok "a missing file" ||
	t_fail "a missing file" "$out"
out=$("$KHTTPSCTL" apply 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"usage: khttpsctl apply"* ]] && t_ok "apply without a file: usage, status 2" ||
	t_fail "apply without a file: usage, status 2" "rc $rc: $out"
t_done
