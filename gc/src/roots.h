// The root table (internal): blocks of RootNodes in shards, each shard with
// its own lock and free list, so that threads creating and destroying Roots
// rarely contend, and markroot can hand out one job per shard.
#pragma once

#include <cstddef>
#include <functional>

#include "gcmap/gc/root.h"

namespace gcmap::gc::detail {

inline constexpr size_t kRootShards = 64;

// Visit every node in use in shard s. World stopped, or called by a marker
// after the snapshot (nodes may come and go concurrently: each node read is
// an atomic load, a node is never freed, only recycled).
void for_each_root_in_shard(size_t s, const std::function<void(RootNode&)>& f);

}  // namespace gcmap::gc::detail
