// Destruction bookkeeping shared by the gc and map suites: a Registry counts,
// per object id, how often a test object's destructor ran, and kAliveMagic
// marks a live object (destructors clear it), so a test can tell "freed",
// "freed twice" and "alive" apart.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace gcmap::test_common {

// Destruction counts by object id.
class Registry {
 public:
  explicit Registry(size_t n) : counts_(new std::atomic<int>[n]), n_(n) {
    for (size_t i = 0; i < n; ++i) counts_[i] = 0;
  }
  void destroyed(size_t id) { counts_[id].fetch_add(1, std::memory_order_relaxed); }
  int count(size_t id) const { return counts_[id].load(std::memory_order_relaxed); }
  size_t size() const { return n_; }

 private:
  std::unique_ptr<std::atomic<int>[]> counts_;
  size_t n_;
};

inline constexpr uint64_t kAliveMagic = 0x600dc0ffee;

// The bookkeeping half of a test's GC object: derive from it beside
// GarbageCollected<T> (`using Recorded::Recorded;`), and its destruction is
// counted in `registry` under `id` and clears `magic`.
struct Recorded {
  Recorded(Registry* r, size_t id) : registry(r), id(id) {}
  ~Recorded() {
    magic = 0;
    registry->destroyed(id);
  }
  Recorded(const Recorded&) = delete;
  Recorded& operator=(const Recorded&) = delete;

  Registry* registry;
  size_t id;
  uint64_t magic = kAliveMagic;
};

}  // namespace gcmap::test_common
