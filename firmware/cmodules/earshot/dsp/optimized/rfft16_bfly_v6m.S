// The radix-4 butterflies of the 16-bit FFT for ARMv6-M (Cortex-M0/M0+) in Thumb-1
// assembly, called by rfft16_v6m.c (which holds the arithmetic this implements, in C, and
// why it equals the reference dsp/rfft.c): C leaves too many values live for the eight
// low registers here, and the high ones hold the loop's pointers and park two values.
//
// void es_rfft16_r4_row_v6m(int16_t *f0, int16_t *end, const es_r4_row_t *row)
//   Butterflies at f0, f0 + 2, ... (int16 values) below end; each on f0, f1 = f0 + q,
//   f2 = f0 + 2q, f3 = f0 + 3q (q bytes, row->q) with twiddles (re, im int16 words) at
//   row->tw + o, + 2o, + 3o, o starting at row->o and growing by row->step per butterfly.
//   typedef struct { const uint8_t *tw; uint32_t o, step, q; } es_r4_row_t;
//
// Per butterfly (fix4 and rnd15 as in rfft16_v6m.c):
//   s0 = cmul(fix4(f1), w1); s2 = cmul(fix4(f3), w3); s3 = s0 + s2; s4 = s0 - s2;
//   s1 = cmul(fix4(f2), w2); a0 = fix4(f0); g0 = a0 + s1; s5 = a0 - s1;
//   f0 = g0 + s3; f2 = g0 - s3; f1 = (s5.re + s4.im, s5.im - s4.re);
//   f3 = (s5.re - s4.im, s5.im + s4.re); each stored as int16 (strh truncates).
// fix4 there as MULS by 8191 (from lr), ADD of 2**14 (r12), ASRS 15; rnd15 as ADD of 2**14,
// ASRS 15. Registers: r8 = f0, r9 = q, r10 = tw, r11 = o, r12 = 2**14, lr = 8191;
// [sp] = end, [sp, #4] = step, [sp, #8] and [sp, #12] park s3.

#if defined(__ARM_ARCH_6M__) && !EARSHOT_KERNELS_REFERENCE

    .syntax unified
    .thumb
    .text

// d = fix4(s) = ((s + 2) * 8192 - s) >> 15 (d != s)
.macro FIX4 d, s
    adds    \d, \s, #2
    lsls    \d, \d, #13
    subs    \d, \d, \s
    asrs    \d, \d, #15
.endm

// x = rnd15(x) = ((x >> 14) + 1) >> 1
.macro RND x
    asrs    \x, \x, #14
    adds    \x, \x, #1
    asrs    \x, \x, #1
.endm

// (ar, ai) * (wr, wi): re into t, im into ai; ar and wi are consumed.
.macro CMUL ar, ai, wr, wi, t
    mov     \t, \ar
    muls    \t, \wr             // ar wr
    muls    \ar, \wi            // ar wi
    muls    \wi, \ai            // ai wi
    subs    \t, \t, \wi         // re
    muls    \ai, \wr            // ai wr
    adds    \ai, \ai, \ar       // im
    RND     \t
    RND     \ai
.endm

// The word at [base + off] split: re (sign-extended low half) into lo, im into word.
.macro SPLIT lo, word
    sxth    \lo, \word
    asrs    \word, \word, #16
.endm

// x = fix4(x) = (x * 8191 + 2**14) >> 15, with k = 8191 in a low register.
.macro FIXK x, k
    muls    \x, \k
    add     \x, r12
    asrs    \x, \x, #15
.endm

// x = rnd15(x) = (x + 2**14) >> 15
.macro RNDR x
    add     \x, r12
    asrs    \x, \x, #15
.endm

// (ar, ai) * (wr, wi): re into t, im into ai; ar and wi are consumed.
.macro CMULR ar, ai, wr, wi, t
    mov     \t, \ar
    muls    \t, \wr             // ar wr
    muls    \ar, \wi            // ar wi
    muls    \wi, \ai            // ai wi
    subs    \t, \t, \wi         // re
    muls    \ai, \wr            // ai wr
    adds    \ai, \ai, \ar       // im
    RNDR    \t
    RNDR    \ai
.endm

    .global es_rfft16_r4_row_v6m
    .type   es_rfft16_r4_row_v6m, %function
    .thumb_func
es_rfft16_r4_row_v6m:
    push    {r4, r5, r6, r7, lr}
    mov     r4, r8
    mov     r5, r9
    mov     r6, r10
    mov     r7, r11
    push    {r4, r5, r6, r7}
    sub     sp, sp, #16
    cmp     r0, r1
    blo     .Lstart
    b       .Ldone                  // (conditional branches reach 256 bytes)
