// rramsim/error.hpp — the one error channel of librramsim: every bad input or failed operation is
// thrown as rramsim::Error, whose message is one line naming the file (and JSON key path, line or
// option) and what was expected. Out of memory is std::bad_alloc.
#pragma once

#include <stdexcept>
#include <string>

namespace rramsim {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws Error(msg) unless msg is empty (for code that keeps a first error as text, e.g. a
// recorder's write failure met inside an observer, which must not throw through SystemC).
inline void throw_if(const std::string& msg) {
  if (!msg.empty()) throw Error(msg);
}

// The configuration loader's name for the same type (kept for readers of config.hpp).
using ConfigError = Error;

}  // namespace rramsim
