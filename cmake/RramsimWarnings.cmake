# rramsim_warnings: an interface target every project target links for one warning policy.
add_library(rramsim_warnings INTERFACE)
add_library(rramsim::warnings ALIAS rramsim_warnings)
target_compile_options(rramsim_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wundef -Wcast-align
  -Wpointer-arith -Wnull-dereference -Wdouble-promotion
  $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition -Wc++-compat>
  $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Woverloaded-virtual>
  $<$<BOOL:${RRAMSIM_WERROR}>:-Werror>)
