// Summaries of pause events over a time window (see pause_log.h).
#include "pause_log.h"

#include <algorithm>

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

PauseSummary summarize_between(const gcmap::base::LocalHistogram& from,
                               const gcmap::base::LocalHistogram& to) {
  using H = gcmap::base::LocalHistogram;
  PauseSummary s;
  s.count = to.count() - from.count();
  s.total_ns = to.sum() - from.sum();
  if (s.count == 0) return s;
  size_t highest = 0;
  for (size_t i = 0; i < H::kBuckets; ++i)
    if (to.bucket_count(i) != from.bucket_count(i)) highest = i;
  s.max_ns = to.max() > from.max()
                 ? to.max()
                 : std::min(to.max(), H::bucket_low(highest) + H::bucket_width(highest) - 1);
  // The same rule as BasicHistogram::percentile(), over the differences.
  auto percentile = [&](double p) {
    uint64_t rank = static_cast<uint64_t>(p * static_cast<double>(s.count));
    if (rank >= s.count) rank = s.count - 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < H::kBuckets; ++i) {
      seen += to.bucket_count(i) - from.bucket_count(i);
      if (seen > rank) return std::min(H::bucket_low(i) + H::bucket_width(i) / 2, s.max_ns);
    }
    return s.max_ns;
  };
  s.p50_ns = percentile(0.50);
  s.p99_ns = percentile(0.99);
  return s;
}

}  // namespace storm
