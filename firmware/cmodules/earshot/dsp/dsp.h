// earshot's audio front ends in plain C: fixed-point, integer only, no allocation.
//
// Three front ends, each reproducing a host reference of host_tools/earshot_host/frontend/
// integer for integer:
//   ES_FE_TFLM    tflm_micro.py  (TensorFlow's audio_microfrontend, 16-bit KISS FFT)
//   ES_FE_MFCC    mfcc.py        (MLPerf KWS MFCC, 32-bit FFT)
//   ES_FE_LOGMEL  logmel.py      (MLPerf streaming wake word log-mel, 32-bit FFT)
// One stage per file: rfft.c (the shared real FFT), window.c, filterbank.c,
// noise_reduction.c, pcan.c, log_scale.c (TFLM), spectral.c (MFCC / log-mel stages),
// fixed_math.c (sqrt, log2), frontend.c (framing, per-kind frame drivers, checks).
//
// Tables live in a model buffer (models/FORMAT.md, metadata frontend.tables): little-endian
// and of any alignment (a frozen `bytes` may sit at any address), so they are read through
// earshot_le.h. State (frame buffer, FFT work buffer, noise estimates) is one block of
// memory that the caller allocates once (es_fe_state_bytes) and hands to es_fe_attach.
#ifndef EARSHOT_DSP_H
#define EARSHOT_DSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "earshot_config.h"
#include "earshot_le.h"

typedef enum _es_fe_kind_t {
    ES_FE_TFLM = 0,
    ES_FE_MFCC = 1,
    ES_FE_LOGMEL = 2,
} es_fe_kind_t;

// A table: `count` little-endian elements at p (any alignment).
typedef struct _es_tab_t {
    const uint8_t *p;
    uint32_t count;
} es_tab_t;

static inline int16_t es_tab_i16(const es_tab_t *t, uint32_t i) {
    return (int16_t)es_rd_u16(t->p + 2 * i);
}
static inline uint16_t es_tab_u16(const es_tab_t *t, uint32_t i) {
    return es_rd_u16(t->p + 2 * i);
}
static inline int32_t es_tab_i32(const es_tab_t *t, uint32_t i) {
    return es_rd_i32(t->p + 4 * i);
}

// ---------------------------------------------------------------- real FFT (rfft.c)
// KISS FFT integer semantics (kissfft_fixed.py). The caller loads the input, already
// permuted: buf[2j], buf[2j+1] = x[2 perm[j]], x[2 perm[j] + 1] for j < n = N/2; buf
// holds n + 1 complex values (N + 2 samples). es_rfft*_run leaves X[k] = DFT(x)[k] / N
// in buf[2k], buf[2k+1] for k = 0..n.
typedef struct _es_rfft_t {
    uint32_t size; // N real samples (power of two, 8..4096)
    uint32_t n; // N / 2
    uint32_t stages; // entries of factors
    es_tab_t twiddles; // [n][2]: Q15 (int16) or Q31 (int32)
    es_tab_t super_twiddles; // [n/2][2]
    es_tab_t factors; // int16 [stages][2]: (radix, m), outermost first
    es_tab_t perm; // int16 [n]
    uint32_t unit_twiddle0; // 1 if twiddle 0 is (MAX, 0): its products are skipped (es_fe_attach)
    uint32_t perm_involution; // 1 if perm[perm[j]] == j for all j (es_fe_attach)
} es_rfft_t;

void es_rfft16_run(const es_rfft_t *f, int16_t *buf);
void es_rfft32_run(const es_rfft_t *f, int32_t *buf);
// es_rfft32_run's last step: the DC bin and the real split of the complex FFT's output.
void es_rfft32_real_split(const es_rfft_t *f, int32_t *buf);

// The optimized FFTs (dsp/optimized/), selected at build time like the kernels
// (EARSHOT_KERNELS_REFERENCE=1 keeps the reference). The 16-bit ones take the input
// before a block shift: es_rfft16_pre(f, buf, s) is es_rfft16_run on the values of buf
// each shifted left by s and truncated to int16 (the TFLM window's last step, done by the
// FFT's first stage); es_rfft16(f, buf) is s = 0. The 16-bit one with ARMv7E-M SIMD
// (Cortex-M4/M7), identical results;
#if !EARSHOT_KERNELS_REFERENCE && defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32 \
    && EARSHOT_LE_UNALIGNED_OK
