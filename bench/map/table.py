#!/usr/bin/env python3
"""The README table from map_bench's JSON output (--benchmark_out=FILE).

    python3 bench/map/table.py FILE
Rows: key type, entries, operation; columns: ns per operation (bytes per
entry for the memory rows) for gcmap, std::unordered_map and
absl::flat_hash_map, and gcmap's ratio to each.
"""
import json
import sys

rows = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("run_type") == "aggregate":
        continue
    impl, keys, op, n = b["name"].split("/")[:4]
    if op == "memory":
        value = b["bytes/entry"]
    else:
        value = b["per_op"] * 1e9  # seconds per op -> ns
    rows.setdefault((keys, int(n), op), {})[impl] = value

ops = ["insert", "lookup_hit", "lookup_miss", "erase", "iterate", "memory"]
print("| keys | entries | operation | gcmap | std::unordered_map | absl::flat_hash_map "
      "| gcmap/std | gcmap/absl |")
print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
for keys in ["u64", "str"]:
    for n in sorted({k[1] for k in rows if k[0] == keys}):
        for op in ops:
            r = rows.get((keys, n, op))
            if not r:
                continue
            unit = " B" if op == "memory" else " ns"
            label = "bytes/entry" if op == "memory" else op.replace("_", " ")
            cells = [f"{r[i]:.1f}{unit}" if i in r else "-" for i in ("gcmap", "std", "absl")]
            ratio = [f"{r['gcmap'] / r[i]:.2f}x" if "gcmap" in r and i in r else "-"
                     for i in ("std", "absl")]
            key_name = "uint64_t" if keys == "u64" else "string (25 chars)"
            print(f"| {key_name} | {n:,} | {label} | " + " | ".join(cells + ratio) + " |")
