// Stand-ins for the parts that `make natmod OPS=...` leaves out (ops.mk): each raises
// NotImplementedError naming the part, when a model or front end first needs it.

#include "py/dynruntime.h"
#include "kernels/kernels.h"
#include "dsp/dsp.h"

#define ABSENT(what) \
    mp_raise_msg(&mp_type_NotImplementedError, \
        what " is not in this build of earshot (make natmod OPS=...)")

#if ES_ABSENT_conv
void es_conv_s8(const es_conv_params_t *p, const int8_t *input, const int8_t *filter,
    int8_t *output) {
    ABSENT("CONV_2D");
}
#endif

#if ES_ABSENT_pool
void es_avg_pool_s8(const es_pool_kernel_params_t *p, const int8_t *input, int8_t *output) {
    ABSENT("AVERAGE_POOL_2D");
}

void es_max_pool_s8(const es_pool_kernel_params_t *p, const int8_t *input, int8_t *output) {
    ABSENT("MAX_POOL_2D");
}
#endif

#if ES_ABSENT_add
void es_add_s8(const es_add_kernel_params_t *p, const es_broadcast_t *broadcast,
    const int8_t *input1, const int8_t *input2, int8_t *output) {
    ABSENT("ADD");
}
#endif

#if ES_ABSENT_tflm_micro
int es_tflm_window(const es_fe_t *fe, int16_t *buf) {
    ABSENT("The tflm_micro front end");
    return 0;
}

void es_tflm_filterbank(const es_fe_t *fe, const int16_t *spectrum, int shift, uint32_t *out) {
}

void es_tflm_noise_reduction(es_fe_t *fe, uint32_t *signal) {
}

void es_tflm_pcan(const es_fe_t *fe, uint32_t *signal) {
}

uint32_t es_tflm_log_scale(const es_fe_t *fe, uint32_t value) {
    return 0;
}
#endif

#if ES_ABSENT_mfcc
void es_mfcc_frame(es_fe_t *fe, int8_t *out) {
    ABSENT("The mfcc front end");
}

int32_t es_mfcc_peak_steps(const es_fe_t *fe, int32_t peak) {
    ABSENT("The mfcc front end");
    return 0;
}

void es_mfcc_shift_c0(const es_fe_t *fe, int8_t *frames, size_t n_frames, int32_t steps) {
    ABSENT("The mfcc front end");
}
#endif

#if ES_ABSENT_logmel
void es_logmel_frame(es_fe_t *fe, int8_t *out) {
    ABSENT("The logmel front end");
}
#endif
