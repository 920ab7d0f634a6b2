#!/usr/bin/env python3
"""Median table of udp-vs-nio.sh output: one row per workload and server, ratios against nio
(vector reads on), and the gain from batching (each server against its batch-1 twin).
Failed runs are left out; so are runs another program disturbed: with the C load generator,
other_cpu_pct above --max-other (default 20); with the Swift client, which does not measure
that, a server that got less than --min-server-cpu percent (default 80) of its CPU (at these
loads the pinned server is the bottleneck and uses all of its CPU unless something else runs
on it).

    Benchmarks/Scripts/udp-vs-nio.sh 3 4 | tee udp.txt
    Benchmarks/Scripts/summarize-udp.py udp.txt [--max-other 20] [--min-server-cpu 80]
"""
import re
import statistics
import sys
from collections import defaultdict

args = sys.argv[1:]
max_other = 20.0
if "--max-other" in args:
    i = args.index("--max-other")
    max_other = float(args[i + 1])
    del args[i:i + 2]
min_server_cpu = 80.0
if "--min-server-cpu" in args:
    i = args.index("--min-server-cpu")
    min_server_cpu = float(args[i + 1])
    del args[i:i + 2]
rows = defaultdict(lambda: defaultdict(list))
order = []
for line in open(args[0]) if args else sys.stdin:
    if "server=" not in line or "RESULT" not in line:
        continue
    fields = dict(re.findall(r"(\w+)=(\S+)", line))
    if fields.get("status") != "ok":
        print(f"skipped a failed run: {line.strip()[:160]}", file=sys.stderr)
        continue
    if float(fields.get("other_cpu_pct", "0")) > max_other:
        print(f"skipped a disturbed run (other_cpu_pct={fields['other_cpu_pct']}): {fields['server']}", file=sys.stderr)
        continue
    if "other_cpu_pct" not in fields and float(fields.get("server_cpu_pct", "100")) < min_server_cpu:
        print(f"skipped a starved run (server_cpu_pct={fields['server_cpu_pct']}): {fields['server']}", file=sys.stderr)
        continue
    workload = f"-f {fields['flows']} -s {fields['size']} -p {fields['pipeline']} --batch {fields['batch']}"
    if workload not in order:
        order.append(workload)
    for key in ("pps", "p99_us", "loss_pct", "server_cpu_us_per_msg", "other_cpu_pct"):
        try:
            rows[workload][(fields["server"], key)].append(float(fields[key]))
        except (KeyError, ValueError):
            pass

def median(workload, server, key):
    values = rows[workload].get((server, key))
    return statistics.median(values) if values else None

def other(workload, server):
    value = median(workload, server, "other_cpu_pct")
    return f"{value:.0f}" if value is not None else "n/a"

def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else ""

print("| workload | server | pkts/s | p99 µs | loss % | CPU µs/pkt | pkts/s vs nio | CPU/pkt vs nio | batch 32 vs 1 | other CPU % | runs |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for workload in order:
    servers = sorted({server for server, _ in rows[workload]}, key=lambda s: (not s.startswith("nio"), s))
    base = median(workload, "nio", "pps")
    base_cpu = median(workload, "nio", "server_cpu_us_per_msg")
    for server in servers:
        rate = median(workload, server, "pps")
        cpu = median(workload, server, "server_cpu_us_per_msg") or 0
        twin = server.replace("-nogso", "") + "-b1"
        gain = ratio(rate, median(workload, twin, "pps")) if not server.endswith("-b1") else ""
        runs = len(rows[workload][(server, "pps")])
        print(f"| `{workload}` | {server} | {rate:,.0f} | {median(workload, server, 'p99_us'):,.0f} | "
              f"{median(workload, server, 'loss_pct'):.2f} | {cpu:.2f} | {ratio(rate, base)} | {ratio(cpu, base_cpu)} | "
              f"{gain} | {other(workload, server)} | {runs} |")
