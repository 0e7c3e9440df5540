// The global type table: one TypeInfo per collected type, indexed by the
// 16-bit index stored beside each object.

#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>

#include "gcmap/base/assert.h"
#include "gcmap/base/exception.h"
#include "gcmap/gc/object.h"
#include "types.h"

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

void fatal_callback_threw(const char* what, const char* where, const char* rule) {
  GCMAP_FATAL("%s threw %s %s; %s", what, base::describe_current_exception().c_str(), where, rule);
}

std::string short_type_name(uint16_t type) {
  std::string full = type_info(type).name;
  size_t b = full.find("T = ");
  if (b == std::string::npos) return full;
  b += 4;
  size_t e = full.find_first_of(";]", b);
  return full.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

}  // namespace gcmap::gc::detail
