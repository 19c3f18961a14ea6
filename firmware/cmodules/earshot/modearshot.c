// The `_earshot` module: MicroPython bindings of earshot's C kernels.

#include "py/runtime.h"
#include "earshot_config.h"

static const mp_rom_map_elem_t earshot_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__earshot) },
    { MP_ROM_QSTR(MP_QSTR_KERNELS), MP_ROM_QSTR(EARSHOT_KERNELS_QSTR) },
};
static MP_DEFINE_CONST_DICT(earshot_module_globals, earshot_module_globals_table);

const mp_obj_module_t earshot_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&earshot_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__earshot, earshot_user_cmodule);
