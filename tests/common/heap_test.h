// The fixture of the gc and map suites whose objects may outlive a test's
// body: registries live in the fixture, and TearDown collects (without
// scanning this stack) so that every object the test dropped is destroyed
// while its registry still exists, and the next test starts from a clean
// heap.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "common/registry.h"
#include "gcmap/gc/runtime.h"
#include "gcmap/gc/testing.h"

namespace gcmap::test_common {

class HeapTest : public ::testing::Test {
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

}  // namespace gcmap::test_common
