// The mark loop: scanning grey objects (with oblets for large ones) and the
// drain every participant runs (see gcwork.h for the termination word).
#include "mark.h"

#include <algorithm>
#include <thread>

#include "gcmap/base/clock.h"
#include "gcmap/sched/background.h"
#include "gcmap/sched/window.h"
#include "types.h"

namespace gcmap::gc::detail {

namespace {
// Marking is not written to unwind (an exception would leave the mark half
// done, perhaps with the world stopped): a throwing trace is fatal.
[[noreturn]] GCMAP_NOINLINE void trace_threw(uint16_t type) {
  fatal_callback_threw(("the trace of " + short_type_name(type)).c_str(), "while marking",
                       "trace must only visit pointers and must not throw");
}
}  // namespace

void scan_object(uintptr_t item, MarkingVisitor& v) {
  alloc::Span* s = alloc::g_pagemap.lookup(item);
  GCMAP_ASSERT(s != nullptr, "grey item %#lx is not in the heap", static_cast<unsigned long>(item));
  uint32_t i = s->slot_of(item);
  uintptr_t start = s->slot_address(i);
  const TypeInfo& t = type_info(s->types[i]);
  if (t.trace == nullptr) return;
  const void* obj = reinterpret_cast<const void*>(start);
  size_t size = s->elemsize;
  if (s->is_large() && size > kObletBytes && t.trace_range != nullptr) {
    size_t off = item - start;
    if (off == 0) {
      // First visit: queue every other oblet, scan the first.
      for (size_t o = kObletBytes; o < size; o += kObletBytes) v.gcw().put(start + o);
    }
    size_t end = std::min(size, off + kObletBytes);
    try {
      t.trace_range(obj, v, off, end);
    } catch (...) {
      trace_threw(s->types[i]);
    }
    v.counters().bytes_scanned += end - off;
    return;
  }
  try {
    t.trace(obj, v);
  } catch (...) {
    trace_threw(s->types[i]);
  }
  v.counters().bytes_scanned += size;
}

namespace {

bool limit_hit(const DrainLimits& l, const MarkCounters& c) {
  if (c.bytes_scanned >= l.max_scan_bytes) return true;
  if (l.slice != nullptr && l.slice->should_yield()) return true;
  return l.deadline_ns != ~uint64_t{0} && sched::clock_now() >= l.deadline_ns;
}

// Drain local work through a small FIFO of prefetched items: an object
// popped now is scanned kAhead pops later, by when its line has arrived.
// False if a limit stopped it (what is left stays in gcw).
bool drain_local(MarkState& m, GcWork& gcw, MarkingVisitor& v, const DrainLimits& limits) {
  constexpr unsigned kAhead = 8;
  uintptr_t ring[kAhead];
  unsigned head = 0, count = 0, n = 0;
  for (;;) {
    uintptr_t item;
    if (count < kAhead && gcw.get(&item)) {
      __builtin_prefetch(reinterpret_cast<const void*>(item));
      ring[(head + count++) % kAhead] = item;
      continue;
    }
    if (count == 0) return true;
    uintptr_t next = ring[head];
    head = (head + 1) % kAhead;
    --count;
    scan_object(next, v);
    if ((++n & 31) == 0) {
      // Feed idle participants.
      if (m.pool.full_count() == 0 &&
          m.pool.active_count() < m.participants.load(std::memory_order_relaxed)) {
        gcw.balance();
      }
      if (limit_hit(limits, v.counters())) {
        while (count > 0) {  // back into the buffers, unscanned
          gcw.put(ring[head]);
          head = (head + 1) % kAhead;
          --count;
        }
        return false;
      }
    }
  }
}

}  // namespace

DrainResult mark_drain(MarkState& m, const DrainLimits& limits, MarkCounters* done) {
  m.participants.fetch_add(1, std::memory_order_relaxed);
  m.pool.join();
  MarkCounters c;
  DrainResult result;
  {
    GcWork gcw(m.pool);
    MarkingVisitor v(gcw, c);
    MarkRootSink sink(v);
    for (;;) {
      for (size_t j;
           (j = m.next_root_job.fetch_add(1, std::memory_order_acq_rel)) < m.root_jobs.size();) {
        m.root_jobs[j](sink);
      }
      if (!drain_local(m, gcw, v, limits)) {
        gcw.flush_to_pool();
        m.pool.leave();
        result = DrainResult::kStopped;
        break;
      }
      if (m.pool.leave()) {
        m.session_done.store(true, std::memory_order_release);
        result = DrainResult::kDone;
        break;
      }
      if (!limits.wait_for_others) {
        result = DrainResult::kDry;
        break;
      }
      // Idle: wait for a buffer from the pool, the end, or a limit.
      bool again = false;
      for (unsigned spins = 0;; ++spins) {
        if (m.session_done.load(std::memory_order_acquire)) break;
        if (gcw.try_take_as_idle()) {
          again = true;
          break;
        }
        if ((spins & 63) == 63 && limit_hit(limits, c)) break;
        // Spin briefly, then yield: on two cores a spinning idle worker
        // steals the CPU from the one that has the work.
        if (spins < 64) {
          base::cpu_relax();
        } else {
          std::this_thread::yield();
        }
      }
      if (!again) {
        result = m.session_done.load(std::memory_order_acquire) ? DrainResult::kDone
                                                                : DrainResult::kStopped;
        break;
      }
    }
  }
  m.add(c);
  if (done != nullptr) *done = c;
  return result;
}

}  // namespace gcmap::gc::detail
