#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# khttps-test: shared
# Session resumption: TLS 1.3 and 1.2 tickets sealed with keys from one file
# that all workers share, kept across a daemon restart and rotated on a
# schedule; resumed handshakes counted; "resume off" per binding; a new
# certificate ends resumption of the old one's sessions.  TLS 1.2 session
# ids (clients without tickets) resume through a cache the workers share.  The client is
# openssl s_client with -sess_out / -sess_in.
set -u
. "$(dirname "$0")/../lib.sh"
t_scratch resume
B=127.0.0.1:8443
t_cleanup() { "$KHTTPSCTL" binding del $B > /dev/null 2>&1; }
# One HTTP/1.0 request with s_client: $1 = 1.3 or 1.2, then s_client options.
# Prints s_client's output; the server closes after the response, so the
# session tickets (sent after the handshake) are read before s_client ends.
# Then it waits for the kernel to close its side: under the close_notify
# policy (on by default) a session resumes only once that end was judged.
hs() {
	local v=$1
	shift
	printf 'GET /hello HTTP/1.0\r\nHost: localhost\r\n\r\n' |
		timeout 60 openssl s_client -connect $B -servername localhost -tls${v/./_} \
			-CAfile "$dir/server.crt" -ign_eof "$@" 2>&1
	t_wait 30 eval '[ "$(stat_of active)" = 0 ]' || echo "connections still active" >&2
}
kind() { grep -oE '^(New|Reused), TLSv1\.[23]' <<< "$1" | head -n 1; }
start_daemon() {
	"$KHTTPSD" -f -w 2 --trust "$dir" --ticket-keys "$dir/keys/ticket-keys" "$@" \
		>> "$dir/khttpsd.log" 2>&1 &
	daemon=$!
	pids+=($daemon)
	t_wait 20 eval '[ "$(pgrep -c -P $daemon)" = 2 ]' || t_log "workers did not start"
}
stop_daemon() { kill "$daemon"; wait "$daemon" 2>/dev/null; }
first_key() { awk '!/^#/ { print $2; exit }' "$dir/keys/ticket-keys"; }

t_log "step: certificates, backend, daemon"
python3 "$T_SRC/tests/guest/pki.py" "$dir"
t_backend
start_daemon
t_check "binding add $B" "$KHTTPSCTL" binding add $B cert "$dir/server.crt" \
	key "$dir/server.key" backend 127.0.0.1:8080
mode=$(stat -c %a "$dir/keys/ticket-keys" 2>&1)
lines=$(grep -vc '^#' "$dir/keys/ticket-keys" 2>&1)
[ "$mode" = 600 ] && [ "$lines" = 1 ] && [ "$(stat -c %a "$dir/keys")" = 700 ] &&
	t_ok "khttpsd made the ticket key file: mode 0600 in a 0700 directory, one key" ||
	t_fail "khttpsd made the ticket key file: mode 0600 in a 0700 directory, one key" "mode $mode, $lines keys"

t_log "step: full, then resumed, for TLS 1.3 and 1.2"
r0=$(stat_of handshakes_resumed)
for v in 1.3 1.2; do
	out=$(hs $v -sess_out "$dir/s$v")
	k1=$(kind "$out")
	out=$(hs $v -sess_in "$dir/s$v")
	k2=$(kind "$out")
	[ "$k1" = "New, TLSv$v" ] && [ "$k2" = "Reused, TLSv$v" ] &&
		[[ $out == *"hello from the backend"* ]] &&
		t_ok "TLS $v: a ticket resumes the session, and the request is served" ||
		t_fail "TLS $v: a ticket resumes the session, and the request is served" "$k1 / $k2: $out"
done

