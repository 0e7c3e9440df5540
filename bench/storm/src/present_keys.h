// The ids of the entries that are in the map right now, kept outside the
// measured map so that lookups and erases can pick a random present key in
// O(1): a dense vector, erased by swapping the last element into the hole.
// The order of its elements is part of the workload definition (Go mirrors it).
#pragma once

#include <cstdint>
#include <vector>

namespace storm {

class PresentKeys {
 public:
  void reserve(size_t n) { ids_.reserve(n); }
  size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  uint64_t operator[](size_t i) const { return ids_[i]; }
  void push(uint64_t id) { ids_.push_back(id); }
  // Removes and returns the id at index i (swap with the last, pop).
  uint64_t take(size_t i) {
    uint64_t id = ids_[i];
    ids_[i] = ids_.back();
    ids_.pop_back();
    return id;
  }
  const std::vector<uint64_t>& ids() const { return ids_; }

 private:
  std::vector<uint64_t> ids_;
};

}  // namespace storm
