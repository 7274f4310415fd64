# becore_add_kernels(<target> FILES <file.cpp|file.cu>...
#                    [PREFIX <name>] [DESTINATION <dir>] [TARGET_DESTINATION <dir>]
#                    [WARM [CUDA_ARCHS <sm_XX>...]] [NO_INSTALL])
#
# Ships annotated kernel files with a shared library (or an executable), so that one start-up call
# in it, be::load_kernels_beside(<address of something it defines>), loads them under PREFIX
# (default: the target's name) from the build tree and from any install prefix, moved or not
# (docs/downstream.md). The link is a manifest, <target's file>.becore-kernels, beside the target's
# file, naming the prefix and the files' directory relative to itself (its format is documented in
# registry/src/kernels_beside.cpp).
#
# Build tree: the build copies the files to <binary dir>/becore_kernels/<target>/kernels/ and
#   writes the manifest beside the target's output file.
# Install: the files go to DESTINATION (default ${CMAKE_INSTALL_DATADIR}/<target>/kernels), the
#   manifest to TARGET_DESTINATION, which must be where install(TARGETS) puts the target (default
#   ${CMAKE_INSTALL_LIBDIR} for a library, ${CMAKE_INSTALL_BINDIR} for an executable). Both are
#   relative to the install prefix, which keeps the install relocatable.
# WARM: at install time becore's `kernelctl build` compiles the installed files into the folder
#   becore-cache beside their directory, a read-only cache layer that load_kernels_beside adds, so
#   the first run after the install compiles nothing: `.cpp` files for the CPU, `.cu` files'
#   CUDA emulation (device cuda-emu), and with CUDA_ARCHS their CUDA binaries for those
#   architectures (needs NVRTC at install time). The CPU code is built for BECORE_CPU_TARGET
#   portable. The folder is left readable by all and writable by its owner only (the trust rule
#   for read-only layers).
# NO_INSTALL: the build tree only (becore's own tests use it for a test library).
#
# A static library has no file of its own at run time (its code lands in the executable), so it
# cannot carry kernels; the function stops with an error then, and for every other misuse.
include_guard(GLOBAL)
include(GNUInstallDirs)

