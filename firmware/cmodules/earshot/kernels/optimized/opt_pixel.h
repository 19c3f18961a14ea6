// Shared pieces of the one-pixel kernels (conv_pixel.c, depthwise_pixel.c): the output
// stage of a channel computed once (every channel of a one-pixel operator has exactly one
// output, so a per-operator table of channel parameters would cost more than it saves).
#ifndef EARSHOT_KERNELS_OPT_PIXEL_H
#define EARSHOT_KERNELS_OPT_PIXEL_H

#include "kernels/optimized/opt_common.h"

// The output stage of an operator as the one-pixel kernels walk it: channel c's bias at
// bias + 4 * c (a zero word with step 0 when there is none), its multiplier and shift at
// 4 * c (or at 0 for every channel: step 0), the output range relative to the zero point.
typedef struct _es_pixel_out_t {
    const uint8_t *stage;   // the prepared stage (FORMAT.md §3.1) or NULL
    int32_t act_min, act_max;
    const uint8_t *bias;
    const uint8_t *multipliers;
    const uint8_t *shifts;
    uint32_t bias_step, step;
    int32_t lo, hi, zp;
} es_pixel_out_t;

static inline void es_pixel_out_init(const es_requant_t *rq, es_pixel_out_t *o) {
    static const uint8_t zero[4] = { 0, 0, 0, 0 };
    o->stage = rq->stage;
    o->act_min = rq->act_min;
    o->act_max = rq->act_max;
    o->bias = rq->bias ? rq->bias : zero;
    o->bias_step = rq->bias ? 4 : 0;
    o->multipliers = rq->multipliers;
    o->shifts = rq->shifts;
    o->step = rq->count == 1 ? 0 : 4;
    o->lo = rq->act_min - rq->output_offset;
    o->hi = rq->act_max - rq->output_offset;
    o->zp = rq->output_offset;
}

// Channels of accumulators the kernels collect before running the output stage over them.
#define ES_PIXEL_BLOCK (64)

// output[i] = channel c0 + i's int8 output for acc[i], i < n; bit-exact with the reference
// output stage (output_stage.h). acc[i] is the sum of filter * (input + input offset) when
// the op has no prepared stage, and the sum of filter * raw input when it has one (the
// stage holds the bias with the offset folded in): es_pixel_input_offset says which.
void es_pixel_out_run(const es_pixel_out_t *o, int32_t c0, const int32_t *acc, int32_t n,
    int8_t *output);

// The input offset the kernels add to the input bytes: none with a prepared stage.
static inline int32_t es_pixel_input_offset(const es_conv_params_t *p) {
    return p->rq.stage ? 0 : p->input_offset;
}

// Whether the one-pixel window starting at (y0, x0) lies inside the input.
static inline bool es_pixel_window_inside(const es_conv_params_t *p) {
    const int32_t y0 = -p->pad_top, x0 = -p->pad_left;
    return y0 >= 0 && x0 >= 0
           && y0 + (p->filter_h - 1) * p->dilation_h < p->in_h
           && x0 + (p->filter_w - 1) * p->dilation_w < p->in_w;
}

#endif // EARSHOT_KERNELS_OPT_PIXEL_H
