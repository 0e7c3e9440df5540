// The deferred-erase hub of a map (private to map/): the per-thread queues
// erase_deferred appends to, the applier, and the process-wide scheduler that
// opens windows for them. The public side is gcmap/map/deferred.h.
//
// Each producing thread has its own single-producer queue per map
// (deferred_queue.h): appending is plain stores and one release store. One
// applier at a time per map (an atomic flag): a window worker, the owner
// inside a write, or flush_deferred.
//
// A window never allocates: it skips a map whose owner was stopped in the
// middle of a write (and leaves it alone for a while: a per-map backoff from
// 1 ms doubling to 1 s, so that no empty windows spin), erases in place on
// a growing or shrinking map without advancing the evacuation (the entry is
// in its old bucket or its new one, as for a lookup), and never starts a
// shrink (the owner's next erase does that).
//
// Ordering: an erase queued before a write of the same key (an insert, an
// assignment, or a try_emplace that finds the key) does not remove what
// that write left. The map counts its writes while erases are pending; each
// queued erase carries the count it saw; a write records the key with its
// count; an erase older than the key's last write is dropped ("superseded").
//
// Exceptions (map/README.md, "Exception safety"): a hash, an equality, a
// pred or an on_erase that throws while an erase is applied drops that
// erase (or that whole erase_if_deferred); the rest stays queued, and the
// hub is never left claimed. flush_deferred() lets it propagate; a window or
// the owner's write that applied it records it instead (callback_failures,
// one warning per process), and the owner's next flush_deferred() rethrows
// the first one recorded.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "gcmap/map/deferred.h"
#include "gcmap/map/hash.h"
#include "gcmap/map/internal/deferred_queue.h"

namespace gcmap {

namespace map::detail {

// How an applier runs: the owner may do anything an erase does; a window
// must not allocate, park or run into the owner's unfinished write.
enum class ApplyMode { kOwner, kWindow };

class DeferredHubBase {
 public:
  // Not in the registry yet: the most derived constructor publishes the hub
  // once it is whole (the scheduler thread calls its virtual functions).
  DeferredHubBase();
  virtual ~DeferredHubBase();
  DeferredHubBase(const DeferredHubBase&) = delete;
  DeferredHubBase& operator=(const DeferredHubBase&) = delete;

  uint64_t id() const { return id_; }
  // Any thread: queued erases and bulk erases not yet done (a snapshot), and
  // erases ever queued.
  virtual size_t pending() const = 0;
  virtual uint64_t pushed() const = 0;
  // The applier (holding the flag): the oldest pending erase's queue time.
  virtual uint64_t oldest_ns() = 0;
  // The applier: apply up to max queued erases (and sweep steps) until
  // `stop()` says so; returns how many it applied or swept.
  // A callback that throws (hash, equality, pred, on_erase) drops the erase
  // (or the bulk erase) it was applying, and the exception propagates.
  virtual size_t apply(size_t max, ApplyMode mode, const std::function<bool()>& stop) = 0;
  // A window, world stopped, holding the flag: whether it may apply erases
  // to the map now (its owner was not stopped in the middle of a write).
  virtual bool window_eligible() const = 0;

  // Leave the registry (waits for the scheduler to let go of this hub).
  // The most derived destructor calls it first.
  void unregister();

  bool try_begin_apply() {
    bool expected = false;
    return applying_.compare_exchange_strong(expected, true, std::memory_order_acq_rel);
  }
  void end_apply() { applying_.store(false, std::memory_order_release); }

  // The applier's flag, held for a scope (released however it is left).
  class Claim {
   public:
    explicit Claim(DeferredHubBase& h) : h_(h) {}
    ~Claim() { h_.end_apply(); }
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;

   private:
    DeferredHubBase& h_;
  };

  // The applier, inside a catch handler of a window or an owner's write:
  // count the exception, warn once per process, keep the first for the
  // owner's next flush_deferred().
  void record_failure(const char* where);
  // The applier: the recorded exception, if any (cleared).
  std::exception_ptr take_failure() { return std::exchange(failure_, nullptr); }

  // Window backoff (deferred.cc, under the registry's lock): the scheduler
  // ignores this hub until retry_at_ns.
  uint64_t retry_at_ns() const { return retry_at_ns_; }
  void back_off(uint64_t now_ns);
  void reset_backoff() { retry_at_ns_ = backoff_ns_ = 0; }

 protected:
  // Enter the registry: the most derived constructor's last act.
  void publish();
  // The calling thread's cached queue for hub `id`, or null.
  static void* cached_queue(uint64_t id);
  static void cache_queue(uint64_t id, void* queue);
  void count_applied(uint64_t applied, uint64_t superseded, uint64_t swept);
  void retire_queued(uint64_t queued);

 private:
  std::atomic<bool> applying_{false};
  const uint64_t id_;
  std::exception_ptr failure_;                 // the applier's
  uint64_t retry_at_ns_ = 0, backoff_ns_ = 0;  // under the registry's lock
};

template <class Map>
class DeferredHub final : public DeferredHubBase {
  using K = typename Map::key_type;
  using V = typename Map::mapped_type;
  using Queue = DeferredQueue<K>;
  // Keys as the queue and the write record hold them: std::string as
  // bytes, looked up by string_view.
  static constexpr bool kStringKey = std::is_same_v<K, std::string>;

