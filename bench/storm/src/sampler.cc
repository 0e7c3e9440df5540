// The RSS / heap sampler and progress printer (see sampler.h).
#include "sampler.h"

#include <chrono>
#include <cstdio>

#include "gcmap/base/clock.h"
#include "memory.h"
#include "system.h"

namespace storm {

Sampler::Sampler(System& system, std::string name, unsigned period_ms, uint64_t t0_ns)
    : system_(system), name_(std::move(name)), period_ms_(period_ms), t0_ns_(t0_ns) {}

Sampler::~Sampler() {
  if (thread_.joinable()) stop();
}

void Sampler::start() {
  samples_.reserve(4096);
  thread_ = std::thread([this] { loop(); });
}

std::vector<Sample> Sampler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  return std::move(samples_);
}

void Sampler::set_phase(int phase, uint64_t start_ns) {
  phase_start_ns_.store(start_ns, std::memory_order_relaxed);
  phase_.store(phase, std::memory_order_relaxed);
}

void Sampler::loop() {
  using clock = std::chrono::steady_clock;
  auto next = clock::now();
  uint64_t last_progress_ns = gcmap::base::now_ns();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const uint64_t now = gcmap::base::now_ns();
    samples_.push_back({now, rss_bytes(), system_.heap_in_use()});
    if (now - last_progress_ns >= 1'000'000'000) {
      last_progress_ns = now;
      const int p = phase_.load(std::memory_order_relaxed);
      const uint64_t ps = phase_start_ns_.load(std::memory_order_relaxed);
      std::fprintf(stderr, "[storm %6.1fs] %-16s %-7s %5.1fs  rss %6.0f MB\n",
                   static_cast<double>(now - t0_ns_) * 1e-9, name_.c_str(), kPhaseNames[p],
                   static_cast<double>(now - ps) * 1e-9,
                   static_cast<double>(samples_.back().rss_bytes) / 1048576.0);
    }
    next += std::chrono::milliseconds(period_ms_);
    cv_.wait_until(lock, next, [this] { return stopping_; });
  }
}

}  // namespace storm
