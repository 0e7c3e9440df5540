// Everything one run measured, gathered by the harness and turned into the
// JSON line by result_json.cc.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cpu_usage.h"
#include "options.h"
#include "pause_log.h"
#include "phase_stats.h"

namespace storm {

struct MemorySnapshot {
  uint64_t rss_bytes = 0, peak_rss_bytes = 0, heap_bytes = 0;
};

struct Sample {
  uint64_t t_ns;  // CLOCK_MONOTONIC
  uint64_t rss_bytes, heap_bytes;
};

struct RunRecord {
  Options options;
  std::string system, description;
  nlohmann::json system_info;
  double ns_per_tick = 1.0;
  uint64_t t0_ns = 0;                                  // the run's time origin
  std::array<uint64_t, kPhaseCount> phase_start_ns{};  // CLOCK_MONOTONIC
  std::array<uint64_t, kPhaseCount> phase_end_ns{};
  std::unique_ptr<std::array<PhaseStats, kMeasuredPhases>> phases;  // merged over mutators
  bool forced_collection = false;
  MemorySnapshot after_load, after_storm, end;
  std::vector<Sample> samples;
  PauseLog pauses;                                   // events (collect_pauses)
  std::array<PauseSummary, kPhaseCount> phase_gc{};  // per phase, from events or histograms
  PauseSummary run_gc;                               // the whole run
  const char* pause_source = "none";                 // "events", "histogram" or "none"
  VerifyResult work;
  CpuSnapshot cpu_start, cpu_end;  // around LOAD .. VERIFY
};

// The run as one JSON object (schema "gcmap-storm/1", see README.md).
nlohmann::json result_json(const RunRecord& r);

// Facts about the machine: cpus, cpu model, OS, kernel.
nlohmann::json machine_json();

}  // namespace storm
