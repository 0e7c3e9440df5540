// Naming the exception being handled, for the fatal errors and warnings
// that report a user callback that threw (a destructor, a trace, a hash, a
// window job): "std::runtime_error (\"boom\")". One place, so every module
// says it the same way.
#pragma once

#include <string>

namespace gcmap::base {

// Inside a catch handler: the exception's type, demangled
// ("std::runtime_error"); "an exception" when there is none or it is unknown.
std::string current_exception_type();
// Inside a catch handler: "<type> (\"<what()>\")" for a std::exception,
// "<type>" for anything else.
std::string describe_current_exception();

}  // namespace gcmap::base
