# --print-scenario round trip: `prisim ARGS` and `prisim <what prisim ARGS
# --print-scenario printed>` give byte-identical results.json; printing the
# printed scenario again gives the same keys, values and expectations.
# With ARGS_B, `prisim ARGS_B` must give the same results.json too (the same
# scenario written another way, e.g. with units).
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
execute_process(COMMAND ${PRISIM} ${ARGS} --print-scenario WORKING_DIRECTORY ${WORK}
                RESULT_VARIABLE rc OUTPUT_FILE ${WORK}/printed.yaml ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "--print-scenario exited ${rc}: ${err}")
endif()
if(EXISTS ${WORK}/prisim-out)
  message(FATAL_ERROR "--print-scenario ran the scenario")
endif()
set(runs a printed)
set(args_a ${ARGS})
set(args_printed ${WORK}/printed.yaml)
if(DEFINED ARGS_B)
  list(APPEND runs b)
  set(args_b ${ARGS_B})
endif()
foreach(run ${runs})
  execute_process(COMMAND ${PRISIM} ${args_${run}} -q -o ${WORK}/${run} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "run ${run} (${args_${run}}): prisim exited ${rc}\n${out}${err}")
  endif()
  file(READ ${WORK}/${run}/results.json R_${run})
endforeach()
foreach(run ${runs})
  if(NOT R_a STREQUAL R_${run})
    message(FATAL_ERROR "results.json of run ${run} differs from run a (${ARGS})")
  endif()
endforeach()
# Printed again: the same document below the header comment.
execute_process(COMMAND ${PRISIM} ${WORK}/printed.yaml --print-scenario
                RESULT_VARIABLE rc OUTPUT_FILE ${WORK}/printed2.yaml)
foreach(f printed printed2)
  file(STRINGS ${WORK}/${f}.yaml lines_${f} REGEX "^[^#]")
endforeach()
if(NOT rc EQUAL 0 OR NOT "${lines_printed}" STREQUAL "${lines_printed2}")
  message(FATAL_ERROR "the printed scenario printed again differs")
endif()
string(LENGTH "${R_a}" n)
message(STATUS "results.json identical (${n} bytes) for: ${runs}")
