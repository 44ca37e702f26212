# rramsim_add_gtest(NAME <name> SOURCES <files...> LIBS <targets...> [LABELS <labels...>]
#                   [TIMEOUT <s>])
# One GoogleTest executable per component; its tests are discovered into CTest with the component
# name as a label (LABELS noasan: the label `noasan` instead, which the asan test preset skips).
# Tests whose suite or test name starts with "Slow" (e.g. TEST(SlowTrace, ...) or
# TEST(Trace, SlowTenMillionRecords)) get the extra label `slow`, which the default presets skip. Every source is recorded so that tests/CMakeLists.txt can fail the configure
# when a file under tests/ belongs to no target (a test that silently never runs).
function(rramsim_add_gtest)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_NAME OR NOT T_SOURCES)
    message(FATAL_ERROR "rramsim_add_gtest: NAME and SOURCES are required")
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main rramsim::warnings)
  target_compile_definitions(${T_NAME} PRIVATE
    RRAMSIM_SOURCE_DIR="${PROJECT_SOURCE_DIR}" RRAMSIM_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # gtest_discover_tests flattens list-valued PROPERTIES, so each test gets one label: `slow`, or
  # else the executable's name (LABELS slow marks the whole executable slow).
  set(_labels ${T_NAME})
  if("slow" IN_LIST T_LABELS)
    set(_labels slow)
  elseif("noasan" IN_LIST T_LABELS)
    # Fine in release, too slow under the sanitizers: the asan test preset excludes it.
    set(_labels noasan)
  endif()
  gtest_discover_tests(${T_NAME}
    TEST_FILTER "-Slow*:*.Slow*"
    PROPERTIES LABELS ${_labels} TIMEOUT ${T_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
  gtest_discover_tests(${T_NAME}
    TEST_FILTER "Slow*:*.Slow*"
    PROPERTIES LABELS slow TIMEOUT 3600
    DISCOVERY_TIMEOUT 60)
  foreach(src IN LISTS T_SOURCES)
    get_filename_component(abs "${src}" ABSOLUTE)
    set_property(GLOBAL APPEND PROPERTY RRAMSIM_TEST_SOURCES "${abs}")
  endforeach()
endfunction()

# rramsim_claim_test_sources(<files...>): mark helper files (data, scripts) under tests/ as used.
function(rramsim_claim_test_sources)
  foreach(src IN LISTS ARGN)
    get_filename_component(abs "${src}" ABSOLUTE)
    set_property(GLOBAL APPEND PROPERTY RRAMSIM_TEST_SOURCES "${abs}")
  endforeach()
endfunction()
