// Heap accounting, read lock-free (relaxed atomics) by the pacer and stats().
#pragma once

#include <atomic>
#include <cstdint>

namespace gcmap::alloc {

struct HeapCounters {
  // Bytes of objects live or allocated since the last mark, counted a span at
  // a time: when a thread cache takes a span, all its free slots count as
  // allocated; when it gives the span back, the unused ones are subtracted
  // (Go's heapLive). The collector resets it to the marked bytes at the end of
  // each mark (set_heap_live).
  std::atomic<uint64_t> heap_live{0};
  // heap_live right after the last mark: the live heap.
  std::atomic<uint64_t> heap_marked{0};
  // Bytes of spans currently held from jemalloc, and how many spans.
  std::atomic<uint64_t> span_bytes{0};
  std::atomic<uint64_t> spans{0};
  // Cumulative: bytes of spans given back to jemalloc, spans swept, objects freed by sweep.
  std::atomic<uint64_t> released_bytes{0};
  std::atomic<uint64_t> swept_spans{0};
  std::atomic<uint64_t> freed_objects{0};
  std::atomic<uint64_t> freed_bytes{0};
  // Cumulative bytes of large objects allocated, and small-object bytes handed
  // to thread caches (an upper bound of small bytes allocated).
  std::atomic<uint64_t> large_alloc_bytes{0};
  std::atomic<uint64_t> cached_bytes{0};
};

struct HeapStats {
  uint64_t heap_live;
  uint64_t heap_marked;
  uint64_t span_bytes;
  uint64_t spans;
  uint64_t released_bytes;
  uint64_t swept_spans;
  uint64_t freed_objects;
  uint64_t freed_bytes;
  uint64_t unswept_spans;
  uint64_t metadata_bytes;
};

}  // namespace gcmap::alloc
