// Thread lifecycle (sched/README.md, "Thread lifecycle"): a thread that exits
// while still attached is detached at its exit, with a warning, instead of
// making every later stop wait forever for it; the slow-safepoint warning
// names the laggard and what it is doing; fork() children fail loudly.
#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <new>
#include <string>
#include <thread>

#include "common/fork_child.h"
#include "gcmap/sched/blocking.h"
#include "gcmap/sched/fork.h"
#include "gcmap/sched/safepoint.h"
#include "gcmap/sched/stw.h"
#include "sched_test_util.h"

// The teardown test's child exits with exit(), and LeakSanitizer would then
// report what the parent's other threads held on stacks that did not survive
// the fork. Its documented hook turns the check off in that child only.
namespace {
bool g_leak_check_off = false;
}
extern "C" int __lsan_is_turned_off() {
  return g_leak_check_off ? 1 : 0;
}

namespace gcmap::sched {
namespace {

using test_common::ChildResult;
using test_common::run_in_fork_child;
using testing::eventually;

// A scope that is never destroyed: placement-new into static storage (a
// `new MutatorScope` would be the same leak, and LeakSanitizer would object).
alignas(MutatorScope) unsigned char g_leaked[2][sizeof(MutatorScope)];
alignas(BlockingRegion) unsigned char g_leaked_region[sizeof(BlockingRegion)];

// Before the fix the dead thread stayed registered as Running, and the
// WorldStop below waited for it forever.
TEST(SchedLifecycle, AThreadThatExitsWithALeakedScopeIsDetachedWithAWarning) {
  const size_t before = attached_count();
  ::testing::internal::CaptureStderr();
  std::thread t([] {
    pthread_setname_np(pthread_self(), "leaky-worker");
    new (g_leaked[0]) MutatorScope;
    safepoint_poll();
  });
  t.join();
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(attached_count(), before) << "the exited thread is still registered";
  { WorldStop stop("after a thread exited attached"); }
  EXPECT_NE(err.find("gcmap: warning: thread "), std::string::npos) << err;
  EXPECT_NE(err.find("(\"leaky-worker\") exited while attached to the gcmap runtime"),
            std::string::npos)
      << err;
}

TEST(SchedLifecycle, AThreadThatCallsPthreadExitWhileAttachedIsDetached) {
  const size_t before = attached_count();
  ::testing::internal::CaptureStderr();
  std::thread t([] {
    new (g_leaked[1]) MutatorScope;
    // A leaked region too: the thread exits counted as stopped.
    new (g_leaked_region) BlockingRegion;
    pthread_exit(nullptr);
  });
  t.join();
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(attached_count(), before) << "the exited thread is still registered";
  { WorldStop stop("after pthread_exit"); }
  EXPECT_NE(err.find("exited while attached"), std::string::npos) << err;
}

TEST(SchedLifecycle, AScopeThatEndsNormallyDoesNotWarn) {
  ::testing::internal::CaptureStderr();
  std::thread t([] {
    MutatorScope attach;
    safepoint_poll();
  });
  t.join();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

// A thread blocked in a system call outside a BlockingRegion: the warning
// must say which thread (its name, not only a tid) and that it sleeps in
// the kernel. The thread blocks reading a pipe that stderr is redirected
// to, so the warning itself wakes it: no timing in the test.
TEST(SchedLifecycle, TheSlowSafepointWarningNamesTheBlockedThreadAndItsState) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const int saved_stderr = dup(2);
  std::atomic<bool> attached{false};
  std::string seen;
  std::thread blocked([&] {
    pthread_setname_np(pthread_self(), "stuck-reader");
    MutatorScope attach;
    attached = true;
    char buf[2048];
    ssize_t n = read(fds[0], buf, sizeof buf);  // no BlockingRegion: the bug
    if (n > 0) seen.assign(buf, static_cast<size_t>(n));
    safepoint_poll();
  });
  ASSERT_TRUE(eventually([&] { return attached.load(); }));
  fflush(stderr);
  dup2(fds[1], 2);
  { WorldStop stop("blocked reader"); }
  dup2(saved_stderr, 2);
  close(saved_stderr);
  blocked.join();
  close(fds[0]);
  close(fds[1]);
  EXPECT_NE(seen.find("stop-the-world 'blocked reader' has waited"), std::string::npos) << seen;
  EXPECT_NE(seen.find("(\"stuck-reader\", sleeping: a blocking call"), std::string::npos) << seen;
  EXPECT_NE(seen.find("gcmap::BlockingRegion"), std::string::npos) << seen;
}

// fork() while another attached thread runs: in the child the registry
// still lists it, so a stop used to wait forever for a thread that is not
// there. Now the child fails at once, saying why.
TEST(SchedLifecycleFork, AStopInAForkChildFailsWithAClearMessage) {
  testing::Spinners spinners(1);
  ChildResult r = run_in_fork_child([] { WorldStop stop("in the child"); });
  spinners.stop();
  ASSERT_FALSE(r.hung) << "the fork() child hung: " << r.err;
  EXPECT_TRUE(r.aborted()) << r.err;
  EXPECT_NE(r.err.find("gcmap: the heap was used in a fork() child without exec (stop-the-world)"),
            std::string::npos)
      << r.err;
}

TEST(SchedLifecycleFork, AttachingInAForkChildFailsWithAClearMessage) {
  testing::Spinners spinners(1);
  ChildResult r = run_in_fork_child([] { MutatorScope attach; });
  spinners.stop();
  ASSERT_FALSE(r.hung) << "the fork() child hung: " << r.err;
  EXPECT_TRUE(r.aborted()) << r.err;
  EXPECT_NE(r.err.find("fork() child without exec (attaching a thread"), std::string::npos)
      << r.err;
}

// Tearing down is fine: a child that leaves its scope and exits (say after
// a failed exec) neither hangs nor complains.
TEST(SchedLifecycleFork, AForkChildThatOnlyTearsDownExitsCleanly) {
  testing::Spinners spinners(1);
  MutatorScope attach;
  ChildResult r = run_in_fork_child([] {
    if (!in_forked_child()) _exit(3);
    g_leak_check_off = true;
    { MutatorScope nested; }
    exit(0);  // runs this thread's exit hook: it must not detach for real
  });
  spinners.stop();
  ASSERT_FALSE(r.hung) << "the fork() child hung: " << r.err;
  EXPECT_TRUE(r.exited_with(0)) << r.status << " " << r.err;
  EXPECT_FALSE(in_forked_child());
}

}  // namespace
}  // namespace gcmap::sched
