# vcpkg overlay port for gpusched (header-only): vcpkg install gpusched --overlay-ports=<repo>/ports
set(VCPKG_BUILD_TYPE release)  # headers only: one configuration is enough

# Builds from the checkout this port lives in. For a release, replace with:
#   vcpkg_from_github(
#     OUT_SOURCE_PATH SOURCE_PATH
#     REPO <owner>/gpusched
#     REF "v${VERSION}"
#     SHA512 <sha512 of the release tarball>
#     HEAD_REF main)
set(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../..")

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DGPUSCHED_BUILD_TESTS=OFF
    -DGPUSCHED_BUILD_EXAMPLES=OFF
    -DGPUSCHED_BUILD_BENCHMARKS=OFF
    -DGPUSCHED_INSTALL=ON)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(CONFIG_PATH share/cmake/gpusched)

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug" "${CURRENT_PACKAGES_DIR}/share/doc")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
