#!/usr/bin/env bash
# One naming rule for test suites: a suite is named after its file's subject.
# For tests/<module>/<subject>_test.cc every suite (TEST, TEST_F, TEST_P,
# TYPED_TEST) must read, ignoring case and underscores,
#   [module prefix] <subject> [anything]
# where the optional prefix is the module's (Base, Alloc, Sched, Gc, Map),
# e.g. map/heap_test.cc: MapHeap or Heap; sched/world_stop_test.cc:
# SchedWorldStop; gc/config_test.cc: Config, ConfigDeathTest,
# ConfigOptionsTable. A failing file is printed with its offending suites.
set -euo pipefail
root=${1:?usage: check_suite_names.sh <source dir>}
fail=0
for f in "$root"/tests/*/*_test.cc; do
  subject=$(basename "$f" _test.cc | tr -d _ | tr '[:upper:]' '[:lower:]')
  suites=$(grep -ohE '^(TEST|TEST_F|TEST_P|TYPED_TEST)\([A-Za-z0-9_]+' "$f" | sed 's/.*(//' | sort -u)
  for s in $suites; do
    # A suite named by a macro (a file compiled twice under two suite names)
    # is checked by its default, the #define in the file.
    if [[ $s =~ ^[A-Z0-9_]+$ ]]; then
      s=$(sed -n "s/^#define $s \([A-Za-z0-9_]*\).*/\1/p" "$f" | head -1)
      [ -n "$s" ] || continue
    fi
    lower=$(echo "$s" | tr -d _ | tr '[:upper:]' '[:lower:]')
    for prefix in base alloc sched gc map; do
      if [[ $lower == "$prefix$subject"* ]]; then lower=$subject; break; fi
    done
    if [[ $lower != "$subject"* ]]; then
      echo "${f#"$root"/}: suite $s is not named after the file's subject ($(basename "$f" _test.cc))"
      fail=1
    fi
  done
done
if [ $fail = 0 ]; then echo "suite names: every suite is named after its file"; fi
exit $fail
