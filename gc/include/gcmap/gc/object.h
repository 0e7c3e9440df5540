// Collected objects: GarbageCollected<T>, make<T>(...), and the type table
// the collector uses to trace and finalize them.
//
//   struct Node : gcmap::GarbageCollected<Node> {
//     gcmap::Ptr<Node> next;
//     void trace(gcmap::Visitor& v) const { v.visit(next); }
//   };
//   Node* n = gcmap::make<Node>();
//
// Each collected type gets a 16-bit index into a global table of TypeInfo
// (trace, finalize, name, size) the first time it is allocated; the index is
// stored beside the object in its span (alloc/), not in a header. A type
// without trace() holds no GC pointers: its objects go to noscan spans and
// are never read by the collector. A type with a non-trivial destructor has
// it run by the sweeper when the object dies, on whichever thread sweeps
// (a background worker or an allocating thread). A destructor must not touch
// other GC objects: they may already be gone (the same rule as cppgc).
//
// Memory is zeroed before the constructor runs, and the type index is set
// before it, so a collection triggered by an allocation inside the
// constructor traces the fields built so far and sees null in the others.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "gcmap/alloc/sizeclass.h"
#include "gcmap/alloc/span.h"
#include "gcmap/alloc/tcache.h"
#include "gcmap/gc/barrier.h"
#include "gcmap/gc/visitor.h"

namespace gcmap {

// Base of every collected type (CRTP, as cppgc's GarbageCollected).
template <class T>
class GarbageCollected {
 public:
  using IsGarbageCollectedMarker = void;

 protected:
  GarbageCollected() = default;
};

template <class T>
concept Collected = requires {
  typename T::IsGarbageCollectedMarker;
};

// make<T>(AdditionalBytes{n}, args...) allocates n bytes past sizeof(T), for
// objects with a trailing array (map bucket arrays use it).
struct AdditionalBytes {
  size_t bytes;
};

// Thrown by make<T> for an object larger than the heap allocates
// (alloc::kMaxObjectSize, 4 GiB - 16 bytes), including a sizeof(T) +
// AdditionalBytes that overflows. Nothing was allocated. A std::bad_alloc,
// as operator new's failure for an impossible size.
class ObjectTooLarge : public std::bad_alloc {
 public:
  // sizeof(T) + extra bytes asked for (the sum may not fit a size_t).
  ObjectTooLarge(size_t type_size, size_t extra) noexcept;
  const char* what() const noexcept override { return what_; }
  size_t type_size() const noexcept { return type_size_; }
  size_t additional_bytes() const noexcept { return extra_; }
  static constexpr size_t limit() noexcept { return alloc::kMaxObjectSize; }

