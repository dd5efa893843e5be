#!/usr/bin/env python3
"""Writes the "Two nodes against one" section of docs/benchmarks.md from bench/cluster.sh's
results: medians of the runs, and the ratio two nodes / one measured in the same run."""
import argparse, json, pathlib, re, statistics

MARK_START = "<!-- cluster:start -->"
MARK_END = "<!-- cluster:end -->"


def value(path, keys):
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    for k in keys:
        if not isinstance(data, dict) or k not in data:
            return None
        data = data[k]
    return data


def median(results, nodes, name, keys):
    vals = []
    for run in sorted((results / f"nodes{nodes}").glob("run*")):
        v = value(run / f"{name}.json", keys)
        if isinstance(v, (int, float)):
            vals.append(v)
    return (statistics.median(vals), vals) if vals else (None, [])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--doc", required=True)
    ap.add_argument("--group", type=int, default=500)
    a = ap.parse_args()
    results = pathlib.Path(a.results)
    rows = [
        ("S2 1:1: max msg/s (p99 <= 100 ms, >= 99.9 %)", "s2max", ["max_rate"], ""),
        ("S2 at that rate: delivered msg/s", "s2max", ["result", "deliveries_per_s"], ""),
        ("S2 at that rate: ack p99", "s2max", ["result", "ack", "p99_ms"], " ms"),
        (f"S3 group of {a.group}: max msg/s", "s3max", ["max_rate"], ""),
        (f"S3 group of {a.group}: deliveries/s at that rate", "s3max", ["result", "deliveries_per_s"], ""),
        (f"S3 group of {a.group}: last recipient p99 at that rate", "s3max", ["result", "delivery", "p99_ms"], " ms"),
    ]
    load = (results / "loadavg").read_text().split()[:3] if (results / "loadavg").exists() else []
    out = [MARK_START, "## Two nodes against one (issue 11)", "",
           "`bash bench/cluster.sh`: Parley on PostgreSQL with Redis between the nodes, one node "
           "against two, both behind `parley-proxy` (loadgen's sockets alternate between the "
           "nodes, so most deliveries cross Redis with two). Medians of the runs, each run's "
           "values in brackets; the ratio is two nodes / one from the same run of the script. "
           "This machine has 2 cores, which both nodes, PostgreSQL, Redis, the proxy and "
           "loadgen share: the second node adds no CPU, so the ratio measures what the Redis "
           "hop costs, not how far a cluster scales on machines of its own.", "",
           f"Load average at the end: {' '.join(load)}." if load else "", "",
           "| metric | 1 node | 2 nodes | 2 / 1 |", "|---|---|---|---|"]
    for label, name, keys, unit in rows:
        one, one_runs = median(results, 1, name, keys)
        two, two_runs = median(results, 2, name, keys)
        fmt = lambda v, runs: "n/a" if v is None else f"{v:,.0f}{unit} ({' / '.join(f'{x:,.0f}' for x in runs)})"
        ratio = f"{two / one:.2f}×" if one and two is not None else "n/a"
        out.append(f"| {label} | {fmt(one, one_runs)} | {fmt(two, two_runs)} | {ratio} |")
    out += ["",
            "Reading it: a 1:1 message crosses Redis only when its two users are on different "
            "nodes, and the two nodes can use both cores where one node's writer and sockets "
            "were the limit, which is why S2 can gain even here. A group message to 500 "
            "members spread over two nodes is fanned out by both nodes (each holds half the "
            "sockets) and carries the recipients' ids through a Redis script, all on the "
            "same two cores that one node had to itself; the extra work per message shows "
            "as a lower S3 rate. The script asks each node's user set once per message "
            "(`SMISMEMBER`); the first version asked the directory once per recipient (500 "
            "calls inside the script per message, even with one node), and the run before "
            "this one measured S3 at 1,000 msg/s on one node and 450 on two with it. On machines of their own, nodes add CPU; that "
            "cannot be measured on this one.",
            "", MARK_END]
    section = "\n".join(out)
    doc = pathlib.Path(a.doc)
    text = doc.read_text() if doc.exists() else ""
    if MARK_START in text:
        text = re.sub(re.escape(MARK_START) + ".*?" + re.escape(MARK_END), section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(text)


if __name__ == "__main__":
    main()
