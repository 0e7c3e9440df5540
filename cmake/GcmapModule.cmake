# gcmap_add_module(<name> SOURCES ... DEPS ...)
# One static library per module folder: target gcmap_<name>, alias gcmap::<name>,
# public headers under <folder>/include, installed and exported.
function(gcmap_add_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(gcmap_${name} ${M_SOURCES})
  add_library(gcmap::${name} ALIAS gcmap_${name})
  set_target_properties(gcmap_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME gcmap_${name}
    POSITION_INDEPENDENT_CODE ON)
  target_include_directories(gcmap_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(gcmap_${name} PUBLIC ${M_DEPS})
  target_compile_options(gcmap_${name} PRIVATE -Wall -Wextra -Wpedantic)
  if(GCMAP_ASSERTS)
    target_compile_definitions(gcmap_${name} PUBLIC GCMAP_ENABLE_ASSERTS=1)
  endif()
  install(TARGETS gcmap_${name} EXPORT gcmapTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endfunction()
