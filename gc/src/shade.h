// Shading (internal): what the write barrier does with an overwritten
// pointer while a concurrent mark runs.
#pragma once

#include "gcmap/gc/object.h"

namespace gcmap::gc::detail {

// Grey the object p points into (if a mark is active).
void shade(const void* p);
// Grey everything a root provider references (if a mark is active).
void shade_provider(const void* owner, TraceFn trace);

}  // namespace gcmap::gc::detail
