# check_isa.cmake: CTest's check that AVX-512 instructions appear only where a context that chose AVX-512 can reach
# them (src/isa.h). Run as: cmake -DOBJDUMP=objdump -DOBJECTS="a.o|b.o" -DEXPECT=none|avx512 -P check_isa.cmake
#   EXPECT=none:   no object may contain an AVX-512 instruction (zmm or mask registers, embedded broadcasts,
#                  registers 16-31), so the library loads and runs on a processor with AVX2 only;
#   EXPECT=avx512: every object that has code must contain 512-bit instructions (the AVX-512 build really is one).
string(REPLACE "|" ";" objects "${OBJECTS}")
set(avx512_pattern "%zmm[0-9]|%k[0-7]|\\{1to[0-9]+\\}|%[xy]mm(1[6-9]|2[0-9]|3[01])")
set(failures "")
foreach(object IN LISTS objects)
  execute_process(COMMAND ${OBJDUMP} -d --no-show-raw-insn ${object} OUTPUT_VARIABLE listing RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${OBJDUMP} failed on ${object}")
  endif()
  string(REGEX MATCHALL "\n[ ]+[0-9a-f]+:[^\n]*(${avx512_pattern})[^\n]*" hits "${listing}")
  list(LENGTH hits count)
  get_filename_component(name ${object} NAME)
  if(EXPECT STREQUAL "none" AND count GREATER 0)
    list(GET hits 0 first)
    string(STRIP "${first}" first)
    string(APPEND failures "${name}: ${count} AVX-512 instructions, e.g. ${first}\n")
  elseif(EXPECT STREQUAL "avx512" AND count EQUAL 0 AND listing MATCHES "\n[ ]+[0-9a-f]+:")
    string(APPEND failures "${name}: no AVX-512 instruction in the AVX-512 build\n")
  endif()
  message(STATUS "${name}: ${count} AVX-512 instructions")
endforeach()
if(failures)
  message(FATAL_ERROR "${failures}")
endif()
