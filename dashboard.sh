#!/usr/bin/env bash
# KATO Dashboard control script.
#
#   ./dashboard.sh demo      build if needed, start the KATO simulator, a private Redis, KATO's recorded MongoDB and
#                            Qdrant, demo containers (where Docker runs) and the dashboard on port 3000, print the URL
#   ./dashboard.sh test      install what the tests need, then fmt + clippy + wasm check + every test
#   ./dashboard.sh help      everything else
#
# Builds go to $CARGO_TARGET_DIR (default ~/.cache/kato-dashboard/target) so repeated runs and CI reuse them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kato-dashboard/target}"
RUN_DIR="${KATO_DASHBOARD_RUN_DIR:-$ROOT/.run}"
PORT="${PORT:-3000}"
SIM_PORT="${SIM_PORT:-8000}"
DEMO_REDIS_PORT="${DEMO_REDIS_PORT:-6390}"
PROFILE_DIR="release"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else
    die "need root to run: $* (install it by hand or run as root)"; fi
}

APT_UPDATED=0
# ensure_pkgs CMD:PACKAGE ... — installs the Debian package when the command is missing.
ensure_pkgs() {
  local missing=()
  for pair in "$@"; do
    local cmd="${pair%%:*}" pkg="${pair#*:}"
    command -v "$cmd" >/dev/null 2>&1 || [ -x "$cmd" ] || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_rust() {
  command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown >/dev/null
  fi
}

ensure_test_deps() {
  ensure_rust
  # Real services the tests start themselves: Redis and a Docker engine, whose test images are a static busybox
  # (Debian's plain `busybox` is dynamically linked and does not run inside an image).
  # nginx: the reverse proxy in front of /ws in the proxy tests (its Debian package starts nothing here).
  # openssl: the certificates of the TLS Docker engine test (crates/docker/tests/tls.rs).
  ensure_pkgs redis-server:redis-server curl:curl dockerd:docker.io nginx:nginx-light openssl:openssl
  dpkg -s busybox-static >/dev/null 2>&1 || ensure_pkgs __busybox_static__:busybox-static
  # MongoDB for the browser tests: nx-27017 (a MongoDB wire-protocol server from PyPI) in a venv.
  ensure_pkgs python3:python3
  dpkg -s python3-venv >/dev/null 2>&1 || ensure_pkgs __python3_venv__:python3-venv
  ensure_nx27017
  ensure_chdb
}

# ensure_nx27017 — the venv the MongoDB test fixture uses (crates/testkit/src/mongo.rs; same path, same pin).
ensure_nx27017() {
  local venv="${KATO_TEST_VENV:-$HOME/.cache/kato-dashboard/venv}"
  [ -x "$venv/bin/nx-27017" ] && return 0
  say "installing nx-27017 (MongoDB wire-protocol test server) into $venv"
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "nx-27017==0.8.1"
}

# ensure_chdb — ClickHouse for the KATO 3.x browser tests: chDB (the ClickHouse engine, PyPI) in the same venv,
# behind ClickHouse's HTTP interface (crates/testkit/src/clickhouse.rs; same path, same pin as KATO's recordings).
ensure_chdb() {
  local venv="${KATO_TEST_VENV:-$HOME/.cache/kato-dashboard/venv}"
  [ "$("$venv/bin/python" -c "import importlib.metadata as m; print(m.version('chdb'))" 2>/dev/null)" = "4.4.0" ] \
    && return 0
  say "installing chdb (the ClickHouse engine, for the KATO 3.x browser tests) into $venv"
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "chdb==4.4.0"
}

# --- web app (frontend/) -----------------------------------------------------------------------------------------
FRONTEND_TOOLS="${KATO_DASHBOARD_TOOLS:-$HOME/.cache/kato-dashboard/tools}"
# Leptos' type-erased components: ~7 % less WASM (and faster builds); clippy and build use the same flags.
FRONTEND_CFG='target.wasm32-unknown-unknown.rustflags=["--cfg","erase_components"]'

# ensure_frontend_tools — the wasm32 target, Debian brotli/gzip, and wasm-bindgen-cli of exactly the wasm-bindgen
# version in Cargo.lock, installed once into $FRONTEND_TOOLS (outside the clone, so CI and reruns reuse it).
ensure_frontend_tools() {
  ensure_rust
  ensure_pkgs brotli:brotli gzip:gzip sha256sum:coreutils
  local want have wb="$FRONTEND_TOOLS/bin/wasm-bindgen"
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)"
  [ -n "$want" ] || die "no wasm-bindgen in Cargo.lock"
  have="$([ -x "$wb" ] && "$wb" --version 2>/dev/null | awk '{print $2}' || true)"
  [ "$have" = "$want" ] && return 0
  say "installing wasm-bindgen-cli $want into $FRONTEND_TOOLS (once; about 7 minutes)"
  # Not --locked: a locked install of wasm-bindgen-cli does not resolve with current crates.io.
  cargo install wasm-bindgen-cli --version "$want" --root "$FRONTEND_TOOLS" --force
}

