// JSON-lines loading for the report tool (see results.h).
#include "results.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace storm::report {

std::vector<json> parse_runs(const std::string& text, const std::string& origin) {
  std::vector<json> runs;
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      runs.push_back(json::parse(line));
    } catch (const json::exception& e) {
      throw std::runtime_error(origin + ":" + std::to_string(lineno) + ": not JSON: " + e.what());
    }
  }
  return runs;
}

std::vector<json> load_runs(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_runs(ss.str(), path);
}

std::string label(const json& run) {
  std::string l = run.value("system", std::string("?"));
  const unsigned threads = run["config"].value("threads", 1u);
  if (threads > 1) l += "/t" + std::to_string(threads);
  return l;
}

RunGroups group_by_label(const std::vector<json>& runs) {
  RunGroups groups;
  for (const auto& r : runs) {
    const std::string l = label(r);
    auto it =
        std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == l; });
    if (it == groups.end())
      groups.push_back({l, {&r}});
    else
      it->second.push_back(&r);
  }
  return groups;
}

std::vector<json> median_runs(const std::vector<json>& runs) {
  RunGroups groups = group_by_label(runs);
  std::vector<json> out;
  for (auto& [l, g] : groups) {
    auto mops = [](const json* r) { return r->at("phases").at("steady").value("mops", 0.0); };
    std::sort(g.begin(), g.end(), [&](const json* a, const json* b) { return mops(a) < mops(b); });
    out.push_back(*g[(g.size() - 1) / 2]);
  }
  return out;
}

}  // namespace storm::report
