// Misuse fails loudly: allocating from an unattached thread, allocating
// from a destructor, a constructor that throws leaves nothing to finalize.
#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

#include "gcmap/gc/testing.h"
#include "tracked.h"

namespace gcmap::test {
namespace {

class Misuse : public GcTest {};

TEST(MisuseDeathTest, AllocationFromAnUnattachedThreadFails) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Registry reg(1);
        make<Tracked>(&reg, 0);
      },
      "gcmap: allocation from a thread that is not attached to the gcmap runtime; create a "
      "gcmap::ThreadScope");
}

struct AllocatesInDestructor : GarbageCollected<AllocatesInDestructor> {
  ~AllocatesInDestructor() {
    // Large objects always take the slow path, where the check lives.
    struct Big : GarbageCollected<Big> {
      char bytes[100000];
    };
    make<Big>();
  }
};

TEST(MisuseDeathTest, AllocationFromADestructorFails) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        uintptr_t hidden = reinterpret_cast<uintptr_t>(make<AllocatesInDestructor>()) ^ 1;
        (void)hidden;
        testing::collect_precise();
      },
      "allocation from a destructor run by the sweeper");
}

struct ThrowsInConstructor : GarbageCollected<ThrowsInConstructor> {
  explicit ThrowsInConstructor(int* dtors) : dtors(dtors) { throw std::runtime_error("no"); }
  ~ThrowsInConstructor() { ++*dtors; }
  int* dtors;
};

TEST_F(Misuse, AConstructorThatThrowsIsNeverFinalized) {
  ThreadScope attach;
  int dtors = 0;
  EXPECT_THROW(make<ThrowsInConstructor>(&dtors), std::runtime_error);
  testing::collect_precise();
  testing::collect_precise();
  EXPECT_EQ(dtors, 0);
}

}  // namespace
}  // namespace gcmap::test
