#!/usr/bin/env bash
# run-bench.sh — the benchmarks of docs/benchmarks.md, on loopback only.
#
# Builds release binaries, starts redis-server (if installed) and `kato-sim --scenario steady` once, then for each
# scenario a FRESH `kato-dashboard` (so idle RSS is not inflated by an earlier run), runs `ws-load` against it and
# stops it. Everything it starts is stopped on exit (trap), also on Ctrl-C.
#
# Usage: crates/loadgen/run-bench.sh [SCENARIO...]     (default: all, ≈ 15 min)
#   kato      kato-sim alone for DURATION s (background-traffic baseline), then with an idle dashboard:
#             KATO requests per minute, and the dashboard's idle CPU with no client (DURATION s)
#   bytes     1 client on metrics,containers,sessions: bytes per update, full and with deltas
#   c100 c1000 c10000   N live clients on every topic
#   stalled   1000 live + 1000 stalled clients
#   stalled-pairs  PAIRS (default 5) alternating runs of c1000 and stalled, then the p99 of each, pair by pair, and
#             the medians: one pair is too noisy to show a 10 % effect on this machine
#   c10000idle 10,000 clients subscribed to nothing (heartbeats only): RSS per idle connection
#   fleet     a KATO fleet of FLEET_N (default 50) instances: the shared kato-sim (steady traffic) and FLEET_N-1 more
#             (no traffic of their own, half 1.x, half 3.x), so the clients see the same session events either way:
#             first the dashboard on the one kato-sim, then on the fleet (KATO_API_URLS), each idle for DURATION s
#             (collector CPU, KATO requests per minute of one instance) and with 1,000 live clients (tick → client)
#   history   the history on disk: 30 days of 100 series (1-minute tier) filled ending now, then the dashboard's
#             own answer to 30 days at step 60 for 1 and 4 series (HTTP, JSON, 20 runs each), and its idle CPU
#             for DURATION s with the history recording and with HISTORY_ENABLED=false
#   soak      the fault soak of docs/reliability.md for SOAK_SECONDS (default 600): `cargo test --release --test
#             fault_soak` with its own private kato-sim, Redis and Docker engine (not part of the default set)
# Env: DASH_BIN (the dashboard binary measured), DURATION (steady seconds, default 60), OUT (results dir, default /tmp/kato-bench-<time>),
#      CARGO_TARGET_DIR (default ~/.cache/kato-dashboard/target), NO_BUILD=1 to skip the build,
#      SOAK_SECONDS (soak: seconds of faults, default 600), SOAK_SEED (soak: replay a seed),
#      QUIET_MAX (default 10): before each scenario wait until the host's CPUs are at most this % busy over 5 s
#      (other processes skew latency on 2 cores), for at most QUIET_WAIT seconds (default 900); ws-load's
#      report shows how busy the host really was during the measurement.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/kato-dashboard/target}
DURATION=${DURATION:-60}
OUT=${OUT:-/tmp/kato-bench-$(date +%Y%m%d-%H%M%S)}
BIN=$CARGO_TARGET_DIR/release
# DASH_BIN: the kato-dashboard binary to measure (default $BIN/kato-dashboard), e.g. a build of an earlier commit
# for a before/after comparison in one run.
DASH_BIN=${DASH_BIN:-$BIN/kato-dashboard}
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -eq 0 ] && SCENARIOS=(kato bytes c100 c1000 stalled c10000 c10000idle)

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/kato-bench-work.XXXXXX)
PIDS=()
DASH_PID=""

log() { echo "run-bench: $*" >&2; }

stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  [ -n "$DASH_PID" ] && stop_pid "$DASH_PID"
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() { # url, seconds
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && { log "timeout waiting for $1"; return 1; }
    sleep 0.2
  done
}

if [ "${NO_BUILD:-0}" != 1 ]; then
  log "building release binaries"
  (cd "$ROOT" && cargo build --release -p kato-dashboard-server -p kato-dashboard-sim -p kato-dashboard-loadgen)
fi

# The soak starts its own services; the shared ones are only for the other scenarios.
NEEDS_SERVICES=0
for sc in "${SCENARIOS[@]}"; do
  if [ "$sc" != soak ]; then NEEDS_SERVICES=1; fi
done

REDIS_URL="redis://127.0.0.1:1/0" # nowhere, unless a redis-server is installed
if [ "$NEEDS_SERVICES" = 1 ] && command -v redis-server >/dev/null; then
  REDIS_PORT=$(free_port)
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$WORK" \
    >"$WORK/redis.log" 2>&1 &
  PIDS+=($!)
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  log "redis-server on $REDIS_PORT"
fi

