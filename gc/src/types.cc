// The global type table: one TypeInfo per collected type, indexed by the
// 16-bit index stored beside each object.
#include <atomic>
#include <mutex>

#include "gcmap/base/assert.h"
#include "gcmap/gc/object.h"

namespace gcmap::gc::detail {

TypeInfo g_types[kMaxTypes];

namespace {
std::mutex g_types_mu;
uint32_t g_next_type = 1;  // 0 is kRawType
}  // namespace

uint16_t register_type(const TypeInfo& info) {
  std::lock_guard<std::mutex> g(g_types_mu);
  GCMAP_CHECK(g_next_type < kMaxTypes, "more than %zu collected types", kMaxTypes - 1);
  uint32_t i = g_next_type++;
  g_types[i] = info;
  // Publish before the index escapes: markers read g_types[i] after finding
  // i beside an object, which they reach through a happens-before chain.
  std::atomic_thread_fence(std::memory_order_release);
  return static_cast<uint16_t>(i);
}

}  // namespace gcmap::gc::detail
