// The type table's internal helpers, for messages.
#pragma once

#include <cstdint>
#include <string>

namespace gcmap::gc::detail {

// The collected type's C++ name ("gcmap::test::Node"), cut out of the
// __PRETTY_FUNCTION__ string TypeInfo::name holds.
std::string short_type_name(uint16_t type);

// From a catch handler: the user's callback `what` ("the destructor of Foo")
// threw; fatal, naming it, the exception's type and message, `where` it ran
// and the `rule` it broke (gc/README.md, "Exception safety").
[[noreturn]] void fatal_callback_threw(const char* what, const char* where, const char* rule);

}  // namespace gcmap::gc::detail
