// A background thread that samples RSS and heap-in-use every --sample-ms (for
// the "heap over the run" plot) and prints a progress line every second
// (system, phase, time in phase, time since start) on stderr. It is not
// attached to any collector, so it keeps sampling while a world is stopped
// (as long as the system's heap_in_use() does not block on the collector).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "run_record.h"

namespace storm {

class System;

class Sampler {
 public:
  Sampler(System& system, std::string name, unsigned period_ms, uint64_t t0_ns);
  ~Sampler();
  void start();
  // Stops the thread and returns the samples.
  std::vector<Sample> stop();
  // What the progress line says (set at phase boundaries).
  void set_phase(int phase, uint64_t start_ns);

 private:
  void loop();

  System& system_;
  const std::string name_;
  const unsigned period_ms_;
  const uint64_t t0_ns_;
  std::atomic<int> phase_{0};
  std::atomic<uint64_t> phase_start_ns_{0};
  std::vector<Sample> samples_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace storm
