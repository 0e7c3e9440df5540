// Test objects that record their destruction, to tell freed from alive.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "common/clobber_stack.h"
#include "common/heap_test.h"
#include "common/registry.h"
#include "gcmap/gc/testing.h"
#include "gcmap/gcmap.h"

namespace gcmap::test {

using test_common::kAliveMagic;
using test_common::Registry;

struct Tracked : GarbageCollected<Tracked>, test_common::Recorded {
  using Recorded::Recorded;
  void trace(Visitor& v) const {
    v.visit(a);
    v.visit(b);
  }
  Ptr<Tracked> a;
  Ptr<Tracked> b;
};

using test_common::clobber_stack;

// The fixture of the gc suites (tests/common/heap_test.h).
using GcTest = test_common::HeapTest;

}  // namespace gcmap::test
