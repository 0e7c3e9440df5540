// GC pause events (start, length) as the systems report them, and their
// summary per phase: count, p50, p99, max, total. Percentiles come from
// gcmap's log-linear histogram (relative error under 1%), like op latencies.
// A runtime that keeps only a histogram of its pauses (gcmap's sched/ does)
// is summarized per phase from the difference of two snapshots instead.
#pragma once

#include <cstdint>
#include <vector>

#include "gcmap/base/histogram.h"

namespace storm {

struct PauseEvent {
  uint64_t start_ns;  // CLOCK_MONOTONIC
  uint64_t len_ns;
};

struct PauseSummary {
  uint64_t count = 0, p50_ns = 0, p99_ns = 0, max_ns = 0, total_ns = 0;
};

class PauseLog {
 public:
  void add(uint64_t start_ns, uint64_t len_ns) { events_.push_back({start_ns, len_ns}); }
  const std::vector<PauseEvent>& events() const { return events_; }
  // Pauses that started in [from_ns, to_ns).
  PauseSummary summarize(uint64_t from_ns, uint64_t to_ns) const;

 private:
  std::vector<PauseEvent> events_;
};

// The pauses recorded between two snapshots of one cumulative histogram.
// Count and total are exact; percentiles are bucket midpoints (within 0.8%);
// max is exact when this interval holds the largest pause so far, otherwise
// the upper bound of its highest bucket (within 1.6%).
PauseSummary summarize_between(const gcmap::base::LocalHistogram& from,
                               const gcmap::base::LocalHistogram& to);

}  // namespace storm
