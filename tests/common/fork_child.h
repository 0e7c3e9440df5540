// Runs a function in a fork() child and reports how the child ended and
// what it wrote on stderr. A child that does not end within the limit is
// killed and reported as hung: a liveness bound (a hang must fail the test,
// not freeze it), not a speed assertion.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace gcmap::test_common {

struct ChildResult {
  bool hung = false;  // killed after the limit
  int status = 0;     // waitpid status when it ended
  std::string err;    // its stderr
  bool exited_with(int code) const {
    return !hung && WIFEXITED(status) && WEXITSTATUS(status) == code;
  }
  bool aborted() const { return !hung && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT; }
};

inline ChildResult run_in_fork_child(const std::function<void()>& fn,
                                     std::chrono::seconds limit = std::chrono::seconds(60)) {
  ChildResult r;
  int fds[2];
  if (pipe(fds) != 0) {
    r.hung = true;
    r.err = "pipe failed";
    return r;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 2);
    fn();
    _exit(0);
  }
  close(fds[1]);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  auto drain = [&] {
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) r.err.append(buf, static_cast<size_t>(n));
  };
  auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    drain();
    pid_t w = waitpid(pid, &r.status, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &r.status, 0);
      r.hung = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  drain();
  close(fds[0]);
  return r;
}

}  // namespace gcmap::test_common
