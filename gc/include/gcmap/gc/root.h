// gcmap::Root<T>: a strong reference to a GC object from ordinary memory
// (globals, malloc'd structures, containers): cppgc's Persistent.
//
// A Root owns a node in the root table; the collector's markroot jobs scan
// the table shard by shard. Copying a Root makes a new node, moving one
// steals it. Assignment and destruction run the write barrier on the old
// value, so a concurrent mark never loses an object whose only reference was
// a Root that changed. A Root may be created, assigned and destroyed by any
// attached thread; it must not itself live in the GC heap (use Ptr there).
//
// RootProvider registers an arbitrary object with a trace callback as a root
// (a HashMap living outside the heap registers itself this way).
#pragma once

#include <atomic>
#include <cstddef>

#include "gcmap/gc/barrier.h"
#include "gcmap/gc/object.h"

namespace gcmap {

namespace gc::detail {

// RootNode::state. A node holds Roots or providers for its whole life (each
// kind has its own free lists), so a scanner that read "a Root" never reads
// a provider's owner as a GC pointer.
enum : uint32_t {
  kNodeFree = 0,
  kNodeRoot = 1,
  kNodeProvider = 2,
  kNodeTracing = 3,  // a provider whose owner a scanner (or rebind) is using now
};

struct RootNode {
  std::atomic<const void*> ptr{nullptr};  // the object (Root) or the provider (RootProvider)
  std::atomic<TraceFn> trace{nullptr};    // null: ptr is a GC object to mark
  RootNode* next_free = nullptr;
  uint32_t shard = 0;
  std::atomic<uint32_t> state{kNodeFree};
};

RootNode* root_acquire(const void* p, TraceFn trace);
// While a mark is active, a provider's references are shaded before its node
// goes away (its shard may not have been scanned yet). A provider's release
// waits for a scan that is tracing its owner right now: once it returns,
// no marker reads the owner again, so the owner may be destroyed.
void root_release(RootNode* n);
// RootProvider::rebind: the same wait, then the new owner.
void root_rebind(RootNode* n, const void* owner);
size_t root_count();

}  // namespace gc::detail

template <class T>
class Root {
 public:
  Root() noexcept = default;
  Root(std::nullptr_t) noexcept {}  // NOLINT(google-explicit-constructor)
  Root(T* p) : node_(p ? gc::detail::root_acquire(p, nullptr) : nullptr) {}  // NOLINT
  Root(const Root& o) : Root(o.get()) {}
  Root(Root&& o) noexcept : node_(o.node_) { o.node_ = nullptr; }
  ~Root() { reset(); }

  Root& operator=(T* p) {
    if (node_ == nullptr) {
      if (p != nullptr) node_ = gc::detail::root_acquire(p, nullptr);
      return *this;
    }
    gc::write_barrier(node_->ptr.load(std::memory_order_relaxed));
    node_->ptr.store(p, std::memory_order_relaxed);
    return *this;
  }
  Root& operator=(const Root& o) {
    if (this != &o) *this = o.get();
    return *this;
  }
  Root& operator=(Root&& o) noexcept {
    if (this != &o) {
      reset();
      node_ = o.node_;
      o.node_ = nullptr;
    }
    return *this;
  }
  Root& operator=(std::nullptr_t) { return *this = static_cast<T*>(nullptr); }

  void reset() {
    if (node_ != nullptr) {
      gc::write_barrier(node_->ptr.load(std::memory_order_relaxed));
      gc::detail::root_release(node_);
      node_ = nullptr;
    }
  }

  T* get() const noexcept {
    return node_ ? static_cast<T*>(const_cast<void*>(node_->ptr.load(std::memory_order_relaxed)))
                 : nullptr;
  }
  T* operator->() const noexcept { return get(); }
  T& operator*() const noexcept { return *get(); }
  operator T*() const noexcept { return get(); }  // NOLINT(google-explicit-constructor)
  explicit operator bool() const noexcept { return get() != nullptr; }

 private:
  gc::detail::RootNode* node_ = nullptr;
};

// Registers `owner` (an object in ordinary memory) as a root whose GC
// pointers `trace(owner, visitor)` visits, for as long as this lives.
// trace may run on a marker thread at any time while registered; release()
// (and the destructor) waits until no marker is inside trace for this owner,
// so trace must not block on anything the releasing thread holds.
class RootProvider {
 public:
  RootProvider() = default;
  RootProvider(const void* owner, gc::TraceFn trace)
      : node_(gc::detail::root_acquire(owner, trace)) {}
  RootProvider(const RootProvider&) = delete;
  RootProvider& operator=(const RootProvider&) = delete;
  RootProvider(RootProvider&& o) noexcept : node_(o.node_) { o.node_ = nullptr; }
  RootProvider& operator=(RootProvider&& o) noexcept {
    if (this != &o) {
      release();
      node_ = o.node_;
      o.node_ = nullptr;
    }
    return *this;
  }
  ~RootProvider() { release(); }
  // Point the registration at the owner's new address (after a move).
  void rebind(const void* owner) { gc::detail::root_rebind(node_, owner); }
  bool registered() const { return node_ != nullptr; }
  // Unregister now, while the owner can still be traced (call it first thing
  // in the owner's destructor).
  void release() {
    if (node_ != nullptr) gc::detail::root_release(node_);
    node_ = nullptr;
  }

 private:
  gc::detail::RootNode* node_ = nullptr;
};

}  // namespace gcmap
