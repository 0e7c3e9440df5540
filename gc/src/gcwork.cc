// gcWork buffers and the global pool (see gcwork.h).
#include "gcwork.h"

#include "gcmap/base/assert.h"

namespace gcmap::gc::detail {

WorkPool::~WorkPool() {
  for (WorkBuf* list : {full_, empty_}) {
    while (list != nullptr) {
      WorkBuf* n = list->next;
      delete list;
      list = n;
    }
  }
}

void WorkPool::put_full(WorkBuf* b) {
  {
    std::lock_guard<std::mutex> g(mu_);
    b->next = full_;
    full_ = b;
  }
  // Counted after it is in the list, so a reserved count always finds one.
  state_.fetch_add(1, std::memory_order_acq_rel);
}

WorkBuf* WorkPool::pop_full_locked() {
  WorkBuf* b = full_;
  GCMAP_ASSERT(b != nullptr, "work pool count and list disagree");
  full_ = b->next;
  b->next = nullptr;
  return b;
}

WorkBuf* WorkPool::take_full() {
  uint64_t s = state_.load(std::memory_order_acquire);
  while (static_cast<uint32_t>(s) != 0) {
    if (state_.compare_exchange_weak(s, s - 1, std::memory_order_acq_rel)) {
      std::lock_guard<std::mutex> g(mu_);
      return pop_full_locked();
    }
  }
  return nullptr;
}

WorkBuf* WorkPool::take_full_as_idle() {
  uint64_t s = state_.load(std::memory_order_acquire);
  while (static_cast<uint32_t>(s) != 0) {
    if (state_.compare_exchange_weak(s, s - 1 + kActiveOne, std::memory_order_acq_rel)) {
      std::lock_guard<std::mutex> g(mu_);
      return pop_full_locked();
    }
  }
  return nullptr;
}

WorkBuf* WorkPool::get_empty() {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (empty_ != nullptr) {
      WorkBuf* b = empty_;
      empty_ = b->next;
      b->next = nullptr;
      return b;
    }
  }
  return new WorkBuf();
}

void WorkPool::put_empty(WorkBuf* b) {
  b->n = 0;
  std::lock_guard<std::mutex> g(mu_);
  b->next = empty_;
  empty_ = b;
}

GcWork::GcWork(WorkPool& pool) : pool_(pool), b1_(pool.get_empty()), b2_(pool.get_empty()) {}

GcWork::~GcWork() {
  GCMAP_ASSERT(empty(), "a GcWork with %u objects was dropped", b1_->n + b2_->n);
  pool_.put_empty(b1_);
  pool_.put_empty(b2_);
}

void GcWork::make_room() {
  std::swap(b1_, b2_);
  if (!b1_->full()) return;
  pool_.put_full(b1_);
  b1_ = pool_.get_empty();
}

bool GcWork::refill() {
  std::swap(b1_, b2_);
  if (!b1_->empty()) return true;
  WorkBuf* f = pool_.take_full();
  if (f == nullptr) return false;
  pool_.put_empty(b1_);
  b1_ = f;
  return true;
}

void GcWork::balance() {
  if (pool_.full_count() != 0) return;
  if (!b2_->empty()) {
    pool_.put_full(b2_);
    b2_ = pool_.get_empty();
  } else if (b1_->n > 4) {
    // Split: give away the older half of b1 (Go's wbuf split).
    WorkBuf* give = pool_.get_empty();
    uint32_t half = b1_->n / 2;
    for (uint32_t i = 0; i < half; ++i) give->obj[i] = b1_->obj[i];
    give->n = half;
    for (uint32_t i = half; i < b1_->n; ++i) b1_->obj[i - half] = b1_->obj[i];
    b1_->n -= half;
    pool_.put_full(give);
  }
}

bool GcWork::try_take_as_idle() {
  GCMAP_ASSERT(empty(), "taking work as idle with work in hand");
  if (pool_.full_count() == 0) return false;
  WorkBuf* f = pool_.take_full_as_idle();
  if (f == nullptr) return false;
  pool_.put_empty(b1_);
  b1_ = f;
  return true;
}

void GcWork::flush_to_pool() {
  for (WorkBuf** b : {&b1_, &b2_}) {
    if (!(*b)->empty()) {
      pool_.put_full(*b);
      *b = pool_.get_empty();
    }
  }
}

}  // namespace gcmap::gc::detail
