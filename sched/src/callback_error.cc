// What happens when a callback the scheduler runs throws (sched/README.md,
// "Exception safety"): the callback runs inside a stop, on a TBB worker or
// on behalf of whoever asked for the work, none of which can take the
// exception and carry on (a stop half done, a worker's flags half reset),
// so it is fatal, naming the callback and the exception.

#include <cstdlib>
#include <exception>
#include <string>

#include "gcmap/base/assert.h"
#include "gcmap/base/exception.h"
#include "internal.h"

namespace gcmap::sched::detail {

void fatal_callback_threw(const char* what) {
  GCMAP_FATAL("%s threw %s; callbacks run by the scheduler must not throw", what,
              base::describe_current_exception().c_str());
}

}  // namespace gcmap::sched::detail
