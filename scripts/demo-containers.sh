#!/usr/bin/env bash
# The demo's own containers, named like KATO's (demo-kato, demo-kato-redis, …), on the Docker engine at
# $DOCKER_HOST (default: the local socket). Used by `./dashboard.sh demo` when a Docker engine answers; the
# dashboard then watches exactly these containers and nothing else of the engine.
#
#   scripts/demo-containers.sh up      import a tiny busybox image, (re)create the containers, print their names
#   scripts/demo-containers.sh cycle   forever: now and then stop demo-kato-qdrant for a few seconds and start it
#   scripts/demo-containers.sh down    remove every container this script created (found by its label)
#
# The containers have no network (--network none), a read-only root and CPU and memory limits; their load moves:
# CPU in waves (demo-kato), memory filling and emptying a tmpfs (demo-kato-redis), a little steady work
# (demo-kato-clickhouse, demo-kato-mongodb). Nothing of the engine that this script did not create is touched.
set -euo pipefail

IMAGE="kato-dashboard-demo/busybox:1"
LABEL="com.kato-dashboard.demo=1"
CYCLE_NAME="demo-kato-qdrant"
CYCLE_FIRST="${DEMO_CYCLE_FIRST_SECONDS:-90}"
CYCLE_EVERY="${DEMO_CYCLE_EVERY_SECONDS:-300}"
CYCLE_DOWN="${DEMO_CYCLE_DOWN_SECONDS:-8}"

# name, docker run flags, shell script (busybox sh)
CONTAINERS=(
  "demo-kato|--cpus 0.6 --memory 512m|while :; do timeout \$((RANDOM % 4 + 1)) yes >/dev/null; sleep \$((RANDOM % 5 + 2)); done"
  "demo-kato-redis|--cpus 0.2 --memory 160m --shm-size 96m|while :; do for i in 1 2 3 4 5 6 7 8; do head -c 8000000 /dev/zero >/dev/shm/f\$i; sleep 3; done; rm -f /dev/shm/f*; sleep 6; done"
  "demo-kato-mongodb|--cpus 0.3 --memory 256m --shm-size 32m|head -c 24000000 /dev/zero >/dev/shm/cache; while :; do timeout 1 yes >/dev/null; sleep 4; done"
  "demo-kato-qdrant|--cpus 0.2 --memory 128m --shm-size 16m|head -c 12000000 /dev/zero >/dev/shm/index; while :; do sleep 5; done"
  "demo-kato-clickhouse|--cpus 0.08 --memory 256m|yes >/dev/null"
)

names() { local c; for c in "${CONTAINERS[@]}"; do printf '%s\n' "${c%%|*}"; done; }

image() {
  docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
  local busybox
  busybox="$(command -v busybox || true)"
  [ -x /bin/busybox ] && busybox=/bin/busybox
  [ -n "$busybox" ] || { echo "busybox-static is not installed (apt-get install busybox-static)" >&2; return 1; }
  # Only a static busybox runs inside an image with no libc.
  if ldd "$busybox" >/dev/null 2>&1; then
    echo "$busybox is dynamically linked: install busybox-static" >&2; return 1
  fi
  local root; root="$(mktemp -d)"
  mkdir -p "$root/bin" "$root/tmp" "$root/dev/shm"
  cp "$busybox" "$root/bin/busybox"
  local applet
  for applet in sh yes sleep head rm timeout cat; do ln -s busybox "$root/bin/$applet"; done
  tar -C "$root" -c . | docker import -c 'ENV PATH=/bin' - "$IMAGE" >/dev/null
  rm -rf "$root"
}

cmd_up() {
  image
  cmd_down >/dev/null
  local c name flags script
  for c in "${CONTAINERS[@]}"; do
    name="${c%%|*}"; flags="${c#*|}"; flags="${flags%%|*}"; script="${c##*|}"
    # shellcheck disable=SC2086 # flags are words on purpose
    docker run -d --name "$name" --label "$LABEL" --network none --read-only --stop-timeout 1 \
      $flags "$IMAGE" sh -c "$script" >/dev/null
  done
  names | paste -sd, -
}

cmd_cycle() {
  sleep "$CYCLE_FIRST"
  while :; do
    docker stop -t 1 "$CYCLE_NAME" >/dev/null 2>&1 || true
    sleep "$CYCLE_DOWN"
    docker start "$CYCLE_NAME" >/dev/null 2>&1 || true
    sleep "$CYCLE_EVERY"
  done
}

cmd_down() {
  local ids
  ids="$(docker ps -aq --filter "label=$LABEL")"
  [ -z "$ids" ] || docker rm -f $ids >/dev/null
}

case "${1:-}" in
  up) cmd_up ;;
  cycle) cmd_cycle ;;
  down) cmd_down ;;
  names) names | paste -sd, - ;;
  *) echo "usage: $0 up|cycle|down|names" >&2; exit 2 ;;
esac
