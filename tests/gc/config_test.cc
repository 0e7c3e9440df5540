// Configuration: every variable's valid and malformed forms, and the fatal
// message that names the variable, the value and the accepted form.
#include <gtest/gtest.h>

#include <cstdlib>

#include <fstream>
#include <sstream>

#include "gcmap/gc/config.h"

namespace gcmap {
namespace {

using namespace config;
using base::format_bytes;
using base::parse_bool;
using base::parse_bytes;
using base::parse_count;
using base::parse_duration_ns;
using base::parse_fraction;

TEST(Config, Gogc) {
  std::string e;
  EXPECT_EQ(parse_gogc("100", &e), 100);
  EXPECT_EQ(parse_gogc("0", &e), 0);
  EXPECT_EQ(parse_gogc(" 250 ", &e), 250);
  EXPECT_EQ(parse_gogc("off", &e), -1);
  for (const char* bad : {"abc", "-5", "", "1.5", "100%", "OFF", "99999999999"}) {
    EXPECT_FALSE(parse_gogc(bad, &e)) << bad;
    EXPECT_NE(e.find("\"off\""), std::string::npos);
  }
}

TEST(Config, MemoryLimit) {
  std::string e;
  EXPECT_EQ(parse_bytes("1024", &e), 1024u);
  EXPECT_EQ(parse_bytes("1024B", &e), 1024u);
  EXPECT_EQ(parse_bytes("64KiB", &e), 64u << 10);
  EXPECT_EQ(parse_bytes("512 MiB", &e), 512u << 20);
  EXPECT_EQ(parse_bytes("1.5GiB", &e), 3ull << 29);
  EXPECT_EQ(parse_bytes("2TiB", &e), 2ull << 40);
  EXPECT_EQ(parse_bytes("off", &e), 0u);
  EXPECT_EQ(parse_bytes("1B", &e), 1u);
  for (const char* bad : {"12XB", "-1", "", "GiB", "1.5", "10 GB", "1e9", "12 kib"}) {
    EXPECT_FALSE(parse_bytes(bad, &e)) << bad;
    EXPECT_NE(e.find("KiB"), std::string::npos);
  }
}

// "0" and values that round to 0 bytes used to mean "no limit" silently;
// "off" is the one way to say that.
TEST(Config, AMemoryLimitThatRoundsToZeroBytesIsRejected) {
  std::string e;
  for (const char* zero : {"0", "0B", "0.0001KiB", "0 MiB", "0.0000000001GiB"}) {
    EXPECT_FALSE(parse_bytes(zero, &e)) << zero;
    EXPECT_EQ(e.find("rounds to 0 bytes; expected a positive number of bytes"), 0u) << e;
    EXPECT_NE(e.find("\"off\" for no limit"), std::string::npos) << e;
  }
}

TEST(Config, MaxPause) {
  std::string e;
  EXPECT_EQ(parse_duration_ns("500us", &e), 500000u);
  EXPECT_EQ(parse_duration_ns("500\xC2\xB5s", &e), 500000u);
  EXPECT_EQ(parse_duration_ns("2ms", &e), 2000000u);
  EXPECT_EQ(parse_duration_ns("1.5ms", &e), 1500000u);
  EXPECT_EQ(parse_duration_ns("250ns", &e), 250u);
  EXPECT_EQ(parse_duration_ns("1s", &e), 1000000000u);
  for (const char* bad : {"fast", "500", "", "-1ms", "0ms", "ms", "5 minutes", "2h"}) {
    EXPECT_FALSE(parse_duration_ns(bad, &e)) << bad;
    EXPECT_NE(e.find("500us"), std::string::npos);
  }
}

TEST(Config, WorkersTraceVerifyTorture) {
  std::string e;
  EXPECT_EQ(parse_workers("4", &e), 4u);
  EXPECT_FALSE(parse_workers("0", &e));
  EXPECT_FALSE(parse_workers("many", &e));
  EXPECT_FALSE(parse_workers("-2", &e));
  EXPECT_EQ(parse_bool("1", &e), true);
  EXPECT_EQ(parse_bool("0", &e), false);
  EXPECT_FALSE(parse_bool("yes", &e));
  EXPECT_FALSE(parse_bool("2", &e));
  EXPECT_EQ(parse_count("1000", &e), 1000u);
  EXPECT_FALSE(parse_count("1k", &e));
}

TEST(Config, FromEnvReadsEveryVariable) {
  setenv("GCMAP_GOGC", "50", 1);
  setenv("GCMAP_MEMORY_LIMIT", "1GiB", 1);
  setenv("GCMAP_MAX_PAUSE", "2ms", 1);
  setenv("GCMAP_GC_WORKERS", "3", 1);
  setenv("GCMAP_GCTRACE", "1", 1);
  setenv("GCMAP_VERIFY", "1", 1);
  setenv("GCMAP_GC_TORTURE", "100", 1);
  setenv("GCMAP_GC_CONCURRENT", "0", 1);
  setenv("GCMAP_GC_CPU", "0.5", 1);
  Config c = Config::from_env();
  EXPECT_EQ(c.gc_percent, 50);
  EXPECT_EQ(c.memory_limit, 1ull << 30);
  EXPECT_EQ(c.max_pause_ns, 2000000u);
  EXPECT_EQ(c.gc_workers, 3u);
  EXPECT_TRUE(c.gctrace);
  EXPECT_TRUE(c.verify);
  EXPECT_EQ(c.torture_every, 100u);
  EXPECT_FALSE(c.concurrent);
  EXPECT_EQ(c.mark_cpu, 0.5);
  for (const char* v :
       {"GCMAP_GOGC", "GCMAP_MEMORY_LIMIT", "GCMAP_MAX_PAUSE", "GCMAP_GC_WORKERS", "GCMAP_GCTRACE",
        "GCMAP_VERIFY", "GCMAP_GC_TORTURE", "GCMAP_GC_CONCURRENT", "GCMAP_GC_CPU"}) {
    unsetenv(v);
  }
  Config d = Config::from_env();
  EXPECT_EQ(d.gc_percent, 100);
  EXPECT_EQ(d.memory_limit, 0u);
  EXPECT_EQ(d.max_pause_ns, 500000u);
  EXPECT_TRUE(d.concurrent);
  EXPECT_EQ(d.mark_cpu, 0.0);
}

// An empty variable is the default, as if unset (Go's GOGC="" is too).
TEST(Config, AnEmptyVariableMeansTheDefault) {
  for (const char* v :
       {"GCMAP_GOGC", "GCMAP_MEMORY_LIMIT", "GCMAP_MAX_PAUSE", "GCMAP_GC_WORKERS", "GCMAP_GCTRACE",
        "GCMAP_VERIFY", "GCMAP_GC_TORTURE", "GCMAP_GC_CONCURRENT", "GCMAP_GC_CPU"}) {
    setenv(v, "", 1);
  }
  setenv("GCMAP_MAX_PAUSE", "  ", 1);
  Config c = Config::from_env();
  Config d;
  EXPECT_EQ(c.gc_percent, d.gc_percent);
  EXPECT_EQ(c.memory_limit, d.memory_limit);
  EXPECT_EQ(c.max_pause_ns, d.max_pause_ns);
  EXPECT_EQ(c.gc_workers, d.gc_workers);
  EXPECT_EQ(c.gctrace, d.gctrace);
  EXPECT_EQ(c.verify, d.verify);
  EXPECT_EQ(c.torture_every, d.torture_every);
  EXPECT_EQ(c.concurrent, d.concurrent);
  EXPECT_EQ(c.mark_cpu, d.mark_cpu);
  for (const char* v :
       {"GCMAP_GOGC", "GCMAP_MEMORY_LIMIT", "GCMAP_MAX_PAUSE", "GCMAP_GC_WORKERS", "GCMAP_GCTRACE",
        "GCMAP_VERIFY", "GCMAP_GC_TORTURE", "GCMAP_GC_CONCURRENT", "GCMAP_GC_CPU"}) {
    unsetenv(v);
  }
}

// More workers than CPUs used to be capped silently (by TBB): now the cap is
// ours, and it says so.
TEST(Config, MoreWorkersThanCpusAreCappedWithAWarning) {
  std::string w;
  EXPECT_EQ(effective_workers(0, 2, &w), 2u);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(effective_workers(2, 2, &w), 2u);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(effective_workers(1, 8, &w), 1u);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(effective_workers(16, 2, &w), 2u);
  EXPECT_NE(w.find("gcmap: warning: 16 GC workers requested (GCMAP_GC_WORKERS"), std::string::npos)
      << w;
  EXPECT_NE(w.find("may run on 2 CPUs; using 2"), std::string::npos) << w;
}

TEST(Config, CpuFraction) {
  std::string e;
  EXPECT_EQ(parse_fraction("0.25", &e), 0.25);
  EXPECT_EQ(parse_fraction("1", &e), 1.0);
  for (const char* bad : {"0", "1.5", "-0.1", "half", "25%"}) {
    EXPECT_FALSE(parse_fraction(bad, &e)) << bad;
    EXPECT_NE(e.find("(0, 1]"), std::string::npos);
  }
}

void from_env_with(const char* var, const char* value) {
  setenv(var, value, 1);
  Config::from_env();
}

// The message a service owner reads: variable, value, what is wrong, what is
// accepted, and no source location (it used to end in "(.../config.cc:173)").
TEST(ConfigDeathTest, MalformedValuesNameTheVariableTheValueAndTheForm) {
  EXPECT_DEATH(from_env_with("GCMAP_GOGC", "abc"),
               "^gcmap: GCMAP_GOGC=\"abc\": not a whole number; expected an integer percent from "
               "0 to 1000000, or \"off\"\n$");
  EXPECT_DEATH(from_env_with("GCMAP_GOGC", "-5"),
               "^gcmap: GCMAP_GOGC=\"-5\": not a whole number; expected");
  EXPECT_DEATH(from_env_with("GCMAP_MEMORY_LIMIT", "12XB"),
               "^gcmap: GCMAP_MEMORY_LIMIT=\"12XB\": not a number of bytes; expected a positive "
               "number of bytes");
  EXPECT_DEATH(from_env_with("GCMAP_MEMORY_LIMIT", "0"),
               "^gcmap: GCMAP_MEMORY_LIMIT=\"0\": rounds to 0 bytes; expected a positive number "
               "of bytes with an optional suffix B, KiB, MiB, GiB or TiB \\(\"512MiB\"\\), or "
               "\"off\" for no limit\n$");
  EXPECT_DEATH(from_env_with("GCMAP_MEMORY_LIMIT", "0.0001KiB"),
               "^gcmap: GCMAP_MEMORY_LIMIT=\"0.0001KiB\": rounds to 0 bytes; expected");
  EXPECT_DEATH(from_env_with("GCMAP_MAX_PAUSE", "fast"),
               "^gcmap: GCMAP_MAX_PAUSE=\"fast\": not a number with a unit; expected a positive "
               "duration");
  EXPECT_DEATH(from_env_with("GCMAP_GC_WORKERS", "0"),
               "^gcmap: GCMAP_GC_WORKERS=\"0\": zero workers; expected an integer number of "
               "worker threads from 1 to 1024\n$");
  EXPECT_DEATH(from_env_with("GCMAP_GCTRACE", "yes"),
               "^gcmap: GCMAP_GCTRACE=\"yes\": neither 0 nor 1; expected 0 or 1\n$");
}

TEST(Config, FormatBytes) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(3ull << 30), "3.0 GiB");
}

