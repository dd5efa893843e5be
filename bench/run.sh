#!/usr/bin/env bash
# Issue 10's benchmark: Parley (SQLite, PostgreSQL, and the benchmark-only no-persistence
# switch) against the peer hubs under bench/peers/ (Go and Node, each forwarding and
# re-encoding), with loadgen as the client. The server gets core 0 and loadgen core 1
# (taskset); PostgreSQL shares core 1 with loadgen. Every scenario runs 3 times per system;
# bench/report.py writes the medians, ratios and targets to docs/benchmarks.md, and every
# run's JSON stays under target/bench/.
#
#   bash bench/run.sh                  # full report (about 50 minutes on 2 cores)
#   BENCH_QUICK=1 bash bench/run.sh    # one short run with small sizes, to try it
#   BENCH_SYSTEMS="sqlite go-forward" bash bench/run.sh   # a subset of the systems
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
out=$root/target/bench
target_dir=${CARGO_TARGET_DIR:-$root/target}
quick=${BENCH_QUICK:-0}
all_systems="sqlite postgres nopersist go-forward go-reencode node-forward node-reencode"
systems=${BENCH_SYSTEMS:-$all_systems}
mkdir -p "$out"

log() { echo "bench: $*" >&2; }

if [ "$quick" = 1 ]; then
  runs=1 s1_n=1000 s2_pairs=20 s3_sizes="100" s3_find="100" s5_n=500 s6_conv=200
  s7_logins=100 warmup=0.5 duration=3 step=2 max_steps=6
else
  runs=3 s1_n=10000 s2_pairs=100 s3_sizes="100 500 2000" s3_find="100 500" s5_n=2000
  s6_conv=1000 s7_logins=1000 warmup=0.5 duration=3 step=2 max_steps=7
fi
# Each step of a max-rate search starts here and doubles until one fails, then bisects.
start_rate=2000

# Both ends hold one descriptor per socket (plus their files): take the hard limit, and
# size S1 to fit it.
hard=$(ulimit -Hn)
ulimit -n "$hard"
if [ "$hard" != unlimited ] && [ $((s1_n + 1000)) -gt "$hard" ]; then
  s1_n=$((hard - 1000))
  log "S1 lowered to $s1_n connections to fit ulimit -Hn $hard"
fi

log "building parley and loadgen (release)"
cargo build --release -p parley -p loadgen
parley_bin=$target_dir/release/parley
loadgen_bin=$target_dir/release/loadgen

have_go=0 have_node=0
if [ -f bench/peers/build.sh ]; then
  if bash bench/peers/build.sh "$out/peers"; then
    [ -x "$out/peers/gohub" ] && have_go=1
    [ -f bench/peers/node/hub.js ] && command -v node >/dev/null && have_node=1
  else
    log "the peer hubs did not build: measuring Parley only"
  fi
else
  log "bench/peers/build.sh is missing: measuring Parley only"
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PostgreSQL: started if needed; a fresh database per benchmark; the postmaster and its
# children pinned to core 1 while we run, restored afterwards.
pg_db=""
pg_pids=""
pg_up() {
  if ! pg_isready -h 127.0.0.1 -q; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  fi
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -q && return 0; sleep 1; done
  return 1
}
pg_pin() {
  local dir pm
  dir=$(psql -h 127.0.0.1 -U postgres -Atc 'show data_directory')
  pm=$(head -1 "$dir/postmaster.pid")
  pg_pids="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
  for p in $pg_pids; do taskset -cp "$1" "$p" >/dev/null 2>&1 || true; done
}

server_pid=""
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

cleanup() {
  stop_server
  if [ -n "$pg_db" ]; then
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true
  fi
  if [ -n "$pg_pids" ]; then
    for p in $pg_pids; do taskset -cp 0-1 "$p" >/dev/null 2>&1 || true; done
  fi
}
trap cleanup EXIT

# Starts system $1 on a free port, pinned to core 0; sets url, kind, server_pid.
start_server() {
  local sys=$1 port
  port=$(free_port)
  url=http://127.0.0.1:$port
  local logf=$out/server-$sys.log
  case $sys in
    sqlite | postgres | nopersist)
      kind=parley
      local env=(
        RUST_LOG=warn
        PARLEY_MAX_SOCKETS=50000 PARLEY_MAX_SOCKETS_PER_ADDR=50000 PARLEY_MAX_SOCKETS_PER_USER=1000
        MAX_GROUP_MEMBERS=5000 MAX_OWNED_GROUPS=5000
        PARLEY_LOGIN_MAX_FAILURES=100000 PARLEY_LOGIN_MAX_FAILURES_PER_ADDR=100000
        PARLEY_REGISTER_PER_ADDR_PER_HOUR=1000000 PARLEY_REGISTER_PER_HOUR=1000000
      )
      [ "$sys" = postgres ] && env+=("DATABASE_URL=postgres://postgres@127.0.0.1:5432/$pg_db")
      [ "$sys" = nopersist ] && env+=(PARLEY_BENCH_NO_PERSIST=1)
      env "${env[@]}" taskset -c 0 "$parley_bin" --addr "127.0.0.1:$port" \
        --data-dir "$out/data-$sys" >>"$logf" 2>&1 &
      ;;
    go-*)
      kind=peer
      taskset -c 0 "$out/peers/gohub" -addr "127.0.0.1:$port" -mode "${sys#go-}" >>"$logf" 2>&1 &
      ;;
    node-*)
      kind=peer
      taskset -c 0 node bench/peers/node/hub.js --addr "127.0.0.1:$port" --mode "${sys#node-}" \
        >>"$logf" 2>&1 &
      ;;
  esac
  server_pid=$!
  for _ in $(seq 600); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      log "$sys exited at start-up; see $logf"
      tail -20 "$logf" >&2
      return 1
    fi
    curl -sf -o /dev/null "$url/healthz" && return 0
    sleep 0.1
  done
  log "$sys did not become ready; see $logf"
  return 1
}

