# RramsimInstall.cmake — `cmake --install` rules: the libraries, their public headers, an exported
# CMake package (find_package(rramsim) → rramsim::bnn, rramsim::trace, rramsim::device,
# rramsim::sim) and a pkg-config file (rramsim.pc). Included last from the top-level CMakeLists.txt.
#
# The libraries are static, so every link dependency travels with the targets: the exported
# targets name their dependencies (SystemC via pkg-config, jansson, zlib, threads, libm) and
# rramsimConfig.cmake finds them again, so a consumer links rramsim::sim alone and never deals
# with link order. Include directories are $<BUILD_INTERFACE:...> in the library CMakeLists and
# `include/` (INCLUDES DESTINATION below) once installed.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(RRAMSIM_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/rramsim" CACHE STRING
    "Where the rramsim CMake package files are installed (relative to the prefix)")
mark_as_advanced(RRAMSIM_INSTALL_CMAKEDIR)

set(_rramsim_export_targets rramsim_bnn rramsim_trace rramsim_warnings)
set_target_properties(rramsim_bnn PROPERTIES EXPORT_NAME bnn)
set_target_properties(rramsim_trace PROPERTIES EXPORT_NAME trace)
# The warning policy is a PRIVATE link of each static library, which CMake exports as a link-only
# dependency: it has to be in the export set, but passes no compile options to consumers.
set_target_properties(rramsim_warnings PROPERTIES EXPORT_NAME warnings)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/workloads/include/bnn"
        "${PROJECT_SOURCE_DIR}/traces/include/rrtrace"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT rramsim_dev)
if(TARGET rramsim_sim)
  list(APPEND _rramsim_export_targets rramsim_device rramsim_sim)
  set_target_properties(rramsim_device PROPERTIES EXPORT_NAME device)
  set_target_properties(rramsim_sim PROPERTIES EXPORT_NAME sim)
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/sim/include/rramsim"
          DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT rramsim_dev)
  # The system and device configs, so an installed platform has a working configuration.
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/configs/systems" "${PROJECT_SOURCE_DIR}/configs/devices"
          DESTINATION "${CMAKE_INSTALL_DATADIR}/rramsim/configs" COMPONENT rramsim_dev)
endif()

install(TARGETS ${_rramsim_export_targets} EXPORT rramsimTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT rramsim_dev
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT rramsim_dev
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(EXPORT rramsimTargets NAMESPACE rramsim:: DESTINATION "${RRAMSIM_INSTALL_CMAKEDIR}"
        COMPONENT rramsim_dev)

set(RRAMSIM_PACKAGE_HAS_SIM OFF)
if(TARGET rramsim_sim)
  set(RRAMSIM_PACKAGE_HAS_SIM ON)
endif()
configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/rramsimConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/package/rramsimConfig.cmake"
  INSTALL_DESTINATION "${RRAMSIM_INSTALL_CMAKEDIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/package/rramsimConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/package/rramsimConfig.cmake"
        "${PROJECT_BINARY_DIR}/package/rramsimConfigVersion.cmake"
        "${CMAKE_CURRENT_LIST_DIR}/FindSystemC.cmake"
        DESTINATION "${RRAMSIM_INSTALL_CMAKEDIR}" COMPONENT rramsim_dev)

# pkg-config: one file for the whole stack, libraries in link order. They are static, so their
# dependencies are public Requires (plain `pkg-config --libs rramsim` links).
if(TARGET rramsim_sim)
  set(RRAMSIM_PC_REQUIRES "systemc tlm jansson zlib")
  set(RRAMSIM_PC_LIBS "-lrramsim_sim -lrramsim_trace -lrramsim_device -lrramsim_bnn")
else()
  set(RRAMSIM_PC_REQUIRES "zlib")
  set(RRAMSIM_PC_LIBS "-lrramsim_trace -lrramsim_bnn")
endif()
# The prefix is found from the .pc file's own place, so `cmake --install --prefix DIR` works.
file(RELATIVE_PATH RRAMSIM_PC_UP "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" RRAMSIM_PC_UP "${RRAMSIM_PC_UP}")
configure_file("${CMAKE_CURRENT_LIST_DIR}/rramsim.pc.in" "${PROJECT_BINARY_DIR}/package/rramsim.pc"
               @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/package/rramsim.pc"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig" COMPONENT rramsim_dev)

if(TARGET rramsim)
  install(TARGETS rramsim RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT rramsim_cli)
endif()
