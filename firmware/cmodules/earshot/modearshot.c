// The `_earshot` module: MicroPython bindings of earshot's C engine. One source for the
// firmware's static module and the native .mpy module (es_py.h holds the differences).
//
// Model(buffer, check_crc=True, arena=None) -> Model
//     Runs every loader check of models/FORMAT.md §5 on the model file in buffer (any
//     buffer; ValueError("<code> <record> <index>: <reason>") on the first failure), then
//     keeps its arena, a reference to the buffer, whose constant data (weights, biases,
//     requantization arrays) is read in place at every run, never copied, and, where Python
//     can write to the buffer (bytearray), its own copy of the model's tables (the file's
//     bytes [0, blob_offset): header, io list, tensor and operator records); a read-only
//     buffer (bytes, frozen and flash models) is used as it is, tables too. Every call that
//     runs the model first gets the buffer again and refuses (RuntimeError) one whose
//     address or length changed since the check; bytes that change in place may change
//     results, never make the engine read or write out of bounds.
//     MemoryError("model needs N bytes of arena") when the arena does not fit. arena: a
//     writable, 16-byte aligned buffer of at least arena_size bytes to use as the arena
//     instead (memory the caller places: another RAM bank, a static buffer); it is kept
//     as long as the Model.
//   .invoke(x=None)        copies x (bytes, bytearray, array, memoryview, ndarray of the
//                          first input's type and size) into the first input, then runs the
//                          model. Allocates nothing.
//   .profile(ticks)        runs the model; ticks (array('I'), one per operator) receives the
//                          cycles each operator took where the board has a cycle counter
//                          (benchmarks; 0 elsewhere).
//   .reset()               puts the model's streaming state back to its initial values
//                          (done once when the Model is made).
//   .inputs / .outputs     tuples of writable memoryviews of the tensors in the arena,
//                          typed by the tensor's dtype ('b' int8, 'B' uint8).
//   .input_info / .output_info   per tensor (arena_offset, byte_size, shape, zero_point,
//                          scale, exclusive) as check() gives them.
//   .arena_size, .op_count, .meta (offset, size of the JSON metadata in the file), .buffer
//   .dequantize_output(out, index=0)   out[i] = (q[i] - zero_point) * scale into a float
//                          buffer ('f' or 'd': array, ulab ndarray) of the output's length.
//   .output_array(index=0) / .input_array(index=0)   (firmware with ulab) ndarray views of
//                          the tensor, its dtype and shape, no copy; made once per tensor.
// check(model, check_crc=True) -> (arena_size, inputs, outputs, meta_offset, meta_size)
//     The loader checks alone (model stores, tools); inputs/outputs as .input_info.
// crc32(data, crc=0) -> int
//     CRC-32 (zlib) of a buffer.
// has_ulab: True when the Model makes ndarray views (ulab built into the same firmware).

#define ES_PY_IMPLEMENTATION
#include "es_py.h"
#include "earshot_config.h"
#include "model_check.h"
#include "es_text.h"
#include "model_run.h"

#if ES_ULAB
#include "ndarray.h"
#endif

// ---------------------------------------------------------------- es_py.h helpers

bool es_get_int64(mp_obj_t obj, int64_t *out) {
    if (mp_obj_is_small_int(obj)) {
        *out = MP_OBJ_SMALL_INT_VALUE(obj);
        return true;
    }
    if (!mp_obj_is_exact_type(obj, &mp_type_int)) {
        return false;
    }
    // Four 16-bit chunks (small ints on every port); in range when obj >> 63 is 0 or -1.
    mp_obj_t top = mp_binary_op(MP_BINARY_OP_RSHIFT, obj, MP_OBJ_NEW_SMALL_INT(63));
    if (top != MP_OBJ_NEW_SMALL_INT(0) && top != MP_OBJ_NEW_SMALL_INT(-1)) {
        return false;
    }
    uint64_t v = 0;
    for (int k = 0; k < 4; ++k) {
        mp_obj_t chunk = mp_binary_op(MP_BINARY_OP_AND,
            mp_binary_op(MP_BINARY_OP_RSHIFT, obj, MP_OBJ_NEW_SMALL_INT(16 * k)),
            MP_OBJ_NEW_SMALL_INT(0xFFFF));
        v |= (uint64_t)MP_OBJ_SMALL_INT_VALUE(chunk) << (16 * k);
    }
    *out = (int64_t)v;
    return true;
}

