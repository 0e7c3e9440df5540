// The workload's definition, shared word for word with bench/go/workload.go:
// the random generator, the session ids, the key strings, the payload bytes
// and the checksum. Any change here must be made there too, or the smoke test
// (which compares checksums across systems and languages) fails.
//
//   rng          splitmix64; thread t starts at seed ^ (0xD1B54A32D192ED03 * (t + 1))
//   id(t, k)     mix64(seed + (t << 48) + k) for the k-th session thread t creates;
//                mix64 is a bijection, so ids never repeat
//   key(id)      "sess:" + 16 lowercase hex digits of id (21 bytes: longer than
//                libstdc++'s 15-byte small-string buffer, so keys live on the heap)
//   session      id, 25 payload words (200 bytes), a pointer to node 0
//   node k       next pointer + 7 payload words (64 bytes); 0 -> 1 -> 2 -> 0 cycle
//   payload      session word i = id ^ ((i + 1) * 0x9E3779B97F4A7C15)
//                node k word j  = (id + k) ^ ((j + 1) * 0xC2B2AE3D27D4EB4F)
//   checksum     sum (mod 2^64) over the present entries of mix64(id) + content,
//                content = the sum of the 25 + 3 * 7 payload words read through
//                the map (following the cycle from node 0)
#pragma once

#include <cstdint>
#include <string_view>

namespace storm {

inline constexpr unsigned kSessionWords = 25;  // 200-byte payload
inline constexpr unsigned kNodeWords = 7;      // 8-byte next + 56 bytes = 64-byte node
inline constexpr unsigned kRingNodes = 3;
inline constexpr size_t kKeyLen = 21;  // "sess:" + 16 hex digits

// The splitmix64 finalizer: a bijection on 64-bit words.
constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// splitmix64: a few cycles per number, so drawing choices inside the loop
// costs less than a map operation's cache miss; still identical in Go.
class Rng {
 public:
  explicit Rng(uint64_t seed, unsigned thread)
      : state_(seed ^ (0xD1B54A32D192ED03ull * (thread + 1ull))) {}
  uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ull;
    return mix64(state_);
  }
  // An index below n (n > 0). The modulo bias (< n / 2^64) is the same in Go.
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t state_;
};

constexpr uint64_t session_id(uint64_t seed, unsigned thread, uint64_t k) {
  return mix64(seed + (uint64_t{thread} << 48) + k);
}

// Writes key(id) into buf (kKeyLen bytes, not NUL-terminated).
inline std::string_view format_key(char (&buf)[kKeyLen], uint64_t id) {
  static constexpr char kHex[] = "0123456789abcdef";
  buf[0] = 's', buf[1] = 'e', buf[2] = 's', buf[3] = 's', buf[4] = ':';
  for (int i = 0; i < 16; ++i) buf[5 + i] = kHex[(id >> (60 - 4 * i)) & 15];
  return {buf, kKeyLen};
}

constexpr uint64_t session_word(uint64_t id, unsigned i) {
  return id ^ ((i + 1ull) * 0x9E3779B97F4A7C15ull);
}
constexpr uint64_t node_word(uint64_t id, unsigned k, unsigned j) {
  return (id + k) ^ ((j + 1ull) * 0xC2B2AE3D27D4EB4Full);
}

inline void fill_session_payload(uint64_t (&w)[kSessionWords], uint64_t id) {
  for (unsigned i = 0; i < kSessionWords; ++i) w[i] = session_word(id, i);
}
inline void fill_node_payload(uint64_t (&w)[kNodeWords], uint64_t id, unsigned k) {
  for (unsigned j = 0; j < kNodeWords; ++j) w[j] = node_word(id, k, j);
}

// What content_sum() must return for an intact session of this id.
constexpr uint64_t expected_content(uint64_t id) {
  uint64_t s = 0;
  for (unsigned i = 0; i < kSessionWords; ++i) s += session_word(id, i);
  for (unsigned k = 0; k < kRingNodes; ++k)
    for (unsigned j = 0; j < kNodeWords; ++j) s += node_word(id, k, j);
  return s;
}

// Returned by content_sum() when the node cycle is broken; never a real sum
// in practice, and in any case it makes the checksum disagree.
inline constexpr uint64_t kBrokenRing = 0xBADC0FFEE0DDF00Dull;

// Reads a session's content the way the checksum defines it. Works for any
// session type with `payload` words and a `ring` pointer (raw or smart) to
// nodes with `payload` words and a `next` pointer.
template <class Session>
uint64_t content_sum(const Session& s) {
  uint64_t sum = 0;
  for (unsigned i = 0; i < kSessionWords; ++i) sum += s.payload[i];
  const auto* first = &*s.ring;
  const auto* n = first;
  for (unsigned k = 0; k < kRingNodes; ++k) {
    for (unsigned j = 0; j < kNodeWords; ++j) sum += n->payload[j];
    n = &*n->next;
  }
  return n == first ? sum : kBrokenRing;
}

// One present entry's share of the checksum.
constexpr uint64_t checksum_term(uint64_t id, uint64_t content) {
  return mix64(id) + content;
}

}  // namespace storm
