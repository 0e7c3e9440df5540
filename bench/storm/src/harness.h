// The harness runs one system through the workload: it starts the system,
// the sampler and one std::thread per mutator, meets the mutators at each
// phase boundary (a std::barrier whose completion step, run by the last
// mutator to arrive, stamps the phase, takes memory snapshots, collects pause
// events, runs the forced collection and prints progress), and finally
// gathers everything into a RunRecord.
#pragma once

#include <array>
#include <barrier>
#include <cstdint>
#include <memory>
#include <vector>

#include "options.h"
#include "run_record.h"
#include "sampler.h"
#include "system.h"
#include "tick_clock.h"
#include "worker.h"

namespace storm {

class Harness {
 public:
  Harness(const Options& options, const SystemEntry& entry);
  ~Harness();

  // Runs the whole workload; returns what was measured.
  RunRecord run();

  // Called by every mutator at each phase boundary.
  void sync();

 private:
  struct Completion {
    Harness* h;
    void operator()() noexcept { h->on_boundary(); }
  };
  void on_boundary() noexcept;
  MemorySnapshot snapshot();
  void begin_phase(int phase, uint64_t now_ns);
  void end_phase(int phase, uint64_t now_ns);
  // A copy of the system's cumulative pause histogram now (histogram systems).
  std::unique_ptr<gcmap::base::LocalHistogram> pause_snapshot();
  void summarize_pauses();

  const Options& opt_;
  const SystemEntry& entry_;
  std::unique_ptr<System> system_;
  TickClock clock_;
  RunRecord rec_;
  std::unique_ptr<Sampler> sampler_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::barrier<Completion> barrier_;
  int boundary_ = 0;              // how many boundaries have passed (touched only in on_boundary)
  bool pause_histogram_ = false;  // the system reports pauses as a histogram
  using HistogramPtr = std::unique_ptr<gcmap::base::LocalHistogram>;
  std::array<HistogramPtr, kPhaseCount> hist_start_, hist_end_;
  HistogramPtr hist_run_start_;
};

}  // namespace storm
