// Sample-block operations of the streaming pipeline.

#include <stdbool.h>
#include <string.h>

#include "audio_ops.h"
#include "model_check.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define AUDIO_OPS_DSP (1)
#else
#define AUDIO_OPS_DSP (0)
#endif

int16_t es_audio_peak(const int16_t *x, size_t n) {
    int16_t peak = INT16_MIN;
    for (size_t i = 0; i < n; ++i) {
        if (x[i] > peak) {
            peak = x[i];
        }
    }
    return peak;
}

uint64_t es_audio_sum_squares(const int16_t *x, size_t n) {
    // Squares of int16 fit 31 bits; the sum of up to 2**33 of them fits 64 bits.
    uint64_t sum = 0;
    size_t i = 0;
    #if AUDIO_OPS_DSP
    // Two samples per SMLALD (x is 2-byte aligned; ARMv7-M loads words from any address).
    for (; i + 2 <= n; i += 2) {
        int32_t pair;
        memcpy(&pair, x + i, sizeof(pair));
        sum = (uint64_t)__smlald(pair, pair, (int64_t)sum);
    }
    #endif
    for (; i < n; ++i) {
        int32_t v = x[i];
        sum += (uint32_t)(v * v);
    }
    return sum;
}

uint32_t es_audio_mean_of(uint64_t sum, size_t n) {
    if (n == 0) {
        return 0;
    }
    // sum / n with 32-bit divisions only (libgcc's 64-bit one is not linked): split sum at
    // bit 16; (hi % n) << 16 fits 32 bits because n < 65536.
    uint32_t hi = (uint32_t)(sum >> 16);
    uint32_t q_hi = hi / (uint32_t)n;
    uint32_t rem = ((hi - q_hi * (uint32_t)n) << 16) | (uint32_t)(sum & 0xffff);
    return (q_hi << 16) + rem / (uint32_t)n;
}

uint32_t es_audio_mean_square(const int16_t *x, size_t n) {
    return es_audio_mean_of(es_audio_sum_squares(x, n), n);
}

void es_audio_mix_stereo(int16_t *dst, const int16_t *src, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        dst[i] = (int16_t)(((int32_t)src[2 * i] + (int32_t)src[2 * i + 1]) >> 1);
    }
}

void es_audio_shift_in(uint8_t *window, size_t window_len, const uint8_t *frame, size_t frame_len) {
    memmove(window, window + frame_len, window_len - frame_len);
    memcpy(window + window_len - frame_len, frame, frame_len);
}

static int base64_value(uint8_t c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

// Decode exactly out_len bytes from base64 text of exactly the matching length.
static bool base64_decode(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len) {
    if (in_len != (out_len + 2) / 3 * 4) {
        return false;
    }
    size_t o = 0;
    for (size_t i = 0; i < in_len; i += 4) {
        uint32_t acc = 0;
        int pad = 0;
        for (size_t k = 0; k < 4; ++k) {
            uint8_t c = in[i + k];
            int v;
            if (c == '=' && i + 4 == in_len && k >= 2) {
                v = 0;
                pad++;
            } else {
                v = pad ? -1 : base64_value(c);
            }
            if (v < 0) {
                return false;
            }
            acc = (acc << 6) | (uint32_t)v;
        }
        for (int k = 0; k < 3 - pad; ++k) {
            if (o == out_len) {
                return false;
            }
            out[o++] = (uint8_t)(acc >> (16 - 8 * k));
        }
    }
    return o == out_len;
}

// Parse the decimal or hex field ending at the next space; advances *pos past the space.
static bool parse_field(const uint8_t *line, size_t len, size_t *pos, uint32_t base,
    uint32_t max_digits, uint32_t *value) {
    uint32_t v = 0;
    size_t start = *pos, i = *pos;
    for (; i < len && line[i] != ' '; ++i) {
        uint8_t c = line[i];
        uint32_t d;
        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (base == 16 && c >= 'a' && c <= 'f') {
            d = c - 'a' + 10;
        } else {
            return false;
        }
        if (i - start >= max_digits) {
            return false;
        }
        v = v * base + d;
    }
    if (i == start || i == len) {
        return false;
    }
    *value = v;
    *pos = i + 1;
    return true;
}

int32_t es_audio_decode_line(const uint8_t *line, size_t len, uint8_t *dst, size_t dst_len) {
    uint32_t seq, crc;
    size_t pos = 2;
    if (len < 2 || line[0] != 'a' || line[1] != ' ') {
        return -1;
    }
    // At most 9 decimal digits keeps seq below 2^31.
    if (!parse_field(line, len, &pos, 10, 9, &seq) || !parse_field(line, len, &pos, 16, 8, &crc)) {
        return -1;
    }
    if (!base64_decode(line + pos, len - pos, dst, dst_len)) {
        return -1;
    }
    if (es_crc32(0, dst, dst_len) != crc) {
        return -1;
    }
    return (int32_t)seq;
}

void es_audio_pack_i32_to_i16(int16_t *dst, const int32_t *src, size_t n, unsigned shift) {
    for (size_t i = 0; i < n; ++i) {
        int32_t v = src[i] >> shift;
        dst[i] = (int16_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
    }
}
