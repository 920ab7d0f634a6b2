#!/usr/bin/env python3
"""Tables of tls-vs-floor.sh output: per workload and server, the medians of the raw rate and of
the rate per server CPU-second (handshakes, or MB of echoed payload, per second of the server's
user+system time), and for idle the server's RSS growth per connection; then the ratios against
the C floor and against nio, each taken within a round (servers of one round ran minutes apart
at most) and given as the median over rounds with its range; then resumed against full
handshakes per server.

    Benchmarks/Scripts/tls-vs-floor.sh 3 4 | tee tls.txt
    Benchmarks/Scripts/summarize-tls.py tls.txt [more.txt ...] [--max-other PCT]

Several files (several runs of the script) are summarised together, each file's rounds apart.

Failed runs are left out; with --max-other, so are runs in which everything but the server and
the load generator used more than PCT percent of one CPU (the `other` column shows the largest
value among a row's runs).
"""
import re
import statistics
import sys
from collections import defaultdict

args = sys.argv[1:]
max_other = None
if "--max-other" in args:
    i = args.index("--max-other")
    max_other = float(args[i + 1])
    del args[i:i + 2]

# runs[(workload, server)][round] = (raw, per_cpu_second_or_rss, other, fields)
runs = defaultdict(dict)
workloads, servers = [], []
lines = [(n, line) for n, path in enumerate(args) for line in open(path)] if args else [(0, l) for l in sys.stdin]
for n, line in lines:
    if not line.startswith("server=") or "RESULT" not in line:
        continue
    f = dict(re.findall(r"(\w+)=(\S+)", line))
    w, s, r = f["workload"], f["server"], (n, int(f["round"]))
    if f.get("status") != "ok":
        print(f"skipped a failed run: {w} {s} round {r}: {line.strip()[:200]}", file=sys.stderr)
        continue
    other = float(f.get("other_cpu_pct", "0"))
    if max_other is not None and other > max_other:
        print(f"skipped a disturbed run (other_cpu_pct={other}): {w} {s} round {r}", file=sys.stderr)
        continue
    mode = f["mode"]
    if mode == "handshake":
        raw, eff = float(f["hs_per_s"]), 1e6 / float(f["server_cpu_us_per_hs"])
        f["_extra"] = f"{float(f['resumed_pct']):.0f}% resumed, server CPU {float(f['server_cpu_pct']):.0f}%, client CPU {float(f['client_cpu_pct']):.0f}%"
    elif mode == "bulk":
        raw, eff = float(f["MBps"]), 1e3 / float(f["server_cpu_ns_per_byte"])
        f["_extra"] = f"server CPU {float(f['server_cpu_pct']):.0f}%, client CPU {float(f['client_cpu_pct']):.0f}%"
    elif mode == "idle":
        raw, eff = float(f["server_rss_kb_held"]) / 1024, float(f["server_rss_per_conn_b"])
        f["_extra"] = f"{f['still_open']}/{f['conns']} open"
    else:
        continue
    runs[(w, s)][r] = (raw, eff, other, f)
    if w not in workloads:
        workloads.append(w)
    if s not in servers:
        servers.append(s)

order = ["floor", "nio", "handler", "async"]
servers.sort(key=lambda name: order.index(name) if name in order else len(order))
units = {"handshake": ("handshakes/s", "per server CPU-s"), "bulk": ("MB/s", "MB per server CPU-s"),
         "idle": ("server RSS MiB", "RSS B per conn")}


def med(values):
    return statistics.median(values) if values else float("nan")


def ratio_text(w, s, peer, index):
    """Median and range over rounds of s/peer, both measured in the same round."""
    mine, theirs = runs.get((w, s), {}), runs.get((w, peer), {})
    ratios = [mine[r][index] / theirs[r][index] for r in mine if r in theirs and theirs[r][index] > 0]
    if not ratios:
        return "-"
    if len(ratios) == 1:
        return f"{ratios[0]:.2f}x"
    return f"{med(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


for w in workloads:
    mode = next(iter(next(v for k, v in runs.items() if k[0] == w).values()))[3]["mode"]
    raw_unit, eff_unit = units[mode]
    print(f"\n{w}: {raw_unit}, {eff_unit}")
    print(f"| server | {raw_unit} | {eff_unit} | {eff_unit} vs floor | vs nio | {raw_unit} vs floor | vs nio | other CPU % (max) | runs |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in servers:
        rs = runs.get((w, s), {})
        if not rs:
            continue
        raw = med([v[0] for v in rs.values()])
        eff = med([v[1] for v in rs.values()])
        other = max(v[2] for v in rs.values())
        fmt = "{:,.0f}" if mode != "bulk" else "{:,.1f}"
        print(f"| {s} | {fmt.format(raw)} | {fmt.format(eff)} | {ratio_text(w, s, 'floor', 1)} | {ratio_text(w, s, 'nio', 1)} "
              f"| {ratio_text(w, s, 'floor', 0)} | {ratio_text(w, s, 'nio', 0)} | {other:.0f} | {len(rs)} |")
    for s in servers:
        for r, v in sorted(runs.get((w, s), {}).items()):
            print(f"    {s} round {r}: {v[3]['_extra']}", file=sys.stderr)

if "full" in workloads and "resumed" in workloads:
    print("\nresumed against full handshakes, per server CPU-second (same round)")
    print("| server | resumed / full |")
    print("|---|---:|")
    for s in servers:
        full, resumed = runs.get(("full", s), {}), runs.get(("resumed", s), {})
        ratios = [resumed[r][1] / full[r][1] for r in resumed if r in full]
        if ratios:
            print(f"| {s} | {med(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) |")
