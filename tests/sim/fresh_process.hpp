// fresh_process.hpp — runs a SystemC test body in a fresh child process (one elaboration each).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

namespace simtest {

// Leaves the child with _Exit: exit() would report the death-test machinery's own allocations
// as leaks (LeakSanitizer loses the main stack's roots after SystemC's coroutine stack
// switches). ASan still checks every access in the child; leaks of the model itself are
// covered by the SystemC-free tests of the same code (test_core).
[[noreturn]] inline void child_exit(int code) {
  std::fflush(nullptr);
  std::_Exit(code);
}

}  // namespace simtest

// Runs body in a fresh process; the test fails if any expectation inside fails.
// The child's failure messages are not shown by the parent: to see them, rerun one test with
// RRAMSIM_TEST_IN_PROCESS=1, which runs the body directly (one SystemC test per run then).
#define IN_FRESH_PROCESS(body)                                        \
  do {                                                                \
    if (std::getenv("RRAMSIM_TEST_IN_PROCESS")) {                     \
      body();                                                         \
      break;                                                          \
    }                                                                 \
    GTEST_FLAG_SET(death_test_style, "threadsafe");                   \
    EXPECT_EXIT(                                                      \
        {                                                             \
          body();                                                     \
          simtest::child_exit(::testing::Test::HasFailure() ? 1 : 0); \
        },                                                            \
        ::testing::ExitedWithCode(0), "");                            \
  } while (0)

// A test whose whole body runs in a fresh process.
#define FRESH_PROCESS_TEST(suite, name, body) \
  TEST(suite, name) {                         \
    IN_FRESH_PROCESS(body);                   \
  }
