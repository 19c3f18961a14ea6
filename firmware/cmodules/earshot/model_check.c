// Loader checks of an earshot model (models/FORMAT.md §5), in the order of the checklist
// and of the host reader (host_tools/earshot_host/modelfile/reader.py, validate.py), so
// that both name the same first failed check. Every read is bounds-checked first and all
// offset + size arithmetic is done in 64 bits.

#include "model_check.h"
#include "es_text.h"

#define NONE32 (0xFFFFFFFFu)

static const uint32_t crc_nibble_table[16] = {
    0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
    0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

uint32_t es_crc32(uint32_t crc, const uint8_t *data, size_t len) {
    crc = ~crc;
    while (len--) {
        crc ^= *data++;
        crc = (crc >> 4) ^ crc_nibble_table[crc & 15];
        crc = (crc >> 4) ^ crc_nibble_table[crc & 15];
    }
    return ~crc;
}

// Records the first failed check. Not inlined: the many call sites stay small.
static __attribute__((noinline)) bool fail_kind(es_error_t *err, const char *code,
    const char *kind, uint32_t index, const char *text) {
    err->code = code;
    err->kind = kind;
    err->index = index;
    err->text = text;
    return false;
}

// The same, the record kind following from the code: T* and P1 concern a tensor, O* an
// op, H* and S* the header (no record). (P2 concerns an op: fail_kind.)
static __attribute__((noinline)) bool fail(es_error_t *err, const char *code, uint32_t index,
    const char *text) {
    const char *kind = code[0] == 'O' ? "op" : code[0] == 'H' || code[0] == 'S' ? NULL : "tensor";
    return fail_kind(err, code, kind, index, text);
}

#define FAIL(code, text) return fail(err, code, 0, text)
#define FAIL_T(code, i, text) return fail(err, code, i, text)
#define FAIL_O(code, i, text) return fail(err, code, i, text)

// Declared in model_format.h.
void es_read_tensor(const uint8_t *model, const es_header_t *h, uint32_t i,
    es_tensor_t *t) {
    const uint8_t *r = model + h->tensors_offset + (size_t)i * ES_TENSOR_RECORD_SIZE;
    t->dtype = r[0];
    t->kind = r[1];
    t->rank = r[2];
    t->flags = r[3];
    for (int d = 0; d < ES_MAX_RANK; ++d) {
        t->dims[d] = es_rd_u16(r + 4 + 2 * d);
    }
    t->byte_size = es_rd_u32(r + 12);
    t->offset = es_rd_u32(r + 16);
    t->zero_point = es_rd_i32(r + 20);
    t->alias_of = es_rd_u16(r + 28);
    t->quant_axis = r[30];
    t->quant_type = r[31];
    t->quant_count = es_rd_u32(r + 32);
    t->quant_zero_points_offset = es_rd_u32(r + 36);
    t->quant_scales_offset = es_rd_u32(r + 40);
    t->init_offset = es_rd_u32(r + 44);
}

// ---------------------------------------------------------------------------------------
// Header and sections.

bool es_check_header(const uint8_t *model, size_t len, bool check_crc, es_header_t *h,
    es_error_t *err) {
    if (len < ES_HEADER_SIZE) {
        FAIL("H1", ES_TEXT("file is shorter than the 64-byte header"));
    }
    if (model[0] != 'E' || model[1] != 'S' || model[2] != 'H' || model[3] != 'T') {
        FAIL("H2", ES_TEXT("bad magic, expected ESHT"));
    }
    es_read_header(model, h);
    if (h->format_version != ES_FORMAT_VERSION) {
        FAIL("H3", ES_TEXT("unsupported format version (this loader reads version 1)"));
    }
    if (h->header_size != ES_HEADER_SIZE || h->tensor_record_size != ES_TENSOR_RECORD_SIZE
        || h->op_record_size != ES_OP_RECORD_SIZE) {
        FAIL("H4", ES_TEXT("header/tensor/op record sizes are not 64/48/72"));
    }
    if ((uint64_t)h->payload_length != (uint64_t)len - ES_HEADER_SIZE) {
        FAIL("H5", ES_TEXT("payload length does not match the file (truncated or padded file)"));
    }
    if (check_crc && es_crc32(0, model + ES_HEADER_SIZE, len - ES_HEADER_SIZE) != h->payload_crc32) {
        FAIL("H6", ES_TEXT("payload CRC32 mismatch (corrupted file)"));
    }
    if (h->flags != 0) {
        FAIL("H7", ES_TEXT("unknown header flags"));
    }
    if (!(h->tensor_count >= 1 && h->tensor_count < ES_NO_TENSOR && h->op_count >= 1
          && h->input_count >= 1 && h->output_count >= 1)) {
        FAIL("S1", ES_TEXT("bad tensor/op/input/output counts"));
    }
    // The sections in file order: offset, length, alignment.
    uint64_t previous_end = ES_HEADER_SIZE;
    for (int i = 0; i < 5; ++i) {
        uint32_t offset;
        uint64_t length;
        uint32_t align = ES_SECTION_ALIGN;
        const char *unaligned, *outside;
        switch (i) {
            case 0:
                offset = h->io_offset;
                length = 2 * ((uint64_t)h->input_count + h->output_count);
                unaligned = ES_TEXT("io list offset is not 4-byte aligned");
                outside = ES_TEXT("io list is out of order or outside the file");
                break;
            case 1:
                offset = h->tensors_offset;
                length = (uint64_t)ES_TENSOR_RECORD_SIZE * h->tensor_count;
                unaligned = ES_TEXT("tensor table offset is not 4-byte aligned");
                outside = ES_TEXT("tensor table is out of order or outside the file");
                break;
            case 2:
                offset = h->ops_offset;
                length = (uint64_t)ES_OP_RECORD_SIZE * h->op_count;
                unaligned = ES_TEXT("operator table offset is not 4-byte aligned");
                outside = ES_TEXT("operator table is out of order or outside the file");
                break;
            case 3:
                offset = h->blob_offset;
                length = h->blob_size;
                align = ES_CONST_ALIGN;
                unaligned = ES_TEXT("constant blob offset is not 16-byte aligned");
                outside = ES_TEXT("constant blob is out of order or outside the file");
                break;
            default:
                offset = h->meta_offset;
                length = h->meta_size;
                unaligned = ES_TEXT("metadata offset is not 4-byte aligned");
                outside = ES_TEXT("metadata is out of order or outside the file");
                break;
        }
        if (offset % align) {
            FAIL("S2", unaligned);
        }
        if (offset < previous_end || offset + length > len) {
            FAIL("S2", outside);
        }
        previous_end = offset + length;
    }
    return true;
}

// ---------------------------------------------------------------------------------------
// Helpers of the body checks.

static bool in_blob(const es_header_t *h, uint64_t offset, uint64_t length) {
    return h->blob_offset <= offset && offset + length <= (uint64_t)h->blob_offset + h->blob_size;
}

// A view: an alias of a STATE tensor, covering any part of its memory (T8).
static bool is_view(const es_tensor_t *t) {
    return t->kind == ES_KIND_STATE && t->alias_of != ES_NO_TENSOR;
}

static uint32_t root_of(const es_tensor_t *t, uint32_t index) {
    // Aliases are one level deep (T8).
    return t->alias_of == ES_NO_TENSOR ? index : t->alias_of;
}

static bool same_shape(const es_tensor_t *a, const es_tensor_t *b) {
    if (a->rank != b->rank) {
        return false;
    }
    for (uint32_t d = 0; d < a->rank; ++d) {
        if (a->dims[d] != b->dims[d]) {
            return false;
        }
    }
    return true;
}

static bool act_range_ok(int32_t act_min, int32_t act_max) {
    return act_min >= -128 && act_min <= 127 && act_max >= act_min && act_max <= 127;
}

static bool multiplier_ok(int32_t multiplier, int32_t shift) {
    return (multiplier == 0 || multiplier >= (1 << 30)) && shift >= -31 && shift <= 30;
}

// True when out/pad are TFLite's SAME or VALID result for this input size and window.
// All inputs are u16 fields; the only divisions are 32-bit ones (no 64-bit division
// helper from libgcc).
static bool spatial_ok(uint32_t size, uint32_t out, uint32_t filt, uint32_t stride,
    uint32_t dilation, uint32_t pad) {
    const int64_t effective = (int64_t)(filt - 1) * dilation + 1;
    const uint32_t same_out = (size + stride - 1) / stride;
    const int64_t excess = ((int64_t)same_out - 1) * stride + effective - size;
    const int64_t same_pad = excess > 0 ? excess >> 1 : 0;
    if (out == same_out && pad == same_pad) {
        return true;
    }
    const int64_t numerator = (int64_t)size - effective + stride;
    const uint32_t valid_out = numerator > 0 ? (uint32_t)numerator / stride : 0;
    return pad == 0 && valid_out >= 1 && out == valid_out;
}

// ---------------------------------------------------------------------------------------
// Tensor records: the decoding checks (T1, T2, T7 type, T3 rank, T9 reserved) of every
// tensor come first, as in the host reader, then the semantic checks (T3..T8).

static bool check_tensor_record(const es_tensor_t *t, uint32_t i, es_error_t *err) {
    if (es_dtype_size(t->dtype) == 0) {
        FAIL_T("T1", i, ES_TEXT("unknown dtype"));
    }
    if (t->kind > ES_KIND_STATE) {
        FAIL_T("T2", i, ES_TEXT("unknown kind"));
    }
    if (t->quant_type > ES_QUANT_PER_CHANNEL) {
        FAIL_T("T7", i, ES_TEXT("unknown quantization type"));
    }
    if (t->rank > ES_MAX_RANK) {
        FAIL_T("T3", i, ES_TEXT("rank is above 4"));
    }
    bool unused_dims = false;
    for (uint32_t d = t->rank; d < ES_MAX_RANK; ++d) {
        unused_dims |= t->dims[d] != 0;
    }
    bool stray_init = t->init_offset != 0
        && (t->kind != ES_KIND_STATE || t->alias_of != ES_NO_TENSOR);
    if (stray_init || unused_dims) {
        FAIL_T("T9", i, ES_TEXT("reserved fields or unused dims are not zero"));
    }
    return true;
}

static bool check_tensor(const uint8_t *model, const es_header_t *h, const es_tensor_t *t,
    uint32_t i, es_error_t *err) {
    for (uint32_t d = 0; d < t->rank; ++d) {
        if (t->dims[d] < 1) {
            FAIL_T("T3", i, ES_TEXT("shape has a zero dimension"));
        }
    }
    uint64_t item = es_dtype_size(t->dtype);
    uint64_t count = 1;
    for (uint32_t d = 0; d < t->rank; ++d) {
        count *= t->dims[d];
        if (count * item > 0xFFFFFFFFu) {
            FAIL_T("T4", i, ES_TEXT("shape overflows 32 bits"));
        }
    }
    if (t->byte_size != count * item) {
        FAIL_T("T4", i, ES_TEXT("byte size does not match the shape"));
    }
    if (t->flags & ~ES_TFLAGS_KNOWN) {
        FAIL_T("T9", i, ES_TEXT("unknown flags"));
    }
    if (t->kind == ES_KIND_CONST) {
        if (t->flags & (ES_TFLAG_INPUT | ES_TFLAG_OUTPUT)) {
            FAIL_T("T5", i, ES_TEXT("a constant cannot be a model input or output"));
        }
        if (t->offset % ES_CONST_ALIGN || !in_blob(h, t->offset, t->byte_size)) {
            FAIL_T("T5", i, ES_TEXT("constant data is unaligned or outside the constant blob"));
        }
    } else {
        // A view may start anywhere inside its variable (T8).
        if ((t->offset % ES_ARENA_ALIGN && !is_view(t))
            || (uint64_t)t->offset + t->byte_size > h->arena_size) {
            FAIL_T("T6", i, ES_TEXT("arena range is unaligned or outside the arena"));
        }
    }
    if (t->kind == ES_KIND_STATE) {
        if (t->flags & (ES_TFLAG_INPUT | ES_TFLAG_OUTPUT)) {
            FAIL_T("T10", i, ES_TEXT("a variable cannot be a model input or output"));
        }
        if (t->alias_of == ES_NO_TENSOR
            && (t->init_offset % ES_CONST_ALIGN || !in_blob(h, t->init_offset, t->byte_size))) {
            FAIL_T("T10", i, ES_TEXT("initial value is unaligned or outside the constant blob"));
        }
    }
    if (t->quant_type == ES_QUANT_PER_CHANNEL) {
        if (t->quant_axis >= t->rank || t->quant_count != t->dims[t->quant_axis]) {
            FAIL_T("T7", i, ES_TEXT("per-channel axis or count does not match the shape"));
        }
        uint32_t offsets[2] = { t->quant_zero_points_offset, t->quant_scales_offset };
        for (int k = 0; k < 2; ++k) {
            if (offsets[k] % 4 || !in_blob(h, offsets[k], 4 * (uint64_t)t->quant_count)) {
                FAIL_T("T7", i, ES_TEXT("per-channel array is unaligned or outside the blob"));
            }
        }
        if (t->zero_point != 0) {
            FAIL_T("T7", i, ES_TEXT("per-channel tensor has a per-tensor zero point"));
        }
    } else {
        uint32_t expected = t->quant_type == ES_QUANT_PER_TENSOR ? 1 : 0;
        if (t->quant_count != expected || t->quant_zero_points_offset != 0
            || t->quant_scales_offset != 0 || t->quant_axis != 0) {
            FAIL_T("T7", i, ES_TEXT("per-channel fields set on a per-tensor tensor"));
        }
        int64_t low, high;
        switch (t->dtype) {
            case ES_DTYPE_INT8:
                low = -128;
                high = 127;
                break;
            case ES_DTYPE_UINT8:
                low = 0;
                high = 255;
                break;
            case ES_DTYPE_INT16:
                low = -32768;
                high = 32767;
                break;
            default:
                low = INT32_MIN;
                high = INT32_MAX;
                break;
        }
        if (t->zero_point < low || t->zero_point > high) {
            FAIL_T("T7", i, ES_TEXT("zero point outside the dtype's range"));
        }
    }
    bool alias_flag = (t->flags & ES_TFLAG_ALIAS) != 0;
    if (alias_flag != (t->alias_of != ES_NO_TENSOR)) {
        FAIL_T("T8", i, ES_TEXT("alias flag and alias_of disagree"));
    }
    if (t->alias_of != ES_NO_TENSOR) {
        if (t->alias_of >= h->tensor_count || t->alias_of == i) {
            FAIL_T("T8", i, ES_TEXT("alias_of is out of range"));
        }
        es_tensor_t base;
        es_read_tensor(model, h, t->alias_of, &base);
        if (base.alias_of != ES_NO_TENSOR) {
            FAIL_T("T8", i, ES_TEXT("aliases a tensor that is itself an alias"));
        }
        // A view lies inside its variable; other aliases share the memory exactly.
        bool same = t->kind == ES_KIND_STATE
            ? t->offset >= base.offset
            && (uint64_t)t->offset + t->byte_size <= (uint64_t)base.offset + base.byte_size
            : base.offset == t->offset && base.byte_size == t->byte_size;
        if (base.kind != t->kind || base.dtype != t->dtype || !same) {
            FAIL_T("T8", i, ES_TEXT("kind, dtype, offset or size differ from the aliased tensor"));
        }
    }
    return true;
}

// ---------------------------------------------------------------------------------------
// Model inputs and outputs (IO1). mark: tensor_count words of scratch.

static bool check_io(const uint8_t *model, const es_header_t *h, uint32_t *mark,
    es_error_t *err) {
    const uint8_t *io = model + h->io_offset;
    for (uint32_t t = 0; t < h->tensor_count; ++t) {
        mark[t] = 0;
    }
    for (int which = 0; which < 2; ++which) {
        uint32_t first = which ? h->input_count : 0;
        uint32_t count = which ? h->output_count : h->input_count;
        uint8_t flag = which ? ES_TFLAG_OUTPUT : ES_TFLAG_INPUT;
        const char *kind = which ? "output" : "input";
        for (uint32_t k = 0; k < count; ++k) {
            uint32_t index = es_rd_u16(io + 2 * (first + k));
            if (index >= h->tensor_count) {
                return fail_kind(err, "IO1", kind, k,
                    ES_TEXT("model tensor index is out of range"));
            }
            if (mark[index] & flag) {
                return fail_kind(err, "IO1", kind, k, ES_TEXT("duplicate model tensor"));
            }
            mark[index] |= flag;
            es_tensor_t t;
            es_read_tensor(model, h, index, &t);
            if (t.kind != ES_KIND_ACTIVATION || !(t.flags & flag)) {
                return fail_kind(err, "IO1", kind, k,
                    ES_TEXT("model tensor is not an activation flagged as such"));
            }
        }
        uint32_t flagged = 0;
        for (uint32_t t = 0; t < h->tensor_count; ++t) {
            es_tensor_t r;
            es_read_tensor(model, h, t, &r);
            flagged += (r.flags & flag) != 0;
        }
        if (flagged != count) {
            return fail_kind(err, "IO1", kind, 0,
                ES_TEXT("tensor flags do not match the io list"));
        }
    }
    return true;
}

// ---------------------------------------------------------------------------------------
// Operators.

typedef struct _body_t {
    const uint8_t *model;
    const es_header_t *h;
    uint32_t *first; // per root tensor: step it becomes live (written), NONE32 if not yet
    uint32_t *last;  // per root tensor: last step it is used, NONE32 if never
    es_error_t *err;
} body_t;

// Inputs of each opcode: at least, at most (CONCATENATION joins 1 to 3 tensors).
static const uint8_t min_inputs[ES_OP_LAST + 1] = { 0, 3, 3, 3, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1 };
static const uint8_t max_inputs[ES_OP_LAST + 1] = { 0, 3, 3, 3, 1, 1, 2, 1, 1, 1, 3, 1, 1, 1, 2, 1, 1 };

static bool check_op_record(const es_op_t *op, uint32_t i, es_error_t *err) {
    if (op->opcode < ES_OP_CONV_2D || op->opcode > ES_OP_LAST) {
        FAIL_O("O1", i, ES_TEXT("unknown opcode"));
    }
    uint32_t n_in = op->input_count;
    if (n_in < min_inputs[op->opcode] || n_in > max_inputs[op->opcode] || op->output_count != 1) {
        FAIL_O("O2", i, ES_TEXT("wrong number of inputs or outputs for the opcode"));
    }
    bool unused = false;
    for (uint32_t k = n_in; k < 3; ++k) {
        unused |= op->inputs[k] != ES_NO_TENSOR;
    }
    if (op->reserved != 0 || unused) {
        FAIL_O("O8", i, ES_TEXT("reserved fields are not zero"));
    }
    uint32_t used;
    switch (op->opcode) {
        case ES_OP_CONV_2D:
        case ES_OP_DEPTHWISE_CONV_2D:
        case ES_OP_FULLY_CONNECTED:
            if (es_rd_u16(op->params + 18) > ES_REQUANT_DOUBLE_ROUND) {
                FAIL_O("O7", i, ES_TEXT("unknown requant mode"));
            }
            used = ES_OP_RECORD_SIZE - ES_OP_PARAMS_OFFSET;
            break;
        case ES_OP_AVERAGE_POOL_2D:
        case ES_OP_MAX_POOL_2D:
            used = ES_POOL_PARAMS_SIZE;
            break;
        case ES_OP_ADD:
            used = ES_ADD_PARAMS_SIZE;
            break;
        case ES_OP_SOFTMAX:
            used = ES_SOFTMAX_PARAMS_SIZE;
            break;
        case ES_OP_CONCATENATION:
            used = ES_CONCAT_PARAMS_SIZE;
            break;
        case ES_OP_STRIDED_SLICE:
            used = ES_SLICE_PARAMS_SIZE;
            break;
        case ES_OP_LOGISTIC:
            used = ES_LOGISTIC_PARAMS_SIZE;
            break;
        case ES_OP_QUANTIZE:
            used = ES_QUANTIZE_PARAMS_SIZE;
            break;
        case ES_OP_MUL:
            used = ES_MUL_PARAMS_SIZE;
            break;
        case ES_OP_PAD:
            used = ES_PAD_PARAMS_SIZE;
            break;
        case ES_OP_MEAN:
            used = ES_MEAN_PARAMS_SIZE;
            break;
        default: // ASSIGN_VARIABLE, READ_VARIABLE: no parameters
            used = 0;
            break;
    }
    for (uint32_t k = used; k < ES_OP_RECORD_SIZE - ES_OP_PARAMS_OFFSET; ++k) {
        if (op->params[k] != 0) {
            FAIL_O("O8", i, ES_TEXT("reserved fields are not zero"));
        }
    }
    return true;
}

// Reads tensor index into t after checking the index (O3).
static bool op_tensor(body_t *b, uint32_t op_index, uint16_t index, es_tensor_t *t,
    const char *text) {
    if (index == ES_NO_TENSOR || index >= b->h->tensor_count) {
        return fail(b->err, "O3", op_index, text);
    }
    es_read_tensor(b->model, b->h, index, t);
    return true;
}

static bool check_data_tensor(body_t *b, uint32_t i, const es_tensor_t *t) {
    es_error_t *err = b->err;
    if (t->dtype != ES_DTYPE_INT8) {
        FAIL_O("O4", i, ES_TEXT("data input or output is not INT8"));
    }
    if (t->rank < 1) {
        FAIL_O("O6", i, ES_TEXT("data input or output has rank 0"));
    }
    if (t->quant_type != ES_QUANT_PER_TENSOR) {
        FAIL_O("O4", i, ES_TEXT("data input or output is not quantized per tensor"));
    }
    return true;
}

static bool check_window(body_t *b, uint32_t i, const es_tensor_t *in, const es_tensor_t *out,
    uint32_t stride_h, uint32_t stride_w, uint32_t filter_h, uint32_t filter_w,
    uint32_t dilation_h, uint32_t dilation_w, uint32_t pad_top, uint32_t pad_left) {
    es_error_t *err = b->err;
    if (in->rank != 4 || out->rank != 4) {
        FAIL_O("O6", i, ES_TEXT("input/output not 4-D"));
    }
    if (in->dims[0] != out->dims[0]) {
        FAIL_O("O6", i, ES_TEXT("batch of input and output differ"));
    }
    if (stride_h < 1 || stride_w < 1 || filter_h < 1 || filter_w < 1 || dilation_h < 1
        || dilation_w < 1) {
        FAIL_O("O7", i, ES_TEXT("strides, filter sizes and dilations must be >= 1"));
    }
    if (!spatial_ok(in->dims[1], out->dims[1], filter_h, stride_h, dilation_h, pad_top)
        || !spatial_ok(in->dims[2], out->dims[2], filter_w, stride_w, dilation_w, pad_left)) {
        FAIL_O("O6", i, ES_TEXT("output size / padding are neither SAME nor VALID for the input"));
    }
    return true;
}

// Whether every output pixel's window lies inside the input (no padding taps).
static bool windows_inside(const es_weighted_params_t *p, const es_tensor_t *in,
    const es_tensor_t *out) {
    return p->pad_top == 0 && p->pad_left == 0
           && ((int64_t)out->dims[1] - 1) * p->stride_h
           + ((int64_t)p->filter_h - 1) * p->dilation_h < in->dims[1]
           && ((int64_t)out->dims[2] - 1) * p->stride_w
           + ((int64_t)p->filter_w - 1) * p->dilation_w < in->dims[2];
}

// O9: a CONV_2D / DEPTHWISE_CONV_2D's prepared output stage (FORMAT.md §3.1) is exactly
// what the op's filter, bias, requantization and zero points give: per output channel
// {2 * (bias + input_offset * sum of its filter), multiplier, 2^(r-1) + zp_out * 2^r, r}
// with r = -shift in [1, ES_STAGE_MAX_RIGHT], every window inside the input and
// |bias + input_offset * sum| + taps * 128 * 128 < 2^30. Filters and biases were checked
// to lie inside the blob (O6).
static bool check_stage(body_t *b, uint32_t i, const es_op_t *op, const es_weighted_params_t *p,
    const es_tensor_t *in, const es_tensor_t *out, const es_tensor_t *filt) {
    es_error_t *err = b->err;
    const uint8_t *model = b->model;
    const uint32_t channels = out->dims[3];
    const uint32_t at = p->scale_mantissas_offset;
    if (at % ES_CONST_ALIGN || !in_blob(b->h, at, (uint64_t)ES_STAGE_RECORD_SIZE * channels)) {
        FAIL_O("O9", i, ES_TEXT("prepared output stage is unaligned or outside the blob"));
    }
    if (!windows_inside(p, in, out)) {
        FAIL_O("O9", i, ES_TEXT("prepared output stage on an op with padding taps"));
    }
    const bool depthwise = op->opcode == ES_OP_DEPTHWISE_CONV_2D;
    const uint32_t taps = (uint32_t)p->filter_h * p->filter_w * (depthwise ? 1u : in->dims[3]);
    const int8_t *f = (const int8_t *)(model + filt->offset);
    const uint8_t *bias = NULL;
    if (op->inputs[2] != ES_NO_TENSOR) {
        es_tensor_t t;
        es_read_tensor(model, b->h, op->inputs[2], &t);
        bias = model + t.offset;
    }
    for (uint32_t c = 0; c < channels; ++c) {
        int64_t sum = 0;
        for (uint32_t k = 0; k < taps; ++k) {
            sum += depthwise ? f[(size_t)k * channels + c] : f[(size_t)c * taps + k];
        }
        const uint32_t idx = p->requant_count == 1 ? 0 : c;
        const int32_t right = -es_rd_i32(model + p->shifts_offset + 4 * idx);
        const int64_t folded = (bias ? es_rd_i32(bias + 4 * c) : 0)
            - (int64_t)p->input_zero_point * sum;
        const int64_t magnitude = folded < 0 ? -folded : folded;
        if (right < 1 || right > ES_STAGE_MAX_RIGHT
            || magnitude + (int64_t)taps * 128 * 128 >= ((int64_t)1 << 30)) {
            FAIL_O("O9", i, ES_TEXT("prepared output stage where its range does not hold"));
        }
        const uint8_t *r = model + at + (size_t)ES_STAGE_RECORD_SIZE * c;
        const int64_t round = ((int64_t)1 << (right - 1))
            + (int64_t)p->output_zero_point * ((int64_t)1 << right);
        if (es_rd_i32(r) != 2 * folded
            || es_rd_i32(r + 4) != es_rd_i32(model + p->multipliers_offset + 4 * idx)
            || es_rd_i32(r + 8) != round || es_rd_i32(r + 12) != right) {
            FAIL_O("O9", i,
                ES_TEXT("prepared output stage differs from the op's bias, filter and requantization"));
        }
    }
    return true;
}

static bool check_weighted(body_t *b, uint32_t i, const es_op_t *op, const es_tensor_t *in,
    const es_tensor_t *out) {
    es_error_t *err = b->err;
    const es_header_t *h = b->h;
    es_weighted_params_t p;
    es_read_weighted_params(op->params, &p);
    es_tensor_t filt;
    if (!op_tensor(b, i, op->inputs[1], &filt, ES_TEXT("filter tensor index is out of range"))) {
        return false;
    }
    if (filt.kind != ES_KIND_CONST || filt.dtype != ES_DTYPE_INT8) {
        FAIL_O("O4", i, ES_TEXT("filter must be a constant INT8 tensor"));
    }
    uint32_t channels = out->dims[out->rank - 1];
    if (op->opcode == ES_OP_FULLY_CONNECTED) {
        if (filt.rank != 2) {
            FAIL_O("O6", i, ES_TEXT("filter must be 2-D [out, depth]"));
        }
        uint32_t depth = filt.dims[1];
        if (filt.dims[0] != channels) {
            FAIL_O("O6", i, ES_TEXT("filter rows != output depth"));
        }
        uint32_t in_elements = es_tensor_elements(in);
        if (in_elements % depth) {
            FAIL_O("O6", i, ES_TEXT("input size not a multiple of depth"));
        }
        if ((uint64_t)es_tensor_elements(out) != (uint64_t)(in_elements / depth) * channels) {
            FAIL_O("O6", i, ES_TEXT("output size != batches * output depth"));
        }
        if (p.stride_h || p.stride_w || p.dilation_h || p.dilation_w || p.pad_top || p.pad_left
            || p.filter_h || p.filter_w || p.depth_multiplier) {
            FAIL_O("O8", i, ES_TEXT("spatial fields must be zero for FULLY_CONNECTED"));
        }
    } else {
        if (!check_window(b, i, in, out, p.stride_h, p.stride_w, p.filter_h, p.filter_w,
            p.dilation_h, p.dilation_w, p.pad_top, p.pad_left)) {
            return false;
        }
        if (filt.rank != 4) {
            FAIL_O("O6", i, ES_TEXT("filter must be 4-D"));
        }
        if (filt.dims[1] != p.filter_h || filt.dims[2] != p.filter_w) {
            FAIL_O("O6", i, ES_TEXT("filter_h/filter_w differ from the filter shape"));
        }
        if (op->opcode == ES_OP_CONV_2D) {
            if (p.depth_multiplier != 1) {
                FAIL_O("O6", i, ES_TEXT("depth_multiplier must be 1"));
            }
            if (filt.dims[0] != channels || filt.dims[3] != in->dims[3]) {
                FAIL_O("O6", i, ES_TEXT("filter shape does not match input/output channels"));
            }
        } else {
            if (filt.dims[0] != 1 || filt.dims[3] != channels) {
                FAIL_O("O6", i, ES_TEXT("filter must be [1, h, w, output channels]"));
            }
            if (p.depth_multiplier < 1 || (uint32_t)in->dims[3] * p.depth_multiplier != channels) {
                FAIL_O("O6", i, ES_TEXT("input channels * depth_multiplier != output channels"));
            }
        }
    }
    if (filt.zero_point != 0 && op->opcode != ES_OP_FULLY_CONNECTED) {
        FAIL_O("O7", i, ES_TEXT("conv filters must be symmetric (zero point 0)"));
    }
    if (p.filter_zero_point != filt.zero_point) {
        FAIL_O("O7", i, ES_TEXT("filter zero point mismatch"));
    }
    if (op->inputs[2] != ES_NO_TENSOR) {
        es_tensor_t bias;
        if (!op_tensor(b, i, op->inputs[2], &bias, ES_TEXT("bias tensor index is out of range"))) {
            return false;
        }
        if (bias.kind != ES_KIND_CONST || bias.dtype != ES_DTYPE_INT32
            || es_tensor_elements(&bias) != channels) {
            FAIL_O("O6", i,
                ES_TEXT("bias must be a constant INT32 tensor with one value per channel"));
        }
    }
    uint32_t count = p.requant_count;
    if (count != 1 && count != channels) {
        FAIL_O("O6", i, ES_TEXT("requant_count is neither 1 nor channels"));
    }
    if (p.multipliers_offset % 4 || !in_blob(h, p.multipliers_offset, 4 * (uint64_t)count)
        || p.shifts_offset % 4 || !in_blob(h, p.shifts_offset, 4 * (uint64_t)count)) {
        FAIL_O("O6", i, ES_TEXT("multiplier/shift array is unaligned or outside the blob"));
    }
    for (uint32_t c = 0; c < count; ++c) {
        int32_t m = es_rd_i32(b->model + p.multipliers_offset + 4 * c);
        int32_t s = es_rd_i32(b->model + p.shifts_offset + 4 * c);
        if (!multiplier_ok(m, s)) {
            FAIL_O("O7", i, ES_TEXT("output multiplier or shift out of range"));
        }
    }
    if (p.requant_mode == ES_REQUANT_FIXED_POINT) {
        // (CONV_2D and DEPTHWISE_CONV_2D keep their prepared stage's offset in the
        // mantissas' slot: O9.)
        bool fc = op->opcode == ES_OP_FULLY_CONNECTED;
        if ((fc && p.scale_mantissas_offset != 0) || p.scale_exponents_offset != 0) {
            FAIL_O("O8", i, ES_TEXT("scale arrays must be 0 in FIXED_POINT mode"));
        }
    } else {
        if (op->opcode != ES_OP_FULLY_CONNECTED) {
            FAIL_O("O7", i,
                ES_TEXT("DOUBLE_ROUND requantization is only defined for FULLY_CONNECTED"));
        }
        if (p.scale_mantissas_offset % 8
            || !in_blob(h, p.scale_mantissas_offset, 8 * (uint64_t)count)
            || p.scale_exponents_offset % 4
            || !in_blob(h, p.scale_exponents_offset, 4 * (uint64_t)count)) {
            FAIL_O("O6", i,
                ES_TEXT("scale mantissa/exponent arrays are unaligned or outside the blob"));
        }
        for (uint32_t c = 0; c < count; ++c) {
            int64_t mantissa = es_rd_i64(b->model + p.scale_mantissas_offset + 8 * c);
            int32_t exponent = es_rd_i32(b->model + p.scale_exponents_offset + 4 * c);
            if (mantissa != 0 && (mantissa < ((int64_t)1 << 52) || mantissa >= ((int64_t)1 << 53))) {
                FAIL_O("O7", i, ES_TEXT("scale mantissa is not 0 or in [2^52, 2^53)"));
            }
            if (exponent < -256 || exponent > 0) {
                FAIL_O("O7", i, ES_TEXT("scale exponent outside [-256, 0]"));
            }
        }
    }
    if (p.input_zero_point != in->zero_point || p.output_zero_point != out->zero_point) {
        FAIL_O("O7", i, ES_TEXT("zero point differs from its tensor's"));
    }
    if (!act_range_ok(p.act_min, p.act_max)) {
        FAIL_O("O7", i, ES_TEXT("act_min/act_max outside [-128, 127] or inverted"));
    }
    if (op->opcode != ES_OP_FULLY_CONNECTED && p.scale_mantissas_offset != 0) {
        return check_stage(b, i, op, &p, in, out, &filt);
    }
    return true;
}

static bool check_pool(body_t *b, uint32_t i, const es_op_t *op, const es_tensor_t *in,
    const es_tensor_t *out) {
    es_error_t *err = b->err;
    es_pool_params_t p;
    es_read_pool_params(op->params, &p);
    if (!check_window(b, i, in, out, p.stride_h, p.stride_w, p.filter_h, p.filter_w, 1, 1,
        p.pad_top, p.pad_left)) {
        return false;
    }
    if (in->dims[3] != out->dims[3]) {
        FAIL_O("O6", i, ES_TEXT("input and output channels differ"));
    }
    if (!act_range_ok(p.act_min, p.act_max)) {
        FAIL_O("O7", i, ES_TEXT("act_min/act_max outside [-128, 127] or inverted"));
    }
    return true;
}

// True when a and b broadcast to out (TFLite's rules).
static bool broadcasts(const es_tensor_t *a, const es_tensor_t *b, const es_tensor_t *out) {
    if ((a->rank > b->rank ? a->rank : b->rank) != out->rank) {
        return false;
    }
    uint32_t x[4], y[4], z[4];
    es_padded_dims(a, x);
    es_padded_dims(b, y);
    es_padded_dims(out, z);
    for (uint32_t d = 0; d < 4; ++d) {
        uint32_t big = x[d] > y[d] ? x[d] : y[d];
        if (z[d] != big || (x[d] != 1 && x[d] != z[d]) || (y[d] != 1 && y[d] != z[d])) {
            return false;
        }
    }
    return true;
}

static bool check_add(body_t *b, uint32_t i, const es_op_t *op, const es_tensor_t *out) {
    es_error_t *err = b->err;
    es_add_params_t p;
    es_read_add_params(op->params, &p);
    es_tensor_t in1, in2;
    es_read_tensor(b->model, b->h, op->inputs[0], &in1);
    es_read_tensor(b->model, b->h, op->inputs[1], &in2);
    if (!broadcasts(&in1, &in2, out)) {
        FAIL_O("O6", i, ES_TEXT("shapes do not broadcast"));
    }
    if (p.left_shift != ES_ADD_LEFT_SHIFT) {
        FAIL_O("O7", i, ES_TEXT("left_shift must be 20"));
    }
    const int32_t pairs[3][2] = {
        { p.input1_multiplier, p.input1_shift },
        { p.input2_multiplier, p.input2_shift },
        { p.output_multiplier, p.output_shift },
    };
    for (int k = 0; k < 3; ++k) {
        if (!multiplier_ok(pairs[k][0], pairs[k][1]) || pairs[k][1] > 0) {
            FAIL_O("O7", i, ES_TEXT("multiplier or shift out of range"));
        }
    }
    if (p.input1_zero_point != in1.zero_point || p.input2_zero_point != in2.zero_point
        || p.output_zero_point != out->zero_point) {
        FAIL_O("O7", i, ES_TEXT("zero point differs from its tensor's"));
    }
    if (!act_range_ok(p.act_min, p.act_max)) {
        FAIL_O("O7", i, ES_TEXT("act_min/act_max outside [-128, 127] or inverted"));
    }
    return true;
}

static bool check_softmax(body_t *b, uint32_t i, const es_op_t *op, const es_tensor_t *in,
    const es_tensor_t *out) {
    es_error_t *err = b->err;
    es_softmax_params_t p;
    es_read_softmax_params(op->params, &p);
    if (!same_shape(in, out)) {
        FAIL_O("O6", i, ES_TEXT("input and output shapes differ"));
    }
    if (p.output_zero_point != ES_SOFTMAX_OUTPUT_ZERO_POINT) {
        FAIL_O("O7", i, ES_TEXT("output zero point must be -128"));
    }
    if (p.input_zero_point != in->zero_point || p.output_zero_point != out->zero_point) {
        FAIL_O("O7", i, ES_TEXT("zero point differs from its tensor's"));
    }
    if (p.input_beta_multiplier < (1 << 30)) {
        FAIL_O("O7", i, ES_TEXT("input_beta_multiplier outside [2^30, 2^31 - 1]"));
    }
    if (p.input_beta_left_shift < 0 || p.input_beta_left_shift > 31) {
        FAIL_O("O7", i, ES_TEXT("input_beta_left_shift outside [0, 31]"));
    }
    if (p.diff_min == INT32_MIN || p.diff_min > 0) {
        FAIL_O("O7", i, ES_TEXT("diff_min outside [-(2^31 - 1), 0]"));
    }
    return true;
}

static void use(body_t *b, uint32_t root, uint32_t step) {
    if (b->first[root] == NONE32 || b->first[root] > step) {
        b->first[root] = step;
    }
    if (b->last[root] == NONE32 || b->last[root] < step) {
        b->last[root] = step;
    }
}

// Ops whose data inputs and output are int8 per-tensor quantized tensors; the others move
// or map bytes of int8 or uint8 tensors.
static bool is_int8_op(uint8_t opcode) {
    return opcode <= ES_OP_SOFTMAX || opcode == ES_OP_MUL || opcode == ES_OP_MEAN;
}

static bool check_byte_tensor(body_t *b, uint32_t i, const es_tensor_t *t) {
    es_error_t *err = b->err;
    if (t->dtype != ES_DTYPE_INT8 && t->dtype != ES_DTYPE_UINT8) {
        FAIL_O("O4", i, ES_TEXT("input or output is not INT8 or UINT8"));
    }
    if (t->rank < 1) {
        FAIL_O("O6", i, ES_TEXT("input or output has rank 0"));
    }
    return true;
}

static bool check_copy(body_t *b, uint32_t i, const es_op_t *op, const es_tensor_t *in,
    const es_tensor_t *out) {
    es_error_t *err = b->err;
    if (op->opcode == ES_OP_READ_VARIABLE && in->kind != ES_KIND_STATE) {
        FAIL_O("O4", i, ES_TEXT("input must be a variable"));
    }
    if (in->dtype != out->dtype || in->byte_size != out->byte_size) {
        FAIL_O("O6", i, ES_TEXT("value and variable differ in type or size"));
    }
    return true;
}

static bool check_concat(body_t *b, uint32_t i, const es_op_t *op, const es_tensor_t *out) {
    es_error_t *err = b->err;
    int32_t axis = es_rd_i32(op->params + ES_CONCAT_AXIS);
    if (axis < 0 || axis >= out->rank) {
        FAIL_O("O7", i, ES_TEXT("axis outside the output's rank"));
    }
    uint32_t total = 0;
    for (uint32_t k = 0; k < op->input_count; ++k) {
        es_tensor_t t;
        es_read_tensor(b->model, b->h, op->inputs[k], &t);
        bool fits = t.rank == out->rank;
        for (int32_t d = 0; fits && d < out->rank; ++d) {
            fits = d == axis || t.dims[d] == out->dims[d];
        }
        if (!fits) {
            FAIL_O("O6", i, ES_TEXT("input does not fit the output off the axis"));
        }
        if (t.dtype != out->dtype) {
            FAIL_O("O6", i, ES_TEXT("inputs and output differ in type"));
        }
        if (t.zero_point != out->zero_point) {
            FAIL_O("O7", i, ES_TEXT("zero point differs from its tensor's"));
        }
        total += t.dims[axis];
    }
    if (total != out->dims[axis]) {
        FAIL_O("O6", i, ES_TEXT("input sizes on the axis do not add up"));
    }
    return true;
}

static bool check_slice(body_t *b, uint32_t i, const es_op_t *op, const es_tensor_t *in,
    const es_tensor_t *out) {
    es_error_t *err = b->err;
    if (in->dtype != out->dtype) {
        FAIL_O("O6", i, ES_TEXT("input and output differ in type"));
    }
    uint32_t dims[4];
    es_padded_dims(in, dims);
    uint64_t count = 1;
    for (uint32_t d = 0; d < 4; ++d) {
        int64_t begin = es_rd_i32(op->params + ES_SLICE_BEGIN + 4 * d);
        int64_t stride = es_rd_i32(op->params + ES_SLICE_STRIDE + 4 * d);
        int64_t n = es_rd_u16(op->params + ES_SLICE_COUNT + 2 * d);
        int64_t last = begin + (n - 1) * stride;
        if (n < 1 || stride == 0 || begin < 0 || begin >= dims[d] || last < 0 || last >= dims[d]) {
            FAIL_O("O6", i, ES_TEXT("slice is outside the input"));
        }
        count *= (uint64_t)n;
    }
    if (count != es_tensor_elements(out)) {
        FAIL_O("O6", i, ES_TEXT("slice size differs from the output's"));
    }
    return true;
}

static bool check_logistic(body_t *b, uint32_t i, const es_op_t *op, const es_tensor_t *in,
    const es_tensor_t *out) {
    es_error_t *err = b->err;
    if (in->dtype != out->dtype || es_tensor_elements(in) != es_tensor_elements(out)) {
        FAIL_O("O6", i, ES_TEXT("input and output differ in type or size"));
    }
    if (!in_blob(b->h, es_rd_u32(op->params + ES_LOGISTIC_TABLE), ES_LOGISTIC_TABLE_SIZE)) {
        FAIL_O("O6", i, ES_TEXT("table is outside the blob"));
    }
    if (es_rd_i32(op->params + ES_LOGISTIC_INPUT_ZERO_POINT) != in->zero_point
        || es_rd_i32(op->params + ES_LOGISTIC_OUTPUT_ZERO_POINT) != out->zero_point) {
        FAIL_O("O7", i, ES_TEXT("zero point differs from its tensor's"));
    }
    return true;
}

static bool check_quantize(body_t *b, uint32_t i, const es_op_t *op, const es_tensor_t *in,
    const es_tensor_t *out) {
    es_error_t *err = b->err;
    if (es_tensor_elements(in) != es_tensor_elements(out)) {
        FAIL_O("O6", i, ES_TEXT("input and output sizes differ"));
    }
    if (in->quant_type != ES_QUANT_PER_TENSOR || out->quant_type != ES_QUANT_PER_TENSOR) {
        FAIL_O("O4", i, ES_TEXT("input and output must be quantized per tensor"));
    }
    if (es_rd_i32(op->params + ES_QUANTIZE_INPUT_ZERO_POINT) != in->zero_point
        || es_rd_i32(op->params + ES_QUANTIZE_OUTPUT_ZERO_POINT) != out->zero_point) {
        FAIL_O("O7", i, ES_TEXT("zero point differs from its tensor's"));
    }
    if (!multiplier_ok(es_rd_i32(op->params + ES_QUANTIZE_MULTIPLIER),
        es_rd_i32(op->params + ES_QUANTIZE_SHIFT))) {
        FAIL_O("O7", i, ES_TEXT("output multiplier or shift out of range"));
    }
    return true;
}

static bool check_mul(body_t *b, uint32_t i, const es_op_t *op, const es_tensor_t *out) {
    es_error_t *err = b->err;
    es_tensor_t in1, in2;
    es_read_tensor(b->model, b->h, op->inputs[0], &in1);
    es_read_tensor(b->model, b->h, op->inputs[1], &in2);
    const uint8_t *p = op->params;
    if (!broadcasts(&in1, &in2, out)) {
        FAIL_O("O6", i, ES_TEXT("shapes do not broadcast"));
    }
    if (!multiplier_ok(es_rd_i32(p + ES_MUL_MULTIPLIER), es_rd_i32(p + ES_MUL_SHIFT))) {
        FAIL_O("O7", i, ES_TEXT("output multiplier or shift out of range"));
    }
    if (es_rd_i32(p + ES_MUL_INPUT1_ZERO_POINT) != in1.zero_point
        || es_rd_i32(p + ES_MUL_INPUT2_ZERO_POINT) != in2.zero_point
        || es_rd_i32(p + ES_MUL_OUTPUT_ZERO_POINT) != out->zero_point) {
        FAIL_O("O7", i, ES_TEXT("zero point differs from its tensor's"));
    }
    if (!act_range_ok(es_rd_i32(p + ES_MUL_ACT_MIN), es_rd_i32(p + ES_MUL_ACT_MAX))) {
        FAIL_O("O7", i, ES_TEXT("act_min/act_max outside [-128, 127] or inverted"));
    }
    return true;
}

static bool check_pad(body_t *b, uint32_t i, const es_op_t *op, const es_tensor_t *in,
    const es_tensor_t *out) {
    es_error_t *err = b->err;
    if (in->dtype != out->dtype || in->rank != out->rank) {
        FAIL_O("O6", i, ES_TEXT("input and output differ in type or rank"));
    }
    uint32_t n[4], o[4];
    es_padded_dims(in, n);
    es_padded_dims(out, o);
    for (uint32_t d = 0; d < 4; ++d) {
        if ((uint32_t)es_rd_u16(op->params + ES_PAD_BEFORE + 2 * d) + n[d] > o[d]) {
            FAIL_O("O6", i, ES_TEXT("padded input does not fit the output"));
        }
    }
    int32_t value = es_rd_i32(op->params + ES_PAD_VALUE);
    int32_t low = out->dtype == ES_DTYPE_INT8 ? -128 : 0;
    if (value < low || value > low + 255) {
        FAIL_O("O7", i, ES_TEXT("pad value outside [-128, 127] / [0, 255]"));
    }
    if (in->zero_point != out->zero_point) {
        FAIL_O("O7", i, ES_TEXT("zero point differs from its tensor's"));
    }
    return true;
}

static bool check_mean(body_t *b, uint32_t i, const es_op_t *op, const es_tensor_t *in,
    const es_tensor_t *out) {
    es_error_t *err = b->err;
    const uint32_t mask = es_rd_u32(op->params + ES_MEAN_AXIS_MASK);
    if (mask < 1 || mask > 15) {
        FAIL_O("O7", i, ES_TEXT("axis mask outside [1, 15]"));
    }
    uint32_t dims[4];
    es_padded_dims(in, dims);
    uint64_t count = 1;
    for (uint32_t d = 0; d < 4; ++d) {
        count *= mask >> d & 1 ? 1 : dims[d];
    }
    if (count != es_tensor_elements(out)) {
        FAIL_O("O6", i, ES_TEXT("output size differs from the mean's"));
    }
    if (!multiplier_ok(es_rd_i32(op->params + ES_MEAN_MULTIPLIER),
        es_rd_i32(op->params + ES_MEAN_SHIFT))) {
        FAIL_O("O7", i, ES_TEXT("output multiplier or shift out of range"));
    }
    if (es_rd_i32(op->params + ES_MEAN_INPUT_ZERO_POINT) != in->zero_point
        || es_rd_i32(op->params + ES_MEAN_OUTPUT_ZERO_POINT) != out->zero_point) {
        FAIL_O("O7", i, ES_TEXT("zero point differs from its tensor's"));
    }
    return true;
}

// A kernel's arena operands are 16-byte aligned (O4) and its output shares no byte with its
// data inputs (P2). (ASSIGN/READ_VARIABLE, a memmove, are not asked.)
static bool check_operand_memory(body_t *b, uint32_t i, const es_op_t *op, uint32_t n_data,
    const es_tensor_t *out) {
    es_error_t *err = b->err;
    if (out->offset % ES_ARENA_ALIGN) {
        FAIL_O("O4", i, ES_TEXT("operand is not 16-byte aligned"));
    }
    for (uint32_t k = 0; k < n_data; ++k) {
        es_tensor_t t;
        es_read_tensor(b->model, b->h, op->inputs[k], &t);
        if (t.kind == ES_KIND_CONST) {
            continue;
        }
        if (t.offset % ES_ARENA_ALIGN) {
            FAIL_O("O4", i, ES_TEXT("operand is not 16-byte aligned"));
        }
        // (Two activations cannot overlap at the op that reads one and writes the other:
        // P1 says so with its own code.)
        bool state = t.kind == ES_KIND_STATE || out->kind == ES_KIND_STATE;
        if (state && (uint64_t)t.offset < (uint64_t)out->offset + out->byte_size
            && (uint64_t)out->offset < (uint64_t)t.offset + t.byte_size) {
            return fail_kind(err, "P2", "op", i, ES_TEXT("output overlaps an input in the arena"));
        }
    }
    return true;
}

static bool check_op(body_t *b, uint32_t i, const es_op_t *op) {
    es_error_t *err = b->err;
    bool int8_op = is_int8_op(op->opcode);
    uint32_t n_data = op->opcode == ES_OP_ADD || op->opcode == ES_OP_MUL
        || op->opcode == ES_OP_CONCATENATION ? op->input_count : 1;
    es_tensor_t in, out, t;
    memset(&in, 0, sizeof(in));
    uint32_t read_roots[3] = { NONE32, NONE32, NONE32 };
    for (uint32_t k = 0; k < n_data; ++k) {
        if (!op_tensor(b, i, op->inputs[k], &t, ES_TEXT("data input tensor index is out of range"))
            || !(int8_op ? check_data_tensor(b, i, &t) : check_byte_tensor(b, i, &t))) {
            return false;
        }
        if (t.kind != ES_KIND_CONST) {
            uint32_t root = root_of(&t, op->inputs[k]);
            if (b->first[root] == NONE32) {
                FAIL_O("O5", i, ES_TEXT("reads a tensor before any op writes it"));
            }
            read_roots[k] = root;
        }
        if (k == 0) {
            in = t;
        }
    }
    if (!op_tensor(b, i, op->output, &out, ES_TEXT("output tensor index is out of range"))
        || !(int8_op ? check_data_tensor(b, i, &out) : check_byte_tensor(b, i, &out))) {
        return false;
    }
    uint32_t out_root = root_of(&out, op->output);
    if (op->opcode == ES_OP_ASSIGN_VARIABLE) {
        if (out.kind != ES_KIND_STATE) {
            FAIL_O("O4", i, ES_TEXT("output must be a variable"));
        }
    } else {
        if (out.kind != ES_KIND_ACTIVATION && !is_view(&out)) {
            FAIL_O("O4", i, ES_TEXT("output must be an activation or a view of a variable"));
        }
        if (out.kind == ES_KIND_ACTIVATION) {
            if (b->first[out_root] != NONE32) {
                FAIL_O("O5", i, ES_TEXT("writes a tensor that is already written"));
            }
            use(b, out_root, i);
        }
    }
    if (op->opcode != ES_OP_ASSIGN_VARIABLE && op->opcode != ES_OP_READ_VARIABLE
        && !check_operand_memory(b, i, op, n_data, &out)) {
        return false;
    }
    for (uint32_t k = 0; k < n_data; ++k) {
        if (read_roots[k] != NONE32) {
            use(b, read_roots[k], i);
        }
    }
    switch (op->opcode) {
        case ES_OP_CONV_2D:
        case ES_OP_DEPTHWISE_CONV_2D:
        case ES_OP_FULLY_CONNECTED:
            return check_weighted(b, i, op, &in, &out);
        case ES_OP_AVERAGE_POOL_2D:
        case ES_OP_MAX_POOL_2D:
            return check_pool(b, i, op, &in, &out);
        case ES_OP_ADD:
            return check_add(b, i, op, &out);
        case ES_OP_SOFTMAX:
            return check_softmax(b, i, op, &in, &out);
        case ES_OP_CONCATENATION:
            return check_concat(b, i, op, &out);
        case ES_OP_STRIDED_SLICE:
            return check_slice(b, i, op, &in, &out);
        case ES_OP_LOGISTIC:
            return check_logistic(b, i, op, &in, &out);
        case ES_OP_QUANTIZE:
            return check_quantize(b, i, op, &in, &out);
        case ES_OP_MUL:
            return check_mul(b, i, op, &out);
        case ES_OP_PAD:
            return check_pad(b, i, op, &in, &out);
        case ES_OP_MEAN:
            return check_mean(b, i, op, &in, &out);
        default: // ASSIGN_VARIABLE, READ_VARIABLE
            return check_copy(b, i, op, &in, &out);
    }
}

// ---------------------------------------------------------------------------------------

bool es_check_body(const uint8_t *model, const es_header_t *h, uint32_t *scratch,
    es_error_t *err) {
    uint32_t n = h->tensor_count;
    es_tensor_t t;
    for (uint32_t i = 0; i < n; ++i) {
        es_read_tensor(model, h, i, &t);
        if (!check_tensor_record(&t, i, err)) {
            return false;
        }
    }
    for (uint32_t i = 0; i < h->op_count; ++i) {
        es_op_t op;
        es_read_op(model, h, i, &op);
        if (!check_op_record(&op, i, err)) {
            return false;
        }
    }
    for (uint32_t i = 0; i < n; ++i) {
        es_read_tensor(model, h, i, &t);
        if (!check_tensor(model, h, &t, i, err)) {
            return false;
        }
    }
    if (!check_io(model, h, scratch, err)) {
        return false;
    }

    body_t b = { model, h, scratch, scratch + n, err };
    for (uint32_t i = 0; i < 2 * n; ++i) {
        scratch[i] = NONE32;
    }
    const uint8_t *io = model + h->io_offset;
    for (uint32_t k = 0; k < h->input_count; ++k) {
        uint32_t index = es_rd_u16(io + 2 * k);
        es_read_tensor(model, h, index, &t);
        b.first[root_of(&t, index)] = 0;
    }
    for (uint32_t k = 0; k < n; ++k) {
        es_read_tensor(model, h, k, &t);
        if (t.kind == ES_KIND_STATE && t.alias_of == ES_NO_TENSOR) {
            b.first[k] = 0; // variables hold their initial value before the first op
        }
    }
    for (uint32_t i = 0; i < h->op_count; ++i) {
        es_op_t op;
        es_read_op(model, h, i, &op);
        if (!check_op(&b, i, &op)) {
            return false;
        }
    }
    for (uint32_t k = 0; k < h->output_count; ++k) {
        uint32_t index = es_rd_u16(io + 2 * (h->input_count + k));
        es_read_tensor(model, h, index, &t);
        if (b.first[root_of(&t, index)] == NONE32) {
            return fail_kind(err, "O5", "output", k,
                ES_TEXT("model output is never written by an op"));
        }
    }

    // P1: live intervals of the buffers (FORMAT.md §2), then the pairwise overlap check.
    // scratch: first[n], last[n], then offset[n] and size[n] of every root.
    uint32_t *offset = scratch + 2 * n;
    uint32_t *size = scratch + 3 * n;
    for (uint32_t i = 0; i < n; ++i) {
        es_read_tensor(model, h, i, &t);
        size[i] = 0;
        if (t.kind == ES_KIND_CONST) {
            continue;
        }
        uint32_t root = root_of(&t, i);
        if (t.flags & ES_TFLAG_INPUT || t.kind == ES_KIND_STATE) {
            b.first[root] = 0;
        }
        if (t.flags & ES_TFLAG_OUTPUT || t.kind == ES_KIND_STATE) {
            b.last[root] = h->op_count;
        }
    }
    for (uint32_t i = 0; i < n; ++i) {
        es_read_tensor(model, h, i, &t);
        if (t.kind == ES_KIND_CONST || t.alias_of != ES_NO_TENSOR) {
            continue;
        }
        uint32_t start = b.first[i] == NONE32 ? 0 : b.first[i];
        uint32_t end = b.last[i] == NONE32 || b.last[i] < start ? start : b.last[i];
        b.first[i] = start;
        b.last[i] = end;
        offset[i] = t.offset;
        size[i] = t.byte_size;
    }
    for (uint32_t i = 0; i < n; ++i) {
        if (size[i] == 0) {
            continue;
        }
        for (uint32_t j = i + 1; j < n; ++j) {
            if (size[j] == 0 || b.first[i] > b.last[j] || b.first[j] > b.last[i]) {
                continue;
            }
            if ((uint64_t)offset[i] < (uint64_t)offset[j] + size[j]
                && (uint64_t)offset[j] < (uint64_t)offset[i] + size[i]) {
                FAIL_T("P1", i,
                    ES_TEXT("live at the same time as another buffer and overlapping it in the arena"));
            }
        }
    }
    return true;
}
