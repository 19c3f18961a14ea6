// Two loops of the 32-bit FFT in ARMv7E-M assembly (Cortex-M4/M7), called by rfft32.c:
// C leaves too many values live for the core's registers there.
//
// es_rfft32_r4_column: the radix-4 butterflies of one twiddle (every twiddle but the
// first). The same arithmetic as rfft32.c's radix4(), instruction for expression:
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

// (re, im) = 2 fixdiv(the complex value at ptr) times the twiddle at col + woff, rounded:
// hi + (lo >> 31) of SMULL(x2.re, w.re) + SMLAL(-x2.im, w.im), and likewise for im. Uses
// r4-r8; im doubles as the -x2.im temporary (ptr may be im: it is read first).
.macro TWIDDLED ptr, woff, re, im
    ldrd    r4, r5, [\ptr]
    smmulr  r4, r4, r12
    smmulr  r5, r5, r12
    lsl     r4, r4, #1
    lsl     r5, r5, #1
    ldrd    r6, r7, [r2, #\woff]
    rsb     \im, r5, #0
    smull   r8, \re, r4, r6
    smlal   r8, \re, \im, r7
    add     \re, \re, r8, lsr #31
    smull   r8, \im, r4, r7
    smlal   r8, \im, r5, r6
    add     \im, \im, r8, lsr #31
.endm

// rd = (rn op rm) >> 1 of the 33-bit sum or difference (op: adds or subs): ASR 1, with
// bit 31 flipped where the 32-bit result overflowed (V).
.macro HALF op, rd, rn, rm
    \op     \rd, \rn, \rm
    asr     \rd, \rd, #1
    it      vs
    eorvs   \rd, \rd, #0x80000000
.endm

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
    TWIDDLED lr, 8, r9, r10
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
    TWIDDLED lr, 0, r9, r10
    // s2 = a3 w3 -> (r11, lr)
    add     lr, lr, r3, lsl #1      // f3
    TWIDDLED lr, 16, r11, lr
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

// void es_rfft32_split(int32_t *buf, uint32_t n, const uint8_t *super)
//   The real split for k = 1 .. n/2 (rfft32.c's es_rfft32_run_opt, after the DC bin):
//   a = fixdiv(Z[k]), b = fixdiv(conj Z[n-k]) (SMMULR by 2 (MAX / 2)), f1 = a + b,
//   f2 = a - b, t = cmul(f2, super[k-1]) rounded from 64 bits (f2 may not be doubled),
//   Z[k] = (f1 + t) >> 1, Z[n-k] = ((f1.re - t.re) >> 1, (t.im - f1.im) >> 1), the halves
//   of 33-bit sums: ASR 1, with bit 31 flipped where the sum overflowed (V).
//   super: the super twiddles, any alignment (LDR).
    .align 2
    .global es_rfft32_split
    .type es_rfft32_split, %function
    .thumb_func
es_rfft32_split:
    push    {r4-r11, lr}
    add     r3, r0, r1, lsl #3
    sub     r3, r3, #8              // zn = Z[n-1]
    add     r0, r0, #8              // zk = Z[1]
    mov     r12, r2                 // super twiddles
    lsr     r2, r1, #1              // count: n / 2
    mov     r1, r3
    mvn     r3, #0x80000000         // 2 (MAX / 2) = 0x7ffffffe
    sub     r3, r3, #1
2:
    ldrd    r4, r5, [r0]            // Z[k]
    ldrd    r6, r7, [r1]            // Z[n-k]
    smmulr  r4, r4, r3              // a.re
    smmulr  r5, r5, r3              // a.im
    smmulr  r6, r6, r3              // b.re
    rsb     r7, r7, #0
    smmulr  r7, r7, r3              // b.im = fixdiv(-Z[n-k].im)
    add     r8, r4, r6              // f1.re
    add     r9, r5, r7              // f1.im
    sub     r4, r4, r6              // f2.re
    sub     r5, r5, r7              // f2.im
    ldr     r6, [r12], #4           // w.re
    ldr     r7, [r12], #4           // w.im
    // t.re = (f2.re w.re - f2.im w.im + 2**30) >> 31 -> r10
    mov     r10, #0x40000000
    mov     r11, #0
    smlal   r10, r11, r4, r6
    rsb     lr, r7, #0
    smlal   r10, r11, r5, lr
    lsr     r10, r10, #31
    orr     r10, r10, r11, lsl #1
    // t.im = (f2.re w.im + f2.im w.re + 2**30) >> 31 -> r11
    mov     r11, #0x40000000
    mov     lr, #0
    smlal   r11, lr, r4, r7
    smlal   r11, lr, r5, r6
    lsr     r11, r11, #31
    orr     r11, r11, lr, lsl #1
    HALF    adds, r4, r8, r10       // zk.re = (f1.re + t.re) >> 1
    HALF    adds, r5, r9, r11       // zk.im = (f1.im + t.im) >> 1
    HALF    subs, r6, r8, r10       // zn.re = (f1.re - t.re) >> 1
    HALF    subs, r7, r11, r9       // zn.im = (t.im - f1.im) >> 1
    strd    r4, r5, [r0], #8
    strd    r6, r7, [r1], #-8
    subs    r2, r2, #1
    bne     2b
    pop     {r4-r11, pc}
    .size es_rfft32_split, . - es_rfft32_split

#endif

// No executable stack (the Unix port links this file too, empty).
#if defined(__ELF__) && !defined(__arm__)
    .section .note.GNU-stack, "", %progbits
#endif
