// _earshot.Frontend: the audio front end of a model, on a stream of hops (dsp/).
//
// Frontend(model_buffer, frontend) -> Frontend
//     model_buffer: the model file (any buffer, kept alive by the object; its tables are
//     read in place but for a few small ones: see frontend_obj_t). Every call that reads
//     them refuses (RuntimeError) a buffer that moved or changed size since.
//     frontend: the model's metadata["frontend"] dict, with "type" (tflm_micro | mfcc |
//     logmel), "tables" {name: [file_offset, dtype, count]} and "scalars" {name: int} as
//     the converter writes them (host_tools/earshot_host/convert/frontend_tables.py), and
//     optionally "frames" (frames per model input). Every table must lie inside the
//     buffer with the dtype and count the kind needs: ValueError naming the table
//     otherwise. The state (frame buffer, FFT work buffer, noise estimates) is allocated
//     here, once, with the object.
// .kind, .sample_rate, .hop, .window, .features, .frames, .channels, .fft_size,
// .state_bytes (bytes of the object: its state, tables' descriptors and copied tables)
// .process(hop, out[, raw]) -> bool
//     hop: exactly `hop` int16 samples (array('h'), bytes / bytearray / memoryview of
//     2 * hop bytes, int16 ndarray). When the hop completes a frame (every hop but the
//     first: TF framing), writes its `features` int8 values to out (a writable buffer of
//     exactly `features` bytes) and returns True; else returns False. raw (tflm_micro
//     only): a writable buffer of 2 * channels bytes (array('H')) for the uint16 values
//     before the int8 mapping (TensorFlow's output). Allocates nothing.
// .reset(): forget the stream (frame buffer, pre-emphasis memory, noise estimates).
// .gain() -> (log_offset_q16, eps_q); .set_gain(log_offset_q16[, eps_q])
//     mfcc / logmel: the constants that depend on the int16 -> float input gain g
//     (tables.py mfcc_gain_constants / logmel_gain_constants; the tables are built for
//     g = 1/32768). Changing g by a factor 2**d adds d to every log2 mel value (eps
//     aside), which after the DCT changes only MFCC coefficient 0:
// .c0_offset(d_q16) -> int (mfcc): the change of coefficient 0, in int8 steps, Q16, when
//     log2(g) changes by d_q16 / 65536 (sum of DCT row 0 times d; eps neglected).
// .normalize(window, peaks) -> int (mfcc): per-window peak normalization, in place, of a
//     window of int8 frames: as if its audio had been scaled by 1 / max(peaks) instead of
//     1/32768 (MLPerf KWS trains on clips scaled by 1 / max(x)); peaks: array('h') of
//     per-hop maxima (_earshot.peak). Returns the change of coefficient 0 applied.

#include <string.h>

#include "es_py.h"
#include "audio/audio_ops.h"

int16_t es_samples_peak(const uint8_t *buf, size_t n); // modaudio.c: any alignment
#include "dsp/dsp.h"
#include "es_text.h"

// The tables the front end reads stay in the model buffer (zero copy). From a buffer Python
// can write to (bytearray) those are copied whose values index memory (the FFT's factors,
// the filterbank's and mel bands' starts and widths) or must stay in their checked range
// (the FFT's twiddles: it keeps the FFT's sums from overflowing); a read-only buffer (bytes,
// frozen and flash models) cannot change. Every call that reads tables first checks that
// the buffer is still where and what size it was; values that change in place may change
// results, never make the front end reach past its memory.
typedef struct _frontend_obj_t {
    mp_obj_base_t base;
    mp_obj_t buffer; // the model buffer
    const uint8_t *data; // its address and length at construction
    size_t len;
    uint32_t frames;
    size_t state_bytes;
    es_fe_t fe;
    uint64_t state[]; // the front end's state, then the copied tables
} frontend_obj_t;

// ---------------------------------------------------------------- construction helpers

