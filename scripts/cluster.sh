#!/usr/bin/env bash
# A local Parley cluster without containers: N nodes (default 3) on one PostgreSQL database
# and one Redis, behind parley-proxy, which spreads connections over the nodes.
#
#   scripts/cluster.sh            start and stay in the foreground (Ctrl-C stops everything)
#   scripts/cluster.sh --check    start, check every node answers through the proxy, stop
#
# Settings (environment):
#   CLUSTER_NODES   number of nodes (default 3)
#   CLUSTER_PORT    the proxy's port, the one browsers use (default 8080; nodes take the
#                   ports after it)
#   DATABASE_URL    PostgreSQL (default postgres://postgres@127.0.0.1:5432/parley_cluster,
#                   created if missing)
#   REDIS_URL       Redis (default: a private redis-server on CLUSTER_PORT+100)
#   PARLEY_BIN      the server binary (default target/release/parley, from `make build`)
# Logs go to target/cluster/node-N.log and proxy.log.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
[ "${1:-}" = "--check" ] && check=1
nodes=${CLUSTER_NODES:-3}
port=${CLUSTER_PORT:-8080}
bin=${PARLEY_BIN:-target/release/parley}
proxy_bin=${PROXY_BIN:-target/release/parley-proxy}
logs=target/cluster
mkdir -p "$logs"

[ -x "$bin" ] || { echo "no $bin: run 'make build' first" >&2; exit 1; }
if [ ! -x "$proxy_bin" ]; then
  cargo build --release -q -p parley-proxy
fi

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# PostgreSQL: the machine's, started if it is not running.
if [ -z "${DATABASE_URL:-}" ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  psql -q -h 127.0.0.1 -U postgres -d postgres -tc "SELECT 1 FROM pg_database WHERE datname='parley_cluster'" \
    | grep -q 1 || psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE parley_cluster"
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/parley_cluster
fi

# Redis: a private one, so stopping the cluster stops it too.
if [ -z "${REDIS_URL:-}" ]; then
  rport=$((port + 100))
  redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no >"$logs/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export REDIS_URL="redis://127.0.0.1:$rport"
fi

export PARLEY_PUBLIC_ORIGIN="http://127.0.0.1:$port"
# parley-proxy runs here and adds each client's address to X-Forwarded-For; trusting it
# makes the nodes throttle each client by its own address, not all by the proxy's.
export PARLEY_TRUSTED_PROXIES=${PARLEY_TRUSTED_PROXIES:-127.0.0.1}
export LEPTOS_SITE_ROOT=${LEPTOS_SITE_ROOT:-target/site}
node_args=()
for i in $(seq 1 "$nodes"); do
  nport=$((port + i))
  # The first node migrates the database; the others start once it is up.
  PARLEY_ADDR="127.0.0.1:$nport" PARLEY_DATA_DIR="$logs/node-$i" \
    PARLEY_MEDIA_DIR="$logs/media" "$bin" >"$logs/node-$i.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$nport/healthz" >/dev/null && break
    sleep 0.2
  done
  curl -fs "http://127.0.0.1:$nport/healthz" >/dev/null || { echo "node $i did not start; see $logs/node-$i.log" >&2; exit 1; }
  node_args+=(--node "127.0.0.1:$nport")
done
"$proxy_bin" --listen "127.0.0.1:$port" "${node_args[@]}" >"$logs/proxy.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

if [ "$check" = 1 ]; then
  # Every node must be reached through the proxy and report Redis connected.
  seen=$(for _ in $(seq $((nodes * 2))); do
    curl -fs "http://127.0.0.1:$port/healthz"; echo
  done | python3 -c '
import json, sys
ids = set()
for line in sys.stdin:
    h = json.loads(line)
    assert h["status"] == "ok" and h["redis"] == "ok", h
    ids.add(h["node"])
print(len(ids))')
  [ "$seen" = "$nodes" ] || { echo "reached $seen of $nodes nodes through the proxy" >&2; exit 1; }
  echo "cluster check: $nodes nodes on one database and one Redis, all reached through the proxy"
  exit 0
fi

echo "Parley cluster: $nodes nodes behind http://127.0.0.1:$port (logs in $logs; Ctrl-C stops)"
wait
