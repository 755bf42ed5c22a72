#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""perfsum.py: a perf profile by process, then each busy process's binaries and symbols.

  perf report --no-children --sort comm,dso,sym --stdio -g none | perfsum.py

Kernel threads of one kind are one process here (kworker/u8:3-events and
kworker/0:1H are both "kworker"): work moves between them at random.  Prints
the share of all samples per process, then for each process above 2% its
share per binary (kernel, libcrypto, ...) and its symbols above 0.1% of
all samples.
"""
import collections
import re
import sys


def kind(comm):
    m = re.match(r"(kworker|ksoftirqd|migration|rcu_\w+|cpuhp)/", comm)
    return m.group(1) if m else comm


def show(counter):
    """Print COUNTER's entries of at least 0.1% of all samples, largest first."""
    for what, pct in counter.most_common():
        if pct < 0.1:
            break
        print("%6.2f%%  %s" % (pct, what))


def main():
    by_comm = collections.Counter()
    by_sym = collections.defaultdict(collections.Counter)
    by_dso = collections.defaultdict(collections.Counter)
    line_re = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+(\S+)\s+\[[k.]\]\s+(.*\S)\s*$")
    for line in sys.stdin:
        m = line_re.match(line)
        if not m:
            continue
        pct, comm, dso, sym = float(m.group(1)), kind(m.group(2)), m.group(3), m.group(4)
        by_comm[comm] += pct
        by_sym[comm]["%s %s" % (dso, sym)] += pct
        by_dso[comm][dso] += pct
    print("# share of all samples by process")
    show(by_comm)
    for comm, pct in by_comm.most_common():
        if pct < 2:
            break
        print("\n# %s (%.2f%%): binaries, %% of all samples" % (comm, pct))
        show(by_dso[comm])
        print("# %s: symbols, %% of all samples" % comm)
        show(by_sym[comm])

if __name__ == "__main__":
    main()
