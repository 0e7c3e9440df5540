// The storm smoke test (registered with CTest, label "storm"): runs the
// harness at --quick size for every system it lists (1 and 2 threads), then
// checks the JSON lines with check_runs(): every system did exactly the work
// the workload defines, and all of them ended with the same size and
// checksum. No timing is asserted.
//   gcmap_storm_report smoke --harness=PATH [--only=a,b] [--exclude=a,b]
//                            [--require=NAME] [--keep=FILE]
// --require: exit 77 (CTest's SKIP_RETURN_CODE) when NAME is not available,
// e.g. Go when the go toolchain is not installed.
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "results.h"

namespace storm::report {
namespace {

std::set<std::string> split(const std::string& s) {
  std::set<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.insert(item);
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs cmd through the shell; returns its stdout; status gets the exit code.
std::string capture(const std::string& cmd, int& status) {
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) {
    status = -1;
    return out;
  }
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int st = ::pclose(f);
  status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return out;
}

}  // namespace

int cmd_smoke(int argc, char** argv) {
  std::string harness, keep, require;
  std::set<std::string> only, exclude;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&](const char* p) { return a.substr(std::string(p).size()); };
    if (a.rfind("--harness=", 0) == 0)
      harness = val("--harness=");
    else if (a.rfind("--keep=", 0) == 0)
      keep = val("--keep=");
    else if (a.rfind("--require=", 0) == 0)
      require = val("--require=");
    else if (a.rfind("--only=", 0) == 0)
      only = split(val("--only="));
    else if (a.rfind("--exclude=", 0) == 0)
      exclude = split(val("--exclude="));
    else {
      std::fprintf(stderr, "smoke: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (harness.empty()) {
    std::fprintf(stderr, "smoke: --harness=PATH is required\n");
    return 2;
  }

  int status = 0;
  std::vector<std::string> systems;
  {
    std::stringstream ss(capture(shell_quote(harness) + " --list", status));
    std::string s;
    while (std::getline(ss, s))
      if (!s.empty() && !exclude.count(s) && (only.empty() || only.count(s))) systems.push_back(s);
  }
  if (status != 0) {
    std::fprintf(stderr, "smoke: %s --list failed (%d)\n", harness.c_str(), status);
    return 1;
  }
  if (!require.empty() && std::find(systems.begin(), systems.end(), require) == systems.end()) {
    std::printf("SKIP: system '%s' is not available (not built)\n", require.c_str());
    return 77;
  }
  if (systems.empty()) {
    std::fprintf(stderr, "smoke: no systems to run\n");
    return 1;
  }

  std::string all;
  int failures = 0;
  for (unsigned threads : {1u, 2u}) {
    for (const auto& s : systems) {
      const std::string cmd =
          shell_quote(harness) + " --system=" + s + " --quick --threads=" + std::to_string(threads);
      std::fprintf(stderr, "smoke: %s\n", cmd.c_str());
      const std::string out = capture(cmd, status);
      const auto lines = std::count(out.begin(), out.end(), '\n');
      if (status != 0 || lines != 1) {
        std::fprintf(stderr, "FAIL %s (threads %u): exit %d, %ld stdout lines\n%s", s.c_str(),
                     threads, status, static_cast<long>(lines), out.c_str());
        ++failures;
        continue;
      }
      all += out;
    }
  }
  if (!keep.empty()) std::ofstream(keep) << all;
  try {
    failures += check_runs(parse_runs(all, "smoke"), false);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAIL: %s\n", e.what());
    ++failures;
  }
  return failures ? 1 : 0;
}

}  // namespace storm::report
