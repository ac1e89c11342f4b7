# SPDX-License-Identifier: Apache-2.0
#
# The training run of the profile-guided build (CMakeLists.txt, PRISIM_PGO):
# the instrumented prisim runs the regression scenarios whose paths the
# benchmarks measure (the built-in default scenario, groups, overflow-pq2),
# and writes its profile into PROFILE_DIR. The previous profile is removed
# first: the counts of two runs of the same program would add up.
# A run that fails (a model change that breaks a scenario) leaves a warning,
# not a failed build: its profile is still written when it exits, a crashed
# run's is not, and objects without one compile as without the option, so
# the build goes on and the tests say what broke.
#   cmake -DPRISIM=<instrumented prisim> -DPROFILE_DIR=<dir> -DSCENARIOS=<scenarios/>
#         -DWORK=<scratch dir> -P pgo_train.cmake
foreach(v PRISIM PROFILE_DIR SCENARIOS WORK)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "pgo_train.cmake: -D${v}=... is required")
  endif()
endforeach()
file(GLOB old "${PROFILE_DIR}/*.gcda")
if(old)
  file(REMOVE ${old})
endif()
file(MAKE_DIRECTORY ${PROFILE_DIR} ${WORK})
foreach(scenario default groups overflow-pq2)
  if(scenario STREQUAL "default")
    set(args) # the built-in default scenario
  else()
    set(args ${SCENARIOS}/${scenario}.yaml)
  endif()
  execute_process(COMMAND ${PRISIM} ${args} -q -o ${WORK}/${scenario}
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(WARNING "pgo_train.cmake: the training run ${PRISIM} ${args} exited ${rc}:\n${err}")
  endif()
endforeach()
file(GLOB written "${PROFILE_DIR}/*.gcda")
list(LENGTH written n)
if(n EQUAL 0)
  message(WARNING "pgo_train.cmake: the training runs wrote no profile into ${PROFILE_DIR}: "
                  "the simulators are built without one")
else()
  message(STATUS "prisim PGO: profile of ${n} objects in ${PROFILE_DIR}")
endif()
