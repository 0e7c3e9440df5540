# The dependencies every gcmap target needs, all from Debian packages:
# libjemalloc-dev and libxxhash-dev (pkg-config), libtbb-dev (CMake config).
# gcmapConfig.cmake.in finds the same ones for an installed consumer.
find_package(Threads REQUIRED)
find_package(TBB REQUIRED COMPONENTS tbb)
find_package(PkgConfig REQUIRED)
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET GLOBAL jemalloc)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET GLOBAL libxxhash)
