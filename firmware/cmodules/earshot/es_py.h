// The MicroPython API of the `_earshot` bindings, for both packagings of one source:
//   firmware  a static user C module: ROM tables, MP_REGISTER_MODULE, mp_raise_msg_varg and
//             compressed error texts (es_text.h);
//   natmod    a native .mpy module built with py/dynruntime.mk (MICROPY_ENABLE_DYNRUNTIME):
//             no MP_QSTR_ in static tables (qstrs are numbered at load time), no
//             mp_raise_msg_varg, types and globals set up in mpy_init.
// The bindings (mod*.c) include this header instead of py/runtime.h and use:
//   ES_RAISE(Type, "format", args...)    an exception with %s %u %d %c %q formatted
//   ES_TYPE(...) / ES_TYPE_DECLARE / ES_TYPE_INIT   a type with make_new, print, attr and
//                                        methods, from an X-macro list of (qstr, object)
//   ES_MODULE(globals)                   the module: its globals from an X-macro list
//   es_name_t, ES_NAME(id)               names in static tables (qstrs in the firmware)
//   es_dict_get, es_str_is, es_get_int64, es_new_int64, es_new_view, es_malloc_maybe,
//   es_stdin_read_chr                    what dynruntime.h leaves out, written once
// MP_QSTR_ names must be spelled in the .c files (mpy_ld.py finds them in the sources,
// not in headers): X-macro entries carry whole MP_QSTR_name tokens. The helpers' bodies
// are in modearshot.c.
#ifndef EARSHOT_ES_PY_H
#define EARSHOT_ES_PY_H

#if defined(MICROPY_ENABLE_DYNRUNTIME) && MICROPY_ENABLE_DYNRUNTIME
#define ES_DYNRUNTIME (1)
#include "py/dynruntime.h"
#include "py/binary.h"
#include "py/objarray.h"
#include "py/stream.h"
// (dynruntime.h names a few exception types; MemoryError is a static qstr)
#define mp_type_MemoryError (*(mp_obj_type_t *)(mp_load_global(MP_QSTR_MemoryError)))
#else
#define ES_DYNRUNTIME (0)
#include "py/runtime.h"
#include "py/binary.h"
#include "py/objarray.h"
#include "py/objint.h"
#include "py/mphal.h"
#endif

#include <stdarg.h>

// Floats as Python objects: the firmware's configuration, or in a native module the host
// firmware's (every official port with a float type; its mp_fun_table entries).
#if ES_DYNRUNTIME
#define ES_FLOAT_OBJ (1)
#else
#define ES_FLOAT_OBJ (MICROPY_PY_BUILTINS_FLOAT)
#endif

// ulab's ndarray C API, when ulab is a user C module of the same firmware (its
// micropython.mk defines MODULE_ULAB_ENABLED for every source). Never in a native module.
#if !ES_DYNRUNTIME && defined(MODULE_ULAB_ENABLED) && MODULE_ULAB_ENABLED
#define ES_ULAB (1)
#else
#define ES_ULAB (0)
#endif

// ------------------------------------------------------------------- errors
#if ES_DYNRUNTIME
NORETURN void es_raise_fmt(const mp_obj_type_t *type, const char *fmt, ...);
#define ES_RAISE(type, fmt, ...) es_raise_fmt(&mp_type_##type, fmt, __VA_ARGS__)
#else
#define ES_RAISE(type, fmt, ...) mp_raise_msg_varg(&mp_type_##type, MP_ERROR_TEXT(fmt), __VA_ARGS__)
#endif

// ------------------------------------------------------------------- tables
// X-macro lists of X(MP_QSTR_name, kind, value) entries; kind: PTR (an object's address),
// QSTR (a qstr's str object), BOOL (a C truth value, constant in the firmware).
#define ES_ROM_PTR(v) MP_ROM_PTR(v)
#define ES_ROM_QSTR(v) MP_ROM_QSTR(v)
#define ES_ROM_BOOL(v) ((v) ? MP_ROM_TRUE : MP_ROM_FALSE)
#define ES_OBJ_PTR(v) MP_OBJ_FROM_PTR(v)
#define ES_OBJ_QSTR(v) MP_OBJ_NEW_QSTR(v)
#define ES_OBJ_BOOL(v) mp_obj_new_bool(v)
#define ES_ROM_ENTRY(q, kind, v) { MP_ROM_QSTR(q), ES_ROM_##kind(v) },
#define ES_COUNT_ENTRY(q, kind, v) +1
#define ES_MAP_ENTRY(q, kind, v) (mp_map_elem_t) { MP_OBJ_NEW_QSTR(q), ES_OBJ_##kind(v) },
#define ES_STORE_GLOBAL(q, kind, v) mp_store_global(q, ES_OBJ_##kind(v));

#if ES_DYNRUNTIME

#define ES_TYPE_DECLARE(t) \
    extern mp_obj_full_type_t t; \
    void t##_init(void)

