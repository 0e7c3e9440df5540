// Naming the exception being handled (see exception.h).
#include "gcmap/base/exception.h"

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <typeinfo>

namespace gcmap::base {

std::string current_exception_type() {
  std::type_info* t = abi::__cxa_current_exception_type();
  if (t == nullptr) return "an exception";
  int status = 0;
  char* d = abi::__cxa_demangle(t->name(), nullptr, nullptr, &status);
  std::string out = status == 0 && d != nullptr ? d : t->name();
  std::free(d);
  return out;
}

std::string describe_current_exception() {
  std::string type = current_exception_type();
  std::exception_ptr e = std::current_exception();
  if (!e) return type;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return type + " (\"" + x.what() + "\")";
  } catch (...) {
  }
  return type;
}

}  // namespace gcmap::base
