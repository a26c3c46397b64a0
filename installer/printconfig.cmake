# cmake -DEXE=<service binary> -DOUT=<file> -P printconfig.cmake
# Writes the service's own documented defaults (--print-default-config) to OUT, atomically.
# EXTRA_PATH (Windows): directories with the Qt and OpenSSL DLLs, put in front of PATH.
if(EXTRA_PATH)
    if(CMAKE_HOST_WIN32)
        set(ENV{PATH} "${EXTRA_PATH};$ENV{PATH}")
    else()
        string(REPLACE ";" ":" extra "${EXTRA_PATH}")
        set(ENV{PATH} "${extra}:$ENV{PATH}")
    endif()
endif()
execute_process(COMMAND ${EXE} --print-default-config
    OUTPUT_FILE ${OUT}.tmp ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    file(REMOVE ${OUT}.tmp)
    message(FATAL_ERROR "${EXE} --print-default-config failed (${rc}): ${err}")
endif()
file(SIZE ${OUT}.tmp size)
if(size EQUAL 0)
    file(REMOVE ${OUT}.tmp)
    message(FATAL_ERROR "${EXE} --print-default-config printed nothing")
endif()
file(RENAME ${OUT}.tmp ${OUT})
