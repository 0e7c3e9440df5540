// Test objects that record their destruction, to tell freed from alive.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "common/clobber_stack.h"
#include "common/registry.h"
#include "gcmap/gc/testing.h"
#include "gcmap/gcmap.h"

namespace gcmap::test {

using test_common::kAliveMagic;
using test_common::Registry;

struct Tracked : GarbageCollected<Tracked> {
  Tracked(Registry* r, size_t id) : registry(r), id(id) {}
  ~Tracked() {
    magic = 0;
    registry->destroyed(id);
  }
  void trace(Visitor& v) const {
    v.visit(a);
    v.visit(b);
  }
  Registry* registry;
  size_t id;
  uint64_t magic = kAliveMagic;
  Ptr<Tracked> a;
  Ptr<Tracked> b;
};

using test_common::clobber_stack;

// A test whose objects may outlive its body: registries live in the
// fixture, and TearDown collects (without scanning this stack) so that every
// object the test dropped is destroyed while its registry still exists, and
// the next test starts from a clean heap.
class GcTest : public ::testing::Test {
 protected:
  Registry& registry(size_t n) {
    registries_.push_back(std::make_unique<Registry>(n));
    return *registries_.back();
  }
  void TearDown() override {
    ThreadScope attach;
    gcmap::testing::collect_precise();
  }

 private:
  std::vector<std::unique_ptr<Registry>> registries_;
};

}  // namespace gcmap::test
