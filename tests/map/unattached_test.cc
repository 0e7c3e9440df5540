// Reads from a thread that is not attached to the runtime (no ThreadScope)
// are fatal in every build (issue 13, item 9). Such a thread's stack is not
// scanned, so a value it found could be freed, and its slot reused, while it
// still used it; before, a Release build let the read through silently.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>

#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

using PtrMap = HashMap<uint64_t, Ptr<Node>>;

constexpr const char* kMessage =
    "not attached to the gcmap runtime.*attach the thread with gcmap::ThreadScope";

// A map filled on this (attached) thread; it lives until the process dies.
PtrMap* make_map() {
  static Registry reg(16);
  auto* m = new PtrMap();
  for (uint64_t i = 0; i < 16; ++i) m->try_emplace(i, make<Node>(&reg, i));
  return m;
}

// Runs f on a fresh thread that never attaches, and waits for it.
template <class F>
void on_unattached_thread(F f) {
  std::thread(f).join();
}

TEST(MapUnattachedDeathTest, FindFromAnUnattachedThreadIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        PtrMap* m = make_map();
        on_unattached_thread([m] {
          auto it = m->find(3);
          if (it != m->end()) std::printf("%zu\n", it->second->id);
        });
      },
      std::string("HashMap::find from thread [0-9]+, which is ") + kMessage);
}

TEST(MapUnattachedDeathTest, ConstFindFromAnUnattachedThreadIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        const PtrMap* m = make_map();
        on_unattached_thread([m] { std::printf("%d\n", m->find(3) != m->end()); });
      },
      std::string("HashMap::find from thread [0-9]+, which is ") + kMessage);
}

TEST(MapUnattachedDeathTest, ContainsFromAnUnattachedThreadIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        PtrMap* m = make_map();
        on_unattached_thread([m] { std::printf("%d %zu\n", m->contains(3), m->count(4)); });
      },
      std::string("HashMap::contains from thread [0-9]+, which is ") + kMessage);
}

TEST(MapUnattachedDeathTest, GetFromAnUnattachedThreadIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        PtrMap* m = make_map();
        on_unattached_thread([m] { std::printf("%p\n", static_cast<void*>(m->get(3))); });
      },
      std::string("HashMap::get from thread [0-9]+, which is ") + kMessage);
}

TEST(MapUnattachedDeathTest, AtFromAnUnattachedThreadIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        PtrMap* m = make_map();
        on_unattached_thread([m] { std::printf("%zu\n", m->at(3)->id); });
      },
      std::string("HashMap::at from thread [0-9]+, which is ") + kMessage);
}

TEST(MapUnattachedDeathTest, IterationFromAnUnattachedThreadIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        PtrMap* m = make_map();
        on_unattached_thread([m] {
          size_t sum = 0;
          for (auto&& [k, v] : *m) sum += v->id;
          std::printf("%zu\n", sum);
        });
      },
      std::string("HashMap::begin from thread [0-9]+, which is ") + kMessage);
}

// An iterator from an attached thread, advanced on an unattached one.
TEST(MapUnattachedDeathTest, AdvancingAnIteratorOnAnUnattachedThreadIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        PtrMap* m = make_map();
        auto it = m->begin();
        on_unattached_thread([&it] {
          ++it;
          std::printf("%zu\n", it->second->id);
        });
      },
      std::string("HashMap::iterator increment from thread [0-9]+, which is ") + kMessage);
}

// The same reads on an attached thread are fine, and the figures that return
// only numbers (size, empty, capacity, ...) need no attachment.
TEST(MapUnattached, AttachedReadsWorkAndSizeNeedsNoAttachment) {
  ThreadScope attach;
  PtrMap* m = make_map();
  std::thread([m] {
    ThreadScope inner;
    EXPECT_EQ(m->find(3)->second->id, 3u);
    EXPECT_TRUE(m->contains(4));
    EXPECT_EQ(m->at(5)->id, 5u);
    size_t n = 0;
    for (auto it = m->begin(); it != m->end(); ++it) ++n;
    EXPECT_EQ(n, 16u);
  }).join();
  std::thread([m] {
    EXPECT_EQ(m->size(), 16u);
    EXPECT_FALSE(m->empty());
    EXPECT_GE(m->capacity(), 16u);
    EXPECT_GT(m->bucket_count(), 0u);
    EXPECT_GT(m->max_size(), 16u);
  }).join();
}

}  // namespace
}  // namespace gcmap::map_test