.Lstart:
    str     r1, [sp]
    ldr     r3, [r2, #8]            // step
    str     r3, [sp, #4]
    mov     r8, r0
    ldr     r3, [r2, #12]           // q
    mov     r9, r3
    ldr     r3, [r2, #0]            // tw
    mov     r10, r3
    ldr     r3, [r2, #4]            // o
    mov     r11, r3
    movs    r3, #1
    lsls    r3, r3, #14
    mov     r12, r3                 // 2**14
    subs    r3, r3, #1
    lsrs    r3, r3, #1
    mov     lr, r3                  // 8191
.Lloop:
    // ---- s0 = cmul(fix4(f1), w1) -> (r6, r7)
    mov     r0, r8
    mov     r1, r9
    ldr     r2, [r0, r1]            // f1
    mov     r7, lr
    SPLIT   r4, r2
    FIXK    r4, r7
    FIXK    r2, r7                  // a = (r4, r2)
    mov     r0, r10
    mov     r1, r11
    ldr     r3, [r0, r1]            // w1
    SPLIT   r5, r3                  // w = (r5, r3)
    CMULR   r4, r2, r5, r3, r6
    mov     r7, r2                  // s0 = (r6, r7)
    // ---- s2 = cmul(fix4(f3), w3) -> (r0, r2)
    mov     r0, r8
    mov     r1, r9
    adds    r0, r0, r1
    adds    r0, r0, r1
    ldr     r2, [r0, r1]            // f3
    mov     r3, lr
    SPLIT   r4, r2
    FIXK    r4, r3
    FIXK    r2, r3                  // a = (r4, r2)
    mov     r0, r10
    mov     r1, r11
    adds    r0, r0, r1
    lsls    r1, r1, #1
    ldr     r3, [r0, r1]            // w3 at tw + o + 2o
    SPLIT   r5, r3
    CMULR   r4, r2, r5, r3, r0      // s2 = (r0, r2)
    // ---- s3 = s0 + s2 -> (r0, r2), parked; s4 = s0 - s2 -> (r6, r7)
    adds    r0, r0, r6
    lsls    r6, r6, #1
    subs    r6, r6, r0
    adds    r2, r2, r7
    lsls    r7, r7, #1
    subs    r7, r7, r2
    str     r0, [sp, #8]
    str     r2, [sp, #12]
    // ---- s1 = cmul(fix4(f2), w2) -> (r0, r2)
    mov     r0, r8
    mov     r1, r9
    adds    r0, r0, r1
    ldr     r2, [r0, r1]            // f2
    mov     r3, lr
    SPLIT   r4, r2
    FIXK    r4, r3
    FIXK    r2, r3                  // a = (r4, r2)
    mov     r0, r10
    mov     r1, r11
    adds    r0, r0, r1
    ldr     r3, [r0, r1]            // w2 at tw + 2o
    SPLIT   r5, r3
    CMULR   r4, r2, r5, r3, r0      // s1 = (r0, r2)
    // ---- a0 = fix4(f0) -> (r5, r4)
    mov     r1, r8
    ldr     r4, [r1]
    mov     r3, lr
    SPLIT   r5, r4
    FIXK    r5, r3
    FIXK    r4, r3
    // ---- g0 = a0 + s1 -> (r5, r4); s5 = a0 - s1 -> (r0, r2)
    adds    r5, r5, r0
    lsls    r0, r0, #1
    subs    r0, r5, r0
    adds    r4, r4, r2
    lsls    r2, r2, #1
    subs    r2, r4, r2
    // ---- f1 = (s5.re + s4.im, s5.im - s4.re) -> (r0, r2);
    //      f3 = (s5.re - s4.im, s5.im + s4.re) -> (r7, r6)
    adds    r0, r0, r7
    lsls    r7, r7, #1
    subs    r7, r0, r7
    subs    r2, r2, r6
    lsls    r6, r6, #1
    adds    r6, r2, r6
    mov     r3, r9
    adds    r1, r1, r3              // f1
    strh    r0, [r1]
    strh    r2, [r1, #2]
    adds    r1, r1, r3
    adds    r1, r1, r3              // f3
    strh    r7, [r1]
    strh    r6, [r1, #2]
    // ---- f0 = g0 + s3; f2 = g0 - s3
    ldr     r0, [sp, #8]
    ldr     r2, [sp, #12]
    adds    r5, r5, r0
    lsls    r0, r0, #1
    subs    r0, r5, r0
    adds    r4, r4, r2
    lsls    r2, r2, #1
    subs    r2, r4, r2
    mov     r1, r8
    strh    r5, [r1]
    strh    r4, [r1, #2]
    lsls    r3, r3, #1
    adds    r3, r1, r3              // f2
    strh    r0, [r3]
    strh    r2, [r3, #2]
    // ---- next: f0 += 4 bytes, o += step
    adds    r1, r1, #4
    mov     r8, r1
    ldr     r2, [sp, #4]
    add     r11, r2
    ldr     r2, [sp]
    cmp     r1, r2
    bhs     .Ldone
    b       .Lloop
.Ldone:
    add     sp, sp, #16
    pop     {r4, r5, r6, r7}
    mov     r8, r4
    mov     r9, r5
    mov     r10, r6
    mov     r11, r7
    pop     {r4, r5, r6, r7, pc}
    .size   es_rfft16_r4_row_v6m, . - es_rfft16_r4_row_v6m

// void es_rfft16_split_v6m(int16_t *buf, uint32_t n, const uint8_t *super)
//   The real split's pairs k = 1 .. n/2 (zk = buf + 2k, zn = buf + 2(n - k) int16 values;
//   super: the split twiddles, word k - 1 for pair k), as rfft16_v6m.c's loop:
//     a = fix2(zk); b = (fix2(zn.re), fix2((int16)-zn.im)); f1 = a + b; f2 = a - b
//     (|fix2| <= 16383: no wrap); t = cmul(f2, w) truncated to int16;
//     zk = ((f1.re + t.re) >> 1, (f1.im + t.im) >> 1);
//     zn = ((f1.re - t.re) >> 1, (t.im - f1.im) >> 1).
// Registers: r8 = zk, r9 = zn, r10 = twiddle pointer, r11 = end (zk of the last pair + 4).

// d = fix2(s) = ((s + 1) * 16384 - s) >> 15 (d != s)
.macro FIX2 d, s
    adds    \d, \s, #1
    lsls    \d, \d, #14
    subs    \d, \d, \s
    asrs    \d, \d, #15
.endm

    .global es_rfft16_split_v6m
    .type   es_rfft16_split_v6m, %function
    .thumb_func
es_rfft16_split_v6m:
    push    {r4, r5, r6, r7, lr}
    mov     r4, r8
    mov     r5, r9
    mov     r6, r10
    mov     r7, r11
    push    {r4, r5, r6, r7}
    lsrs    r3, r1, #1              // n / 2 pairs
    beq     .Lsplit_done
    adds    r4, r0, #4
    mov     r8, r4                  // zk = buf + 2
    lsls    r3, r3, #2
    adds    r3, r4, r3
    mov     r11, r3                 // end
    lsls    r1, r1, #2
    adds    r1, r0, r1
    subs    r1, r1, #4
    mov     r9, r1                  // zn = buf + 2 (n - 1)
    mov     r10, r2
.Lsplit:
    mov     r0, r8
    ldr     r4, [r0]                // zk
    mov     r1, r9
    ldr     r6, [r1]                // zn
    SPLIT   r5, r4                  // zk = (r5, r4)
    SPLIT   r7, r6                  // zn = (r7, r6)
    negs    r6, r6
    sxth    r6, r6                  // (int16)-zn.im
    FIX2    r0, r5                  // ar
    FIX2    r5, r4                  // ai
    FIX2    r4, r7                  // br
    FIX2    r7, r6                  // bi
    // f1 = a + b -> (r0, r5); f2 = a - b -> (r4, r7)
    adds    r0, r0, r4
    lsls    r4, r4, #1
    subs    r4, r0, r4
    adds    r5, r5, r7
    lsls    r7, r7, #1
    subs    r7, r5, r7
    // park f1: r12 = f1.re, lr = f1.im
    mov     r12, r0
    mov     lr, r5
    mov     r1, r10
    ldr     r2, [r1]                // w
    SPLIT   r3, r2                  // w = (r3, r2)
    CMUL    r4, r7, r3, r2, r6      // t = (r6, r7)
    sxth    r6, r6
    sxth    r7, r7
    mov     r0, r12
    mov     r5, lr
    // zk.re = (f1.re + t.re) >> 1 -> r0; zn.re = (f1.re - t.re) >> 1 -> r6
    adds    r0, r0, r6
    lsls    r6, r6, #1
    subs    r6, r0, r6
    asrs    r0, r0, #1
    asrs    r6, r6, #1
    // zk.im = (t.im + f1.im) >> 1 -> r7; zn.im = (t.im - f1.im) >> 1 -> r5
    adds    r7, r7, r5
    lsls    r5, r5, #1
    subs    r5, r7, r5
    asrs    r7, r7, #1
    asrs    r5, r5, #1
    mov     r1, r8
    strh    r0, [r1]
    strh    r7, [r1, #2]
    mov     r2, r9
    strh    r6, [r2]
    strh    r5, [r2, #2]
    adds    r1, r1, #4
    mov     r8, r1
    subs    r2, r2, #4
    mov     r9, r2
    movs    r3, #4
    add     r10, r3
    cmp     r1, r11
    bhs     .Lsplit_done
    b       .Lsplit
.Lsplit_done:
    pop     {r4, r5, r6, r7}
    mov     r8, r4
    mov     r9, r5
    mov     r10, r6
    mov     r11, r7
    pop     {r4, r5, r6, r7, pc}
    .size   es_rfft16_split_v6m, . - es_rfft16_split_v6m

// void es_rfft16_first_v6m(int16_t *buf, int16_t *end, uint32_t sh)
//   The first stage when it is radix 4 with m = 1 (blocks of 4 consecutive values) and
//   twiddle 0 is (MAX, 0) (products that are the identity there), on inputs still to be
//   shifted left by sh - 16 (each half truncated to int16: re = (v << sh) >> 16,
//   im = ((v >> 16) << sh) >> 16), as rfft16_v6m.c's first_unit_shifted:
//   a = fix4(shifted input); s3 = a1 + a3; s4 = a1 - a3; g0 = a0 + a2; s5 = a0 - a2;
//   f0 = g0 + s3; f2 = g0 - s3; f1 = (s5.re + s4.im, s5.im - s4.re);
//   f3 = (s5.re - s4.im, s5.im + s4.re).
// Registers: r0 block, r1 sh, r8 r9 park s3, r10 end, r11 sh.

// Shifted halves of the word w: re into d, im into w (d != w).
.macro SHIFTED d, w
    mov     \d, \w
    lsls    \d, r1
    asrs    \d, \d, #16
    lsrs    \w, \w, #16
    lsls    \w, r1
    asrs    \w, \w, #16
.endm

    .global es_rfft16_first_v6m
    .type   es_rfft16_first_v6m, %function
    .thumb_func
es_rfft16_first_v6m:
    push    {r4, r5, r6, r7, lr}
    mov     r4, r8
    mov     r5, r9
    mov     r6, r10
    mov     r7, r11
    push    {r4, r5, r6, r7}
    mov     r10, r1
    mov     r11, r2
    mov     r1, r2
    cmp     r0, r10
    bhs     .Lfirst_done
.Lfirst:
    // s0 = fix4(f1) -> (r4, r3); s2 = fix4(f3) -> (r6, r5)
    ldr     r2, [r0, #4]
    SHIFTED r3, r2
    FIX4    r4, r3
    FIX4    r3, r2
    ldr     r2, [r0, #12]
    SHIFTED r5, r2
    FIX4    r6, r5
    FIX4    r5, r2
    // s3 = s0 + s2 -> (r4, r3), parked; s4 = s0 - s2 -> (r6, r5)
    adds    r4, r4, r6
    lsls    r6, r6, #1
    subs    r6, r4, r6
    adds    r3, r3, r5
    lsls    r5, r5, #1
    subs    r5, r3, r5
    mov     r8, r4
    mov     r9, r3
    // a2 = fix4(f2) -> (r4, r3); a0 = fix4(f0) -> (r1, r7)
    ldr     r2, [r0, #8]
    SHIFTED r3, r2
    FIX4    r4, r3
    FIX4    r3, r2
    ldr     r2, [r0]
    SHIFTED r7, r2
    FIX4    r1, r7
    FIX4    r7, r2
    // g0 = a0 + a2 -> (r1, r7); s5 = a0 - a2 -> (r4, r3)
    adds    r1, r1, r4
    lsls    r4, r4, #1
    subs    r4, r1, r4
    adds    r7, r7, r3
    lsls    r3, r3, #1
    subs    r3, r7, r3
    // f1 -> (r4, r3); f3 -> (r5, r6)
    adds    r4, r4, r5
    lsls    r5, r5, #1
    subs    r5, r4, r5
    subs    r3, r3, r6
    lsls    r6, r6, #1
    adds    r6, r3, r6
    strh    r4, [r0, #4]
    strh    r3, [r0, #6]
    strh    r5, [r0, #12]
    strh    r6, [r0, #14]
    // f0 = g0 + s3 -> (r1, r7); f2 = g0 - s3 -> (r2, r5)
    mov     r2, r8
    mov     r5, r9
    adds    r1, r1, r2
    lsls    r2, r2, #1
    subs    r2, r1, r2
    adds    r7, r7, r5
    lsls    r5, r5, #1
    subs    r5, r7, r5
    strh    r1, [r0]
    strh    r7, [r0, #2]
    strh    r2, [r0, #8]
    strh    r5, [r0, #10]
    adds    r0, r0, #16
    mov     r1, r11
    cmp     r0, r10
    bhs     .Lfirst_done
    b       .Lfirst
.Lfirst_done:
    pop     {r4, r5, r6, r7}
    mov     r8, r4
    mov     r9, r5
    mov     r10, r6
    mov     r11, r7
    pop     {r4, r5, r6, r7, pc}
    .size   es_rfft16_first_v6m, . - es_rfft16_first_v6m

#endif
