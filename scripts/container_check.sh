#!/usr/bin/env bash
# Builds the Dockerfile's default target and checks the container the way
# users run it (2 CPUs, 2 GB): it serves the API, turns healthy, and stops
# fast with exit code 0 on SIGTERM. Prints the figures for docs/operations.md.
#
# Usage: scripts/container_check.sh            (from anywhere; needs root)
#   RIG=path/to/container-rig  (default /work/shared/tools/container-rig)
#   PORT=7171                  host port to use (the rig runs --network host)
#   FILL_MB=0                  if > 0, PUT about this many MB of 4000-character
#                              values (MAX_VALUE_SIZE=4096) and report the
#                              container's memory afterwards
#   RUN_ENV="A=1 B=2"          extra variables for the container
#
# Run `container-rig prepare` once before (about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."

RIG=${RIG:-/work/shared/tools/container-rig}
PORT=${PORT:-7171}
FILL_MB=${FILL_MB:-0}
TAG=localhost/kv-cache
NAME=kvc-check
URL="http://127.0.0.1:$PORT"
logs=$(mktemp)

say() { printf 'container_check: %s\n' "$*"; }
fail() { say "FAILED: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
podman() { "$RIG" podman "$@"; }
cleanup() {
  podman rm -f "$NAME" >/dev/null 2>&1 || true
  rm -f "$logs"
}
trap cleanup EXIT

if curl -s -o /dev/null "$URL/health"; then
  fail "something already answers on port $PORT; set PORT to a free port"
fi
podman rm -f "$NAME" >/dev/null 2>&1 || true

# Docker image format, so that HEALTHCHECK is kept (OCI drops it).
start=$(now)
BUILDAH_FORMAT=docker "$RIG" build . "$TAG" >"$logs" 2>&1 ||
  { cat "$logs"; fail "build"; }
say "build: $(since "$start") s"
say "image size: $(podman image inspect "$TAG" --format '{{.Size}}' |
  awk '{ printf "%.0f MB", $1 / 1e6 }')"
say "user: $(podman image inspect "$TAG" --format '{{.Config.User}}')," \
  "healthcheck: $(podman image inspect "$TAG" \
    --format '{{if .Config.Healthcheck}}yes{{else}}MISSING{{end}}')"

start=$(now)
env_args=(-e "PORT=$PORT")
[ "$FILL_MB" -gt 0 ] && env_args+=(-e MAX_VALUE_SIZE=4096)
for pair in ${RUN_ENV:-}; do env_args+=(-e "$pair"); done
# As `container-rig run --memory 2g --cpus 2 -d`, less --rm, so that the exit
# code and the last log lines survive the stop.
"$RIG" podman run -d --network host --memory 2g --cpus 2 --name "$NAME" \
  "${env_args[@]}" "$TAG" >/dev/null 2> >(grep -v 'systemd connection' >&2)
podman logs -f "$NAME" >"$logs" 2>&1 &
logs_pid=$!
for _ in $(seq 100); do
  curl -s -o /dev/null "$URL/health" && break
  sleep 0.1
done
curl -sf -o /dev/null "$URL/health" || { cat "$logs"; fail "not serving"; }
say "serving after: $(since "$start") s"

body=$(curl -s -X POST "$URL/put" -d '{"key":"rig","value":"ok"}')
[ "$body" = '{"status":"OK","message":"Key inserted/updated successfully."}' ] ||
  fail "PUT answered $body"
body=$(curl -s "$URL/get?key=rig")
[ "$body" = '{"status":"OK","key":"rig","value":"ok"}' ] ||
  fail "GET answered $body"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/get?key=absent")
[ "$code" = 404 ] || fail "GET of a missing key answered $code"
say "API: PUT, GET and 404 as specified"

body=$(curl -s -X POST "$URL/" -d '["incr","rig:n"]')
[ "$body" = '{"result":1}' ] || fail "Redis INCR answered $body"
body=$(curl -s -X POST "$URL/pipeline" -d '[["get","rig"],["ttl","rig:n"]]')
[ "$body" = '[{"result":"ok"},{"result":-1}]' ] ||
  fail "Redis pipeline answered $body"
say "Redis REST API: INCR and a pipeline reading the JSON API's key"

# Start-up errors: one line naming the variable, exit 1, no stack trace. The
# running container holds $PORT (host network), so a second one finds it taken.
startup_error() { # what, podman run options...
  local what=$1 out code=0
  shift
  "$RIG" run --memory 2g --cpus 2 "$@" "$TAG" >"$logs.err" 2>&1 || code=$?
  out=$(grep -v 'systemd connection' "$logs.err")
  rm -f "$logs.err"
  [ "$code" = 1 ] && [ "$(grep -c . <<<"$out")" = 1 ] &&
    grep -q '^kv-cache: ' <<<"$out" && ! grep -q Uncaught <<<"$out" ||
    fail "$what (exit $code): $out"
  say "start-up error, $what: exit 1, $out"
}
startup_error "port taken, WORKERS=1" -e "PORT=$PORT" -e WORKERS=1
startup_error "port taken, WORKERS=2" -e "PORT=$PORT" -e WORKERS=2
startup_error "port 80 as a non-root user" -e PORT=80 -e WORKERS=auto

heap=$(podman exec "$NAME" deno eval \
  'import v8 from "node:v8"; console.log(v8.getHeapStatistics().heap_size_limit / 2 ** 20)')
say "V8 heap limit in the container: $heap MiB (DENO_V8_FLAGS=$(podman exec \
  "$NAME" printenv DENO_V8_FLAGS))"

# Podman runs HEALTHCHECK from systemd timers, which the rig may lack: wait
# for the status, and run the check by hand if nothing ran it.
status=
for _ in $(seq 40); do
  status=$(podman inspect "$NAME" --format '{{.State.Health.Status}}')
  [ "$status" = healthy ] && break
  sleep 0.5
done
if [ "$status" != healthy ]; then
  say "health status after 20 s: '$status'; running the HEALTHCHECK by hand"
  start=$(now)
  podman healthcheck run "$NAME" || fail "health check failed"
  say "health check run by hand took $(since "$start") s"
  status=$(podman inspect "$NAME" --format '{{.State.Health.Status}}')
fi
[ "$status" = healthy ] || fail "health status is '$status'"
say "health: $status"

if [ "$FILL_MB" -gt 0 ]; then
  start=$(now)
  deno run --allow-net=127.0.0.1 scripts/fill_cache.ts "$URL" "$FILL_MB" ||
    fail "fill"
  say "fill: $(since "$start") s; $(curl -s "$URL/stats")"
  say "container memory: $(podman stats --no-stream --format '{{.MemUsage}}' \
    "$NAME" 2>/dev/null), OOM-killed: $(podman inspect "$NAME" \
    --format '{{.State.OOMKilled}}')"
  status=$(podman healthcheck run "$NAME" && echo healthy || echo unhealthy)
  say "health after fill: $status"
fi

start=$(now)
podman kill --signal TERM "$NAME" >/dev/null
podman wait "$NAME" >/dev/null 2>&1 || true
exit_code=$(podman inspect "$NAME" --format '{{.State.ExitCode}}')
say "stop on SIGTERM: $(since "$start") s, exit code $exit_code"
wait "$logs_pid" || true
grep -q '"msg":"stopped"' "$logs" || { cat "$logs"; fail "no 'stopped' log"; }
say "logs: $(grep -c . "$logs") lines, last: $(tail -n 1 "$logs")"
[ "$exit_code" = 0 ] || fail "exit code $exit_code"
say "OK"
