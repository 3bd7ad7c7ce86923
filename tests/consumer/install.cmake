# cmake -DBUILD_DIR=<build tree> -DPREFIX=<prefix> [-DCONFIG=<config>] -P install.cmake
# Installs gpusched from BUILD_DIR into an emptied PREFIX, so stale files cannot hide a missing one.
file(REMOVE_RECURSE "${PREFIX}")
set(_config "")
if(CONFIG)
  set(_config --config "${CONFIG}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${_config}
                COMMAND_ERROR_IS_FATAL ANY)
