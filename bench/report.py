#!/usr/bin/env python3
"""Writes docs/benchmarks.md from bench/run.sh's results: the median of the runs of every
scenario per system, ratios Parley / peer hub from the same run, the issue's targets with
met / not met, the machine and the command to reproduce it."""

import argparse
import glob
import json
import os
import platform
import statistics
import subprocess

SYSTEMS = [
    ("sqlite", "Parley SQLite"),
    ("postgres", "Parley PostgreSQL"),
    ("nopersist", "Parley, no persistence"),
    ("go-forward", "Go hub, forward"),
    ("go-reencode", "Go hub, re-encode"),
    ("node-forward", "Node hub, forward"),
    ("node-reencode", "Node hub, re-encode"),
]
PARLEY = ["sqlite", "postgres", "nopersist"]


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:  # noqa: BLE001 - a missing tool only leaves a blank in the report
        return ""


def load(results):
    """{system: {scenario: [json per run]}} over run1..runN (the set-up pass is ignored)."""
    data = {}
    for path in sorted(glob.glob(os.path.join(results, "*", "run*", "*.json"))):
        system = path.split(os.sep)[-3]
        name = os.path.basename(path)[:-5]
        try:
            with open(path) as f:
                data.setdefault(system, {}).setdefault(name, []).append(json.load(f))
        except (OSError, ValueError):
            pass
    return data


def dig(obj, path):
    for key in path:
        if obj is None:
            return None
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def median(data, system, scenario, path):
    runs = data.get(system, {}).get(scenario, [])
    if "max" in scenario and path[0] == "result":
        # "At that rate" only where some rate held.
        runs = [r for r in runs if r.get("max_rate") is not None]
    vals = [dig(r, path) for r in runs]
    vals = [v for v in vals if isinstance(v, (int, float))]
    return statistics.median(vals) if vals else None


def fmt(v, unit="", digits=0):
    if v is None:
        return "—"
    if digits == 0:
        return f"{v:,.0f}{unit}"
    return f"{v:,.{digits}f}{unit}"


