# Installs the library, its headers and a CMake package so that other projects can
# use find_package(lambdahat) and link lambdahat::lambdahat.
include(CMakePackageConfigHelpers)

install(TARGETS lambdahat EXPORT lambdahatTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES lambdahat.hpp ${LAMBDAHAT_GENERATED_DIR}/lambdahat/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/lambdahat)
foreach(dir tensor autograd nn slt)
  install(DIRECTORY ${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/lambdahat/${dir}
    FILES_MATCHING PATTERN "*.hpp" PATTERN "detail" EXCLUDE)
endforeach()
install(EXPORT lambdahatTargets NAMESPACE lambdahat:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/lambdahat)
configure_package_config_file(cmake/lambdahatConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/lambdahatConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/lambdahat)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/lambdahatConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/lambdahatConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/lambdahatConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/lambdahat)

# pkg-config, for builds without CMake. The prefix is relative to the installed .pc
# file, so the same file serves any --prefix given at install time.
file(RELATIVE_PATH LAMBDAHAT_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" LAMBDAHAT_PC_TO_PREFIX "${LAMBDAHAT_PC_TO_PREFIX}")
configure_file(cmake/lambdahat.pc.in ${CMAKE_CURRENT_BINARY_DIR}/lambdahat.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/lambdahat.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
