// Shared pieces of the one-pixel kernels (conv_pixel.c, depthwise_pixel.c): the output
// stage of a channel computed once (every channel of a one-pixel operator has exactly one
// output, so a per-operator table of channel parameters would cost more than it saves).
#ifndef EARSHOT_KERNELS_OPT_PIXEL_H
#define EARSHOT_KERNELS_OPT_PIXEL_H

#include "kernels/optimized/opt_common.h"

// The output range relative to the zero point (opt_common.h es_opt_out_t) and the requant
// arrays of an operator.
typedef struct _es_pixel_out_t {
    es_opt_out_t range;
    const es_requant_t *rq;
} es_pixel_out_t;

static inline void es_pixel_out_init(const es_requant_t *rq, es_pixel_out_t *o) {
    es_opt_out_init(rq, &o->range);
    o->rq = rq;
}

// Channel c's int8 output for its accumulator (bias not yet added): exactly the reference
// output stage (es_opt_scale's general path covers every accumulator).
static inline int8_t es_pixel_out(const es_pixel_out_t *o, int32_t c, int32_t acc) {
    es_opt_ch_t ch;
    es_opt_load_channel(o->rq, c, &ch);
    return es_opt_out(&o->range, es_opt_scale(acc, &ch));
}

// Whether the one-pixel window starting at (y0, x0) lies inside the input.
static inline bool es_pixel_window_inside(const es_conv_params_t *p) {
    const int32_t y0 = -p->pad_top, x0 = -p->pad_left;
    return y0 >= 0 && x0 >= 0
           && y0 + (p->filter_h - 1) * p->dilation_h < p->in_h
           && x0 + (p->filter_w - 1) * p->dilation_w < p->in_w;
}

#endif // EARSHOT_KERNELS_OPT_PIXEL_H
