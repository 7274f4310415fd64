# Run at install time for becore_add_kernels(... WARM) (included by cmake_install.cmake, see
# becore_add_kernels.cmake): compiles the installed kernel files into <dir>/../becore-cache, the
# read-only cache layer that be::load_kernels_beside adds, so the first run compiles nothing.
#
# In: BECORE_WARM_TARGET, BECORE_WARM_KERNELCTL, BECORE_WARM_DIR (the installed kernel directory,
# DESTDIR included), BECORE_WARM_PREFIX, BECORE_WARM_FILES, BECORE_WARM_CUDA_FILES,
# BECORE_WARM_CUDA_ARCHS.
#
# The keys must be the ones a plain process computes at run time: the installer's BECORE_CACHE,
# BECORE_SYSTEM_CACHE (a hit there would store nothing here), BECORE_KERNEL_PATH (its files would
# be warmed too) and BECORE_CACHE_SALT are cleared, and the CPU code is built for the portable
# level, which a lookup on any CPU of that level or newer accepts.
get_filename_component(cache_dir "${BECORE_WARM_DIR}/../becore-cache" ABSOLUTE)
set(fn "becore_add_kernels(${BECORE_WARM_TARGET} WARM)")
message(STATUS "Warming: ${cache_dir}")

set(environment --unset=BECORE_CACHE --unset=BECORE_SYSTEM_CACHE --unset=BECORE_KERNEL_PATH
    --unset=BECORE_CACHE_SALT "BECORE_CACHE_DIR=${cache_dir}" BECORE_CPU_TARGET=portable)
function(warm_run)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env ${environment}
                          "${BECORE_WARM_KERNELCTL}" build --prefix "${BECORE_WARM_PREFIX}" ${ARGN}
                  RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    string(REPLACE ";" " " shown "${ARGN}")
    message(FATAL_ERROR "${fn}: 'kernelctl build --prefix ${BECORE_WARM_PREFIX} ${shown}' failed "
                        "(exit status ${status}); its messages above name the file")
  endif()
endfunction()

list(TRANSFORM BECORE_WARM_FILES PREPEND "${BECORE_WARM_DIR}/" OUTPUT_VARIABLE files)
list(TRANSFORM BECORE_WARM_CUDA_FILES PREPEND "${BECORE_WARM_DIR}/" OUTPUT_VARIABLE cuda_files)
# .cpp files for the CPU, .cu files' CUDA emulation (compiled now; at run time on first use).
warm_run(--device cuda-emu ${files})
foreach(arch IN LISTS BECORE_WARM_CUDA_ARCHS)
  warm_run(--arch ${arch} ${cuda_files})
endforeach()

# The trust rule for read-only layers: writable by the owner only. kernelctl creates the cache
# private (0700); the users of the install must read it.
file(GLOB_RECURSE entries LIST_DIRECTORIES true "${cache_dir}/*")
foreach(entry IN LISTS entries ITEMS "${cache_dir}")
  if(IS_DIRECTORY "${entry}")
    file(CHMOD "${entry}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
               GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  else()
    file(CHMOD "${entry}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
endforeach()
