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
t_done
