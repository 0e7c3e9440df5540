// Reading the harness's JSON lines (one run per line, schema
// "gcmap-storm/1") for the report tool, and the small helpers its
// subcommands share.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace storm::report {

using nlohmann::json;

// Every non-empty line of the file as JSON; throws std::runtime_error with the
// file name and line number on a malformed line.
std::vector<json> load_runs(const std::string& path);
std::vector<json> parse_runs(const std::string& text, const std::string& origin);

// "system" or "system/t2" when the run used more than one thread.
std::string label(const json& run);

// The runs grouped by label(), groups in order of first appearance.
using RunGroups = std::vector<std::pair<std::string, std::vector<const json*>>>;
RunGroups group_by_label(const std::vector<json>& runs);

// One run per label, in order of first appearance: the run whose STEADY
// Mops/s is the median of its label's runs (the lower middle for an even
// count). Plots show these, so --repeat does not draw five lines per system.
std::vector<json> median_runs(const std::vector<json>& runs);

// Subcommands (report_main.cc dispatches).
int cmd_table(const std::vector<json>& runs);
int cmd_plots(const std::vector<json>& runs, const std::string& out_dir);
// Returns the number of failed checks (0 = all good); prints each failure.
int check_runs(const std::vector<json>& runs, bool quiet);
int cmd_smoke(int argc, char** argv);

}  // namespace storm::report