// dict[name], or MP_OBJ_NULL.
static mp_obj_t named(mp_obj_t dict, es_name_t name) {
    mp_obj_t key = es_name_obj(name);
    if (!mp_obj_is_true(mp_binary_op(MP_BINARY_OP_CONTAINS, dict, key))) {
        return MP_OBJ_NULL;
    }
    return mp_obj_subscr(dict, key, MP_OBJ_SENTINEL);
}

static int64_t scalar(mp_obj_t scalars, es_name_t name, int64_t lo, int64_t hi) {
    mp_obj_t v = named(scalars, name);
    if (v == MP_OBJ_NULL) {
        ES_RAISE(ValueError, "frontend scalar %s is missing", es_name_str(name));
    }
    int64_t x;
    if (!es_get_int64(v, &x) || x < lo || x > hi) {
        ES_RAISE(ValueError, "frontend scalar %s out of range", es_name_str(name));
    }
    return x;
}

// dtype: MP_QSTR_int16 / MP_QSTR_uint16 / MP_QSTR_int32.
static es_tab_t table(mp_obj_t tables, const mp_buffer_info_t *model, es_name_t name,
    qstr dtype) {
    mp_obj_t entry = named(tables, name);
    if (entry == MP_OBJ_NULL) {
        ES_RAISE(ValueError, "frontend table %s is missing", es_name_str(name));
    }
    size_t len;
    mp_obj_t *items = NULL;
    int64_t offset, count;
    if (!mp_obj_is_type(entry, &mp_type_list) && !mp_obj_is_type(entry, &mp_type_tuple)) {
        len = 0;
    } else {
        mp_obj_get_array(entry, &len, &items);
    }
    if (len != 3 || !es_get_int64(items[0], &offset) || !es_get_int64(items[2], &count)
        || !mp_obj_is_str(items[1])) {
        ES_RAISE(ValueError, "frontend table %s: expected [offset, dtype, count]",
            es_name_str(name));
    }
    if (!es_str_is(items[1], dtype)) {
        ES_RAISE(ValueError, "frontend table %s: dtype %s, expected %q", es_name_str(name),
            mp_obj_str_get_str(items[1]), dtype);
    }
    int64_t size = dtype == MP_QSTR_int32 ? 4 : 2;
    if (offset < 0 || count < 0 || count > 0x1000000
        || offset + count * size > (int64_t)model->len) {
        ES_RAISE(ValueError, "frontend table %s lies outside the model buffer",
            es_name_str(name));
    }
    es_tab_t t = { (const uint8_t *)model->buf + offset, (uint32_t)count };
    return t;
}

// ---------------------------------------------------------------- the fields a model brings

// The tables and 32-bit scalars of the frontend metadata, in the order they are read:
// name, where they go in es_fe_t (in 32-bit words), which kinds have them, and for a
// scalar its range (refused outside it: "frontend scalar <name> out of range"), for a
// table its dtype.
#define FE_TFLM (1 << ES_FE_TFLM)
#define FE_MFCC (1 << ES_FE_MFCC)
#define FE_LOGMEL (1 << ES_FE_LOGMEL)
#define FE_SPECTRAL (FE_MFCC | FE_LOGMEL)
#define FE_ALL (FE_TFLM | FE_SPECTRAL)
#define FE_TABLE (0x80)
#define FE_INDEX (0x40) // a table whose values index memory
#define FE_RANGE (0x20) // a table whose values must stay in their checked range

typedef struct _fe_field_t {
    es_name_t name;
    uint8_t word;
    uint8_t kinds;
    uint8_t lo, hi; // scalar: its bounds (FB_*); table: its dtype (FD_*)
} fe_field_t;

// The bounds of the scalars, named by their value (N: negative, 2P28: 2**28).
#define FE_BOUNDS(X) \
    X(N2P28, -(1 << 28)) X(N65536, -65536) X(N128, -128) X(0, 0) X(1, 1) X(4, 4) X(8, 8) \
    X(10, 10) X(30, 30) X(31, 31) X(46, 46) X(62, 62) X(63, 63) X(127, 127) X(256, 256) \
    X(1024, 1024) X(4096, 4096) X(4097, 4097) X(16384, 16384) X(65536, 65536) \
    X(2P28, 1 << 28) X(1000000, 1000000)
