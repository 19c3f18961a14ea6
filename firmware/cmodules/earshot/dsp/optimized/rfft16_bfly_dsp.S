// The radix-4 butterflies of the 16-bit FFT for ARMv7E-M (Cortex-M4/M7) in assembly,
// called by rfft16.c, which holds the same arithmetic in C (bfly4) and why it equals the
// reference dsp/rfft.c: a complex value is one word (re in the low half), and
//   fixdiv(x, 32767 / 4), both halves:  SMLABB(x, K, 2**14) >> 15 in the low half,
//     the top half of SMLATT(x, 2K, 2**15) (= 2 (x.hi K + 2**14)) in the high half (PKHTB);
//   cmul(a, w):  re = SMLSD(a, w, 2**14) >> 15, im = SMLADX(a, w, 2**14) >> 15 (PKHTB of
//     im << 1 and re >> 15);
//   wrapping int16 sums and differences SADD16 / SSUB16, the i-rotations SASX / SSAX.
// Against the C, the twiddles are read per butterfly (row order) and every constant and
// pointer stays in a register.
//
// void es_rfft16_r4_row_dsp(int16_t *f0, int16_t *end, const es_r4_row_t *row)
//   Butterflies at f0, f0 + 2, ... (int16 values) below end; each on f0, f1 = f0 + q,
//   f2 = f0 + 2q, f3 = f0 + 3q (q bytes) with twiddles (re, im words) at tw + o, + 2o,
//   + 3o, o starting at row->o and growing by row->step per butterfly.
//   typedef struct { const uint8_t *tw; uint32_t o, step, q; } es_r4_row_t;
// Registers: r0 f0, r2 q, r3 tw, r4 o, r5 step, r6 K | 2K << 16, r7 2**14, r8 2**15;
// r1, r9-r12, lr data; end on the stack.

// ARMv7E-M, and ARMv8-M Mainline with the DSP extension (Cortex-M33): the same Thumb-2
// DSP instructions (dsp.h: ES_RFFT16_SIMD calls these wherever SIMD32 is there).
#if (defined(__ARM_ARCH_7EM__) || (defined(__ARM_ARCH_8M_MAIN__) && defined(__ARM_FEATURE_DSP))) \
    && !EARSHOT_KERNELS_REFERENCE

    .syntax unified
    .thumb
    .text

// d = fixdiv(s, K) of both halves (t: scratch; d may be s)
.macro FIXDIV d, s, t
    smlatt  \t, \s, r6, r8
    smlabb  \d, \s, r6, r7
    pkhtb   \d, \t, \d, asr #15
.endm

// d = cmul(a, w) (t: scratch; d may be a or w)
.macro CMUL d, a, w, t
    smladx  \t, \a, \w, r7
    smlsd   \d, \a, \w, r7
    lsl     \t, \t, #1
    pkhtb   \d, \t, \d, asr #15
.endm

    .align 2
    .global es_rfft16_r4_row_dsp
    .type   es_rfft16_r4_row_dsp, %function
    .thumb_func
