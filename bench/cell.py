#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""cell.py: run one benchmark client command and say what it cost.

  cell.py [--tag KEY=VALUE]... [--watch PIDS] [--window WARM SECS] [--backend PIDS]
          [--stats KHTTPSCTL] -- COMMAND...

Prints one JSON object: the command's output (stdout, for the caller to
parse), its wall time, the guest's busy CPU time and context switches over
the run (/proc/stat), the client's own CPU time (the command and its
children, from getrusage), and for the comma-separated PIDS (khttpsd's
processes) their CPU time and context switches.  With --window, the PIDS are
sampled only from WARM seconds after the start for SECS seconds: the steady
state once the connections are set up.  --backend PIDS (the backend nginx's
processes) adds their CPU time over the whole run: what the server CPU
spent on the backend rather than on the TLS front end.  --stats runs
"KHTTPSCTL --json stats" before and after and adds the counters that moved
("khttps": name -> increase; the gauges active, pending and queued as
their change): how many handshakes the cell cost and how many failed, and
why.  Each --tag is
copied into the object (contender, workload, repetition: what report.py
groups by).
"""
import json
import os
import resource
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def proc_stat():
    busy = ctxt = 0
    with open("/proc/stat") as f:
        for line in f:
            w = line.split()
            if w[0] == "cpu":
                # user nice system idle iowait irq softirq steal
                v = [int(x) for x in w[1:9]]
                busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
            elif w[0] == "ctxt":
                ctxt = int(w[1])
    return busy / HZ, ctxt


def pid_cost(pids):
    """CPU seconds and context switches of PIDS (gone ones count 0)."""
    cpu = sw = 0
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                w = f.read().rsplit(")", 1)[1].split()
            cpu += (int(w[11]) + int(w[12])) / HZ
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        sw += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            pass
    return cpu, sw


def khttps_stats(ctl):
    """khttps's counters (khttpsctl --json stats), or None if it cannot say."""
    try:
        r = subprocess.run([ctl, "--json", "stats"], capture_output=True, text=True, timeout=60)
        st = json.loads(r.stdout) if r.returncode == 0 else None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    return {k: v for k, v in st.items() if isinstance(v, int) and not isinstance(v, bool)} \
        if isinstance(st, dict) else None


def main():
    args = sys.argv[1:]
    pids, window, tags, backend, ctl = [], None, {}, [], None
    while args and args[0] != "--":
        if args[0] == "--tag":
            k, _, v = args[1].partition("=")
            tags[k] = v
            args = args[2:]
        elif args[0] == "--watch":
            pids = [int(p) for p in args[1].split(",") if p]
            args = args[2:]
        elif args[0] == "--backend":
            backend = [int(p) for p in args[1].split(",") if p]
            args = args[2:]
        elif args[0] == "--stats":
            ctl = args[1]
            args = args[2:]
        elif args[0] == "--window":
            window = (float(args[1]), float(args[2]))
            args = args[3:]
        else:
            sys.exit("cell.py: unknown option " + args[0])
    cmd = args[1:]
    st0 = khttps_stats(ctl) if ctl else None
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0, ctxt0 = proc_stat()
    b0 = pid_cost(backend)[0]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    w0 = w1 = None
    if window:
        time.sleep(window[0])
        w0 = pid_cost(pids)
        time.sleep(window[1])
        w1 = pid_cost(pids)
    else:
        w0 = pid_cost(pids)
    out = p.communicate()[0]
    wall = time.monotonic() - t0
    busy1, ctxt1 = proc_stat()
    b1 = pid_cost(backend)[0]
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if not window:
        w1 = pid_cost(pids)
    st1 = khttps_stats(ctl) if st0 is not None else None
    moved = None
    if st1 is not None:
        moved = {k: st1[k] - st0.get(k, 0) for k in st1 if st1[k] != st0.get(k, 0)}
    client = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    print(json.dumps({
        **tags,
        "rc": p.returncode, "out": out, "wall": wall,
        "busy": busy1 - busy0, "ctxt": ctxt1 - ctxt0, "client_cpu": client,
        "backend_cpu": b1 - b0,
        "watch_cpu": w1[0] - w0[0], "watch_switches": w1[1] - w0[1],
        "watch_secs": window[1] if window else wall,
        **({"khttps": moved} if moved is not None else {}),
    }))


if __name__ == "__main__":
    main()
