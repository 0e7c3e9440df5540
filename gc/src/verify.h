// Verify mode (verify.cc, GCMAP_VERIFY=1): after marking, walk the heap from
// the same roots and abort with a path if a reachable object is unmarked.
#pragma once

#include <vector>

#include "markroot.h"

namespace gcmap::gc::detail {

void verify_marking(const std::vector<RootJob>& roots);

}  // namespace gcmap::gc::detail
