// gcWork: the mark work queues (Go's mgcwork.go, in our own words).
//
// Grey objects (marked, not yet scanned) travel in 2 KiB WorkBufs. Each mark
// worker owns a GcWork holding two of them used as one stack with a buffer
// of hysteresis (Go's wbuf1/wbuf2): it pushes and pops on b1; when b1 is full
// it swaps with b2, and only when both are full does it hand one to the
// global pool; when both are empty it takes a full one from the pool. So a
// worker touches shared state once per ~250 objects, not per object.
//
// Balancing: a worker with spare work gives a buffer to the pool whenever
// the pool is empty and some worker is idle, so idle workers can steal.
//
// Termination: one atomic word counts active workers (high half) and full
// buffers in the pool (low half). Work exists only in the pool or in the
// buffers of active workers; a worker goes idle only with empty buffers, and
// an idle worker takes a pool buffer by moving "one full buffer" to "one
// more active worker" in a single CAS. So the word reads zero exactly when
// no work exists anywhere, and the worker whose decrement makes it zero
// declares the mark done. (A participant that joins late, or after the end,
// just finds nothing to do.)
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace gcmap::gc::detail {

struct WorkBuf {
  static constexpr size_t kBytes = 2048;
  static constexpr uint32_t kCap = (kBytes - 16) / sizeof(uintptr_t);
  WorkBuf* next = nullptr;
  uint32_t n = 0;
  uintptr_t obj[kCap];
  bool empty() const { return n == 0; }
  bool full() const { return n == kCap; }
};

class WorkPool {
 public:
  static constexpr uint64_t kActiveOne = uint64_t{1} << 32;

  ~WorkPool();

  // A worker joins the mark (counted active).
  void join() { state_.fetch_add(kActiveOne, std::memory_order_acq_rel); }
  // The calling worker, with empty buffers, becomes idle; true if that made
  // the whole mark done.
  bool leave() { return state_.fetch_sub(kActiveOne, std::memory_order_acq_rel) == kActiveOne; }

  void put_full(WorkBuf* b);
  // An active worker takes a full buffer, or null.
  WorkBuf* take_full();
  // An idle worker takes a full buffer and becomes active in one step, or null.
  WorkBuf* take_full_as_idle();

  WorkBuf* get_empty();
  void put_empty(WorkBuf* b);

  uint32_t full_count() const {
    return static_cast<uint32_t>(state_.load(std::memory_order_relaxed));
  }
  uint32_t active_count() const {
    return static_cast<uint32_t>(state_.load(std::memory_order_relaxed) >> 32);
  }
  bool nothing_left() const { return state_.load(std::memory_order_acquire) == 0; }

 private:
  WorkBuf* pop_full_locked();

  std::atomic<uint64_t> state_{0};
  std::mutex mu_;
  WorkBuf* full_ = nullptr;
  WorkBuf* empty_ = nullptr;
};

class GcWork {
 public:
  explicit GcWork(WorkPool& pool);
  ~GcWork();
  GcWork(const GcWork&) = delete;
  GcWork& operator=(const GcWork&) = delete;

  void put(uintptr_t obj) {
    if (b1_->full()) [[unlikely]]
      make_room();
    b1_->obj[b1_->n++] = obj;
  }
  bool get(uintptr_t* obj) {
    if (b1_->empty()) [[unlikely]] {
      if (!refill()) return false;
    }
    *obj = b1_->obj[--b1_->n];
    return true;
  }
  // Give a buffer of work to the pool if it is empty and a worker is idle.
  void balance();
  bool empty() const { return b1_->empty() && b2_->empty(); }
  // Idle: take a full buffer from the pool and become active again, or
  // false if there is none right now.
  bool try_take_as_idle();
  // Hand every buffered object to the pool (used before a worker stops while
  // the mark is not finished, e.g. at a deadline).
  void flush_to_pool();

 private:
  void make_room();
  bool refill();

  WorkPool& pool_;
  WorkBuf* b1_;
  WorkBuf* b2_;
};

}  // namespace gcmap::gc::detail