#if ES_DYNRUNTIME
const mp_obj_type_t *es_memoryview_type; // (a native module's bss variables cannot be static)
#define ES_MEMORYVIEW_TYPE es_memoryview_type
#else
#define ES_MEMORYVIEW_TYPE (&mp_type_memoryview)
#endif

mp_obj_t es_new_view(char typecode, void *head, size_t offset, size_t len) {
    mp_obj_array_t *view = m_new_obj(mp_obj_array_t);
    view->base.type = ES_MEMORYVIEW_TYPE;
    view->typecode = (uint8_t)typecode;
    view->free = offset; // a memoryview's offset into head, in items (of one byte here)
    view->len = len;
    view->items = head;
    return MP_OBJ_FROM_PTR(view);
}

#if ES_DYNRUNTIME
mp_obj_t es_name_obj(es_name_t name) {
    size_t len = 0;
    while (name[len]) {
        ++len;
    }
    return mp_obj_new_str(name, len);
}

mp_obj_t es_new_int64(int64_t v) {
    if (v >= -(1 << 29) && v < (1 << 29)) {
        return MP_OBJ_NEW_SMALL_INT((mp_int_t)v);
    }
    mp_obj_t hi = mp_obj_new_int((mp_int_t)(int32_t)(v >> 32));
    mp_obj_t lo = mp_obj_new_int_from_uint((uint32_t)v);
    return mp_binary_op(MP_BINARY_OP_OR,
        mp_binary_op(MP_BINARY_OP_LSHIFT, hi, MP_OBJ_NEW_SMALL_INT(32)), lo);
}

