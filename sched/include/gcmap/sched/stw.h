// Stop-the-world: one thread at a time stops every running mutator at a
// safepoint, does its work (scan stacks, run pause-window jobs), and restarts
// them. The pause (from the request until every parked mutator runs again)
// and the time-to-safepoint are recorded in histograms.
//
// Stopping from an unattached thread is allowed (a controller thread, a test,
// a TBB worker). Misuse is fatal with a message, in every build: a stop
// requested while this thread already holds one or from inside a pause-window
// job, and detaching while holding a stop.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "gcmap/base/histogram.h"
#include "gcmap/sched/blocking.h"
#include "gcmap/sched/mutator.h"

namespace gcmap::sched {

class WorldStop {
 public:
  // Returns once every attached thread is parked, blocking, idle (a worker)
  // or detached. Inline so that the stopper's registers are captured in the
  // caller's frame.
  explicit WorldStop(const char* reason) {
    const void* sp = detail::capture_registers(regs_);
    begin(reason, sp);
  }
  ~WorldStop() { end(); }  // restarts the world
  WorldStop(const WorldStop&) = delete;
  WorldStop& operator=(const WorldStop&) = delete;

  const char* reason() const { return reason_; }
  uint64_t request_ns() const { return request_ns_; }  // base::now_ns() at the request
  uint64_t time_to_safepoint_ns() const { return time_to_safepoint_ns_; }

  // Every attached Mutator, workers included, the calling thread included if
  // attached (its registers and stack captured at the stop). Holds the
  // registry lock: f must not attach, detach or stop.
  void for_each_mutator(const std::function<void(Mutator&)>& f) const;

 private:
  void begin(const char* reason, const void* sp);
  void end();

  const char* reason_ = nullptr;
  uint64_t request_ns_ = 0;
  uint64_t time_to_safepoint_ns_ = 0;
  Mutator* self_ = nullptr;
  // The stopper's own capture; the Mutator's previous one (a stopper inside a
  // blocking region) is saved here and restored at the end.
  uintptr_t regs_[kSpilledRegisters > 0 ? kSpilledRegisters : 1];
  uintptr_t saved_regs_[kSpilledRegisters > 0 ? kSpilledRegisters : 1] = {};
  const void* saved_lo_ = nullptr;
};

// True from the moment every mutator is stopped until the restart.
bool world_stopped();
bool this_thread_is_stopper();

struct PauseStats {
  const base::Histogram& pauses;             // request .. every parked mutator running
  const base::Histogram& time_to_safepoint;  // request .. every mutator stopped
};
PauseStats pause_stats();
void reset_pause_stats_for_testing();

// One pause, for a timeline: its request time (base::now_ns) and length.
struct PauseEvent {
  uint64_t start_ns = 0;
  uint64_t length_ns = 0;
};
// Appends to *out the pauses recorded since `cursor` (0 at first) and
// returns the cursor for the next call. Only the most recent 16384 are kept:
// a reader that falls further behind loses the oldest.
uint64_t pause_events_since(uint64_t cursor, std::vector<PauseEvent>* out);

}  // namespace gcmap::sched