if [ "$NEEDS_SERVICES" = 1 ]; then
  SIM_PORT=$(free_port)
  SIM_ARGS=(--port "$SIM_PORT" --scenario steady)
  [ "$REDIS_URL" != "redis://127.0.0.1:1/0" ] && SIM_ARGS+=(--redis-url "$REDIS_URL")
  "$BIN/kato-sim" "${SIM_ARGS[@]}" >"$WORK/sim.log" 2>&1 &
  PIDS+=($!)
  SIM_URL="http://127.0.0.1:$SIM_PORT"
  wait_http "$SIM_URL/health" 20
  log "kato-sim on $SIM_PORT (${SIM_ARGS[*]})"
fi

start_dashboard() { # name; DASH_ENV: extra VAR=value settings
  DASH_PORT=$(free_port)
  mkdir -p "$WORK/data-$DASH_PORT"
  env KATO_API_URL="$SIM_URL" PORT="$DASH_PORT" HOST=127.0.0.1 REDIS_URL="$REDIS_URL" LOG_LEVEL=warn \
    BROADCAST_INTERVAL=1 DATA_DIR="$WORK/data-$DASH_PORT" ${DASH_ENV:-} \
    "$DASH_BIN" >"$OUT/dashboard-$1.log" 2>&1 &
  DASH_PID=$!
  wait_http "http://127.0.0.1:$DASH_PORT/api/v1/health" 30
  sleep 5 # first collector rounds (KATO /metrics every 2 s, Redis reconcile every 5 s)
  DASH_WS="ws://127.0.0.1:$DASH_PORT/ws"
  log "kato-dashboard pid $DASH_PID on $DASH_PORT for $1"
}

stop_dashboard() { stop_pid "$DASH_PID"; DASH_PID=""; }

cpu_busy() { # % of all CPUs busy over the next 5 s
  local a b
  a=($(head -1 /proc/stat)); sleep 5; b=($(head -1 /proc/stat))
  local busy=0 total=0 i
  for i in 1 2 3 4 5 6 7 8; do
    total=$((total + b[i] - a[i]))
    [ "$i" != 4 ] && [ "$i" != 5 ] && busy=$((busy + b[i] - a[i]))
  done
  echo $((total > 0 ? busy * 100 / total : 0))
}

wait_quiet() {
  local deadline=$((SECONDS + ${QUIET_WAIT:-900})) busy
  while busy=$(cpu_busy); [ "$busy" -gt "${QUIET_MAX:-10}" ]; do
    [ $SECONDS -ge $deadline ] && { log "host still ${busy}% busy; measuring anyway"; return 0; }
    log "host ${busy}% busy (other processes); waiting for ≤ ${QUIET_MAX:-10}%"
  done
}

load() { # name, ws-load args...
  local name=$1; shift
  wait_quiet
  log "scenario $name: ws-load $*"
  "$BIN/ws-load" --json "$@" >"$OUT/$name.json" 2>"$OUT/$name.txt" || { log "ws-load failed (see $OUT/$name.txt)"; return 1; }
  sed -n '/^ws-load report/,$p' "$OUT/$name.txt" >&2
  # The server's share of the latency: its fan-out histogram (tick timestamp → last frame handed to the kernel).
  if [ -n "$DASH_PID" ]; then
    curl -fsS "http://127.0.0.1:$DASH_PORT/metrics" 2>/dev/null | grep '^kato_dashboard_ws_fanout' >"$OUT/$name.fanout" || true
    fanout_summary "$OUT/$name.fanout" >&2
  fi
}

fanout_summary() { # Prometheus histogram lines → "server fan-out: mean, share of shard sweeps under each bound"
  awk '/_count /{n=$2} /_sum /{s=$2} /_bucket/{match($0,/le="[^"]+"/); le=substr($0,RSTART+4,RLENGTH-5); b[++k]=le; c[k]=$2}
       END{ if (n==0) exit; printf "server fan-out (tick → last frame to the kernel, per shard sweep): mean %.1f ms;", s/n*1000;
            for (i=1;i<=k;i++) if (b[i]=="0.01"||b[i]=="0.025"||b[i]=="0.05"||b[i]=="0.1"||b[i]=="0.25") printf " ≤%g ms %.1f %%;", b[i]*1000, c[i]*100/n;
            printf "\n" }' "$1"
}

