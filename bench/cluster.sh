#!/usr/bin/env bash
# Issue 11's benchmark: Parley on PostgreSQL with Redis between nodes, one node against two,
# both behind parley-proxy (so the proxy's cost is in both), with loadgen as the client
# (its sockets alternate between the nodes). Measures S2 (1:1, max rate) and S3 (group of
# 500, max rate), 3 runs each, and writes the "Two nodes against one" section of
# docs/benchmarks.md (bench/cluster_report.py).
#
#   bash bench/cluster.sh              # about 15 minutes on 2 cores
#   BENCH_QUICK=1 bash bench/cluster.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
out=$root/target/bench/cluster
target_dir=${CARGO_TARGET_DIR:-$root/target}
quick=${BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then runs=1 pairs=20 group=100 max_steps=5; else runs=3 pairs=100 group=500 max_steps=7; fi
log() { echo "bench-cluster: $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cargo build --release -p parley -p loadgen -p parley-proxy
parley_bin=$target_dir/release/parley
loadgen_bin=$target_dir/release/loadgen
proxy_bin=$target_dir/release/parley-proxy
ulimit -n "$(ulimit -Hn)"

pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}
trap stop_all EXIT

rm -rf "$out"
mkdir -p "$out/results"
for nodes in 1 2; do
  for run in $(seq "$runs"); do
    dir=$out/results/nodes$nodes/run$run
    mkdir -p "$dir"
    db=parley_bench_cluster_$$
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
    rport=$(free_port)
    redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no >"$dir/redis.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
    node_args=()
    first_pid=""
    for i in $(seq "$nodes"); do
      port=$(free_port)
      env RUST_LOG=warn DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" \
        REDIS_URL="redis://127.0.0.1:$rport" \
        PARLEY_MAX_SOCKETS=50000 PARLEY_MAX_SOCKETS_PER_ADDR=50000 PARLEY_MAX_SOCKETS_PER_USER=1000 \
        MAX_GROUP_MEMBERS=5000 MAX_OWNED_GROUPS=5000 \
        PARLEY_LOGIN_MAX_FAILURES=100000 PARLEY_LOGIN_MAX_FAILURES_PER_ADDR=100000 \
        PARLEY_REGISTER_PER_ADDR_PER_HOUR=1000000 PARLEY_REGISTER_PER_HOUR=1000000 \
        PARLEY_TRUSTED_PROXIES=127.0.0.1 \
        "$parley_bin" --addr "127.0.0.1:$port" --data-dir "$dir/data-$i" >"$dir/node-$i.log" 2>&1 &
      pids+=($!)
      [ -z "$first_pid" ] && first_pid=$!
      for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
      node_args+=(--node "127.0.0.1:$port")
    done
    pport=$(free_port)
    "$proxy_bin" --listen "127.0.0.1:$pport" "${node_args[@]}" >"$dir/proxy.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$pport/healthz" && break; sleep 0.1; done
    lg() {
      "$loadgen_bin" run --system parley --url "http://127.0.0.1:$pport" --server-pid "$first_pid" \
        --state "$dir/state.json" --quiet --warmup 0.5 --max-steps "$max_steps" --step-secs 2 \
        --owned-per-user 1000 --sockets-per-user 100 "$@"
    }
    log "$nodes node(s), run $run: s2max"
    lg --scenario s2 --pairs "$pairs" --rate 2000 --find-max --json "$dir/s2max.json" >>"$dir/tables.txt" 2>>"$dir/errors.txt" \
      || log "s2max failed (see $dir/errors.txt)"
    log "$nodes node(s), run $run: s3max-$group"
    lg --scenario s3 --group-size "$group" --senders 4 --rate 100 --find-max --json "$dir/s3max.json" >>"$dir/tables.txt" 2>>"$dir/errors.txt" \
      || log "s3max failed (see $dir/errors.txt)"
    for i in $(seq "$nodes"); do
      grep -h '' "$dir/node-$i.log" | tail -5 >>"$dir/errors.txt" || true
    done
    stop_all
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null || true
  done
done
cp /proc/loadavg "$out/results/loadavg"
python3 bench/cluster_report.py --results "$out/results" --doc docs/benchmarks.md --group "$group"
log "wrote the cluster section of docs/benchmarks.md"
