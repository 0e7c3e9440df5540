// Marking (internal): greying objects, scanning them, and the drain loop
// that every kind of mark participant runs: stop-the-world workers, the
// background mark job, mark assists and the workers of a termination window.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "gcmap/alloc/pagemap.h"
#include "gcmap/gc/object.h"
#include "gcmap/gc/visitor.h"
#include "gcwork.h"
#include "markroot.h"

namespace gcmap::sched {
class SliceContext;
}

namespace gcmap::gc::detail {

// Objects larger than this are scanned in chunks of this many bytes (Go's
// oblets), so no single scan step stalls a worker (golang/go#10345).
inline constexpr size_t kObletBytes = 128 * 1024;

// Per-participant marking counters, summed into the cycle at the end.
struct MarkCounters {
  uint64_t bytes_marked = 0;
  uint64_t objects_marked = 0;
  uint64_t bytes_scanned = 0;
};

// The visitor mark workers trace with: greys what it is shown.
class MarkingVisitor final : public Visitor {
 public:
  MarkingVisitor(GcWork& gcw, MarkCounters& c) : gcw_(gcw), c_(c) {}

  // Grey the object containing p (which must point into an allocated object).
  void grey(const void* p) {
    alloc::Span* s = alloc::g_pagemap.lookup(reinterpret_cast<uintptr_t>(p));
    GCMAP_ASSERT(s != nullptr, "Ptr %p does not point into the GC heap", p);
    if (s == nullptr) return;
    uint32_t i = s->slot_of(reinterpret_cast<uintptr_t>(p));
    if (!s->try_mark(i)) return;
    c_.bytes_marked += s->elemsize;
    c_.objects_marked += 1;
    if (!s->noscan()) gcw_.put(s->slot_address(i));
  }
  // Grey the object containing any word, if the word points into one
  // (conservative roots: stacks and registers).
  void grey_conservative(uintptr_t word) {
    alloc::ObjectRef r;
    if (alloc::find_object(word, &r)) grey(reinterpret_cast<const void*>(r.start));
  }

  GcWork& gcw() { return gcw_; }
  MarkCounters& counters() { return c_; }

 protected:
  void visit_pointer(const void* p) override { grey(p); }

 private:
  GcWork& gcw_;
  MarkCounters& c_;
};

// The root sink mark workers use: conservative words and precise roots grey.
class MarkRootSink final : public RootSink {
 public:
  explicit MarkRootSink(MarkingVisitor& v) : v_(v) {}
  void conservative(uintptr_t word) override { v_.grey_conservative(word); }
  Visitor& precise() override { return v_; }

 private:
  MarkingVisitor& v_;
};

// Scan one grey item: an object start, or a pointer into a large object
// naming the oblet that starts there.
void scan_object(uintptr_t item, MarkingVisitor& v);

// Everything one mark (one cycle) shares between its participants.
struct MarkState {
  WorkPool pool;
  std::vector<RootJob> root_jobs;
  std::atomic<size_t> next_root_job{0};
  // Set when a waiting drain session saw the termination word reach zero;
  // reset before each such session.
  std::atomic<bool> session_done{false};
  std::atomic<uint64_t> bytes_marked{0};
  std::atomic<uint64_t> objects_marked{0};
  std::atomic<uint64_t> bytes_scanned{0};
  std::atomic<unsigned> participants{0};
  // Verify mode, concurrent cycles: the objects the start window found on
  // stacks. Termination verifies from them and the root table, not from the
  // stacks as they are then: a stale word there may name an object that was
  // already garbage at the snapshot, which a conservative rescan would take
  // for a live one the mark missed.
  std::mutex snapshot_mu;
  std::vector<uintptr_t> stack_snapshot;

  bool roots_claimed() const {
    return next_root_job.load(std::memory_order_acquire) >= root_jobs.size();
  }
  void add(const MarkCounters& c) {
    bytes_marked.fetch_add(c.bytes_marked, std::memory_order_relaxed);
    objects_marked.fetch_add(c.objects_marked, std::memory_order_relaxed);
    bytes_scanned.fetch_add(c.bytes_scanned, std::memory_order_relaxed);
  }
};

// When a drain stops before the mark is done.
struct DrainLimits {
  uint64_t deadline_ns = ~uint64_t{0};         // on sched::clock_now()
  const sched::SliceContext* slice = nullptr;  // a background slice's yield signal
  uint64_t max_scan_bytes = ~uint64_t{0};      // a mark assist's budget
  // Wait for other participants' work when this one runs dry (stop-the-
  // world marks and termination windows), instead of leaving at once.
  bool wait_for_others = false;
};

enum class DrainResult {
  kDone,     // no work left anywhere: this participant saw the word reach zero
  kDry,      // this participant found no work; others may still have some
  kStopped,  // a limit stopped it; its buffers went back to the pool
};

// Join the mark, claim root jobs, drain, balance, until a result. Counts what
// it did into m (and into *done if given).
DrainResult mark_drain(MarkState& m, const DrainLimits& limits, MarkCounters* done = nullptr);

}  // namespace gcmap::gc::detail