#define ES_RFFT16_SIMD (1)
void es_rfft16_run_simd(const es_rfft_t *f, int16_t *buf, int pre_shift);
#define es_rfft16_pre es_rfft16_run_simd
#else
#define ES_RFFT16_SIMD (0)
#endif
// the 16-bit one for ARMv6-M (Cortex-M0/M0+), identical results;
#if !EARSHOT_KERNELS_REFERENCE && defined(__ARM_ARCH_6M__)
#define ES_RFFT16_V6M (1)
void es_rfft16_run_v6m(const es_rfft_t *f, int16_t *buf, int pre_shift);
#define es_rfft16_pre es_rfft16_run_v6m
#else
#define ES_RFFT16_V6M (0)
#endif
#if !ES_RFFT16_SIMD && !ES_RFFT16_V6M
// elsewhere the reference (with the shift as a pass of its own).
void es_rfft16_run_pre(const es_rfft_t *f, int16_t *buf, int pre_shift);
#define es_rfft16_pre es_rfft16_run_pre
#endif
#define es_rfft16(f, buf) es_rfft16_pre((f), (buf), 0)
// Shifts the n + 1 complex values of buf left by s, each truncated to int16.
void es_rfft16_shift(const es_rfft_t *f, int16_t *buf, int s);
// The 32-bit one restructured for cores with a 32x32->64 multiply-accumulate.
#if !EARSHOT_KERNELS_REFERENCE && (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) \
    || !defined(__arm__))
#define ES_RFFT32_OPT (1)
void es_rfft32_run_opt(const es_rfft_t *f, int32_t *buf);
#define es_rfft32 es_rfft32_run_opt
#else
#define ES_RFFT32_OPT (0)
#define es_rfft32 es_rfft32_run
#endif

// ---------------------------------------------------------------- fixed_math.c
int es_bit_length32(uint32_t v);
int es_bit_length64(uint64_t v);
// Round-to-nearest square root: r = floor(sqrt(v)); r + (v - r*r > r).
uint32_t es_isqrt_round64(uint64_t v);
// TFLM's Sqrt64 (filterbank.c): rounded, capped at 0xFFFF below 2**32, 0xFFFFFFFF above.
uint32_t es_tflm_sqrt64(uint64_t v);
// fixed_math.log2_q16: log2(v) Q16 with a 257-entry Q16 LUT; v == 0 gives -(1 << 40).
int64_t es_log2_q16(uint64_t v, const es_tab_t *lut);

// ---------------------------------------------------------------- front end
// An accumulation slot of the TFLM filterbank as the optimized stage runs it: `count`
// entries from FFT bin `bin` and weight index `weight` (es_tflm_filterbank_prepare).
typedef struct _es_fb_slot_t {
    uint16_t bin, weight, count;
} es_fb_slot_t;

typedef struct _es_fe_t {
    es_fe_kind_t kind;
    uint32_t sample_rate;
    uint32_t window; // samples per frame (W)
    uint32_t hop; // samples per hop
    uint32_t channels; // filterbank channels / mel bins (C)
    uint32_t features; // int8 values per frame
    es_rfft_t fft;
    es_tab_t win; // analysis window [W]: int16 Q12 (TFLM) or int32 Q30

    // TFLM micro front end (tflm_micro.py)
    es_tab_t fb_freq_starts, fb_weight_starts, fb_widths, fb_weights, fb_unweights;
    es_tab_t pcan_gain_lut, log_lut;
    uint32_t fb_start, fb_end;
    uint32_t nr_smoothing_bits, nr_even, nr_odd, nr_min_remaining;
    uint32_t pcan_snr_shift, log_scale_shift, log_correction_bits;
    int32_t out_scale, out_div, out_offset;

    // MFCC / log-mel (mfcc.py, logmel.py, spectral_fixed.py)
    es_tab_t mel_starts, mel_widths, mel_weights, log2_lut, dct;
    int32_t norm_bits;
    int32_t log_offset_q16; // gain dependent (es_fe_set_gain)
    int64_t eps_q; // MFCC, gain dependent
    int32_t eps_frac_bits, dct_frac_bits, coefficients;
    int64_t dct_row0_sum; // MFCC: sum of DCT row 0 (es_fe_attach): coefficient 0 per log2 step
    int32_t preemph_num, preemph_shift, power_shift, frame_shift_mult;
    int64_t db_mult_q16, db_bias_q32;
    int32_t zero_point, out_min, out_max;
    uint32_t win_q12; // TFLM: every window value within +-4096 (es_fe_attach)

    // State (es_fe_attach): frame[0] is the sample before the window (pre-emphasis),
    // frame[1..W] the window (8-byte aligned); `used` counts the samples of frame[1..]
    // filled so far.
    int16_t *frame;
    uint32_t used;
    void *work; // FFT buffer: N + 2 samples of the FFT's width
    uint32_t *noise; // TFLM: noise estimates [C]
    uint32_t *signal; // TFLM: per-channel values [C]
    int64_t *logs; // MFCC: log-mel values [C]
    es_fb_slot_t *fb_plan; // TFLM: the filterbank's slots as the optimized stage runs them [C + 1]
    uint32_t fb_narrow; // TFLM: the plan allows 32-bit partial sums (optimized/filterbank.c)
} es_fe_t;

