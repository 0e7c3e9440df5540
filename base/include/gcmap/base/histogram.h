// A log-linear histogram with bounded relative error, for pause times and
// operation latencies (nanoseconds).
//
// Values below 2^kSubBits are counted exactly. Above, each power of two is
// split into 2^kSubBits equal buckets, so a bucket's width is at most
// 1/2^kSubBits (1.6%) of its lower bound, and percentile() answers with the
// bucket's midpoint: within 0.8% of the true sample. Nothing is stored per
// sample, so recording costs one increment and the memory is fixed (30 KiB).
//
// Histogram (atomic counters, relaxed) may be recorded from many threads at
// once; LocalHistogram is the same without atomics for one thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace gcmap::base {

template <class Counter>
class BasicHistogram {
 public:
  static constexpr unsigned kSubBits = 6;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  static constexpr size_t kBuckets = (64 - kSubBits + 1) * kSub;

  static constexpr size_t bucket_of(uint64_t v) {
    if (v < kSub) return static_cast<size_t>(v);
    unsigned e = 63u - static_cast<unsigned>(std::countl_zero(v));  // e >= kSubBits
    uint64_t sub = (v >> (e - kSubBits)) & (kSub - 1);
    return static_cast<size_t>((e - kSubBits + 1) * kSub + sub);
  }
  // Smallest value that falls in bucket i.
  static constexpr uint64_t bucket_low(size_t i) {
    if (i < kSub) return i;
    unsigned e = static_cast<unsigned>(i / kSub) + kSubBits - 1;
    uint64_t sub = i % kSub;
    return (uint64_t{1} << e) | (sub << (e - kSubBits));
  }
  static constexpr uint64_t bucket_width(size_t i) {
    if (i < kSub) return 1;
    unsigned e = static_cast<unsigned>(i / kSub) + kSubBits - 1;
    return uint64_t{1} << (e - kSubBits);
  }

  void record(uint64_t v) {
    add(counts_[bucket_of(v)], 1);
    add(count_, 1);
    add(sum_, v);
    update_max(v);
  }

  uint64_t count() const { return load(count_); }
  uint64_t sum() const { return load(sum_); }
  uint64_t max() const { return load(max_); }
  double mean() const { return count() ? static_cast<double>(sum()) / count() : 0.0; }

  // The value below which a fraction p (0..1) of the samples lie; 0 if empty.
  // Exact for the maximum (p == 1) and for values below 2^kSubBits.
  uint64_t percentile(double p) const {
    uint64_t n = count();
    if (n == 0) return 0;
    if (p >= 1.0) return max();
    uint64_t rank = static_cast<uint64_t>(p * static_cast<double>(n));
    if (rank >= n) rank = n - 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += load(counts_[i]);
      if (seen > rank) {
        uint64_t mid = bucket_low(i) + bucket_width(i) / 2;
        return std::min(mid, max());
      }
    }
    return max();
  }

  template <class Other>
  void merge(const BasicHistogram<Other>& o) {
    for (size_t i = 0; i < kBuckets; ++i) {
      uint64_t c = o.bucket_count(i);
      if (c) add(counts_[i], c);
    }
    add(count_, o.count());
    add(sum_, o.sum());
    update_max(o.max());
  }

  uint64_t bucket_count(size_t i) const { return load(counts_[i]); }

  void reset() {
    for (auto& c : counts_) store(c, 0);
    store(count_, 0);
    store(sum_, 0);
    store(max_, 0);
  }

 private:
  static constexpr bool kAtomic = !std::is_same_v<Counter, uint64_t>;
  static void add(Counter& c, uint64_t v) {
    if constexpr (kAtomic) {
      c.fetch_add(v, std::memory_order_relaxed);
    } else {
      c += v;
    }
  }
  static uint64_t load(const Counter& c) {
    if constexpr (kAtomic) {
      return c.load(std::memory_order_relaxed);
    } else {
      return c;
    }
  }
  static void store(Counter& c, uint64_t v) {
    if constexpr (kAtomic) {
      c.store(v, std::memory_order_relaxed);
    } else {
      c = v;
    }
  }
  void update_max(uint64_t v) {
    if constexpr (kAtomic) {
      uint64_t cur = max_.load(std::memory_order_relaxed);
      while (v > cur && !max_.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
      }
    } else {
      max_ = std::max(max_, v);
    }
  }

  Counter counts_[kBuckets] = {};
  Counter count_{0};
  Counter sum_{0};
  Counter max_{0};
};

using Histogram = BasicHistogram<std::atomic<uint64_t>>;
using LocalHistogram = BasicHistogram<uint64_t>;

}  // namespace gcmap::base
