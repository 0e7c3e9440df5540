// A hash map of sessions that lives entirely in Boehm GC's heap, for system
// 5. Chained buckets, like std::unordered_map (load factor 1, doubling),
// so the comparison with std_unordered isolates "free on erase" versus "let
// the collector find it". Memory layout:
//   bucket array   GC_MALLOC_IGNORE_OFF_PAGE (pointers; only its start is
//                  ever referenced, which lets Boehm ignore interior hits)
//   entry          GC_MALLOC {next, hash, key, key_len, value}
//   key bytes      GC_MALLOC_ATOMIC (never scanned)
//   session, nodes GC_MALLOC, same layout as the other systems (the payload
//                  words are scanned conservatively; they are not pointers)
// Erase unlinks the entry and clears its pointers, nothing is freed: the
// collector reclaims the entry, key, session and the node cycle later.
// The map object itself must live where Boehm looks for roots: a registered
// thread's stack or static memory (never in malloc'd memory).
#pragma once

#define GC_THREADS 1
#include <gc/gc.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string_view>

#include "workload_def.h"

namespace storm {

struct BoehmNode {
  BoehmNode* next;
  uint64_t payload[kNodeWords];
};

struct BoehmSession {
  uint64_t id;
  uint64_t payload[kSessionWords];
  BoehmNode* ring;
};

class BoehmMap {
 public:
  BoehmMap() { rehash(16); }

  void insert(std::string_view key, uint64_t id) {
    if (size_ + 1 > mask_ + 1) rehash(2 * (mask_ + 1));
    auto* s = static_cast<BoehmSession*>(GC_MALLOC(sizeof(BoehmSession)));
    s->id = id;
    fill_session_payload(s->payload, id);
    BoehmNode* nodes[kRingNodes];
    for (unsigned k = 0; k < kRingNodes; ++k) {
      nodes[k] = static_cast<BoehmNode*>(GC_MALLOC(sizeof(BoehmNode)));
      fill_node_payload(nodes[k]->payload, id, k);
    }
    for (unsigned k = 0; k < kRingNodes; ++k) nodes[k]->next = nodes[(k + 1) % kRingNodes];
    s->ring = nodes[0];

    auto* kbytes = static_cast<char*>(GC_MALLOC_ATOMIC(key.size()));
    std::memcpy(kbytes, key.data(), key.size());
    auto* e = static_cast<Entry*>(GC_MALLOC(sizeof(Entry)));
    e->hash = hash(key);
    e->key = kbytes;
    e->key_len = key.size();
    e->value = s;
    Entry*& head = buckets_[e->hash & mask_];
    e->next = head;
    head = e;
    ++size_;
  }

  bool lookup(std::string_view key, uint64_t& id) const {
    const size_t h = hash(key);
    for (const Entry* e = buckets_[h & mask_]; e; e = e->next) {
      if (e->hash == h && matches(e, key)) {
        id = e->value->id;
        return true;
      }
    }
    return false;
  }

  bool erase(std::string_view key) {
    const size_t h = hash(key);
    for (Entry** link = &buckets_[h & mask_]; *link; link = &(*link)->next) {
      Entry* e = *link;
      if (e->hash == h && matches(e, key)) {
        *link = e->next;
        e->next = nullptr;  // a stale pointer to this entry must not keep the chain alive
        e->value = nullptr;
        --size_;
        return true;
      }
    }
    return false;
  }

  size_t size() const { return size_; }

  template <class F>
  void for_each(F&& f) const {
    for (size_t b = 0; b <= mask_; ++b)
      for (const Entry* e = buckets_[b]; e; e = e->next)
        f(std::string_view(e->key, e->key_len), e->value->id, content_sum(*e->value));
  }

 private:
  struct Entry {
    Entry* next;
    size_t hash;
    const char* key;
    size_t key_len;
    BoehmSession* value;
  };

  static size_t hash(std::string_view key) { return std::hash<std::string_view>{}(key); }
  static bool matches(const Entry* e, std::string_view key) {
    return e->key_len == key.size() && std::memcmp(e->key, key.data(), key.size()) == 0;
  }

  void rehash(size_t nbuckets) {
    auto** fresh = static_cast<Entry**>(GC_MALLOC_IGNORE_OFF_PAGE(nbuckets * sizeof(Entry*)));
    const size_t mask = nbuckets - 1;
    if (buckets_) {
      for (size_t b = 0; b <= mask_; ++b) {
        for (Entry* e = buckets_[b]; e;) {
          Entry* next = e->next;
          e->next = fresh[e->hash & mask];
          fresh[e->hash & mask] = e;
          e = next;
        }
      }
    }
    buckets_ = fresh;  // the old array becomes garbage
    mask_ = mask;
  }

  Entry** buckets_ = nullptr;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace storm
