// The TFLM window pass for ARMv6-M (Cortex-M0/M0+) in Thumb-1 assembly, called by
// window.c (which holds the same loop in C and why it equals the reference): for each
// pair i of frame samples, w0 = (x0 * win0) >> 12, w1 = (x1 * win1) >> 12; bits |= |w0|
// | |w1|; the pair packed (w0 in the low half, both truncated to int16) is stored to
// word perm[i] & mask of out (mask = n - 1: a changed perm stays within out).
//
// uint32_t es_window_pairs_v6m(const es_window_args_t *a)  returns bits
//   typedef struct { const uint32_t *x, *win; const uint16_t *perm; uint32_t *out;
//                    uint32_t pairs, mask; } es_window_args_t;   (x, win 4-byte aligned)
// Registers: r0 x, r1 win, r2 perm, r3 bits, r4-r7 data; r8 out, r9 end of x, r10 mask.

#if defined(__ARM_ARCH_6M__) && !EARSHOT_KERNELS_REFERENCE

    .syntax unified
    .thumb
    .text

    .global es_window_pairs_v6m
    .type   es_window_pairs_v6m, %function
    .thumb_func
es_window_pairs_v6m:
    push    {r4, r5, r6, r7, lr}
    mov     r4, r8
    mov     r5, r9
    mov     r6, r10
    push    {r4, r5, r6}
    ldr     r4, [r0, #20]
    mov     r10, r4                 // mask
    ldr     r4, [r0, #12]
    mov     r8, r4                  // out
    ldr     r4, [r0, #16]           // pairs
    ldr     r1, [r0, #4]
    ldr     r2, [r0, #8]
    ldr     r0, [r0, #0]
    movs    r3, #0
    lsls    r4, r4, #2
    beq     2f
    adds    r4, r0, r4
    mov     r9, r4                  // end of x
1:  ldm     r0!, {r4}               // (x0, x1)
    ldm     r1!, {r5}               // (win0, win1)
    sxth    r6, r4
    sxth    r7, r5
    muls    r6, r7
    asrs    r6, r6, #12             // w0
    asrs    r4, r4, #16
    asrs    r5, r5, #16
    muls    r4, r5
    asrs    r4, r4, #12             // w1
    asrs    r7, r6, #31
    adds    r5, r6, r7
    eors    r5, r7
    orrs    r3, r5                  // |w0|
    asrs    r7, r4, #31
    adds    r5, r4, r7
    eors    r5, r7
    orrs    r3, r5                  // |w1|
    uxth    r6, r6
    lsls    r4, r4, #16
    orrs    r4, r6                  // (w0, w1)
    ldrh    r7, [r2]
    adds    r2, r2, #2
    mov     r5, r10
    ands    r7, r5                  // perm[i] & mask
    lsls    r7, r7, #2
    add     r7, r8
    str     r4, [r7]
    cmp     r0, r9
    bne     1b
2:  movs    r0, r3
    pop     {r4, r5, r6}
    mov     r8, r4
    mov     r9, r5
    mov     r10, r6
    pop     {r4, r5, r6, r7, pc}
    .size   es_window_pairs_v6m, . - es_window_pairs_v6m

#endif