 private:
  size_t type_size_;
  size_t extra_;
  char what_[192];
};

namespace gc {

using TraceFn = void (*)(const void* obj, Visitor& v);
// Trace the part of an object whose bytes lie in [begin, end) (offsets from
// its start), so that a large object can be scanned in bounded chunks.
using TraceRangeFn = void (*)(const void* obj, Visitor& v, size_t begin, size_t end);
using FinalizeFn = void (*)(void* obj);

struct TypeInfo {
  TraceFn trace = nullptr;             // null: the type holds no GC pointers
  TraceRangeFn trace_range = nullptr;  // optional
  FinalizeFn finalize = nullptr;       // null: trivially destructible
  const char* name = "?";
  size_t size = 0;
};

inline constexpr size_t kMaxTypes = size_t{1} << 16;
// Index 0 is raw memory: nothing to trace, nothing to run.
inline constexpr uint16_t kRawType = 0;

namespace detail {
extern TypeInfo g_types[kMaxTypes];
uint16_t register_type(const TypeInfo& info);

template <class T>
const char* type_name() {
  // "const char* gcmap::gc::detail::type_name() [with T = Foo]"
  return __PRETTY_FUNCTION__;
}

template <class T>
constexpr bool kHasTrace = requires(const T& t, Visitor& v) {
  t.trace(v);
};
template <class T>
constexpr bool kHasTraceRange = requires(const T& t, Visitor& v, size_t b, size_t e) {
  t.trace_range(v, b, e);
};

template <class T>
TypeInfo make_type_info() {
  TypeInfo info;
  if constexpr (kHasTrace<T>) {
    info.trace = [](const void* obj, Visitor& v) { static_cast<const T*>(obj)->trace(v); };
  }
  if constexpr (kHasTraceRange<T>) {
    info.trace_range = [](const void* obj, Visitor& v, size_t b, size_t e) {
      static_cast<const T*>(obj)->trace_range(v, b, e);
    };
  }
  if constexpr (!std::is_trivially_destructible_v<T>) {
    info.finalize = [](void* obj) { static_cast<T*>(obj)->~T(); };
  }
  info.name = type_name<T>();
  info.size = sizeof(T);
  return info;
}
}  // namespace detail

template <class T>
uint16_t type_index() {
  static const uint16_t index = detail::register_type(detail::make_type_info<T>());
  return index;
}

inline const TypeInfo& type_info(uint16_t index) {
  return detail::g_types[index];
}

namespace detail {

// The allocation slow path: safepoint poll, attachment check, GC trigger,
// then the allocator's refill.
void* alloc_slow(uint32_t spanclass, alloc::Span** span, uint32_t* index);
void* alloc_large(size_t size, bool noscan, uint16_t type, bool finalize);
void mark_new_object(alloc::Span* span, uint32_t index);

template <bool kNoScan, bool kFinalize>
GCMAP_ALWAYS_INLINE void* allocate(size_t size, uint16_t type) {
  if (size <= alloc::kMaxSmallSize) {
    const uint32_t sc = alloc::make_span_class(alloc::size_to_class(size), kNoScan);
    alloc::Span* s;
    uint32_t i;
    void* p = alloc::try_alloc_fast(sc, &s, &i);
    if (GCMAP_UNLIKELY(p == nullptr)) p = alloc_slow(sc, &s, &i);
    alloc::prepare_slot(p, size);
    s->types[i] = type;
    if constexpr (kFinalize) s->needs_finalize = true;
    // Allocate black while a concurrent mark runs.
    if (GCMAP_UNLIKELY(marking_active())) mark_new_object(s, i);
    return p;
  }
  return alloc_large(size, kNoScan, type, kFinalize);
}

[[noreturn]] void throw_object_too_large(size_t type_size, size_t extra);

// A constructor threw: the object was never built, so its slot must not be
// traced or finalized. It becomes raw memory and dies at the next cycle.
void abandon_object(void* p);

template <class T, class... Args>
T* construct(size_t size, Args&&... args) {
  static_assert(Collected<T>, "gcmap::make<T>: T must derive from gcmap::GarbageCollected<T>");
  static_assert(alignof(T) <= alloc::kObjectAlign, "gcmap: over-aligned types are not supported");
  constexpr bool kNoScan = !kHasTrace<T>;
  constexpr bool kFinalize = !std::is_trivially_destructible_v<T>;
  void* p = allocate<kNoScan, kFinalize>(size, type_index<T>());
  if constexpr (std::is_nothrow_constructible_v<T, Args&&...>) {
    return ::new (p) T(std::forward<Args>(args)...);
  } else {
    try {
      return ::new (p) T(std::forward<Args>(args)...);
    } catch (...) {
      abandon_object(p);
      throw;
    }
  }
}

}  // namespace detail
}  // namespace gc

// Allocate and construct a T in the GC heap. The calling thread must be
// attached (gcmap::ThreadScope). Raw pointers to it on the stack keep it alive.
template <class T, class... Args>
T* make(Args&&... args) {
  static_assert(sizeof(T) <= alloc::kMaxObjectSize, "gcmap::make<T>: T is too large");
  return gc::detail::construct<T>(sizeof(T), std::forward<Args>(args)...);
}

// As make<T>(args...), with extra.bytes more past sizeof(T), for a trailing
// array. Throws ObjectTooLarge when sizeof(T) + extra.bytes is over
// alloc::kMaxObjectSize (or overflows), before allocating anything.
template <class T, class... Args>
T* make(AdditionalBytes extra, Args&&... args) {
  static_assert(sizeof(T) <= alloc::kMaxObjectSize, "gcmap::make<T>: T is too large");
  if (GCMAP_UNLIKELY(extra.bytes > alloc::kMaxObjectSize - sizeof(T))) {
    gc::detail::throw_object_too_large(sizeof(T), extra.bytes);
  }
  return gc::detail::construct<T>(sizeof(T) + extra.bytes, std::forward<Args>(args)...);
}

}  // namespace gcmap
