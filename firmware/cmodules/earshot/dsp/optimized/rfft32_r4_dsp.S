// The 32-bit FFT's radix-4 butterflies of one twiddle (ARMv7E-M: Cortex-M4/M7), called by
// rfft32.c for every twiddle but the first: C leaves too many values live for the core's
// registers. The same arithmetic as rfft32.c's radix4(), instruction for expression:
//   fixdiv(v, MAX / 4) = SMMULR(v, 2 (MAX / 4));
//   a complex product from the doubled operand x2 = 2 fixdiv(.):
//     re = hi + (lo >> 31) of SMULL(x2.re, w.re) + SMLAL(-x2.im, w.im), im likewise;
//   wrapping 32-bit sums and differences.
// g0 = a0 + s1 and s5 = a0 - s1 are parked in the slots of f0 and f2 (already read) while
// s0 and s2 are computed.
//
// void es_rfft32_r4_column(int32_t *f0, uint32_t count, const es_r4_column_t *col)
//   f0: first butterfly's first value; count butterflies, 4 * col->quarter bytes apart;
//   col: w1, w2, w3 as (re, im) int32 pairs (word aligned), then quarter = bytes from f0
//   to f1 (8 m).

#if defined(__ARM_ARCH_7EM__) && !EARSHOT_KERNELS_REFERENCE

    .syntax unified
    .thumb
    .text
    .align 2
    .global es_rfft32_r4_column
    .type es_rfft32_r4_column, %function
    .thumb_func
es_rfft32_r4_column:
    push    {r4-r11, lr}
    ldr     r3, [r2, #24]           // quarter
    movw    r12, #0xfffe
    movt    r12, #0x3fff            // 2 (MAX / 4)
1:
    // s1 = a2 w2 -> (r9, r10)
    add     lr, r0, r3, lsl #1      // f2
    ldrd    r4, r5, [lr]
    smmulr  r4, r4, r12
    smmulr  r5, r5, r12
    lsl     r4, r4, #1
    lsl     r5, r5, #1
    ldrd    r6, r7, [r2, #8]        // w2
    rsb     r10, r5, #0
    smull   r8, r9, r4, r6
    smlal   r8, r9, r10, r7
    add     r9, r9, r8, lsr #31
    smull   r8, r10, r4, r7
    smlal   r8, r10, r5, r6
    add     r10, r10, r8, lsr #31
    // a0; g0 = a0 + s1 -> slot f0, s5 = a0 - s1 -> slot f2
    ldrd    r4, r5, [r0]
    smmulr  r4, r4, r12
    smmulr  r5, r5, r12
    add     r6, r4, r9
    add     r7, r5, r10
    sub     r4, r4, r9
    sub     r5, r5, r10
    strd    r6, r7, [r0]
    strd    r4, r5, [lr]
    // s0 = a1 w1 -> (r9, r10)
    add     lr, r0, r3              // f1
    ldrd    r4, r5, [lr]
    smmulr  r4, r4, r12
    smmulr  r5, r5, r12
    lsl     r4, r4, #1
    lsl     r5, r5, #1
    ldrd    r6, r7, [r2, #0]        // w1
    rsb     r10, r5, #0
    smull   r8, r9, r4, r6
    smlal   r8, r9, r10, r7
    add     r9, r9, r8, lsr #31
    smull   r8, r10, r4, r7
    smlal   r8, r10, r5, r6
    add     r10, r10, r8, lsr #31
    // s2 = a3 w3 -> (r11, lr)
    add     lr, lr, r3, lsl #1      // f3
    ldrd    r4, r5, [lr]
    smmulr  r4, r4, r12
    smmulr  r5, r5, r12
    lsl     r4, r4, #1
    lsl     r5, r5, #1
    ldrd    r6, r7, [r2, #16]       // w3
    rsb     lr, r5, #0
    smull   r8, r11, r4, r6
    smlal   r8, r11, lr, r7
    add     r11, r11, r8, lsr #31
    smull   r8, lr, r4, r7
    smlal   r8, lr, r5, r6
    add     lr, lr, r8, lsr #31
    // s3 = s0 + s2 -> (r4, r5), s4 = s0 - s2 -> (r9, r10)
    add     r4, r9, r11
    add     r5, r10, lr
    sub     r9, r9, r11
    sub     r10, r10, lr
    // f0 = g0 + s3, f2 = g0 - s3
    ldrd    r6, r7, [r0]            // g0
    sub     r8, r6, r4
    sub     r11, r7, r5
    add     r6, r6, r4
    add     r7, r7, r5
    strd    r6, r7, [r0]
    add     lr, r0, r3, lsl #1      // f2
    ldrd    r6, r7, [lr]            // s5
    strd    r8, r11, [lr]
    // f1 = (s5.re + s4.im, s5.im - s4.re), f3 = (s5.re - s4.im, s5.im + s4.re)
    add     r4, r6, r10
    sub     r5, r7, r9
    sub     r6, r6, r10
    add     r7, r7, r9
    sub     lr, lr, r3              // f1
    strd    r4, r5, [lr]
    add     lr, lr, r3, lsl #1      // f3
    strd    r6, r7, [lr]
    add     r0, r0, r3, lsl #2      // next butterfly
    subs    r1, r1, #1
    bne     1b
    pop     {r4-r11, pc}
    .size es_rfft32_r4_column, . - es_rfft32_r4_column

#endif

// No executable stack (the Unix port links this file too, empty).
#if defined(__ELF__) && !defined(__arm__)
    .section .note.GNU-stack, "", %progbits
#endif
