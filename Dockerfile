# syntax=docker/dockerfile:1
#
# kv-cache images. Two targets:
#
#   server (default, last stage): main.ts on the official Deno image.
#     docker build -t kv-cache .
#     docker run -p 7171:7171 --memory 2g kv-cache
#   binary (untested: deno compile needs denort from dl.deno.land): the
#     standalone binary on distroless.
#     docker build --target binary -t kv-cache:binary .
#
# Both listen on 7171, run as a non-root user, read an optional /app/.env
# (mount one with -v "$PWD/.env:/app/.env:ro") and take configuration from
# -e VARIABLE=value. Memory is sized for a 2 GB container holding the default
# 1.5 GB cache; see docs/operations.md ("Docker") for other sizes.
#
# Warm restarts: /app/snapshots is a volume, the only directory the server may
# write (docs/snapshots.md). Keep the snapshot across containers with
#   docker run -v kv-snapshots:/app/snapshots \
#     -e SNAPSHOT_FILE=snapshots/kv-cache.snapshot --stop-timeout 60 kv-cache
# (a stop timeout long enough to drain and write the snapshot).

# Pinned: idle-connection timeouts (server/serve.ts) use a Deno-internal
# function; on a Deno without it the server falls back and warns at startup.
ARG DENO_VERSION=2.9.6

# ---------------------------------------------------------------------------
# Standalone binary on distroless (build with --target binary).
FROM denoland/deno:${DENO_VERSION} AS compile
WORKDIR /src
COPY deno.json deno.lock main.ts ./
COPY lib/ lib/
COPY routes/ routes/
COPY server/ server/
COPY scripts/compile.ts scripts/
RUN mkdir -p /out/snapshots && deno run --allow-run --allow-read \
      scripts/compile.ts --heap-mb=448 --output=/out/kv-cache

FROM gcr.io/distroless/cc-debian12 AS binary
COPY --from=compile /out/kv-cache /usr/local/bin/kv-cache
WORKDIR /app
COPY --from=compile --chown=65532:65532 /out/snapshots /app/snapshots
VOLUME ["/app/snapshots"]
ENV DENO_USE_CGROUPS=1 \
    SHUTDOWN_TIMEOUT_MS=8000
USER 65532:65532
EXPOSE 7171
# No HEALTHCHECK: distroless has neither deno nor curl; probe GET /health from
# the orchestrator instead (e.g. a Kubernetes httpGet probe).
ENTRYPOINT ["/usr/local/bin/kv-cache"]

# ---------------------------------------------------------------------------
# Default: main.ts under deno.
FROM denoland/deno:${DENO_VERSION} AS server
WORKDIR /app
COPY deno.json deno.lock main.ts ./
COPY lib/ lib/
COPY routes/ routes/
COPY server/ server/
COPY scripts/healthcheck.ts scripts/
# Snapshots (SNAPSHOT_FILE) live here, on a volume the deno user can write.
RUN mkdir -p /app/snapshots && chown deno:deno /app/snapshots
VOLUME ["/app/snapshots"]
USER deno
# Fetch and cache the npm dependencies now, as the deno user who owns
# DENO_DIR, so that the container needs no network at run time.
RUN deno cache --frozen main.ts server/worker.ts scripts/healthcheck.ts
# DENO_USE_CGROUPS: V8 sizes its heuristics from the container's memory limit.
# DENO_V8_FLAGS: caps the JavaScript heap at 448 MiB. The default arena store
#   keeps the cache (MAX_CACHE_BYTES, 1.5 GB = 1430 MiB) off the heap, so in a
#   2 GB container the heap gets what is left after the cache and the runtime.
#   With CACHE_STORE=map the cache lives on the heap: run with
#   -e DENO_V8_FLAGS=--max-old-space-size=1792 (see docs/operations.md).
# SHUTDOWN_TIMEOUT_MS: finish in-flight requests before docker stop's SIGKILL
#   (10 s by default).
ENV DENO_USE_CGROUPS=1 \
    DENO_V8_FLAGS=--max-old-space-size=448 \
    DENO_NO_UPDATE_CHECK=1 \
    SHUTDOWN_TIMEOUT_MS=8000
EXPOSE 7171
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["deno", "run", "--cached-only", "--allow-net=127.0.0.1", "--allow-env=PORT", "scripts/healthcheck.ts"]
# Exec form, deno as PID 1: SIGTERM goes straight to the server, which drains
# and exits 0.
ENTRYPOINT ["deno", "run", "--cached-only", "--frozen", "--unstable-net", "--allow-net", "--allow-env", "--allow-read=.env,lib,routes,server,snapshots", "--allow-write=snapshots", "main.ts"]
