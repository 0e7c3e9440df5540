// System 4: absl::flat_hash_map<std::string, std::unique_ptr<Session>> on
// jemalloc (Swiss table; heterogeneous lookups are built in, through
// absl::string_view, which Debian's absl keeps distinct from std::string_view). Like
// std_unordered, an erase runs the value's destructor cascade on the caller;
// the table itself never shrinks after erases.
#include <absl/container/flat_hash_map.h>

#include <memory>
#include <string>
#include <string_view>

#include "jemalloc_system.h"
#include "owned_session.h"
#include "worker.h"

namespace storm {
namespace {

absl::string_view absl_view(std::string_view s) {
  return {s.data(), s.size()};
}

class AbslFlatMap {
 public:
  void insert(std::string_view key, uint64_t id) {
    map_.emplace(std::string(key), std::make_unique<OwnedSession>(id));
  }
  bool lookup(std::string_view key, uint64_t& id) const {
    auto it = map_.find(absl_view(key));
    if (it == map_.end()) return false;
    id = it->second->id;
    return true;
  }
  bool erase(std::string_view key) { return map_.erase(absl_view(key)) != 0; }
  size_t size() const { return map_.size(); }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [key, session] : map_)
      f(std::string_view(key), session->id, content_sum(*session));
  }

 private:
  absl::flat_hash_map<std::string, std::unique_ptr<OwnedSession>> map_;
};

class AbslFlatSystem : public JemallocSystem {
 public:
  void run_worker(Worker& w) override {
    AbslFlatMap map;
    w.run(map);
  }
};

}  // namespace
}  // namespace storm

STORM_REGISTER_SYSTEM(storm::AbslFlatSystem, "absl_flat",
                      "absl::flat_hash_map<std::string, std::unique_ptr<Session>> on jemalloc", 4);
