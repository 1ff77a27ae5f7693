#!/bin/bash
# Usage: bench/workers_probe.sh N   (run under flock /tmp/kv-bench.lock)
# Starts the server with WORKERS=$1 unpinned, drives a 50/50 mix with wrk for
# 10 s, prints wrk's summary, the server's CPU time and /stats.
set -u
cd "$(dirname "$0")/.."
PORT=$((20000 + RANDOM % 20000))
# The start task's flags, from the one place they are written.
flags=$(deno eval 'import { START_FLAGS } from "./scripts/start_flags.ts"; console.log(START_FLAGS.join(" "))')
# shellcheck disable=SC2086 # the flags are words
WORKERS=$1 PORT=$PORT HOST=127.0.0.1 LOG_LEVEL=warn NOT_FOUND_STATUS=200 \
  deno run $flags main.ts &
pid=$!
for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.1; done
wrk -t2 -c100 -d3s -s bench/wrk/put_get_mix.lua "http://127.0.0.1:$PORT" > /dev/null
t0=$(awk '{print $14+$15}' /proc/$pid/stat)
wrk -t2 -c100 -d10s -s bench/wrk/put_get_mix.lua "http://127.0.0.1:$PORT" | grep -E "Requests/sec|Latency|requests in"
t1=$(awk '{print $14+$15}' /proc/$pid/stat)
echo "server cpu ticks: $((t1 - t0))"
curl -s "http://127.0.0.1:$PORT/stats"; echo
kill -TERM $pid; wait $pid; echo "exit $?"
