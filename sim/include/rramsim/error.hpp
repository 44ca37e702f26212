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

// The configuration loader's name for the same type (kept for readers of config.hpp).
using ConfigError = Error;

}  // namespace rramsim
