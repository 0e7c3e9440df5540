// Summaries of pause events over a time window (see pause_log.h).
#include "pause_log.h"

#include "gcmap/base/histogram.h"

namespace storm {

PauseSummary PauseLog::summarize(uint64_t from_ns, uint64_t to_ns) const {
  gcmap::base::LocalHistogram h;
  PauseSummary s;
  for (const auto& e : events_) {
    if (e.start_ns < from_ns || e.start_ns >= to_ns) continue;
    h.record(e.len_ns);
    s.total_ns += e.len_ns;
  }
  s.count = h.count();
  s.p50_ns = h.percentile(0.50);
  s.p99_ns = h.percentile(0.99);
  s.max_ns = h.max();
  return s;
}

}  // namespace storm
