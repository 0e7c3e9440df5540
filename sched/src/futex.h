// Sleeping on a 32-bit atomic word: the futex system call on Linux (with a
// timeout, which std::atomic::wait lacks), std::atomic::wait elsewhere.
// Callers re-check their condition after every return: wake-ups may be
// spurious and timeouts are not reported.
#pragma once

#include <atomic>
#include <cstdint>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#endif

namespace gcmap::sched::detail {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "futex word must be a plain int");

// Sleeps while *word == expected, at most timeout_ns (0 = no limit).
inline void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, uint64_t timeout_ns = 0) {
#if defined(__linux__)
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeout_ns != 0) {
    ts.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000u);
    ts.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000u);
    tsp = &ts;
  }
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, tsp, nullptr,
          0);
#else
  (void)timeout_ns;
  word->wait(expected, std::memory_order_seq_cst);
#endif
}

inline void futex_wake_all(std::atomic<uint32_t>* word) {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr,
          nullptr, 0);
#else
  word->notify_all();
#endif
}

// A hint to the CPU that this thread spins (and to its SMT sibling).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace gcmap::sched::detail
