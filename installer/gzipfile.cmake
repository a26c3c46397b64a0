# cmake -DIN=<file> -DOUT=<file.gz> -DGZIP=<gzip> -P gzipfile.cmake
# gzip -9n: best compression, no name and no timestamp in the header (reproducible, as lintian asks).
execute_process(COMMAND ${GZIP} -9nc ${IN} OUTPUT_FILE ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    file(REMOVE ${OUT})
    message(FATAL_ERROR "gzip ${IN} failed (${rc})")
endif()
