// map/'s options table and its settings in force, read once.
#include "gcmap/map/config.h"

#include <mutex>

#include "gcmap/base/assert.h"

namespace gcmap::map {

namespace {

constexpr base::Option<Config> kOptions[] = {
    {"GCMAP_DEFERRED_STALENESS", "duration", "100ms", base::kDurationForm,
     "how old a queued `erase_deferred` may grow before a window applies it",
     base::set_field<&Config::deferred_staleness_ns, base::parse_duration_ns>,
     [](const Config& c) { return base::format_duration(c.deferred_staleness_ns); }},
};

struct Settings {
  std::once_flag once;
  Config config;
};

Settings& settings() {
  static Settings* s = new Settings;  // leaked: the scheduler thread outlives exit()
  return *s;
}

}  // namespace

std::span<const base::Option<Config>> options() {
  return kOptions;
}

Config Config::from_env() {
  Config c;
  base::read_env(options(), &c);
  return c;
}

void init(const Config& config) {
  Settings& s = settings();
  bool now = false;
  std::call_once(s.once, [&] {
    s.config = config;
    now = true;
  });
  GCMAP_CHECK(now,
              "gcmap::map::init() called after map's settings were in use (call it before the "
              "first erase_deferred)");
}

const Config& current_config() {
  Settings& s = settings();
  std::call_once(s.once, [&] { s.config = Config::from_env(); });
  return s.config;
}

std::string format_config(const Config& c) {
  return base::format_options(options(), c);
}

}  // namespace gcmap::map
