// gcmap::Ptr<T>: a GC pointer stored inside a GC object (cppgc's Member).
//
// Reads and writes are relaxed atomic accesses (a plain mov on x86-64), so a
// concurrent marker may read a field while its owner writes it. Assignment
// runs the write barrier on the value it overwrites; construction does not,
// since nothing is overwritten. A Ptr on the stack is just a pointer: the
// stack is scanned conservatively.
#pragma once

#include <cstddef>
#include <functional>
#include <type_traits>

#include "gcmap/gc/barrier.h"

namespace gcmap {

template <class T>
class Ptr {
 public:
  using element_type = T;

  // Every constructor stores atomically (no default member initializer):
  // a marker may read a map slot while a value is being built in it.
  Ptr() noexcept { store_unbarriered(nullptr); }
  Ptr(std::nullptr_t) noexcept {
    store_unbarriered(nullptr);
  }                                             // NOLINT(google-explicit-constructor)
  Ptr(T* p) noexcept { store_unbarriered(p); }  // NOLINT(google-explicit-constructor)
  Ptr(const Ptr& o) noexcept { store_unbarriered(o.get()); }
  template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
  Ptr(const Ptr<U>& o) noexcept {  // NOLINT(google-explicit-constructor)
    store_unbarriered(o.get());
  }

  Ptr& operator=(const Ptr& o) noexcept {
    if (this != &o) store(o.get());
    return *this;
  }
  template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
  Ptr& operator=(const Ptr<U>& o) noexcept {
    store(o.get());
    return *this;
  }
  Ptr& operator=(T* p) noexcept {
    store(p);
    return *this;
  }
  Ptr& operator=(std::nullptr_t) noexcept {
    store(nullptr);
    return *this;
  }

  T* get() const noexcept { return __atomic_load_n(&raw_, __ATOMIC_RELAXED); }
  T* operator->() const noexcept { return get(); }
  T& operator*() const noexcept { return *get(); }
  operator T*() const noexcept { return get(); }  // NOLINT(google-explicit-constructor)
  explicit operator bool() const noexcept { return get() != nullptr; }

  // Overwrite with the barrier (what assignment does).
  void store(T* p) noexcept {
    gc::write_barrier(get());
    __atomic_store_n(&raw_, p, __ATOMIC_RELAXED);
  }
  // Overwrite without the barrier: only for a field no marker can have seen
  // yet (an object still being built) or whose old value is shaded already.
  void store_unbarriered(T* p) noexcept { __atomic_store_n(&raw_, p, __ATOMIC_RELAXED); }

 private:
  T* raw_;  // written only through the atomic stores above
};

template <class T, class U>
bool operator==(const Ptr<T>& a, const Ptr<U>& b) {
  return a.get() == b.get();
}
template <class T>
bool operator==(const Ptr<T>& a, std::nullptr_t) {
  return a.get() == nullptr;
}

}  // namespace gcmap

template <class T>
struct std::hash<gcmap::Ptr<T>> {
  size_t operator()(const gcmap::Ptr<T>& p) const noexcept { return std::hash<T*>()(p.get()); }
};
