// The erase_deferred queue: order, string keys inline and spilled, blocks
// freed as they are consumed, a consumer that stops early, and one producer
// with one consumer on two threads (also under TSan).
#include "gcmap/map/internal/deferred_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace gcmap::map::detail {
namespace {

TEST(DeferredQueue, EntriesComeOutInOrderAcrossBlocks) {
  DeferredQueue<uint64_t> q;
  for (uint64_t i = 0; i < 1000; ++i) q.push(i, i + 100);
  EXPECT_EQ(q.pending(), 1000u);
  EXPECT_GT(q.oldest_ns(), 0u);
  uint64_t next = 0;
  size_t n = q.consume(600, [&](const auto& e) {
    EXPECT_EQ(e.key.get(), next);
    EXPECT_EQ(e.seq, next + 100);
    ++next;
    return true;
  });
  EXPECT_EQ(n, 600u);
  EXPECT_EQ(q.pending(), 400u);
  n = q.consume(10000, [&](const auto& e) {
    EXPECT_EQ(e.key.get(), next++);
    return true;
  });
  EXPECT_EQ(n, 400u);
  EXPECT_EQ(q.pending(), 0u);
  EXPECT_EQ(q.oldest_ns(), 0u);
  EXPECT_EQ(q.pushed(), 1000u);
}

TEST(DeferredQueue, StringKeysShortAndLong) {
  DeferredQueue<std::string> q;
  std::string longkey(100, 'x');
  q.push(std::string_view("sess:12345678901234567890"), 1);
  q.push(std::string_view(longkey), 2);
  std::vector<std::string> got;
  q.consume(10, [&](const auto& e) {
    got.emplace_back(e.key.get());
    return true;
  });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "sess:12345678901234567890");
  EXPECT_EQ(got[1], longkey);
}

TEST(DeferredQueue, AConsumerThatDeclinesLeavesTheEntryQueued) {
  DeferredQueue<int> q;
  for (int i = 0; i < 5; ++i) q.push(i, 0);
  EXPECT_EQ(q.consume(10, [](const auto& e) { return e.key.get() < 3; }), 3u);
  EXPECT_EQ(q.pending(), 2u);
  int first = -1;
  q.consume(1, [&](const auto& e) {
    first = e.key.get();
    return true;
  });
  EXPECT_EQ(first, 3);
}

TEST(DeferredQueue, UnconsumedEntriesAreDestroyedWithTheQueue) {
  // Long keys own a heap string: ASan's leak check fails if any is lost.
  auto* q = new DeferredQueue<std::string>();
  for (int i = 0; i < 300; ++i) q->push(std::string(64, static_cast<char>('a' + i % 26)), 0);
  q->consume(150, [](const auto&) { return true; });
  delete q;
}

TEST(DeferredQueueConcurrency, OneProducerOneConsumer) {
  DeferredQueue<std::string> q;
  constexpr int kN = 200000;
  std::atomic<bool> done{false};
  std::thread producer([&] {
    for (int i = 0; i < kN; ++i) q.push("sess:" + std::to_string(i), static_cast<uint64_t>(i));
    done = true;
  });
  int next = 0;
  bool ordered = true;
  while (next < kN) {
    q.consume(1000, [&](const auto& e) {
      if (e.key.get() != "sess:" + std::to_string(next) || e.seq != static_cast<uint64_t>(next)) {
        ordered = false;
      }
      ++next;
      return true;
    });
    if (done && q.pending() == 0) break;
  }
  producer.join();
  q.consume(kN, [&](const auto&) {
    ++next;
    return true;
  });
  EXPECT_TRUE(ordered);
  EXPECT_EQ(next, kN);
}

}  // namespace
}  // namespace gcmap::map::detail
