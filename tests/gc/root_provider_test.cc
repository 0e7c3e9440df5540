// A root provider (an object in ordinary memory that registers itself with a
// trace callback, as an off-heap HashMap does) destroyed while a concurrent
// mark scans the root table: its release must wait for a trace of it in
// progress, so the marker never reads its memory after it is freed. Run
// under ASan (which reported heap-use-after-free in the provider's trace on
// a TBB worker before the fix) and TSan.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "tracked.h"

namespace gcmap::test {
namespace {

class RootProviders : public GcTest {};

struct Leaf : GarbageCollected<Leaf> {
  uint64_t value = 7;
};

// The provider under test. Its trace announces itself, then keeps reading
// its own memory until its owner says it was destroyed (or for a while:
// with the fix the destruction waits for this trace, so "destroyed" never
// comes first), then reads once more: after a destruction that did not wait,
// that read is a use after free.
std::atomic<const void*> g_traced{nullptr};
std::atomic<bool> g_destroyed{false};

class SlowProvider {
 public:
  explicit SlowProvider(std::thread::id owner) : owner_(owner) {
    for (size_t i = 0; i < kWords; ++i) words_[i] = i;
    // Registered last, once what trace() reads is written: a scan may trace
    // the provider from the moment it is registered (TSan saw the words
    // being written while a marker read them).
    root_ = RootProvider(this, [](const void* self, Visitor& v) {
      static_cast<const SlowProvider*>(self)->trace(v);
    });
  }
  ~SlowProvider() {
    root_.release();
    for (size_t i = 0; i < kWords; ++i) words_[i] = 0;
  }
  SlowProvider(const SlowProvider&) = delete;
  SlowProvider& operator=(const SlowProvider&) = delete;

  void trace(Visitor& v) const {
    // The owner's own release shades through this trace: not the scan.
    if (std::this_thread::get_id() != owner_) {
      const void* expected = nullptr;
      if (g_traced.compare_exchange_strong(expected, this)) {
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
        while (!g_destroyed.load() && std::chrono::steady_clock::now() < until) {
          sum_words();
          std::this_thread::yield();
        }
      }
      sum_words();
    }
    v.visit(leaf);
  }

  Ptr<Leaf> leaf;

 private:
  static constexpr size_t kWords = 64;
  uint64_t sum_words() const {
    uint64_t s = 0;
    for (size_t i = 0; i < kWords; ++i) s += reinterpret_cast<const volatile uint64_t*>(words_)[i];
    return s;
  }
  std::thread::id owner_;
  uint64_t words_[kWords];
  RootProvider root_;
};

TEST_F(RootProviders, AProviderDestroyedWhileTheMarkTracesItIsNotReadAfterItsDeath) {
  ThreadScope attach;
  g_traced = nullptr;
  g_destroyed = false;
  auto* p = new SlowProvider(std::this_thread::get_id());
  p->leaf = make<Leaf>();
  testing::start_concurrent_mark();  // the background now scans the root shards
  bool traced = false;
  {
    // Not touching the heap while we wait: collections need not wait for us.
    BlockingRegion wait;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!(traced = g_traced.load() == p) && std::chrono::steady_clock::now() < end) {
      std::this_thread::yield();
    }
  }
  ASSERT_TRUE(traced) << "the background mark never traced the provider";
  delete p;  // the marker is inside p's trace now
  g_destroyed = true;
  testing::finish_concurrent_mark();
}

// The same race without arranging it: providers come and go on several
// threads while concurrent cycles run back to back.
TEST_F(RootProviders, ProvidersComeAndGoWhileConcurrentCyclesRun) {
  g_traced = &g_traced;  // no slow traces here
  constexpr int kThreads = 2;
  constexpr int kRounds = 3000;
  std::atomic<int> running{kThreads};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      ThreadScope attach;
      std::vector<std::unique_ptr<SlowProvider>> live(16);
      for (int round = 0; round < kRounds; ++round) {
        auto& slot = live[static_cast<size_t>(round) % live.size()];
        slot = std::make_unique<SlowProvider>(std::thread::id());
        slot->leaf = make<Leaf>();
        if (slot->leaf->value != 7) ADD_FAILURE() << "a provider's leaf was freed";
      }
      running.fetch_sub(1);
    });
  }
  {
    ThreadScope attach;
    while (running.load() > 0) testing::concurrent_cycle();
  }
  for (auto& t : threads) t.join();
}

}  // namespace
}  // namespace gcmap::test