# build_frontend [--lint] — builds frontend/dist (index.html, hashed JS/WASM/CSS, .br and .gz next to each) when a
# source changed since the last build; --lint also runs clippy for wasm32 (the browser code is wasm32-only).
build_frontend() {
  local dist="$ROOT/frontend/dist" stamp="$ROOT/frontend/dist/.stamp"
  if [ "${1:-}" = "--lint" ]; then
    ensure_frontend_tools
    say "clippy -D warnings for the web app (wasm32)"
    cargo clippy --target wasm32-unknown-unknown -p kato-dashboard-frontend --config "$FRONTEND_CFG" --quiet -- -D warnings
  fi
  if [ -f "$dist/index.html" ] && [ -f "$stamp" ] && [ -z "$(find frontend/src frontend/assets frontend/index.html \
      frontend/Cargo.toml crates/core/src Cargo.lock -newer "$stamp" -type f 2>/dev/null | head -n1)" ]; then
    return 0
  fi
  ensure_frontend_tools
  say "building the web app (wasm32, profile wasm-release)"
  cargo build --profile wasm-release --target wasm32-unknown-unknown -p kato-dashboard-frontend --config "$FRONTEND_CFG"
  local tmp; tmp="$(mktemp -d)"
  "$FRONTEND_TOOLS/bin/wasm-bindgen" --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$tmp" --out-name kato \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/kato-dashboard-frontend.wasm"
  local app css
  app="kato-$(cat "$tmp/kato.js" "$tmp/kato_bg.wasm" | sha256sum | cut -c1-16)"
  css="style-$(sha256sum frontend/assets/style.css | cut -c1-16)"
  rm -rf "$dist.new"
  mkdir -p "$dist.new/assets"
  cp "$tmp/kato.js" "$dist.new/assets/$app.js"
  cp "$tmp/kato_bg.wasm" "$dist.new/assets/$app.wasm"
  cp frontend/assets/style.css "$dist.new/assets/$css.css"
  cp frontend/assets/favicon.svg "$dist.new/favicon.svg"
  sed -e "s/__APP__/$app/g" -e "s/__CSS__/$css/g" frontend/index.html >"$dist.new/index.html"
  local f
  for f in "$dist.new"/*.* "$dist.new"/assets/*; do
    brotli -q 11 -f -k "$f"
    gzip -9 -n -f -k "$f"
  done
  rm -rf "$tmp" "$dist"
  mv "$dist.new" "$dist"
  touch "$stamp"
  say "web app: frontend/dist ($app.wasm $(stat -c %s "$dist/assets/$app.wasm") bytes, $(stat -c %s "$dist/assets/$app.wasm.br") brotli)"
}

build() {
  ensure_rust
  say "building kato-dashboard, kato-sim and kato-demo-stores (release)"
  cargo build --release -p kato-dashboard-server -p kato-dashboard-sim -p kato-dashboard-testkit --bins
  build_frontend
}

bin() { echo "$CARGO_TARGET_DIR/$PROFILE_DIR/$1"; }

needs_build() {
  local b; b="$(bin kato-dashboard)"
  [ ! -x "$b" ] || [ ! -x "$(bin kato-sim)" ] || [ ! -x "$(bin kato-demo-stores)" ] && return 0
  [ -n "$(find crates Cargo.toml Cargo.lock -newer "$b" -type f 2>/dev/null | head -n1)" ]
}

pidfile() { echo "$RUN_DIR/$1.pid"; }
is_running() { local p; p="$(pidfile "$1")"; [ -f "$p" ] && kill -0 "$(cat "$p")" 2>/dev/null; }

# start_bg NAME CMD... — starts CMD detached, logs to .run/NAME.log
start_bg() {
  local name="$1"; shift
  mkdir -p "$RUN_DIR"
  if is_running "$name"; then say "$name already running (pid $(cat "$(pidfile "$name")"))"; return 0; fi
  setsid "$@" >"$RUN_DIR/$name.log" 2>&1 < /dev/null &
  echo $! >"$(pidfile "$name")"
}

stop_one() {
  local name="$1" p; p="$(pidfile "$name")"
  [ -f "$p" ] || return 0
  local pid; pid="$(cat "$p")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    say "stopped $name"
  fi
  rm -f "$p"
}

# wait_http URL SECONDS — waits for a 2xx answer
wait_http() {
  local url="$1" deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

cmd_demo() {
  needs_build && build
  build_frontend
  mkdir -p "$RUN_DIR"
  local redis_url=""
  if command -v redis-server >/dev/null || ensure_pkgs_or_warn redis-server:redis-server; then
    mkdir -p "$RUN_DIR/redis"
    start_bg demo-redis redis-server --port "$DEMO_REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$RUN_DIR/redis"
    redis_url="redis://127.0.0.1:$DEMO_REDIS_PORT"
  else
    warn "redis-server not found: the simulator keeps sessions in memory and the dashboard has no Redis"
  fi
  start_bg kato-sim "$(bin kato-sim)" --port "$SIM_PORT" --host 127.0.0.1 --flavour "${SIM_FLAVOUR:-v1}" \
    --scenario "${SIM_SCENARIO:-steady}" ${redis_url:+--redis-url "$redis_url"}
  demo_stores
  demo_docker
  wait_http "http://127.0.0.1:$SIM_PORT/health" 20 || die "kato-sim did not come up; see $RUN_DIR/kato-sim.log"
  # From the run folder, so a .env written for a real KATO in the clone does not leak into the demo.
  (cd "$RUN_DIR" && HOST="${HOST:-127.0.0.1}" PORT="$PORT" KATO_API_URL="http://127.0.0.1:$SIM_PORT" \
    REDIS_URL="${redis_url:-redis://127.0.0.1:1}" DATA_DIR="${DATA_DIR:-$RUN_DIR/data}" STATIC_DIR="$ROOT/frontend/dist" \
    MONGO_URL="$DEMO_MONGO_URL" QDRANT_URL="$DEMO_QDRANT_URL" QDRANT_GRPC_URL="$DEMO_QDRANT_URL" \
    DOCKER_ENABLED="$DEMO_DOCKER_ENABLED" MONITORED_CONTAINERS="$DEMO_CONTAINERS" \
    start_bg dashboard "$(bin kato-dashboard)")
  wait_http "http://127.0.0.1:$PORT/api/v1/health" 20 || die "the dashboard did not come up; see $RUN_DIR/dashboard.log"
  say "KATO simulator: http://127.0.0.1:$SIM_PORT  (flavour ${SIM_FLAVOUR:-v1}, scenario ${SIM_SCENARIO:-steady})"
  say "KATO Dashboard: http://127.0.0.1:$PORT"
  say "logs: ./dashboard.sh logs [dashboard|kato-sim|demo-stores|demo-docker]    stop: ./dashboard.sh stop"
}

# ensure_pkgs_or_warn CMD:PACKAGE ... — like ensure_pkgs, but a failed install is a warning (the demo goes on).
ensure_pkgs_or_warn() { (ensure_pkgs "$@") || { warn "could not install: $*"; return 1; }; }

# demo_stores — KATO's recorded MongoDB and Qdrant (tests/fixtures/kato) on loopback ports, for the Databases pages.
DEMO_MONGO_PORT="${DEMO_MONGO_PORT:-27117}"
DEMO_QDRANT_PORT="${DEMO_QDRANT_PORT:-6434}"
DEMO_MONGO_URL="mongodb://127.0.0.1:1"
DEMO_QDRANT_URL="http://127.0.0.1:1"
demo_stores() {
  if ensure_pkgs_or_warn python3:python3 && { dpkg -s python3-venv >/dev/null 2>&1 || ensure_pkgs_or_warn __python3_venv__:python3-venv; } \
      && (ensure_nx27017); then
    KATO_FIXTURES_DIR="$ROOT/tests/fixtures/kato" start_bg demo-stores "$(bin kato-demo-stores)" \
      --mongo-port "$DEMO_MONGO_PORT" --qdrant-port "$DEMO_QDRANT_PORT"
    local deadline=$((SECONDS + 60))
    until grep -q '^ready$' "$RUN_DIR/demo-stores.log" 2>/dev/null; do
      if ! is_running demo-stores || [ $SECONDS -ge $deadline ]; then
        warn "the demo's MongoDB and Qdrant did not start (see $RUN_DIR/demo-stores.log): the Databases pages will say so"
        return 0
      fi
      sleep 0.2
    done
    DEMO_MONGO_URL="mongodb://127.0.0.1:$DEMO_MONGO_PORT"
    DEMO_QDRANT_URL="http://127.0.0.1:$DEMO_QDRANT_PORT"
  else
    warn "no Python venv for the MongoDB stand-in: the Databases pages will show MongoDB and Qdrant as down"
  fi
}

# demo_docker — where a Docker engine answers: the demo's own containers (scripts/demo-containers.sh), watched
# alone; elsewhere container monitoring is off and the dashboard says so.
DEMO_DOCKER_ENABLED=false
DEMO_CONTAINERS=""
demo_docker() {
  if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
    say "no Docker engine answers here: the demo runs with container monitoring off"
    return 0
  fi
  { dpkg -s busybox-static >/dev/null 2>&1 || ensure_pkgs_or_warn __busybox_static__:busybox-static; } || return 0
  local names
  if ! names="$(scripts/demo-containers.sh up 2>"$RUN_DIR/demo-docker.log")"; then
    warn "could not start the demo containers (see $RUN_DIR/demo-docker.log): container monitoring is off"
    return 0
  fi
  start_bg demo-docker scripts/demo-containers.sh cycle
  DEMO_DOCKER_ENABLED=true
  DEMO_CONTAINERS="$names"
  say "demo containers on the local Docker engine: $names"
}

cmd_start() {
  needs_build && build
  [ -f .env ] || warn "no .env here: using defaults and the environment (see .env.example)"
  start_bg dashboard "$(bin kato-dashboard)"
  wait_http "http://127.0.0.1:$PORT/api/v1/health" 20 || die "the dashboard did not come up; see $RUN_DIR/dashboard.log"
  report_upstreams
  say "KATO Dashboard: http://127.0.0.1:$PORT"
}

cmd_stop() {
  stop_one dashboard; stop_one kato-sim; stop_one demo-redis; stop_one demo-stores
  if [ -f "$(pidfile demo-docker)" ]; then
    stop_one demo-docker
    docker info >/dev/null 2>&1 && scripts/demo-containers.sh down && say "removed the demo containers"
  fi
  return 0
}

# report_upstreams — after a start: one clear line per upstream that is down (KATO, Docker, Redis, …).
report_upstreams() {
  local body; body="$(curl -fsS --max-time 10 "http://127.0.0.1:$PORT/api/v1/health" 2>/dev/null)" || return 0
  command -v python3 >/dev/null || return 0
  python3 -c '
import json, sys
h = json.loads(sys.argv[1])
for name, up in (h.get("upstreams") or {}).items():
    if up.get("status") != "up":
        why = up.get("error") or up.get("status")
        print(f"warning: {name} is not available: {why}", file=sys.stderr)
' "$body" || true
}

# --- docker compose mode (--docker) --------------------------------------------------------------------------
KATO_NETWORK="${KATO_NETWORK:-kato_kato-network}"
IMAGE="${KATO_DASHBOARD_IMAGE:-kato-dashboard:latest}"
# The compose project (docker-compose 1.29 knows no top-level `name:`): containers, volumes and networks are
# kato-dashboard_…, whichever folder the clone is in.
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-kato-dashboard}"

# compose ARGS... — Compose v2 (`docker compose`) when the CLI has it, else Debian's docker-compose 1.29.
compose() {
  if docker compose version >/dev/null 2>&1; then docker compose "$@"
  elif command -v docker-compose >/dev/null; then docker-compose "$@"
  else die "neither 'docker compose' nor 'docker-compose' is installed (Debian: apt-get install docker-compose)"; fi
}

# docker_build ARGS... — `docker build` with BuildKit (the Dockerfile uses cache mounts and build-time stage
# selection): `docker buildx` when the CLI has it, else a CLI older than 23 with BuildKit built in (Debian's
# docker.io: /usr/bin/docker). DOCKER_HOST applies to either.
docker_build() {
  if docker buildx version >/dev/null 2>&1; then docker buildx build --load "$@"; return; fi
  local cli v
  for cli in docker /usr/bin/docker; do
    command -v "$cli" >/dev/null 2>&1 || continue
    v="$("$cli" version --format '{{.Client.Version}}' 2>/dev/null || true)"
    if [ -n "$v" ] && [ "${v%%.*}" -lt 23 ] 2>/dev/null; then DOCKER_BUILDKIT=1 "$cli" build "$@"; return; fi
  done
  die "no docker CLI with BuildKit: install the buildx plugin, or Debian's docker.io (its docker 20.10 has BuildKit built in)"
}

# docker_ready — the engine at DOCKER_HOST answers; exports what docker-compose.yml reads: DOCKER_SOCKET (the
# engine's unix socket, mounted read-only), DOCKER_GID (its group) and KATO_DASHBOARD_ENV_FILE.
docker_ready() {
  command -v docker >/dev/null || die "docker is not installed (Debian: apt-get install docker.io)"
  docker info >/dev/null 2>&1 || die "the Docker engine at ${DOCKER_HOST:-unix:///var/run/docker.sock} does not answer \
(is dockerd running, and may $(id -un) use its socket?)"
  local sock=/var/run/docker.sock
  case "${DOCKER_HOST:-}" in unix://*) sock="${DOCKER_HOST#unix://}" ;; esac
  export DOCKER_SOCKET="${DOCKER_SOCKET:-$sock}"
  [ -S "$DOCKER_SOCKET" ] || die "no Docker socket at $DOCKER_SOCKET to mount into the dashboard (set DOCKER_SOCKET)"
  # The container reaches the read-only socket through the socket's group; its mode is never changed.
  export DOCKER_GID="${DOCKER_GID:-$(stat -c %g "$DOCKER_SOCKET")}"
  # Compose needs an existing env file: .env, else an empty one (defaults and the compose file apply).
  if [ -z "${KATO_DASHBOARD_ENV_FILE:-}" ]; then
    if [ -f "$ROOT/.env" ]; then
      export KATO_DASHBOARD_ENV_FILE="$ROOT/.env"
    else
      mkdir -p "$RUN_DIR"; : >"$RUN_DIR/empty.env"
      export KATO_DASHBOARD_ENV_FILE="$RUN_DIR/empty.env"
    fi
  fi
}

# docker_image [force] — builds $IMAGE unless it exists (always with force). RUST_IMAGE, RUNTIME_IMAGE and
# ARTIFACTS pass through as build arguments, DOCKER_BUILD_NETWORK as --network (e.g. host, for the Rust package registry).
docker_image() {
  if [ "${1:-}" = force ] || ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    local args=() a
    for a in RUST_IMAGE RUNTIME_IMAGE ARTIFACTS; do
      if [ -n "${!a:-}" ]; then args+=(--build-arg "$a=${!a}"); fi
    done
    if [ -n "${DOCKER_BUILD_NETWORK:-}" ]; then args+=(--network "$DOCKER_BUILD_NETWORK"); fi
    say "building the image $IMAGE (Dockerfile${args[*]:+; ${args[*]}})"
    docker_build "${args[@]}" -t "$IMAGE" "$ROOT"
  fi
  say "image $IMAGE: $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.1f MB", $1/1e6}')"
}

docker_start() {
  docker_ready
  docker network inspect "$KATO_NETWORK" >/dev/null 2>&1 || die "KATO's Docker network $KATO_NETWORK does not exist: \
start KATO first (its docker-compose creates it), set KATO_NETWORK, or try './dashboard.sh demo --docker'"
  docker ps --format '{{.Names}}' | grep -qx kato || warn "no running container named 'kato' on this engine: the dashboard will show KATO as unreachable"
  docker_image
  compose up -d kato-dashboard
  wait_http "http://127.0.0.1:${DASHBOARD_PORT:-$PORT}/api/v1/health" 60 || die "the dashboard container does not answer: ./dashboard.sh logs --docker"
  PORT="${DASHBOARD_PORT:-$PORT}" report_upstreams
  say "KATO Dashboard: http://127.0.0.1:${DASHBOARD_PORT:-$PORT}"
}

docker_demo() {
  docker_ready
  docker_image
  compose --profile demo up -d kato-dashboard-demo kato-sim
  wait_http "http://127.0.0.1:${DASHBOARD_PORT:-$PORT}/api/v1/health" 60 || die "the demo does not answer: ./dashboard.sh logs --docker"
  say "KATO Dashboard (demo, simulated KATO): http://127.0.0.1:${DASHBOARD_PORT:-$PORT}"
}

# docker_stop — `compose down`: the containers and the demo network go, the volumes (alert history) stay.
docker_stop() {
  docker_ready
  compose --profile demo down --remove-orphans
}

docker_status() {
  docker_ready
  compose --profile demo ps
  local body
  if body="$(curl -fsS --max-time 5 "http://127.0.0.1:${DASHBOARD_PORT:-$PORT}/api/v1/health" 2>&1)"; then
    echo "health: $body"
  else
    echo "health: FAILED ($body)"; return 1
  fi
}

# ensure_deploy_deps — what the deploy test (tests/e2e/tests/deploy.rs) needs beside a Docker engine:
# docker-compose 1.29, mmdebstrap, binutils (strip) and the base images' rootfs tarballs (made once, then cached).
ensure_deploy_deps() {
  ensure_pkgs docker-compose:docker-compose mmdebstrap:mmdebstrap objcopy:binutils iptables:iptables
  tests/deploy/base-images.sh build
}

cmd_clean() {
  if [ "$DOCKER_MODE" = 1 ]; then
    docker_ready
    compose --profile demo down --volumes --remove-orphans
    docker image rm "$IMAGE" 2>/dev/null || true
    say "removed the containers, their volumes (alert history) and the image"
  else
    cmd_stop
    rm -rf "$RUN_DIR" "$ROOT/frontend/dist"
    say "removed $RUN_DIR and frontend/dist (build caches in $CARGO_TARGET_DIR are kept: remove them by hand)"
  fi
}

cmd_status() {
  local rc=0
  for name in dashboard kato-sim demo-redis demo-stores demo-docker; do
    if is_running "$name"; then echo "$name: running (pid $(cat "$(pidfile "$name")"))"; else echo "$name: not running"; fi
  done
  local body
  if body="$(curl -fsS --max-time 5 "http://127.0.0.1:$PORT/api/v1/health" 2>&1)"; then
    echo "health: $body"
  else
    echo "health: FAILED ($body)"; rc=1
  fi
  return $rc
}

cmd_logs() {
  local name="${1:-dashboard}"
  [ -f "$RUN_DIR/$name.log" ] || die "no log for $name in $RUN_DIR"
  tail -n 100 -F "$RUN_DIR/$name.log"
}

cmd_test() {
  ensure_test_deps
  ensure_pkgs chromium:chromium
  ensure_frontend_tools
  ensure_deploy_deps
  say "cargo fmt --check"
  cargo fmt --all -- --check
  say "cargo clippy -D warnings"
  cargo clippy --workspace --all-targets --quiet -- -D warnings
  say "core builds for wasm32-unknown-unknown"
  cargo check -p kato-dashboard-core --target wasm32-unknown-unknown --quiet
  build_frontend --lint
  say "tests"
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast --failure-output final
  else
    cargo test --workspace --no-fail-fast
  fi
}

# cmd_test_real_kato [checker options] — the dashboard against the real KATO, both generations (run by hand, not in CI;
# docs/real-kato.md). KATO_SRC_DIR names KATO's source folder (its archives and setup.sh/start.sh/stop.sh; default
# tests/real-kato/kato-src, in the repository); its
# setup.sh makes the trees and venvs once into $REAL_KATO_CACHE. The checker (tests/real-kato) runs everything on
# free loopback ports in its own temporary WORK folder, bounded in time, and exits 0 only if every check passed.
REAL_KATO_CACHE="${REAL_KATO_CACHE:-$HOME/.cache/kato-dashboard/real-kato}"
cmd_test_real_kato() {
  # KATO's source archives and launchers are kept in the repository; KATO_SRC_DIR points elsewhere if wanted.
  KATO_SRC_DIR="${KATO_SRC_DIR:-$ROOT/tests/real-kato/kato-src}"
  local src f
  src="$(cd "$KATO_SRC_DIR" 2>/dev/null && pwd)" || die "KATO_SRC_DIR=$KATO_SRC_DIR is not a folder"
  for f in setup.sh start.sh stop.sh run_kato_d1391ac.py run_kato_c584167.py kato-d1391ac.tar.gz kato-c584167.tar.gz; do
    [ -f "$src/$f" ] || die "KATO_SRC_DIR=$src is not KATO's source folder: it has no $f"
  done
  ensure_rust
  ensure_pkgs redis-server:redis-server redis-cli:redis-tools curl:curl python3:python3
  dpkg -s python3-venv >/dev/null 2>&1 || ensure_pkgs __python3_venv__:python3-venv
  # setup.sh skips what exists; a venv whose install broke off is made again.
  local c import
  for c in d1391ac c584167; do
    import="import fastapi, uvicorn, redis, qdrant_client, $([ "$c" = d1391ac ] && echo mongomock || echo chdb)"
    if [ -x "$REAL_KATO_CACHE/venv-$c/bin/python" ] && ! "$REAL_KATO_CACHE/venv-$c/bin/python" -c "$import" 2>/dev/null; then
      warn "the KATO $c venv in $REAL_KATO_CACHE is incomplete: making it again"
      rm -rf "$REAL_KATO_CACHE/venv-$c"
    fi
  done
  if [ ! -x "$REAL_KATO_CACHE/venv-d1391ac/bin/python" ] || [ ! -x "$REAL_KATO_CACHE/venv-c584167/bin/python" ]; then
    say "preparing the real KATO (trees and venvs) in $REAL_KATO_CACHE (once; a few minutes)"
  fi
  WORK="$REAL_KATO_CACHE" bash "$src/setup.sh" >/dev/null
  # The dashboard exactly as `build` makes it (same packages, so the same features), the checker on its own.
  say "building kato-dashboard (as ./dashboard.sh build does) and the checker (release)"
  cargo build --release -p kato-dashboard-server -p kato-dashboard-sim -p kato-dashboard-testkit --bins
  cargo build --release -p kato-dashboard-real-kato
  say "checking the dashboard against the real KATO from $src"
  "$(bin kato-real-check)" --kato-src "$src" --cache "$REAL_KATO_CACHE" --dashboard-bin "$(bin kato-dashboard)" "$@"
}

usage() {
  cat <<EOF
usage: ./dashboard.sh <command>

  demo            build if needed; start the KATO simulator, a private Redis, KATO's recorded MongoDB and Qdrant
                  (ports $DEMO_MONGO_PORT, $DEMO_QDRANT_PORT), the demo's own containers where a Docker engine answers,
                  and the dashboard on port $PORT, all on 127.0.0.1; print the URL
                  (env: SIM_FLAVOUR=v1|v3, SIM_SCENARIO=idle|steady|incidents)
  start           start the dashboard against the KATO in .env / the environment
  stop            stop everything this script started
  restart         stop, then start
  status          processes and the dashboard's health (fails unless /api/v1/health answers 2xx)
  logs [name]     follow a log: dashboard (default), kato-sim, demo-redis, demo-stores, demo-docker
  build           build the release binaries and the web app
  build-web       build only the web app (frontend/dist), when a source changed
  clean           stop, remove run state and the built web app
  test            install what the tests need, then fmt, clippy, the wasm32 check and every test
  test-real-kato  by hand, not in CI: the dashboard against the real KATO 1.x and 3.x, end to end, on private
                  loopback ports; KATO from tests/real-kato/kato-src or KATO_SRC_DIR (docs/real-kato.md); prints a
                  PASS/FAIL table, exit 0 only if every check passed (options: --only v1|v3, --keep-work)
  help            this text

  --docker        with demo/start/stop/restart/status/logs/build/clean: the same through docker compose
                  (docker-compose.yml; the image is built on first use; KATO's network $KATO_NETWORK must exist
                  for start; demo runs the simulator beside the dashboard instead)
EOF
}

DOCKER_MODE=0
ARGS=()
for a in "$@"; do
  if [ "$a" = --docker ]; then DOCKER_MODE=1; else ARGS+=("$a"); fi
done
set -- "${ARGS[@]+"${ARGS[@]}"}"

if [ "$DOCKER_MODE" = 1 ]; then
  case "${1:-help}" in
    demo) docker_demo ;;
    start) docker_start ;;
    stop) docker_stop ;;
    restart) docker_stop; docker_start ;;
    status) docker_status ;;
    logs) shift; docker_ready; compose --profile demo logs -f --tail 100 "$@" ;;
    build) docker_ready; docker_image force ;;
    clean) cmd_clean ;;
    test) die "tests run natively: ./dashboard.sh test" ;;
    help|-h|--help) usage ;;
    *) usage; exit 2 ;;
  esac
  exit 0
fi

case "${1:-help}" in
  demo) cmd_demo ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  build) build ;;
  build-web) build_frontend ;;
  clean) cmd_clean ;;
  test) cmd_test ;;
  test-real-kato) shift; cmd_test_real_kato "$@" ;;
  help|-h|--help) usage ;;
  *) usage; exit 2 ;;
esac
