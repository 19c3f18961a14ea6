// Optimized int8 CONV_2D: im2col of two output pixels into a small stack buffer of int16
// (input + input offset, 0 where the window hangs over the padding), then a blocked
// matrix kernel. With the DSP extension it computes two output channels x two pixels per
// pass: filter bytes are unpacked with SXTB16 and multiplied with SMLAD; the column is
// stored in the order SXTB16 yields (lanes 0, 2, 1, 3 of every group of four), so each
// 4-deep step costs two filter loads, four SXTB16, two LDRD and eight SMLAD for 16 MACs.
// On Thumb-2 without DSP, three channels x two pixels per pass with one MLA per MAC. The
// output stage is the lean one of opt_common.h.
// Bit-exact with kernels/conv.c, which it falls back to for shapes it does not cover.

#include "kernels/optimized/opt_common.h"

#if !EARSHOT_KERNELS_REFERENCE

EARSHOT_OPT_SPEED

#include "kernels/optimized/opt_conv.h"
#include "kernels/optimized/opt_m0.h"

// Longest window row (bytes) that the DSP column fill copies by words.
#define ES_OPT_ROW_BYTES (64)

// Two columns of ES_OPT_COLUMN_ENTRIES int16 each, the second right after the first, in
// words (the DSP kernel reads int16 pairs); single entries go through memcpy.
typedef struct _es_columns_t {
    uint32_t w[ES_OPT_COLUMN_ENTRIES];
} es_columns_t;

// The column's int16 entries, read in place.
typedef int16_t es_col16_t __attribute__((may_alias));

static inline void col_set(es_columns_t *cols, int32_t pos, int32_t v) {
    const int16_t h = (int16_t)v;
    memcpy((uint8_t *)cols->w + 2 * pos, &h, sizeof(h));
}

// Position of receptive-field entry k in the column.
static inline int32_t column_pos(int32_t k, int32_t k4) {
    #if EARSHOT_OPT_DSP
    if (k < k4) {
        return (k & ~3) | ((k & 1) << 1) | ((k >> 1) & 1);
    }
    #else
    (void)k4;
    #endif
    return k;
}

#if EARSHOT_OPT_DSP
// The input offset in both int16 lanes.
static inline int32_t offset_pair(int32_t offset) {
    return (int32_t)(((uint32_t)offset & 0xffffu) | ((uint32_t)offset << 16));
}

// Four input bytes x plus the offset, as the two int16-pair words of the DSP column order
// (lanes 0, 2 then 1, 3).
static inline void put_word(uint32_t *d, uint32_t x, int32_t off2) {
    d[0] = (uint32_t)__sadd16(__sxtb16(x), off2);
    d[1] = (uint32_t)__sadd16(es_sxtb16_ror8(x), off2);
}
#endif

// Entries k .. k + n - 1 of the column starting at entry base: the n input bytes at src
// plus offset, or zeros (padding) when src is NULL. Whole aligned groups of four go by
// words, in the lane order of the DSP kernel.
static void column_run(es_columns_t *cols, int32_t base, int32_t k, const int8_t *src, int32_t n,
    int32_t offset, int32_t k4) {
    int32_t i = 0;
    #if EARSHOT_OPT_DSP
    for (; i < n && ((k + i) & 3) != 0; ++i) {
        col_set(cols, base + column_pos(k + i, k4), src ? src[i] + offset : 0);
    }
    int32_t words = (n - i) >> 2;
    if (k + i + 4 * words > k4) {
        words = (k4 - (k + i)) >> 2;
    }
    if (words > 0) {
        uint32_t *d = &cols->w[(base + k + i) >> 1];
        if (src) {
            const int32_t off2 = offset_pair(offset);
            const int8_t *s = src + i;
            for (int32_t j = 0; j < words; ++j) {
                const uint32_t x = es_opt_rd32(s);
                put_word(d, x, off2);
                d += 2;
                s += 4;
            }
        } else {
            for (int32_t j = 0; j < words; ++j) {
                d[0] = 0;
                d[1] = 0;
                d += 2;
            }
        }
        i += 4 * words;
    }
    for (; i < n; ++i) {
        col_set(cols, base + column_pos(k + i, k4), src ? src[i] + offset : 0);
    }
    #else
    (void)k4;
    if (src) {
        for (; i < n; ++i) {
            col_set(cols, base + k + i, src[i] + offset);
        }
    } else {
        for (; i < n; ++i) {
            col_set(cols, base + k + i, 0);
        }
    }
    #endif
}

