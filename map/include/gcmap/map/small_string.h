// gcmap::SmallString: a string key that keeps up to 30 bytes inside itself.
//
// Why: a lookup in a large map keyed by std::string takes a cache miss on
// the bucket and then another, dependent one on the key's bytes, which
// libstdc++ keeps on the malloc heap beyond 15 characters ("sess:" and a
// 16-digit id is 21). Go's map[string]T and absl with std::string pay the
// same second miss. A SmallString key is 32 bytes, as std::string is, but
// holds up to 30 bytes inline, so the bytes a lookup compares are in the
// bucket it already fetched; an insert of such a key allocates nothing
// outside the GC heap. Longer strings go to the malloc heap, as std::string.
//
// Layout: bytes_[0..30] are the characters and bytes_[31] the length when
// it is at most kInline; otherwise bytes_[31] is kHeapTag and bytes_ holds
// {char* data, size_t size}. Move leaves the source empty.
//
// Hash<SmallString> is transparent (map/hash.h), and SmallString compares
// equal to a std::string_view, so a HashMap<SmallString, V> is looked up
// with a string_view without building a key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <string>
#include <string_view>
#include <utility>

namespace gcmap {

class SmallString {
 public:
  static constexpr size_t kInline = 30;

  SmallString() noexcept { bytes_[kTagByte] = 0; }
  // Implicit, as std::string's: a key is built from whatever names it.
  SmallString(std::string_view s) { assign(s); }  // NOLINT(google-explicit-constructor)
  SmallString(const char* s) : SmallString(std::string_view(s)) {}         // NOLINT
  SmallString(const std::string& s) : SmallString(std::string_view(s)) {}  // NOLINT
  SmallString(const SmallString& o) { assign(o.view()); }
  SmallString(SmallString&& o) noexcept {
    std::memcpy(bytes_, o.bytes_, sizeof bytes_);
    o.bytes_[kTagByte] = 0;
  }
  SmallString& operator=(const SmallString& o) {
    if (this != &o) {
      SmallString copy(o);
      *this = std::move(copy);
    }
    return *this;
  }
  SmallString& operator=(SmallString&& o) noexcept {
    if (this != &o) {
      release();
      std::memcpy(bytes_, o.bytes_, sizeof bytes_);
      o.bytes_[kTagByte] = 0;
    }
    return *this;
  }
  ~SmallString() { release(); }

  bool is_inline() const noexcept { return tag() != kHeapTag; }
  size_t size() const noexcept { return is_inline() ? tag() : heap_size(); }
  bool empty() const noexcept { return size() == 0; }
  const char* data() const noexcept { return is_inline() ? bytes_ : heap_data(); }
  std::string_view view() const noexcept {
    return is_inline() ? std::string_view(bytes_, tag())
                       : std::string_view(heap_data(), heap_size());
  }
  operator std::string_view() const noexcept { return view(); }  // NOLINT
  std::string str() const { return std::string(view()); }

  friend bool operator==(const SmallString& a, const SmallString& b) noexcept {
    return a.view() == b.view();
  }
  friend bool operator==(const SmallString& a, std::string_view b) noexcept {
    return a.view() == b;
  }
  friend bool operator==(const SmallString& a, const char* b) noexcept {
    return a.view() == std::string_view(b);
  }
  friend bool operator==(const SmallString& a, const std::string& b) noexcept {
    return a.view() == std::string_view(b);
  }

 private:
  static constexpr size_t kTagByte = 31;
  static constexpr unsigned char kHeapTag = 0xFF;

  unsigned char tag() const noexcept { return static_cast<unsigned char>(bytes_[kTagByte]); }
  char* heap_data() const noexcept {
    char* p;
    std::memcpy(&p, bytes_, sizeof p);
    return p;
  }
  size_t heap_size() const noexcept {
    size_t n;
    std::memcpy(&n, bytes_ + sizeof(char*), sizeof n);
    return n;
  }
  void assign(std::string_view s) {
    if (s.size() <= kInline) {
      if (!s.empty()) std::memcpy(bytes_, s.data(), s.size());
      bytes_[kTagByte] = static_cast<char>(s.size());
      return;
    }
    char* p = static_cast<char*>(std::malloc(s.size()));
    if (p == nullptr) throw std::bad_alloc();
    std::memcpy(p, s.data(), s.size());
    const size_t n = s.size();
    std::memcpy(bytes_, &p, sizeof p);
    std::memcpy(bytes_ + sizeof(char*), &n, sizeof n);
    bytes_[kTagByte] = static_cast<char>(kHeapTag);
  }
  void release() noexcept {
    if (!is_inline()) std::free(heap_data());
    bytes_[kTagByte] = 0;
  }

  alignas(8) char bytes_[32];
};

static_assert(sizeof(SmallString) == 32);

}  // namespace gcmap

// So that a SmallString also serves as a key of the standard containers.
template <>
struct std::hash<gcmap::SmallString> {
  size_t operator()(const gcmap::SmallString& s) const noexcept {
    return std::hash<std::string_view>()(s.view());
  }
};
