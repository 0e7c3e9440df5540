// The non-template parts of gcmap::HashMap: string hashing (libxxhash), the
// per-map random seed, and the failures (fatal errors and exceptions), kept
// out of line so that the inline paths stay small.

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <random>
#include <stdexcept>
#include <string>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <unistd.h>

#include "gcmap/base/assert.h"
#include "gcmap/base/exception.h"
#include "gcmap/map/hash.h"
#include "gcmap/map/internal/failures.h"
#include "gcmap/map/options.h"
#include "gcmap/sched/fork.h"
#include "gcmap/sched/mutator.h"

namespace gcmap::map::detail {

uint64_t hash_bytes(const void* data, size_t len, uint64_t seed) noexcept {
  return XXH3_64bits_withSeed(data, len, seed);
}

namespace {

// splitmix64: a fast generator whose every output is a good seed.
uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t os_random() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

uint64_t random_seed() noexcept {
  thread_local uint64_t state = os_random();
  return splitmix64(&state);
}

void fatal_concurrent_writes() {
  GCMAP_FATAL("concurrent map writes");
}
void fatal_concurrent_read_write() {
  GCMAP_FATAL("concurrent map read and map write");
}
void fatal_concurrent_iteration_write() {
  GCMAP_FATAL("concurrent map iteration and map write");
}

void unattached_read(const char* op) {
  // Attached as far as sched/ knows (a TBB worker whose attach hook has not
  // run yet: its stack is scanned), or a fork() child (no collector runs).
  if (sched::current() != nullptr || sched::in_forked_child()) return;
  GCMAP_FATAL(
      "HashMap::%s from thread %d, which is not attached to the gcmap runtime: its stack is not "
      "scanned, so what it reads could be freed and reused while it uses it; attach the thread "
      "with gcmap::ThreadScope before using a map",
      op, static_cast<int>(gettid()));
}

void throw_capacity_exceeded(size_t capacity) {
  throw std::length_error("gcmap::HashMap: fixed capacity of " + std::to_string(capacity) +
                          " entries exceeded (the map was built with FixedCapacity and never "
                          "grows)");
}

void throw_over_max_size(size_t entries, size_t max_size) {
  throw std::length_error(
      "gcmap::HashMap: " + std::to_string(entries) +
      " entries is over max_size() = " + std::to_string(max_size) +
      " for this key and value type (a larger bucket array would exceed the largest heap "
      "object, alloc::kMaxObjectSize; see map/README.md, \"Limits\"); the map is unchanged");
}

void throw_key_not_found() {
  throw std::out_of_range("gcmap::HashMap::at: key not found");
}

void fatal_callback_threw(const char* what) {
  GCMAP_FATAL("gcmap::HashMap: %s threw %s; it must not throw there", what,
              base::describe_current_exception().c_str());
}

}  // namespace gcmap::map::detail
