// The root table (internal): blocks of RootNodes in shards, each shard with
// its own lock and free list, so that threads creating and destroying Roots
// rarely contend, and markroot can hand out one job per shard.
#pragma once

#include <cstddef>
#include <functional>

#include "gcmap/gc/root.h"

namespace gcmap::gc::detail {

inline constexpr size_t kRootShards = 64;

// Calls f(object, nullptr) for every Root and f(owner, trace) for every
// provider in shard s. World stopped, or called by a marker after the
// snapshot: nodes may come and go concurrently (a node is never freed, only
// recycled), and a provider's release waits while f traces its owner.
void for_each_root_in_shard(size_t s, const std::function<void(const void*, TraceFn)>& f);

}  // namespace gcmap::gc::detail
