#!/usr/bin/env python3
"""Sums the `onednn_verbose,exec` lines of a log (ONEDNN_VERBOSE=1) by primitive kind,
implementation, propagation and shape, and prints milliseconds and calls per step, largest first.
Not a test. Usage: python3 benchmarks/onednn_verbose_summary.py LOG STEPS [TOP]
STEPS: how many steps the log covers (for benchmarks/native.ts: warm-up + steps, + 1 with --profile).
"""
import collections
import sys


def main():
    log, steps = sys.argv[1], float(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    totals = collections.defaultdict(lambda: [0.0, 0])
    with open(log) as lines:
        for line in lines:
            if not line.startswith("onednn_verbose,exec"):
                continue
            fields = line.strip().split(",")
            key = (fields[3], fields[4], fields[5], fields[-2])
            totals[key][0] += float(fields[-1])
            totals[key][1] += 1
    for key, (ms, calls) in sorted(totals.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"{ms / steps:9.1f} ms {calls / steps:5.1f}x  {' | '.join(key)}")
    print(f"total {sum(v[0] for v in totals.values()) / steps:.1f} ms per step")


if __name__ == "__main__":
    main()
