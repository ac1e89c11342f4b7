# Run prisim ARGS with seed 1 and seed 2; the two runs must pass and give
# different values of KEY (a summary field), as random arrivals should.
foreach(seed 1 2)
  execute_process(COMMAND ${PRISIM} ${ARGS} --set seed=${seed} -q -o ${WORK}/seed${seed}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "seed ${seed}: exit ${rc}\n${out}\n${err}")
  endif()
  file(READ ${WORK}/seed${seed}/results.json json)
  string(JSON v${seed} GET "${json}" summary ${KEY})
endforeach()
if(v1 STREQUAL v2)
  message(FATAL_ERROR "summary.${KEY} is ${v1} for seed 1 and seed 2: the arrivals do not depend on the seed")
endif()
message(STATUS "summary.${KEY}: seed 1 ${v1}, seed 2 ${v2}")
