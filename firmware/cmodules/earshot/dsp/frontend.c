// Front-end driver: checks of the tables and scalars a model brings, the state layout,
// TF framing of a hop stream (host: TflmMicroFrontend.feed, spectral_fixed.Framer) and the
// TFLM frame (the MFCC and log-mel frames are in mfcc.c / logmel.c).

#include <stddef.h>
#include <string.h>

#include "dsp/dsp.h"
#include "es_text.h"

// ---------------------------------------------------------------- checks
// The range of each scalar on its own is checked where it is read (the `fe_fields` table
// of modfrontend.c: sample_rate, window_size, fft_size 8..4096, channels 1..256, ...);
// here: what ties the scalars and tables together.

static bool pow2(uint32_t v) {
    return v && !(v & (v - 1));
}

static const char *check_fft(const es_fe_t *fe, const es_tab_t **table) {
    const es_rfft_t *f = &fe->fft;
    const bool wide = fe->kind != ES_FE_TFLM;
    if (!pow2(f->size) || f->size < 8 || f->size > 4096) {
        return ES_TEXT("fft_size must be a power of two in 8..4096");
    }
    *table = &f->twiddles;
    if (f->twiddles.count != f->size) {
        return ES_TEXT("count is not fft_size (fft_size / 2 complex values)");
    }
    for (uint32_t i = 0; i < f->size; ++i) {
        int32_t v = wide ? es_tab_i32(&f->twiddles, i) : es_tab_i16(&f->twiddles, i);
        if (v == (wide ? INT32_MIN : INT16_MIN)) {
            return ES_TEXT("value out of range");
        }
    }
    *table = &f->super_twiddles;
    if (f->super_twiddles.count != f->n) {
        return ES_TEXT("count is not fft_size / 2 (fft_size / 4 complex values)");
    }
    for (uint32_t i = 0; i < f->n; ++i) {
        int32_t v = wide ? es_tab_i32(&f->super_twiddles, i) : es_tab_i16(&f->super_twiddles, i);
        if (v == (wide ? INT32_MIN : INT16_MIN)) {
            return ES_TEXT("value out of range");
        }
    }
    *table = &f->factors;
    if (f->factors.count == 0 || (f->factors.count & 1) || f->stages != f->factors.count / 2) {
        return ES_TEXT("count must be 2 per stage");
    }
    uint32_t rest = f->n;
    for (uint32_t s = 0; s < f->stages; ++s) {
        uint32_t p = (uint16_t)es_tab_i16(&f->factors, 2 * s);
        uint32_t m = (uint16_t)es_tab_i16(&f->factors, 2 * s + 1);
        if ((p != 2 && p != 4) || p * m != rest) {
            return ES_TEXT("not a radix-2/4 factorization of fft_size / 2");
        }
        rest = m;
    }
    if (rest != 1) {
        return ES_TEXT("not a radix-2/4 factorization of fft_size / 2");
    }
    *table = &f->perm;
    if (f->perm.count != f->n) {
        return ES_TEXT("count is not fft_size / 2");
    }
    for (uint32_t j = 0; j < f->n; ++j) {
        if ((uint16_t)es_tab_i16(&f->perm, j) >= f->n) {
            return ES_TEXT("index out of range");
        }
    }
    *table = NULL;
    return NULL;
}

