// `_earshot` bindings of the streaming pipeline's sample-block operations. They work on
// caller-owned buffers and allocate nothing, so the per-hop path stays allocation-free.
// int16 samples may sit at any address (a memoryview at an odd offset: Cortex-M0 faults on
// unaligned halfword loads): a 2-byte aligned buffer goes straight to audio_ops, another
// through an aligned copy on the stack, a piece at a time.

#include <string.h>

#include "es_py.h"
#include "audio/audio_ops.h"

// Samples per piece of an unaligned buffer.
#define PIECE (64)

static size_t samples_of(mp_obj_t buf_in, mp_buffer_info_t *info, mp_uint_t flags) {
    mp_get_buffer_raise(buf_in, info, flags);
    if (info->len % 2) {
        mp_raise_ValueError(MP_ERROR_TEXT("int16 buffer has an odd number of bytes"));
    }
    return info->len / 2;
}

static bool aligned16(const void *p) {
    return ((uintptr_t)p & 1) == 0;
}

// Samples [i, i + k) of buf (any alignment), where the caller can read them as int16: the
// buffer itself when aligned, else a copy in piece.
static const int16_t *samples_at(const uint8_t *buf, size_t i, size_t k, int16_t *piece) {
    if (aligned16(buf)) {
        return (const int16_t *)(const void *)buf + i;
    }
    memcpy(piece, buf + 2 * i, 2 * k);
    return piece;
}

// The pieces of n samples: all at once when aligned, else PIECE at a time.
static size_t piece_len(const uint8_t *buf, size_t i, size_t n) {
    return aligned16(buf) || n - i < PIECE ? n - i : PIECE;
}

int16_t es_samples_peak(const uint8_t *buf, size_t n) {
    int16_t piece[PIECE];
    int16_t peak = INT16_MIN;
    for (size_t i = 0, k; i < n; i += k) {
        k = piece_len(buf, i, n);
        int16_t p = es_audio_peak(samples_at(buf, i, k, piece), k);
        peak = p > peak ? p : peak;
    }
    return peak;
}

static mp_obj_t earshot_mean_square(mp_obj_t samples_in) {
    mp_buffer_info_t info;
    size_t n = samples_of(samples_in, &info, MP_BUFFER_READ);
    if (n > 65535) {
        mp_raise_ValueError(MP_ERROR_TEXT("block longer than 65535 samples"));
    }
    int16_t piece[PIECE];
    uint64_t sum = 0;
    for (size_t i = 0, k; i < n; i += k) {
        k = piece_len(info.buf, i, n);
        sum += es_audio_sum_squares(samples_at(info.buf, i, k, piece), k);
    }
    return mp_obj_new_int_from_uint(es_audio_mean_of(sum, n));
}
MP_DEFINE_CONST_FUN_OBJ_1(earshot_mean_square_obj, earshot_mean_square);

static mp_obj_t earshot_peak(mp_obj_t samples_in) {
    mp_buffer_info_t info;
    size_t n = samples_of(samples_in, &info, MP_BUFFER_READ);
    return MP_OBJ_NEW_SMALL_INT(es_samples_peak(info.buf, n));
}
MP_DEFINE_CONST_FUN_OBJ_1(earshot_peak_obj, earshot_peak);

