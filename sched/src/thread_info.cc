// What /proc says about a thread, for warnings that must name it: its name
// (pthread_setname_np) and its scheduler state.
#include <cstdio>
#include <cstring>
#include <string>

#include "internal.h"

namespace gcmap::sched::detail {

namespace {
std::string read_proc_task_file(pid_t tid, const char* file) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/%s", static_cast<int>(tid), file);
  std::string out;
  if (FILE* f = fopen(path, "r")) {
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    out.assign(buf, n);
    fclose(f);
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}
}  // namespace

std::string thread_name(pid_t tid) {
  return read_proc_task_file(tid, "comm");
}

std::string describe_thread(pid_t tid) {
  std::string stat = read_proc_task_file(tid, "stat");
  char buf[256];
  if (stat.empty()) {
    snprintf(buf, sizeof buf, "thread %d, which has exited while attached", static_cast<int>(tid));
    return buf;
  }
  // "tid (comm) S ...": the name may hold spaces and parentheses, the state
  // follows the last ')'.
  size_t close = stat.rfind(')');
  char state = close != std::string::npos && close + 2 < stat.size() ? stat[close + 2] : '?';
  const char* what = "state unknown";
  switch (state) {
    case 'R':
      what = "running: a loop that does not poll";
      break;
    case 'S':
      what = "sleeping: a blocking call such as a lock, a sleep or I/O";
      break;
    case 'D':
      what = "in uninterruptible I/O";
      break;
    case 'T':
    case 't':
      what = "stopped by a signal or a debugger";
      break;
    case 'Z':
    case 'X':
      what = "exiting";
      break;
  }
  snprintf(buf, sizeof buf, "thread %d (\"%s\", %s)", static_cast<int>(tid),
           thread_name(tid).c_str(), what);
  return buf;
}

}  // namespace gcmap::sched::detail
