// map's settings: GCMAP_DEFERRED_STALENESS is map's own variable, read by
// map's options table (no longer a field of gc's Config), and map/README.md
// shows that table.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gcmap/map/config.h"

namespace gcmap::map {
namespace {

TEST(MapConfig, FromEnvReadsTheStalenessTarget) {
  setenv("GCMAP_DEFERRED_STALENESS", "2ms", 1);
  EXPECT_EQ(Config::from_env().deferred_staleness_ns, 2'000'000u);
  setenv("GCMAP_DEFERRED_STALENESS", " ", 1);  // empty: the default
  EXPECT_EQ(Config::from_env().deferred_staleness_ns, 100'000'000u);
  unsetenv("GCMAP_DEFERRED_STALENESS");
  EXPECT_EQ(Config::from_env().deferred_staleness_ns, 100'000'000u);
}

TEST(MapConfigDeathTest, AMalformedStalenessNamesTheVariable) {
  EXPECT_DEATH(
      {
        setenv("GCMAP_DEFERRED_STALENESS", "soon", 1);
        Config::from_env();
      },
      "^gcmap: GCMAP_DEFERRED_STALENESS=\"soon\": not a number with a unit; expected a positive "
      "duration");
}

TEST(MapConfig, DefaultsAreTheDefaultConfig) {
  for (const auto& o : options()) EXPECT_EQ(o.show(Config{}), o.default_value) << o.name;
  EXPECT_EQ(format_config(Config{}), "GCMAP_DEFERRED_STALENESS=100ms");
}

TEST(MapConfig, ReadmeShowsTheTable) {
  std::ifstream f(GCMAP_SOURCE_DIR "/map/README.md");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string table = base::markdown_table(options());
  EXPECT_NE(ss.str().find(table), std::string::npos)
      << "map/README.md's configuration table differs from map::options(); paste this:\n"
      << table;
}

}  // namespace
}  // namespace gcmap::map
