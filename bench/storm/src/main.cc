// gcmap_storm (and gcmap_storm_boehm, the same main with other systems linked
// in): parses the flags, runs one system in this process and prints its JSON
// line on stdout. A system that lives in a sibling binary (Boehm GC, kept out
// of the jemalloc process; Go) is reached by exec'ing that binary with the
// same arguments, so `gcmap_storm --system=X` works for every X that --list
// prints.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "harness.h"
#include "options.h"
#include "system.h"

namespace {

struct Sibling {
  const char* system;
  const char* binary;
  const char* description;
  int rank;
};
// Systems built as separate executables next to this one.
constexpr Sibling kSiblings[] = {
    {"boehm", "gcmap_storm_boehm", "Boehm GC 8.2, parallel marking, GC-allocated chained map", 5},
    {"go", "gcmap_storm_go", "Go map[string]*Session (bench/go)", 6},
};

std::filesystem::path self_path() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path("./gcmap_storm") : p;
}
std::filesystem::path self_dir() {
  return self_path().parent_path();
}

const Sibling* find_sibling(const std::string& name) {
  for (const auto& s : kSiblings) {
    if (name == s.system && std::filesystem::exists(self_dir() / s.binary) &&
        self_path().filename() != s.binary) {
      return &s;
    }
  }
  return nullptr;
}

int list_systems() {
  struct Row {
    int rank;
    std::string name;
  };
  std::vector<Row> rows;
  for (const auto& e : storm::registered_systems()) rows.push_back({e.rank, e.name});
  for (const auto& s : kSiblings)
    if (!storm::find_system(s.system) && find_sibling(s.system)) rows.push_back({s.rank, s.system});
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.rank < b.rank; });
  for (const auto& r : rows) std::cout << r.name << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  storm::Options opt = storm::parse_options(argc, argv);
  if (opt.help) {
    std::cout << storm::usage();
    return 0;
  }
  if (opt.list) return list_systems();

  const storm::SystemEntry* entry = storm::find_system(opt.system);
  if (!entry) {
    if (const Sibling* s = find_sibling(opt.system)) {
      std::string path = (self_dir() / s->binary).string();
      std::fflush(nullptr);
      ::execv(path.c_str(), argv);
      std::perror(("gcmap_storm: exec " + path).c_str());
      return 1;
    }
    std::fprintf(stderr, "gcmap_storm: unknown system '%s'; available:\n", opt.system.c_str());
    list_systems();
    return 2;
  }
  storm::RunRecord rec = storm::Harness(opt, *entry).run();
  std::cout << storm::result_json(rec).dump() << std::endl;
  return 0;
}
