#!/usr/bin/env bash
# The delete-storm benchmark driver (what `./run.sh storm` runs once the
# Release build exists). Runs every available system in sequence, each in its
# own process so peak RSS is per system, collects their JSON lines, checks
# that each did the defined work, prints the table and draws the plots.
#
# usage: bench/storm/storm.sh [--build-dir=DIR] [--out=DIR] [--systems=a,b,...] [--repeat=K]
#                              [harness flags]
#   --build-dir  the CMake build with bench/storm built       [build/release]
#   --out        where results go                             [out/storm/<date-time>]
#   --systems    run only these (default: all that --list prints)
#   --repeat     K rounds over all systems; the table shows medians  [1]
#   --wait-quiet=S  before each run, wait up to S seconds until other
#                processes use under 10% of the machine (1 s probes)  [0: don't]
#   harness flags (e.g. --n=200000 --threads=2 --quick) go to every system.
# Go runs only when `go` is on PATH: this script builds bench/go into the
# build directory first (offline, standard library only).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build/release
out=""
only=""
repeat=1
wait_quiet=0
args=()
for a in "$@"; do
  case $a in
    --build-dir=*) build=${a#*=} ;;
    --out=*) out=${a#*=} ;;
    --systems=*) only=${a#*=} ;;
    --repeat=*) repeat=${a#*=} ;;
    --wait-quiet=*) wait_quiet=${a#*=} ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) args+=("$a") ;;
  esac
done
bin=$build/bench/storm
if [ ! -x "$bin/gcmap_storm" ] || [ ! -x "$bin/gcmap_storm_report" ]; then
  echo "storm.sh: $bin/gcmap_storm is not built." >&2
  echo "  build it: cmake --build $build --target gcmap_storm_all   (or ./run.sh storm)" >&2
  exit 1
fi

if command -v go >/dev/null 2>&1; then
  echo "==> go build bench/go ($(go version | awk '{print $3}'))"
  rm -f "$bin/gcmap_storm_go"
  "$root/bench/go/build.sh" "$bin/gcmap_storm_go" || echo "==> go build failed: system 'go' skipped" >&2
else
  echo "==> go is not on PATH: system 'go' skipped (Debian: apt-get install golang-go)"
fi

out=${out:-$root/out/storm/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
results=$out/results.jsonl
: >"$results"

systems=()
for s in $("$bin/gcmap_storm" --list); do
  if [ -z "$only" ] || [[ ",$only," == *",$s,"* ]]; then systems+=("$s"); fi
done
[ ${#systems[@]} -gt 0 ] || { echo "storm.sh: no system to run" >&2; exit 1; }
echo "==> systems: ${systems[*]}   flags: ${args[*]:-(defaults)}"

[[ $repeat =~ ^[1-9][0-9]*$ ]] || { echo "storm.sh: --repeat needs a positive integer" >&2; exit 2; }

# Percent of the machine's CPU time that was busy over the next second.
busy_percent() {
  local _c u n s i w q sq st b1 t1
  read -r _c u n s i w q sq st _ </proc/stat
  b1=$((u + n + s + q + sq + st)) t1=$((u + n + s + i + w + q + sq + st))
  sleep 1
  read -r _c u n s i w q sq st _ </proc/stat
  echo $((100 * (u + n + s + q + sq + st - b1) / (u + n + s + i + w + q + sq + st - t1 + 1)))
}
wait_for_quiet() {
  [ "$wait_quiet" -gt 0 ] || return 0
  local waited=0 busy
  while busy=$(busy_percent) && [ "$busy" -ge 10 ]; do
    [ $waited -eq 0 ] && echo "==> machine ${busy}% busy: waiting up to ${wait_quiet} s for it to go quiet"
    waited=$((waited + 1))
    if [ $waited -ge "$wait_quiet" ]; then
      echo "==> still ${busy}% busy after ${wait_quiet} s: running anyway (see 'other CPU %')" >&2
      return 0
    fi
  done
}

# Round-robin, so slow drifts of the machine spread over every system.
start=$SECONDS
failed=()
for ((round = 1; round <= repeat; round++)); do
  for s in "${systems[@]}"; do
    wait_for_quiet
    echo "==> [$((SECONDS - start)) s] $s (round $round of $repeat)"
    if ! "$bin/gcmap_storm" --system="$s" "${args[@]}" >>"$results"; then
      echo "==> $s FAILED" >&2
      failed+=("$s")
    fi
  done
done
echo "==> ${#systems[@]} systems x $repeat rounds ran in $((SECONDS - start)) s"
echo

"$bin/gcmap_storm_report" table "$results" | tee "$out/table.md"
echo
if "$bin/gcmap_storm_report" check "$results" 2>"$out/check.txt"; then
  echo "==> work check: every run did the defined work ($out/check.txt)"
else
  echo "==> work check FAILED:" >&2
  cat "$out/check.txt" >&2
  failed+=("check")
fi

if command -v gnuplot >/dev/null 2>&1; then
  "$bin/gcmap_storm_report" plots "$results" "$out/plot-data"
  (cd "$out/plot-data" && gnuplot plots.gp && mv -f pauses.png heap.png latency.png "$out/")
  echo "==> plots:   $out/pauses.png $out/heap.png $out/latency.png"
else
  echo "==> gnuplot is not installed: no plots (Debian: apt-get install gnuplot-nox)"
fi
mkdir -p "$root/out/storm"
ln -sfn "$out" "$root/out/storm/latest"
echo "==> results: $results"
echo "==> table:   $out/table.md   (out/storm/latest -> $out)"

if [ ${#failed[@]} -gt 0 ]; then
  echo "==> failed: ${failed[*]}" >&2
  exit 1
fi
