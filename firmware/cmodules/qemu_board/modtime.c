// The `time` module for earshot's QEMU boards (the qemu port has none), with the
// MicroPython semantics of ticks_ms/ticks_us/ticks_cpu/ticks_diff/ticks_add and sleeps.

#include "py/runtime.h"
#include "py/smallint.h"
#include "qemu_board.h"

#if !MICROPY_PY_TIME

#define TICKS_PERIOD (MICROPY_PY_TIME_TICKS_PERIOD)
#define TICKS_MAX (TICKS_PERIOD - 1)
#define TICKS_HALFPERIOD (TICKS_PERIOD / 2)

static mp_obj_t qemu_time_ticks(mp_uint_t value) {
    return MP_OBJ_NEW_SMALL_INT(value & TICKS_MAX);
}

static mp_obj_t qemu_time_ticks_ms(void) {
    return qemu_time_ticks(qemu_board_ticks_ms());
}
static MP_DEFINE_CONST_FUN_OBJ_0(qemu_time_ticks_ms_obj, qemu_time_ticks_ms);

static mp_obj_t qemu_time_ticks_us(void) {
    return qemu_time_ticks(qemu_board_ticks_us());
}
static MP_DEFINE_CONST_FUN_OBJ_0(qemu_time_ticks_us_obj, qemu_time_ticks_us);

static mp_obj_t qemu_time_ticks_cpu(void) {
    return qemu_time_ticks((mp_uint_t)qemu_board_ticks_cpu());
}
static MP_DEFINE_CONST_FUN_OBJ_0(qemu_time_ticks_cpu_obj, qemu_time_ticks_cpu);

static mp_obj_t qemu_time_ticks_diff(mp_obj_t end_in, mp_obj_t start_in) {
    // Same wrap-around arithmetic as extmod/modtime.c.
    mp_uint_t start = MP_OBJ_SMALL_INT_VALUE(start_in);
    mp_uint_t end = MP_OBJ_SMALL_INT_VALUE(end_in);
    mp_int_t diff = ((end - start + TICKS_HALFPERIOD) & TICKS_MAX) - TICKS_HALFPERIOD;
    return MP_OBJ_NEW_SMALL_INT(diff);
}
static MP_DEFINE_CONST_FUN_OBJ_2(qemu_time_ticks_diff_obj, qemu_time_ticks_diff);

static mp_obj_t qemu_time_ticks_add(mp_obj_t ticks_in, mp_obj_t delta_in) {
    mp_uint_t ticks = MP_OBJ_SMALL_INT_VALUE(ticks_in);
    mp_uint_t delta = mp_obj_get_int(delta_in);
    if (-(mp_int_t)delta > (mp_int_t)TICKS_HALFPERIOD || (mp_int_t)delta >= (mp_int_t)TICKS_HALFPERIOD) {
        mp_raise_msg(&mp_type_OverflowError, MP_ERROR_TEXT("ticks interval overflow"));
    }
    return qemu_time_ticks(ticks + delta);
}
static MP_DEFINE_CONST_FUN_OBJ_2(qemu_time_ticks_add_obj, qemu_time_ticks_add);

static void qemu_time_wait_us(uint32_t us) {
    uint32_t start = qemu_board_ticks_us();
    while (qemu_board_ticks_us() - start < us) {
        mp_handle_pending(true);
    }
}

static mp_obj_t qemu_time_sleep_us(mp_obj_t us_in) {
    mp_int_t us = mp_obj_get_int(us_in);
    if (us > 0) {
        qemu_time_wait_us(us);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(qemu_time_sleep_us_obj, qemu_time_sleep_us);

static mp_obj_t qemu_time_sleep_ms(mp_obj_t ms_in) {
    mp_int_t ms = mp_obj_get_int(ms_in);
    // One wait per second at most, so the microsecond count never overflows.
    for (; ms > 0; ms -= 1000) {
        qemu_time_wait_us(MIN(ms, 1000) * 1000);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(qemu_time_sleep_ms_obj, qemu_time_sleep_ms);

static mp_obj_t qemu_time_sleep(mp_obj_t seconds_in) {
    #if MICROPY_PY_BUILTINS_FLOAT
    mp_int_t ms = (mp_int_t)(mp_obj_get_float(seconds_in) * 1000);
    #else
    mp_int_t ms = mp_obj_get_int(seconds_in) * 1000;
    #endif
    return qemu_time_sleep_ms(MP_OBJ_NEW_SMALL_INT(ms));
}
static MP_DEFINE_CONST_FUN_OBJ_1(qemu_time_sleep_obj, qemu_time_sleep);

static mp_obj_t qemu_time_time(void) {
    // Seconds since power-on: the emulated boards have no real-time clock.
    return mp_obj_new_int_from_uint(qemu_board_ticks_ms() / 1000);
}
static MP_DEFINE_CONST_FUN_OBJ_0(qemu_time_time_obj, qemu_time_time);

static const mp_rom_map_elem_t qemu_time_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_time) },
    { MP_ROM_QSTR(MP_QSTR_sleep), MP_ROM_PTR(&qemu_time_sleep_obj) },
    { MP_ROM_QSTR(MP_QSTR_sleep_ms), MP_ROM_PTR(&qemu_time_sleep_ms_obj) },
    { MP_ROM_QSTR(MP_QSTR_sleep_us), MP_ROM_PTR(&qemu_time_sleep_us_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks_ms), MP_ROM_PTR(&qemu_time_ticks_ms_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks_us), MP_ROM_PTR(&qemu_time_ticks_us_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks_cpu), MP_ROM_PTR(&qemu_time_ticks_cpu_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks_diff), MP_ROM_PTR(&qemu_time_ticks_diff_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks_add), MP_ROM_PTR(&qemu_time_ticks_add_obj) },
    { MP_ROM_QSTR(MP_QSTR_time), MP_ROM_PTR(&qemu_time_time_obj) },
};
static MP_DEFINE_CONST_DICT(qemu_time_module_globals, qemu_time_module_globals_table);

const mp_obj_module_t qemu_time_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&qemu_time_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_time, qemu_time_module);

#endif // !MICROPY_PY_TIME