static const char *check_tflm(const es_fe_t *fe, const es_tab_t **table) {
    const uint32_t slots = fe->channels + 1;
    const uint32_t bins = fe->fft.n + 1;
    *table = &fe->win;
    if (fe->win.count != fe->window) {
        return ES_TEXT("count is not window_size");
    }
    *table = &fe->fb_freq_starts;
    if (fe->fb_freq_starts.count != slots) {
        return ES_TEXT("count is not channels + 1");
    }
    *table = &fe->fb_weight_starts;
    if (fe->fb_weight_starts.count != slots) {
        return ES_TEXT("count is not channels + 1");
    }
    *table = &fe->fb_widths;
    if (fe->fb_widths.count != slots) {
        return ES_TEXT("count is not channels + 1");
    }
    *table = &fe->fb_unweights;
    if (fe->fb_unweights.count != fe->fb_weights.count) {
        return ES_TEXT("count is not that of fb_weights");
    }
    for (uint32_t c = 0; c < slots; ++c) {
        uint32_t f0 = (uint16_t)es_tab_i16(&fe->fb_freq_starts, c);
        uint32_t w0 = (uint16_t)es_tab_i16(&fe->fb_weight_starts, c);
        uint32_t width = (uint16_t)es_tab_i16(&fe->fb_widths, c);
        if (f0 + width > bins) {
            *table = &fe->fb_widths;
            return ES_TEXT("a channel reaches past the spectrum");
        }
        if (w0 + width > fe->fb_weights.count) {
            *table = &fe->fb_weights;
            return ES_TEXT("a channel reaches past the weights");
        }
    }
    *table = &fe->pcan_gain_lut;
    if (fe->pcan_gain_lut.count != 125) {
        return ES_TEXT("count is not 125");
    }
    *table = &fe->log_lut;
    if (fe->log_lut.count < 129) {
        return ES_TEXT("count is below 129");
    }
    *table = NULL;
    if (fe->fb_start > fe->fb_end || fe->fb_end > bins) {
        return ES_TEXT("fb_start_index / fb_end_index out of range");
    }
    return NULL;
}

const char *es_fe_check_gain(const es_fe_t *fe, int64_t log_offset_q16, int64_t eps_q) {
    if (log_offset_q16 < -((int64_t)1 << 28) || log_offset_q16 > ((int64_t)1 << 28)) {
        return ES_TEXT("log_offset_q16 out of range");
    }
    if (fe->kind == ES_FE_MFCC) {
        // eps_q << (s - eps_frac_bits) with s < norm_bits must stay below 2**62.
        int up = fe->norm_bits - fe->eps_frac_bits;
        if (eps_q < 0 || eps_q >= ((int64_t)1 << (62 - (up > 0 ? up : 0)))) {
            return ES_TEXT("eps_q out of range");
        }
    }
    return NULL;
}

static const char *check_spectral(const es_fe_t *fe, const es_tab_t **table) {
    const uint32_t bins = fe->fft.n + 1;
    *table = &fe->win;
    if (fe->win.count != fe->window) {
        return ES_TEXT("count is not window_size");
    }
    for (uint32_t i = 0; i < fe->window; ++i) {
        int32_t w = es_tab_i32(&fe->win, i);
        if (w < -(1 << 30) || w > (1 << 30)) {
            return ES_TEXT("value out of range (Q30, |w| <= 1)");
        }
    }
    *table = &fe->mel_starts;
    if (fe->mel_starts.count != fe->channels) {
        return ES_TEXT("count is not mel_bins");
    }
    *table = &fe->mel_widths;
    if (fe->mel_widths.count != fe->channels) {
        return ES_TEXT("count is not mel_bins");
    }
    uint32_t total = 0;
    for (uint32_t j = 0; j < fe->channels; ++j) {
        uint32_t start = (uint16_t)es_tab_i16(&fe->mel_starts, j);
        uint32_t width = (uint16_t)es_tab_i16(&fe->mel_widths, j);
        if (start + width > bins) {
            return ES_TEXT("a band reaches past the spectrum");
        }
        total += width;
    }
    *table = &fe->mel_weights;
    if (fe->mel_weights.count != total) {
        return ES_TEXT("count is not the sum of mel_widths");
    }
    *table = &fe->log2_lut;
    if (fe->log2_lut.count != 257) {
        return ES_TEXT("count is not 257");
    }
    *table = NULL;
    if (fe->out_min > fe->out_max) {
        return ES_TEXT("out_min is above out_max");
    }
    if (fe->kind == ES_FE_MFCC) {
        if ((uint32_t)fe->coefficients > fe->channels) {
            return ES_TEXT("coefficients out of range");
        }
        if (fe->dct.count != (uint32_t)fe->coefficients * fe->channels) {
            *table = &fe->dct;
            return ES_TEXT("count is not coefficients * mel_bins");
        }
    }
    return es_fe_check_gain(fe, fe->log_offset_q16, fe->eps_q);
}

