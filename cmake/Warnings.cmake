# Warnings, sanitizers and machine-specific code generation, applied per target.

function(lambdahat_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(LAMBDAHAT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Code generation for the machine the build runs on (xsimd then picks the widest
# vector instructions available), unless LAMBDAHAT_PORTABLE is set.
function(lambdahat_set_machine_flags target)
  if(NOT LAMBDAHAT_PORTABLE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
endfunction()

if(LAMBDAHAT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# Fuzzing: everything is instrumented for coverage and checked by AddressSanitizer;
# the fuzz targets themselves link libFuzzer's main.
if(LAMBDAHAT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LAMBDAHAT_FUZZ needs clang (libFuzzer); configure with CXX=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
