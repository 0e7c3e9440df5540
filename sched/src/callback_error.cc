// What happens when a callback the scheduler runs throws (sched/README.md,
// "Exception safety"): the callback runs inside a stop, on a TBB worker or
// on behalf of whoever asked for the work, none of which can take the
// exception and carry on (a stop half done, a worker's flags half reset),
// so it is fatal, naming the callback and the exception.
#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>

#include "gcmap/base/assert.h"
#include "internal.h"

namespace gcmap::sched::detail {

void fatal_callback_threw(const char* what) {
  std::string type = "an exception";
  if (std::type_info* t = abi::__cxa_current_exception_type()) {
    int status = 0;
    char* d = abi::__cxa_demangle(t->name(), nullptr, nullptr, &status);
    type = status == 0 && d != nullptr ? d : t->name();
    std::free(d);
  }
  try {
    throw;
  } catch (const std::exception& e) {
    GCMAP_FATAL("%s threw %s (\"%s\"); callbacks run by the scheduler must not throw", what,
                type.c_str(), e.what());
  } catch (...) {
    GCMAP_FATAL("%s threw %s; callbacks run by the scheduler must not throw", what, type.c_str());
  }
}

}  // namespace gcmap::sched::detail