// Checks the sizes, scalars and tables of a filled-in es_fe_t (pointers and counts set,
// state not yet attached) whose scalars are each within the range modfrontend.c reads
// them with (its fe_fields table). Returns NULL, or a static message (ES_TEXT,
// es_text.h); *table points at the table of fe concerned (or is NULL).
const char *es_fe_check(const es_fe_t *fe, const es_tab_t **table);

// Checks a gain-dependent pair (es_fe_t.log_offset_q16, eps_q): NULL or a message.
const char *es_fe_check_gain(const es_fe_t *fe, int64_t log_offset_q16, int64_t eps_q);

// Bytes of state memory the front end needs (8-byte aligned block), before es_fe_attach
// (on ARMv6-M it includes copies of tables the model buffer holds misaligned).
size_t es_fe_state_bytes(const es_fe_t *fe);
// Points the state into mem (es_fe_state_bytes bytes, 8-byte aligned) and resets it.
void es_fe_attach(es_fe_t *fe, void *mem);
// Empties the frame buffer and the noise estimates (pre-emphasis memory included).
void es_fe_reset(es_fe_t *fe);
// Adds one hop (fe->hop native int16 samples, any alignment). When the hop completes a
// frame, writes its `features` int8 values to out (and for TFLM the channels' uint16 raw
// values to raw, if not NULL; any alignment) and returns true.
bool es_fe_push_hop(es_fe_t *fe, const uint8_t *samples, int8_t *out, uint8_t *raw);

// The front end's real FFT on caller data (Frontend.fft): inout holds fft.size samples of
// the FFT's width (int16 for TFLM, int32 otherwise; any alignment) and receives the
// fft.n + 1 bins. Uses the work buffer, so not in the middle of a frame.
void es_fe_fft(es_fe_t *fe, void *inout);

// Per-kind frame computations (the window is fe->frame).
void es_tflm_frame(es_fe_t *fe, int8_t *out, uint8_t *raw);
void es_mfcc_frame(es_fe_t *fe, int8_t *out);
// MFCC per-window peak normalization: the change of coefficient 0, in int8 steps, of
// scaling the input by 1 / peak instead of the tables' 2^-15; and adding it to the first
// value of each of n_frames frames (saturated to the output range).
int32_t es_mfcc_peak_steps(const es_fe_t *fe, int32_t peak);
void es_mfcc_shift_c0(const es_fe_t *fe, int8_t *frames, size_t n_frames, int32_t steps);
void es_logmel_frame(es_fe_t *fe, int8_t *out);

// TFLM stages (window.c, filterbank.c, noise_reduction.c, pcan.c, log_scale.c).
int es_tflm_window(const es_fe_t *fe, int16_t *buf);
void es_tflm_filterbank(const es_fe_t *fe, const int16_t *spectrum, int shift, uint32_t *out);
void es_tflm_noise_reduction(es_fe_t *fe, uint32_t *signal);
void es_tflm_pcan(const es_fe_t *fe, uint32_t *signal);
uint32_t es_tflm_log_scale(const es_fe_t *fe, uint32_t value);
// The log scale of every channel's signal, and its int8 value to out (and raw, if not NULL).
void es_tflm_log_out(const es_fe_t *fe, const uint32_t *signal, int8_t *out, uint8_t *raw);

// Optimized TFLM stages (dsp/optimized/), chosen at build time; identical results.
#if !EARSHOT_KERNELS_REFERENCE
#define ES_TFLM_WINDOW_OPT (1)
// es_tflm_window, but the buffer is left unshifted when *pending (the shift) is set:
// es_rfft16_pre applies it.
int es_tflm_window_opt(const es_fe_t *fe, int16_t *buf, int *pending);
#define ES_TFLM_FILTERBANK_OPT (1)
// Fills fe->fb_plan and fe->fb_narrow from the tables (es_fe_attach).
void es_tflm_filterbank_prepare(es_fe_t *fe);
// From the FFT's output (not overwritten) to the frame's outputs: the filterbank (by the
// plan), then noise reduction, PCAN, log scale and int8 mapping channel by channel.
void es_tflm_channels_opt(es_fe_t *fe, const int16_t *spectrum, int shift, int8_t *out,
    uint8_t *raw);
#else
#define ES_TFLM_WINDOW_OPT (0)
#define ES_TFLM_FILTERBANK_OPT (0)
#endif

// MFCC / log-mel stages (spectral.c): window + block normalization into the permuted FFT
// input (returns the shift s), band sums of bins.
int es_window_normalize32(const es_fe_t *fe, int32_t *buf);
void es_mel_sums(const es_fe_t *fe, const uint32_t *bins32, const uint64_t *bins64,
    uint64_t *mel);

#endif // EARSHOT_DSP_H
