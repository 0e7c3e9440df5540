// The non-template parts of a mutator's workload (see worker.h): the share of
// --n, the barrier, the storm's pre-drawn choices and the expected contents.
#include "worker.h"

#include "harness.h"

namespace storm {

Worker::Worker(Harness& harness, const Options& options, const TickClock& clock, unsigned index)
    : harness_(harness),
      opt_(options),
      clock_(clock),
      index_(index),
      n_(options.n / options.threads + (index < options.n % options.threads ? 1 : 0)),
      rng_(options.seed, index) {}

void Worker::sync() {
  harness_.sync();
}

// The storm erases floor(size * percent / 100) entries, but always leaves two
// so the AFTER mix (whose erase may come before its insert) has keys to read.
// Victims are drawn one by one without replacement; then one lookup key per
// lookup_every victims is drawn from the survivors, which stay present.
void Worker::prepare_storm() {
  const uint64_t size = present_.size();
  uint64_t count = size * opt_.storm_percent / 100;
  if (count > size - 2) count = size - 2;
  victims_.resize(count);
  for (auto& v : victims_) v = present_.take(rng_.below(present_.size()));
  storm_lookups_.resize(opt_.lookup_every ? count / opt_.lookup_every : 0);
  for (auto& l : storm_lookups_) l = present_[rng_.below(present_.size())];
}

void Worker::compute_expected() {
  verify_.expected_size = present_.size();
  for (uint64_t id : present_.ids())
    verify_.expected_checksum += checksum_term(id, expected_content(id));
}

}  // namespace storm