#define FB_NAME(name, value) FB_##name,
#define FB_VALUE(name, value) value,
enum { FE_BOUNDS(FB_NAME) };
static const int32_t fe_bounds[] = { FE_BOUNDS(FB_VALUE) };

// Table dtypes; FD_WIDE: int16 for tflm_micro, int32 for the others.
enum { FD_WIDE, FD_INT16, FD_UINT16, FD_INT32 };

// The dtype of a table of field f in a front end of this kind.
static uint32_t field_dtype(const fe_field_t *f, es_fe_kind_t kind) {
    return f->lo != FD_WIDE ? f->lo : kind == ES_FE_TFLM ? FD_INT16 : FD_INT32;
}

static qstr dtype_name(uint32_t dtype) {
    return dtype == FD_INT16 ? MP_QSTR_int16 : dtype == FD_UINT16 ? MP_QSTR_uint16 : MP_QSTR_int32;
}

#define FE_WORD(member) (offsetof(es_fe_t, member) / sizeof(uint32_t))
#define FE_SCALAR(name, member, kinds, lo, hi) \
    { ES_NAME(name), FE_WORD(member), kinds, FB_##lo, FB_##hi }
#define FE_TAB(name, member, kinds, dtype) \
    { ES_NAME(name), FE_WORD(member), FE_TABLE | kinds, FD_##dtype, 0 }

static const fe_field_t fe_fields[] = {
    FE_SCALAR(sample_rate, sample_rate, FE_ALL, 1, 1000000),
    FE_SCALAR(window_size, window, FE_ALL, 1, 4096),
    FE_SCALAR(window_step, hop, FE_ALL, 1, 4096),
    FE_SCALAR(fft_size, fft.size, FE_ALL, 8, 4096),
    FE_SCALAR(channels, channels, FE_ALL, 1, 256),
    FE_TAB(window, win, FE_ALL, WIDE),
    FE_TAB(fft_twiddles, fft.twiddles, FE_RANGE | FE_ALL, WIDE),
    FE_TAB(fft_super_twiddles, fft.super_twiddles, FE_RANGE | FE_ALL, WIDE),
    FE_TAB(fft_factors, fft.factors, FE_INDEX | FE_ALL, INT16),
    FE_TAB(fft_perm, fft.perm, FE_ALL, INT16),
    // tflm_micro
    FE_TAB(fb_channel_frequency_starts, fb_freq_starts, FE_INDEX | FE_TFLM, INT16),
    FE_TAB(fb_channel_weight_starts, fb_weight_starts, FE_INDEX | FE_TFLM, INT16),
    FE_TAB(fb_channel_widths, fb_widths, FE_INDEX | FE_TFLM, INT16),
    FE_TAB(fb_weights, fb_weights, FE_TFLM, INT16),
    FE_TAB(fb_unweights, fb_unweights, FE_TFLM, INT16),
    FE_TAB(pcan_gain_lut, pcan_gain_lut, FE_TFLM, INT16),
    FE_TAB(log_lut, log_lut, FE_TFLM, UINT16),
    FE_SCALAR(fb_start_index, fb_start, FE_TFLM, 0, 4097),
    FE_SCALAR(fb_end_index, fb_end, FE_TFLM, 0, 4097),
    FE_SCALAR(nr_smoothing_bits, nr_smoothing_bits, FE_TFLM, 0, 31),
    FE_SCALAR(nr_even_smoothing, nr_even, FE_TFLM, 0, 16384),
    FE_SCALAR(nr_odd_smoothing, nr_odd, FE_TFLM, 0, 16384),
    FE_SCALAR(nr_min_signal_remaining, nr_min_remaining, FE_TFLM, 0, 16384),
    FE_SCALAR(pcan_snr_shift, pcan_snr_shift, FE_TFLM, 0, 63),
    FE_SCALAR(log_scale_shift, log_scale_shift, FE_TFLM, 0, 31),
    FE_SCALAR(log_correction_bits, log_correction_bits, FE_TFLM, 0, 31),
    FE_SCALAR(out_value_scale, out_scale, FE_TFLM, 0, 16384),
    FE_SCALAR(out_value_div, out_div, FE_TFLM, 1, 65536),
    FE_SCALAR(out_offset, out_offset, FE_TFLM, N65536, 65536),
    // mfcc and logmel
    FE_TAB(mel_starts, mel_starts, FE_INDEX | FE_SPECTRAL, INT16),
    FE_TAB(mel_widths, mel_widths, FE_INDEX | FE_SPECTRAL, INT16),
    FE_TAB(mel_weights, mel_weights, FE_SPECTRAL, UINT16),
    FE_TAB(log2_lut, log2_lut, FE_SPECTRAL, INT32),
    FE_SCALAR(norm_bits, norm_bits, FE_SPECTRAL, 1, 30),
    FE_SCALAR(log_offset_q16, log_offset_q16, FE_SPECTRAL, N2P28, 2P28),
    FE_SCALAR(input_zero_point, zero_point, FE_SPECTRAL, N128, 127),
    FE_SCALAR(out_min, out_min, FE_SPECTRAL, N128, 127),
    FE_SCALAR(out_max, out_max, FE_SPECTRAL, N128, 127),
    FE_TAB(dct, dct, FE_MFCC, INT32),
    FE_SCALAR(coefficients, coefficients, FE_MFCC, 1, 256),
    FE_SCALAR(dct_frac_bits, dct_frac_bits, FE_MFCC, 1, 46),
    FE_SCALAR(eps_frac_bits, eps_frac_bits, FE_MFCC, 0, 30),
    FE_SCALAR(preemph_num, preemph_num, FE_LOGMEL, 0, 1024),
    FE_SCALAR(preemph_shift, preemph_shift, FE_LOGMEL, 0, 10),
    FE_SCALAR(power_shift, power_shift, FE_LOGMEL, 1, 62),
    FE_SCALAR(frame_shift_mult, frame_shift_mult, FE_LOGMEL, 0, 4),
};

// The name of a table of fe (a pointer into it, from es_fe_check).
static const char *table_name(const es_fe_t *fe, const es_tab_t *t) {
    size_t word = ((const uint8_t *)t - (const uint8_t *)fe) / sizeof(uint32_t);
    for (const fe_field_t *f = fe_fields; f < fe_fields + MP_ARRAY_SIZE(fe_fields); ++f) {
        if ((f->kinds & FE_TABLE) && f->word == word) {
            return es_name_str(f->name);
        }
    }
    return "?"; // not reached: es_fe_check names tables of fe_fields only
}

// The tables of fe a writable buffer has copied into the object: calls visit(t, bytes,
// ctx) for each.
static void copied_tables(es_fe_t *fe, void (*visit)(es_tab_t *, size_t, void *), void *ctx) {
    for (const fe_field_t *f = fe_fields; f < fe_fields + MP_ARRAY_SIZE(fe_fields); ++f) {
        if ((f->kinds & FE_TABLE) && (f->kinds & (1 << fe->kind))
            && (f->kinds & (FE_INDEX | FE_RANGE))) {
            es_tab_t *t = (es_tab_t *)(void *)((uint32_t *)(void *)fe + f->word);
            visit(t, t->count * (field_dtype(f, fe->kind) == FD_INT32 ? 4 : 2), ctx);
        }
    }
}

static void count_bytes(es_tab_t *t, size_t bytes, void *ctx) {
    (void)t;
    *(size_t *)ctx += bytes;
}

static void copy_table(es_tab_t *t, size_t bytes, void *ctx) {
    uint8_t **dest = ctx;
    memcpy(*dest, t->p, bytes);
    t->p = *dest;
    *dest += bytes;
}

// Raises the first failed check of fe's sizes, scalars and tables.
static void check_fe(const es_fe_t *fe) {
    const es_tab_t *bad_table;
    const char *msg = es_fe_check(fe, &bad_table);
    if (msg) {
        char buf[ES_TEXT_BUF];
        msg = es_text_c_str(msg, buf);
        if (bad_table) {
            ES_RAISE(ValueError, "frontend table %s: %s", table_name(fe, bad_table), msg);
        }
        ES_RAISE(ValueError, "frontend: %s", msg);
    }
}

// ---------------------------------------------------------------- constructor

static mp_obj_t frontend_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
    const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 2, 2, false);
    mp_buffer_info_t model;
    mp_get_buffer_raise(args[0], &model, MP_BUFFER_READ);
    mp_obj_t meta = args[1];
    if (!mp_obj_is_type(meta, &mp_type_dict)) {
        mp_raise_TypeError(MP_ERROR_TEXT("frontend metadata must be a dict"));
    }
    mp_obj_t kind_obj = es_dict_get(meta, MP_QSTR_type);
    mp_obj_t tables = es_dict_get(meta, MP_QSTR_tables);
    mp_obj_t scalars = es_dict_get(meta, MP_QSTR_scalars);
    if (kind_obj == MP_OBJ_NULL || !mp_obj_is_str(kind_obj)) {
        mp_raise_ValueError(MP_ERROR_TEXT("frontend metadata has no type"));
    }
    if (tables == MP_OBJ_NULL || scalars == MP_OBJ_NULL
        || !mp_obj_is_type(tables, &mp_type_dict) || !mp_obj_is_type(scalars, &mp_type_dict)) {
        mp_raise_ValueError(MP_ERROR_TEXT(
            "frontend metadata has no tables (convert the model with this earshot version)"));
    }
    es_fe_t fe;
    memset(&fe, 0, sizeof(fe));
    if (es_str_is(kind_obj, MP_QSTR_tflm_micro)) {
        fe.kind = ES_FE_TFLM;
    } else if (es_str_is(kind_obj, MP_QSTR_mfcc)) {
        fe.kind = ES_FE_MFCC;
    } else if (es_str_is(kind_obj, MP_QSTR_logmel)) {
        fe.kind = ES_FE_LOGMEL;
    } else {
        ES_RAISE(ValueError, "frontend type %s is unknown (tflm_micro, mfcc, logmel)",
            mp_obj_str_get_str(kind_obj));
    }
    uint32_t frames = 0;
    mp_obj_t frames_obj = es_dict_get(meta, MP_QSTR_frames);
    if (frames_obj != MP_OBJ_NULL) {
        mp_int_t f = mp_obj_get_int(frames_obj);
        if (f < 0 || f > 0xFFFF) {
            mp_raise_ValueError(MP_ERROR_TEXT("frontend frames out of range"));
        }
        frames = (uint32_t)f;
    }

    MP_STATIC_ASSERT(sizeof(es_fe_t) < 256 * sizeof(uint32_t)); // fe_field_t.word
    for (const fe_field_t *f = fe_fields; f < fe_fields + MP_ARRAY_SIZE(fe_fields); ++f) {
        if (!(f->kinds & (1 << fe.kind))) {
            continue;
        }
        void *field = (uint32_t *)(void *)&fe + f->word;
        if (f->kinds & FE_TABLE) {
            *(es_tab_t *)field = table(tables, &model, f->name,
                dtype_name(field_dtype(f, fe.kind)));
        } else {
            *(int32_t *)field = (int32_t)scalar(scalars, f->name, fe_bounds[f->lo],
                fe_bounds[f->hi]);
        }
    }
    if (fe.kind == ES_FE_MFCC) {
        fe.eps_q = scalar(scalars, ES_NAME(eps_q), 0, (int64_t)1 << 62);
        fe.features = (uint32_t)fe.coefficients;
    } else if (fe.kind == ES_FE_LOGMEL) {
        fe.db_mult_q16 = scalar(scalars, ES_NAME(db_mult_q16), -((int64_t)1 << 31),
            (int64_t)1 << 31);
        fe.db_bias_q32 = scalar(scalars, ES_NAME(db_bias_q32), -((int64_t)1 << 56),
            (int64_t)1 << 56);
    }
    if (fe.kind != ES_FE_MFCC) {
        fe.features = fe.channels;
    }
    fe.fft.n = fe.fft.size / 2;
    fe.fft.stages = fe.fft.factors.count / 2;
    check_fe(&fe);

    // The object: its state, then the copied tables.
    mp_buffer_info_t info;
    bool writable = mp_get_buffer(args[0], &info, MP_BUFFER_WRITE);
    size_t copies = 0;
    if (writable) {
        copied_tables(&fe, count_bytes, &copies);
    }
    size_t words = (es_fe_state_bytes(&fe) + 7) / 8 + (copies + 7) / 8;
    frontend_obj_t *self = es_malloc_maybe(sizeof(frontend_obj_t) + words * 8);
    if (self == NULL) {
        ES_RAISE(MemoryError, "frontend needs %u bytes of state", (unsigned)(words * 8));
    }
    self->base.type = type;
    self->buffer = args[0];
    self->data = model.buf;
    self->len = model.len;
    self->frames = frames;
    self->state_bytes = sizeof(frontend_obj_t) + words * 8;
    self->fe = fe;
    uint8_t *dest = (uint8_t *)self->state + (es_fe_state_bytes(&fe) + 7) / 8 * 8;
    if (writable) {
        copied_tables(&self->fe, copy_table, &dest);
        check_fe(&self->fe); // what runs is what was checked
    }
    es_fe_attach(&self->fe, self->state);
    return MP_OBJ_FROM_PTR(self);
}

