#!/usr/bin/env bash
# gcmap's one entry point.
#   ./run.sh test    install what is missing, build, run every test: Release, ASan+UBSan,
#                    the tests labelled 'concurrency' a third time under TSan, then the
#                    map fuzzer for 60 s (GCMAP_TEST_FUZZ_SECONDS; 0 skips it).
#   ./run.sh storm   install what is missing, build Release, run the delete-storm benchmark
#                    (extra flags go to bench/storm/storm.sh, e.g. --repeat=5 --quick).
#   ./run.sh fuzz [seconds]   build the libFuzzer targets (clang, ASan+UBSan) and fuzz the
#                    map for that long (default 3600); new inputs stay in build/fuzz/corpus.
#   ./run.sh soak [minutes]   build Release and run the soak test (default 30 minutes):
#                    threads, maps, concurrent cycles, RSS must stay flat. Not part of test.
#   ./run.sh build [release|asan|tsan|debug|fuzz]   configure and build one flavour only.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
JOBS=${GCMAP_JOBS:-2}

# Debian packages this project needs (bench/ comparisons included).
PKGS_BUILD=(g++ cmake make pkg-config libjemalloc-dev libtbb-dev libgtest-dev libgmock-dev
  libbenchmark-dev libxxhash-dev libabsl-dev libgc-dev nlohmann-json3-dev)
PKGS_STORM=(gnuplot-nox golang-go)
# libFuzzer: clang 14 and its runtime (libclang_rt.fuzzer is in libclang-rt-14-dev).
PKGS_FUZZ=(clang libclang-rt-14-dev)

need_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "gcmap: missing Debian packages. Run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "==> installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" ||
    { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
}

# build <flavour> [targets...]
build() {
  local flavour=$1; shift
  local dir=$ROOT/build/$flavour
  local args=(-DCMAKE_BUILD_TYPE=Release)
  case $flavour in
    release) ;;
    debug) args=(-DCMAKE_BUILD_TYPE=Debug) ;;
    asan) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DGCMAP_SANITIZE=address,undefined") ;;
    tsan) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DGCMAP_SANITIZE=thread -DGCMAP_BUILD_BENCH=OFF) ;;
    # Everything with clang, ASan+UBSan and coverage for libFuzzer.
    fuzz) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DGCMAP_SANITIZE=address,undefined"
      -DGCMAP_BUILD_FUZZ=ON -DGCMAP_BUILD_BENCH=OFF -DGCMAP_BUILD_TESTS=OFF
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
    *) echo "unknown flavour $flavour" >&2; exit 2 ;;
  esac
  echo "==> configure $flavour"
  cmake -S "$ROOT" -B "$dir" "${args[@]}" >/dev/null
  echo "==> build $flavour"
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build "$dir" -j"$JOBS" "${targets[@]}"
}

run_ctest() {
  local flavour=$1; shift
  echo "==> test $flavour"
  (cd "$ROOT/build/$flavour" && ctest --output-on-failure -j"$JOBS" "$@")
}

cmd_test() {
  need_packages "${PKGS_BUILD[@]}"
  local start=$SECONDS
  build release
  run_ctest release
  build asan
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    run_ctest asan
  # Test discovery runs the binaries during the build: same TSan options.
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/tests/tsan.supp}
  build tsan concurrency_tests
  run_ctest tsan -L concurrency
  # The map fuzzer, bounded (GCMAP_TEST_FUZZ_SECONDS, default 60; 0 skips it).
  local fuzz_secs=${GCMAP_TEST_FUZZ_SECONDS:-60}
  if [ "$fuzz_secs" != 0 ]; then
    need_packages "${PKGS_FUZZ[@]}"
    build fuzz gcmap_fuzz_map
    # A fixed seed (GCMAP_TEST_FUZZ_SEED): on a clean clone the same mutations
    # each run, so a failure here is a regression one can replay, not luck;
    # ./run.sh fuzz explores with a new seed each time.
    run_fuzz "$fuzz_secs" "${GCMAP_TEST_FUZZ_SEED:-1}"
  fi
  echo "==> all tests passed in $((SECONDS - start)) s"
}

# run_fuzz <seconds> [seed]: the map fuzzer on build/fuzz/corpus (seeded from
# tests/fuzz/corpus/map, which it never writes); a crash, an ASan/UBSan report
# or a failed model check fails it, and the input is saved in build/fuzz/.
run_fuzz() {
  local secs=$1 seed=${2:-0} dir=$ROOT/build/fuzz
  mkdir -p "$dir/corpus"
  cp -n "$ROOT"/tests/fuzz/corpus/map/* "$dir/corpus/" 2>/dev/null || true
  echo "==> fuzz map for $secs s"
  local log=$dir/fuzz.log rc=0 artifact
  # detect_leaks=0: the sweeper frees values after the input that dropped
  # them, so libFuzzer's per-input leak check would run LSan on nearly every
  # input (five times slower) and could not tell a leak from a late sweep.
  ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=0} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$dir/tests/fuzz/gcmap_fuzz_map" -max_total_time="$secs" -rss_limit_mb=4096 -timeout=30 -max_len=1024 \
    -detect_leaks=0 -print_final_stats=1 -seed="$seed" -artifact_prefix="$dir/" "$dir/corpus" \
    >"$log" 2>&1 || rc=$?
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    grep -v -e NEW_FUNC -e '^#[0-9]' "$log" | tail -n 60 >&2
    artifact=$(ls -t "$dir"/crash-* "$dir"/timeout-* "$dir"/leak-* "$dir"/oom-* 2>/dev/null | head -1)
    echo "fuzz: FAILED after ${execs:-?} execs (exit $rc); input: ${artifact:-none saved}; full log $log" >&2
    echo "fuzz: replay with MAP_FUZZ_TRACE=1 $dir/tests/fuzz/gcmap_fuzz_map ${artifact:-INPUT}" >&2
    return 1
  fi
  echo "fuzz: ${execs:-?} execs in $secs s (seed $(sed -n 's/^INFO: Seed: //p' "$log" | head -1)), no crash ($(ls "$dir/corpus" | wc -l) inputs in $dir/corpus)"
}

cmd_fuzz() {
  local secs=${1:-3600}
  need_packages "${PKGS_BUILD[@]}" "${PKGS_FUZZ[@]}"
  build fuzz gcmap_fuzz_map
  run_fuzz "$secs"
}

cmd_soak() {
  local minutes=${1:-30}
  need_packages "${PKGS_BUILD[@]}"
  build release gcmap_soak
  GCMAP_VERIFY=1 "$ROOT/build/release/tests/soak/gcmap_soak" "$minutes"
}

cmd_storm() {
  need_packages "${PKGS_BUILD[@]}" "${PKGS_STORM[@]}"
  build release gcmap_storm_all
  "$ROOT/bench/storm/storm.sh" --build-dir="$ROOT/build/release" "$@"
}

case ${1:-} in
  test) cmd_test ;;
  storm) shift; cmd_storm "$@" ;;
  fuzz) cmd_fuzz "${2:-}" ;;
  soak) cmd_soak "${2:-}" ;;
  build)
    need_packages "${PKGS_BUILD[@]}"
    [ "${2:-}" = fuzz ] && need_packages "${PKGS_FUZZ[@]}"
    build "${2:-release}" ;;
  *) echo "usage: ./run.sh test | storm | fuzz [seconds] | soak [minutes] | build [release|asan|tsan|debug|fuzz]" >&2; exit 2 ;;
esac
