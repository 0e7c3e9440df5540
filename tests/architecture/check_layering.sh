#!/usr/bin/env bash
# The layering rules of README.md's Architecture section, checked on the
# sources (cppgc keeps DEPS files for the same job):
#   1. a module includes only its own headers and those of lower modules
#      (base < alloc < sched < gc < map < the umbrella include/);
#   2. another module's private headers (internal/, detail/) are off limits;
#   3. a header under include/ includes only headers under include/ (never a
#      module's src/), spelled "gcmap/...";
#   4. code in a module names no higher module's namespace (gcmap::gc:: in
#      sched, say), comments aside.
# Prints every violation as file:line: rule, and exits 1 if there is one.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 2
declare -A rank=([base]=0 [alloc]=1 [sched]=2 [gc]=3 [map]=4 [umbrella]=5)
modules=(base alloc sched gc map)
violations=0
say() {
  echo "$1: $2"
  violations=$((violations + 1))
}

check_file() {
  local file=$1 mod=$2 public=$3
  local n=0 line target other
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    if [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"\<]([^\"\>]+)[\"\>] ]]; then
      target=${BASH_REMATCH[1]}
      if [[ $target =~ ^gcmap/gcmap\.h$ ]]; then
        [ "$mod" != umbrella ] && say "$file:$n" "includes the umbrella <gcmap/gcmap.h> from inside module $mod"
      elif [[ $target =~ ^gcmap/([a-z]+)/ ]]; then
        other=${BASH_REMATCH[1]}
        if [ -z "${rank[$other]+x}" ]; then
          say "$file:$n" "includes $target: no module '$other'"
        elif [ "${rank[$other]}" -gt "${rank[$mod]}" ]; then
          say "$file:$n" "module $mod includes $target from the higher module $other"
        elif [ "$other" != "$mod" ] && [[ $target =~ /(internal|detail)/ ]]; then
          say "$file:$n" "module $mod includes $other's private header $target"
        fi
      elif [ "$public" = 1 ] && [[ $line == *\"* ]]; then
        say "$file:$n" "public header includes \"$target\", which is not a public gcmap/ header"
      fi
      continue
    fi
    # Rule 4: strip // comments (good enough for this code base: no // in strings
    # next to a namespace name), then look for a higher module's namespace.
    local code=${line%%//*}
    for other in "${modules[@]}"; do
      [ "${rank[$other]}" -le "${rank[$mod]}" ] && continue
      if [[ $code =~ (^|[^:a-zA-Z_])(gcmap::)?$other:: ]]; then
        say "$file:$n" "module $mod names the higher module's namespace $other::"
      fi
    done
  done <"$file"
}

for mod in "${modules[@]}"; do
  [ -d "$mod" ] || continue
  while IFS= read -r f; do
    public=0
    [[ $f == "$mod/include/"* ]] && public=1
    check_file "$f" "$mod" "$public"
  done < <(find "$mod" -type f \( -name '*.h' -o -name '*.cc' \) | sort)
done
while IFS= read -r f; do
  check_file "$f" umbrella 1
done < <(find include -type f -name '*.h' | sort)

if [ "$violations" -gt 0 ]; then
  echo "layering: $violations violation(s)"
  exit 1
fi
echo "layering: ok ($(find "${modules[@]}" include -type f \( -name '*.h' -o -name '*.cc' \) | wc -l) files)"
