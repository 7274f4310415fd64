# becore.jax (docs/python.md, "JAX"): the subpackage becore/jax, always staged and installed (so
# that without the handler its import says why), and the XLA FFI handler extension _jax_ffi
# (src/jax_ffi.cpp), built against the FFI headers of the jaxlib in the build's Python
# (jax.ffi.include_dir()) when it has JAX; without it the JAX tests skip.
file(GLOB jax_files RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}/becore/jax
     CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/becore/jax/*.py)
set(staged "")
foreach(file IN LISTS jax_files)
  add_custom_command(OUTPUT ${BECORE_PYTHON_STAGE}/jax/${file}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${BECORE_PYTHON_STAGE}/jax
    COMMAND ${CMAKE_COMMAND} -E copy_if_different ${CMAKE_CURRENT_SOURCE_DIR}/becore/jax/${file}
            ${BECORE_PYTHON_STAGE}/jax/${file}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/becore/jax/${file})
  list(APPEND staged ${BECORE_PYTHON_STAGE}/jax/${file})
endforeach()
add_custom_target(becore_jax_files ALL DEPENDS ${staged})
if(SKBUILD)
  install(DIRECTORY becore/jax DESTINATION . FILES_MATCHING PATTERN "*.py")
endif()

# A plain variable, not a cache entry: the headers come from the venv (pip), not from a Debian
# package the Deps test could map them to, and a venv given later is found at the next configure.
execute_process(COMMAND "${Python_EXECUTABLE}" -c "import jax.ffi; print(jax.ffi.include_dir())"
                OUTPUT_VARIABLE jax_ffi_include_dir OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE jax_status ERROR_QUIET)
if(NOT jax_status EQUAL 0 OR NOT EXISTS "${jax_ffi_include_dir}/xla/ffi/api/ffi.h")
  message(STATUS "becore: becore.jax without its FFI handler (${Python_EXECUTABLE} has no jax "
                 "with jax.ffi)")
  return()
endif()
message(STATUS "becore: becore.jax with the XLA FFI headers of ${jax_ffi_include_dir}")
nanobind_add_module(_jax_ffi NB_STATIC src/jax_ffi.cpp)
target_include_directories(_jax_ffi SYSTEM PRIVATE "${jax_ffi_include_dir}")
target_link_libraries(_jax_ffi PRIVATE becore::becore)
set_target_properties(_jax_ffi PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${BECORE_PYTHON_STAGE}
                      INSTALL_RPATH "$ORIGIN/${CMAKE_INSTALL_LIBDIR}")
add_dependencies(_jax_ffi becore_jax_files)
if(SKBUILD)
  install(TARGETS _jax_ffi LIBRARY DESTINATION .)
endif()