// The receptive field of the output pixel whose window starts at (y0, x0).
static void column_fill(const es_conv_params_t *p, const int8_t *in_b, int32_t y0, int32_t x0,
    es_columns_t *cols, int32_t base, int32_t k4) {
    const int32_t in_ch = p->in_ch;
    const int32_t row_len = p->filter_w * in_ch;
    const int32_t in_row = p->in_w * in_ch;
    const int32_t offset = p->input_offset;
    const int32_t dw = p->dilation_w;
    // The filter columns [kx_begin, kx_end) that fall inside the input.
    int32_t kx_begin, kx_end;
    es_opt_inside_cols(p, x0, &kx_begin, &kx_end);
    #if EARSHOT_OPT_DSP
    const bool cols_inside = kx_begin == 0 && kx_end == p->filter_w;
    if (dw == 1 && (row_len & 3) == 0 && (cols_inside || row_len <= ES_OPT_ROW_BYTES)
        && k4 == p->filter_h * row_len) {
        // Rows of row_len contiguous bytes by words. A row that hangs over the left or right
        // edge is first copied into a row of zero points (input + offset = 0 there); rows
        // outside the input are zeros.
        const int32_t off2 = offset_pair(offset);
        const int32_t left = kx_begin * in_ch;
        const int32_t mid = (kx_end - kx_begin) * in_ch;
        uint32_t *d = &cols->w[base >> 1];
        if (cols_inside && y0 >= 0 && y0 + (p->filter_h - 1) * p->dilation_h < p->in_h) {
            // The whole window is inside the input.
            const int8_t *src = in_b + (size_t)y0 * in_row + x0 * in_ch;
            if (row_len == 8) {
                // Rows of two words (micro_speech's 8-wide single-channel windows): no
                // inner loop to set up per row.
                const int32_t step = p->dilation_h * in_row;
                for (int32_t ky = p->filter_h; ky > 0; --ky, src += step, d += 4) {
                    const uint32_t x = es_opt_rd32(src);
                    const uint32_t y = es_opt_rd32(src + 4);
                    put_word(d, x, off2);
                    put_word(d + 2, y, off2);
                }
                return;
            }
            const int32_t step = p->dilation_h * in_row - row_len;
            for (int32_t ky = p->filter_h; ky > 0; --ky, src += step) {
                for (int32_t i = row_len; i > 0; i -= 4, src += 4, d += 2) {
                    const uint32_t x = es_opt_rd32(src);
                    put_word(d, x, off2);
                }
            }
            return;
        }
        const uint32_t zp4 = (uint32_t)(uint8_t)-offset * 0x01010101u;
        if (row_len == 8) {
            // Two-word rows, each row on its own: outside the input zeros; hanging over
            // an edge, its inside bytes over zero points; else two word loads.
            for (int32_t ky = 0; ky < p->filter_h; ++ky, d += 4) {
                const int32_t iy = y0 + ky * p->dilation_h;
                if (iy < 0 || iy >= p->in_h || mid <= 0) {
                    d[0] = d[1] = d[2] = d[3] = 0;
                    continue;
                }
                const int8_t *src = in_b + (size_t)iy * in_row + (x0 * in_ch + left);
                uint32_t w[2];
                if (cols_inside) {
                    w[0] = es_opt_rd32(src);
                    w[1] = es_opt_rd32(src + 4);
                } else {
                    w[0] = w[1] = zp4;
                    int8_t *r = (int8_t *)w + left;
                    for (int32_t i = 0; i < mid; ++i) {
                        r[i] = src[i];
                    }
                }
                put_word(d, w[0], off2);
                put_word(d + 2, w[1], off2);
            }
            return;
        }
        uint32_t row[ES_OPT_ROW_BYTES / 4];
        for (int32_t ky = 0; ky < p->filter_h; ++ky) {
            const int32_t iy = y0 + ky * p->dilation_h;
            if (iy < 0 || iy >= p->in_h || mid <= 0) {
                for (int32_t i = 0; i < row_len; i += 4, d += 2) {
                    d[0] = 0;
                    d[1] = 0;
                }
                continue;
            }
            // The first byte inside the input.
            const int8_t *src = in_b + (size_t)iy * in_row + (x0 * in_ch + left);
            if (!cols_inside) {
                for (int32_t i = 0; i < row_len / 4; ++i) {
                    row[i] = zp4;
                }
                // (A byte loop: a call to memcpy costs more for these few bytes.)
                int8_t *r = (int8_t *)row + left;
                for (int32_t i = 0; i < mid; ++i) {
                    r[i] = src[i];
                }
                src = (const int8_t *)row;
            }
            for (int32_t i = 0; i < row_len; i += 4, d += 2) {
                const uint32_t x = es_opt_rd32(src + i);
                put_word(d, x, off2);
            }
        }
        return;
    }
    #else
    const bool rows_inside = y0 >= 0 && y0 + (p->filter_h - 1) * p->dilation_h < p->in_h;
    if (rows_inside && kx_begin == 0 && kx_end == p->filter_w && dw == 1) {
        // The whole window is inside the input: rows of row_len contiguous bytes.
        const int8_t *src = in_b + (size_t)y0 * in_row + x0 * in_ch;
        const int32_t step = p->dilation_h * in_row;
        int32_t k = 0;
        for (int32_t ky = 0; ky < p->filter_h; ++ky, src += step) {
            for (int32_t i = 0; i < row_len; ++i, ++k) {
                col_set(cols, base + k, src[i] + offset);
            }
        }
        return;
    }
    #endif
    const int32_t left = kx_begin * in_ch;
    const int32_t mid = (kx_end - kx_begin) * in_ch;
    const int32_t right = row_len - left - mid;
    int32_t k = 0;
    for (int32_t ky = 0; ky < p->filter_h; ++ky, k += row_len) {
        const int32_t iy = y0 + ky * p->dilation_h;
        if (iy < 0 || iy >= p->in_h) {
            column_run(cols, base, k, NULL, row_len, 0, k4);
            continue;
        }
        const int8_t *in_y = in_b + (size_t)iy * in_row + (x0 + kx_begin * dw) * in_ch;
        if (left > 0) {
            column_run(cols, base, k, NULL, left, 0, k4);
        }
        if (dw == 1) {
            column_run(cols, base, k + left, in_y, mid, offset, k4);
        } else {
            for (int32_t kx = kx_begin; kx < kx_end; ++kx) {
                column_run(cols, base, k + kx * in_ch, in_y, in_ch, offset, k4);
                in_y += dw * in_ch;
            }
        }
        if (right > 0) {
            column_run(cols, base, k + left + mid, NULL, right, 0, k4);
        }
    }
}

