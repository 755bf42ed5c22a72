#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# khttps-test: shared
# Queue mode end to end: khttps-serve takes plaintext sockets from an accept queue.
MODE=queue
. "$(dirname "$0")/serve.inc"
