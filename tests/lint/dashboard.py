#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check the shipped Grafana dashboard against what the daemon exports.

    dashboard.py DASHBOARD.json STATS.prom

Every metric a panel queries must be in the daemon's Prometheus file
(daemon.stats_file), and every label a query groups by (`by (x)`) must be
a label of the metrics that query reads. Prints "dashboard: N passed,
M failed" and exits non-zero on a failure.
"""
import json
import re
import sys


def exported(path):
    """metric name -> set of label names, from the exposition text."""
    metrics = {}
    for line in open(path, encoding="utf-8"):
        if not line.strip() or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s", line)
        if not m:
            continue
        labels = metrics.setdefault(m.group(1), set())
        for kv in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', m.group(3) or ""):
            labels.add(kv)
    return metrics


def exprs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expr" and isinstance(v, str):
                yield v
            else:
                yield from exprs(v)
    elif isinstance(node, list):
        for v in node:
            yield from exprs(v)


def main():
    board = json.load(open(sys.argv[1], encoding="utf-8"))
    have = exported(sys.argv[2])
    passed = failed = 0
    found = list(exprs(board))
    if not found:
        print("dashboard: no queries found")
        failed += 1
    for e in found:
        names = set(re.findall(r"\bsipwarden_[a-z0-9_]+", e))
        groups = set()
        for g in re.findall(r"\bby\s*\(([^)]*)\)", e):
            groups.update(x.strip() for x in g.split(",") if x.strip())
        ok = True
        for n in sorted(names):
            if n not in have:
                print(f"dashboard: {n} (in '{e}') is not exported")
                ok = False
        for g in sorted(groups):
            if not any(g in have.get(n, set()) for n in names):
                print(f"dashboard: label '{g}' (in '{e}') is on none of {sorted(names)}")
                ok = False
        if ok:
            passed += 1
        else:
            failed += 1
    print(f"dashboard: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
