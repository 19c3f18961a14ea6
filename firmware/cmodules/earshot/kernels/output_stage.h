// The requantization output stage shared by the weighted kernels.
#ifndef EARSHOT_KERNELS_OUTPUT_STAGE_H
#define EARSHOT_KERNELS_OUTPUT_STAGE_H

#include "earshot_le.h"
#include "kernels.h"
#include "requantize.h"

// The fixed-point requantization of one output channel, loaded once per channel.
typedef struct _es_channel_t {
    int32_t bias;
    int32_t multiplier;
    int32_t shift;
} es_channel_t;

// The arrays are constant data in the model file, which may change after the checks
// (a bytearray model): the shift is clamped to [-31, 30], the range model_check.c allows,
// so no value read here can shift by 32 or more.
static inline void es_load_channel(const es_requant_t *rq, int32_t c, es_channel_t *ch) {
    const uint32_t idx = rq->count == 1 ? 0 : (uint32_t)c;
    ch->bias = rq->bias ? es_rd_i32(rq->bias + 4 * c) : 0;
    ch->multiplier = es_rd_i32(rq->multipliers + 4 * idx);
    ch->shift = es_clamp(es_rd_i32(rq->shifts + 4 * idx), -31, 30);
}

// Scaled accumulator + output zero point, clamped to the activation range. The reference
// adds the zero point without int32 wraparound; as the clamp range lies inside int8 and
// the zero point within [-128, 127], pre-clamping to +-1024 gives the same result.
static inline int8_t es_output_clamp(const es_requant_t *rq, int32_t scaled) {
    int32_t v = es_clamp(scaled, -1024, 1024) + rq->output_offset;
    return (int8_t)es_clamp(v, rq->act_min, rq->act_max);
}

// acc (without bias) -> int8 output with the FIXED_POINT stage.
static inline int8_t es_output_fixed(const es_requant_t *rq, const es_channel_t *ch, int32_t acc) {
    return es_output_clamp(rq, es_mbqm(es_wrap_add(acc, ch->bias), ch->multiplier, ch->shift));
}

#endif // EARSHOT_KERNELS_OUTPUT_STAGE_H
