// The write barrier's out-of-line half: shading.
//
// While a concurrent mark runs (g_marking), an overwritten or dropped GC
// pointer is shaded: appended to the thread's barrier buffer (256 entries,
// Go's wbBuf) unless its object is already black; a full buffer is greyed
// into a work buffer handed to the mark's pool, where background workers and
// assists find it. Termination flushes every thread's buffer with the world
// stopped. A thread without collector state (an unattached thread, a worker
// between attach and its hook) greys through a shared buffer under a lock.
#include "gcmap/gc/barrier.h"

#include <mutex>

#include "barrier.h"
#include "concurrent.h"
#include "gcmap/gc/visitor.h"
#include "gcmap/sched/fork.h"
#include "shade.h"
#include "threadstate.h"

namespace gcmap::gc::detail {

std::atomic<bool> g_marking{false};
constinit thread_local ThreadState* t_gc_state __attribute__((tls_model("initial-exec"))) = nullptr;

namespace {

std::mutex g_shared_mu;
BarrierBuffer g_shared;

bool already_black(uintptr_t p) {
  alloc::Span* s = alloc::g_pagemap.lookup(p);
  if (s == nullptr) return true;  // not a heap pointer: nothing to shade
  return s->is_marked(s->slot_of(p));
}

}  // namespace

void shade(const void* ptr) {
  if (!g_marking.load(std::memory_order_relaxed) || ptr == nullptr) return;
  // A mark was in progress at fork(): the threads that would finish it are
  // gone, and its locks may be held by them.
  if (GCMAP_UNLIKELY(sched::in_forked_child())) {
    sched::fatal_in_forked_child("a GC pointer overwritten while a mark was in progress");
  }
  auto p = reinterpret_cast<uintptr_t>(ptr);
  if (already_black(p)) return;
  if (ThreadState* ts = t_gc_state) {
    BarrierBuffer& b = ts->wb;
    b.ptrs[b.n++] = p;
    if (b.n == BarrierBuffer::kCap) flush_barrier_buffer(b);
    return;
  }
  std::lock_guard<std::mutex> g(g_shared_mu);
  g_shared.ptrs[g_shared.n++] = p;
  if (g_shared.n == BarrierBuffer::kCap) flush_barrier_buffer(g_shared);
}

void shade_slow(const void* old) {
  shade(old);
}

void shade_provider(const void* owner, TraceFn trace) {
  if (!g_marking.load(std::memory_order_relaxed)) return;
  trace(owner, shading_visitor());
}

void flush_shared_barrier_buffer() {
  std::lock_guard<std::mutex> g(g_shared_mu);
  flush_barrier_buffer(g_shared);
}

namespace {
class ShadingVisitor final : public Visitor {
 protected:
  void visit_pointer(const void* p) override { shade(p); }
};
}  // namespace

Visitor& shading_visitor() {
  thread_local ShadingVisitor v;
  return v;
}

}  // namespace gcmap::gc::detail
