#!/bin/sh
# Builds the Go side of the delete-storm benchmark offline, with the standard
# library only: bench/go/build.sh OUTPUT_BINARY
# Caches go next to the output (the build directory), never in $HOME, and
# GOPROXY=off proves nothing is downloaded. $GO overrides the go command.
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
outdir=$(cd "$(dirname "$out")" && pwd)
cache=$outdir/go-cache
mkdir -p "$cache/build" "$cache/path"
cd "$here"
exec env GOCACHE="$cache/build" GOPATH="$cache/path" GOMODCACHE="$cache/path/mod" \
  GOPROXY=off GOFLAGS=-buildvcs=false GO111MODULE=on CGO_ENABLED=0 GOTOOLCHAIN=local \
  "${GO:-go}" build -trimpath -o "$outdir/$(basename "$out")" .
