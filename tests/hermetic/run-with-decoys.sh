#!/usr/bin/env bash
# Proof that the test suite is hermetic: runs `./dashboard.sh test` while the host's default places are occupied
# by decoys that look like a KATO machine, and reports whether any test touched them.
#
#   tests/hermetic/run-with-decoys.sh        (root; a machine where nothing else uses these sockets and ports)
#
# Decoys, all on the host's defaults:
#   * a Docker engine on /var/run/docker.sock with running containers named kato, kato-redis, kato-mongodb,
#     kato-qdrant, kato-clickhouse (busybox, no network), started with --debug so every API call is logged;
#   * a redis-server on 127.0.0.1:6379 holding kato:session:* keys (its connection counter is read before and after);
#   * listeners on 127.0.0.1 ports 3000, 8000, 8123, 27017, 6333 and 6334 that log every connection.
# Verdict: the suite passes, the decoy engine received no API call from the tests, the decoy Redis no connection,
# the listeners no connection, and the decoy containers and keys are unchanged. Everything is removed at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "run as root (it starts a Docker engine on /var/run/docker.sock)" >&2; exit 2; }
[ -S /var/run/docker.sock ] && { echo "/var/run/docker.sock exists: a Docker engine runs here already" >&2; exit 2; }
WORK="$(mktemp -d /tmp/kd-decoys-XXXX)"
PORTS=(3000 8000 8123 27017 6333 6334)
pids=()
cleanup() {
  set +e
  if [ -S /var/run/docker.sock ]; then
    DOCKER_HOST=unix:///var/run/docker.sock docker rm -f kato kato-redis kato-mongodb kato-qdrant kato-clickhouse >/dev/null 2>&1
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  sleep 2
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  pkill -f "$WORK/exec" 2>/dev/null
  rm -f /var/run/docker.sock
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "==> decoy Docker engine on /var/run/docker.sock"
setsid dockerd --debug --iptables=false --ip-masq=false --bridge=none --storage-driver=vfs \
  --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" \
  -H unix:///var/run/docker.sock >"$WORK/dockerd.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do [ -S /var/run/docker.sock ] && docker -H unix:///var/run/docker.sock info >/dev/null 2>&1 && break; sleep 0.1; done
export DOCKER_HOST=unix:///var/run/docker.sock
mkdir -p "$WORK/rootfs/bin"; cp /bin/busybox "$WORK/rootfs/bin/busybox"; ln -s busybox "$WORK/rootfs/bin/sh"; ln -s busybox "$WORK/rootfs/bin/sleep"
tar -C "$WORK/rootfs" -c . | docker import - decoy/busybox:1 >/dev/null
for name in kato kato-redis kato-mongodb kato-qdrant kato-clickhouse; do
  docker run -d --name "$name" --network none decoy/busybox:1 sleep 100000 >/dev/null
done
unset DOCKER_HOST

echo "==> decoy Redis on 127.0.0.1:6379 with kato:session:* keys"
redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do redis-cli -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
for i in 1 2 3; do
  redis-cli -p 6379 set "kato:session:decoy-$i" "{\"session_id\":\"decoy-$i\",\"node_id\":\"decoy\"}" EX 86400 >/dev/null
done

echo "==> decoy listeners on 127.0.0.1:${PORTS[*]}"
python3 - "$WORK/listeners.log" "${PORTS[@]}" <<'PY' &
import selectors, socket, sys, time
log = open(sys.argv[1], "a", buffering=1)
sel = selectors.DefaultSelector()
for port in map(int, sys.argv[2:]):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(64); sel.register(s, selectors.EVENT_READ, port)
while True:
    for key, _ in sel.select():
        conn, peer = key.fileobj.accept()
        log.write(f"{time.strftime('%H:%M:%S')} connection on port {key.data} from {peer}\n")
        conn.close()
PY
pids+=($!)
sleep 1

conns() { redis-cli -p 6379 info stats | awk -F: '/^total_connections_received/ {print $2+0}'; }
calls() { grep -c 'Calling ' "$WORK/dockerd.log" || true; }
redis_before="$(conns)"; calls_before="$(calls)"

echo "==> ./dashboard.sh test"
rc=0
(cd "$ROOT" && ./dashboard.sh test) || rc=$?

redis_after="$(conns)"; calls_after="$(calls)"
# The two `conns` calls themselves connect once each: the one before is counted in redis_before's successor.
redis_by_tests=$((redis_after - redis_before - 1))
engine_by_tests=$((calls_after - calls_before))
listener_hits="$(wc -l <"$WORK/listeners.log" 2>/dev/null || echo 0)"
containers="$(DOCKER_HOST=unix:///var/run/docker.sock docker ps --format '{{.Names}}' | sort | paste -sd, -)"
keys="$(redis-cli -p 6379 --scan --pattern 'kato:session:*' | sort | paste -sd, -)"
echo
echo "suite exit code:                 $rc"
echo "decoy Docker engine API calls:   $engine_by_tests"
echo "decoy Redis connections:         $redis_by_tests"
echo "decoy listener connections:      $listener_hits"
[ "$listener_hits" = 0 ] || cat "$WORK/listeners.log"
echo "decoy containers afterwards:     $containers"
echo "decoy keys afterwards:           $keys"
[ "$rc" = 0 ] && [ "$engine_by_tests" = 0 ] && [ "$redis_by_tests" = 0 ] && [ "$listener_hits" = 0 ] \
  && [ "$containers" = "kato,kato-clickhouse,kato-mongodb,kato-qdrant,kato-redis" ] \
  && [ "$keys" = "kato:session:decoy-1,kato:session:decoy-2,kato:session:decoy-3" ] \
  && { echo "hermetic: yes"; exit 0; }
echo "hermetic: NO"; exit 1
