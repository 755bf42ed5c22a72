#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The close_notify policy (HTTP.SYS's EnableSslCloseNotify): when on (the
# module's close_notify parameter, default 1, or "closenotify on" in a
# binding) the server sends close_notify, and a session resumes only after a
# connection of it ended cleanly: the client's close_notify, or the server's
# first with no truncation after it.  The kernel judges each end and
# remembers clean ones; khttpsd asks before resuming (tickets, and TLS 1.2
# session ids: "1.2id").  Off: no close_notify
# from the server, and sessions resume whatever the end.
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch closenotify
B=127.0.0.1:8443
P=/sys/module/khttps/parameters/close_notify
t_cleanup() { echo 1 > $P; "$KHTTPSCTL" binding del $B > /dev/null 2>&1; }
show_of() {
	"$KHTTPSCTL" --json binding show |
		python3 -c "import json,sys; print([b for b in json.load(sys.stdin) if b['bind'] == '$B'][0]['$1'])"
}
# expect NAME VERSION PLAN WANTED: tlsprobe.py's sessions PLAN must print WANTED.
expect() {
	local out
	out=$(KHTTPSCTL=$KHTTPSCTL timeout 300 python3 "$T_SRC/tests/guest/tlsprobe.py" sessions \
		127.0.0.1 8443 "$2" "$3" 2>&1)
	[ "$out" = "$4" ] && t_ok "$1 ($3: $out)" || t_fail "$1" "plan $3: wanted '$4', got '$out'"
}

t_log "step: certificates, backend, daemon"
python3 "$T_SRC/tests/guest/pki.py" "$dir"
t_backend
t_daemon --ticket-keys "$dir/keys/ticket-keys"
daemon=$dpid
pids+=($daemon)
t_wait 20 eval '[ "$(pgrep -c -P $daemon)" = 2 ]' || t_log "workers did not start"
t_check "binding add $B" "$KHTTPSCTL" binding add $B cert "$dir/server.crt" \
	key "$dir/server.key" backend 127.0.0.1:8080
[ "$(cat $P)" = 1 ] && [ "$(show_of closenotify)" = True ] &&
	t_ok "close_notify is on by default (module parameter 1), and binding show says so" ||
	t_fail "close_notify is on by default" "parameter $(cat $P), binding $(show_of closenotify)"

t_log "step: the policy on"
c0=$(stat_of sessions_clean); u0=$(stat_of sessions_unclean); r0=$(stat_of sessions_refused)
for v in 1.3 1.2 1.2id; do
	expect "TLS $v: after the client's close_notify the session resumes" $v ccc "N R R"
	expect "TLS $v: after a truncation it does not" $v tc "N N"
	expect "TLS $v: the server's close_notify first leaves it resumable" $v ss "Nc Rc"
	expect "TLS $v: a resumed connection that is truncated ends resumption" $v ctc "N R N"
done
c=$(( $(stat_of sessions_clean) - c0 )); u=$(( $(stat_of sessions_unclean) - u0 ))
r=$(( $(stat_of sessions_refused) - r0 ))
[ "$c/$u/$r" = 24/6/6 ] &&
	t_ok "counted: 24 clean ends, 6 unclean, 6 resumptions refused" ||
	t_fail "counted: 24 clean ends, 6 unclean, 6 resumptions refused" "$c clean, $u unclean, $r refused"
grep -q "did not end cleanly" "$dir/khttpsd.log" &&
	t_ok "khttpsd logs why a session was not resumed" ||
	t_fail "khttpsd logs why a session was not resumed" "$(tail -n 5 "$dir/khttpsd.log")"

t_log "step: closenotify off in the binding, live"
t_check "binding set closenotify off" "$KHTTPSCTL" binding set $B closenotify off
"$KHTTPSCTL" binding show | grep -q "closenotify off$" && [ "$(show_of closenotify)" = False ] &&
	t_ok "binding show lists closenotify off" ||
	t_fail "binding show lists closenotify off" "$("$KHTTPSCTL" binding show)"
o0=$(stat_of close_notify_out)
for v in 1.3 1.2; do
	expect "closenotify off: TLS $v: a truncated session still resumes" $v tt "N R"
	expect "closenotify off: TLS $v: the server closes without close_notify" $v s "Nx"
done
o=$(( $(stat_of close_notify_out) - o0 ))
[ "$o" = 0 ] && t_ok "closenotify off: no close_notify sent" ||
	t_fail "closenotify off: no close_notify sent" "$o sent"

t_log "step: the module's default"
t_check "binding set closenotify default" "$KHTTPSCTL" binding set $B closenotify default
echo 0 > $P
cn=$(show_of closenotify)
words=$("$KHTTPSCTL" binding show)
[ "$cn" = False ] && [[ $words != *"closenotify o"* ]] &&
	t_ok "close_notify=0: a binding without its own policy follows the module" ||
	t_fail "close_notify=0: a binding without its own policy follows the module" "json $cn; $words"
expect "close_notify=0: a truncated session still resumes" 1.3 tt "N R"
echo 1 > $P
expect "close_notify=1 again: a truncated session does not resume" 1.3 tc "N N"
t_check "binding set closenotify off, then on" "$KHTTPSCTL" binding set $B closenotify off
echo 0 > $P
t_check "binding set closenotify on" "$KHTTPSCTL" binding set $B closenotify on
expect "closenotify on in the binding wins over close_notify=0" 1.2 ts "N Nc"
echo 1 > $P
t_done
