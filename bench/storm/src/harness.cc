// The harness's phase machine (see harness.h). Boundaries, in order:
//   0 every map exists            -> LOAD starts
//   1 LOAD done    (snapshot)     -> STEADY
//   2 STEADY done                 -> STORM
//   3 STORM done   (snapshot)     -> AFTER
//   4 AFTER done   -> forced collection (COLLECT) -> snapshot "end" -> VERIFY
//   5 VERIFY done
#include "harness.h"

#include <cstdio>
#include <thread>

#include "gcmap/base/clock.h"
#include "memory.h"

namespace storm {
namespace {

double mb(uint64_t b) {
  return static_cast<double>(b) / 1048576.0;
}

}  // namespace

Harness::Harness(const Options& options, const SystemEntry& entry)
    : opt_(options),
      entry_(entry),
      system_(entry.make()),
      barrier_(static_cast<std::ptrdiff_t>(options.threads), Completion{this}) {}

Harness::~Harness() = default;

void Harness::sync() {
  system_->blocking([this] { barrier_.arrive_and_wait(); });
}

MemorySnapshot Harness::snapshot() {
  return {rss_bytes(), peak_rss_bytes(), system_->heap_in_use()};
}

std::unique_ptr<gcmap::base::LocalHistogram> Harness::pause_snapshot() {
  if (!pause_histogram_) return nullptr;
  auto h = std::make_unique<gcmap::base::LocalHistogram>();
  system_->pause_histogram(*h);
  return h;
}

void Harness::begin_phase(int phase, uint64_t now_ns) {
  hist_start_[phase] = pause_snapshot();
  rec_.phase_start_ns[phase] = now_ns;
  sampler_->set_phase(phase, now_ns);
}

void Harness::end_phase(int phase, uint64_t now_ns) {
  hist_end_[phase] = pause_snapshot();
  rec_.phase_end_ns[phase] = now_ns;
  const double secs = static_cast<double>(now_ns - rec_.phase_start_ns[phase]) * 1e-9;
  std::fprintf(stderr, "[storm %6.1fs] %-16s %-7s done in %.2f s, rss %.0f MB, heap %.0f MB\n",
               static_cast<double>(now_ns - rec_.t0_ns) * 1e-9, entry_.name.c_str(),
               kPhaseNames[phase], secs, mb(rss_bytes()), mb(system_->heap_in_use()));
}

void Harness::on_boundary() noexcept {
  uint64_t now = gcmap::base::now_ns();
  system_->collect_pauses(rec_.pauses);
  switch (boundary_++) {
    case 0:
      rec_.cpu_start = cpu_snapshot();
      begin_phase(kLoad, now);
      break;
    case 1:
      end_phase(kLoad, now);
      rec_.after_load = snapshot();
      begin_phase(kSteady, gcmap::base::now_ns());
      break;
    case 2:
      end_phase(kSteady, now);
      begin_phase(kStorm, now);
      break;
    case 3:
      end_phase(kStorm, now);
      rec_.after_storm = snapshot();
      begin_phase(kAfter, gcmap::base::now_ns());
      break;
    case 4:
      end_phase(kAfter, now);
      begin_phase(kCollect, now);
      rec_.forced_collection = system_->collect();
      now = gcmap::base::now_ns();
      system_->collect_pauses(rec_.pauses);
      end_phase(kCollect, now);
      rec_.end = snapshot();
      begin_phase(kVerify, gcmap::base::now_ns());
      break;
    case 5:
      end_phase(kVerify, now);
      rec_.cpu_end = cpu_snapshot();
      break;
    default:
      break;
  }
}

// Per-phase and whole-run pause summaries, from whichever source the system
// has: events (attributed by start time) or histogram snapshots.
void Harness::summarize_pauses() {
  if (pause_histogram_) {
    rec_.pause_source = "histogram";
    for (int p = 0; p < kPhaseCount; ++p)
      if (hist_start_[p] && hist_end_[p])
        rec_.phase_gc[p] = summarize_between(*hist_start_[p], *hist_end_[p]);
    if (hist_run_start_ && hist_end_[kVerify])
      rec_.run_gc = summarize_between(*hist_run_start_, *hist_end_[kVerify]);
    return;
  }
  if (!rec_.pauses.events().empty()) rec_.pause_source = "events";
  for (int p = 0; p < kPhaseCount; ++p)
    rec_.phase_gc[p] = rec_.pauses.summarize(rec_.phase_start_ns[p], rec_.phase_end_ns[p]);
  rec_.run_gc = rec_.pauses.summarize(0, UINT64_MAX);
}

RunRecord Harness::run() {
  system_->start(opt_);
  {
    gcmap::base::LocalHistogram probe;
    pause_histogram_ = system_->pause_histogram(probe);
  }
  rec_.options = opt_;
  rec_.system = entry_.name;
  rec_.description = entry_.description;
  rec_.system_info = system_->info();
  std::fprintf(stderr, "[storm] %s: n=%llu threads=%u %s\n", entry_.name.c_str(),
               static_cast<unsigned long long>(opt_.n), opt_.threads, opt_.quick ? "(quick)" : "");
  clock_.start();
  rec_.t0_ns = gcmap::base::now_ns();
  sampler_ = std::make_unique<Sampler>(*system_, entry_.name, opt_.sample_ms, rec_.t0_ns);
  sampler_->start();
  hist_run_start_ = pause_snapshot();

  for (unsigned t = 0; t < opt_.threads; ++t)
    workers_.push_back(std::make_unique<Worker>(*this, opt_, clock_, t));
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < opt_.threads; ++t) {
    threads.emplace_back(
        [this, t] { system_->run_attached([this, t] { system_->run_worker(*workers_[t]); }); });
  }
  for (auto& th : threads) th.join();

  rec_.samples = sampler_->stop();
  // Again at the end: counters in it (gcmap's deferred-erase figures) cover
  // the run only now.
  rec_.system_info = system_->info();
  summarize_pauses();
  clock_.finish();
  rec_.ns_per_tick = clock_.ns_per_tick();
  rec_.phases = std::make_unique<std::array<PhaseStats, kMeasuredPhases>>();
  for (const auto& w : workers_) {
    for (int p = 0; p < kMeasuredPhases; ++p) (*rec_.phases)[p].merge(w->stats(Phase(p)));
    rec_.work.merge(w->verify_result());
  }
  return std::move(rec_);
}

}  // namespace storm
