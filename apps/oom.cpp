// oom.cpp — an uncaught std::bad_alloc, from any command or thread, becomes one line and exit 1.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include <systemc>

#include "memlimit.h"

namespace {

const char *g_cmd = nullptr;

void say(const char *what) {
  char msg[256];
  std::snprintf(msg, sizeof msg, "rramsim%s%s: %s\n", g_cmd ? " " : "", g_cmd ? g_cmd : "", what);
  const ssize_t ignored = write(2, msg, std::strlen(msg));
  (void)ignored;
}

[[noreturn]] void on_terminate() {
  if (std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::bad_alloc &) {
      say("out of memory");
      _exit(1);
    } catch (const sc_core::sc_report &r) {
      // SystemC reports an exception thrown inside a process as an sc_report naming it.
      const std::string m = r.what();
      if (m.find("bad_alloc") != std::string::npos ||
          m.find("out of memory") != std::string::npos) {
        say("out of memory");
        _exit(1);
      }
    } catch (...) {
    }
  }
  say("internal error: uncaught exception (a bug; please report it)");
  std::abort();
}

}  // namespace

extern "C" void cli_install_oom_handler(const char *cmd) {
  g_cmd = cmd;
  std::set_terminate(on_terminate);
}
