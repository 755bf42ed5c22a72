#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py RUNDIR OUTDIR: the benchmark's table and chart.

Reads RUNDIR/raw.jsonl (bench/cell.py's lines), meta.txt and tcrypt.txt
from one bench/guest.sh run; writes OUTDIR/results.md (the table: median,
min and max over the repetitions; server CPU time and context switches per
request or per MB; khttps's own counters per cell; the issue's targets as
ratios within this run) and
OUTDIR/results.png through gnuplot (throughput relative to nginx).
"""
import json
import os
import re
import statistics
import subprocess
import sys

CONTENDERS = ["plain", "fwd", "queue", "nginx", "haproxy", "stunnel", "gnutls"]
NAMES = {"plain": "plain HTTP (ceiling)", "fwd": "khttps forward", "queue": "khttps queue",
         "nginx": "nginx (TLS itself)", "haproxy": "HAProxy", "stunnel": "stunnel4",
         "gnutls": "gnutls-serv, kTLS"}
WORKLOADS = [
    ("small", "100 B, keep-alive, 16 conns", "req/s", "request"),
    ("1m", "1 MiB, keep-alive, 4 conns", "MB/s", "MB"),
    ("64m", "64 MiB, one connection", "MB/s", "MB"),
    ("conc1000", "100 B, 1000 new conns at once", "req/s", "request"),
    ("full-ec", "full handshakes, ECDSA P-256", "hs/s", "handshake"),
    ("full-rsa", "full handshakes, RSA-2048", "hs/s", "handshake"),
    ("resumed-ec", "resumed handshakes (ECDSA)", "hs/s", "handshake"),
]
MB = 1e6
# The contenders whose requests the backend nginx serves: for them the
# server CPU splits into the backend's and the front end's (the rest).
RELAYS = ["plain", "fwd", "haproxy", "stunnel"]


def wrk(out):
    """(requests, seconds, errors) from wrk's summary."""
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if not m:
        return None
    n, t = int(m.group(1)), float(m.group(2))
    if m.group(3) == "ms":
        t /= 1000
    errs = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return n, t, errs + (int(bad.group(1)) if bad else 0)


def measure(c):
    """One cell: (value, units done, errors), units being requests, MB or handshakes."""
    w, out = c["workload"], c["out"]
    if w in ("small", "conc1000", "1m", "steady"):
        r = wrk(out)
        if not r or r[1] <= 0:
            return None
        n, t, errs = r
        if w == "1m":
            mb = n * (1 << 20) / MB
            return mb / t, mb, errs
        return n / t, n, errs
    if w == "64m":
        m = re.match(r"(\d+) ([\d.]+)", out.strip())
        if not m or c["rc"] != 0 or float(m.group(2)) <= 0:
            return None
        mb = int(m.group(1)) / MB
        return mb / float(m.group(2)), mb, 0 if int(m.group(1)) == 64 << 20 else 1
    m = re.search(r"(\d+) connections in [\d.]+s", out)
    if not m or c["wall"] <= 0:
        return None
    n = int(m.group(1))
    return n / c["wall"], n, 0


def med(v):
    return statistics.median(v) if v else None


def fmt(x, digits=3):
    if x is None:
        return "–"
    if x >= 100:
        return "%.0f" % x
    return "%.*g" % (digits, x)


def gcm_cost(path):
    """Kernel gcm(aes) encryption, 128-bit key, 8192-byte blocks: (MB/s, driver)."""
    try:
        text = open(path, errors="replace").read()
    except OSError:
        return None, None
    best = None
    for sec in re.split(r"testing speed of ", text)[1:]:
        head = sec.splitlines()[0]
        if not head.startswith("gcm(aes) ") or "encryption" not in head:
            continue
        drv = re.search(r"^gcm\(aes\) \((.*)\) (?:en|de)cryption", head)
        m = re.search(r"\(128 bit key, 8192 byte blocks\): (\d+) operations in (\d+) seconds "
                      r"\((\d+) bytes\)", sec)
        if m:
            best = (int(m.group(3)) / int(m.group(2)) / MB, drv.group(1) if drv else "?")
    return best if best else (None, None)


# khttpsctl stats counters (cell.py --stats) that say a handshake failed.
FAILURES = ("handshake_timeouts", "worker_lost", "install_failed", "client_gone",
            "handshakes_failed_tls", "handshakes_failed_cert", "handshakes_failed_internal",
            "handshakes_failed_closed", "unrecognized_name", "handshakes_failed_client_cert",
            "refused_pending", "refused_connections", "queue_full", "refused_source")


def counters(cells):
    """The "khttps's counters" section: what each khttps cell cost in handshakes."""
    per = {}
    for c in cells:
        if "khttps" in c:
            per.setdefault((c["contender"], c["workload"]), []).append(c["khttps"])
    if not per:
        return []
    lines = ["", "## khttps's counters", "",
             "`khttpsctl stats` before and after each khttps cell: the connections it "
             "accepted and the handshakes it completed per repetition (median [min–max]), "
             "and over all repetitions the failures by reason (the counters' names). "
             "A connection still in its handshake when the client stops is counted when "
             "the client closes it, so it may fall into the next cell.", "",
             "| workload | contender | accepted | handshakes done | of them resumed | "
             "failures (all reps) |", "| --- | --- | --- | --- | --- | --- |"]

    def spread(rows, k):
        x = [r.get(k, 0) for r in rows]
        # %g: an even number of repetitions has a median halfway between two counts.
        return "%g [%d–%d]" % (med(x), min(x), max(x))

    for w, desc, *_ in WORKLOADS + [("steady", "1 MiB, after the handshakes", 0, 0)]:
        for c in ("fwd", "queue"):
            rows = per.get((c, w))
            if not rows:
                continue
            bad = ", ".join("%s %d" % (k, sum(r.get(k, 0) for r in rows)) for k in FAILURES
                            if any(r.get(k, 0) for r in rows)) or "none"
            lines.append("| %s | %s | %s | %s | %s | %s |" % (
                desc, NAMES[c], spread(rows, "accepted"), spread(rows, "handshakes_ok"),
                spread(rows, "handshakes_resumed"), bad))
    return lines


def chart(outdir, rev, agg, v):
    """OUTDIR/results.png: throughput relative to nginx, per workload; False if gnuplot failed."""
    dat = os.path.join(outdir, "results.dat")
    shown = [c for c in CONTENDERS if any((c, w) in agg for w, *_ in WORKLOADS)]
    with open(dat, "w") as f:
        f.write("workload " + " ".join('"%s"' % NAMES[c] for c in shown) + "\n")
        for w, *_ in WORKLOADS:
            base = v("nginx", w)
            row = [('"%s"' % w)]
            for c in shown:
                x = v(c, w)
                row.append("%.3f" % (x / base) if x and base else "?")
            f.write(" ".join(row) + "\n")
    gp = ('set terminal pngcairo size 1200,600 font "sans,10"\n'
          'set output "%s"\n'
          'set title "khttps benchmark, %s (QEMU TCG: ratios only)"\n'
          'set ylabel "throughput relative to nginx (log scale)"\n'
          'set style data histograms\nset style histogram clustered gap 1\n'
          'set style fill solid 0.8 border -1\nset key outside right\n'
          'set datafile missing "?"\nset logscale y 2\nset grid ytics\n'
          'plot for [i=2:%d] "%s" using i:xtic(1) title columnheader(i)\n'
          % (os.path.join(outdir, "results.png"), rev, len(shown) + 1, dat))
    try:
        subprocess.run(["gnuplot"], input=gp, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print("report.py: gnuplot failed: %s" % e, file=sys.stderr)
        return False
    return True


def suite_line(suites):
    """Whether every contender ran the same cipher suite, which the ratios assume."""
    names = sorted(set(suites.values()))
    if not names:
        return "The cipher suite each contender negotiated was not recorded."
    silent = sorted(c for c, s in suites.items() if s == "none")
    if silent:
        return ("**The cipher suite could not be read from %s** (openssl s_client got no "
                "handshake), so the ratios may compare different ciphers." % ", ".join(silent))
    if len(names) == 1:
        return ("Every TLS contender negotiated %s with an OpenSSL client (checked with "
                "`openssl s_client` before the cells)." % names[0])
    return ("**The contenders negotiated different cipher suites, so their ratios compare "
            "different ciphers:** %s." % ", ".join("%s %s" % kv for kv in sorted(suites.items())))


def main():
    run, outdir = sys.argv[1], sys.argv[2]
    cells = [json.loads(line) for line in open(os.path.join(run, "raw.jsonl")) if line.strip()]
    with open(os.path.join(run, "meta.txt")) as f:
        meta_lines = [line.rstrip("\n") for line in f]
    meta = dict(line.split(" ", 1) for line in meta_lines if " " in line)
    # Whether GnuTLS really handed its records to kTLS: in every repetition.
    ktls = [int(line.split()[1]) for line in meta_lines if line.startswith("gnutls_ktls_tx ")]
    if not (ktls and min(ktls) > 0):
        NAMES["gnutls"] = "gnutls-serv, kTLS off"
    rev = meta.get("rev", "?")
    # "suite CONTENDER-KIND NAME": what each TLS contender negotiated (guest.sh).
    suites = dict(line.split()[1:3] for line in meta_lines
                  if line.startswith("suite ") and len(line.split()) == 3)
    # (contender, workload) -> lists of value, server CPU ms per unit, switches per unit
    agg, failed = {}, []
    for c in cells:
        m = measure(c)
        key = (c["contender"], c["workload"])
        if not m or m[1] <= 0:
            failed.append("%s %s rep %s: %s" % (key[0], key[1], c["rep"], c["out"][-200:]))
            continue
        value, units, errs = m
        server = max(c["busy"] - c["client_cpu"], 0.0)
        a = agg.setdefault(key, {"v": [], "cpu": [], "sw": [], "err": 0, "kcpu": [], "ksw": [],
                                 "fe": [], "be": []})
        a["v"].append(value)
        a["cpu"].append(server * 1000 / units)
        if key[0] in RELAYS and "backend_cpu" in c:
            a["fe"].append(max(server - c["backend_cpu"], 0.0) * 1000 / units)
            a["be"].append(c["backend_cpu"] * 1000 / units)
        a["sw"].append(c["ctxt"] / units)
        a["err"] += errs
        a["kcpu"].append(c["watch_cpu"])
        a["ksw"].append(c["watch_switches"])

    def v(c, w, what="v"):
        a = agg.get((c, w))
        return med(a[what]) if a else None

    lines = ["# khttps benchmark", "",
             "Revision %s, guest kernel %s (gcm(aes): %s), %s vCPUs (%s), %s repetitions of %s s; "
             "nginx %s, HAProxy %s, stunnel %s, OpenSSL %s, wrk %s." % (
                 rev, meta.get("kernel", "?"), meta.get("gcm", "?"), meta.get("cpus", "?"),
                 meta.get("cpu", "?"),
                 meta.get("reps", "?"), meta.get("secs", "?"), meta.get("nginx", "?"),
                 meta.get("haproxy", "?"), meta.get("stunnel", "?"), meta.get("openssl", "?"),
                 meta.get("wrk", "?")), "",
             "The guest runs under QEMU without KVM (TCG): every instruction, AES and "
             "GHASH included, is emulated, so absolute figures mean little; only ratios "
             "within this run count. Each cell: median [min–max] over the repetitions. "
             "Server CPU is the guest's busy CPU time over the cell (/proc/stat) minus the "
             "client's own (getrusage): kernel work on the client's behalf (its TCP, "
             "softirqs) counts as server time, alike for every contender. Switches: "
             "context switches in the whole guest (/proc/stat ctxt) per unit. The guest "
             "kernel boots with Debian's defaults (command line: `%s`), without the "
             "allocator checks the tests use (slub_debug, KFENCE sampling), which would "
             "make every kernel allocation dearer and so favour user-space TLS." %
             meta.get("cmdline", "?"), "", suite_line(suites), ""]
    lines.append("| workload | contender | throughput | server CPU ms per unit | "
                 "switches per unit | errors |")
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for w, desc, unit, per in WORKLOADS:
        for c in CONTENDERS:
            a = agg.get((c, w))
            if not a:
                continue
            lines.append("| %s | %s | %s %s [%s–%s] | %s per %s | %s | %d |" % (
                desc, NAMES[c], fmt(med(a["v"])), unit, fmt(min(a["v"])), fmt(max(a["v"])),
                fmt(med(a["cpu"])), per, fmt(med(a["sw"])), a["err"]))
    fe_rows = [(w, desc, per, c) for w, desc, _, per in WORKLOADS for c in RELAYS
               if agg.get((c, w)) and agg[(c, w)]["fe"]]
    if fe_rows:
        lines += ["", "## The front end alone", "",
                  "For the contenders in front of the backend nginx, its processes' CPU time "
                  "(/proc/PID/stat) over the cell is the backend's; the rest of the server CPU "
                  "is the TLS front end's: its process or khttps's kernel work, and kernel "
                  "work that ran while no backend process was current. Per-process time is "
                  "sampled at the tick and includes softirq work that ran while that process "
                  "was current, alike for every contender. Plain HTTP has no front end: its "
                  "figure is that kernel work alone.", "",
                  "| workload | contender | front end CPU ms per unit | backend CPU ms per unit |",
                  "| --- | --- | --- | --- |"]
        for w, desc, per, c in fe_rows:
            lines.append("| %s | %s | %s per %s | %s |" % (
                desc, NAMES[c], fmt(v(c, w, "fe")), per, fmt(v(c, w, "be"))))
    lines += counters(cells)
    gcm, drv = gcm_cost(os.path.join(run, "tcrypt.txt"))
    lines += ["", "## The cipher alone", ""]
    if gcm:
        lines.append("Kernel gcm(aes) (%s), 128-bit key, 8192-byte blocks, encryption: %s MB/s "
                     "on one vCPU, %s CPU ms per MB (tcrypt mode 211)." % (drv, fmt(gcm),
                                                                          fmt(1000 / gcm)))
        q = v("queue", "64m", "cpu")
        if q:
            lines.append("khttps queue mode, 64 MiB: %s server CPU ms per MB, %.1f× the cipher "
                         "alone; the rest is %.0f%% of the cipher (aim: at most 25%%, reported, "
                         "not gated: the client's decryption and TCP share these CPUs)." % (
                             fmt(q), q * gcm / 1000, 100 * (q * gcm / 1000 - 1)))
    else:
        lines.append("tcrypt gave no gcm(aes) figure in this run (see tcrypt.txt).")

    lines += ["", "## Targets (ratios within this run)", "", "| target | measured | met |",
              "| --- | --- | --- |"]

    def target(name, ratio, goal, le=False, why=""):
        if ratio is None:
            lines.append("| %s | not measured%s | – |" % (name, why))
            return
        ok = ratio <= goal if le else ratio >= goal
        lines.append("| %s | %.2f× | %s |" % (name, ratio, "yes" if ok else "**no**"))

    def ratio(a, b):
        return a / b if a is not None and b else None

    peers = [p for p in ("haproxy", "stunnel") if v(p, "small") is not None]
    best = max(peers, key=lambda p: v(p, "small")) if peers else None
    target("forward, small requests: req/s ≥ 1.5× best of HAProxy/stunnel (%s)" % best,
           ratio(v("fwd", "small"), v(best, "small") if best else None), 1.5)
    cheap = min((v(p, "small", "cpu") for p in peers), default=None)
    target("forward, small requests: CPU per request ≤ 0.6× HAProxy's/stunnel's (lower)",
           ratio(v("fwd", "small", "cpu"), cheap), 0.6, le=True)
    cheap_fe = min((v(p, "small", "fe") for p in peers if v(p, "small", "fe") is not None),
                   default=None)
    target("forward, small requests: front end CPU per request (without the backend's) "
           "≤ 0.6× HAProxy's/stunnel's (lower)", ratio(v("fwd", "small", "fe"), cheap_fe), 0.6,
           le=True)
    target("queue, 64 MiB: MB/s ≥ 1.2× nginx", ratio(v("queue", "64m"), v("nginx", "64m")), 1.2)
    target("queue, 64 MiB: MB/s ≥ 1.0× a user-space-handshake kTLS server (gnutls-serv)",
           ratio(v("queue", "64m"), v("gnutls", "64m")) if ktls and min(ktls) > 0 else None, 1.0,
           why="" if not ktls else ": kTLS did not engage (below)")
    # Both modes: forward opens a backend connection per client as HAProxy
    # and stunnel do, queue mode serves the file itself as nginx does.
    for w, what in (("full-ec", "full handshakes/s, ECDSA"), ("full-rsa", "full handshakes/s, RSA"),
                    ("resumed-ec", "resumed handshakes/s")):
        for c in ("fwd", "queue"):
            target("%s, %s: ≥ 0.9× nginx" % (what, NAMES[c]), ratio(v(c, w), v("nginx", w)), 0.9)
    for c in ("fwd", "queue"):
        a = agg.get((c, "steady"))
        if a:
            lines.append("| khttpsd idle while %s connections move data (1 MiB responses, "
                         "after the handshakes) | CPU %s s, %s context switches (max over reps) | %s |"
                         % (NAMES[c], fmt(max(a["kcpu"])), max(a["ksw"]),
                            "yes" if max(a["kcpu"]) == 0 and max(a["ksw"]) == 0 else "**no**"))
    mem = {}
    try:
        for line in open(os.path.join(run, "memory.txt")):
            name, n, before, after = line.split()
            mem[name] = (int(after) - int(before)) / int(n)
    except (OSError, ValueError):
        pass
    if "fwd" in mem and "plain" in mem:
        extra = mem["fwd"] - 2 * mem["plain"]
        lines.append("| kernel memory per idle forward connection beyond its TCP sockets ≤ 24 KiB "
                     "| %.1f KiB (%.1f KiB with its 4 sockets; a plain connection's 2: %.1f KiB%s) "
                     "| %s |" % (extra, mem["fwd"], mem["plain"],
                                 "; nginx TLS: %.1f KiB" % mem["nginx"] if "nginx" in mem else "",
                                 "yes" if extra <= 24 else "**no**"))
    else:
        lines.append("| kernel memory per idle connection ≤ 24 KiB beyond TCP | not measured | – |")
    if v("gnutls", "64m") is not None:
        lines += ["", "The user-space kTLS server is gnutls-serv (GnuTLS %s) with `ktls = true` in "
                  "its system configuration: it answers every request with the 64 MiB file, so it "
                  "is in that workload only. kTLS TX contexts it opened per repetition: %s%s." % (
                      meta.get("gnutls", "?"), ", ".join(str(k) for k in ktls) or "none recorded",
                      "" if ktls and min(ktls) > 0 else " — kTLS did not engage, so its figure is "
                      "a user-space TLS server's and no target is judged against it. Debian 12's "
                      "GnuTLS 3.7.9 is built without kTLS: it reads `ktls = true` but never sets the "
                      "TCP_ULP socket option (strace), and the library lacks the message its kTLS "
                      "code logs when that fails; Debian's OpenSSL 3.0 has no kTLS either, so no "
                      "Debian package gives a user-space-handshake kTLS server")]
    if failed:
        lines += ["", "## Cells without a result", ""] + ["- " + f.replace("\n", " ") for f in failed]
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")

    if not any(c == "nginx" for c, _ in agg):
        print("report.py: no nginx cell (BENCH_ONLY), so no chart", file=sys.stderr)
    elif not chart(outdir, rev, agg, v):
        return 1
    print("\n".join(lines))
    return 0

if __name__ == "__main__":
    sys.exit(main())
