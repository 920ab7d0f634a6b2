#!/usr/bin/env python3
"""Median table of echo-vs-nio.sh output: one row per workload and server, ratios against nio.
Runs that failed, or that another program disturbed (other_cpu_pct > 20), are left out.

    Benchmarks/Scripts/echo-vs-nio.sh 3 4 | tee results.txt
    Benchmarks/Scripts/summarize.py results.txt
"""
import re
import statistics
import sys
from collections import defaultdict

args = [a for a in sys.argv[1:] if not a.startswith("--")]
tsv = "--tsv" in sys.argv
rows = defaultdict(lambda: defaultdict(list))
order = []
for line in open(args[0]) if args else sys.stdin:
    if "server=" not in line or "RESULT" not in line:
        continue
    fields = dict(re.findall(r"(\w+)=(\S+)", line))
    if fields.get("status") != "ok":
        print(f"skipped a failed run: {line.strip()}", file=sys.stderr)
        continue
    try:
        disturbed = float(fields.get("other_cpu_pct", "0")) > 20
    except ValueError:
        disturbed = False
    if disturbed:
        print(f"skipped a disturbed run (other_cpu_pct={fields['other_cpu_pct']}): "
              f"{fields.get('server')} -c {fields.get('conns')} -s {fields.get('size')} -p {fields.get('pipeline')}",
              file=sys.stderr)
        continue
    workload = f"-c {fields['conns']} -s {fields['size']} -p {fields['pipeline']}"
    if workload not in order:
        order.append(workload)
    for key in ("msgs_per_s", "MBps", "p99_us", "server_cpu_us_per_msg", "other_cpu_pct"):
        try:
            rows[workload][(fields["server"], key)].append(float(fields[key]))
        except (KeyError, ValueError):
            pass

def median(workload, server, key):
    values = rows[workload].get((server, key))
    return statistics.median(values) if values else None

if tsv:
    # workload, then per server (async, handler): msgs/s ratio and CPU/msg ratio against nio.
    print("workload\tasync_rate\thandler_rate\tasync_cpu\thandler_cpu")
    for workload in order:
        base = median(workload, "nio", "msgs_per_s")
        base_cpu = median(workload, "nio", "server_cpu_us_per_msg")
        values = []
        for key, reference in (("msgs_per_s", base), ("server_cpu_us_per_msg", base_cpu)):
            for server in ("async", "handler"):
                value = median(workload, server, key)
                values.append(f"{value / reference:.3f}" if value and reference else "0")
        print(f"\"{workload}\"\t{values[0]}\t{values[1]}\t{values[2]}\t{values[3]}")
    sys.exit(0)

print("| workload | server | msgs/s | MB/s | p99 µs | CPU µs/msg | msgs/s vs nio | CPU/msg vs nio | runs |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for workload in order:
    servers = sorted({server for server, _ in rows[workload]}, key=lambda s: (s != "nio", s))
    base = median(workload, "nio", "msgs_per_s")
    base_cpu = median(workload, "nio", "server_cpu_us_per_msg")
    for server in servers:
        rate = median(workload, server, "msgs_per_s")
        cpu = median(workload, server, "server_cpu_us_per_msg")
        ratio = f"{rate / base:.2f}x" if base and rate else ""
        cpu_ratio = f"{cpu / base_cpu:.2f}x" if base_cpu and cpu else ""
        runs = len(rows[workload][(server, "msgs_per_s")])
        print(f"| `{workload}` | {server} | {rate:,.0f} | {median(workload, server, 'MBps'):.1f} | "
              f"{median(workload, server, 'p99_us'):,.0f} | {cpu:.2f} | {ratio} | {cpu_ratio} | {runs} |")
