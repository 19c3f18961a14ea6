# earshot's user C module `_earshot` for CMake-based ports (rp2, esp32); see micropython.mk.
add_library(usermod_earshot INTERFACE)
file(GLOB EARSHOT_MOD_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/*.c
    ${CMAKE_CURRENT_LIST_DIR}/kernels/*.c
    ${CMAKE_CURRENT_LIST_DIR}/kernels/optimized/*.c
    ${CMAKE_CURRENT_LIST_DIR}/dsp/*.c
    ${CMAKE_CURRENT_LIST_DIR}/dsp/optimized/*.c
    ${CMAKE_CURRENT_LIST_DIR}/dsp/optimized/*.S
    ${CMAKE_CURRENT_LIST_DIR}/audio/*.c
)
target_sources(usermod_earshot INTERFACE ${EARSHOT_MOD_SOURCES})
target_include_directories(usermod_earshot INTERFACE ${CMAKE_CURRENT_LIST_DIR})
if(EARSHOT_KERNELS STREQUAL "reference")
    target_compile_definitions(usermod_earshot INTERFACE EARSHOT_KERNELS_REFERENCE=1)
endif()
target_link_libraries(usermod INTERFACE usermod_earshot)
