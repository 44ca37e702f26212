// sc_main_stub.cpp — for programs with their own main(): libsystemc references sc_main, which
// only its own main() would call. Link rramsim::sc_main_stub into such programs.
#include <cstdio>

extern "C" int sc_main(int argc, char* argv[]);

int sc_main(int argc, char* argv[]) {
  (void)argc;
  (void)argv;
  std::fprintf(stderr, "rramsim: sc_main is not used; this program drives SystemC from main()\n");
  return 1;
}