#if EARSHOT_OPT_DSP
// The DSP GEMM's 4-deep step of two filter rows x two columns: a load of the rows' int16
// pairs into t0, wa (row 0) and t1, wb (row 1), then ES_GEMM_MACS: LDRD of each column's
// two int16 pairs (column 1 at [x, ofs]) and eight SMLAD. Rows as filter bytes (w and
// w + step) unpacked with SXTB16, or already unpacked (es_opt_conv_expand, 4 words a step).
#define ES_GEMM_LOAD_BYTES \
    "ldr %[wb], [%[w], %[step]]\n" \
    "ldr %[wa], [%[w]], #4\n" \
    "sxtb16 %[t0], %[wa]\n" \
    "sxtb16 %[wa], %[wa], ror #8\n" \
    "sxtb16 %[t1], %[wb]\n" \
    "sxtb16 %[wb], %[wb], ror #8\n"
#define ES_GEMM_LOAD_WORDS \
    "ldrd %[t1], %[wb], [%[w], #8]\n" \
    "ldrd %[t0], %[wa], [%[w]], #16\n"
#define ES_GEMM_MACS \
    "ldrd %[c0], %[c1], [%[x]], #8\n" \
    "smlad %[a00], %[t0], %[c0], %[a00]\n" \
    "smlad %[a10], %[t1], %[c0], %[a10]\n" \
    "smlad %[a00], %[wa], %[c1], %[a00]\n" \
    "smlad %[a10], %[wb], %[c1], %[a10]\n" \
    "ldrd %[c0], %[c1], [%[x], %[ofs]]\n" \
    "smlad %[a01], %[t0], %[c0], %[a01]\n" \
    "smlad %[a11], %[t1], %[c0], %[a11]\n" \
    "smlad %[a01], %[wa], %[c1], %[a01]\n" \
    "smlad %[a11], %[wb], %[c1], %[a11]\n"
