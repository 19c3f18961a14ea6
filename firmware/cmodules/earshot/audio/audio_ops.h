// Sample-block operations of the streaming pipeline (plain C, no MicroPython API).
#ifndef EARSHOT_AUDIO_OPS_H
#define EARSHOT_AUDIO_OPS_H

#include <stddef.h>
#include <stdint.h>

// Mean of x[i]^2 over n < 65536 samples (0 for n == 0): the energy the VAD gate compares.
uint32_t es_audio_mean_square(const int16_t *x, size_t n);
// Its two steps, for samples taken in pieces: the sum of x[i]^2, and sum / n (n < 65536,
// sum of n squares; 0 for n == 0).
uint64_t es_audio_sum_squares(const int16_t *x, size_t n);
uint32_t es_audio_mean_of(uint64_t sum, size_t n);

// The largest sample of x (its signed maximum, as MLPerf KWS training's max(x)); -32768
// for n == 0.
int16_t es_audio_peak(const int16_t *x, size_t n);

// dst[i] = (left[i] + right[i]) >> 1 from interleaved stereo src of 2 * n samples.
// dst may be src (mixing in place).
void es_audio_mix_stereo(int16_t *dst, const int16_t *src, size_t n);

// Slide a window of frames left by one frame and append frame at its end.
void es_audio_shift_in(uint8_t *window, size_t window_len, const uint8_t *frame, size_t frame_len);

#endif // EARSHOT_AUDIO_OPS_H

// Decode one audio line of the host's stream protocol (version 1):
//     a <seq> <crc32 of the samples, 8 hex digits> <base64 of the int16 samples>
// into dst (exactly dst_len bytes). Returns the sequence number (0 .. 2^31-1), or -1 when
// the line is malformed: wrong prefix or digits, wrong length, or a CRC mismatch.
int32_t es_audio_decode_line(const uint8_t *line, size_t len, uint8_t *dst, size_t dst_len);

// dst[i] = src[i] >> shift, saturated to int16: 32-bit microphone slots to samples.
void es_audio_pack_i32_to_i16(int16_t *dst, const int32_t *src, size_t n, unsigned shift);
