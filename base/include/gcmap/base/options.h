// Options tables: each module describes its GCMAP_* environment variables
// once, as an array of Option rows (name, type, default, accepted values,
// meaning, how to parse, how to show), and everything else is derived from
// that array: reading the environment (read_env), the settings in force
// (format_options) and the README's table (markdown_table, which a test
// compares with the README). The value parsers live here too, so every
// module accepts a duration or a byte count the same way and says the same
// thing when it cannot.
//
// A malformed value is fatal, with a message for whoever set it (no source
// location): gcmap: GCMAP_X="value": <what is wrong>; expected <form>.
// Unset and empty mean the same: the default (Go treats GOGC="" so).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace gcmap::base {

// One environment variable of a module whose settings are a `Config`.
template <class Config>
struct Option {
  std::string_view name;           // "GCMAP_GOGC"
  std::string_view type;           // "percent", "bytes", "duration", "bool", ...
  std::string_view default_value;  // as show() prints Config{}'s value
  std::string_view form;           // the accepted values: the README's column and
                                   // the "expected ..." of every error message
  std::string_view description;    // one line: what it changes
  // Parses `raw` into `c`; on failure returns false with "<what is wrong>;
  // expected <form>" in *error.
  bool (*parse)(Config& c, std::string_view raw, std::string* error);
  // The value in `c` as a user would write it ("500us", "off", "CPUs").
  std::string (*show)(const Config& c);
};

// The forms the shared parsers accept, quoted by their error messages and by
// every options table that uses them.
inline constexpr std::string_view kBytesForm =
    "a positive number of bytes with an optional suffix B, KiB, MiB, GiB or TiB "
    "(\"512MiB\"), or \"off\" for no limit";
inline constexpr std::string_view kDurationForm =
    "a positive duration up to 1 hour with a unit: ns, us, µs, ms or s (\"500us\", \"2ms\")";
inline constexpr std::string_view kBoolForm = "0 or 1";
inline constexpr std::string_view kCountForm = "a non-negative integer";
inline constexpr std::string_view kFractionForm = "a fraction of the CPU in (0, 1], such as 0.25";

std::string_view trim(std::string_view s);
// A whole string of decimal digits, no sign, no overflow.
std::optional<uint64_t> parse_u64(std::string_view s);
// Each parser returns the value, or nullopt with "<what>; expected <form>".
std::optional<uint64_t> parse_bytes(std::string_view s, std::string* error);  // "off": 0
std::optional<uint64_t> parse_duration_ns(std::string_view s, std::string* error);
std::optional<bool> parse_bool(std::string_view s, std::string* error);
std::optional<uint64_t> parse_count(std::string_view s, std::string* error);
std::optional<double> parse_fraction(std::string_view s, std::string* error);
// "<what>; expected <form>", the tail of every message.
std::string explain(std::string_view what, std::string_view form);

// "512 KiB", "1.5 GiB": for messages. "500us", "2ms", "1.5s": for durations.
std::string format_bytes(uint64_t bytes);
std::string format_duration(uint64_t ns);

// An Option's parse for a row that stores one parsed value in one field:
// `base::set_field<&Config::gc_percent, parse_gogc>`.
template <auto member, auto parse, class Config>
bool set_field(Config& c, std::string_view raw, std::string* error) {
  auto v = parse(raw, error);
  if (!v) return false;
  c.*member = static_cast<std::remove_reference_t<decltype(c.*member)>>(*v);
  return true;
}

// Prints "gcmap: NAME="raw": error" and aborts.
[[noreturn]] void option_error(std::string_view name, const char* raw, const std::string& error);

// Applies every variable of `table` that is set and not empty to *c; fatal
// (option_error) on the first malformed one.
template <class Config>
void read_env(std::span<const Option<Config>> table, Config* c) {
  for (const Option<Config>& o : table) {
    const char* raw = std::getenv(std::string(o.name).c_str());
    if (raw == nullptr || trim(raw).empty()) continue;
    std::string error;
    if (!o.parse(*c, raw, &error)) option_error(o.name, raw, error);
  }
}

// The README table of a module's variables, one row per option, in order.
template <class Config>
std::string markdown_table(std::span<const Option<Config>> table) {
  std::string s = "| variable | type | default | accepted values | meaning |\n";
  s += "| --- | --- | --- | --- | --- |\n";
  for (const Option<Config>& o : table) {
    s += "| `" + std::string(o.name) + "` | " + std::string(o.type) + " | " +
         std::string(o.default_value) + " | " + std::string(o.form) + " | " +
         std::string(o.description) + " |\n";
  }
  return s;
}

// "GCMAP_GOGC=100 GCMAP_MEMORY_LIMIT=off ...": the settings in force.
template <class Config>
std::string format_options(std::span<const Option<Config>> table, const Config& c) {
  std::string s;
  for (const Option<Config>& o : table) {
    if (!s.empty()) s += ' ';
    s += std::string(o.name) + "=" + o.show(c);
  }
  return s;
}

}  // namespace gcmap::base
