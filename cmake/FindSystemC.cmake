# FindSystemC: Debian's libsystemc-dev ships only pkg-config files (systemc.pc, tlm.pc) and no
# CMake package, so this module wraps pkg_check_modules into imported targets.
#
# Provides:
#   SystemC::systemc   - the SystemC kernel library (includes, libs, pthread)
#   SystemC::tlm       - TLM-2.0 headers (header-only; links SystemC::systemc)
#   SystemC_FOUND, SystemC_VERSION, TLM_VERSION
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_SYSTEMC QUIET systemc)
  pkg_check_modules(PC_TLM QUIET tlm)
endif()

find_path(SystemC_INCLUDE_DIR NAMES systemc systemc.h HINTS ${PC_SYSTEMC_INCLUDE_DIRS})
find_library(SystemC_LIBRARY NAMES systemc HINTS ${PC_SYSTEMC_LIBRARY_DIRS})
find_path(TLM_INCLUDE_DIR NAMES tlm tlm.h HINTS ${PC_TLM_INCLUDE_DIRS} ${SystemC_INCLUDE_DIR})
set(SystemC_VERSION "${PC_SYSTEMC_VERSION}")
set(TLM_VERSION "${PC_TLM_VERSION}")

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SystemC
  REQUIRED_VARS SystemC_LIBRARY SystemC_INCLUDE_DIR TLM_INCLUDE_DIR
  VERSION_VAR SystemC_VERSION)

if(SystemC_FOUND AND NOT TARGET SystemC::systemc)
  find_package(Threads REQUIRED)
  add_library(SystemC::systemc UNKNOWN IMPORTED)
  set_target_properties(SystemC::systemc PROPERTIES
    IMPORTED_LOCATION "${SystemC_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SystemC_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
  add_library(SystemC::tlm INTERFACE IMPORTED)
  set_target_properties(SystemC::tlm PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${TLM_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES SystemC::systemc)
endif()
mark_as_advanced(SystemC_INCLUDE_DIR SystemC_LIBRARY TLM_INCLUDE_DIR)