const char *es_fe_check(const es_fe_t *fe, const es_tab_t **table) {
    *table = NULL;
    if (fe->window < 1 || fe->window > fe->fft.size || fe->hop < 1 || fe->hop > fe->window) {
        return ES_TEXT("sizes must satisfy 1 <= window_step <= window_size <= fft_size");
    }
    const char *msg = check_fft(fe, table);
    if (msg) {
        return msg;
    }
    return fe->kind == ES_FE_TFLM ? check_tflm(fe, table) : check_spectral(fe, table);
}

// ---------------------------------------------------------------- state

static size_t round8(size_t n) {
    return (n + 7) & ~(size_t)7;
}

static size_t work_bytes(const es_fe_t *fe) {
    return round8((fe->fft.size + 2) * (fe->kind == ES_FE_TFLM ? 2 : 4));
}

// frame[0] sits 2 bytes before an 8-byte boundary, so the window frame[1..W] is aligned
// (whole-word copies of the hops into it and of the overlap within it).
static size_t frame_bytes(const es_fe_t *fe) {
    return round8((fe->window + 4) * sizeof(int16_t));
}

// TFLM: the filterbank's plan (both builds, so that the state has one size).
static size_t plan_bytes(const es_fe_t *fe) {
    return fe->kind == ES_FE_TFLM ? round8((fe->channels + 1) * sizeof(es_fb_slot_t)) : 0;
}

// ARMv6-M faults on unaligned halfword and word loads, and its optimized TFLM stages read
// their tables with them; a model buffer may sit at any address (a frozen `bytes` often
// does: MicroPython freezes it as a string literal). So there, a table not aligned as its
// stage reads it is copied into the state (as TensorFlow's front end keeps its tables in
// RAM; up to 4.8 KB for a 512-point FFT, 40 channels) and read from the copy. Parts with
// a small heap (MICROPY_HEAP_SIZE below 64 KiB, where the port defines it) keep the
// tables where they are: a stage whose table is misaligned runs the reference there.
#if ES_TFLM_WINDOW_OPT && defined(__ARM_ARCH_6M__) \
    && !(defined(MICROPY_HEAP_SIZE) && MICROPY_HEAP_SIZE < 65536)
#define RELOCATE (1)
#else
#define RELOCATE (0)
#endif

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

#if RELOCATE
// The TFLM tables the optimized stages load aligned (int16 elements), and the alignment
// each needs: words of two elements (window pairs, complex twiddles), or halfwords.
static const struct {
    uint8_t offset; // of the es_tab_t in es_fe_t, in words
    uint8_t align;
} hot_tables[] = {
    {offsetof(es_fe_t, win) / 4, 4},
    {offsetof(es_fe_t, fft.twiddles) / 4, 4},
    {offsetof(es_fe_t, fft.super_twiddles) / 4, 4},
    {offsetof(es_fe_t, fft.perm) / 4, 2},
    {offsetof(es_fe_t, fb_weights) / 4, 2},
    {offsetof(es_fe_t, fb_unweights) / 4, 2},
    {offsetof(es_fe_t, pcan_gain_lut) / 4, 2},
    {offsetof(es_fe_t, log_lut) / 4, 2},
};

// Table i of hot_tables if it is not aligned as read, else NULL.
static es_tab_t *misaligned(const es_fe_t *fe, size_t i) {
    es_tab_t *t = (es_tab_t *)((uint32_t *)(void *)fe + hot_tables[i].offset);
    return ((uintptr_t)t->p & (hot_tables[i].align - 1)) ? t : NULL;
}
#endif

