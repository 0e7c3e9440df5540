// What one mutator measured in one phase: latency histograms per op kind (in
// TSC ticks; converted to ns when reported), op counts, misses, wall time.
// Workers keep their own (no sharing on the hot path); the harness merges them.
#pragma once

#include <algorithm>
#include <cstdint>

#include "gcmap/base/histogram.h"

namespace storm {

enum Phase : int { kLoad = 0, kSteady, kStorm, kAfter, kCollect, kVerify, kPhaseCount };
inline constexpr int kMeasuredPhases = 4;  // load, steady, storm, after have PhaseStats
inline constexpr const char* kPhaseNames[kPhaseCount] = {"load",  "steady",  "storm",
                                                         "after", "collect", "verify"};

struct PhaseStats {
  gcmap::base::LocalHistogram lookup, insert, erase;  // ticks per op (storm erases: untimed)
  uint64_t lookups = 0, inserts = 0, erases = 0;
  uint64_t lookup_misses = 0;  // lookups that missed or returned another session
  uint64_t erase_misses = 0;   // erases of a present key that found nothing
  uint64_t wall_ns = 0;        // this mutator's time in the phase (max when merged)

  uint64_t ops() const { return lookups + inserts + erases; }
  void merge(const PhaseStats& o) {
    lookup.merge(o.lookup);
    insert.merge(o.insert);
    erase.merge(o.erase);
    lookups += o.lookups;
    inserts += o.inserts;
    erases += o.erases;
    lookup_misses += o.lookup_misses;
    erase_misses += o.erase_misses;
    wall_ns = std::max(wall_ns, o.wall_ns);
  }
};

// The end-of-run check of one map against the harness's own set of present keys.
struct VerifyResult {
  uint64_t size = 0;            // map.size()
  uint64_t iterated = 0;        // entries for_each visited
  uint64_t key_mismatches = 0;  // entries whose key is not key(value's id)
  uint64_t checksum = 0;        // from the map's contents
  uint64_t expected_size = 0;
  uint64_t expected_checksum = 0;  // from the present ids alone

  void merge(const VerifyResult& o) {
    size += o.size;
    iterated += o.iterated;
    key_mismatches += o.key_mismatches;
    checksum += o.checksum;
    expected_size += o.expected_size;
    expected_checksum += o.expected_checksum;
  }
};

}  // namespace storm
