// See pause_accounting.h. Threads waiting for a restart are counted in one
// word; stops whose end is not yet recorded wait in a short list under a
// mutex that only the last resuming thread and the stopper take, once per stop.
#include "pause_accounting.h"

#include <atomic>
#include <mutex>
#include <vector>

#include "gcmap/base/clock.h"

namespace gcmap::sched::detail::pause_accounting {
namespace {

struct State {
  std::atomic<int64_t> waiting{0};
  std::mutex mu;
  std::vector<uint64_t> pending;  // request_ns of restarted stops not yet recorded
  base::Histogram pauses;
  base::Histogram time_to_safepoint;
  // The most recent pauses with their start, for a timeline (under mu).
  std::vector<PauseEvent> ring = std::vector<PauseEvent>(kPauseRing);
  uint64_t recorded = 0;  // pauses ever put in the ring
};

State& state() {
  static State* s = new State;  // never destroyed: threads may resume during exit
  return *s;
}

void record_pending() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.pending.empty()) return;
  uint64_t now = base::now_ns();
  for (uint64_t request : s.pending) {
    s.pauses.record(now - request);
    s.ring[s.recorded++ % kPauseRing] = PauseEvent{request, now - request};
  }
  s.pending.clear();
}

}  // namespace

void thread_waits() {
  state().waiting.fetch_add(1, std::memory_order_relaxed);
}

void thread_resumed() {
  if (state().waiting.fetch_sub(1, std::memory_order_acq_rel) == 1) record_pending();
}

void stop_ends(uint64_t request_ns) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.pending.push_back(request_ns);
}

void after_restart() {
  if (state().waiting.load(std::memory_order_acquire) == 0) record_pending();
}

uint64_t events_since(uint64_t cursor, std::vector<PauseEvent>* out) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.recorded > kPauseRing && cursor < s.recorded - kPauseRing) cursor = s.recorded - kPauseRing;
  for (; cursor < s.recorded; ++cursor) out->push_back(s.ring[cursor % kPauseRing]);
  return s.recorded;
}

void reset_events() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.recorded = 0;
}

base::Histogram& pauses() {
  return state().pauses;
}
base::Histogram& time_to_safepoint() {
  return state().time_to_safepoint;
}

}  // namespace gcmap::sched::detail::pause_accounting
