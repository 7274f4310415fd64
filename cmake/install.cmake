# `cmake --install <build> --prefix <prefix>`: the libraries and public headers, the compiler
# plugin and ORC runtime (<libdir>/becore), the kernel-side headers and built-in kernels
# (share/becore/kernels, installed by kernels/CMakeLists.txt), the tools, a CMake package
# (find_package(becore): becore::becore and the module targets) and becore.pc. Everything refers
# to the prefix relatively, so a moved prefix keeps working (docs/architecture.md, "Install").
include(CMakePackageConfigHelpers)
set(BECORE_CMAKE_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/becore)

target_compile_features(becore INTERFACE cxx_std_20)
set_target_properties(becore_runtime becore_cache becore_registry becore_frontends
                      PROPERTIES INSTALL_RPATH "$ORIGIN")
# The plugin needs only LLVM's own libraries, found through their link directory.
set_target_properties(becore_clang_plugin PROPERTIES INSTALL_RPATH "")

set(BECORE_EXPORTED becore becore_kernels becore_runtime becore_cache becore_registry
    becore_frontends)
if(BECORE_MPI)
  list(APPEND BECORE_EXPORTED becore_mpi)
  set_target_properties(becore_mpi PROPERTIES INSTALL_RPATH "$ORIGIN")
endif()
if(BECORE_BUILD_TOOLS)
  # Exported too (becore::kernelctl), so a downstream build can compile its kernels with it.
  list(APPEND BECORE_EXPORTED kernelctl besim)
endif()
install(TARGETS ${BECORE_EXPORTED} EXPORT becoreTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS becore_clang_plugin LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/becore)
install(FILES ${BECORE_ORC_RUNTIME} DESTINATION ${CMAKE_INSTALL_LIBDIR}/becore
        RENAME liborc_rt.a)
foreach(module runtime cache registry frontends)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${module}/include/
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()

install(EXPORT becoreTargets NAMESPACE becore:: DESTINATION ${BECORE_CMAKE_DESTINATION})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/becoreConfig.cmake.in
  ${CMAKE_BINARY_DIR}/becoreConfig.cmake INSTALL_DESTINATION ${BECORE_CMAKE_DESTINATION})
# 0.x: a minor version may break the API.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/becoreConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/becoreConfig.cmake ${CMAKE_BINARY_DIR}/becoreConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/becore_add_kernels.cmake
              ${CMAKE_CURRENT_LIST_DIR}/becore_warm_kernels.cmake
        DESTINATION ${BECORE_CMAKE_DESTINATION})

# becore.pc: its prefix is ${pcfiledir} and the way up from <libdir>/pkgconfig.
set(BECORE_PC_DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH BECORE_PC_TO_PREFIX /${BECORE_PC_DESTINATION} /)
string(REGEX REPLACE "/$" "" BECORE_PC_TO_PREFIX "${BECORE_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/becore.pc.in ${CMAKE_BINARY_DIR}/becore.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/becore.pc DESTINATION ${BECORE_PC_DESTINATION})

if(BECORE_INSTALL_WARM_CACHE)
  # Last: it runs the kernelctl and the built-ins installed above (CMP0082 keeps the order).
  configure_file(${CMAKE_CURRENT_LIST_DIR}/warm_cache.cmake.in
                 ${CMAKE_BINARY_DIR}/becore_warm_cache.cmake @ONLY)
  install(SCRIPT ${CMAKE_BINARY_DIR}/becore_warm_cache.cmake)
endif()
