// The system registry: systems register themselves from static initializers
// in their own source files, which are compiled into the executable (not a
// static library) so the linker never drops them.
#include "system.h"

#include <algorithm>

namespace storm {
namespace {

std::vector<SystemEntry>& registry() {
  static std::vector<SystemEntry> r;
  return r;
}

}  // namespace

RegisterSystem::RegisterSystem(std::string name, std::string description, int rank,
                               std::function<std::unique_ptr<System>()> make) {
  registry().push_back({std::move(name), std::move(description), rank, std::move(make)});
}

std::vector<SystemEntry> registered_systems() {
  std::vector<SystemEntry> r = registry();
  std::stable_sort(r.begin(), r.end(),
                   [](const auto& a, const auto& b) { return a.rank < b.rank; });
  return r;
}

const SystemEntry* find_system(const std::string& name) {
  for (const auto& e : registry())
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace storm
