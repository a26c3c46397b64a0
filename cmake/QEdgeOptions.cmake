# One INTERFACE target carries the language level, warnings and Qt hygiene defines.
# Every QEdge target links it.
add_library(qedge_build_options INTERFACE)
target_compile_features(qedge_build_options INTERFACE cxx_std_17)
target_compile_definitions(qedge_build_options INTERFACE
    QT_NO_CAST_FROM_ASCII
    QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
    QT_USE_QSTRINGBUILDER
    QT_DISABLE_DEPRECATED_BEFORE=0x060400
    QEDGE_VERSION="${PROJECT_VERSION}")
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(qedge_build_options INTERFACE -Wall -Wextra -Wpedantic)
    if(QEDGE_WERROR)
        target_compile_options(qedge_build_options INTERFACE -Werror)
    endif()
elseif(MSVC)
    target_compile_options(qedge_build_options INTERFACE /W4 /permissive-)
    if(QEDGE_WERROR)
        target_compile_options(qedge_build_options INTERFACE /WX)
    endif()
endif()
