#!/usr/bin/env python3
"""Summarises proxy-vs-haproxy.sh output: the median of each proxy's rate and CPU per unit
of work per test, and both as ratios to HAProxy's (plain, no splice) in the same run.

    Benchmarks/Scripts/summarize-proxy.py RESULTS.txt

Rate is Gbit/s (iperf3) or requests/s (redis-benchmark); CPU is the proxy's CPU seconds per
GB (iperf3) or microseconds per request (redis). Prints a Markdown table.
"""
import re
import statistics
import sys
from collections import defaultdict

runs = defaultdict(list)
order_tests, order_proxies = [], []
for line in open(sys.argv[1]):
    if not line.startswith("RESULT "):
        continue
    fields = dict(re.findall(r"(\w+)=(\S+)", line))
    test, proxy = fields["test"], fields["proxy"]
    if test not in order_tests:
        order_tests.append(test)
    if proxy not in order_proxies:
        order_proxies.append(proxy)
    try:
        rate = float(fields["rate"])
        work = float(fields["work"])
        cpu = float(fields["cpu_s"])
    except ValueError:
        continue
    per_unit = cpu / work if work > 0 else float("nan")
    if test.startswith("redis"):
        per_unit *= 1e6  # microseconds per request
    runs[(test, proxy)].append((rate, per_unit))


def median(values):
    return statistics.median(values) if values else float("nan")


print("| test | proxy | rate | rate vs HAProxy | CPU per unit | CPU vs HAProxy | runs |")
print("|---|---|---|---|---|---|---|")
for test in order_tests:
    unit = "Gbit/s" if test.startswith("iperf") else "req/s"
    cpu_unit = "CPU s/GB" if test.startswith("iperf") else "CPU µs/req"
    base = runs.get((test, "haproxy"), [])
    base_rate = median([r for r, _ in base])
    base_cpu = median([c for _, c in base])
    for proxy in order_proxies:
        values = runs.get((test, proxy), [])
        if not values:
            continue
        rate = median([r for r, _ in values])
        cpu = median([c for _, c in values])
        if proxy == "direct":
            print(f"| {test} | direct (no proxy) | {rate:,.3g} {unit} | | | | {len(values)} |")
            continue
        rate_ratio = f"{rate / base_rate:.2f}x" if base_rate == base_rate and base_rate > 0 else ""
        cpu_ratio = f"{cpu / base_cpu:.2f}x" if base_cpu == base_cpu and base_cpu > 0 else ""
        print(f"| {test} | {proxy} | {rate:,.4g} {unit} | {rate_ratio} | {cpu:.3g} {cpu_unit} | {cpu_ratio} | {len(values)} |")
