// The pacer: when the next cycle starts (internal, but pure arithmetic so it
// can be tested directly).
//
//   goal = max(marked * (1 + GOGC/100), min_heap)     min_heap = 4 MiB * GOGC/100 (Go's
//   heapMinimum)
//
// A soft memory limit lowers the goal to what fits: limit * 0.95 (Go keeps
// ~3-5% headroom) minus the memory the heap holds beyond live objects
// (fragmentation in partly used spans, span metadata). The goal never drops
// below marked + 1/16 of it (at least 1 MiB), so a heap that does not fit the
// limit collects often instead of continuously; the trace line then says
// "limit". GOGC=off (negative) disables the growth goal; only a limit can
// then trigger cycles.
//
// The stop-the-world collector starts a cycle when heap_live reaches the
// goal: its mark takes no mutator time, so there is nothing to start early.
//
// The concurrent collector must start earlier, so that the heap allocated
// while it marks lands near the goal (Go's trigger). From the last cycles'
// rates:
//
//   mark_time = marked / mark_rate              (background marking speed)
//   trigger   = goal - alloc_rate * mark_time * 1.25    (a quarter of margin)
//
// clamped to 60%..95% of the runway from marked to goal (Go clamps to
// 70%..95%; we start a little earlier because our background share on a
// two-core machine is half a core). With no measurement yet the trigger sits
// at 70% of the runway.
#pragma once

#include <cstdint>

namespace gcmap::gc::detail {

inline constexpr uint64_t kMinHeap = uint64_t{4} << 20;
inline constexpr uint64_t kNoGoal = ~uint64_t{0};

struct PacerInput {
  uint64_t marked = 0;        // live bytes after the last mark
  int gc_percent = 100;       // < 0: off
  uint64_t memory_limit = 0;  // 0: none
  uint64_t overhead = 0;      // heap memory beyond live objects (fragmentation + metadata)
};

struct PacerGoal {
  uint64_t goal = kNoGoal;   // heap_live that triggers the next cycle
  bool limit_bound = false;  // the memory limit, not GOGC, set the goal
};

PacerGoal compute_goal(const PacerInput& in);

struct TriggerInput {
  uint64_t marked = 0;
  uint64_t goal = kNoGoal;
  double mark_rate = 0;   // bytes/s, 0 = unknown
  double alloc_rate = 0;  // bytes/s, 0 = unknown
};

uint64_t compute_trigger(const TriggerInput& in);

}  // namespace gcmap::gc::detail
