#!/usr/bin/env python3
"""Summarises the TimersVsNIO benchmark's per-iteration figures (name, metric, value lines).

Prints, for each benchmark and metric, the median over all iterations of all rounds, the
minimum and maximum, and operations per second; then the ratios of EventLoop to SwiftNIO in
operations per second (median against median).
"""
import statistics
import sys
from collections import defaultdict

values = defaultdict(list)
for line in open(sys.argv[1]):
    name, metric, value = line.rstrip("\n").split("\t")
    values[(name, metric)].append(int(value))

def median(name, metric):
    data = values.get((name, metric))
    return statistics.median(data) if data else None

print(f"{'benchmark':58} {'metric':11} {'median':>9} {'min':>9} {'max':>9} {'Mops/s':>8}  n")
for (name, metric), data in sorted(values.items()):
    if metric == "fired":
        continue
    med = statistics.median(data)
    rate = f"{1e6 / med:8.2f}" if metric.endswith("_ps") and med > 0 else " " * 8
    print(f"{name:58} {metric:11} {med:9.0f} {min(data):9} {max(data):9} {rate}  {len(data)}")

comparisons = [
    ("arm", "arm_ps", "arm+cancel 1M: "),
    ("cancel", "cancel_ps", "arm+cancel 1M: "),
    ("churn (cancel+arm)", "churn_ps", "churn 1M (10k armed): "),
]
ours = ["wheel alone", "Reactor.schedule"]
peers = ["NIO scheduleTask", "NIO scheduleCallback", "NIO Embedded scheduleTask"]
print("\nratio = EventLoop ops/s / SwiftNIO ops/s (medians; goal >= 5)")
for mine in ours:
    for peer in peers:
        a = [median("arm+cancel 1M: " + mine, m) for m in ("arm_ps", "cancel_ps")]
        b = [median("arm+cancel 1M: " + peer, m) for m in ("arm_ps", "cancel_ps")]
        if None not in a and None not in b:
            print(f"  {'arm+cancel (pair)':20} {mine:17} vs {peer:26} {sum(b) / sum(a):7.2f}x")
for label, metric, prefix in comparisons:
    for mine in ours:
        for peer in peers:
            a, b = median(prefix + mine, metric), median(prefix + peer, metric)
            if a and b:
                print(f"  {label:20} {mine:17} vs {peer:26} {b / a:7.2f}x")
for mine, peer in [("virtual time): wheel alone", "virtual time): NIO Embedded scheduleTask"),
                   ("virtual time): Reactor.schedule + ManualClock", "virtual time): NIO Embedded scheduleTask"),
                   ("real time, loop CPU): Reactor.schedule", "real time, loop CPU): NIO scheduleTask")]:
    a, b = median("fire 1M (" + mine, "fire_ps"), median("fire 1M (" + peer, "fire_ps")
    if a and b:
        print(f"  {'fire':20} {mine:45} vs {peer.split(': ')[1]:26} {b / a:7.2f}x")
