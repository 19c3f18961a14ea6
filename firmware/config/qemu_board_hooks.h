// Forced into every translation unit of the QEMU boards (see qemu.mk): the qemu port
// has no board header, so this is where the board hook meets mp_init().
#ifndef EARSHOT_QEMU_BOARD_HOOKS_H
#define EARSHOT_QEMU_BOARD_HOOKS_H

#ifndef __ASSEMBLER__ // assembly sources get the same flags
void qemu_board_init(void);
#endif
#define MICROPY_PORT_INIT_FUNC qemu_board_init()

#endif // EARSHOT_QEMU_BOARD_HOOKS_H
