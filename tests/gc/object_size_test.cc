// The largest object: make<T>(AdditionalBytes{n}) beyond alloc::kMaxObjectSize,
// or with a sizeof(T) + n that overflows size_t, throws gcmap::ObjectTooLarge
// (a std::bad_alloc) before allocating or constructing anything (issue 13,
// item 12). Before, the sum wrapped to a tiny object that "succeeded".
#include <gtest/gtest.h>

#include <cstdint>
#include <new>
#include <string>

#include "tracked.h"

namespace gcmap::test {
namespace {

class ObjectSize : public GcTest {};

int g_constructed = 0;

// An object with a trailing byte array.
struct Blob : GarbageCollected<Blob> {
  Blob() { ++g_constructed; }
  uint64_t header[2] = {};
};

TEST_F(ObjectSize, AdditionalBytesThatOverflowSizeofPlusNThrowInsteadOfAllocatingATinyObject) {
  ThreadScope attach;
  g_constructed = 0;
  // sizeof(Blob) + n wraps to 8 bytes.
  const size_t n = SIZE_MAX - sizeof(Blob) + 9;
  try {
    Blob* b = make<Blob>(AdditionalBytes{n});
    ADD_FAILURE() << "allocated " << static_cast<void*>(b);
  } catch (const ObjectTooLarge& e) {
    EXPECT_EQ(e.type_size(), sizeof(Blob));
    EXPECT_EQ(e.additional_bytes(), n);
    const std::string what = e.what();
    EXPECT_NE(what.find("overflows"), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(alloc::kMaxObjectSize)), std::string::npos) << what;
  }
  EXPECT_EQ(g_constructed, 0);
  // Any overflowing amount, and as the std::bad_alloc it is.
  EXPECT_THROW(make<Blob>(AdditionalBytes{SIZE_MAX}), std::bad_alloc);
  EXPECT_EQ(g_constructed, 0);
}

TEST_F(ObjectSize, RequestOneByteOverKMaxObjectSizeThrowsObjectTooLargeInsteadOfAborting) {
  ThreadScope attach;
  g_constructed = 0;
  const size_t n = alloc::kMaxObjectSize - sizeof(Blob) + 1;
  try {
    make<Blob>(AdditionalBytes{n});
    ADD_FAILURE() << "no exception";
  } catch (const ObjectTooLarge& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(std::to_string(alloc::kMaxObjectSize + 1) + " bytes"), std::string::npos)
        << what;
    EXPECT_NE(what.find(std::to_string(alloc::kMaxObjectSize)), std::string::npos) << what;
    EXPECT_EQ(ObjectTooLarge::limit(), alloc::kMaxObjectSize);
  }
  EXPECT_EQ(g_constructed, 0);
  // The limit is 4 GiB - 16: the largest size a span records in 32 bits.
  static_assert(alloc::kMaxObjectSize == (uint64_t{4} << 30) - 16);
  // The heap still works, large objects included.
  Root<Blob> big(make<Blob>(AdditionalBytes{size_t{1} << 20}));
  Root<Blob> small(make<Blob>());
  EXPECT_EQ(g_constructed, 2);
}

}  // namespace
}  // namespace gcmap::test
