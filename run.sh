#!/usr/bin/env bash
# gcmap's one entry point.
#   ./run.sh test    install what is missing, build, run every test: Release, ASan+UBSan,
#                    and the tests labelled 'concurrency' a third time under TSan.
#   ./run.sh storm   install what is missing, build Release, run the delete-storm benchmark
#                    (extra flags go to bench/storm/storm.sh, e.g. --repeat=5 --quick).
#   ./run.sh build [release|asan|tsan|debug]   configure and build one flavour only.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
JOBS=${GCMAP_JOBS:-2}

# Debian packages this project needs (bench/ comparisons included).
PKGS_BUILD=(g++ cmake make pkg-config libjemalloc-dev libtbb-dev libgtest-dev libgmock-dev
  libbenchmark-dev libxxhash-dev libabsl-dev libgc-dev nlohmann-json3-dev)
PKGS_STORM=(gnuplot-nox golang-go)

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
  echo "==> all tests passed in $((SECONDS - start)) s"
}

cmd_storm() {
  need_packages "${PKGS_BUILD[@]}" "${PKGS_STORM[@]}"
  build release gcmap_storm_all
  "$ROOT/bench/storm/storm.sh" --build-dir="$ROOT/build/release" "$@"
}

case ${1:-} in
  test) cmd_test ;;
  storm) shift; cmd_storm "$@" ;;
  build) need_packages "${PKGS_BUILD[@]}"; build "${2:-release}" ;;
  *) echo "usage: ./run.sh test | storm | build [release|asan|tsan|debug]" >&2; exit 2 ;;
esac
