# Run prisim ARGS; require exit status EXPECT_RC and EXPECT_MSG (a regex) in its output.
# With EMPTY_LAST_ARG, an empty argument follows ARGS (a CMake list cannot hold
# one). With EXPECT_FILE, that file must be written by the run (it is removed first).
# With REJECT_MSG (a regex), the output must not match it.
if(DEFINED EXPECT_FILE)
  file(REMOVE ${EXPECT_FILE})
endif()
if(EMPTY_LAST_ARG)
  execute_process(COMMAND ${PRISIM} ${ARGS} "" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
else()
  execute_process(COMMAND ${PRISIM} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
endif()
if(NOT rc EQUAL EXPECT_RC)
  message(FATAL_ERROR "expected exit ${EXPECT_RC}, got ${rc}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT_MSG}")
  message(FATAL_ERROR "output does not match '${EXPECT_MSG}'\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(DEFINED EXPECT_FILE AND NOT EXISTS ${EXPECT_FILE})
  message(FATAL_ERROR "the run did not write ${EXPECT_FILE}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(DEFINED REJECT_MSG AND "${out}${err}" MATCHES "${REJECT_MSG}")
  message(FATAL_ERROR "output matches '${REJECT_MSG}'\nstdout:\n${out}\nstderr:\n${err}")
endif()
