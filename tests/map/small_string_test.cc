// gcmap::SmallString: inline up to 30 bytes, on the malloc heap beyond;
// copies, moves and assignments across the two forms (ASan checks that no
// buffer leaks or is freed twice); equality and hashing as a string_view;
// and a HashMap keyed by it, looked up, erased and deferred-erased by
// string_view.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

std::string text(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + i % 26));
  return s;
}

TEST(SmallString, KeepsUpTo30BytesInlineAndLongerOnTheHeap) {
  for (size_t n : {0, 1, 15, 16, 29, 30, 31, 32, 100}) {
    const std::string t = text(n);
    SmallString s(t);
    EXPECT_EQ(s.is_inline(), n <= SmallString::kInline) << n;
    EXPECT_EQ(s.size(), n);
    EXPECT_EQ(s.empty(), n == 0);
    EXPECT_EQ(s.view(), t);
    EXPECT_EQ(s.str(), t);
    if (s.is_inline()) {
      // The bytes live inside the object.
      const char* lo = reinterpret_cast<const char*>(&s);
      EXPECT_TRUE(s.data() >= lo && s.data() < lo + sizeof s) << n;
    }
  }
  EXPECT_TRUE(SmallString().empty());
  EXPECT_EQ(sizeof(SmallString), 32u);
}

TEST(SmallString, CopiesMovesAndAssignmentsAcrossBothForms) {
  const std::string shorts = text(7), longs = text(45);
  for (const std::string& a : {shorts, longs}) {
    for (const std::string& b : {shorts, longs, std::string()}) {
      SmallString x(a);
      SmallString y(b);
      SmallString c(x);  // copy
      EXPECT_EQ(c.view(), a);
      EXPECT_EQ(x.view(), a);
      y = x;  // copy-assign over either form
      EXPECT_EQ(y.view(), a);
      SmallString m(std::move(x));  // move leaves the source empty
      EXPECT_EQ(m.view(), a);
      EXPECT_TRUE(x.empty());  // NOLINT(bugprone-use-after-move): documented state
      SmallString z(b);
      z = std::move(m);  // move-assign over either form
      EXPECT_EQ(z.view(), a);
      EXPECT_TRUE(m.empty());  // NOLINT(bugprone-use-after-move)
      z = z;                   // NOLINT: self-assignment keeps the value
      EXPECT_EQ(z.view(), a);
      SmallString& zr = z;
      z = std::move(zr);  // self-move too
      EXPECT_EQ(z.view(), a);
    }
  }
}

TEST(SmallString, ComparesAndHashesAsItsBytes) {
  const std::string t = "sess:0123456789abcdef";
  const SmallString s(t);
  EXPECT_TRUE(s == std::string_view(t));
  EXPECT_TRUE(std::string_view(t) == s);
  EXPECT_TRUE(s == t.c_str());
  EXPECT_TRUE(s == t);
  EXPECT_FALSE(s == std::string_view("sess:0123456789abcdeF"));
  EXPECT_FALSE(s == SmallString(t + "x"));
  EXPECT_TRUE(SmallString(text(40)) == SmallString(text(40)));
  for (uint64_t seed : {0ull, 1ull, 0x9e3779b97f4a7c15ull}) {
    EXPECT_EQ(Hash<SmallString>()(s, seed), Hash<std::string_view>()(t, seed));
    EXPECT_EQ(Hash<SmallString>()(s, seed), Hash<std::string>()(t, seed));
  }
  std::unordered_set<SmallString> set{SmallString(t), SmallString(text(40))};
  EXPECT_EQ(set.count(SmallString(t)), 1u);
  EXPECT_EQ(set.count(SmallString(text(40))), 1u);
}

class SmallStringMap : public MapTest {};

TEST_F(SmallStringMap, AMapKeyedBySmallStringIsUsedWithStringViews) {
  ThreadScope attach;
  HashMap<SmallString, uint64_t> m;
  auto key = [](uint64_t i) {
    std::string k = "sess:" + std::to_string(i);
    if (i % 3 == 0) k += "-a-suffix-that-makes-it-longer-than-30";
    return k;
  };
  constexpr uint64_t kN = 5000;
  for (uint64_t i = 0; i < kN; ++i) m.try_emplace(key(i), i);
  gcmap::collect();
  ASSERT_EQ(m.size(), kN);
  for (uint64_t i = 0; i < kN; ++i) {
    const std::string k = key(i);
    auto it = m.find(std::string_view(k));
    ASSERT_NE(it, m.end()) << k;
    EXPECT_EQ(it->first.view(), k);
    EXPECT_EQ(it->second, i);
  }
  EXPECT_EQ(m.find(std::string_view("sess:absent")), m.end());
  // Erase a third by string_view, defer another third, keep the rest.
  for (uint64_t i = 0; i < kN; ++i) {
    const std::string k = key(i);
    if (i % 3 == 1) {
      EXPECT_EQ(m.erase(std::string_view(k)), 1u);
    }
    if (i % 3 == 2) m.erase_deferred(std::string_view(k));
  }
  m.flush_deferred();
  gcmap::collect();
  uint64_t seen = 0;
  for (auto&& [k, v] : m) {
    EXPECT_EQ(v % 3, 0u);
    EXPECT_EQ(k.view(), key(v));
    ++seen;
  }
  EXPECT_EQ(seen, m.size());
  EXPECT_EQ(m.size(), (kN + 2) / 3);
}

}  // namespace
}  // namespace gcmap::map_test