pairs_summary() { # dir, pairs → live p99 without and with stalled clients, pair by pair, and the medians
  python3 - "$1" "$2" <<'PY'
import json, statistics, sys
out, n = sys.argv[1], int(sys.argv[2])
p99 = lambda name: json.load(open(f"{out}/{name}.json"))["latency"]["p99_ms"]
pairs = [(p99(f"c1000-{i}"), p99(f"stalled-{i}")) for i in range(1, n + 1)]
for i, (a, b) in enumerate(pairs, 1):
    print(f"pair {i}: c1000 p99 {a:.1f} ms, stalled p99 {b:.1f} ms ({(b / a - 1) * 100:+.0f} %)")
ma, mb = statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs)
mr = statistics.median(b / a - 1 for a, b in pairs) * 100
print(f"medians: c1000 {ma:.1f} ms, stalled {mb:.1f} ms ({(mb / ma - 1) * 100:+.0f} %); median pair {mr:+.0f} %")
PY
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -srm), nproc $(nproc)"
  free -g
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- crates/server crates/core || echo ' (+ uncommitted changes in crates/server or crates/core)')"
  echo "nofile: soft $(ulimit -Sn) hard $(ulimit -Hn)"
} >"$OUT/machine.txt"

for sc in "${SCENARIOS[@]}"; do
  case $sc in
    kato)
      load kato-baseline --url ws://127.0.0.1:1/ws -n 0 --idle 0 --duration "$DURATION" --kato-sim "$SIM_URL"
      start_dashboard idle
      load idle --url "$DASH_WS" -n 0 --idle 0 --duration "$DURATION" --server-pid "$DASH_PID" --kato-sim "$SIM_URL"
      stop_dashboard ;;
    bytes)
      start_dashboard bytes
      load bytes-full --url "$DASH_WS" -n 1 --topics metrics,containers,sessions --duration "$DURATION" \
        --server-pid "$DASH_PID" --save-frame "$OUT/frame-full.json"
      load bytes-deltas --url "$DASH_WS" -n 1 --topics metrics,containers,sessions --deltas --duration "$DURATION" \
        --server-pid "$DASH_PID" --save-frame "$OUT/frame-delta.json"
      stop_dashboard ;;
    c[0-9]*idle)
      n=${sc#c}; n=${n%idle}
      start_dashboard "$sc"
      load "$sc" --url "$DASH_WS" -n "$n" --topics "" --rate 1000 --idle 10 --duration "$DURATION" \
        --server-pid "$DASH_PID"
      stop_dashboard ;;
    c[0-9]*)
      n=${sc#c}
      start_dashboard "$sc"
      load "$sc" --url "$DASH_WS" -n "$n" --rate 1000 --idle 10 --duration "$DURATION" --server-pid "$DASH_PID"
      stop_dashboard ;;
    stalled)
      start_dashboard stalled
      load stalled --url "$DASH_WS" -n 1000 --stalled 1000 --rate 1000 --idle 10 --duration "$DURATION" \
        --server-pid "$DASH_PID"
      stop_dashboard ;;
    stalled-pairs)
      for i in $(seq 1 "${PAIRS:-5}"); do
        start_dashboard "c1000-$i"
        load "c1000-$i" --url "$DASH_WS" -n 1000 --rate 1000 --idle 10 --duration "$DURATION" --server-pid "$DASH_PID"
        stop_dashboard
        start_dashboard "stalled-$i"
        load "stalled-$i" --url "$DASH_WS" -n 1000 --stalled 1000 --rate 1000 --idle 10 --duration "$DURATION" \
          --server-pid "$DASH_PID"
        stop_dashboard
      done
      pairs_summary "$OUT" "${PAIRS:-5}" | tee "$OUT/stalled-pairs.txt" >&2 ;;
    stalled-rcvbuf-default) # the same with the stalled sockets' receive buffers left at the kernel default
      start_dashboard "$sc"
      load "$sc" --url "$DASH_WS" -n 1000 --stalled 1000 --stalled-rcvbuf 0 --rate 1000 --idle 10 \
        --duration "$DURATION" --server-pid "$DASH_PID"
      stop_dashboard ;;
    fleet)
      fleet_urls=("$SIM_URL")
      for i in $(seq 2 "${FLEET_N:-50}"); do
        port=$(free_port)
        flavour=v1; [ $((i % 2)) = 0 ] && flavour=v3
        args=(--port "$port" --scenario idle --flavour "$flavour" --seed "$i")
        [ "$REDIS_URL" != "redis://127.0.0.1:1/0" ] && args+=(--redis-url "$REDIS_URL")
        "$BIN/kato-sim" "${args[@]}" >"$WORK/fleet-sim-$i.log" 2>&1 &
        PIDS+=($!)
        fleet_urls+=("http://127.0.0.1:$port")
      done
      for u in "${fleet_urls[@]}"; do wait_http "$u/health" 20; done
      log "fleet of ${#fleet_urls[@]} kato-sim up"
      start_dashboard fleet-one
      load fleet-one-idle --url "$DASH_WS" -n 0 --idle 0 --duration "$DURATION" --server-pid "$DASH_PID" --kato-sim "$SIM_URL"
      load fleet-one-c1000 --url "$DASH_WS" -n 1000 --rate 1000 --idle 10 --duration "$DURATION" --server-pid "$DASH_PID"
      stop_dashboard
      DASH_ENV="KATO_API_URLS=$(IFS=,; echo "${fleet_urls[*]}")" start_dashboard fleet
      sleep 10 # every instance's first /health, /stats and generation
      curl -fsS "http://127.0.0.1:$DASH_PORT/api/v1/system/instances" >"$OUT/fleet-instances.json"
      python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print('fleet: %d of %d instances healthy' % (d['healthy'], d['total']))" \
        "$OUT/fleet-instances.json" >&2
      load fleet-idle --url "$DASH_WS" -n 0 --idle 0 --duration "$DURATION" --server-pid "$DASH_PID" --kato-sim "${fleet_urls[1]}"
      load fleet-c1000 --url "$DASH_WS" -n 1000 --rate 1000 --idle 10 --duration "$DURATION" --server-pid "$DASH_PID"
      stop_dashboard ;;
    history)
      hdir="$WORK/history-data"
      mkdir -p "$hdir"
      (cd "$ROOT" && cargo run --release -q -p kato-dashboard-history-store --example bench -- \
        --fill-to "$hdir" --series 100 --days 30) | tee "$OUT/history-fill.txt" >&2
      DASH_ENV="DATA_DIR=$hdir" start_dashboard history
      wait_quiet
      to=$(date +%s); from=$((to - 30 * 86400))
      for k in 1 4; do
        series=$(python3 -c "import sys; print(','.join('bench.s%04d' % i for i in range(int(sys.argv[1]))))" "$k")
        url="http://127.0.0.1:$DASH_PORT/api/v1/system/history?from=$from&to=$to&step=60&series=$series"
        curl -fsS "$url" -o "$WORK/history-$k.json"
        for _ in $(seq 1 20); do curl -fsS -o /dev/null -w '%{time_total}\n' "$url"; done >"$OUT/history-q$k.txt"
        python3 - "$OUT/history-q$k.txt" "$WORK/history-$k.json" "$k" <<'PY' | tee -a "$OUT/history.txt" >&2