// ---------------------------------------------------------------- methods

static bool byte_typecode(char t) {
    return t == 'b' || t == 'B' || t == BYTEARRAY_TYPECODE;
}

// The front end, its tables still where and what size they were.
static es_fe_t *tables_of(frontend_obj_t *self) {
    mp_buffer_info_t model;
    if (!mp_get_buffer(self->buffer, &model, MP_BUFFER_READ)
        || model.buf != self->data || model.len != self->len) {
        mp_raise_msg(&mp_type_RuntimeError,
            MP_ERROR_TEXT("model buffer moved or changed size after the front end was made"));
    }
    return &self->fe;
}

static mp_obj_t frontend_process(size_t n_args, const mp_obj_t *args) {
    frontend_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    es_fe_t *fe = tables_of(self);
    mp_buffer_info_t hop, out, raw;
    mp_get_buffer_raise(args[1], &hop, MP_BUFFER_READ);
    if (hop.typecode != 'h' && !byte_typecode(hop.typecode)) {
        mp_raise_TypeError(MP_ERROR_TEXT("hop samples must be int16 (array('h'), bytes)"));
    }
    if (hop.len != 2 * fe->hop) {
        ES_RAISE(ValueError, "a hop is %u int16 samples (%u bytes), got %u bytes",
            (unsigned)fe->hop, (unsigned)(2 * fe->hop), (unsigned)hop.len);
    }
    mp_get_buffer_raise(args[2], &out, MP_BUFFER_WRITE);
    if (!byte_typecode(out.typecode)) {
        mp_raise_TypeError(MP_ERROR_TEXT("out must be an int8 / byte buffer"));
    }
    if (out.len != fe->features) {
        ES_RAISE(ValueError, "out must hold %u int8 features, got %u bytes",
            (unsigned)fe->features, (unsigned)out.len);
    }
    uint8_t *raw_ptr = NULL;
    if (n_args > 3 && args[3] != mp_const_none) {
        if (fe->kind != ES_FE_TFLM) {
            mp_raise_ValueError(MP_ERROR_TEXT("raw output is for tflm_micro only"));
        }
        mp_get_buffer_raise(args[3], &raw, MP_BUFFER_WRITE);
        if (raw.typecode != 'H' && !byte_typecode(raw.typecode)) {
            mp_raise_TypeError(MP_ERROR_TEXT("raw must be a uint16 (array('H')) or byte buffer"));
        }
        if (raw.len != 2 * fe->channels) {
            ES_RAISE(ValueError, "raw must hold %u uint16 values, got %u bytes",
                (unsigned)fe->channels, (unsigned)raw.len);
        }
        raw_ptr = raw.buf;
    }
    return mp_obj_new_bool(es_fe_push_hop(fe, hop.buf, out.buf, raw_ptr));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(frontend_process_obj, 3, 4, frontend_process);

static mp_obj_t frontend_reset(mp_obj_t self_in) {
    frontend_obj_t *self = MP_OBJ_TO_PTR(self_in);
    es_fe_reset(&self->fe);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(frontend_reset_obj, frontend_reset);

// fe.fft(buf): the front end's fixed-point real FFT in place: buf (array('h') for
// tflm_micro, array('i') otherwise, fft_size + 2 values) holds fft_size real samples and
// receives the fft_size / 2 + 1 bins X[k] = DFT[k] / fft_size as (re, im) pairs.
static mp_obj_t frontend_fft(mp_obj_t self_in, mp_obj_t buf_in) {
    frontend_obj_t *self = MP_OBJ_TO_PTR(self_in);
    es_fe_t *fe = tables_of(self);
    mp_buffer_info_t buf;
    mp_get_buffer_raise(buf_in, &buf, MP_BUFFER_RW);
    const bool wide = fe->kind != ES_FE_TFLM;
    if (buf.typecode != (wide ? 'i' : 'h') || buf.len != (fe->fft.size + 2) * (wide ? 4 : 2)) {
        ES_RAISE(ValueError, "fft needs an array('%c') of %u values", wide ? 'i' : 'h',
            (unsigned)(fe->fft.size + 2));
    }
    es_fe_fft(fe, buf.buf);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(frontend_fft_obj, frontend_fft);

static void require_spectral(const es_fe_t *fe) {
    if (fe->kind == ES_FE_TFLM) {
        mp_raise_ValueError(MP_ERROR_TEXT("tflm_micro has no input gain"));
    }
}

static mp_obj_t frontend_gain(mp_obj_t self_in) {
    frontend_obj_t *self = MP_OBJ_TO_PTR(self_in);
    require_spectral(&self->fe);
    mp_obj_t items[2] = {
        mp_obj_new_int(self->fe.log_offset_q16),
        es_new_int64(self->fe.eps_q),
    };
    return mp_obj_new_tuple(2, items);
}
static MP_DEFINE_CONST_FUN_OBJ_1(frontend_gain_obj, frontend_gain);

static mp_obj_t frontend_set_gain(size_t n_args, const mp_obj_t *args) {
    frontend_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    es_fe_t *fe = &self->fe;
    require_spectral(fe);
    int64_t offset, eps = fe->eps_q;
    if (!es_get_int64(args[1], &offset) || (n_args > 2 && !es_get_int64(args[2], &eps))) {
        mp_raise_TypeError(MP_ERROR_TEXT("gain constants must be ints"));
    }
    const char *msg = es_fe_check_gain(fe, offset, eps);
    if (msg) {
        mp_raise_ValueError((mp_rom_error_text_t)msg); // an ES_TEXT
    }
    fe->log_offset_q16 = (int32_t)offset;
    fe->eps_q = eps;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(frontend_set_gain_obj, 2, 3, frontend_set_gain);

static mp_obj_t frontend_c0_offset(mp_obj_t self_in, mp_obj_t delta_in) {
    frontend_obj_t *self = MP_OBJ_TO_PTR(self_in);
    const es_fe_t *fe = &self->fe;
    if (fe->kind != ES_FE_MFCC) {
        mp_raise_ValueError(MP_ERROR_TEXT("c0_offset is for mfcc only"));
    }
    mp_int_t delta = mp_obj_get_int(delta_in);
    if (delta < -(1 << 24) || delta > (1 << 24)) {
        mp_raise_ValueError(MP_ERROR_TEXT("log2 gain change out of range"));
    }
    return es_new_int64((fe->dct_row0_sum * delta) >> fe->dct_frac_bits);
}
static MP_DEFINE_CONST_FUN_OBJ_2(frontend_c0_offset_obj, frontend_c0_offset);

// normalize(window, peaks) (mfcc): scales the frames of a window (n * features int8
// values, in place) as if its audio had been divided by its largest sample, the largest
// of peaks (int16 per-hop maxima, _earshot.peak). Returns the change of coefficient 0.
static mp_obj_t frontend_normalize(mp_obj_t self_in, mp_obj_t window_in, mp_obj_t peaks_in) {
    frontend_obj_t *self = MP_OBJ_TO_PTR(self_in);
    const es_fe_t *fe = tables_of(self);
    if (fe->kind != ES_FE_MFCC) {
        mp_raise_ValueError(MP_ERROR_TEXT("normalize is for mfcc only"));
    }
    mp_buffer_info_t window, peaks;
    mp_get_buffer_raise(window_in, &window, MP_BUFFER_WRITE);
    mp_get_buffer_raise(peaks_in, &peaks, MP_BUFFER_READ);
    if (window.len % fe->features || !byte_typecode(window.typecode)) {
        mp_raise_ValueError(MP_ERROR_TEXT("window must be whole int8 frames"));
    }
    if (peaks.typecode != 'h' || peaks.len == 0) {
        mp_raise_TypeError(MP_ERROR_TEXT("peaks must be a non-empty array('h')"));
    }
    int32_t peak = es_samples_peak(peaks.buf, peaks.len / 2);
    int32_t steps = es_mfcc_peak_steps(fe, peak);
    es_mfcc_shift_c0(fe, window.buf, window.len / fe->features, steps);
    return MP_OBJ_NEW_SMALL_INT(steps);
}
static MP_DEFINE_CONST_FUN_OBJ_3(frontend_normalize_obj, frontend_normalize);

static void frontend_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    if (dest[0] != MP_OBJ_NULL) {
        return; // read-only attributes
    }
    frontend_obj_t *self = MP_OBJ_TO_PTR(self_in);
    const es_fe_t *fe = &self->fe;
    mp_int_t value;
    if (attr == MP_QSTR_kind) {
        dest[0] = MP_OBJ_NEW_QSTR(fe->kind == ES_FE_TFLM ? MP_QSTR_tflm_micro
            : fe->kind == ES_FE_MFCC ? MP_QSTR_mfcc : MP_QSTR_logmel);
        return;
    } else if (attr == MP_QSTR_sample_rate) {
        value = fe->sample_rate;
    } else if (attr == MP_QSTR_hop) {
        value = fe->hop;
    } else if (attr == MP_QSTR_window) {
        value = fe->window;
    } else if (attr == MP_QSTR_features) {
        value = fe->features;
    } else if (attr == MP_QSTR_frames) {
        value = self->frames;
    } else if (attr == MP_QSTR_channels) {
        value = fe->channels;
    } else if (attr == MP_QSTR_fft_size) {
        value = fe->fft.size;
    } else if (attr == MP_QSTR_state_bytes) {
        value = self->state_bytes;
    } else {
        dest[1] = MP_OBJ_SENTINEL; // continue lookup in locals_dict
        return;
    }
    dest[0] = MP_OBJ_NEW_SMALL_INT(value);
}

static void frontend_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind) {
    (void)kind;
    frontend_obj_t *self = MP_OBJ_TO_PTR(self_in);
    const es_fe_t *fe = &self->fe;
    mp_printf(print, "<Frontend %s hop %u window %u features %u frames %u>",
        fe->kind == ES_FE_TFLM ? "tflm_micro" : fe->kind == ES_FE_MFCC ? "mfcc" : "logmel",
        (unsigned)fe->hop, (unsigned)fe->window, (unsigned)fe->features,
        (unsigned)self->frames);
}

#define FRONTEND_METHODS(X) \
    X(MP_QSTR_process, PTR, &frontend_process_obj) \
    X(MP_QSTR_reset, PTR, &frontend_reset_obj) \
    X(MP_QSTR_fft, PTR, &frontend_fft_obj) \
    X(MP_QSTR_gain, PTR, &frontend_gain_obj) \
    X(MP_QSTR_set_gain, PTR, &frontend_set_gain_obj) \
    X(MP_QSTR_c0_offset, PTR, &frontend_c0_offset_obj) \
    X(MP_QSTR_normalize, PTR, &frontend_normalize_obj)

ES_TYPE(earshot_frontend_type, MP_QSTR_Frontend, frontend_make_new, frontend_print,
    frontend_attr, FRONTEND_METHODS);
