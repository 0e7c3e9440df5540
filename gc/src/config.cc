// Configuration: strict parsers for the GCMAP_* environment variables.
#include "gcmap/gc/config.h"

#include <cctype>
#include <charconv>
#include <cmath>
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

}  // namespace

std::optional<int> parse_gogc(std::string_view s, std::string* error) {
  s = trim(s);
  if (s == "off") return -1;
  auto v = parse_u64(s);
  if (!v || *v > 1'000'000) {
    *error = "an integer percent from 0 to 1000000, or \"off\"";
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

std::optional<uint64_t> parse_bytes(std::string_view s, std::string* error) {
  s = trim(s);
  *error =
      "a number of bytes with an optional suffix B, KiB, MiB, GiB or TiB (\"512MiB\"), or \"off\"";
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
  if (!v) return std::nullopt;
  double bytes = *v * static_cast<double>(mult);
  if (bytes >= 18446744073709551615.0) return std::nullopt;
  if (mult == 1 && s.find('.') != std::string_view::npos) return std::nullopt;  // "1.5" bytes
  error->clear();
  return static_cast<uint64_t>(bytes);
}

std::optional<uint64_t> parse_duration_ns(std::string_view s, std::string* error) {
  s = trim(s);
  *error = "a positive duration with a unit: ns, us, µs, ms or s (\"500us\", \"2ms\")";
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
      if (ns < 1 || ns > 3.6e12) return std::nullopt;  // up to an hour
      error->clear();
      return static_cast<uint64_t>(ns);
    }
  }
  return std::nullopt;
}

std::optional<unsigned> parse_workers(std::string_view s, std::string* error) {
  auto v = parse_u64(trim(s));
  if (!v || *v < 1 || *v > 1024) {
    *error = "an integer number of worker threads from 1 to 1024";
    return std::nullopt;
  }
  return static_cast<unsigned>(*v);
}

std::optional<bool> parse_bool(std::string_view s, std::string* error) {
  s = trim(s);
  if (s == "1") return true;
  if (s == "0") return false;
  *error = "0 or 1";
  return std::nullopt;
}

std::optional<uint64_t> parse_count(std::string_view s, std::string* error) {
  auto v = parse_u64(trim(s));
  if (!v) {
    *error = "a non-negative integer";
    return std::nullopt;
  }
  return v;
}

std::optional<double> parse_fraction(std::string_view s, std::string* error) {
  auto v = parse_decimal(trim(s));
  if (!v || *v <= 0 || *v > 1) {
    *error = "a fraction of the CPU in (0, 1], such as 0.25";
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

}  // namespace config

namespace {

template <class T, class Parse>
void read_env(const char* name, Parse parse, T* out) {
  const char* raw = std::getenv(name);
  if (raw == nullptr) return;
  std::string error;
  auto v = parse(raw, &error);
  if (!v) GCMAP_FATAL("%s=\"%s\" is not valid: expected %s", name, raw, error.c_str());
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
