# RramsimVersion.cmake — the version string every output file carries, computed at build time.
#
# Included from the top-level CMakeLists.txt, it defines the target `rramsim_version`, which runs on
# every build and (re)writes ${RRAMSIM_VERSION_HEADER} (`#define RRAMSIM_VERSION_STRING "..."`)
# only when its content changes: a build after a commit or an edit names the new state, and a build
# with nothing new recompiles and relinks nothing. The version was once baked in at configure time,
# so a binary built after later commits still named the configure-time commit.
#
# Run as a script (cmake -DSOURCE_DIR=... -DOUTPUT=... -DPROJECT_VERSION=... [-DGIT_EXECUTABLE=...]
# -P RramsimVersion.cmake) it writes OUTPUT. The string is
#   <project version>+<git describe --always --dirty>   in a git checkout of SOURCE_DIR
#     (e.g. 0.1.0+2e3be63, 0.1.0+2e3be63-dirty when tracked files are modified,
#      0.1.0+v0.1.0-3-g2e3be63 once tags exist), and
#   <project version>                                   anywhere else (a release tarball, or a
#     tree that is not the top of its own git checkout, e.g. unpacked inside another repository).

if(CMAKE_SCRIPT_MODE_FILE)
  foreach(_v SOURCE_DIR OUTPUT PROJECT_VERSION)
    if(NOT DEFINED ${_v} OR "${${_v}}" STREQUAL "")
      message(FATAL_ERROR "RramsimVersion.cmake: -D${_v}=... is required")
    endif()
  endforeach()
  if(NOT GIT_EXECUTABLE)
    find_program(GIT_EXECUTABLE git)
  endif()
  set(_version "${PROJECT_VERSION}")
  if(GIT_EXECUTABLE)
    # Only SOURCE_DIR's own checkout counts, never a repository that merely contains it.
    execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --show-toplevel
                    WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE _rc
                    OUTPUT_VARIABLE _top OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    file(REAL_PATH "${SOURCE_DIR}" _src)
    if(_rc EQUAL 0 AND NOT "${_top}" STREQUAL "")
      file(REAL_PATH "${_top}" _top)
    endif()
    if(_rc EQUAL 0 AND "${_top}" STREQUAL "${_src}")
      execute_process(COMMAND "${GIT_EXECUTABLE}" describe --always --dirty
                      WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE _rc
                      OUTPUT_VARIABLE _desc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(_rc EQUAL 0 AND NOT "${_desc}" STREQUAL "")
        set(_version "${PROJECT_VERSION}+${_desc}")
      endif()
    endif()
  endif()
  set(_content "/* rramsim_version.h — written at build time by cmake/RramsimVersion.cmake; do not edit. */
#ifndef RRAMSIM_VERSION_H
#define RRAMSIM_VERSION_H
#define RRAMSIM_VERSION_STRING \"${_version}\"
#endif
")
  set(_old "")
  if(EXISTS "${OUTPUT}")
    file(READ "${OUTPUT}" _old)
  endif()
  if(NOT "${_old}" STREQUAL "${_content}")
    # Temp file + rename: a concurrent compile never reads a half-written header.
    get_filename_component(_dir "${OUTPUT}" DIRECTORY)
    file(MAKE_DIRECTORY "${_dir}")
    string(RANDOM LENGTH 8 _tag)
    file(WRITE "${OUTPUT}.tmp.${_tag}" "${_content}")
    file(RENAME "${OUTPUT}.tmp.${_tag}" "${OUTPUT}")
  endif()
  return()
endif()

set(RRAMSIM_VERSION_DIR "${PROJECT_BINARY_DIR}/generated")
set(RRAMSIM_VERSION_HEADER "${RRAMSIM_VERSION_DIR}/rramsim_version.h")
find_package(Git QUIET)
set(_rramsim_version_cmd "${CMAKE_COMMAND}" "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}"
    "-DOUTPUT=${RRAMSIM_VERSION_HEADER}" "-DPROJECT_VERSION=${PROJECT_VERSION}"
    "-DGIT_EXECUTABLE=${GIT_EXECUTABLE}" -P "${CMAKE_CURRENT_LIST_FILE}")
# Once now, so the header exists for the first compile and for tools reading compile_commands.json.
execute_process(COMMAND ${_rramsim_version_cmd} COMMAND_ERROR_IS_FATAL ANY)
# And on every build (a custom target is always out of date); the header's timestamp changes only
# with its content, so dependants rebuild only then.
add_custom_target(rramsim_version
  COMMAND ${_rramsim_version_cmd}
  BYPRODUCTS "${RRAMSIM_VERSION_HEADER}"
  COMMENT "Checking the git description for rramsim --version"
  VERBATIM)
