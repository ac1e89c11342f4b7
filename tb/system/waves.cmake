# system.waves: prisim with and without --wave-out gives the same
# results.json; the FST file holds pq_writer's signals, and with a window
# only the changes inside it; FILE.iotlb.fst holds rtl/iotlb's.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
function(run)
  execute_process(COMMAND ${PRISIM} -q ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "prisim ${ARGN}: exit ${rc}\n${out}${err}")
  endif()
endfunction()
run(-o ${WORK}/plain)
run(-o ${WORK}/waves --wave-out ${WORK}/all.fst)
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK}/plain/results.json ${WORK}/waves/results.json
                RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  message(FATAL_ERROR "--wave-out changed results.json")
endif()
# The default scenario writes 1024 records.
execute_process(COMMAND ${FST_CHECK} ${WORK}/all.fst 0 18446744073709551615 1024 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the whole-run waveform failed its checks")
endif()
# The IOTLB is clocked at least once per fault (a lookup; its clock runs only for work).
execute_process(COMMAND ${FST_CHECK} ${WORK}/all.iotlb.fst 0 18446744073709551615 1024 iotlb clk_i
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the IOTLB's whole-run waveform failed its checks")
endif()
run(-o ${WORK}/window --wave-out ${WORK}/window.fst --wave-window 20:40)
execute_process(COMMAND ${FST_CHECK} ${WORK}/window.fst 20000000 40000000 1 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the windowed waveform failed its checks")
endif()