import json, os, statistics, sys
times = sorted(float(l) * 1000 for l in open(sys.argv[1]) if l.strip())
body = json.load(open(sys.argv[2]))
points = sum(len(s["points"]) for s in body["series"])
print("history: 30 d, step 60, %s series: %d points, tier %s, %.1f MB JSON; HTTP median %.1f ms, max %.1f ms (%d runs)"
      % (sys.argv[3], points, body["tier"], os.path.getsize(sys.argv[2]) / 1e6, statistics.median(times), times[-1], len(times)))
PY
      done
      load history-on --url "$DASH_WS" -n 0 --idle 0 --duration "$DURATION" --server-pid "$DASH_PID"
      stop_dashboard
      DASH_ENV="HISTORY_ENABLED=false" start_dashboard history-off
      load history-off --url "$DASH_WS" -n 0 --idle 0 --duration "$DURATION" --server-pid "$DASH_PID"
      stop_dashboard ;;
    soak) # docs/reliability.md: kato-sim, Redis and the Docker engine killed and restarted under /ws clients
      wait_quiet
      log "scenario soak: ${SOAK_SECONDS:-600} s of faults"
      (cd "$ROOT" && env KATO_SOAK_SECONDS="${SOAK_SECONDS:-600}" ${SOAK_SEED:+KATO_SOAK_SEED="$SOAK_SEED"} \
        cargo test --release -p kato-dashboard-server --test fault_soak -- --nocapture) >"$OUT/soak.txt" 2>&1 \
        || { sed -n '/^| what/,$p' "$OUT/soak.txt" >&2; log "fault soak failed (see $OUT/soak.txt)"; exit 1; }
      sed -n '/^| what/,/^$/p' "$OUT/soak.txt" >&2 ;;
    *) log "unknown scenario $sc"; exit 2 ;;
  esac
done
log "results in $OUT"
