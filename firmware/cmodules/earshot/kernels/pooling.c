// int8 AVERAGE_POOL_2D and MAX_POOL_2D (TFLite reference_integer_ops pooling,
// FORMAT.md §3.3): windows are clipped to the input; no requantization.

#include "kernels.h"
#include "requantize.h"

// The part [begin, end) of a window of size filter starting at origin inside [0, size).
static inline void clip_window(int32_t origin, int32_t filter, int32_t size, int32_t *begin,
    int32_t *end) {
    int32_t lo = origin < 0 ? -origin : 0;
    int32_t hi = size - origin;
    *begin = lo;
    *end = hi < filter ? hi : filter;
}

void es_avg_pool_s8(const es_pool_kernel_params_t *p, const int8_t *input, int8_t *output) {
    const int32_t ch = p->channels;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->in_h * p->in_w * ch;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            int32_t fy0, fy1;
            clip_window(y0, p->filter_h, p->in_h, &fy0, &fy1);
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                int32_t fx0, fx1;
                clip_window(x0, p->filter_w, p->in_w, &fx0, &fx1);
                const int32_t count = (fy1 > fy0 && fx1 > fx0) ? (fy1 - fy0) * (fx1 - fx0) : 0;
                for (int32_t c = 0; c < ch; ++c) {
                    int32_t sum = 0;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        const int8_t *row = in_b + ((y0 + fy) * p->in_w + x0) * ch + c;
                        for (int32_t fx = fx0; fx < fx1; ++fx) {
                            sum += row[fx * ch];
                        }
                    }
                    int32_t avg = 0;
                    if (count > 0) {
                        avg = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                    }
                    *output++ = (int8_t)es_clamp(avg, p->act_min, p->act_max);
                }
            }
        }
    }
}

void es_max_pool_s8(const es_pool_kernel_params_t *p, const int8_t *input, int8_t *output) {
    const int32_t ch = p->channels;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *in_b = input + (size_t)b * p->in_h * p->in_w * ch;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            int32_t fy0, fy1;
            clip_window(y0, p->filter_h, p->in_h, &fy0, &fy1);
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                int32_t fx0, fx1;
                clip_window(x0, p->filter_w, p->in_w, &fx0, &fx1);
                for (int32_t c = 0; c < ch; ++c) {
                    int32_t max = -(1 << 20);
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        const int8_t *row = in_b + ((y0 + fy) * p->in_w + x0) * ch + c;
                        for (int32_t fx = fx0; fx < fx1; ++fx) {
                            const int32_t v = row[fx * ch];
                            max = v > max ? v : max;
                        }
                    }
                    *output++ = (int8_t)es_clamp(max, p->act_min, p->act_max);
                }
            }
        }
    }
}