t_log "step: made by one worker, resumed by the other"
read -r w1 w2 <<< "$(pgrep -P "$daemon" | tr '\n' ' ')"
for v in 1.3 1.2; do
	kill -STOP "$w2"
	k1=$(kind "$(hs $v -sess_out "$dir/w$v")")
	kill -CONT "$w2"; kill -STOP "$w1"
	k2=$(kind "$(hs $v -sess_in "$dir/w$v")")
	kill -CONT "$w1"
	[ "$k1" = "New, TLSv$v" ] && [ "$k2" = "Reused, TLSv$v" ] &&
		t_ok "TLS $v: a session made by worker $w1 resumes on worker $w2" ||
		t_fail "TLS $v: a session made by worker $w1 resumes on worker $w2" "$k1 / $k2"
done
r=$(( $(stat_of handshakes_resumed) - r0 ))
[ "$r" = 4 ] && t_ok "4 resumed handshakes counted (handshakes_resumed)" ||
	t_fail "4 resumed handshakes counted (handshakes_resumed)" "$r"

t_log "step: TLS 1.2 session ids (no ticket), shared by the workers"
kill -STOP "$w2"
out=$(hs 1.2 -no_ticket -sess_out "$dir/id")
k1=$(kind "$out")
kill -CONT "$w2"; kill -STOP "$w1"
k2=$(kind "$(hs 1.2 -no_ticket -sess_in "$dir/id")")
kill -CONT "$w1"
sid=$(awk '/Session-ID:/ { print $2; exit }' <<< "$out")
[ "$k1" = "New, TLSv1.2" ] && [ "$k2" = "Reused, TLSv1.2" ] && [ ${#sid} = 64 ] &&
	t_ok "TLS 1.2: a session id from worker $w1 resumes on worker $w2" ||
	t_fail "TLS 1.2: a session id from worker $w1 resumes on worker $w2" "$k1 / $k2, id '$sid'"

t_log "step: across a daemon restart"
stop_daemon
start_daemon
for v in 1.3 1.2; do
	k=$(kind "$(hs $v -sess_in "$dir/s$v")")
	[ "$k" = "Reused, TLSv$v" ] && t_ok "TLS $v: a session from before the restart resumes" ||
		t_fail "TLS $v: a session from before the restart resumes" "$k"
done
k=$(kind "$(hs 1.2 -no_ticket -sess_in "$dir/id" -sess_out "$dir/id2")")
[ "$k" = "New, TLSv1.2" ] &&
	t_ok "TLS 1.2: a session id does not outlive the daemon (its cache is memory only)" ||
	t_fail "TLS 1.2: a session id does not outlive the daemon (its cache is memory only)" "$k"
master=$(openssl sess_id -in "$dir/s1.2" -noout -text 2>/dev/null | awk '/Master-Key:/ { print $2 }')
if [ ${#master} -ge 96 ] && ! grep -rqi "$master" "$dir/keys" "$dir/khttpsd.log"; then
	t_ok "the session's master secret is in neither the key file nor the log"
else
	t_fail "the session's master secret is in neither the key file nor the log" "master '${master:0:16}...'"
fi

t_log "step: resume off, per binding, live"
t_check "binding set resume off" "$KHTTPSCTL" binding set $B resume off
"$KHTTPSCTL" binding show | grep -q "resume off" && t_ok "binding show lists resume off" ||
	t_fail "binding show lists resume off" "$("$KHTTPSCTL" binding show)"
for v in 1.3 1.2; do
	out=$(hs $v -sess_in "$dir/s$v" -sess_out "$dir/off$v")
	k=$(kind "$out")
	[ "$k" = "New, TLSv$v" ] && t_ok "resume off: TLS $v: the ticket is not taken" ||
		t_fail "resume off: TLS $v: the ticket is not taken" "$k"
done
k=$(kind "$(hs 1.2 -no_ticket -sess_in "$dir/id2")")
[ "$k" = "New, TLSv1.2" ] && t_ok "resume off: TLS 1.2: the session id is not taken" ||
	t_fail "resume off: TLS 1.2: the session id is not taken" "$k"
out=$(hs 1.3)
[[ $out != *"New Session Ticket arrived"* ]] && t_ok "resume off: TLS 1.3: no ticket is issued" ||
	t_fail "resume off: TLS 1.3: no ticket is issued" "$out"
t_check "binding set resume on" "$KHTTPSCTL" binding set $B resume on
k=$(kind "$(hs 1.3 -sess_in "$dir/s1.3")")
[ "$k" = "Reused, TLSv1.3" ] && t_ok "resume on again: the old ticket resumes" ||
	t_fail "resume on again: the old ticket resumes" "$k"

t_log "step: a new certificate ends resumption"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=khttps-new \
	-addext subjectAltName=DNS:localhost -keyout "$dir/new.key" -out "$dir/new.crt" 2> /dev/null
chmod 600 "$dir/new.key"
t_check "binding set cert new.crt key new.key" "$KHTTPSCTL" binding set $B \
	cert "$dir/new.crt" key "$dir/new.key"
for v in 1.3 1.2; do
	out=$(hs $v -sess_in "$dir/s$v" -CAfile "$dir/new.crt" -sess_out "$dir/n$v")
	k=$(kind "$out")
	[ "$k" = "New, TLSv$v" ] && [[ $out == *"Verify return code: 0 (ok)"* ]] &&
		t_ok "TLS $v: a session from the old certificate gets a full handshake with the new one" ||
		t_fail "TLS $v: a session from the old certificate gets a full handshake with the new one" "$k: $out"
	k=$(kind "$(hs $v -sess_in "$dir/n$v" -CAfile "$dir/new.crt")")
	[ "$k" = "Reused, TLSv$v" ] && t_ok "TLS $v: sessions of the new certificate resume" ||
		t_fail "TLS $v: sessions of the new certificate resume" "$k"
done

t_log "step: rotation"
stop_daemon
start_daemon --ticket-rotate $((3 * T_SLOW))
k0=$(first_key)
t_wait 10 eval '[ "$(first_key)" != "$k0" ]'
kname=$(first_key)
out=$(hs 1.2 -sess_out "$dir/rot" -CAfile "$dir/new.crt")
[ "$(first_key)" = "$kname" ] || t_log "a rotation fell inside the handshake: the next checks may not hold"
t_wait 10 eval '[ "$(first_key)" != "$kname" ]'
k=$(kind "$(hs 1.2 -sess_in "$dir/rot" -CAfile "$dir/new.crt")")
n=$(grep -vc '^#' "$dir/keys/ticket-keys")
[ "$k" = "Reused, TLSv1.2" ] && grep -q "$kname" "$dir/keys/ticket-keys" &&
	t_ok "after a rotation a ticket under the previous key still resumes ($n keys in the file)" ||
	t_fail "after a rotation a ticket under the previous key still resumes" "$k, $n keys"
t_wait 20 eval '! grep -q "$kname" "$dir/keys/ticket-keys"'
k=$(kind "$(hs 1.2 -sess_in "$dir/rot" -CAfile "$dir/new.crt")")
n=$(grep -vc '^#' "$dir/keys/ticket-keys")
[ "$k" = "New, TLSv1.2" ] && [ "$n" = 3 ] &&
	t_ok "once its key is rotated out (3 kept) the ticket gets a full handshake" ||
	t_fail "once its key is rotated out (3 kept) the ticket gets a full handshake" "$k, $n keys"
stop_daemon

t_log "step: a key file others can read"
cp "$dir/keys/ticket-keys" "$dir/loose"
chmod 644 "$dir/loose"
out=$(timeout 30 "$KHTTPSD" -f --trust "$dir" --ticket-keys "$dir/loose" 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"chmod 600"* ]] &&
	t_ok "khttpsd refuses to start with a ticket key file of mode 0644, and says why" ||
	t_fail "khttpsd refuses to start with a ticket key file of mode 0644, and says why" "rc $rc: $out"
t_done
