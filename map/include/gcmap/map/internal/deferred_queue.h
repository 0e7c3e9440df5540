// The queue behind erase_deferred: one per (map, producing thread), single
// producer, single consumer, in blocks.
//
// The producer (the thread calling erase_deferred) writes an entry into its
// tail block and publishes it with one release store of the block's count:
// no lock, no read-modify-write. The consumer (whoever applies the map's
// deferred erases, holding the map's apply lock) reads counts with acquire
// loads, and frees a block once it is full, consumed, and the producer has
// linked a successor (so the producer never touches it again).
//
// String keys are copied into the entry (up to 23 bytes inline, longer ones
// in a std::string): a session id then costs no allocation to queue. The
// key is not hashed here: hashing waits until the erase is applied (a map
// reseeds itself when it empties, which would make an early hash stale).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "gcmap/base/clock.h"

namespace gcmap::map::detail {

// How a queued erase keeps its key: K itself, or for std::string the bytes.
template <class K>
struct QueuedKey {
  K key;
  explicit QueuedKey(const K& k) : key(k) {}
  const K& get() const { return key; }
};

template <>
struct QueuedKey<std::string> {
  // 24 bytes: up to 23 bytes inline ("sess:" and 16 hex digits fit), else
  // a pointer to a heap copy in the first 8 bytes and len == kSpilled.
  static constexpr size_t kInline = 23;
  static constexpr uint8_t kSpilled = 0xff;
  char bytes[kInline];
  uint8_t len;
  explicit QueuedKey(std::string_view k) {
    if (k.size() <= kInline) {
      len = static_cast<uint8_t>(k.size());
      std::memcpy(bytes, k.data(), k.size());
    } else {
      len = kSpilled;
      std::string* heap = new std::string(k);
      std::memcpy(bytes, &heap, sizeof(std::string*));  // owned through `bytes`: see ~QueuedKey
      // cppcheck-suppress memleak
    }
  }
  QueuedKey(const QueuedKey&) = delete;
  QueuedKey& operator=(const QueuedKey&) = delete;
  ~QueuedKey() {
    if (len == kSpilled) delete spilled();
  }
  std::string_view get() const {
    return len == kSpilled ? std::string_view(*spilled()) : std::string_view(bytes, len);
  }

 private:
  std::string* spilled() const {
    std::string* p;
    std::memcpy(&p, bytes, sizeof(std::string*));
    return p;
  }
};
static_assert(sizeof(QueuedKey<std::string>) == 24);

template <class K>
class DeferredQueue {
 public:
  struct Entry {
    template <class Key>
    Entry(Key&& k, uint64_t s) : key(std::forward<Key>(k)), seq(s) {}
    QueuedKey<K> key;
    uint64_t seq;  // the map's write sequence when the erase was queued
  };

  DeferredQueue() : head_(new Block()), tail_(head_) {}
  DeferredQueue(const DeferredQueue&) = delete;
  DeferredQueue& operator=(const DeferredQueue&) = delete;
  ~DeferredQueue() {
    // The map is dying: nothing produces or consumes any more.
    for (Block* b = head_; b != nullptr;) {
      Block* next = b->next.load(std::memory_order_relaxed);
      uint32_t n = b->count.load(std::memory_order_relaxed);
      for (uint32_t i = (b == head_ ? consumed_in_head_ : 0); i < n; ++i) b->entry(i)->~Entry();
      delete b;
      b = next;
    }
    for (Block* b = spare_.load(std::memory_order_relaxed); b != nullptr;) {
      Block* next = b->next.load(std::memory_order_relaxed);
      delete b;
      b = next;
    }
  }

