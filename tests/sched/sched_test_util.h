// Helpers shared by sched's tests: threads that spin with safepoint polls,
// bounded waiting for "eventually" conditions (a liveness bound, not a speed
// assertion: a failure means a hang), and a busy wait.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "gcmap/base/clock.h"
#include "gcmap/sched/config.h"
#include "gcmap/sched/mutator.h"
#include "gcmap/sched/safepoint.h"

namespace gcmap::sched::testing {

// Every test of the executable runs with two workers (the pause-window and
// worker tests count them) and the default 500 us window budget: configured
// once, at start, by whichever test file's static initialization comes first.
inline bool configure_once() {
  static const bool done = [] {
    init(Config{.workers = 2, .max_pause_ns = 500'000});
    return true;
  }();
  return done;
}
[[maybe_unused]] static const bool g_configured = configure_once();

// Polls pred until it holds or `limit` passed; returns pred().
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return pred();
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}

inline void busy_wait_ns(uint64_t ns) {
  uint64_t end = base::now_ns() + ns;
  while (base::now_ns() < end) {
  }
}

// n attached threads, each incrementing its own counter and polling, forever.
class Spinners {
 public:
  explicit Spinners(int n) : n_(n), counters_(new Counter[n]) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this, i] { run(i); });
    // Every thread attached and running before the test starts.
    eventually([this] {
      for (int i = 0; i < n_; ++i) {
        if (count(i) == 0) return false;
      }
      return true;
    });
  }
  ~Spinners() { stop(); }

  void stop() {
    done_.store(true, std::memory_order_relaxed);
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  int size() const { return n_; }
  uint64_t count(int i) const { return counters_[i].value.load(std::memory_order_relaxed); }
  std::vector<uint64_t> snapshot() const {
    std::vector<uint64_t> s(n_);
    for (int i = 0; i < n_; ++i) s[i] = count(i);
    return s;
  }
  // Waits until every counter moved past `since`.
  bool all_move_after(const std::vector<uint64_t>& since) const {
    return eventually([&] {
      for (int i = 0; i < n_; ++i) {
        if (count(i) == since[i]) return false;
      }
      return true;
    });
  }

 private:
  struct alignas(64) Counter {
    std::atomic<uint64_t> value{0};
  };
  void run(int i) {
    MutatorScope attach;
    while (!done_.load(std::memory_order_relaxed)) {
      counters_[i].value.fetch_add(1, std::memory_order_relaxed);
      safepoint_poll();
    }
  }

  const int n_;
  std::unique_ptr<Counter[]> counters_;
  std::atomic<bool> done_{false};
  std::vector<std::thread> threads_;
};

}  // namespace gcmap::sched::testing
