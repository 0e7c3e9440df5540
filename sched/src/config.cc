// The scheduler's configuration: set once by init(), or defaulted on first use.
#include "gcmap/sched/config.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "gcmap/base/assert.h"
#include "gcmap/sched/workers.h"

namespace gcmap::sched {
namespace {

struct ConfigState {
  std::mutex mu;
  std::atomic<bool> frozen{false};  // set once the configuration is in force
  Config config;
};

ConfigState& config_state() {
  static ConfigState* s = new ConfigState;
  return *s;
}

Config resolve(Config c) {
  // TBB runs no more threads than the CPUs of the affinity mask, which
  // hardware_concurrency ignores.
  if (c.workers == 0) c.workers = available_cpus();
  return c;
}

}  // namespace

void init(const Config& config) {
  GCMAP_CHECK(config.max_pause_ns > 0, "sched::init: max_pause_ns must be positive");
  ConfigState& s = config_state();
  std::lock_guard<std::mutex> lock(s.mu);
  GCMAP_CHECK(!s.frozen.load(std::memory_order_relaxed),
              "sched::init called twice, or after the scheduler started with its defaults");
  s.config = resolve(config);
  s.frozen.store(true, std::memory_order_release);
}

const Config& config() {
  ConfigState& s = config_state();
  if (!s.frozen.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(s.mu);
    if (!s.frozen.load(std::memory_order_relaxed)) {
      s.config = resolve(Config{});
      s.frozen.store(true, std::memory_order_release);
    }
  }
  return s.config;
}

}  // namespace gcmap::sched