static mp_obj_t earshot_mix_stereo(mp_obj_t dst_in, mp_obj_t src_in) {
    mp_buffer_info_t dst, src;
    size_t n = samples_of(dst_in, &dst, MP_BUFFER_WRITE);
    size_t m = samples_of(src_in, &src, MP_BUFFER_READ);
    if (m < 2 * n) {
        mp_raise_ValueError(MP_ERROR_TEXT("stereo source shorter than twice the destination"));
    }
    if (aligned16(dst.buf) && aligned16(src.buf)) {
        es_audio_mix_stereo((int16_t *)dst.buf, (const int16_t *)src.buf, n);
        return mp_const_none;
    }
    // A piece of the source is copied before its mix is written: in place (dst == src)
    // the mix never overtakes the source it reads (destination byte 2i, source 4i).
    int16_t in[2 * PIECE], out[PIECE];
    for (size_t i = 0, k; i < n; i += k) {
        k = n - i < PIECE ? n - i : PIECE;
        memcpy(in, (const uint8_t *)src.buf + 4 * i, 4 * k);
        es_audio_mix_stereo(out, in, k);
        memcpy((uint8_t *)dst.buf + 2 * i, out, 2 * k);
    }
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_2(earshot_mix_stereo_obj, earshot_mix_stereo);

static mp_obj_t earshot_shift_in(mp_obj_t window_in, mp_obj_t frame_in) {
    mp_buffer_info_t window, frame;
    mp_get_buffer_raise(window_in, &window, MP_BUFFER_WRITE);
    mp_get_buffer_raise(frame_in, &frame, MP_BUFFER_READ);
    if (frame.len > window.len) {
        mp_raise_ValueError(MP_ERROR_TEXT("frame longer than the window"));
    }
    es_audio_shift_in((uint8_t *)window.buf, window.len, (const uint8_t *)frame.buf, frame.len);
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_2(earshot_shift_in_obj, earshot_shift_in);

static mp_obj_t earshot_pack_i32_to_i16(mp_obj_t dst_in, mp_obj_t src_in, mp_obj_t shift_in) {
    mp_buffer_info_t dst, src;
    size_t n = samples_of(dst_in, &dst, MP_BUFFER_WRITE);
    mp_get_buffer_raise(src_in, &src, MP_BUFFER_READ);
    mp_int_t shift = mp_obj_get_int(shift_in);
    if (src.len < 4 * n || shift < 0 || shift > 31) {
        mp_raise_ValueError(MP_ERROR_TEXT("need 4 source bytes per sample and a shift of 0..31"));
    }
    // Either buffer may sit at any address: words and samples go through locals.
    const uint8_t *bytes = src.buf;
    uint8_t *out = dst.buf;
    for (size_t i = 0; i < n; ++i) {
        int32_t word;
        int16_t sample;
        memcpy(&word, bytes + 4 * i, sizeof(word));
        es_audio_pack_i32_to_i16(&sample, &word, 1, (unsigned)shift);
        memcpy(out + 2 * i, &sample, sizeof(sample));
    }
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_3(earshot_pack_i32_to_i16_obj, earshot_pack_i32_to_i16);

// copy(dst, src): dst[:] = src for buffers of the same length, without the slice objects
// that slice assignment allocates.
static mp_obj_t earshot_copy(mp_obj_t dst_in, mp_obj_t src_in) {
    mp_buffer_info_t dst, src;
    mp_get_buffer_raise(dst_in, &dst, MP_BUFFER_WRITE);
    mp_get_buffer_raise(src_in, &src, MP_BUFFER_READ);
    if (dst.len != src.len) {
        mp_raise_ValueError(MP_ERROR_TEXT("copy between buffers of different lengths"));
    }
    memmove(dst.buf, src.buf, dst.len);
    return mp_const_none;
}
MP_DEFINE_CONST_FUN_OBJ_2(earshot_copy_obj, earshot_copy);

// Read one non-empty line from standard input (the console UART on a board) into buf,
// without the line end. Returns its length, -1 for a line longer than buf (the rest is read and
// dropped), or -2 at the end of input (Ctrl-D / EOF). A Ctrl-D inside a line ends that line
// (valid lines never contain one): the Unix port returns Ctrl-D for every read after EOF,
// so input that stops mid-line must not keep the loop waiting for a line end.
static mp_obj_t earshot_read_line(mp_obj_t buf_in) {
    mp_buffer_info_t buf;
    mp_get_buffer_raise(buf_in, &buf, MP_BUFFER_WRITE);
    uint8_t *out = buf.buf;
    size_t n = 0;
    bool overflow = false;
    for (;;) {
        int c = es_stdin_read_chr();
        if (c == '\n' || c == '\r') {
            // Either ends a line (the Unix port reads '\n' as '\r'); empty lines are skipped.
            if (n || overflow) {
                break;
            }
            continue;
        }
        if (c == 4) {
            if (n == 0 && !overflow) {
                return MP_OBJ_NEW_SMALL_INT(-2);
            }
            break;
        }
        if (n < buf.len) {
            out[n++] = (uint8_t)c;
        } else {
            overflow = true;
        }
    }
    return MP_OBJ_NEW_SMALL_INT(overflow ? -1 : (mp_int_t)n);
}
MP_DEFINE_CONST_FUN_OBJ_1(earshot_read_line_obj, earshot_read_line);

// decode_line(line, n, dst) -> sequence number, or -1 for a malformed line (see
// es_audio_decode_line); dst receives the samples.
static mp_obj_t earshot_decode_line(mp_obj_t line_in, mp_obj_t n_in, mp_obj_t dst_in) {
    mp_buffer_info_t line, dst;
    mp_get_buffer_raise(line_in, &line, MP_BUFFER_READ);
    mp_get_buffer_raise(dst_in, &dst, MP_BUFFER_WRITE);
    mp_int_t n = mp_obj_get_int(n_in);
    if (n < 0 || (size_t)n > line.len) {
        mp_raise_ValueError(MP_ERROR_TEXT("line length out of range"));
    }
    int32_t seq = es_audio_decode_line(line.buf, (size_t)n, dst.buf, dst.len);
    return MP_OBJ_NEW_SMALL_INT(seq);
}
MP_DEFINE_CONST_FUN_OBJ_3(earshot_decode_line_obj, earshot_decode_line);
