# Arguments a CMake command line cannot carry well, built here; then the
# checks of expect_exit.cmake. CASE selects them.
if(CASE STREQUAL "long_expectation")
  # 40,000 key characters.
  string(REPEAT "a" 40000 key)
  set(ARGS /dev/null --expect "${key} > 1")
elseif(CASE STREQUAL "invalid_utf8_set")
  # A name that is the single byte 0xff.
  string(ASCII 255 ff)
  set(ARGS /dev/null --set "name=${ff}")
else()
  message(FATAL_ERROR "unknown CASE '${CASE}'")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/expect_exit.cmake)
