// gcmap::Visitor: what a collected type's trace() talks to.
//
//   void trace(gcmap::Visitor& v) const { v.visit(next_); v.visit(children_); }
//
// visit() accepts a Ptr<T>, a value with its own `trace(Visitor&) const`
// (a plain struct holding Ptrs, stored inline), and any range, pair, tuple or
// optional of those: C arrays, std::array, std::vector, std::deque, std::map
// values... Visiting something that can hold no GC pointer is a compile-time
// error, so a forgotten field type is caught rather than silently skipped
// (use visit_if_traceable for generic code).
//
// Standard containers inside GC objects are traced by reading them; with the
// concurrent collector (gc/README.md) a container whose storage is
// reallocated while a marker reads it is a data race: mutate such containers
// only while no cycle is marking, or hold them through a Ptr to a GC array.
#pragma once

#include <cstddef>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>

#include "gcmap/gc/barrier.h"
#include "gcmap/gc/ptr.h"

namespace gcmap {

class Visitor;

namespace detail {

template <class T>
struct is_ptr : std::false_type {};
template <class T>
struct is_ptr<Ptr<T>> : std::true_type {};

template <class T>
concept HasTrace = requires(const T& t, Visitor& v) {
  t.trace(v);
};

template <class T>
struct is_traceable;

template <class T>
inline constexpr bool is_traceable_v = is_traceable<std::remove_cvref_t<T>>::value;

template <class T>
constexpr bool compute_traceable() {
  if constexpr (is_ptr<T>::value || HasTrace<T>) {
    return true;
  } else if constexpr (std::ranges::range<T>) {
    return is_traceable_v<std::ranges::range_value_t<T>>;
  } else {
    return false;
  }
}

template <class T>
struct is_traceable : std::bool_constant<compute_traceable<T>()> {};

template <class A, class B>
struct is_traceable<std::pair<A, B>> : std::bool_constant<is_traceable_v<A> || is_traceable_v<B>> {
};
template <class... Ts>
struct is_traceable<std::tuple<Ts...>> : std::bool_constant<(is_traceable_v<Ts> || ...)> {};
template <class T>
struct is_traceable<std::optional<T>> : is_traceable<T> {};

}  // namespace detail

// Whether values of T can hold GC pointers that a trace must visit. Types
// for which this is false are stored in "noscan" memory that the collector
// never reads (map buckets of such keys and values included).
template <class T>
inline constexpr bool may_hold_gc_pointers = detail::is_traceable_v<T>;

class Visitor {
 public:
  virtual ~Visitor() = default;

  template <class T>
  void visit(const Ptr<T>& p) {
    if (T* raw = p.get()) visit_pointer(raw);
  }

  template <class T>
  requires(!detail::is_ptr<T>::value && detail::HasTrace<T>) void visit(const T& value) {
    value.trace(*this);
  }

  template <class R>
  requires(!detail::HasTrace<R> && std::ranges::range<const R> &&
           detail::is_traceable_v<std::ranges::range_value_t<R>>) void visit(const R& range) {
    for (const auto& e : range) visit(e);
  }

  template <class A, class B>
  void visit(const std::pair<A, B>& p) {
    static_assert(detail::is_traceable_v<A> || detail::is_traceable_v<B>,
                  "gcmap: this pair holds no GC pointer; do not visit it");
    visit_if_traceable(p.first);
    visit_if_traceable(p.second);
  }

  template <class... Ts>
  void visit(const std::tuple<Ts...>& t) {
    std::apply([this](const auto&... e) { (visit_if_traceable(e), ...); }, t);
  }

  template <class T>
  void visit(const std::optional<T>& o) {
    if (o) visit(*o);
  }

  // Visits value if its type can hold GC pointers; does nothing otherwise.
  template <class T>
  void visit_if_traceable(const T& value) {
    if constexpr (detail::is_traceable_v<T>) visit(value);
  }

  // A pointer to a GC object (its start or any byte inside it), or null.
  void visit_raw(const void* p) {
    if (p != nullptr) visit_pointer(p);
  }

 protected:
  virtual void visit_pointer(const void* p) = 0;
};

}  // namespace gcmap

namespace gcmap::gc {

namespace detail {
// The calling thread's visitor that shades (records for the concurrent mark)
// every pointer it is shown.
Visitor& shading_visitor();
}  // namespace detail

// Call before a value that may hold GC pointers is destroyed or overwritten
// in the heap (a map erasing or evacuating a slot, a container dropping an
// element): while a concurrent mark runs, everything it references is
// shaded, so the snapshot the mark works from loses nothing. Outside a mark
// this is one predictable branch; for types that hold no GC pointers it is
// nothing at all.
template <class T>
GCMAP_ALWAYS_INLINE void drop_barrier(const T& value) {
  if constexpr (may_hold_gc_pointers<T>) {
    if (GCMAP_UNLIKELY(marking_active())) detail::shading_visitor().visit(value);
  }
}

}  // namespace gcmap::gc
