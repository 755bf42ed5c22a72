#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The module builds without warnings under W=1 and sparse (C=2 checks every
# file whether rebuilt or not).  User space is already built with -Werror.
set -u
. "$(dirname "$0")/../lib.sh"
cd "$T_SRC"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if make -s -B module W=1 > "$log" 2>&1 && ! grep -qiE 'warning|error' "$log"; then
	t_ok "module W=1 clean"
else
	sed 's/^/#   /' "$log" | tail -n 30
	t_fail "module W=1 clean"
fi
if ! command -v sparse > /dev/null; then
	t_skip "module sparse (C=2) clean" "sparse not installed"
elif make -s module C=2 > "$log" 2>&1 && ! grep -qiE 'warning|error' "$log"; then
	t_ok "module sparse (C=2) clean"
else
	sed 's/^/#   /' "$log" | tail -n 30
	t_fail "module sparse (C=2) clean"
fi
# OpenSSL's key-log formatting runs through khttpsd's __sprintf_chk
# (hexfmt.c) only if the link exported it and libssl binds to it.
bind=$(LD_DEBUG=bindings "$KHTTPSD" --version 2>&1 > /dev/null | grep -w __sprintf_chk)
if grep -q "libssl.so.3 .* to $KHTTPSD .*__sprintf_chk" <<< "$bind"; then
	t_ok "libssl's __sprintf_chk binds to khttpsd's"
else
	t_fail "libssl's __sprintf_chk binds to khttpsd's" "${bind:-no binding of __sprintf_chk seen}"
fi
t_done
