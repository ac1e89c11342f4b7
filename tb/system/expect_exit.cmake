# Run prisim ARGS; require exit status EXPECT_RC and EXPECT_MSG (a regex) in its output.
execute_process(COMMAND ${PRISIM} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL EXPECT_RC)
  message(FATAL_ERROR "expected exit ${EXPECT_RC}, got ${rc}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT_MSG}")
  message(FATAL_ERROR "output does not match '${EXPECT_MSG}'\nstdout:\n${out}\nstderr:\n${err}")
endif()
