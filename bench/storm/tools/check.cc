// Checks that runs did the work the workload defines (used by the smoke test
// and by storm.sh after a full run). Per run: the op counts follow from the
// flags (LOAD inserts n; each mixed phase does 18 lookups, 1 insert and 1
// erase per 20 ops; the storm erases floor(n_t * percent / 100) per thread,
// leaving at least 2, with one lookup per lookup_every erases), no lookup or
// erase missed, and the map's final contents (size, keys, checksum read
// through the map) equal what the harness's own set of present keys says.
// Across runs with fixed op counts (--steady-ops and --after-ops, as --quick
// sets), every system must end with the same size and checksum: same seed,
// same work, whatever the language.
#include <cstdio>
#include <map>
#include <string>

#include "results.h"

namespace storm::report {
namespace {

struct Expected {
  uint64_t storm_erases = 0, storm_lookups = 0;
};

Expected expected_storm(uint64_t n, unsigned threads, unsigned pct, unsigned every) {
  Expected e;
  for (unsigned t = 0; t < threads; ++t) {
    const uint64_t nt = n / threads + (t < n % threads ? 1 : 0);
    uint64_t count = nt * pct / 100;
    if (count > nt - 2) count = nt - 2;
    e.storm_erases += count;
    e.storm_lookups += every ? count / every : 0;
  }
  return e;
}

}  // namespace

int check_runs(const std::vector<json>& runs, bool quiet) {
  int failures = 0;
  std::string who;
  auto expect = [&](bool cond, const std::string& what) {
    if (!cond) {
      ++failures;
      std::fprintf(stderr, "FAIL %s: %s\n", who.c_str(), what.c_str());
    }
  };
  auto eq = [&](uint64_t got, uint64_t want, const std::string& what) {
    expect(got == want, what + " = " + std::to_string(got) + ", expected " + std::to_string(want));
  };

  // config (as a string) -> (label, final size, checksum) of each deterministic run
  std::map<std::string, std::vector<std::tuple<std::string, uint64_t, std::string>>> groups;

  for (const auto& r : runs) {
    who = label(r);
    try {
      expect(r.at("schema") == "gcmap-storm/1", "schema is not gcmap-storm/1");
      const json& c = r.at("config");
      const uint64_t n = c.at("n"), steady_ops = c.at("steady_ops"), after_ops = c.at("after_ops");
      const unsigned threads = c.at("threads"), pct = c.at("storm_percent"),
                     every = c.at("lookup_every");
      const Expected ex = expected_storm(n, threads, pct, every);
      const json& p = r.at("phases");
      eq(p.at("load").at("ops"), n, "load ops");
      eq(p.at("load").at("latency_ns").at("insert").at("count"), n, "load timed inserts");

      uint64_t mixed_ops = 0;
      for (const char* name : {"steady", "after"}) {
        const json& ph = p.at(name);
        const uint64_t ops = ph.at("ops");
        const uint64_t cfg_ops = name == std::string("steady") ? steady_ops : after_ops;
        const std::string pre = std::string(name) + " ";
        expect(ops % 20 == 0, pre + "ops not a whole number of 20-op blocks");
        if (cfg_ops) eq(ops, cfg_ops * threads, pre + "ops");
        const json& l = ph.at("latency_ns");
        eq(l.at("lookup").at("count"), ops / 20 * 18, pre + "lookups");
        eq(l.at("insert").at("count"), ops / 20, pre + "inserts");
        eq(l.at("erase").at("count"), ops / 20, pre + "erases");
        eq(l.at("all").at("count"), ops, pre + "timed ops");
        eq(ph.at("misses").at("lookup"), 0, pre + "lookup misses");
        eq(ph.at("misses").at("erase"), 0, pre + "erase misses");
        expect(ph.at("gc").contains("count"), pre + "gc summary missing");
        mixed_ops += ops;
      }
      const json& st = p.at("storm");
      eq(st.at("erases"), ex.storm_erases, "storm erases");
      eq(st.at("latency_ns").at("lookup").at("count"), ex.storm_lookups, "storm lookups");
      eq(st.at("misses").at("lookup"), 0, "storm lookup misses");
      eq(st.at("misses").at("erase"), 0, "storm erase misses");
      expect(p.at("collect").contains("forced"), "collect.forced missing");

      const json& w = r.at("work");
      const uint64_t final_size = n - ex.storm_erases;
      eq(w.at("final_size"), final_size, "final size");
      eq(w.at("expected_size"), final_size, "expected size (harness's present set)");
      eq(w.at("iterated"), final_size, "entries iterated");
      eq(w.at("key_mismatches"), 0, "key mismatches");
      eq(w.at("inserted"), n + mixed_ops / 20, "inserted");
      eq(w.at("erased"), mixed_ops / 20 + ex.storm_erases, "erased");
      eq(w.at("looked_up"), mixed_ops / 20 * 18 + ex.storm_lookups, "looked up");
      expect(w.at("checksum") == w.at("expected_checksum"),
             "checksum " + w.at("checksum").get<std::string>() + " != expected " +
                 w.at("expected_checksum").get<std::string>());
      expect(w.at("ok") == true, "work.ok is false");

      for (const char* m : {"after_load", "after_storm", "end"})
        for (const char* f : {"rss_bytes", "peak_rss_bytes", "heap_bytes"})
          expect(r.at("memory").at(m).contains(f),
                 std::string("memory.") + m + "." + f + " missing");
      for (const char* f : {"count", "p50_ns", "p99_ns", "max_ns", "total_ns"})
        expect(r.at("gc").contains(f), std::string("gc.") + f + " missing");
      for (const char* f : {"phases", "samples", "pauses"})
        expect(r.at("series").at(f).is_array(), std::string("series.") + f + " missing");

      if (steady_ops && after_ops) {
        json key = c;
        key.erase("steady_s");
        key.erase("after_s");
        key.erase("sample_ms");
        key.erase("quick");
        groups[key.dump()].emplace_back(who, w.at("final_size").get<uint64_t>(), w.at("checksum"));
      }
    } catch (const json::exception& e) {
      expect(false, std::string("malformed result: ") + e.what());
    }
  }

  for (const auto& [config, members] : groups) {
    const auto& [first_label, first_size, first_sum] = members.front();
    for (const auto& [l, size, sum] : members) {
      who = l;
      expect(size == first_size && sum == first_sum,
             "did different work from " + first_label + " with the same flags: size " +
                 std::to_string(size) + " vs " + std::to_string(first_size) + ", checksum " + sum +
                 " vs " + first_sum);
    }
    if (!quiet) {
      std::string names;
      for (const auto& m : members) names += (names.empty() ? "" : ", ") + std::get<0>(m);
      std::fprintf(stderr, "same work (size %llu, checksum %s): %s\n",
                   static_cast<unsigned long long>(first_size), first_sum.c_str(), names.c_str());
    }
  }
  if (!quiet)
    std::fprintf(stderr, "%s: %zu runs checked, %d failures\n", failures ? "FAILED" : "ok",
                 runs.size(), failures);
  return failures;
}

}  // namespace storm::report