lg() {
  taskset -c 1 "$loadgen_bin" run --system "$kind" --url "$url" --server-pid "$server_pid" \
    --state "$out/state-$sys.json" --quiet --warmup "$warmup" --max-steps "$max_steps" \
    --step-secs "$step" --owned-per-user 1000 --sockets-per-user 100 "$@"
}

# One scenario: its table to the run's log, its JSON beside it; a failure is logged and
# the benchmark goes on (the report shows the gap).
scenario() {
  local name=$1
  shift
  log "$sys run $run: $name"
  if ! lg "$@" --json "$dir/$name.json" >>"$dir/tables.txt" 2>>"$dir/errors.txt"; then
    log "$sys run $run: $name failed (see $dir/errors.txt)"
    tail -3 "$dir/errors.txt" >&2 || true
  fi
}

rm -rf "$out/results"
mkdir -p "$out/results"
cp /proc/loadavg "$out/results/loadavg"
start_all=$(date +%s)
for sys in $systems; do
  case $sys in
    go-*) [ "$have_go" = 1 ] || { log "skipping $sys (no Go hub)"; continue; } ;;
    node-*) [ "$have_node" = 1 ] || { log "skipping $sys (no Node hub)"; continue; } ;;
    sqlite | nopersist) ;;
    postgres)
      pg_up || { log "skipping postgres (PostgreSQL does not start)"; continue; }
      pg_db=parley_bench_$$
      psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null
      psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $pg_db" >/dev/null
      pg_pin 1
      ;;
    *) log "unknown system $sys (known: $all_systems)"; exit 2 ;;
  esac
  rm -rf "$out/data-$sys" "$out/state-$sys.json" "$out/server-$sys.log"
  if [[ $sys != go-* && $sys != node-* ]]; then
    # Set-up pass: every account, friendship, group and the S6 history, made once, so the
    # measured runs reuse them (and S7's first login is its process's first argon2 hash).
    start_server "$sys"
    dir=$out/results/$sys/setup run=setup
    mkdir -p "$dir"
    largest=${s3_sizes##* }
    scenario s7 --scenario s7 --logins 1
    scenario s2 --scenario s2 --pairs "$s2_pairs" --rate 100 --duration 0.5
    scenario s3 --scenario s3 --group-size "$largest" --rate 10 --duration 0.5
    scenario s1 --scenario s1 --conns 100 --settle-secs 1
    scenario s6 --scenario s6 --conversations "$s6_conv" --requests 1
    stop_server
  fi
  for run in $(seq "$runs"); do
    dir=$out/results/$sys/run$run
    mkdir -p "$dir"
    start_server "$sys"
    scenario s1 --scenario s1 --conns "$s1_n" --settle-secs 15
    # S7 only on SQLite: login memory does not depend on the message store.
    [ "$sys" = sqlite ] && scenario s7 --scenario s7 --logins "$s7_logins"
    scenario s5 --scenario s5 --conns "$s5_n"
    scenario s2 --scenario s2 --pairs "$s2_pairs" --rate 500 --duration "$duration"
    scenario s2max --scenario s2 --pairs "$s2_pairs" --rate "$start_rate" --find-max
    for g in $s3_sizes; do
      scenario "s3-$g" --scenario s3 --group-size "$g" --senders 2 --rate 20 --duration "$duration"
      if [[ " $s3_find " == *" $g "* ]]; then
        scenario "s3max-$g" --scenario s3 --group-size "$g" --senders 4 --rate 100 --find-max
      fi
    done
    [ "$kind" = parley ] && scenario s6 --scenario s6 --conversations "$s6_conv" --requests 50
    stop_server
  done
  if [ "$sys" = postgres ]; then
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null || true
    pg_db=""
    pg_pin 0-1
    pg_pids=""
  fi
done
log "measured in $(( $(date +%s) - start_all )) s"

python3 bench/report.py --results "$out/results" --out docs/benchmarks.md --quick "$quick" \
  --s1-conns "$s1_n" --s2-pairs "$s2_pairs"
log "wrote docs/benchmarks.md"
