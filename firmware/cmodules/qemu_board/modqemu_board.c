// The `qemu_board` module: what earshot's QEMU boards offer beyond the qemu port.
//
// rom_ioctl(cmd, ...) gives the boards the model slots that a real board keeps in
// memory-mapped flash, with the semantics of MicroPython's vfs.rom_ioctl (extmod/vfs.h),
// which the qemu port does not have (MICROPY_VFS_ROM_IOCTL is 0 there):
//   rom_ioctl(1)                    -> number of segments
//   rom_ioctl(2, id)                -> memoryview of segment id (read in place)
//   rom_ioctl(3, id, length)        -> erase the first length bytes (to 0xff); returns
//                                      the write granularity in bytes
//   rom_ioctl(4, id, offset, data)  -> program data at offset: like NOR flash, bits only
//                                      go from 1 to 0 (data is ANDed in); 0 on success
//   rom_ioctl(5, id)                -> end of writing; 0
// Errors are returned as negative errno values, as the ports do. The segments are static
// RAM: zeroed at power-on only (a new QEMU process is a new board), kept across soft
// resets, as flash keeps them across resets.

#include "py/runtime.h"
#include "py/objarray.h"
#include "py/mperrno.h"

#ifndef EARSHOT_MODEL_SLOT_BYTES
#define EARSHOT_MODEL_SLOT_BYTES (0)
#endif

#define QEMU_BOARD_SEGMENTS (2)
// Offsets and lengths of writes must be multiples of this (as on flash parts).
#define QEMU_BOARD_WRITE_ALIGN (16)

#if EARSHOT_MODEL_SLOT_BYTES > 0

#if EARSHOT_MODEL_SLOT_BYTES % QEMU_BOARD_WRITE_ALIGN
#error EARSHOT_MODEL_SLOT_BYTES must be a multiple of the write granularity
#endif

static uint8_t qemu_board_slots[QEMU_BOARD_SEGMENTS][EARSHOT_MODEL_SLOT_BYTES] __attribute__((aligned(16)));

static MP_DEFINE_MEMORYVIEW_OBJ(qemu_board_slot0_obj, 'B', 0, EARSHOT_MODEL_SLOT_BYTES, qemu_board_slots[0]);
static MP_DEFINE_MEMORYVIEW_OBJ(qemu_board_slot1_obj, 'B', 0, EARSHOT_MODEL_SLOT_BYTES, qemu_board_slots[1]);

static mp_obj_array_t *const qemu_board_slot_objs[QEMU_BOARD_SEGMENTS] = {
    &qemu_board_slot0_obj,
    &qemu_board_slot1_obj,
};

static mp_obj_t qemu_board_errno(int err) {
    return MP_OBJ_NEW_SMALL_INT(-err);
}

static mp_obj_t qemu_board_rom_ioctl(size_t n_args, const mp_obj_t *args) {
    mp_int_t cmd = mp_obj_get_int(args[0]);
    if (cmd == 1) {
        return MP_OBJ_NEW_SMALL_INT(QEMU_BOARD_SEGMENTS);
    }
    if (n_args < 2) {
        return qemu_board_errno(MP_EINVAL);
    }
    mp_int_t id = mp_obj_get_int(args[1]);
    if (id < 0 || id >= QEMU_BOARD_SEGMENTS) {
        return qemu_board_errno(MP_EINVAL);
    }
    uint8_t *slot = qemu_board_slots[id];
    switch (cmd) {
        case 2:
            return MP_OBJ_FROM_PTR(qemu_board_slot_objs[id]);
        case 3: {
            if (n_args < 3) {
                return qemu_board_errno(MP_EINVAL);
            }
            mp_int_t length = mp_obj_get_int(args[2]);
            if (length < 0 || length > EARSHOT_MODEL_SLOT_BYTES) {
                return qemu_board_errno(MP_EINVAL);
            }
            // Erase whole write units, as a flash part erases whole sectors.
            size_t end = (length + QEMU_BOARD_WRITE_ALIGN - 1) / QEMU_BOARD_WRITE_ALIGN * QEMU_BOARD_WRITE_ALIGN;
            memset(slot, 0xff, end);
            return MP_OBJ_NEW_SMALL_INT(QEMU_BOARD_WRITE_ALIGN);
        }
        case 4: {
            if (n_args < 4) {
                return qemu_board_errno(MP_EINVAL);
            }
            mp_int_t offset = mp_obj_get_int(args[2]);
            mp_buffer_info_t data;
            mp_get_buffer_raise(args[3], &data, MP_BUFFER_READ);
            if (offset < 0 || offset % QEMU_BOARD_WRITE_ALIGN || data.len % QEMU_BOARD_WRITE_ALIGN
                || data.len > EARSHOT_MODEL_SLOT_BYTES || offset > EARSHOT_MODEL_SLOT_BYTES - (mp_int_t)data.len) {
                return qemu_board_errno(MP_EINVAL);
            }
            const uint8_t *src = data.buf;
            for (size_t i = 0; i < data.len; i++) {
                slot[offset + i] &= src[i];
            }
            return MP_OBJ_NEW_SMALL_INT(0);
        }
        case 5:
            return MP_OBJ_NEW_SMALL_INT(0);
        default:
            return qemu_board_errno(MP_EINVAL);
    }
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(qemu_board_rom_ioctl_obj, 1, 4, qemu_board_rom_ioctl);

#endif // EARSHOT_MODEL_SLOT_BYTES > 0

static const mp_rom_map_elem_t qemu_board_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_qemu_board) },
    #if EARSHOT_MODEL_SLOT_BYTES > 0
    { MP_ROM_QSTR(MP_QSTR_rom_ioctl), MP_ROM_PTR(&qemu_board_rom_ioctl_obj) },
    #endif
};
static MP_DEFINE_CONST_DICT(qemu_board_module_globals, qemu_board_module_globals_table);

const mp_obj_module_t qemu_board_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&qemu_board_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_qemu_board, qemu_board_module);
