# Finds lambdahat's dependencies. Each missing one stops configuration with the
# Debian package that provides it.
include(GNUInstallDirs)

macro(lambdahat_require package debian_package)
  find_package(${package} ${ARGN} QUIET)
  if(NOT ${package}_FOUND)
    message(FATAL_ERROR
      "lambdahat needs ${package}, which was not found.\n"
      "On Debian or Ubuntu install it with:  apt-get install ${debian_package}")
  endif()
endmacro()

lambdahat_require(xsimd libxsimd-dev)
lambdahat_require(OpenMP libomp-dev)   # GCC's libgomp comes with g++; this names the clang runtime
if(LAMBDAHAT_BUILD_TESTS)
  lambdahat_require(GTest libgtest-dev)
endif()
if(LAMBDAHAT_BUILD_CLI)
  lambdahat_require(CLI11 libcli11-dev)
  lambdahat_require(nlohmann_json nlohmann-json3-dev)
endif()
if(LAMBDAHAT_BUILD_BENCHMARKS)
  lambdahat_require(benchmark libbenchmark-dev)
endif()