#define ES_GEMM_OUTPUTS \
    [a00] "+r" (a00), [a01] "+r" (a01), [a10] "+r" (a10), [a11] "+r" (a11), \
    [w] "+r" (wp), [x] "+r" (x), [n] "+r" (m), \
    [wa] "=&r" (wa), [wb] "=&r" (wb), [t0] "=&r" (t0), [t1] "=&r" (t1), \
    [c0] "=&r" (c0), [c1] "=&r" (c1)
// `steps` steps with the given row load (inputs: its operands), two per loop pass.
#define ES_GEMM_RUN(load, ...) \
    do { \
        int32_t m = steps >> 1; \
        if (m > 0) { \
            __asm__ volatile ("1:\n" load ES_GEMM_MACS load ES_GEMM_MACS \
                "subs %[n], %[n], #1\n" \
                "bne 1b\n" : ES_GEMM_OUTPUTS : __VA_ARGS__ : "cc", "memory"); \
        } \
        if (steps & 1) { \
            __asm__ volatile (load ES_GEMM_MACS : ES_GEMM_OUTPUTS : __VA_ARGS__ : "cc", \
                "memory"); \
        } \
    } while (0)
#endif

// acc[2 * i + pixel] = filter row i . column pixel for the n filter rows at w (k_len bytes
// each) and the two columns of cols: two rows x two columns per pass, then the entries past
// k4 (with the DSP extension; all of them without) one by one.
__attribute__((noinline)) static void gemm_block(const int8_t *w, int32_t n, int32_t k_len,
    int32_t k4, const es_columns_t *cols, int32_t *acc) {
    #if EARSHOT_OPT_DSP
    // Column 1 sits at a fixed distance from column 0, so one pointer walks both. One
    // pass: two filter words (8 MACs each), LDRD of both columns' int16 pairs. A last odd
    // row is done twice (w_step 0); acc has room for its second pair.
    const int32_t steps = k4 >> 2;
    int32_t *ap = acc;
    for (int32_t i = 0; i < n; i += 2, w += 2 * k_len, ap += 4) {
        const int32_t w_step = i + 1 < n ? k_len : 0;
        int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
        const int8_t *wp = w;
        const uint32_t *x = cols->w;
        int32_t wa, wb, t0, t1, c0, c1;
        // Eight entries per pass, then a last group of four.
        ES_GEMM_RUN(ES_GEMM_LOAD_BYTES, [step] "r" (w_step),
            [ofs] "I" (2 * ES_OPT_COLUMN_ENTRIES - 8));
        ap[0] = a00;
        ap[1] = a01;
        ap[2] = a10;
        ap[3] = a11;
    }
    w -= (n + (n & 1)) * k_len;
    if (k4 == k_len) {
        return;
    }
    #endif
    const es_col16_t *col = (const es_col16_t *)cols->w;
    int32_t i = 0;
    #if !EARSHOT_OPT_DSP && defined(__thumb2__)
    // Thumb-2 without the DSP extension: three rows x two columns, two entries per pass
    // (each filter byte is loaded once for both columns; 13 registers).
    if (k_len >= 2) {
        for (; i + 3 <= n; i += 3, w += 3 * k_len, acc += 6) {
            int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0, a20 = 0, a21 = 0;
            const int8_t *wp = w;
            const es_col16_t *x = col;
            int32_t m = k_len >> 1;
            int32_t xv, yv, t;
            #define ES_GEMM3_STEP \
    "ldrsh %[xv], [%[x]], #2\n" \
    "ldrsh %[yv], [%[x], %[ofs]]\n" \
    "ldrsb %[t], [%[w], %[k]]\n" \
    "mla %[a10], %[t], %[xv], %[a10]\n" \
    "mla %[a11], %[t], %[yv], %[a11]\n" \
    "ldrsb %[t], [%[w], %[k], lsl #1]\n" \
    "mla %[a20], %[t], %[xv], %[a20]\n" \
    "mla %[a21], %[t], %[yv], %[a21]\n" \
    "ldrsb %[t], [%[w]], #1\n" \
    "mla %[a00], %[t], %[xv], %[a00]\n" \
    "mla %[a01], %[t], %[yv], %[a01]\n"
            __asm__ volatile ("1:\n" ES_GEMM3_STEP ES_GEMM3_STEP
                "subs %[n], %[n], #1\n"
                "bne 1b\n"
                : [a00] "+r" (a00), [a01] "+r" (a01), [a10] "+r" (a10), [a11] "+r" (a11),
                [a20] "+r" (a20), [a21] "+r" (a21), [w] "+r" (wp), [x] "+r" (x), [n] "+r" (m),
                [xv] "=&r" (xv), [yv] "=&r" (yv), [t] "=&r" (t)
                : [k] "r" (k_len), [ofs] "I" (2 * ES_OPT_COLUMN_ENTRIES - 2)
                : "cc", "memory");
            #undef ES_GEMM3_STEP
            if (k_len & 1) {
                const int32_t k = k_len - 1;
                a00 += w[k] * col[k];
                a01 += w[k] * col[ES_OPT_COLUMN_ENTRIES + k];
                a10 += w[k_len + k] * col[k];
                a11 += w[k_len + k] * col[ES_OPT_COLUMN_ENTRIES + k];
                a20 += w[2 * k_len + k] * col[k];
                a21 += w[2 * k_len + k] * col[ES_OPT_COLUMN_ENTRIES + k];
            }
            acc[0] = a00;
            acc[1] = a01;
            acc[2] = a10;
            acc[3] = a11;
            acc[4] = a20;
            acc[5] = a21;
        }
    }
    #endif
    for (; i < n; i += 2, w += 2 * k_len, acc += 4) {
        const int8_t *w1 = i + 1 < n ? w + k_len : w;
        #if EARSHOT_OPT_DSP
        int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
        #else
        int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
        #endif
        int32_t k = k4;
        #if !EARSHOT_OPT_DSP && defined(__thumb2__)
        // Thumb-2 without the DSP extension: two entries per pass, one MLA per MAC.
        if (k_len - k >= 2) {
            const int8_t *wp = w + k;
            const es_col16_t *x = col + k;
            const int32_t step = (int32_t)(w1 - w);
            int32_t m = (k_len - k) >> 1;
            int32_t wa, wb, xv, yv;
            #define ES_GEMM2_STEP \
    "ldrsb %[wb], [%[w], %[step]]\n" \
    "ldrsb %[wa], [%[w]], #1\n" \
    "ldrsh %[xv], [%[x]], #2\n" \
    "ldrsh %[yv], [%[x], %[ofs]]\n" \
    "mla %[a00], %[wa], %[xv], %[a00]\n" \
    "mla %[a01], %[wa], %[yv], %[a01]\n" \
    "mla %[a10], %[wb], %[xv], %[a10]\n" \
    "mla %[a11], %[wb], %[yv], %[a11]\n"
            __asm__ volatile (
                "1:\n" ES_GEMM2_STEP ES_GEMM2_STEP
                "subs %[n], %[n], #1\n"
                "bne 1b\n"
                : [a00] "+r" (a00), [a01] "+r" (a01), [a10] "+r" (a10), [a11] "+r" (a11),
                [w] "+r" (wp), [x] "+r" (x), [n] "+r" (m),
                [wa] "=&r" (wa), [wb] "=&r" (wb), [xv] "=&r" (xv), [yv] "=&r" (yv)
                : [step] "r" (step), [ofs] "I" (2 * ES_OPT_COLUMN_ENTRIES - 2)
                : "cc", "memory");
            #undef ES_GEMM2_STEP
            k = k_len - ((k_len - k) & 1);
        }
        #endif
        for (; k < k_len; ++k) {
            const int32_t wa = w[k];
            const int32_t wb = w1[k];
            const int32_t xv = col[k];
            const int32_t yv = col[ES_OPT_COLUMN_ENTRIES + k];
            a00 += wa * xv;
            a01 += wa * yv;
            a10 += wb * xv;
            a11 += wb * yv;
        }
        acc[0] = a00;
        acc[1] = a01;
        acc[2] = a10;
        acc[3] = a11;
    }
}

