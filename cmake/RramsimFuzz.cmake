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