  // Producer.
  template <class Key>
  void push(Key&& key, uint64_t seq) {
    Block* b = tail_;
    uint32_t n = b->count.load(std::memory_order_relaxed);
    if (n == Block::kCap) {
      Block* fresh = take_spare();
      b->next.store(fresh, std::memory_order_release);
      tail_ = b = fresh;
      n = 0;
    }
    if (n == 0) b->first_ns = base::now_ns();
    new (b->entry(n)) Entry(std::forward<Key>(key), seq);
    b->count.store(n + 1, std::memory_order_release);
    pushed_.store(pushed_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Consumer: hand up to `max` entries, oldest first, to f(const Entry&);
  // stops early when f returns false (the entry stays queued). Returns how
  // many it handed over and f accepted. When f throws, the entry it was
  // given counts as consumed (dropped) and the exception propagates.
  template <class F>
  size_t consume(size_t max, F&& f) {
    size_t done = 0;
    while (done < max) {
      uint32_t n = head_->count.load(std::memory_order_acquire);
      if (consumed_in_head_ == n) {
        if (n < Block::kCap) break;  // the producer is still filling it
        Block* next = head_->next.load(std::memory_order_acquire);
        if (next == nullptr) break;  // full, but its successor is not linked yet
        give_spare(head_);
        head_ = next;
        consumed_in_head_ = 0;
        continue;
      }
      Entry* e = head_->entry(consumed_in_head_);
      bool accepted;
      try {
        accepted = f(static_cast<const Entry&>(*e));
      } catch (...) {
        drop_head_entry(e);
        throw;
      }
      if (!accepted) break;
      drop_head_entry(e);
      ++done;
    }
    return done;
  }

  // Any thread: how many entries wait (a snapshot).
  size_t pending() const {
    uint64_t c = consumed_.load(std::memory_order_acquire);
    uint64_t p = pushed_.load(std::memory_order_acquire);
    return p > c ? static_cast<size_t>(p - c) : 0;
  }
  // The consumer's side (whoever holds the map's apply lock): when the block
  // holding the oldest waiting entry was started (0 when none wait). An
  // upper bound of the oldest entry's age.
  uint64_t oldest_ns() const { return pending() ? head_->first_ns : 0; }
  uint64_t pushed() const { return pushed_.load(std::memory_order_acquire); }

 private:
  struct Block {
    static constexpr uint32_t kCap = 256;
    std::atomic<uint32_t> count{0};
    std::atomic<Block*> next{nullptr};
    uint64_t first_ns = 0;
    alignas(Entry) unsigned char storage[kCap * sizeof(Entry)];
    Entry* entry(uint32_t i) { return reinterpret_cast<Entry*>(storage) + i; }
  };

  // Consumed blocks go back to the producer through a stack with one pusher
  // (the consumer) and one popper (the producer), so a storm after the
  // first one writes into memory that is already mapped: fresh blocks cost
  // page faults on the caller's thread. At most kMaxSpare are kept.
  static constexpr int kMaxSpare = 64;
  Block* take_spare() {
    Block* b = spare_.load(std::memory_order_acquire);
    while (b != nullptr && !spare_.compare_exchange_weak(b, b->next.load(std::memory_order_relaxed),
                                                         std::memory_order_acq_rel)) {
    }
    if (b == nullptr) return new Block;  // not Block(): that would zero 10 KiB first
    nspare_.fetch_sub(1, std::memory_order_relaxed);
    b->count.store(0, std::memory_order_relaxed);
    b->next.store(nullptr, std::memory_order_relaxed);
    return b;
  }
  void give_spare(Block* b) {
    if (nspare_.load(std::memory_order_relaxed) >= kMaxSpare) {
      delete b;
      return;
    }
    nspare_.fetch_add(1, std::memory_order_relaxed);
    Block* top = spare_.load(std::memory_order_relaxed);
    do {
      b->next.store(top, std::memory_order_relaxed);
    } while (!spare_.compare_exchange_weak(top, b, std::memory_order_acq_rel));
  }
  std::atomic<Block*> spare_{nullptr};
  std::atomic<int> nspare_{0};

  void drop_head_entry(Entry* e) {
    e->~Entry();
    ++consumed_in_head_;
    consumed_.store(consumed_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Consumer side.
  Block* head_;
  uint32_t consumed_in_head_ = 0;
  std::atomic<uint64_t> consumed_{0};
  // Producer side, on its own line.
  alignas(64) Block* tail_;
  std::atomic<uint64_t> pushed_{0};
};

}  // namespace gcmap::map::detail