static size_t relocated_bytes(const es_fe_t *fe) {
    size_t bytes = 0;
    #if RELOCATE
    for (size_t i = 0; fe->kind == ES_FE_TFLM && i < COUNT_OF(hot_tables); ++i) {
        const es_tab_t *t = misaligned(fe, i);
        bytes += t ? round8(t->count * sizeof(int16_t)) : 0;
    }
    #else
    (void)fe;
    #endif
    return bytes;
}

size_t es_fe_state_bytes(const es_fe_t *fe) {
    size_t per_channel = fe->kind == ES_FE_TFLM ? 2 * sizeof(uint32_t) : sizeof(int64_t);
    return frame_bytes(fe) + work_bytes(fe) + round8(fe->channels * per_channel) + plan_bytes(fe)
           + relocated_bytes(fe);
}

void es_fe_attach(es_fe_t *fe, void *mem) {
    uint8_t *p = mem;
    fe->work = p;
    p += work_bytes(fe);
    fe->frame = (int16_t *)(void *)(p + 6);
    p += frame_bytes(fe);
    fe->noise = NULL;
    fe->signal = NULL;
    fe->logs = NULL;
    fe->fb_plan = NULL;
    fe->fb_narrow = 0;
    if (fe->kind == ES_FE_TFLM) {
        fe->noise = (uint32_t *)(void *)p;
        fe->signal = fe->noise + fe->channels;
        p += round8(fe->channels * 2 * sizeof(uint32_t));
        fe->fb_plan = (es_fb_slot_t *)(void *)p;
        p += plan_bytes(fe);
        #if RELOCATE
        for (size_t i = 0; i < COUNT_OF(hot_tables); ++i) {
            es_tab_t *t = misaligned(fe, i);
            if (t) {
                memcpy(p, t->p, t->count * sizeof(int16_t));
                t->p = p;
                p += round8(t->count * sizeof(int16_t));
            }
        }
        #endif
        #if ES_TFLM_FILTERBANK_OPT
        es_tflm_filterbank_prepare(fe);
        #endif
    } else {
        fe->logs = (int64_t *)(void *)p;
    }
    // Twiddle 0 is (MAX, 0) in every table the converter writes; then its products are the
    // identity for the values the stages multiply (the optimized FFTs skip them).
    const uint8_t *w0 = fe->fft.twiddles.p;
    fe->fft.unit_twiddle0 = fe->kind == ES_FE_TFLM
        ? es_rd_u16(w0) == 32767 && es_rd_u16(w0 + 2) == 0
        : es_rd_i32(w0) == 0x7fffffff && es_rd_i32(w0 + 4) == 0;
    fe->fft.perm_involution = 1;
    for (uint32_t j = 0; j < fe->fft.n; ++j) {
        uint32_t p = (uint16_t)es_tab_i16(&fe->fft.perm, j);
        if ((uint16_t)es_tab_i16(&fe->fft.perm, p) != j) {
            fe->fft.perm_involution = 0;
            break;
        }
    }
    fe->win_q12 = fe->kind == ES_FE_TFLM;
    for (uint32_t i = 0; fe->win_q12 && i < fe->window; ++i) {
        int32_t w = es_tab_i16(&fe->win, i);
        fe->win_q12 = w >= -4096 && w <= 4096;
    }
    fe->dct_row0_sum = 0;
    if (fe->kind == ES_FE_MFCC) {
        for (uint32_t j = 0; j < fe->channels; ++j) {
            fe->dct_row0_sum += es_tab_i32(&fe->dct, j);
        }
    }
    es_fe_reset(fe);
}

void es_fe_reset(es_fe_t *fe) {
    memset(fe->frame, 0, (fe->window + 1) * sizeof(int16_t));
    fe->used = 0;
    if (fe->noise) {
        memset(fe->noise, 0, fe->channels * sizeof(uint32_t));
    }
}

