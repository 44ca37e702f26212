# examples.cmake — run by the CTest test install.examples (cmake -P): installs the rramsim build
# in BUILD_DIR to WORK_DIR/prefix, configures, builds and tests SOURCE_DIR/examples against that
# prefix only, then compiles examples/platform.cpp with `pkg-config --cflags --libs rramsim` and
# runs it. Any failing step fails the test.
foreach(_v BUILD_DIR SOURCE_DIR WORK_DIR CXX)
  if(NOT DEFINED ${_v})
    message(FATAL_ERROR "examples.cmake: -D${_v}=... is required")
  endif()
endforeach()
if(NOT BUILD_TYPE)
  set(BUILD_TYPE Release)
endif()

function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    string(REPLACE ";" " " _cmd "${ARGN}")
    message(FATAL_ERROR "install.examples: failed (${_rc}): ${_cmd}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(_prefix "${WORK_DIR}/prefix")
step(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${_prefix}" --component rramsim_dev)
step(${CMAKE_COMMAND} -S "${SOURCE_DIR}/examples" -B "${WORK_DIR}/build"
     "-DCMAKE_PREFIX_PATH=${_prefix}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
     "-DCMAKE_CXX_COMPILER=${CXX}")
step(${CMAKE_COMMAND} --build "${WORK_DIR}/build" -j2)
step(${CMAKE_CTEST_COMMAND} --test-dir "${WORK_DIR}/build" --output-on-failure)

# pkg-config: one command line, no knowledge of rramsim's libraries or their order.
find_program(_pkg_config pkg-config REQUIRED)
file(GLOB_RECURSE _pc "${_prefix}/*/rramsim.pc")
list(GET _pc 0 _pc)
get_filename_component(_pcdir "${_pc}" DIRECTORY)
set(ENV{PKG_CONFIG_PATH} "${_pcdir}")
execute_process(COMMAND ${_pkg_config} --cflags --libs rramsim OUTPUT_VARIABLE _flags
                OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
separate_arguments(_flags UNIX_COMMAND "${_flags}")
step(${CXX} -std=c++17 -O1 "${SOURCE_DIR}/examples/platform.cpp" -o "${WORK_DIR}/platform_pc"
     ${_flags})
step("${WORK_DIR}/platform_pc" "${_prefix}/share/rramsim/configs/systems/small.json")
