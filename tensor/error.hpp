// One exception type for every misuse of the library, with messages that name the
// operation and the shapes or values involved:
//
//   matmul: shapes (3,4) and (5,2) cannot be multiplied (4 != 5)
//
// `check(ok, "op", parts...)` builds the message only when `ok` is false, so checks
// on hot paths cost one branch.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lambdahat {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `op` is a plain C string so that a passing check costs no strlen.
template <class... Parts>
[[noreturn]] void fail(const char* op, const Parts&... parts) {
  std::ostringstream message;
  message << op << ": ";
  (message << ... << parts);
  throw Error(message.str());
}

template <class... Parts>
inline void check(bool ok, const char* op, const Parts&... parts) {
  if (!ok) [[unlikely]]
    fail(op, parts...);
}

}  // namespace lambdahat