#if EARSHOT_OPT_DSP
bool es_opt_conv_expand(const int8_t *filter, int32_t out_ch, int32_t k_len, int32_t ch_step,
    int32_t k_step, uint32_t *x, int32_t words) {
    const int32_t steps = k_len >> 2;
    if ((k_len & 3) || ((out_ch + 1) & ~1) * steps * 2 > words) {
        return false;
    }
    for (int32_t i = 0; i < out_ch; i += 2) {
        for (int32_t s = 0; s < steps; ++s, x += 4) {
            for (int32_t j = 0; j < 2; ++j) {
                const int8_t *w = filter + (size_t)(i + j < out_ch ? i + j : i) * ch_step
                    + (size_t)4 * s * k_step;
                const uint32_t v = (uint32_t)(uint8_t)w[0] | (uint32_t)(uint8_t)w[k_step] << 8
                    | (uint32_t)(uint8_t)w[2 * k_step] << 16
                    | (uint32_t)(uint8_t)w[3 * k_step] << 24;
                x[2 * j] = (uint32_t)__sxtb16(v);
                x[2 * j + 1] = (uint32_t)es_sxtb16_ror8(v);
            }
        }
    }
    return true;
}

// gemm_block with the filter unpacked (es_opt_conv_expand; k4 == k_len): a 4-deep step of
// two channels x two columns is four LDRD and eight SMLAD.
__attribute__((noinline)) static void gemm_block_x(const uint32_t *wx, int32_t n, int32_t steps,
    const es_columns_t *cols, int32_t *acc) {
    const uint32_t *wp = wx;
    for (int32_t i = 0; i < n; i += 2, acc += 4) {
        int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
        const uint32_t *x = cols->w;
        int32_t wa, wb, t0, t1, c0, c1;
        ES_GEMM_RUN(ES_GEMM_LOAD_WORDS, [ofs] "I" (2 * ES_OPT_COLUMN_ENTRIES - 8));
        acc[0] = a00;
        acc[1] = a01;
        acc[2] = a10;
        acc[3] = a11;
    }
}
#endif

