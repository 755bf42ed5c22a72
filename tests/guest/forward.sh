#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# khttps-test: shared
# Forward mode end to end: the kernel relays plaintext to a plain HTTP backend.
MODE=forward
. "$(dirname "$0")/serve.inc"