// The type's slots and methods are filled in at import (mpy_init calls ES_TYPE_INIT). Its
// methods table is not static: a native module's bss variables cannot be.
#define ES_TYPE(t, qname, make_new_fn, print_fn, attr_fn, METHODS) \
    mp_map_elem_t t##_locals_table[0 METHODS(ES_COUNT_ENTRY)]; \
    static MP_DEFINE_CONST_DICT(t##_locals, t##_locals_table); \
    mp_obj_full_type_t t; \
    void t##_init(void) { \
        mp_map_elem_t entries[] = { METHODS(ES_MAP_ENTRY) }; \
        for (size_t i = 0; i < MP_ARRAY_SIZE(entries); ++i) { \
            t##_locals_table[i] = entries[i]; \
        } \
        t.base.type = (void *)&mp_type_type; \
        t.flags = MP_TYPE_FLAG_NONE; \
        t.name = qname; \
        MP_OBJ_TYPE_SET_SLOT(&t, make_new, make_new_fn, 0); \
        MP_OBJ_TYPE_SET_SLOT(&t, print, print_fn, 1); \
        MP_OBJ_TYPE_SET_SLOT(&t, attr, attr_fn, 2); \
        MP_OBJ_TYPE_SET_SLOT(&t, locals_dict, (void *)&t##_locals, 3); \
    }

#define ES_TYPE_INIT(t) t##_init()

// The module's entry point: types first, then the globals. INIT is a statement run before
// (set-up of what the native runtime lacks).
#define ES_MODULE(name, GLOBALS, INIT) \
    mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) { \
        MP_DYNRUNTIME_INIT_ENTRY \
        INIT; \
        GLOBALS(ES_STORE_GLOBAL) \
        MP_DYNRUNTIME_INIT_EXIT \
    }

#else // firmware

#define ES_TYPE_DECLARE(t) extern const mp_obj_type_t t

#define ES_TYPE(t, qname, make_new_fn, print_fn, attr_fn, METHODS) \
    static const mp_rom_map_elem_t t##_locals_table[] = { METHODS(ES_ROM_ENTRY) }; \
    static MP_DEFINE_CONST_DICT(t##_locals, t##_locals_table); \
    MP_DEFINE_CONST_OBJ_TYPE(t, qname, MP_TYPE_FLAG_NONE, make_new, make_new_fn, \
        print, print_fn, attr, attr_fn, locals_dict, &t##_locals)

#define ES_TYPE_INIT(t) (void)0

// The module object `name##_module` (MP_REGISTER_MODULE stays in the .c file: the build
// finds module registrations in the source). INIT is for the native module only.
#define ES_MODULE(name, GLOBALS, INIT) \
    static const mp_rom_map_elem_t es_module_globals_table[] = { \
        { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(name) }, \
        GLOBALS(ES_ROM_ENTRY) \
    }; \
    static MP_DEFINE_CONST_DICT(es_module_globals, es_module_globals_table); \
    const mp_obj_module_t earshot_user_cmodule = { \
        .base = { &mp_type_module }, \
        .globals = (mp_obj_dict_t *)&es_module_globals, \
    }

#endif

// ------------------------------------------------------------------- names
// Names in static tables (es_name_t, ES_NAME(id)): qstrs in the firmware, where they are ROM
// and a dict whose keys came from JSON shares them (no string per key); C strings in the
// native module, whose qstrs are only numbered at load time. es_name_obj gives the str
// object of a name, es_name_str its C string.
#if ES_DYNRUNTIME
typedef const char *es_name_t;
#define ES_NAME(id) #id
mp_obj_t es_name_obj(es_name_t name);
#define es_name_str(name) (name)
#else
typedef uint16_t es_name_t;
#define ES_NAME(id) MP_QSTR_##id
#define es_name_obj(name) MP_OBJ_NEW_QSTR(name)
#define es_name_str(name) qstr_str(name)
#endif

// ------------------------------------------------------------------- helpers

// Memory that may not be there (NULL then), freed with m_del.
#if ES_DYNRUNTIME
#define es_malloc_maybe(n) m_realloc_maybe(NULL, (n), false)
#else
#define es_malloc_maybe(n) m_malloc_maybe(n)
#endif

// dict[key], or MP_OBJ_NULL when the dict has no such key.
static inline mp_obj_t es_dict_get(mp_obj_t dict, qstr key) {
    mp_obj_t k = MP_OBJ_NEW_QSTR(key);
    if (!mp_obj_is_true(mp_binary_op(MP_BINARY_OP_CONTAINS, dict, k))) {
        return MP_OBJ_NULL;
    }
    return mp_obj_subscr(dict, k, MP_OBJ_SENTINEL);
}

// True when obj is a str equal to the qstr's text.
static inline bool es_str_is(mp_obj_t obj, qstr name) {
    return mp_obj_is_str(obj)
           && mp_binary_op(MP_BINARY_OP_EQUAL, obj, MP_OBJ_NEW_QSTR(name)) == mp_const_true;
}

// An int object's value as int64 (false for a non-int or one out of the int64 range).
bool es_get_int64(mp_obj_t obj, int64_t *out);

// An int object of any int64 value.
#if ES_DYNRUNTIME
mp_obj_t es_new_int64(int64_t v);
#else
#define es_new_int64(v) mp_obj_new_int_from_ll(v)
#endif

// A memoryview of len items of typecode (MP_OBJ_ARRAY_TYPECODE_FLAG_RW for a writable
// one) at byte offset offset of the GC block head; the view keeps head alive.
mp_obj_t es_new_view(char typecode, void *head, size_t offset, size_t len);

// One character of standard input (the console), 4 (Ctrl-D) at its end.
#if ES_DYNRUNTIME
int es_stdin_read_chr(void);
#else
#define es_stdin_read_chr() mp_hal_stdin_rx_chr()
#endif

// The native module's set-up of what the helpers above need (called by ES_MODULE's INIT).
#if ES_DYNRUNTIME
void es_py_init(void);
#endif

#endif // EARSHOT_ES_PY_H
