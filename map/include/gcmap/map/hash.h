// Hashing for gcmap::HashMap: gcmap::Hash<K>, the per-map seed, and how a
// user-supplied hasher is adapted.
//
// A map hashes every key with its own random 64-bit seed (Go's hmap.hash0),
// drawn when the map is created and again whenever it becomes empty
// (golang/go#25237), so that iteration order and collision patterns differ
// from map to map and from run to run. The full 64-bit hash is used twice:
// its low B bits pick the bucket, its top byte is the slot's tophash. Both
// ends must therefore be well mixed.
//
//   - integers, enums, pointers and Ptr<T>: one 64x64->128-bit multiply of
//     (key ^ seed) by an odd constant, folded (high ^ low). Every output bit
//     depends on every input bit, at both ends.
//   - std::string, std::string_view: XXH3_64bits_withSeed from
//     libxxhash. Hash<std::string> is transparent (is_transparent), so with
//     the default Eq (std::equal_to<>) a map keyed by std::string is looked up
//     with a string_view or a literal without building a std::string.
//   - anything else: std::hash<K>, then the integer mixer with the seed.
//
// A custom hasher either takes the seed, `uint64_t operator()(const K&,
// uint64_t seed) const`, or is an std::hash-style `size_t operator()(const
// K&) const`, whose result is mixed with the seed by the map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

#include "gcmap/base/assert.h"
#include "gcmap/gc/ptr.h"
#include "gcmap/map/small_string.h"

namespace gcmap {

namespace map::detail {

// 64x64 -> 128-bit multiply, folded: the mixing step of wyhash and absl::Hash.
GCMAP_ALWAYS_INLINE uint64_t mum(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline constexpr uint64_t kMul0 = 0xa0761d6478bd642fULL;  // wyhash's primes
inline constexpr uint64_t kMul1 = 0xe7037ed1a0b428dbULL;

// The integer hash: one multiply-fold of (key ^ seed), as absl::Hash does
// for integers. The 128-bit product's high half depends on every input
// bit, and folding it into the low half spreads keys that differ only in
// high bits (pointers, shifted ids) over the low (bucket) bits as well as
// the top (tophash) byte.
GCMAP_ALWAYS_INLINE uint64_t mix64(uint64_t x, uint64_t seed) {
  return mum(x ^ seed, kMul0);
}

// XXH3_64bits_withSeed over [data, data + len). Out of line (map.cc) so that
// users of the header need not see xxhash.h.
uint64_t hash_bytes(const void* data, size_t len, uint64_t seed) noexcept;

// A fresh random seed (a per-thread generator, seeded once from the OS).
uint64_t random_seed() noexcept;

}  // namespace map::detail

// The default hasher of gcmap::HashMap. See the comment at the top.
template <class K, class = void>
struct Hash {
  uint64_t operator()(const K& key, uint64_t seed) const noexcept(noexcept(std::hash<K>{}(key))) {
    return map::detail::mix64(static_cast<uint64_t>(std::hash<K>{}(key)), seed);
  }
};

template <class K>
struct Hash<K, std::enable_if_t<std::is_integral_v<K> || std::is_enum_v<K>>> {
  uint64_t operator()(K key, uint64_t seed) const noexcept {
    return map::detail::mix64(static_cast<uint64_t>(key), seed);
  }
};

template <class T>
struct Hash<T*> {
  uint64_t operator()(const T* p, uint64_t seed) const noexcept {
    return map::detail::mix64(reinterpret_cast<uintptr_t>(p), seed);
  }
};

template <class T>
struct Hash<Ptr<T>> {
  uint64_t operator()(const Ptr<T>& p, uint64_t seed) const noexcept {
    return map::detail::mix64(reinterpret_cast<uintptr_t>(p.get()), seed);
  }
};

// Strings: transparent, so std::string keys are found from a string_view.
struct StringHash {
  using is_transparent = void;
  uint64_t operator()(std::string_view s, uint64_t seed) const noexcept {
    return map::detail::hash_bytes(s.data(), s.size(), seed);
  }
};

template <>
struct Hash<std::string> : StringHash {};
template <>
struct Hash<std::string_view> : StringHash {};
template <>
struct Hash<SmallString> : StringHash {};

namespace map::detail {

// Hash `key` with `seed` using `h`, whichever of the two hasher forms it has.
template <class H, class Q>
GCMAP_ALWAYS_INLINE uint64_t apply_hash(const H& h, const Q& key, uint64_t seed) {
  if constexpr (requires {
                  { h(key, seed) } -> std::convertible_to<uint64_t>;
                }) {
    return static_cast<uint64_t>(h(key, seed));
  } else {
    return mix64(static_cast<uint64_t>(h(key)), seed);
  }
}

}  // namespace map::detail
}  // namespace gcmap