es_rfft16_r4_row_dsp:
    cmp     r0, r1
    it      hs
    bxhs    lr
    push    {r1, r4-r11, lr}        // end at [sp]
    ldr     r4, [r2, #4]            // o
    ldr     r5, [r2, #8]            // step
    ldr     r3, [r2, #0]            // tw
    ldr     r2, [r2, #12]           // q
    movw    r6, #8191
    movt    r6, #16382
    mov     r7, #16384
    mov     r8, #32768
1:
    // s0 = cmul(fixdiv(f1), w1) -> r9
    ldr     r9, [r0, r2]
    FIXDIV  r9, r9, r12
    ldr     r10, [r3, r4]
    CMUL    r9, r9, r10, r12
    // s2 = cmul(fixdiv(f3), w3) -> r10
    add     lr, r0, r2, lsl #1      // f2
    ldr     r10, [lr, r2]
    FIXDIV  r10, r10, r12
    add     r11, r4, r4, lsl #1     // 3o
    ldr     r11, [r3, r11]
    CMUL    r10, r10, r11, r12
    // s3 = s0 + s2 -> r11; s4 = s0 - s2 -> r9
    sadd16  r11, r9, r10
    ssub16  r9, r9, r10
    // s1 = cmul(fixdiv(f2), w2) -> r10
    ldr     r10, [lr]
    FIXDIV  r10, r10, r12
    ldr     r12, [r3, r4, lsl #1]
    CMUL    r10, r10, r12, r1
    // a0 = fixdiv(f0) -> r12; g0 = a0 + s1 -> r10, s5 = a0 - s1 -> r12
    ldr     r12, [r0]
    FIXDIV  r12, r12, r1
    sadd16  r1, r12, r10
    ssub16  r12, r12, r10
    // f0 = g0 + s3; f2 = g0 - s3; f1 = (s5.re + s4.im, s5.im - s4.re); f3 = (s5.re -
    // s4.im, s5.im + s4.re)
    sadd16  r10, r1, r11
    ssub16  r1, r1, r11
    str     r10, [r0]
    str     r1, [lr]
    ssax    r10, r12, r9
    sasx    r12, r12, r9
    str     r10, [r0, r2]
    str     r12, [lr, r2]
    add     r4, r4, r5
    adds    r0, r0, #4
    ldr     r1, [sp]
    cmp     r0, r1
    blo     1b
    pop     {r1, r4-r11, pc}
    .size   es_rfft16_r4_row_dsp, . - es_rfft16_r4_row_dsp

// void es_rfft16_first_dsp(int16_t *buf, uint32_t blocks, int32_t pow2)
//   The first stage when it is radix 4 with m = 1 (blocks of 4 consecutive values) and
//   twiddle 0 is (MAX, 0) (its products are the identity there), on inputs still to be
//   shifted left (pow2 = 2**shift; each half truncated to int16, the bottom half SMLAxB
//   reads):  a = fixdiv(x << shift): SMULBB / SMULTB by pow2, then the halves' fixdiv.
    .align 2
    .global es_rfft16_first_dsp
    .type   es_rfft16_first_dsp, %function
    .thumb_func
es_rfft16_first_dsp:
    cmp     r1, #0
    it      eq
    bxeq    lr
    push    {r4-r11, lr}
    movw    r6, #8191
    movt    r6, #16382
    mov     r7, #16384
    mov     r8, #32768
1:
    ldm     r0, {r3, r4, r5, r9}
.irp x, r3, r4, r5, r9
    smulbb  r10, \x, r2
    smultb  r11, \x, r2
    smlabb  r10, r10, r6, r7
    smlabt  r11, r11, r6, r8
    pkhtb   \x, r11, r10, asr #15
.endr
    sadd16  r10, r4, r9             // s3 = a1 + a3
    ssub16  r4, r4, r9              // s4 = a1 - a3
    sadd16  r11, r3, r5             // g0 = a0 + a2
    ssub16  r9, r3, r5              // s5 = a0 - a2
    sadd16  r3, r11, r10            // f0
    ssub16  r5, r11, r10            // f2
    sasx    r10, r9, r4             // f3 = (s5.re - s4.im, s5.im + s4.re)
    ssax    r4, r9, r4              // f1 = (s5.re + s4.im, s5.im - s4.re)
    stm     r0!, {r3, r4, r5, r10}
    subs    r1, r1, #1
    bne     1b
    pop     {r4-r11, pc}
    .size   es_rfft16_first_dsp, . - es_rfft16_first_dsp

// void es_rfft16_split_dsp(int16_t *buf, uint32_t n, const uint8_t *super)
//   The real split's pairs k = 1 .. n/2, as es_rfft16_run_simd's loop: zk = buf + 2k,
//   zn = buf + 2(n - k) (int16 values); a = fixdiv(zk, 32767 / 2); b = fixdiv of
//   (zn.re, -zn.im) (the negation wrapping: SSUB16 from 0, PKHBT); f1 = a + b;
//   t = cmul(a - b, w) with w = super word k - 1 (any alignment);
//   zk = (f1 + t) >> 1 (SHADD16); zn = ((f1.re - t.re) >> 1, (t.im - f1.im) >> 1)
//   (SHSUB16 of (f1.re, t.im) and (t.re, f1.im)).
    .align 2
    .global es_rfft16_split_dsp
    .type   es_rfft16_split_dsp, %function
    .thumb_func
es_rfft16_split_dsp:
    lsrs    r3, r1, #1
    it      eq
    bxeq    lr
    push    {r4-r11, lr}
    add     r4, r0, #4              // zk
    add     r5, r0, r1, lsl #2
    sub     r5, r5, #4              // zn
    movw    r6, #16383
    movt    r6, #32766
    mov     r7, #16384
    mov     r8, #32768
    mov     r9, #0
1:
    ldr     r10, [r4]
    ldr     r11, [r5]
    ssub16  r12, r9, r11
    pkhbt   r11, r11, r12           // (zn.re, -zn.im)
    FIXDIV  r10, r10, r12           // a
    FIXDIV  r11, r11, r12           // b
    sadd16  r12, r10, r11           // f1
    ssub16  r10, r10, r11           // f2
    ldr     r11, [r2], #4           // w
    CMUL    r10, r10, r11, lr       // t
    shadd16 r11, r12, r10
    pkhbt   lr, r12, r10            // (f1.re, t.im)
    pkhbt   r10, r10, r12           // (t.re, f1.im)
    shsub16 lr, lr, r10
    str     r11, [r4], #4
    str     lr, [r5], #-4
    subs    r3, r3, #1
    bne     1b
    pop     {r4-r11, pc}
    .size   es_rfft16_split_dsp, . - es_rfft16_split_dsp

#endif