 public:
  using Pred = std::function<bool(const K&, const V&)>;
  using OnErase = std::function<void(const K&, V&)>;

  explicit DeferredHub(Map* owner) : owner_(owner) { publish(); }
  ~DeferredHub() override {
    unregister();  // first: the scheduler must not see a half-destroyed hub
    uint64_t queued = 0;
    for (size_t i = 0; i < nqueues_.load(std::memory_order_acquire); ++i) {
      Queue* q = queues_[i].load(std::memory_order_acquire);
      queued += q->pushed();
      delete q;
    }
    retire_queued(queued + shared_pushed_);
  }

  void rebind(Map* owner) { owner_ = owner; }

  // Any thread.
  template <class Q>
  void push(const Q& key, uint64_t seq) {
    Queue* q = static_cast<Queue*>(cached_queue(id()));
    if (q == nullptr) q = find_or_make_queue();
    if (q != nullptr) {
      q->push(key, seq);
      return;
    }
    // More producing threads than slots: a shared, locked queue.
    const uint64_t now = base::now_ns();
    std::lock_guard<std::mutex> g(mu_);
    shared_.push_back(SharedErase{RecordKey(K(key)), seq, now});
    ++shared_pushed_;
    shared_pending_.store(shared_.size(), std::memory_order_release);
  }

  // Any thread: a bulk erase by predicate.
  void add_sweep(Pred pred, OnErase on_erase) {
    const uint64_t now = base::now_ns();
    std::lock_guard<std::mutex> g(mu_);
    sweeps_.push_back(Sweep{std::move(pred), std::move(on_erase), {}, now});
    nsweeps_.store(sweeps_.size(), std::memory_order_release);
  }

  size_t pending() const override {
    size_t n =
        shared_pending_.load(std::memory_order_acquire) + nsweeps_.load(std::memory_order_acquire);
    for (size_t i = 0; i < nqueues_.load(std::memory_order_acquire); ++i) {
      n += queues_[i].load(std::memory_order_acquire)->pending();
    }
    return n;
  }

  uint64_t oldest_ns() override {
    uint64_t oldest = 0;
    for (size_t i = 0; i < nqueues_.load(std::memory_order_acquire); ++i) {
      uint64_t t = queues_[i].load(std::memory_order_acquire)->oldest_ns();
      if (t != 0 && (oldest == 0 || t < oldest)) oldest = t;
    }
    // Bulk erases and the shared queue carry their own queue times, so an
    // idle map with only those queued still meets the staleness target.
    if (nsweeps_.load(std::memory_order_acquire) != 0 ||
        shared_pending_.load(std::memory_order_acquire) != 0) {
      std::lock_guard<std::mutex> g(mu_);
      auto older = [&oldest](uint64_t t) {
        if (t != 0 && (oldest == 0 || t < oldest)) oldest = t;
      };
      if (!sweeps_.empty()) older(sweeps_.front().queued_ns);
      if (!shared_.empty()) older(shared_.front().queued_ns);
    }
    return oldest;
  }

  // The owner: erases to apply, or a write record a window left to free.
  bool owner_has_work() const { return pending() != 0 || !written_.empty(); }

  // The owner, inside a write, while erases are pending: remember that key
  // was written now, so older queued erases of it are dropped.
  template <class Q>
  void note_write(const Q& key, uint64_t seq) {
    written_.insert_or_assign(RecordKey(key), seq);
  }

  uint64_t pushed() const override {
    uint64_t n = 0;
    for (size_t i = 0; i < nqueues_.load(std::memory_order_acquire); ++i) {
      n += queues_[i].load(std::memory_order_acquire)->pushed();
    }
    std::lock_guard<std::mutex> g(mu_);
    return n + shared_pushed_;
  }