bool es_opt_conv_supported(const es_conv_params_t *p) {
    const int32_t k_len = p->filter_h * p->filter_w * p->in_ch;
    return k_len > 0 && k_len <= ES_OPT_COLUMN_ENTRIES;
}

bool es_opt_conv_im2col(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    const uint32_t *xfilter, int8_t *output) {
    #if !EARSHOT_OPT_DSP
    (void)xfilter;
    #endif
    const int32_t k_len = p->filter_h * p->filter_w * p->in_ch;
    const int32_t k4 = EARSHOT_OPT_DSP ? (k_len & ~3) : 0;
    const int32_t out_ch = p->out_ch;
    const int32_t pixels = p->out_h * p->out_w;
    es_opt_table_t table;
    if (!es_opt_table_init(&p->rq, out_ch, k_len, &table)) {
        return false;
    }
    es_opt_range_t range;
    es_opt_range_init(&p->rq, &range);
    es_columns_t cols;
    int32_t acc[2 * ES_OPT_GEMM_CHANNELS];
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->in_h * p->in_w * p->in_ch;
        for (int32_t px = 0; px < pixels; px += 2) {
            const bool two = px + 1 < pixels;
            // A last odd pixel fills both columns (the second result is dropped).
            for (int32_t i = 0; i < 2; ++i) {
                const int32_t pixel = two ? px + i : px;
                const int32_t oy = pixel / p->out_w;
                const int32_t ox = pixel % p->out_w;
                column_fill(p, in_b, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left,
                    &cols, i * ES_OPT_COLUMN_ENTRIES, k4);
            }
            int8_t *out0 = output;
            int8_t *out1 = output + (two ? out_ch : 0);
            for (int32_t oc0 = 0; oc0 < out_ch; oc0 += ES_OPT_GEMM_CHANNELS) {
                const int32_t n = out_ch - oc0 < ES_OPT_GEMM_CHANNELS ? out_ch - oc0
                    : ES_OPT_GEMM_CHANNELS;
                #if EARSHOT_OPT_DSP
                if (xfilter) {
                    gemm_block_x(xfilter + (size_t)oc0 * (k_len >> 1), n, k_len >> 2, &cols, acc);
                } else
                #endif
                {
                    gemm_block(filter + (size_t)oc0 * k_len, n, k_len, k4, &cols, acc);
                }
                const es_opt_range_t rl = range;
                int32_t i = 0;
                // out1 == out0 for a last odd pixel: the first result is stored last.
                if (oc0 + n <= table.count) {
                    const es_opt_lean_t *q = &table.ch[oc0];
                    #if EARSHOT_OPT_DSP
                    // One pixel after the other (fewer live registers than both at once).
                    for (int32_t px1 = 1; px1 >= 0; --px1) {
                        int8_t *out = (px1 ? out1 : out0) + oc0;
                        for (i = 0; i + 4 <= n; i += 4) {
                            const int32_t *a = &acc[2 * i + px1];
                            es_opt_lean_out4(a[0], a[2], a[4], a[6], q + i, &rl, out + i);
                        }
                    }
                    #endif
                    for (; i < n; ++i) {
                        out1[oc0 + i] = es_opt_lean_out(acc[2 * i + 1], q + i, &rl);
                        out0[oc0 + i] = es_opt_lean_out(acc[2 * i], q + i, &rl);
                    }
                }
                for (; i < n; ++i) {
                    es_opt_lean_t spare;
                    const es_opt_lean_t *q = es_opt_table_get(&p->rq, &table, oc0 + i, &spare);
                    out1[oc0 + i] = es_opt_lean_out(acc[2 * i + 1], q, &rl);
                    out0[oc0 + i] = es_opt_lean_out(acc[2 * i], q, &rl);
                }
            }
            output += (two ? 2 : 1) * out_ch;
        }
    }
    return true;
}

void es_conv_s8_opt(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output) {
    #if EARSHOT_OPT_M0
    if (es_m0_conv(p, input, filter, output)) {
        return;
    }
    #endif
    if (!es_opt_conv_supported(p) || !es_opt_conv_im2col(p, input, filter, NULL, output)) {
        es_conv_s8(p, input, filter, output);
    }
}

#endif // !EARSHOT_KERNELS_REFERENCE
