# `cmake --install` layout (included at the end of the top-level CMakeLists.txt):
#   bin/                          mqnamesrv, mqbroker, mqadmin, mqbench, sprocket-storage-conformance
#   lib/sprocket/                 the plugins (<kind>_<name>.so; sprocket_add_plugin installs them)
#   libexec/sprocket/             the conformance suite's crash child and shim (tests/conformance)
#   include/sprocket/plugin/      the plugin ABI headers
#   lib/cmake/SprocketPlugin/     find_package(SprocketPlugin): build a plugin out of tree
#   share/sprocket/conf/          sample configs
# The programs find their plugins at <bin>/../lib/sprocket (plugin_loader.h), so the tree
# can be installed under any prefix.
include(CMakePackageConfigHelpers)

foreach(prog mqnamesrv mqbroker mqadmin mqbench)
  if(TARGET ${prog})
    install(TARGETS ${prog} RUNTIME DESTINATION bin COMPONENT programs)
  endif()
endforeach()

install(DIRECTORY ${PROJECT_SOURCE_DIR}/kernel/include/sprocket/plugin/ DESTINATION include/sprocket/plugin
        COMPONENT plugin_dev FILES_MATCHING PATTERN "*.h")

# The package records the ABI version of the headers it installs.
file(STRINGS ${PROJECT_SOURCE_DIR}/kernel/include/sprocket/plugin/abi.h abi_line
     REGEX "kPluginAbiVersion = [0-9]+")
if(NOT abi_line MATCHES "kPluginAbiVersion = ([0-9]+)")
  message(FATAL_ERROR "cannot find kPluginAbiVersion in kernel/include/sprocket/plugin/abi.h")
endif()
set(SPROCKET_PLUGIN_ABI_VERSION ${CMAKE_MATCH_1})
configure_file(${CMAKE_CURRENT_LIST_DIR}/SprocketPluginConfig.cmake.in
               ${CMAKE_BINARY_DIR}/cmake/SprocketPluginConfig.cmake @ONLY)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/SprocketPluginConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/SprocketPluginConfig.cmake
              ${CMAKE_BINARY_DIR}/cmake/SprocketPluginConfigVersion.cmake
        DESTINATION lib/cmake/SprocketPlugin COMPONENT plugin_dev)

if(EXISTS ${PROJECT_SOURCE_DIR}/conf)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/conf/ DESTINATION share/sprocket/conf COMPONENT programs)
endif()