function(becore_add_kernels target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "WARM;NO_INSTALL" "PREFIX;DESTINATION;TARGET_DESTINATION"
                        "FILES;CUDA_ARCHS")
  set(fn "becore_add_kernels(${target})")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${fn}: unexpected arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "${fn}: no target '${target}' (call it after add_library)")
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "SHARED_LIBRARY" OR type STREQUAL "MODULE_LIBRARY")
    set(default_target_destination "${CMAKE_INSTALL_LIBDIR}")
  elseif(type STREQUAL "EXECUTABLE")
    set(default_target_destination "${CMAKE_INSTALL_BINDIR}")
  else()
    message(FATAL_ERROR "${fn}: '${target}' is a ${type}; kernels ship with a SHARED library or "
                        "an executable, the file that load_kernels_beside finds at run time")
  endif()
  get_target_property(already ${target} BECORE_KERNELS_PREFIX)
  if(already)
    message(FATAL_ERROR "${fn}: called a second time; list every file in one call")
  endif()
  if(NOT ARG_FILES)
    message(FATAL_ERROR "${fn}: FILES names no kernel file")
  endif()
  if(ARG_WARM AND ARG_NO_INSTALL)
    message(FATAL_ERROR "${fn}: WARM warms an install; NO_INSTALL has none")
  endif()
  if(ARG_CUDA_ARCHS AND NOT ARG_WARM)
    message(FATAL_ERROR "${fn}: CUDA_ARCHS is for WARM; without WARM nothing compiles at install")
  endif()

  set(prefix "${target}")
  if(DEFINED ARG_PREFIX)
    set(prefix "${ARG_PREFIX}")
  endif()
  if(NOT prefix MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "${fn}: PREFIX '${prefix}' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)")
  endif()
  if(prefix STREQUAL "be")
    message(FATAL_ERROR "${fn}: PREFIX 'be' is reserved for becore's built-in kernels")
  endif()
  set(destination "${CMAKE_INSTALL_DATADIR}/${target}/kernels")
  if(ARG_DESTINATION)
    set(destination "${ARG_DESTINATION}")
  endif()
  set(target_destination "${default_target_destination}")
  if(ARG_TARGET_DESTINATION)
    set(target_destination "${ARG_TARGET_DESTINATION}")
  endif()
  foreach(dir IN ITEMS "${destination}" "${target_destination}")
    if(IS_ABSOLUTE "${dir}")
      message(FATAL_ERROR "${fn}: ${dir} is absolute; give install directories relative to the "
                          "prefix, so that the installed prefix can move")
    endif()
  endforeach()

  set(stage "${CMAKE_CURRENT_BINARY_DIR}/becore_kernels/${target}/kernels")
  set(sources "")
  set(names "")
  set(staged "")
  set(cuda_files "")
  foreach(file IN LISTS ARG_FILES)
    get_filename_component(source "${file}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    get_filename_component(name "${file}" NAME)
    get_filename_component(extension "${file}" LAST_EXT)
    if(NOT EXISTS "${source}")
      message(FATAL_ERROR "${fn}: kernel file ${source} does not exist")
    endif()
    if(NOT extension STREQUAL ".cpp" AND NOT extension STREQUAL ".cu")
      message(FATAL_ERROR "${fn}: ${source} is not a kernel file (.cpp or .cu)")
    endif()
    if(name IN_LIST names)
      message(FATAL_ERROR "${fn}: two files are named ${name}; they are installed into one "
                          "directory")
    endif()
    if(extension STREQUAL ".cu")
      list(APPEND cuda_files "${name}")
    endif()
    list(APPEND sources "${source}")
    list(APPEND names "${name}")
    list(APPEND staged "${stage}/${name}")
  endforeach()
  set_target_properties(${target} PROPERTIES BECORE_KERNELS_PREFIX "${prefix}")

  # The manifest; `dir` is the only line that differs between the build tree and the install.
  set(listing "# Written by becore_add_kernels; read by be::load_kernels_beside.\n")
  string(APPEND listing "becore-kernels 1\nlibrary ${target}\nprefix ${prefix}\n")
  set(files_lines "")
  foreach(name IN LISTS names)
    string(APPEND files_lines "file ${name}\n")
  endforeach()

  add_custom_command(OUTPUT ${staged}
                     COMMAND ${CMAKE_COMMAND} -E make_directory "${stage}"
                     COMMAND ${CMAKE_COMMAND} -E copy_if_different ${sources} "${stage}"
                     DEPENDS ${sources}
                     COMMENT "Staging the kernel files of ${target}" VERBATIM)
  add_custom_target(${target}_becore_kernels DEPENDS ${staged})
  add_dependencies(${target} ${target}_becore_kernels)
  file(GENERATE OUTPUT "$<TARGET_FILE:${target}>.becore-kernels"
       CONTENT "${listing}dir $<PATH:RELATIVE_PATH,${stage},$<TARGET_FILE_DIR:${target}>>\n${files_lines}")

  if(ARG_NO_INSTALL)
    return()
  endif()
  file(RELATIVE_PATH installed_dir "/prefix/${target_destination}" "/prefix/${destination}")
  set(install_manifest_dir "${CMAKE_CURRENT_BINARY_DIR}/becore_kernels/${target}/install")
  set(install_manifest "${install_manifest_dir}/$<TARGET_FILE_NAME:${target}>.becore-kernels")
  file(GENERATE OUTPUT "${install_manifest}" CONTENT "${listing}dir ${installed_dir}\n${files_lines}")
  install(FILES ${sources} DESTINATION "${destination}")
  install(FILES "${install_manifest}" DESTINATION "${target_destination}")

  if(ARG_WARM)
    if(NOT TARGET becore::kernelctl)
      message(FATAL_ERROR "${fn}: WARM runs becore's kernelctl at install time, but there is no "
                          "target becore::kernelctl (find_package(becore) defines it)")
    endif()
    foreach(arch IN LISTS ARG_CUDA_ARCHS)
      if(NOT arch MATCHES "^sm_[0-9]+[a-z]?$")
        message(FATAL_ERROR "${fn}: CUDA_ARCHS '${arch}' is not an architecture like sm_80")
      endif()
    endforeach()
    if(ARG_CUDA_ARCHS AND NOT cuda_files)
      message(FATAL_ERROR "${fn}: CUDA_ARCHS given but FILES has no .cu file")
    endif()
    install(CODE "
      set(BECORE_WARM_TARGET \"${target}\")
      set(BECORE_WARM_KERNELCTL \"$<TARGET_FILE:becore::kernelctl>\")
      set(BECORE_WARM_DIR \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${destination}\")
      set(BECORE_WARM_PREFIX \"${prefix}\")
      set(BECORE_WARM_FILES \"${names}\")
      set(BECORE_WARM_CUDA_FILES \"${cuda_files}\")
      set(BECORE_WARM_CUDA_ARCHS \"${ARG_CUDA_ARCHS}\")
      include(\"${CMAKE_CURRENT_FUNCTION_LIST_DIR}/becore_warm_kernels.cmake\")")
  endif()
endfunction()
