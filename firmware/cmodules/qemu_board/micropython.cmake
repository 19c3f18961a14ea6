# Board support for earshot's QEMU Cortex-M boards (see micropython.mk). The qemu port is
# make-only; this file exists so the module also builds in a CMake-based port.
add_library(usermod_qemu_board INTERFACE)
target_sources(usermod_qemu_board INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/qemu_board.c
    ${CMAKE_CURRENT_LIST_DIR}/modtime.c
    ${CMAKE_CURRENT_LIST_DIR}/modqemu_board.c
)
target_include_directories(usermod_qemu_board INTERFACE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(usermod INTERFACE usermod_qemu_board)
