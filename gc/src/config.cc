// Configuration: strict parsers for the GCMAP_* environment variables.
#include "gcmap/gc/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "gcmap/base/assert.h"

namespace gcmap {
namespace config {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A whole string of decimal digits, no sign, no overflow.
std::optional<uint64_t> parse_u64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// A non-negative decimal number, with an optional fraction ("1.5").
std::optional<double> parse_decimal(std::string_view s) {
  if (s.empty()) return std::nullopt;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return std::nullopt;
  }
  if (s.front() == '.' || s.back() == '.') return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// "<what is wrong>; expected <accepted form>", the tail of every message.
void explain(std::string* error, std::string_view what, std::string_view form) {
  *error = std::string(what) + "; expected " + std::string(form);
}

}  // namespace

std::optional<int> parse_gogc(std::string_view s, std::string* error) {
  s = trim(s);
  constexpr std::string_view kForm = "an integer percent from 0 to 1000000, or \"off\"";
  if (s == "off") return -1;
  auto v = parse_u64(s);
  if (!v) {
    explain(error, "not a whole number", kForm);
    return std::nullopt;
  }
  if (*v > 1'000'000) {
    explain(error, "too large", kForm);
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

std::optional<uint64_t> parse_bytes(std::string_view s, std::string* error) {
  s = trim(s);
  constexpr std::string_view kForm =
      "a positive number of bytes with an optional suffix B, KiB, MiB, GiB or TiB "
      "(\"512MiB\"), or \"off\" for no limit";
  if (s == "off") return 0;
  struct Unit {
    const char* name;
    uint64_t mult;
  };
  static constexpr Unit kUnits[] = {{"TiB", uint64_t{1} << 40},
                                    {"GiB", uint64_t{1} << 30},
                                    {"MiB", uint64_t{1} << 20},
                                    {"KiB", uint64_t{1} << 10},
                                    {"B", 1}};
  uint64_t mult = 1;
  for (const Unit& u : kUnits) {
    size_t n = std::strlen(u.name);
    if (s.size() > n && s.substr(s.size() - n) == u.name) {
      mult = u.mult;
      s = trim(s.substr(0, s.size() - n));
      break;
    }
  }
  auto v = parse_decimal(s);
  if (!v) {
    explain(error, "not a number of bytes", kForm);
    return std::nullopt;
  }
  double bytes = *v * static_cast<double>(mult);
  if (bytes >= 18446744073709551615.0) {
    explain(error, "too large", kForm);
    return std::nullopt;
  }
  if (mult == 1 && s.find('.') != std::string_view::npos) {  // "1.5" bytes
    explain(error, "a fraction of a byte", kForm);
    return std::nullopt;
  }
  // 0 is not "no limit" (that is "off"): a limit that rounds to nothing is
  // almost certainly a typo or a wrong unit, and would silently mean none.
  if (static_cast<uint64_t>(bytes) == 0) {
    explain(error, "rounds to 0 bytes", kForm);
    return std::nullopt;
  }
  error->clear();
  return static_cast<uint64_t>(bytes);
}

std::optional<uint64_t> parse_duration_ns(std::string_view s, std::string* error) {
  s = trim(s);
  constexpr std::string_view kForm =
      "a positive duration up to 1 hour with a unit: ns, us, µs, ms or s (\"500us\", \"2ms\")";
  struct Unit {
    const char* name;
    double ns;
  };
  static constexpr Unit kUnits[] = {
      {"ns", 1}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  for (const Unit& u : kUnits) {
    size_t n = std::strlen(u.name);
    if (s.size() > n && s.substr(s.size() - n) == u.name) {
      std::string_view num = trim(s.substr(0, s.size() - n));
      // "ms" also ends in "s": make sure the number part is a number.
      auto v = parse_decimal(num);
      if (!v) continue;
      double ns = *v * u.ns;
      if (ns < 1 || ns > 3.6e12) {  // up to an hour
        explain(error, ns < 1 ? "shorter than 1ns" : "longer than 1 hour", kForm);
        return std::nullopt;
      }
      error->clear();
      return static_cast<uint64_t>(ns);
    }
  }
  explain(error, "not a number with a unit", kForm);
  return std::nullopt;
}

std::optional<unsigned> parse_workers(std::string_view s, std::string* error) {
  constexpr std::string_view kForm = "an integer number of worker threads from 1 to 1024";
  auto v = parse_u64(trim(s));
  if (!v || *v < 1 || *v > 1024) {
    explain(error, !v ? "not a whole number" : *v < 1 ? "zero workers" : "too many", kForm);
    return std::nullopt;
  }
  return static_cast<unsigned>(*v);
}

std::optional<bool> parse_bool(std::string_view s, std::string* error) {
  s = trim(s);
  if (s == "1") return true;
  if (s == "0") return false;
  explain(error, "neither 0 nor 1", "0 or 1");
  return std::nullopt;
}

std::optional<uint64_t> parse_count(std::string_view s, std::string* error) {
  auto v = parse_u64(trim(s));
  if (!v) {
    explain(error, "not a whole number", "a non-negative integer");
    return std::nullopt;
  }
  return v;
}

std::optional<double> parse_fraction(std::string_view s, std::string* error) {
  auto v = parse_decimal(trim(s));
  if (!v || *v <= 0 || *v > 1) {
    explain(error, !v ? "not a number" : "outside (0, 1]",
            "a fraction of the CPU in (0, 1], such as 0.25");
    return std::nullopt;
  }
  return v;
}

std::string format_bytes(uint64_t b) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, kUnits[u]);
  return buf;
}

unsigned effective_workers(unsigned requested, unsigned cpus, std::string* warning) {
  warning->clear();
  cpus = std::max(1u, cpus);
  if (requested == 0) return cpus;
  if (requested <= cpus) return requested;
  char buf[256];
  snprintf(buf, sizeof buf,
           "gcmap: warning: %u GC workers requested (GCMAP_GC_WORKERS or Config::gc_workers), "
           "but this process may run on %u CPUs; using %u (workers beyond the CPUs would only "
           "take turns)",
           requested, cpus, cpus);
  *warning = buf;
  return cpus;
}

}  // namespace config

namespace {

// A service owner reads this, not a developer: the variable, the value and
// what is wrong with it, without a source location.
[[noreturn]] void config_error(const char* name, const char* raw, const std::string& error) {
  fprintf(stderr, "gcmap: %s=\"%s\": %s\n", name, raw, error.c_str());
  fflush(stderr);
  abort();
}

template <class T, class Parse>
void read_env(const char* name, Parse parse, T* out) {
  const char* raw = std::getenv(name);
  // Unset and empty mean the same, the default (Go treats GOGC="" so): an
  // empty assignment in a unit file or a shell script is not an error.
  if (raw == nullptr || config::trim(raw).empty()) return;
  std::string error;
  auto v = parse(raw, &error);
  if (!v) config_error(name, raw, error);
  *out = static_cast<T>(*v);
}

}  // namespace

Config Config::from_env() {
  Config c;
  read_env("GCMAP_GOGC", config::parse_gogc, &c.gc_percent);
  read_env("GCMAP_MEMORY_LIMIT", config::parse_bytes, &c.memory_limit);
  read_env("GCMAP_MAX_PAUSE", config::parse_duration_ns, &c.max_pause_ns);
  read_env("GCMAP_GC_WORKERS", config::parse_workers, &c.gc_workers);
  read_env("GCMAP_GCTRACE", config::parse_bool, &c.gctrace);
  read_env("GCMAP_VERIFY", config::parse_bool, &c.verify);
  read_env("GCMAP_GC_TORTURE", config::parse_count, &c.torture_every);
  read_env("GCMAP_GC_CONCURRENT", config::parse_bool, &c.concurrent);
  read_env("GCMAP_GC_CPU", config::parse_fraction, &c.mark_cpu);
  read_env("GCMAP_DEFERRED_STALENESS", config::parse_duration_ns, &c.deferred_staleness_ns);
  return c;
}

}  // namespace gcmap
