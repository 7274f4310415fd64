# BECORE_SANITIZE=<list> (e.g. address,undefined): instruments everything this tree compiles —
# becore's libraries, the compiler plugin, the tools and the tests (the tests run kernelctl and
# besim as subprocesses, so those are instrumented too) — with the given sanitizers. Kernels that
# the runtime JIT-compiles are not: they are compiled at run time by the in-process clang, without
# sanitizer flags, and run next to instrumented code (docs/testing.md, "Sanitizers").
# The bench programs are left out of such a build: instrumented timings mean nothing.
set(BECORE_SANITIZE "" CACHE STRING
    "Sanitizers to build with, as for -fsanitize= (e.g. address,undefined); empty: none")
if(NOT BECORE_SANITIZE)
  return()
endif()
string(REPLACE "," ";" becore_sanitizers "${BECORE_SANITIZE}")
foreach(sanitizer IN LISTS becore_sanitizers)
  if(NOT sanitizer MATCHES "^(address|undefined|leak)$")
    message(FATAL_ERROR "BECORE_SANITIZE=${BECORE_SANITIZE}: '${sanitizer}' is not one of "
                        "address, undefined, leak (the combinations the suite is kept clean under)")
  endif()
endforeach()
if(BECORE_BUILD_BENCH)
  message(FATAL_ERROR "BECORE_SANITIZE=${BECORE_SANITIZE} with BECORE_BUILD_BENCH=ON: the bench "
                      "programs measure time, which instrumentation distorts; set "
                      "BECORE_BUILD_BENCH=OFF (the 'sanitize' preset does)")
endif()
# Frame pointers give ASan's fast unwinder whole stacks; a UBSan finding stops the program (exit
# code non-zero) instead of printing and going on, so a test cannot pass over one.
add_compile_options(-fsanitize=${BECORE_SANITIZE} -fno-omit-frame-pointer)
add_link_options(-fsanitize=${BECORE_SANITIZE})
if("undefined" IN_LIST becore_sanitizers)
  add_compile_options(-fno-sanitize-recover=undefined)
endif()
