// Exception safety of the user callbacks the collector runs (gc/README.md,
// "Exception safety"): a destructor run by the sweeper that throws is a
// fatal error naming the type, never an exception escaping collect() or a
// thread left marked as running a destructor.
#include <gtest/gtest.h>

#include <stdexcept>

#include "gcmap/gc/testing.h"
#include "gcmap/gcmap.h"

namespace gcmap::test {
namespace {

struct ThrowsInDestructor : GarbageCollected<ThrowsInDestructor> {
  ~ThrowsInDestructor() noexcept(false) { throw std::runtime_error("disk full"); }
};

// Before the fix the exception escaped collect() (or a background sweep),
// and the thread's next allocation died with the unrelated "allocation from
// a destructor run by the sweeper".
TEST(ExceptionSafetyDeathTest, ADestructorThatThrowsIsFatalAndNamesTheType) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        uintptr_t hidden = reinterpret_cast<uintptr_t>(make<ThrowsInDestructor>()) ^ 1;
        (void)hidden;
        try {
          testing::collect_precise();
        } catch (...) {
          // What a service would do: log and carry on. The next allocation
          // must not fail for an unrelated reason.
          struct Big : GarbageCollected<Big> {
            char bytes[100000];
          };
          make<Big>();
          fprintf(stderr, "the exception escaped collect()\n");
        }
      },
      "gcmap: the destructor of gcmap::test::.*ThrowsInDestructor threw std::runtime_error "
      "\\(\"disk full\"\\) while the sweeper freed the object; destructors of collected "
      "objects must not throw");
}

struct ThrowsAnInt : GarbageCollected<ThrowsAnInt> {
  ~ThrowsAnInt() noexcept(false) { throw 42; }
};

TEST(ExceptionSafetyDeathTest, ADestructorThatThrowsANonStdExceptionIsFatalToo) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        uintptr_t hidden = reinterpret_cast<uintptr_t>(make<ThrowsAnInt>()) ^ 1;
        (void)hidden;
        testing::collect_precise();
      },
      "gcmap: the destructor of gcmap::test::.*ThrowsAnInt threw int while the sweeper");
}

struct ThrowsInTrace : GarbageCollected<ThrowsInTrace> {
  void trace(Visitor&) const { throw std::logic_error("bad trace"); }
};

// Marking cannot unwind: a trace that throws is fatal, naming the type.
TEST(ExceptionSafetyDeathTest, ATraceThatThrowsIsFatalAndNamesTheType) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        Root<ThrowsInTrace> root(make<ThrowsInTrace>());
        collect();
      },
      "gcmap: the trace of gcmap::test::.*ThrowsInTrace threw std::logic_error \\(\"bad "
      "trace\"\\) while marking; trace must only visit pointers and must not throw");
}

}  // namespace
}  // namespace gcmap::test
