# Writes <build>/system_files.txt: every file the configure step took from the system, one
# "<cache variable>\t<path>\t<required|optional>" line each. The Deps test (tests/deps) maps each
# path to its Debian package and checks that scripts/deps.sh installs it, so a package missing
# from deps.sh fails CI on any machine, not only on a bare one.
#
# It is derived from the CMake cache, so a find_package/find_library/find_program/find_file added
# later is covered without editing this file:
#  - FILEPATH variables (find_library, find_program, find_file) are recorded as they are;
#  - <Package>_DIR variables (find_package in config mode) by the package's config file;
#  - other PATH variables (find_path) by a header they were found by, from the table below. A
#    find_path result missing from the table makes the test fail with a message saying so.
#  - the library file of every imported target that a becore target links (libclang-cpp, the
#    static LLVM components, TBB, SQLite, GoogleTest, ...);
#  - headers the build includes through a package's include directories, which no cache
#    variable names (BECORE_HEADER_PROBES below);
#  - the CMake programs themselves (cmake, ctest).
# Tools that CTest and CMake's own modules look for without needing them are "optional": the
# test lists them but does not require their package. CMAKE_LINKER among them: CMake records a
# linker (with clang it prefers ld.lld, which Debian's `lld` package provides) but links through
# the compiler driver, which uses its default linker, binutils' ld.

set(BECORE_OPTIONAL_SYSTEM_FILES
    COVERAGE_COMMAND MEMORYCHECK_COMMAND GITCOMMAND LIBXML2_XMLLINT_EXECUTABLE
    PKG_CONFIG_EXECUTABLE CMAKE_ADDR2LINE CMAKE_DLLTOOL CMAKE_OBJCOPY CMAKE_OBJDUMP CMAKE_READELF
    CMAKE_STRIP CMAKE_NM CMAKE_TAPI CMAKE_LINKER)

# find_path results -> a file inside that identifies what was found.
set(BECORE_FIND_PATH_PROBES
    XXHASH_INCLUDE_DIR=xxhash.h SQLite3_INCLUDE_DIR=sqlite3.h ZLIB_INCLUDE_DIR=zlib.h
    LIBXML2_INCLUDE_DIR=libxml/parser.h FFI_INCLUDE_DIRS=ffi.h
    BECORE_CUDA_INCLUDE_DIR=cuda_fp16.h MPI_CXX_HEADER_DIR=mpi.h)

# Headers found through an imported package's include directories: one per package.
set(BECORE_HEADER_PROBES
    "${LLVM_INCLUDE_DIRS}/llvm/ExecutionEngine/Orc/LLJIT.h"
    "${CLANG_INCLUDE_DIRS}/clang/Frontend/CompilerInstance.h"
    ${BECORE_PYTHON_HEADER_PROBE})

# Every target defined in `dir` and the directories below it.
function(becore_targets_below dir out)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    becore_targets_below("${sub}" below)
    list(APPEND targets ${below})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

# "<target>\t<file>" for every imported library that a becore target links, directly or through
# another imported target's interface.
function(becore_imported_libraries out)
  becore_targets_below("${PROJECT_SOURCE_DIR}" targets)
  set(pending "")
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    if(type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(libs ${t} INTERFACE_LINK_LIBRARIES)
    else()
      get_target_property(libs ${t} LINK_LIBRARIES)
    endif()
    if(libs)
      list(APPEND pending ${libs})
    endif()
  endforeach()
  set(seen "")
  set(lines "")
  while(pending)
    list(POP_FRONT pending lib)
    if(NOT TARGET "${lib}" OR lib IN_LIST seen)
      continue()
    endif()
    list(APPEND seen "${lib}")
    get_target_property(imported ${lib} IMPORTED)
    if(NOT imported)
      continue()
    endif()
    get_target_property(more ${lib} INTERFACE_LINK_LIBRARIES)
    if(more)
      list(APPEND pending ${more})
    endif()
    get_target_property(configs ${lib} IMPORTED_CONFIGURATIONS)
    set(location "")
    foreach(config IN LISTS configs ITEMS "")
      if(config)
        get_target_property(location ${lib} IMPORTED_LOCATION_${config})
      else()
        get_target_property(location ${lib} IMPORTED_LOCATION)
      endif()
      if(location)
        break()
      endif()
    endforeach()
    if(location AND EXISTS "${location}")
      string(APPEND lines "${lib}\t${location}\trequired\n")
    endif()
  endwhile()
  set(${out} "${lines}" PARENT_SCOPE)
endfunction()

function(becore_write_system_files out)
  get_cmake_property(vars CACHE_VARIABLES)
  get_property(found GLOBAL PROPERTY PACKAGES_FOUND)
  get_property(not_found GLOBAL PROPERTY PACKAGES_NOT_FOUND)
  set(searched ${found} ${not_found})
  set(lines "")
  foreach(var IN LISTS vars)
    get_property(type CACHE ${var} PROPERTY TYPE)
    set(value "${${var}}")
    if(NOT value MATCHES "^/" OR value MATCHES "-NOTFOUND$")
      continue()
    endif()
    cmake_path(IS_PREFIX PROJECT_SOURCE_DIR "${value}" in_source)
    cmake_path(IS_PREFIX PROJECT_BINARY_DIR "${value}" in_build)
    # GNUInstallDirs' CMAKE_INSTALL_* are where becore would go, not files it takes.
    if(in_source OR in_build OR var MATCHES "^CMAKE_INSTALL_")
      continue()
    endif()
    set(path "")
    if(type STREQUAL "FILEPATH" AND EXISTS "${value}" AND NOT IS_DIRECTORY "${value}")
      set(path "${value}")
    elseif(type STREQUAL "PATH" AND IS_DIRECTORY "${value}")
      # A config package's directory, else a find_path result identified by its probe header.
      if(var MATCHES "^(.+)_DIR$")
        set(pkg "${CMAKE_MATCH_1}")
        string(TOLOWER "${pkg}" lower)
        foreach(candidate "${pkg}Config.cmake" "${lower}-config.cmake")
          if(EXISTS "${value}/${candidate}")
            set(path "${value}/${candidate}")
            break()
          endif()
        endforeach()
        # A package no find_package of this configure asked for (left in the cache by an older
        # CMakeLists.txt) is not taken from the system.
        if(path AND NOT pkg IN_LIST searched)
          continue()
        endif()
      endif()
      foreach(probe IN LISTS BECORE_FIND_PATH_PROBES)
        if(probe MATCHES "^${var}=(.+)$")
          set(path "${value}/${CMAKE_MATCH_1}")
        endif()
      endforeach()
      if(NOT path)
        set(path "${value}/(a directory: name its config file or a probe header in BECORE_FIND_PATH_PROBES)")
      endif()
    else()
      continue()
    endif()
    set(need required)
    if(var IN_LIST BECORE_OPTIONAL_SYSTEM_FILES)
      set(need optional)
    endif()
    string(APPEND lines "${var}\t${path}\t${need}\n")
  endforeach()
  becore_imported_libraries(imported)
  string(APPEND lines "${imported}")
  foreach(header IN LISTS BECORE_HEADER_PROBES)
    string(APPEND lines "header\t${header}\trequired\n")
  endforeach()
  string(APPEND lines "CMAKE_COMMAND\t${CMAKE_COMMAND}\trequired\n")
  string(APPEND lines "CMAKE_CTEST_COMMAND\t${CMAKE_CTEST_COMMAND}\trequired\n")
  file(WRITE "${out}" "${lines}")
endfunction()
