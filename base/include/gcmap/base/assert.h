// Assertions and fatal errors shared by every gcmap module.
//
// GCMAP_ASSERT(cond, msg) checks an invariant in debug and sanitizer builds
// (GCMAP_ENABLE_ASSERTS) and compiles to nothing in release builds.
// GCMAP_CHECK(cond, msg) is always on: it guards misuse that would otherwise
// corrupt the heap (an unattached thread allocating, a failed mmap).
// Both end in gcmap::base::fatal(), which prints "gcmap: <message>" and aborts,
// so death tests can match the message.
#pragma once

#include <cstdio>

namespace gcmap::base {

[[noreturn]] void fatal(const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

#if defined(GCMAP_ENABLE_ASSERTS)
inline constexpr bool kAssertsEnabled = true;
#else
inline constexpr bool kAssertsEnabled = false;
#endif

}  // namespace gcmap::base

#define GCMAP_FATAL(...) ::gcmap::base::fatal(__FILE__, __LINE__, __VA_ARGS__)

#define GCMAP_CHECK(cond, ...)                                  \
  do {                                                          \
    if (__builtin_expect(!(cond), 0)) GCMAP_FATAL(__VA_ARGS__); \
  } while (0)

#if defined(GCMAP_ENABLE_ASSERTS)
#define GCMAP_ASSERT(cond, ...) GCMAP_CHECK(cond, __VA_ARGS__)
#else
#define GCMAP_ASSERT(cond, ...) \
  do {                          \
  } while (0)
#endif

#define GCMAP_LIKELY(x) __builtin_expect(!!(x), 1)
#define GCMAP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define GCMAP_NOINLINE __attribute__((noinline))
#define GCMAP_ALWAYS_INLINE inline __attribute__((always_inline))