TEST(Config, FormatDuration) {
  EXPECT_EQ(base::format_duration(500'000), "500us");
  EXPECT_EQ(base::format_duration(2'000'000), "2ms");
  EXPECT_EQ(base::format_duration(1'500'000), "1.5ms");
  EXPECT_EQ(base::format_duration(250), "250ns");
  EXPECT_EQ(base::format_duration(1'000'000'000), "1s");
}

// The options table is the one description of the variables: its defaults
// are Config{}'s, every row parses what the environment gives it, and the
// README's table is the table's own rendering.
TEST(ConfigOptionsTable, DefaultsAreTheDefaultConfig) {
  Config d;
  for (const auto& o : gc::options()) EXPECT_EQ(o.show(d), o.default_value) << o.name;
  EXPECT_EQ(format_config(d),
            "GCMAP_GOGC=100 GCMAP_MEMORY_LIMIT=off GCMAP_MAX_PAUSE=500us GCMAP_GC_WORKERS=CPUs "
            "GCMAP_GCTRACE=0 GCMAP_VERIFY=0 GCMAP_GC_TORTURE=0 GCMAP_GC_CONCURRENT=1 "
            "GCMAP_GC_CPU=auto");
}

TEST(ConfigOptionsTable, EveryRowReadsItsVariable) {
  for (const auto& o : gc::options()) unsetenv(std::string(o.name).c_str());
  setenv("GCMAP_MAX_PAUSE", "2ms", 1);
  setenv("GCMAP_MEMORY_LIMIT", "1GiB", 1);
  Config c = Config::from_env();
  EXPECT_EQ(format_config(c),
            "GCMAP_GOGC=100 GCMAP_MEMORY_LIMIT=1.0 GiB GCMAP_MAX_PAUSE=2ms GCMAP_GC_WORKERS=CPUs "
            "GCMAP_GCTRACE=0 GCMAP_VERIFY=0 GCMAP_GC_TORTURE=0 GCMAP_GC_CONCURRENT=1 "
            "GCMAP_GC_CPU=auto");
  unsetenv("GCMAP_MAX_PAUSE");
  unsetenv("GCMAP_MEMORY_LIMIT");
  // A row's error message ends in the form the README shows for it.
  for (const auto& o : gc::options()) {
    Config x;
    std::string e;
    EXPECT_FALSE(o.parse(x, "not-a-value!", &e)) << o.name;
    std::string tail = "; expected " + std::string(o.form);
    EXPECT_EQ(e.substr(e.size() - std::min(e.size(), tail.size())), tail) << o.name;
  }
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(ConfigOptionsTable, ReadmeShowsTheTable) {
  std::string readme = read_file(GCMAP_SOURCE_DIR "/gc/README.md");
  ASSERT_FALSE(readme.empty()) << GCMAP_SOURCE_DIR "/gc/README.md";
  std::string table = base::markdown_table(gc::options());
  EXPECT_NE(readme.find(table), std::string::npos)
      << "gc/README.md's configuration table differs from gc::options(); paste this:\n"
      << table;
}

}  // namespace
}  // namespace gcmap
