// The `_earshot` module: MicroPython bindings of earshot's C engine.
//
// check(model, check_crc=True) -> (arena_size, inputs, outputs, meta_offset, meta_size)
//     Runs every loader check of models/FORMAT.md §5 on a buffer (never copied) and
//     raises ValueError("<code> <record> <index>: <reason>") on the first failure.
//     inputs/outputs: tuples of (arena_offset, byte_size, shape, zero_point, scale).
// invoke(model, arena, profile=None) -> None
//     Runs every operator of a model that passed check(). Allocates nothing. profile, a
//     writable buffer of at least op_count uint32 (array('I')), receives the cycles each
//     operator took, where the board has a cycle counter (benchmarks; 0 elsewhere).
// int8_view(bytearray) -> memoryview
//     A writable int8 ('b') memoryview of a whole bytearray (slices of it stay int8).
// crc32(data, crc=0) -> int
//     CRC-32 (zlib) of a buffer.

#include "py/runtime.h"
#include "py/objarray.h"
#include "earshot_config.h"
#include "model_check.h"
#include "es_text.h"
#include "model_run.h"

static void raise_model_error(const es_error_t *err) {
    char buf[ES_TEXT_BUF];
    const char *text = es_text_c_str(err->text, buf);
    if (err->kind) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s %s %u: %s"), err->code,
            err->kind, (unsigned)err->index, text);
    }
    mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s %s"), err->code, text);
}

// True when no other activation buffer of the arena plan overlaps this tensor's bytes
// (aliases of it aside): what the model leaves there stays there across invokes, so a
// streaming input can be updated in place. (Aliases are one level deep: S2-checked.)
static bool arena_exclusive(const uint8_t *model, const es_header_t *h, uint32_t index,
    const es_tensor_t *t) {
    uint32_t root = t->alias_of == ES_NO_TENSOR ? index : t->alias_of;
    for (uint32_t j = 0; j < h->tensor_count; ++j) {
        es_tensor_t o;
        es_read_tensor(model, h, j, &o);
        uint32_t o_root = o.alias_of == ES_NO_TENSOR ? j : o.alias_of;
        if (o.kind != ES_KIND_ACTIVATION || o_root == root || o.byte_size == 0) {
            continue;
        }
        if (o.offset < t->offset + t->byte_size && t->offset < o.offset + o.byte_size) {
            return false;
        }
    }
    return true;
}

// (arena_offset, byte_size, shape, zero_point, scale, exclusive) of tensor index.
static mp_obj_t tensor_info(const uint8_t *model, const es_header_t *h, uint16_t index) {
    es_tensor_t t;
    es_read_tensor(model, h, index, &t);
    mp_obj_t dims[ES_MAX_RANK];
    for (uint32_t d = 0; d < t.rank; ++d) {
        dims[d] = MP_OBJ_NEW_SMALL_INT(t.dims[d]);
    }
    mp_obj_t scale = mp_const_none;
    #if MICROPY_PY_BUILTINS_FLOAT
    const uint8_t *record = model + h->tensors_offset + (size_t)index * ES_TENSOR_RECORD_SIZE;
    uint32_t bits = es_rd_u32(record + 24);
    float f;
    memcpy(&f, &bits, sizeof(f));
    scale = mp_obj_new_float((mp_float_t)f);
    #endif
    mp_obj_t items[6] = {
        mp_obj_new_int_from_uint(t.offset),
        mp_obj_new_int_from_uint(t.byte_size),
        mp_obj_new_tuple(t.rank, dims),
        mp_obj_new_int(t.zero_point),
        scale,
        mp_obj_new_bool(arena_exclusive(model, h, index, &t)),
    };
    return mp_obj_new_tuple(6, items);
}

static mp_obj_t io_infos(const uint8_t *model, const es_header_t *h, uint32_t first,
    uint32_t count) {
    mp_obj_tuple_t *tuple = MP_OBJ_TO_PTR(mp_obj_new_tuple(count, NULL));
    for (uint32_t k = 0; k < count; ++k) {
        uint16_t index = es_rd_u16(model + h->io_offset + 2 * (first + k));
        tuple->items[k] = tensor_info(model, h, index);
    }
    return MP_OBJ_FROM_PTR(tuple);
}