def metrics(s3_sizes):
    """(label, scenario file, json path, unit, digits, higher_is_better, parley_only)."""
    m = [
        ("S1 server RSS per idle socket", "s1", ["per_conn_kib"], " KiB", 1, False, False),
        ("S2 1:1 at 500 msg/s: delivery p50", "s2", ["result", "delivery", "p50_ms"], " ms", 2, False, False),
        ("S2 1:1 at 500 msg/s: delivery p99", "s2", ["result", "delivery", "p99_ms"], " ms", 2, False, False),
        ("S2 1:1 at 500 msg/s: delivery p99.9", "s2", ["result", "delivery", "p999_ms"], " ms", 2, False, False),
        ("S2 1:1 at 500 msg/s: ack p99", "s2", ["result", "ack", "p99_ms"], " ms", 2, False, True),
        ("S2 1:1 at 500 msg/s: delivered", "s2", ["result", "delivered_pct"], " %", 3, True, False),
        ("S2 1:1 max msg/s (p99 <= 100 ms, >= 99.9 %)", "s2max", ["max_rate"], "", 0, True, False),
        ("S2 at that rate: delivered msg/s", "s2max", ["result", "deliveries_per_s"], "", 0, True, False),
        ("S2 at that rate: ack p99", "s2max", ["result", "ack", "p99_ms"], " ms", 2, False, True),
    ]
    for g in s3_sizes:
        m += [
            (f"S3 group of {g} at 20 msg/s: last recipient p50", f"s3-{g}", ["result", "delivery", "p50_ms"], " ms", 2, False, False),
            (f"S3 group of {g} at 20 msg/s: last recipient p99", f"s3-{g}", ["result", "delivery", "p99_ms"], " ms", 2, False, False),
            (f"S3 group of {g} at 20 msg/s: delivered", f"s3-{g}", ["result", "delivered_pct"], " %", 3, True, False),
            (f"S3 group of {g}: max msg/s", f"s3max-{g}", ["max_rate"], "", 0, True, False),
            (f"S3 group of {g}: deliveries/s at that rate", f"s3max-{g}", ["result", "deliveries_per_s"], "", 0, True, False),
        ]
    m += [
        ("S5 connection storm: handshakes/s", "s5", ["handshakes_per_s"], "", 0, True, False),
        ("S6 GET /api/conversations (1,000 conversations) p50", "s6", ["latency", "p50_ms"], " ms", 2, False, True),
        ("S6 GET /api/conversations p99", "s6", ["latency", "p99_ms"], " ms", 2, False, True),
        ("S7 RSS after the first login", "s7", ["rss_first_login_kib"], " KiB", 0, False, True),
        ("S7 RSS after 1,000 more logins", "s7", ["rss_after_kib"], " KiB", 0, False, True),
        ("S7 growth", "s7", ["growth_kib"], " KiB", 0, False, True),
    ]
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", default="0")
    ap.add_argument("--s1-conns", default="10000")
    ap.add_argument("--s2-pairs", default="100")
    a = ap.parse_args()
    data = load(a.results)
    present = [(k, label) for k, label in SYSTEMS if k in data]
    s3_sizes = sorted({int(n.split("-")[1]) for d in data.values() for n in d if n.startswith("s3-")})
    runs = max((len(v) for d in data.values() for v in d.values()), default=0)
    ms = metrics(s3_sizes)

    def med(system, metric):
        _, scen, path, *_ = metric
        return median(data, system, scen, path)

    out = []
    w = out.append
    w("# Benchmarks (issue 10)\n")
    w("Generated by `make bench` (`bash bench/run.sh`); do not edit by hand." + (
        " **Quick mode (`BENCH_QUICK=1`): one short run with small sizes; not the report's numbers.**" if a.quick == "1" else ""))
    w("")
    w("## Machine\n")
    cpu = sh("lscpu | sed -n 's/^Model name: *//p' | head -1")
    w(f"- CPU: {cpu or 'unknown'}, {os.cpu_count()} cores; kernel {platform.release()}")
    w(f"- {sh('rustc --version')}; {sh('go version')}; node {sh('node --version')}; {sh('psql --version')}")
    loadavg = ""
    try:
        with open(os.path.join(a.results, "loadavg")) as f:
            loadavg = f.read().split()[0]
    except OSError:
        pass
    if loadavg:
        w(f"- Load average when the run started: {loadavg} (the machine may be shared; other work on it shows up as noise)")
    w(f"- Server pinned to core 0, loadgen to core 1 (`taskset`); PostgreSQL was given core 1 too, "
      f"so on PostgreSQL it shares that core with loadgen.")
    w(f"- S7 runs on Parley SQLite only (login memory does not depend on the message store).")
    w(f"- Medians of {runs} run(s) per system. S1: {a.s1_conns} idle sockets (Parley: 100 users x 100 "
      f"sockets; peers: one per user id). S2: {a.s2_pairs} friend pairs, both directions. S3: every member "
      f"connected once; 2 senders at 20 msg/s, 4 for the max-rate search.")
    w("- Latency is measured from each message's *scheduled* send time (fixed offered rate, no coordinated "
      "omission). \"Max msg/s\": doubling from 2,000 msg/s (S3: 100) until a step fails, then bisecting; a step "
      "holds when delivery p99 (S3: time to the last recipient) <= 100 ms and >= 99.9 % of deliveries arrive.")
    w("- loadgen has one core: a hub's max rate at loadgen's own ceiling (the same number for every hub, or "
      "the search's last step) is a lower bound for that hub, and the ratios against it are upper bounds.")
    persist_note = (
        "; \"no persistence\" is Parley with `PARLEY_BENCH_NO_PERSIST=1` (benchmark only)"
        if "nopersist" in data
        else "; Parley without persistence was not measured in this run"
    )
    w("- Parley SQLite and PostgreSQL acknowledge a message only once it is durably stored"
      + persist_note + ". The peer hubs never persist and send no acks.")
    w("")
    if not present:
        w("No results were found.\n")
    else:
        w("## Medians\n")
        w("| scenario | " + " | ".join(label for _, label in present) + " |")
        w("|---|" + "---|" * len(present))
        for metric in ms:
            label, _, _, unit, digits, _, parley_only = metric
            if all(med(k, metric) is None for k, _ in present):
                continue  # not run on any system (e.g. no max-rate search at that size)
            cells = []
            for k, _ in present:
                if parley_only and k not in PARLEY:
                    cells.append("n/a")
                else:
                    cells.append(fmt(med(k, metric), unit, digits))
            w(f"| {label} | " + " | ".join(cells) + " |")
        w("")

        # Ratios from the same run: how many times better Parley is (throughput: Parley / peer;
        # memory and latency: peer / Parley), against the stronger mode of each hub.
        def best_peer(prefix, metric):
            higher = metric[5]
            vals = [med(k, metric) for k in (f"{prefix}-forward", f"{prefix}-reencode")]
            vals = [v for v in vals if v is not None]
            if not vals:
                return None
            return max(vals) if higher else min(vals)

        def ratio(p, q, higher):
            if p is None or q is None or p <= 0 or q <= 0:
                return None
            return p / q if higher else q / p

        parleys = [k for k in ("sqlite", "nopersist", "postgres") if k in data]
        peers = [(p, name) for p, name in (("go", "Go"), ("node", "Node")) if any(k.startswith(p) for k in data)]
        if parleys and peers:
            w("## Ratios (same run)\n")
            w("How many times better Parley is than the stronger mode of each hub: throughput Parley / hub, memory "
              "and latency hub / Parley. Targets: >= 2x the Go hub, >= 3x the Node hub. Where Parley persists and "
              "the hubs do not, the ratio compares durable against in-memory delivery.\n")
            heads = [f"{dict(SYSTEMS)[k]} / {name}" for k in parleys for _, name in peers]
            w("| scenario | " + " | ".join(heads) + " |")
            w("|---|" + "---|" * len(heads))
            for metric in ms:
                if metric[6] or metric[2][-1] == "delivered_pct":
                    continue
                if all(med(k, metric) is None for k in parleys):
                    continue
                cells = []
                for k in parleys:
                    for p, name in peers:
                        r = ratio(med(k, metric), best_peer(p, metric), metric[5])
                        need = 2 if p == "go" else 3
                        cells.append("—" if r is None else f"{r:.2f}x {'met' if r >= need else 'not met'}")
                w(f"| {metric[0]} | " + " | ".join(cells) + " |")
            w("")

        w("## Targets\n")
        w("| target | measured | |")
        w("|---|---|---|")

        def target(text, value, ok, shown):
            status = "—" if value is None else ("met" if ok else "not met")
            w(f"| {text} | {shown} | {status} |")

        v = median(data, "sqlite", "s1", ["per_conn_kib"])
        target("S1: <= 10 KiB server RSS per idle WebSocket", v, v is not None and v <= 10, fmt(v, " KiB", 1))
        v = median(data, "sqlite", "s2max", ["result", "deliveries_per_s"])
        a99 = median(data, "sqlite", "s2max", ["result", "ack", "p99_ms"])
        target("S2: >= 20k delivered 1:1 msg/s on SQLite, durable, ack p99 <= 20 ms", v,
               v is not None and v >= 20000 and a99 is not None and a99 <= 20,
               f"{fmt(v)} msg/s, ack p99 {fmt(a99, ' ms', 2)}")
        v = median(data, "nopersist", "s2max", ["result", "deliveries_per_s"])
        target("S2: >= 50k delivered 1:1 msg/s without persistence", v, v is not None and v >= 50000, fmt(v, " msg/s"))
        v = median(data, "sqlite", "s3max-500", ["result", "deliveries_per_s"])
        target("S3: >= 300k deliveries/s into a 500-member group (SQLite)", v, v is not None and v >= 300000, fmt(v, "/s"))
        v = median(data, "sqlite", "s3-500", ["result", "delivery", "p99_ms"])
        target("S3: at 20 msg/s, time to last recipient p99 <= 10 ms (500 members, SQLite)", v,
               v is not None and v <= 10, fmt(v, " ms", 2))
        v = median(data, "postgres", "s2max", ["result", "deliveries_per_s"])
        target("PostgreSQL: >= 10k delivered 1:1 msg/s, durable", v, v is not None and v >= 10000, fmt(v, " msg/s"))
        v = median(data, "sqlite", "s7", ["growth_kib"])
        target("S7: RSS after 1,000 logins <= RSS after the first + 16 MiB", v, v is not None and v <= 16384,
               fmt(v, " KiB"))
        w("")
        w("A dash means the scenario did not run or failed on that system; the run's `errors.txt` says why.\n")

    # The hand-written part (what changed and why, the profile) lives beside this script.
    analysis = os.path.join(os.path.dirname(os.path.abspath(__file__)), "analysis.md")
    if os.path.exists(analysis):
        with open(analysis) as f:
            w(f.read().rstrip() + "\n")

    w("## Reproduce\n")
    w("```")
    w("make bench                    # or: bash bench/run.sh")
    w("BENCH_QUICK=1 bash bench/run.sh   # one short run to try it")
    w("```")
    w("Every run's JSON (one file per scenario) and printed tables are under `target/bench/results/<system>/run<N>/`. "
      "One scenario by hand: `target/release/loadgen run --scenario s2 --url http://127.0.0.1:PORT` "
      "(`--help` lists the options).")
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    # bench/cluster.sh's section (two nodes against one) is its own run: keep it.
    kept = ""
    if os.path.exists(a.out):
        old = open(a.out).read()
        start, end = old.find("<!-- cluster:start -->"), old.find("<!-- cluster:end -->")
        if start >= 0 and end > start:
            kept = "\n" + old[start:end + len("<!-- cluster:end -->")] + "\n"
    with open(a.out, "w") as f:
        f.write("\n".join(out) + "\n" + kept)


if __name__ == "__main__":
    main()
