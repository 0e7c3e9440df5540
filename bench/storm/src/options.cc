// Strict parsing of the storm harness flags (see options.h). --quick only
// changes the flags that were not given explicitly, whatever their order.
#include "options.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string_view>

namespace storm {
namespace {

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "gcmap_storm: %s\n\n%s", msg.c_str(), usage().c_str());
  std::exit(2);
}

template <class T>
T parse_uint(std::string_view flag, std::string_view v, T min, T max) {
  uint64_t x = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || end != v.data() + v.size() || x < min || x > max) {
    die("bad value '" + std::string(v) + "' for --" + std::string(flag) +
        ": expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return static_cast<T>(x);
}

double parse_seconds(std::string_view flag, std::string_view v) {
  double x = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || end != v.data() + v.size() || !(x >= 0) || x > 3600) {
    die("bad value '" + std::string(v) + "' for --" + std::string(flag) +
        ": expected seconds in [0, 3600]");
  }
  return x;
}

}  // namespace

std::string usage() {
  return "usage: gcmap_storm --system=NAME [flags]     (or --list)\n"
         "  --system=NAME        the system to run (see --list)\n"
         "  --n=N                entries inserted by LOAD, split across threads  [1000000]\n"
         "  --threads=T          mutator threads, one map each (1 or 2 typical)  [1]\n"
         "  --steady-s=S         STEADY duration, seconds                        [5]\n"
         "  --after-s=S          AFTER duration, seconds                         [5]\n"
         "  --steady-ops=K       run exactly K ops per thread in STEADY instead  [0 = use time]\n"
         "  --after-ops=K        the same for AFTER                              [0 = use time]\n"
         "  --storm-percent=P    share of the present entries the STORM erases   [50]\n"
         "  --lookup-every=E     one timed lookup per E storm erases (0: none)   [64]\n"
         "  --seed=S             workload seed; same seed = same keys everywhere [1]\n"
         "  --sample-ms=M        RSS / heap-in-use sampling period               [50]\n"
         "  --quick              CI size: n=2000, steady-ops=after-ops=20000, sample-ms=5\n"
         "  --list               print the available systems, one per line\n"
         "Output: one JSON line on stdout; progress on stderr.\n";
}

Options parse_options(int argc, char** argv) {
  Options o;
  std::set<std::string> given;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) != "--") die("unexpected argument '" + std::string(arg) + "'");
    arg.remove_prefix(2);
    std::string_view name = arg, value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    auto need_value = [&] {
      if (!has_value)
        die("--" + std::string(name) + " needs a value (--" + std::string(name) + "=...)");
    };
    auto no_value = [&] {
      if (has_value) die("--" + std::string(name) + " takes no value");
    };
    given.insert(std::string(name));
    if (name == "system") {
      need_value();
      o.system = value;
    } else if (name == "n") {
      need_value();
      o.n = parse_uint<uint64_t>(name, value, 2, uint64_t{1} << 40);
    } else if (name == "threads") {
      need_value();
      o.threads = parse_uint<unsigned>(name, value, 1, 64);
    } else if (name == "steady-s") {
      need_value();
      o.steady_s = parse_seconds(name, value);
    } else if (name == "after-s") {
      need_value();
      o.after_s = parse_seconds(name, value);
    } else if (name == "steady-ops") {
      need_value();
      o.steady_ops = parse_uint<uint64_t>(name, value, 0, uint64_t{1} << 40);
    } else if (name == "after-ops") {
      need_value();
      o.after_ops = parse_uint<uint64_t>(name, value, 0, uint64_t{1} << 40);
    } else if (name == "storm-percent") {
      need_value();
      o.storm_percent = parse_uint<unsigned>(name, value, 0, 100);
    } else if (name == "lookup-every") {
      need_value();
      o.lookup_every = parse_uint<unsigned>(name, value, 0, 1u << 30);
    } else if (name == "seed") {
      need_value();
      o.seed = parse_uint<uint64_t>(name, value, 0, UINT64_MAX);
    } else if (name == "sample-ms") {
      need_value();
      o.sample_ms = parse_uint<unsigned>(name, value, 1, 60'000);
    } else if (name == "quick") {
      no_value();
      o.quick = true;
    } else if (name == "list") {
      no_value();
      o.list = true;
    } else if (name == "help") {
      no_value();
      o.help = true;
    } else {
      die("unknown flag --" + std::string(name));
    }
  }
  if (o.quick) {
    if (!given.count("n")) o.n = 2000;
    if (!given.count("steady-ops")) o.steady_ops = 20000;
    if (!given.count("after-ops")) o.after_ops = 20000;
    if (!given.count("sample-ms")) o.sample_ms = 5;
  }
  // Whole blocks only: keeps inserts == erases in every mixed phase.
  o.steady_ops = (o.steady_ops + kBlockOps - 1) / kBlockOps * kBlockOps;
  o.after_ops = (o.after_ops + kBlockOps - 1) / kBlockOps * kBlockOps;
  if (o.n < 2ull * o.threads) die("--n must be at least 2 per thread");
  if (!o.list && !o.help && o.system.empty()) die("--system is required");
  return o;
}

}  // namespace storm