  size_t apply(size_t max, ApplyMode mode, const std::function<bool()>& stop) override {
    Map& m = *owner_;
    if (mode == ApplyMode::kWindow && !m.deferred_window_ok()) return 0;
    // Counted however apply is left (a callback may throw).
    struct Counts {
      DeferredHub* hub;
      uint64_t erased = 0, superseded = 0, swept = 0;
      ~Counts() { hub->count_applied(erased, superseded, swept); }
    } counts{this};
    size_t work = 0;  // erases applied or dropped, sweep steps: the budget
    // A callback that throws here leaves the map as it was before this
    // erase; the erase is consumed (dropped) by whoever called take.
    auto take = [&](const auto& key, uint64_t seq) {
      ++work;
      if (superseded_by_write(key, seq)) {
        ++counts.superseded;
      } else {
        m.deferred_erase(key, mode);
        ++counts.erased;
      }
    };
    // Queued erases, queue by queue, checking `stop` every 8. An entry whose
    // erase throws is consumed all the same (DeferredQueue::consume).
    const size_t nq = nqueues_.load(std::memory_order_acquire);
    for (size_t k = 0; k < nq && work < max; ++k) {
      Queue* q = queues_[(next_queue_ + k) % nq].load(std::memory_order_acquire);
      q->consume(max - work, [&](const typename Queue::Entry& e) {
        if ((work & 7) == 7 && stop()) return false;
        take(e.key.get(), e.seq);
        return true;
      });
    }
    if (nq != 0) next_queue_ = (next_queue_ + 1) % nq;  // spread the work over producers
    // The shared queue: each erase is taken out under the lock and applied
    // outside it (a hash must not run under a lock that producers take).
    while (shared_pending_.load(std::memory_order_acquire) != 0 && work < max && !stop()) {
      std::optional<SharedErase> e;
      {
        std::lock_guard<std::mutex> g(mu_);
        if (shared_.empty()) break;
        e.emplace(std::move(shared_.front()));
        shared_.pop_front();
        shared_pending_.store(shared_.size(), std::memory_order_release);
      }
      take(e->key, e->seq);
    }
    // Bulk erases, a few buckets per step. One whose pred or on_erase throws
    // is dropped whole.
    while (nsweeps_.load(std::memory_order_acquire) != 0 && work < max && !stop()) {
      Sweep* sw;
      {
        std::lock_guard<std::mutex> g(mu_);
        sw = &sweeps_.front();  // push_back does not move it
      }
      size_t n = 0;
      bool done = true;
      try {
        done = m.deferred_sweep(sw->pred, sw->on_erase, sw->cursor, &n);
      } catch (...) {
        counts.swept += n;
        pop_sweep();
        throw;
      }
      counts.swept += n;
      work += 1 + n;
      if (done) pop_sweep();
    }
    // The write record can be large (every write while erases waited):
    // free it on the owner's time, never inside a window.
    if (mode == ApplyMode::kOwner && pending() == 0) written_.clear();
    return work;
  }

  bool window_eligible() const override { return owner_->deferred_window_ok(); }

 private:
  struct Sweep {
    Pred pred;
    OnErase on_erase;
    typename Map::SweepCursor cursor{};
    uint64_t queued_ns = 0;
  };
  using RecordKey = std::conditional_t<kStringKey, std::string, K>;
  struct SharedErase {
    RecordKey key;
    uint64_t seq;
    uint64_t queued_ns;
  };

  void pop_sweep() {
    std::lock_guard<std::mutex> g(mu_);
    sweeps_.pop_front();
    nsweeps_.store(sweeps_.size(), std::memory_order_release);
  }
  // The map's own hash and equality, transparent when the map's are.
  static constexpr bool kTransparent = requires {
    typename Map::hasher::is_transparent;
    typename Map::key_equal::is_transparent;
  };
  struct RecordHash {
    using is_transparent = void;
    template <class Q>
    size_t operator()(const Q& k) const {
      return static_cast<size_t>(apply_hash(typename Map::hasher(), k, 0));
    }
  };
  using Written = std::unordered_map<RecordKey, uint64_t, RecordHash, typename Map::key_equal>;

  template <class Q>
  bool superseded_by_write(const Q& key, uint64_t seq) const {
    if (written_.empty()) return false;
    auto it = [&] {
      if constexpr (kTransparent || std::is_same_v<Q, RecordKey>) {
        return written_.find(key);
      } else {
        return written_.find(RecordKey(key));
      }
    }();
    return it != written_.end() && it->second > seq;
  }

  Queue* find_or_make_queue() {
    std::lock_guard<std::mutex> g(mu_);
    const std::thread::id me = std::this_thread::get_id();
    size_t n = nqueues_.load(std::memory_order_relaxed);
    for (size_t i = 0; i < n; ++i) {
      if (owners_[i] == me) {
        Queue* q = queues_[i].load(std::memory_order_relaxed);
        cache_queue(id(), q);
        return q;
      }
    }
    if (n == kMaxQueues) return nullptr;
    auto* q = new Queue();
    owners_[n] = me;
    queues_[n].store(q, std::memory_order_release);
    nqueues_.store(n + 1, std::memory_order_release);
    cache_queue(id(), q);
    return q;
  }

  static constexpr size_t kMaxQueues = 64;

  Map* owner_;
  mutable std::mutex mu_;  // queue creation, the shared queue, the sweeps
  std::atomic<Queue*> queues_[kMaxQueues] = {};
  std::thread::id owners_[kMaxQueues];
  std::atomic<size_t> nqueues_{0};
  std::deque<SharedErase> shared_;
  uint64_t shared_pushed_ = 0;
  std::atomic<size_t> shared_pending_{0};
  std::deque<Sweep> sweeps_;
  std::atomic<size_t> nsweeps_{0};
  // The applier's state.
  size_t next_queue_ = 0;
  Written written_;
};

// The scheduler (deferred.cc): started with the first hub; opens pause
// windows as the policy (deferred_policy.h) decides.
void ensure_deferred_scheduler();
// Tests: keep the scheduler from opening windows (true), or let it again.
void pause_deferred_scheduler(bool paused);

}  // namespace map::detail
}  // namespace gcmap
