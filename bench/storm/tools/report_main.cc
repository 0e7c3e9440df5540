// gcmap_storm_report: what storm.sh and the smoke test do with the harness's
// JSON lines.
//   gcmap_storm_report table  RESULTS.jsonl          Markdown tables on stdout
//   gcmap_storm_report plots  RESULTS.jsonl OUTDIR   gnuplot data + OUTDIR/plots.gp
//   gcmap_storm_report check  RESULTS.jsonl          did every run do the defined work?
//   gcmap_storm_report smoke  --harness=PATH ...     run --quick for every system and check
#include <cstdio>
#include <exception>
#include <string>

#include "results.h"

int main(int argc, char** argv) {
  using namespace storm::report;
  const std::string cmd = argc > 1 ? argv[1] : "";
  try {
    if (cmd == "table" && argc == 3) return cmd_table(load_runs(argv[2]));
    if (cmd == "plots" && argc == 4) return cmd_plots(load_runs(argv[2]), argv[3]);
    if (cmd == "check" && argc == 3) return check_runs(load_runs(argv[2]), false) ? 1 : 0;
    if (cmd == "smoke") return cmd_smoke(argc - 2, argv + 2);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gcmap_storm_report: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: gcmap_storm_report table RESULTS.jsonl\n"
               "       gcmap_storm_report plots RESULTS.jsonl OUTDIR\n"
               "       gcmap_storm_report check RESULTS.jsonl\n"
               "       gcmap_storm_report smoke --harness=PATH [--only=a,b] [--exclude=a,b] "
               "[--require=NAME] [--keep=FILE]\n");
  return 2;
}
