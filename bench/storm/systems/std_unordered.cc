// System 3: std::unordered_map<std::string, std::unique_ptr<Session>> on
// jemalloc. Lookups and erases pass a std::string_view (C++20 heterogeneous
// lookup: a transparent hash over the same std::hash<std::string_view> the
// default hasher uses), so only inserts build a std::string, as a service
// would. An erase runs the value's destructor cascade on the caller.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "jemalloc_system.h"
#include "owned_session.h"
#include "worker.h"

namespace storm {
namespace {

struct TransparentHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

class StdUnorderedMap {
 public:
  void insert(std::string_view key, uint64_t id) {
    map_.emplace(std::string(key), std::make_unique<OwnedSession>(id));
  }
  bool lookup(std::string_view key, uint64_t& id) const {
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    id = it->second->id;
    return true;
  }
  bool erase(std::string_view key) {
    auto it = map_.find(key);  // erase(key) with a string_view needs C++23
    if (it == map_.end()) return false;
    map_.erase(it);
    return true;
  }
  size_t size() const { return map_.size(); }
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [key, session] : map_)
      f(std::string_view(key), session->id, content_sum(*session));
  }

 private:
  std::unordered_map<std::string, std::unique_ptr<OwnedSession>, TransparentHash, std::equal_to<>>
      map_;
};

class StdUnorderedSystem : public JemallocSystem {
 public:
  void run_worker(Worker& w) override {
    StdUnorderedMap map;
    w.run(map);
  }
};

}  // namespace
}  // namespace storm

STORM_REGISTER_SYSTEM(storm::StdUnorderedSystem, "std_unordered",
                      "std::unordered_map<std::string, std::unique_ptr<Session>> on jemalloc", 3);
