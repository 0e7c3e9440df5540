// gcmap::base::fatal: the one place every module's unrecoverable error goes.
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "gcmap/base/assert.h"

namespace gcmap::base {

void fatal(const char* file, int line, const char* fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  // One write, so that concurrent failures do not interleave mid-line.
  char line_buf[1400];
  int n = snprintf(line_buf, sizeof line_buf, "gcmap: %s (%s:%d)\n", msg, file, line);
  if (n > 0)
    fwrite(line_buf, 1, static_cast<size_t>(n) < sizeof line_buf ? n : sizeof line_buf - 1, stderr);
  fflush(stderr);
  abort();
}

}  // namespace gcmap::base
