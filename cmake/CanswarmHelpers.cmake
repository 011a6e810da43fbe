# Helpers shared by every directory.

# canswarm_protocol_library(<name> SOURCES ... [DEPS ...])
# A pure protocol library: target canswarm_<name>, alias canswarm::<name>,
# public headers in include/. It must never link CAF; this is checked at
# configure time.
function(canswarm_protocol_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  foreach(dep IN LISTS ARG_DEPS)
    if(dep MATCHES "^CAF::")
      message(FATAL_ERROR "protocol library ${name} must not link CAF")
    endif()
  endforeach()
  if(ARG_SOURCES)
    add_library(canswarm_${name} STATIC ${ARG_SOURCES})
    target_include_directories(canswarm_${name} PUBLIC
      ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(canswarm_${name} PUBLIC ${ARG_DEPS})
    target_compile_options(canswarm_${name} PRIVATE ${CANSWARM_WARNINGS})
  else()
    add_library(canswarm_${name} INTERFACE)
    target_include_directories(canswarm_${name} INTERFACE
      ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(canswarm_${name} INTERFACE ${ARG_DEPS})
  endif()
  add_library(canswarm::${name} ALIAS canswarm_${name})
endfunction()

# canswarm_test(<name> SOURCES ... [DEPS ...] [LABELS ...] [TIMEOUT s])
# A doctest executable registered with ctest as one test per binary.
function(canswarm_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(test_${name} ${ARG_SOURCES})
  target_link_libraries(test_${name} PRIVATE canswarm_test_main ${ARG_DEPS})
  target_compile_options(test_${name} PRIVATE ${CANSWARM_WARNINGS})
  add_test(NAME ${name} COMMAND test_${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "CANSWARM_BINARY=$<TARGET_FILE:canswarm>;CANSWARM_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    LABELS "${ARG_LABELS}")
endfunction()
