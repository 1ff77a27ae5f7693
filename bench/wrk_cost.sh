#!/usr/bin/env bash
# What the load generator itself costs per request: runs the floor server
# (bench/floor_server.ts) pinned to core 0 and wrk pinned to core 1 with the
# cheapest load wrk can make (one fixed GET, no Lua script), then prints
# wrk's user and system CPU per request from /usr/bin/time.
#
# With the server's CPU per request s and wrk's w, two shared cores carry at
# most 2,000,000 / (s + w) requests per second, and one isolate (one core)
# 1,000,000 / s, so no server can scale by more than 2s / (s + w) with the
# load generator on the same box (docs/multicore.md).
#
# Usage: bench/wrk_cost.sh [seconds=5] [connections=100]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-5}"
connections="${2:-100}"
for tool in wrk taskset /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "wrk_cost: needs $tool" >&2; exit 1; }
done
port=$((20000 + RANDOM % 20000))
PORT=$port HOST=127.0.0.1 taskset -c 0 deno run --allow-net --allow-env \
  bench/floor_server.ts >/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
out=$(/usr/bin/time -f "TIME %U %S" taskset -c 1 \
  wrk -t1 -c"$connections" -d"${seconds}s" "http://127.0.0.1:$port/get?key=k" 2>&1)
requests=$(echo "$out" | awk '/requests in/ {print $1}')
read -r user sys < <(echo "$out" | awk '/^TIME/ {print $2, $3}')
awk -v r="$requests" -v u="$user" -v s="$sys" 'BEGIN {
  printf "wrk: %d requests, %.2f us/req of CPU (user %.2f, system %.2f)\n",
    r, (u + s) * 1e6 / r, u * 1e6 / r, s * 1e6 / r
}'
