# RRAMSIM_FUZZ=ON: instrument everything for libFuzzer + ASan + UBSan (clang only); the harnesses
# in tests/fuzz link the fuzzer runtime themselves (-fsanitize=fuzzer). See docs/fuzzing.md.
option(RRAMSIM_FUZZ "Build the libFuzzer harnesses in tests/fuzz (needs clang)" OFF)
if(RRAMSIM_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang" OR NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "RRAMSIM_FUZZ=ON needs clang (cmake --preset fuzz sets it)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(RRAMSIM_FUZZ)
  # libFuzzer convention: the readers skip their CRC comparisons (model file, .rrt header and
  # trailer) so mutated inputs reach the checks behind them. Only ever set in this build.
  add_compile_definitions(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
endif()