// The formats of the bindings' messages: %s %u %d %c %q (no widths).
NORETURN void es_raise_fmt(const mp_obj_type_t *type, const char *fmt, ...) {
    char buf[160];
    size_t n = 0;
    va_list ap;
    va_start(ap, fmt);
    #define ES_PUT(c) do { if (n < sizeof(buf)) { buf[n++] = (c); } } while (0)
    for (const char *f = fmt; *f; ++f) {
        if (*f != '%' || !f[1]) {
            ES_PUT(*f);
            continue;
        }
        ++f;
        const char *s = NULL;
        size_t len = 0;
        char digits[12];
        if (*f == 's') {
            s = va_arg(ap, const char *);
            while (s[len]) {
                ++len;
            }
        } else if (*f == 'q') {
            s = mp_obj_str_get_data(MP_OBJ_NEW_QSTR(va_arg(ap, qstr)), &len);
        } else if (*f == 'c') {
            digits[0] = (char)va_arg(ap, int);
            s = digits;
            len = 1;
        } else if (*f == 'u' || *f == 'd') {
            unsigned v;
            bool neg = false;
            if (*f == 'd') {
                int d = va_arg(ap, int);
                neg = d < 0;
                v = neg ? 0u - (unsigned)d : (unsigned)d;
            } else {
                v = va_arg(ap, unsigned);
            }
            size_t i = sizeof(digits);
            do {
                digits[--i] = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            if (neg) {
                digits[--i] = '-';
            }
            s = digits + i;
            len = sizeof(digits) - i;
        } else {
            ES_PUT(*f);
        }
        for (size_t i = 0; i < len; ++i) {
            ES_PUT(s[i]);
        }
    }
    #undef ES_PUT
    va_end(ap);
    nlr_raise(mp_obj_new_exception_arg1(type, mp_obj_new_str(buf, n)));
}

// sys.stdin: a stream of the host firmware (not on the heap).
mp_obj_t es_stdin;

int es_stdin_read_chr(void) {
    const mp_stream_p_t *stream = mp_get_stream_raise(es_stdin, MP_STREAM_OP_READ);
    uint8_t c;
    int err;
    mp_uint_t n = stream->read(es_stdin, &c, 1, &err);
    if (n == MP_STREAM_ERROR) {
        mp_raise_OSError(err);
    }
    return n ? c : 4;
}

void es_py_init(void) {
    mp_obj_t empty = mp_obj_new_bytes(NULL, 0);
    es_memoryview_type = mp_obj_get_type(
        mp_call_function_n_kw(mp_load_global(MP_QSTR_memoryview), 1, 0, &empty));
    mp_obj_t sys = mp_import_name(MP_QSTR_sys, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
    es_stdin = mp_load_attr(sys, MP_QSTR_stdin);
}
#endif

// ---------------------------------------------------------------- model checks

static NORETURN void raise_model_error(const es_error_t *err) {
    char buf[ES_TEXT_BUF];
    const char *text = es_text_c_str(err->text, buf);
    if (err->kind) {
        ES_RAISE(ValueError, "%s %s %u: %s", err->code, err->kind, (unsigned)err->index, text);
    }
    ES_RAISE(ValueError, "%s %s", err->code, text);
}

// Checks a model buffer (all of FORMAT.md §5) and fills h.
static void check_model(const mp_buffer_info_t *model, bool check_crc, es_header_t *h) {
    es_error_t err;
    if (!es_check_header(model->buf, model->len, check_crc, h, &err)) {
        raise_model_error(&err);
    }
    size_t words = es_check_scratch_words(h);
    uint32_t *scratch = es_malloc_maybe(words * sizeof(uint32_t));
    if (scratch == NULL) {
        ES_RAISE(MemoryError, "model check needs %u bytes of scratch memory",
            (unsigned)(words * sizeof(uint32_t)));
    }
    bool ok = es_check_body(model->buf, h, scratch, &err);
    m_del(uint32_t, scratch, words);
    if (!ok) {
        raise_model_error(&err);
    }
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

// The tensor of io list entry k (inputs first, then outputs) of a checked model.
static uint16_t io_tensor(const uint8_t *model, const es_header_t *h, uint32_t k) {
    return es_rd_u16(model + h->io_offset + 2 * k);
}

static float tensor_scale(const uint8_t *model, const es_header_t *h, uint16_t index) {
    const uint8_t *record = model + h->tensors_offset + (size_t)index * ES_TENSOR_RECORD_SIZE;
    uint32_t bits = es_rd_u32(record + 24);
    float f;
    memcpy(&f, &bits, sizeof(f));
    return f;
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
    #if ES_FLOAT_OBJ
    scale = mp_obj_new_float_from_f(tensor_scale(model, h, index));
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
    mp_obj_t tuple = mp_obj_new_tuple(count, NULL);
    mp_obj_t *items;
    size_t len;
    mp_obj_get_array(tuple, &len, &items);
    for (uint32_t k = 0; k < count; ++k) {
        items[k] = tensor_info(model, h, io_tensor(model, h, first + k));
    }
    return tuple;
}

static mp_obj_t earshot_check(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t model;
    mp_get_buffer_raise(args[0], &model, MP_BUFFER_READ);
    es_header_t h;
    check_model(&model, n_args < 2 || mp_obj_is_true(args[1]), &h);
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

// ---------------------------------------------------------------- Model

typedef struct _model_obj_t {
    mp_obj_base_t base;
    mp_obj_t buffer; // the model file; its constant data is read in place
    const uint8_t *data; // its address and length when checked
    size_t len;
    uint8_t *arena; // arena_size bytes, a GC block of its own or the caller's buffer
    mp_obj_t arena_owner; // the caller's arena buffer, or None
    mp_obj_t inputs, outputs; // tuples of memoryviews into the arena
    mp_obj_t arrays; // ulab: tuple of ndarray views (inputs, then outputs), made on demand
    es_header_t h; // read from tables
    const uint8_t *tables; // the checked tables: copy, or the read-only buffer itself
    uint8_t copy[]; // a writable buffer's bytes [0, blob_offset), as checked
} model_obj_t;

ES_TYPE_DECLARE(earshot_model_type);

// The memoryview typecode of a model input/output dtype (S-checked: int8 or uint8).
static char io_typecode(uint8_t dtype) {
    return dtype == ES_DTYPE_UINT8 ? 'B' : 'b';
}

static mp_obj_t io_views(model_obj_t *self, uint32_t first, uint32_t count) {
    mp_obj_t tuple = mp_obj_new_tuple(count, NULL);
    mp_obj_t *items;
    size_t len;
    mp_obj_get_array(tuple, &len, &items);
    for (uint32_t k = 0; k < count; ++k) {
        es_tensor_t t;
        es_read_tensor(self->tables, &self->h, io_tensor(self->tables, &self->h, first + k), &t);
        items[k] = es_new_view(io_typecode(t.dtype) | MP_OBJ_ARRAY_TYPECODE_FLAG_RW,
            self->arena, t.offset, t.byte_size);
    }
    return tuple;
}

// The model file's bytes, provided they are still where and what size they were checked.
static const uint8_t *model_data(const model_obj_t *self) {
    mp_buffer_info_t model;
    if (!mp_get_buffer(self->buffer, &model, MP_BUFFER_READ)
        || model.buf != self->data || model.len != self->len) {
        mp_raise_msg(&mp_type_RuntimeError,
            MP_ERROR_TEXT("model buffer moved or changed size after the model was checked"));
    }
    return model.buf;
}

static mp_obj_t model_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
    const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 3, false);
    mp_buffer_info_t model;
    mp_get_buffer_raise(args[0], &model, MP_BUFFER_READ);
    es_header_t h;
    check_model(&model, n_args < 2 || mp_obj_is_true(args[1]), &h);
    mp_obj_t owner = n_args > 2 ? args[2] : mp_const_none;
    uint8_t *arena;
    if (owner != mp_const_none) {
        mp_buffer_info_t given;
        mp_get_buffer_raise(owner, &given, MP_BUFFER_WRITE);
        if (given.len < h.arena_size) {
            ES_RAISE(ValueError, "arena buffer has %u bytes, the model needs %u",
                (unsigned)given.len, (unsigned)h.arena_size);
        }
        if ((uintptr_t)given.buf % 16) {
            mp_raise_ValueError(MP_ERROR_TEXT("arena buffer is not 16-byte aligned"));
        }
        arena = given.buf;
    } else {
        // The arena first: the largest block gets the lowest free memory.
        arena = es_malloc_maybe(h.arena_size ? h.arena_size : 1);
        if (arena == NULL) {
            ES_RAISE(MemoryError, "model needs %u bytes of arena", (unsigned)h.arena_size);
        }
    }
    memset(arena, 0, h.arena_size);
    // A buffer Python can write to (bytearray, its memoryviews, a RAM file buffer) has its
    // tables copied, as checked (the checks put blob_offset inside the buffer, after them);
    // one it cannot (bytes, frozen and flash models) is used as it is, tables too.
    mp_buffer_info_t writable;
    size_t copied = mp_get_buffer(args[0], &writable, MP_BUFFER_WRITE) ? h.blob_offset : 0;
    model_obj_t *self = mp_obj_malloc_var(model_obj_t, copy, uint8_t, copied, type);
    memcpy(self->copy, model.buf, copied);
    self->tables = copied ? self->copy : model.buf;
    es_read_header(self->tables, &self->h);
    self->buffer = args[0];
    self->data = model.buf;
    self->len = model.len;
    self->arrays = mp_const_none;
    self->arena = arena;
    self->arena_owner = owner;
    self->inputs = io_views(self, 0, h.input_count);
    self->outputs = io_views(self, h.input_count, h.output_count);
    es_model_reset(self->tables, model.buf, self->arena);
    return MP_OBJ_FROM_PTR(self);
}

// x's bytes for input 0: its typecode is the input's, or x holds raw bytes (bytes,
// bytearray, a memoryview of either: MicroPython cannot cast one to int8), and it holds
// exactly the input's bytes. Typed arrays of the other signedness (array('B'), a uint8
// ndarray for an int8 input) are refused.
static void copy_input(model_obj_t *self, mp_obj_t x) {
    mp_buffer_info_t src;
    mp_get_buffer_raise(x, &src, MP_BUFFER_READ);
    es_tensor_t t;
    es_read_tensor(self->tables, &self->h, io_tensor(self->tables, &self->h, 0), &t);
    char want = io_typecode(t.dtype);
    bool raw = src.typecode == BYTEARRAY_TYPECODE
        || (src.typecode == 'B' && (mp_obj_is_type(x, &mp_type_bytes)
            || mp_obj_is_type(x, ES_MEMORYVIEW_TYPE)));
    if (!raw && src.typecode != want) {
        ES_RAISE(ValueError, "x has typecode '%c', the input is %s ('%c')",
            src.typecode, want == 'b' ? "int8" : "uint8", want);
    }
    if (src.len != t.byte_size) {
        ES_RAISE(ValueError, "x has %u bytes, the input needs %u %s values",
            (unsigned)src.len, (unsigned)t.byte_size, want == 'b' ? "int8" : "uint8");
    }
    memmove(self->arena + t.offset, src.buf, src.len); // x may be a view of the arena
}

static mp_obj_t model_invoke(size_t n_args, const mp_obj_t *args) {
    model_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    const uint8_t *data = model_data(self);
    if (n_args > 1 && args[1] != mp_const_none) {
        copy_input(self, args[1]);
    }
    es_model_run(self->tables, data, self->arena, NULL);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_invoke_obj, 1, 2, model_invoke);

static mp_obj_t model_profile(mp_obj_t self_in, mp_obj_t ticks_in) {
    model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_buffer_info_t ticks;
    mp_get_buffer_raise(ticks_in, &ticks, MP_BUFFER_WRITE);
    if (ticks.len < (size_t)self->h.op_count * sizeof(uint32_t)) {
        mp_raise_ValueError(MP_ERROR_TEXT("profile needs one uint32 per operator"));
    }
    if ((uintptr_t)ticks.buf % sizeof(uint32_t)) {
        mp_raise_ValueError(MP_ERROR_TEXT("profile buffer is not 4-byte aligned"));
    }
    es_model_run(self->tables, model_data(self), self->arena, ticks.buf);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(model_profile_obj, model_profile);

static mp_obj_t model_reset(mp_obj_t self_in) {
    model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    es_model_reset(self->tables, model_data(self), self->arena);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(model_reset_obj, model_reset);

// Output index (args[k], default 0) of the model, checked.
static uint32_t output_index(const model_obj_t *self, size_t n_args, const mp_obj_t *args,
    size_t k) {
    mp_int_t i = n_args > k ? mp_obj_get_int(args[k]) : 0;
    if (i < 0 || i >= self->h.output_count) {
        ES_RAISE(IndexError, "the model has %u outputs", (unsigned)self->h.output_count);
    }
    return (uint32_t)i;
}

// dequantize_output(out, index=0): out[i] = (q[i] - zero_point) * scale.
static mp_obj_t model_dequantize_output(size_t n_args, const mp_obj_t *args) {
    model_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    uint32_t k = self->h.input_count + output_index(self, n_args, args, 2);
    uint16_t index = io_tensor(self->tables, &self->h, k);
    es_tensor_t t;
    es_read_tensor(self->tables, &self->h, index, &t);
    mp_buffer_info_t out;
    mp_get_buffer_raise(args[1], &out, MP_BUFFER_WRITE);
    size_t size = out.typecode == 'f' ? sizeof(float) : out.typecode == 'd' ? sizeof(double) : 0;
    if (size == 0) {
        ES_RAISE(TypeError, "out has typecode '%c', need a float buffer ('f' or 'd')",
            out.typecode);
    }
    if (out.len != size * t.byte_size) {
        ES_RAISE(ValueError, "out holds %u values, the output has %u",
            (unsigned)(out.len / size), (unsigned)t.byte_size);
    }
    const float scale = tensor_scale(self->tables, &self->h, index);
    const uint8_t *q = self->arena + t.offset;
    for (uint32_t i = 0; i < t.byte_size; ++i) {
        int32_t v = t.dtype == ES_DTYPE_UINT8 ? (int32_t)q[i] : (int32_t)(int8_t)q[i];
        float f = (float)(v - t.zero_point) * scale;
        if (size == sizeof(float)) {
            memcpy((uint8_t *)out.buf + i * size, &f, size);
        } else {
            double d = f;
            memcpy((uint8_t *)out.buf + i * size, &d, size);
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_dequantize_output_obj, 2, 3,
    model_dequantize_output);

// ndarray views of the io tensors (ulab), made once: io list entry k.
static mp_obj_t model_array(model_obj_t *self, uint32_t k) {
    #if ES_ULAB
    uint32_t count = self->h.input_count + self->h.output_count;
    if (self->arrays == mp_const_none) {
        self->arrays = mp_obj_new_tuple(count, NULL);
        mp_obj_tuple_t *arrays = MP_OBJ_TO_PTR(self->arrays);
        for (uint32_t j = 0; j < count; ++j) {
            arrays->items[j] = mp_const_none;
        }
    }
    mp_obj_tuple_t *arrays = MP_OBJ_TO_PTR(self->arrays);
    if (arrays->items[k] == mp_const_none) {
        es_tensor_t t;
        es_read_tensor(self->tables, &self->h, io_tensor(self->tables, &self->h, k), &t);
        // The tensor's shape; while it has more dimensions than this ulab (ULAB_MAX_DIMS),
        // its dimensions of size 1 are dropped, leading ones first.
        uint16_t dims[ES_MAX_RANK];
        uint32_t ndim = t.rank;
        memcpy(dims, t.dims, sizeof(dims));
        for (uint32_t d = 0; ndim > ULAB_MAX_DIMS && d < ndim;) {
            if (dims[d] == 1) {
                memmove(dims + d, dims + d + 1, (ndim - d - 1) * sizeof(dims[0]));
                --ndim;
            } else {
                ++d;
            }
        }
        if (ndim > ULAB_MAX_DIMS) {
            ES_RAISE(ValueError, "tensor has %u dimensions above 1, this ulab at most %u",
                (unsigned)ndim, (unsigned)ULAB_MAX_DIMS);
        }
        size_t shape[ULAB_MAX_DIMS] = { 0 };
        int32_t strides[ULAB_MAX_DIMS] = { 0 };
        int32_t stride = 1; // bytes: one per int8 / uint8 item
        for (uint32_t d = 0; d < ndim; ++d) {
            uint32_t slot = ULAB_MAX_DIMS - 1 - d;
            shape[slot] = dims[ndim - 1 - d];
            strides[slot] = stride;
            stride *= (int32_t)shape[slot];
        }
        uint8_t dtype = t.dtype == ES_DTYPE_UINT8 ? NDARRAY_UINT8 : NDARRAY_INT8;
        ndarray_obj_t *array = ndarray_new_ndarray((uint8_t)ndim, shape, strides, dtype,
            self->arena + t.offset);
        // Keeps the arena alive: the head of its block, or the Model holding the caller's.
        array->origin = self->arena_owner == mp_const_none ? (void *)self->arena : (void *)self;
        arrays->items[k] = MP_OBJ_FROM_PTR(array);
    }
    return arrays->items[k];
    #else
    (void)self;
    (void)k;
    mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT(
        "ndarray views need ulab built into the firmware (ULAB_DIR); use .inputs / .outputs"));
    return mp_const_none; // (not reached; the native runtime's raise is not NORETURN)
    #endif
}

static mp_obj_t model_output_array(size_t n_args, const mp_obj_t *args) {
    model_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    return model_array(self, self->h.input_count + output_index(self, n_args, args, 1));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_output_array_obj, 1, 2, model_output_array);

static mp_obj_t model_input_array(size_t n_args, const mp_obj_t *args) {
    model_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_int_t i = n_args > 1 ? mp_obj_get_int(args[1]) : 0;
    if (i < 0 || i >= self->h.input_count) {
        ES_RAISE(IndexError, "the model has %u inputs", (unsigned)self->h.input_count);
    }
    return model_array(self, (uint32_t)i);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_input_array_obj, 1, 2, model_input_array);

static void model_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    if (dest[0] != MP_OBJ_NULL) {
        return; // read-only attributes
    }
    model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    const es_header_t *h = &self->h;
    if (attr == MP_QSTR_inputs) {
        dest[0] = self->inputs;
    } else if (attr == MP_QSTR_outputs) {
        dest[0] = self->outputs;
    } else if (attr == MP_QSTR_input_info) {
        dest[0] = io_infos(self->tables, h, 0, h->input_count);
    } else if (attr == MP_QSTR_output_info) {
        dest[0] = io_infos(self->tables, h, h->input_count, h->output_count);
    } else if (attr == MP_QSTR_arena_size) {
        dest[0] = mp_obj_new_int_from_uint(h->arena_size);
    } else if (attr == MP_QSTR_op_count) {
        dest[0] = MP_OBJ_NEW_SMALL_INT(h->op_count);
    } else if (attr == MP_QSTR_meta) {
        mp_obj_t items[2] = {
            mp_obj_new_int_from_uint(h->meta_offset), mp_obj_new_int_from_uint(h->meta_size),
        };
        dest[0] = mp_obj_new_tuple(2, items);
    } else if (attr == MP_QSTR_buffer) {
        dest[0] = self->buffer;
    } else {
        dest[1] = MP_OBJ_SENTINEL; // continue lookup in locals_dict
    }
}

static void model_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind) {
    (void)kind;
    model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_printf(print, "<_earshot.Model %u ops, arena %u>", (unsigned)self->h.op_count,
        (unsigned)self->h.arena_size);
}

#define MODEL_METHODS(X) \
    X(MP_QSTR_invoke, PTR, &model_invoke_obj) \
    X(MP_QSTR_profile, PTR, &model_profile_obj) \
    X(MP_QSTR_reset, PTR, &model_reset_obj) \
    X(MP_QSTR_dequantize_output, PTR, &model_dequantize_output_obj) \
    X(MP_QSTR_output_array, PTR, &model_output_array_obj) \
    X(MP_QSTR_input_array, PTR, &model_input_array_obj)

ES_TYPE(earshot_model_type, MP_QSTR_Model, model_make_new, model_print, model_attr,
    MODEL_METHODS);

// ---------------------------------------------------------------- module

static mp_obj_t earshot_crc32(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t data;
    mp_get_buffer_raise(args[0], &data, MP_BUFFER_READ);
    uint32_t crc = n_args > 1 ? (uint32_t)mp_obj_get_int_truncated(args[1]) : 0;
    return mp_obj_new_int_from_uint(es_crc32(crc, data.buf, data.len));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(earshot_crc32_obj, 1, 2, earshot_crc32);

// Streaming helpers (modaudio.c) and the front end (modfrontend.c).
extern const mp_obj_fun_builtin_fixed_t earshot_mean_square_obj;
extern const mp_obj_fun_builtin_fixed_t earshot_peak_obj;
extern const mp_obj_fun_builtin_fixed_t earshot_mix_stereo_obj;
extern const mp_obj_fun_builtin_fixed_t earshot_shift_in_obj;
extern const mp_obj_fun_builtin_fixed_t earshot_read_line_obj;
extern const mp_obj_fun_builtin_fixed_t earshot_decode_line_obj;
extern const mp_obj_fun_builtin_fixed_t earshot_pack_i32_to_i16_obj;
extern const mp_obj_fun_builtin_fixed_t earshot_copy_obj;
ES_TYPE_DECLARE(earshot_frontend_type);

#if EARSHOT_KERNELS_REFERENCE
#define EARSHOT_KERNELS MP_QSTR_reference
#else
#define EARSHOT_KERNELS MP_QSTR_optimized
#endif

#define EARSHOT_GLOBALS(X) \
    X(MP_QSTR_KERNELS, QSTR, EARSHOT_KERNELS) \
    X(MP_QSTR_has_ulab, BOOL, ES_ULAB) \
    X(MP_QSTR_Model, PTR, &earshot_model_type) \
    X(MP_QSTR_Frontend, PTR, &earshot_frontend_type) \
    X(MP_QSTR_check, PTR, &earshot_check_obj) \
    X(MP_QSTR_crc32, PTR, &earshot_crc32_obj) \
    X(MP_QSTR_mean_square, PTR, &earshot_mean_square_obj) \
    X(MP_QSTR_peak, PTR, &earshot_peak_obj) \
    X(MP_QSTR_mix_stereo, PTR, &earshot_mix_stereo_obj) \
    X(MP_QSTR_shift_in, PTR, &earshot_shift_in_obj) \
    X(MP_QSTR_read_line, PTR, &earshot_read_line_obj) \
    X(MP_QSTR_decode_line, PTR, &earshot_decode_line_obj) \
    X(MP_QSTR_pack_i32_to_i16, PTR, &earshot_pack_i32_to_i16_obj) \
    X(MP_QSTR_copy, PTR, &earshot_copy_obj)

ES_MODULE(MP_QSTR__earshot, EARSHOT_GLOBALS,
    (es_py_init(), ES_TYPE_INIT(earshot_model_type), ES_TYPE_INIT(earshot_frontend_type)));

#if !ES_DYNRUNTIME
MP_REGISTER_MODULE(MP_QSTR__earshot, earshot_user_cmodule);
#endif
