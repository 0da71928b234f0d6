# ctest conformance_out_of_tree_plugin: what plugins/storage/README.md tells a plugin author
# to do, done for real. Runs with `cmake -P` and these variables:
#   BUILD_DIR   the Sprocket build tree (already built)
#   SOURCE_DIR  the Sprocket source tree
#   WORK_DIR    scratch space, emptied first
#   GENERATOR   CMake generator for the plugin's own build
# Steps: cmake --install into WORK_DIR/prefix; copy plugins/storage/memory out of the tree and
# build it against that prefix only; run the installed sprocket-storage-conformance on it.

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}${err}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

run("install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
foreach(f include/sprocket/plugin/storage.h lib/cmake/SprocketPlugin/SprocketPluginConfig.cmake
          bin/sprocket-storage-conformance libexec/sprocket/conformance_child libexec/sprocket/crash_shim.so
          lib/sprocket/storage_memory.so bin/mqbroker)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "the install has no ${f}")
  endif()
endforeach()

# The plugin's folder alone, away from the tree: only the installed package can help it.
file(COPY "${SOURCE_DIR}/plugins/storage/memory" DESTINATION "${WORK_DIR}/src")
run("configure" ${CMAKE_COMMAND} -S "${WORK_DIR}/src/memory" -B "${WORK_DIR}/build" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${prefix}")
file(READ "${prefix}/lib/cmake/SprocketPlugin/SprocketPluginConfig.cmake" config)
if(NOT config MATCHES "set\\(SPROCKET_PLUGIN_ABI_VERSION [0-9]+\\)")
  message(FATAL_ERROR "SprocketPluginConfig.cmake does not state the plugin ABI version")
endif()
run("build" ${CMAKE_COMMAND} --build "${WORK_DIR}/build")
if(NOT EXISTS "${WORK_DIR}/build/storage_memory.so")
  message(FATAL_ERROR "the out-of-tree build made no storage_memory.so")
endif()

run("the installed conformance runner" ${CMAKE_COMMAND} -E env
    "SPROCKET_CONFORMANCE_PLUGIN_DIR=${WORK_DIR}/build" "SPROCKET_CONFORMANCE_PLUGINS=memory:volatile"
    "${prefix}/bin/sprocket-storage-conformance" --gtest_brief=1)
# It must have run the suite, not nothing.
if(NOT last_output MATCHES "\\[  PASSED  \\] ([0-9]+) tests?" OR CMAKE_MATCH_1 LESS 10)
  message(FATAL_ERROR "the runner did not run the suite:\n${last_output}")
endif()
message(STATUS "out-of-tree memory plugin: ${CMAKE_MATCH_1} conformance tests passed")
