// The public API of gcmap: include this one header.
//
//   gcmap::ThreadScope attach;                 every thread that touches the heap
//   struct Node : gcmap::GarbageCollected<Node> {
//     gcmap::Ptr<Node> next;
//     void trace(gcmap::Visitor& v) const { v.visit(next); }
//   };
//   Node* n = gcmap::make<Node>();             raw pointers on the stack are fine
//   gcmap::Root<Node> keep(n);                 a reference from ordinary memory
//   gcmap::collect();                          a full cycle, now
//   gcmap::Stats s = gcmap::stats();
#pragma once

#include "gcmap/gc/config.h"
#include "gcmap/gc/object.h"
#include "gcmap/gc/ptr.h"
#include "gcmap/gc/root.h"
#include "gcmap/gc/runtime.h"
#include "gcmap/gc/visitor.h"
#include "gcmap/map/config.h"
#include "gcmap/map/hashmap.h"
#include "gcmap/sched/blocking.h"
#include "gcmap/sched/safepoint.h"

namespace gcmap {
// A thread about to block (I/O, a lock, a sleep) opens one so that
// collections do not wait for it; it must not touch the GC heap inside.
using BlockingRegion = sched::BlockingRegion;

// A safepoint: where an attached thread lets a stop-the-world take it. The
// allocator's slow path and every map operation poll already; a thread that
// computes for long without either should call this now and then (one
// relaxed load when no stop is pending).
inline void safepoint() {
  sched::safepoint_poll();
}
}  // namespace gcmap