// ---------------------------------------------------------------- streaming

// Copies n int16 samples (memmove's semantics for dst < src); whole aligned words four at
// a time where both ends allow it (the library's copy goes byte by byte on some cores).
static void copy_samples(int16_t *dst, const void *src, uint32_t n) {
    if (((uintptr_t)dst | (uintptr_t)src) & 3 || (n & 1)) {
        memmove(dst, src, n * sizeof(int16_t));
        return;
    }
    uint32_t *d = (uint32_t *)(void *)dst;
    const uint32_t *s = (const uint32_t *)src;
    uint32_t words = n / 2;
    #if defined(__arm__) && defined(__thumb__)
    for (; words >= 4; words -= 4) {
        __asm__ volatile ("ldmia %0!, {r4-r7}\n\tstmia %1!, {r4-r7}"
            : "+l" (s), "+l" (d) : : "r4", "r5", "r6", "r7", "memory");
    }
    #endif
    while (words--) {
        *d++ = *s++;
    }
}

bool es_fe_push_hop(es_fe_t *fe, const uint8_t *samples, int8_t *out, uint8_t *raw) {
    const uint32_t window = fe->window, hop = fe->hop;
    bool produced = false;
    uint32_t pos = 0;
    while (pos < hop) {
        uint32_t take = window - fe->used;
        if (take > hop - pos) {
            take = hop - pos;
        }
        copy_samples(fe->frame + 1 + fe->used, samples + 2 * pos, take);
        fe->used += take;
        pos += take;
        if (fe->used == window) {
            if (fe->kind == ES_FE_TFLM) {
                es_tflm_frame(fe, out, raw);
            } else if (fe->kind == ES_FE_MFCC) {
                es_mfcc_frame(fe, out);
            } else {
                es_logmel_frame(fe, out);
            }
            produced = true;
            // Keep the last window - hop samples and the one before them.
            fe->frame[0] = fe->frame[hop];
            copy_samples(fe->frame + 1, fe->frame + 1 + hop, window - hop);
            fe->used = window - hop;
        }
    }
    return produced;
}

void es_fe_fft(es_fe_t *fe, void *inout) {
    const size_t width = fe->kind == ES_FE_TFLM ? sizeof(int16_t) : sizeof(int32_t);
    uint8_t *io = inout, *work = fe->work;
    for (uint32_t j = 0; j < fe->fft.n; ++j) {
        uint32_t m = 2 * (uint32_t)(uint16_t)es_tab_i16(&fe->fft.perm, j);
        m = m < fe->fft.size ? m : 0; // (checked when made; the table may change in place)
        memcpy(work + 2 * j * width, io + m * width, 2 * width);
    }
    if (fe->kind == ES_FE_TFLM) {
        es_rfft16(&fe->fft, fe->work);
    } else {
        es_rfft32(&fe->fft, fe->work);
    }
    memcpy(io, work, (fe->fft.size + 2) * width);
}

// ---------------------------------------------------------------- TFLM frame

void es_tflm_frame(es_fe_t *fe, int8_t *out, uint8_t *raw) {
    int16_t *buf = fe->work;
    #if ES_TFLM_WINDOW_OPT
    int pending;
    int shift = es_tflm_window_opt(fe, buf, &pending);
    es_rfft16_pre(&fe->fft, buf, pending);
    #else
    int shift = es_tflm_window(fe, buf);
    es_rfft16(&fe->fft, buf);
    #endif
    #if ES_TFLM_FILTERBANK_OPT
    es_tflm_channels_opt(fe, buf, shift, out, raw);
    #else
    es_tflm_filterbank(fe, buf, shift, fe->signal);
    es_tflm_noise_reduction(fe, fe->signal);
    es_tflm_pcan(fe, fe->signal);
    es_tflm_log_out(fe, fe->signal, out, raw);
    #endif
}
