#!/usr/bin/env bash
# Pause times against the live heap size, gcmap (concurrent and stop-the-world
# collectors) beside Go 1.19 on the same graph and mutation, one process per
# run. Prints one line per run (see bench/gc/pause_bench.cc and
# bench/go/pause/main.go).
#
#   bench/gc/pause_compare.sh [BUILD_DIR] [SIZES_MB] [SECONDS] [GOGC]
#   bench/gc/pause_compare.sh build/release "64 256 1024 2048" 20 25
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build/release}
sizes=${2:-"64 256 1024 2048"}
seconds=${3:-20}
gogc=${4:-25}
bench=$build/bench/gc/pause_bench
gobin=""
if command -v go >/dev/null; then
  gobin=$(cd "$build" && pwd)/bench/go-pause
  cache=$(cd "$build" && pwd)/bench/go-cache
  mkdir -p "$cache/build" "$cache/path"
  (cd "$here/../go" && env GOCACHE="$cache/build" GOPATH="$cache/path" GOMODCACHE="$cache/path/mod" \
    GOPROXY=off GOFLAGS=-buildvcs=false GO111MODULE=on CGO_ENABLED=0 \
    go build -trimpath -o "$gobin" ./pause)
fi
for mb in $sizes; do
  GCMAP_GC_CONCURRENT=1 "$bench" --live-mb "$mb" --seconds "$seconds" --gogc "$gogc" | sed 's/^/gcmap-concurrent /'
  GCMAP_GC_CONCURRENT=0 "$bench" --live-mb "$mb" --seconds "$seconds" --gogc "$gogc" | sed 's/^/gcmap-stw /'
  if [ -n "$gobin" ]; then
    "$gobin" --live-mb "$mb" --seconds "$seconds" --gogc "$gogc" | sed 's/^/go /'
  fi
done
