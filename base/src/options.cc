// The value parsers every options table shares, and the fatal message for a
// malformed variable.
#include "gcmap/base/options.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace gcmap::base {

namespace {

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

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string explain(std::string_view what, std::string_view form) {
  return std::string(what) + "; expected " + std::string(form);
}

std::optional<uint64_t> parse_bytes(std::string_view s, std::string* error) {
  s = trim(s);
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
    if (ends_with(s, u.name)) {
      mult = u.mult;
      s = trim(s.substr(0, s.size() - std::strlen(u.name)));
      break;
    }
  }
  auto v = parse_decimal(s);
  if (!v) {
    *error = explain("not a number of bytes", kBytesForm);
    return std::nullopt;
  }
  double bytes = *v * static_cast<double>(mult);
  if (bytes >= 18446744073709551615.0) {
    *error = explain("too large", kBytesForm);
    return std::nullopt;
  }
  if (mult == 1 && s.find('.') != std::string_view::npos) {  // "1.5" bytes
    *error = explain("a fraction of a byte", kBytesForm);
    return std::nullopt;
  }
  // 0 is not "no limit" (that is "off"): a limit that rounds to nothing is
  // almost certainly a typo or a wrong unit, and would silently mean none.
  if (static_cast<uint64_t>(bytes) == 0) {
    *error = explain("rounds to 0 bytes", kBytesForm);
    return std::nullopt;
  }
  error->clear();
  return static_cast<uint64_t>(bytes);
}

std::optional<uint64_t> parse_duration_ns(std::string_view s, std::string* error) {
  s = trim(s);
  struct Unit {
    const char* name;
    double ns;
  };
  static constexpr Unit kUnits[] = {
      {"ns", 1}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  for (const Unit& u : kUnits) {
    if (!ends_with(s, u.name)) continue;
    // "ms" also ends in "s": make sure the number part is a number.
    auto v = parse_decimal(trim(s.substr(0, s.size() - std::strlen(u.name))));
    if (!v) continue;
    double ns = *v * u.ns;
    if (ns < 1 || ns > 3.6e12) {  // up to an hour
      *error = explain(ns < 1 ? "shorter than 1ns" : "longer than 1 hour", kDurationForm);
      return std::nullopt;
    }
    error->clear();
    return static_cast<uint64_t>(ns);
  }
  *error = explain("not a number with a unit", kDurationForm);
  return std::nullopt;
}

std::optional<bool> parse_bool(std::string_view s, std::string* error) {
  s = trim(s);
  if (s == "1") return true;
  if (s == "0") return false;
  *error = explain("neither 0 nor 1", kBoolForm);
  return std::nullopt;
}

std::optional<uint64_t> parse_count(std::string_view s, std::string* error) {
  auto v = parse_u64(trim(s));
  if (!v) *error = explain("not a whole number", kCountForm);
  return v;
}

std::optional<double> parse_fraction(std::string_view s, std::string* error) {
  auto v = parse_decimal(trim(s));
  if (!v || *v <= 0 || *v > 1) {
    *error = explain(!v ? "not a number" : "outside (0, 1]", kFractionForm);
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

std::string format_duration(uint64_t ns) {
  struct Unit {
    const char* name;
    uint64_t ns;
  };
  static constexpr Unit kUnits[] = {{"s", 1'000'000'000}, {"ms", 1'000'000}, {"us", 1'000}};
  char buf[48];
  for (const Unit& u : kUnits) {
    if (ns >= u.ns) {
      // Exact when it divides ("500us"), else up to three decimals ("1.5ms").
      if (ns % u.ns == 0) {
        snprintf(buf, sizeof buf, "%llu%s", static_cast<unsigned long long>(ns / u.ns), u.name);
      } else {
        snprintf(buf, sizeof buf, "%.3g%s", static_cast<double>(ns) / static_cast<double>(u.ns),
                 u.name);
      }
      return buf;
    }
  }
  snprintf(buf, sizeof buf, "%lluns", static_cast<unsigned long long>(ns));
  return buf;
}

void option_error(std::string_view name, const char* raw, const std::string& error) {
  // A service owner reads this, not a developer: the variable, the value and
  // what is wrong with it, without a source location.
  fprintf(stderr, "gcmap: %.*s=\"%s\": %s\n", static_cast<int>(name.size()), name.data(), raw,
          error.c_str());
  fflush(stderr);
  abort();
}

}  // namespace gcmap::base