static mp_obj_t earshot_check(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t model;
    mp_get_buffer_raise(args[0], &model, MP_BUFFER_READ);
    bool check_crc = n_args < 2 || mp_obj_is_true(args[1]);
    es_header_t h;
    es_error_t err;
    if (!es_check_header(model.buf, model.len, check_crc, &h, &err)) {
        raise_model_error(&err);
    }
    size_t words = es_check_scratch_words(&h);
    uint32_t *scratch = m_new_maybe(uint32_t, words);
    if (scratch == NULL) {
        mp_raise_msg_varg(&mp_type_MemoryError,
            MP_ERROR_TEXT("model check needs %u bytes of scratch memory"),
            (unsigned)(words * sizeof(uint32_t)));
    }
    bool ok = es_check_body(model.buf, &h, scratch, &err);
    m_del(uint32_t, scratch, words);
    if (!ok) {
        raise_model_error(&err);
    }
    mp_obj_t items[5] = {
        mp_obj_new_int_from_uint(h.arena_size),
        io_infos(model.buf, &h, 0, h.input_count),
        io_infos(model.buf, &h, h.input_count, h.output_count),
        mp_obj_new_int_from_uint(h.meta_offset),
        mp_obj_new_int_from_uint(h.meta_size),
    };
    return mp_obj_new_tuple(5, items);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(earshot_check_obj, 1, 2, earshot_check);

// The model passed check(); these cheap checks keep a wrong pair of buffers from
// reaching the kernels.
static const uint8_t *checked_pair(mp_obj_t model_in, mp_obj_t arena_in, mp_buffer_info_t *arena) {
    mp_buffer_info_t model;
    mp_get_buffer_raise(model_in, &model, MP_BUFFER_READ);
    mp_get_buffer_raise(arena_in, arena, MP_BUFFER_WRITE);
    const uint8_t *m = model.buf;
    if (model.len < ES_HEADER_SIZE || m[0] != 'E' || m[1] != 'S' || m[2] != 'H' || m[3] != 'T'
        || (uint64_t)es_rd_u32(m + 8) + ES_HEADER_SIZE != model.len) {
        mp_raise_ValueError(MP_ERROR_TEXT("not a checked model buffer"));
    }
    if (arena->len < es_rd_u32(m + 16)) {
        mp_raise_ValueError(MP_ERROR_TEXT("arena is smaller than the model's arena_size"));
    }
    return m;
}

// reset(model, arena): the model's variables back to their initial values.
static mp_obj_t earshot_reset(mp_obj_t model_in, mp_obj_t arena_in) {
    mp_buffer_info_t arena;
    const uint8_t *m = checked_pair(model_in, arena_in, &arena);
    es_model_reset(m, m, arena.buf);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(earshot_reset_obj, earshot_reset);

static mp_obj_t earshot_invoke(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t arena;
    const uint8_t *m = checked_pair(args[0], args[1], &arena);
    if (n_args > 2 && args[2] != mp_const_none) {
        mp_buffer_info_t profile;
        mp_get_buffer_raise(args[2], &profile, MP_BUFFER_WRITE);
        if (profile.len < (size_t)es_rd_u16(m + 22) * sizeof(uint32_t)) {
            mp_raise_ValueError(MP_ERROR_TEXT("profile needs one uint32 per operator"));
        }
        if ((uintptr_t)profile.buf % sizeof(uint32_t)) {
            mp_raise_ValueError(MP_ERROR_TEXT("profile buffer is not 4-byte aligned"));
        }
        es_model_run(m, m, arena.buf, profile.buf);
        return mp_const_none;
    }
    es_model_run(m, m, arena.buf, NULL);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(earshot_invoke_obj, 2, 3, earshot_invoke);

static mp_obj_t earshot_int8_view(mp_obj_t buf_in) {
    if (!mp_obj_is_type(buf_in, &mp_type_bytearray)) {
        mp_raise_TypeError(MP_ERROR_TEXT("bytearray required"));
    }
    mp_obj_array_t *array = MP_OBJ_TO_PTR(buf_in);
    // items is the head of the bytearray's storage, so the view keeps it alive.
    return mp_obj_new_memoryview('b' | MP_OBJ_ARRAY_TYPECODE_FLAG_RW, array->len, array->items);
}
static MP_DEFINE_CONST_FUN_OBJ_1(earshot_int8_view_obj, earshot_int8_view);

static mp_obj_t earshot_crc32(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t data;
    mp_get_buffer_raise(args[0], &data, MP_BUFFER_READ);
    uint32_t crc = n_args > 1 ? (uint32_t)mp_obj_get_int_truncated(args[1]) : 0;
    return mp_obj_new_int_from_uint(es_crc32(crc, data.buf, data.len));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(earshot_crc32_obj, 1, 2, earshot_crc32);

// Streaming helpers (modaudio.c).
extern const mp_obj_fun_builtin_fixed_t earshot_mean_square_obj;
extern const mp_obj_fun_builtin_fixed_t earshot_peak_obj;
extern const mp_obj_fun_builtin_fixed_t earshot_mix_stereo_obj;
extern const mp_obj_fun_builtin_fixed_t earshot_shift_in_obj;
extern const mp_obj_fun_builtin_fixed_t earshot_read_line_obj;
extern const mp_obj_fun_builtin_fixed_t earshot_decode_line_obj;
extern const mp_obj_fun_builtin_fixed_t earshot_pack_i32_to_i16_obj;
extern const mp_obj_fun_builtin_fixed_t earshot_copy_obj;

extern const mp_obj_type_t earshot_frontend_type; // modfrontend.c

static const mp_rom_map_elem_t earshot_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__earshot) },
    { MP_ROM_QSTR(MP_QSTR_KERNELS), MP_ROM_QSTR(EARSHOT_KERNELS_QSTR) },
    { MP_ROM_QSTR(MP_QSTR_check), MP_ROM_PTR(&earshot_check_obj) },
    { MP_ROM_QSTR(MP_QSTR_invoke), MP_ROM_PTR(&earshot_invoke_obj) },
    { MP_ROM_QSTR(MP_QSTR_reset), MP_ROM_PTR(&earshot_reset_obj) },
    { MP_ROM_QSTR(MP_QSTR_int8_view), MP_ROM_PTR(&earshot_int8_view_obj) },
    { MP_ROM_QSTR(MP_QSTR_crc32), MP_ROM_PTR(&earshot_crc32_obj) },
    { MP_ROM_QSTR(MP_QSTR_Frontend), MP_ROM_PTR(&earshot_frontend_type) }, // modfrontend.c
    { MP_ROM_QSTR(MP_QSTR_mean_square), MP_ROM_PTR(&earshot_mean_square_obj) },
    { MP_ROM_QSTR(MP_QSTR_peak), MP_ROM_PTR(&earshot_peak_obj) },
    { MP_ROM_QSTR(MP_QSTR_mix_stereo), MP_ROM_PTR(&earshot_mix_stereo_obj) },
    { MP_ROM_QSTR(MP_QSTR_shift_in), MP_ROM_PTR(&earshot_shift_in_obj) },
    { MP_ROM_QSTR(MP_QSTR_read_line), MP_ROM_PTR(&earshot_read_line_obj) },
    { MP_ROM_QSTR(MP_QSTR_decode_line), MP_ROM_PTR(&earshot_decode_line_obj) },
    { MP_ROM_QSTR(MP_QSTR_pack_i32_to_i16), MP_ROM_PTR(&earshot_pack_i32_to_i16_obj) },
    { MP_ROM_QSTR(MP_QSTR_copy), MP_ROM_PTR(&earshot_copy_obj) },
};
static MP_DEFINE_CONST_DICT(earshot_module_globals, earshot_module_globals_table);

const mp_obj_module_t earshot_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&earshot_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__earshot, earshot_user_cmodule);
