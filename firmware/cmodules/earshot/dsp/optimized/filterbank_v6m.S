// The TFLM filterbank's narrow sums for ARMv6-M (Cortex-M0/M0+) in Thumb-1 assembly,
// called by filterbank.c (which holds the arithmetic in C and why it is exact): for every
// slot of the plan (es_fb_slot_t: bin, weight, count), over its entries j, the energy of
// FFT bin `bin + j`, e = re * re + im * im (uint32), split into el = e & 0xFFFF and
// eh = (int32) e >> 16, and
//   lw += el * w, hw += eh * w, lu += el * u, hu += eh * u   (32-bit, wrapping)
// for w, u = weight and unweight `weight + j`; then the slot's weighted sum plus the
// unweighted sum carried from the slot before,
//   acc = carried + hw * 2**16 + lw   (uint64, wrapping; carried = hu * 2**16 + lu)
// with hw, hu sign-extended, is stored.
//
// void es_fb_sums_v6m(es_fb_sums_t *a)
//   typedef struct { const es_fb_slot_t *plan; uint32_t slots; const uint32_t *bins;
//                    const uint16_t *w; int32_t du; uint64_t *acc; uint64_t carried;
//                  } es_fb_sums_t;
//   bins: (re, im) words; w: weights (uint16, 2-byte aligned); the unweights du bytes
//   after them; acc: one per slot. plan, slots, acc and carried are updated (the next
//   call goes on from there).
// Registers in the entry loop: r0 bins, r1 w, r2 du, r3 end of the slot's bins, r4-r7
// scratch, r8-r11 the sums; r12 the plan, lr the argument block.

#if defined(__ARM_ARCH_6M__) && !EARSHOT_KERNELS_REFERENCE

    .syntax unified
    .thumb
    .text

    .global es_fb_sums_v6m
    .type   es_fb_sums_v6m, %function
    .thumb_func
es_fb_sums_v6m:
    push    {r4, r5, r6, r7, lr}
    mov     r4, r8
    mov     r5, r9
    mov     r6, r10
    mov     r7, r11
    push    {r4, r5, r6, r7}
    mov     lr, r0
    ldr     r4, [r0, #0]            // plan
    mov     r12, r4
    ldr     r5, [r0, #4]            // slots
    cmp     r5, #0
    beq     .Ldone
.Lslot:
    // slot: bins + 4 bin, w + 2 weight, count
    mov     r4, r12
    ldrh    r5, [r4, #0]            // bin
    ldrh    r6, [r4, #2]            // weight
    ldrh    r3, [r4, #4]            // count
    adds    r4, r4, #6
    mov     r12, r4
    mov     r4, lr
    ldr     r0, [r4, #8]
    lsls    r5, r5, #2
    adds    r0, r0, r5              // first bin
    ldr     r1, [r4, #12]
    lsls    r6, r6, #1
    adds    r1, r1, r6              // first weight
    ldr     r2, [r4, #16]           // du
    lsls    r3, r3, #2
    adds    r3, r0, r3              // end
    movs    r4, #0
    mov     r8, r4
    mov     r9, r4
    mov     r10, r4
    mov     r11, r4
    cmp     r0, r3
    beq     .Lstore
.Lentry:
    ldr     r4, [r0]                // (re, im)
    sxth    r5, r4
    asrs    r4, r4, #16
    muls    r5, r5
    muls    r4, r4
    adds    r4, r4, r5              // e
    uxth    r5, r4                  // el
    asrs    r4, r4, #16             // eh
    ldrh    r6, [r1]                // w
    mov     r7, r5
    muls    r7, r6
    add     r8, r7
    muls    r6, r4
    add     r9, r6
    ldrh    r6, [r1, r2]            // u
    muls    r5, r6
    add     r10, r5
    muls    r6, r4
    add     r11, r6
    adds    r0, r0, #4
    adds    r1, r1, #2
    cmp     r0, r3
    bne     .Lentry
.Lstore:
    // acc = carried + (hw << 16) + lw; carried = (hu << 16) + lu (64-bit, hw and hu
    // sign-extended)
    mov     r4, lr
    movs    r7, #0
    mov     r0, r9
    lsls    r1, r0, #16
    asrs    r0, r0, #16
    mov     r2, r8
    adds    r1, r1, r2
    adcs    r0, r7                  // (hw << 16) + lw = (r1, r0)
    ldr     r2, [r4, #24]
    ldr     r3, [r4, #28]
    adds    r1, r1, r2
    adcs    r0, r3                  // + carried
    ldr     r5, [r4, #20]           // acc
    stm     r5!, {r1}
    stm     r5!, {r0}
    str     r5, [r4, #20]
    mov     r0, r11
    lsls    r1, r0, #16
    asrs    r0, r0, #16
    mov     r2, r10
    adds    r1, r1, r2
    adcs    r0, r7
    str     r1, [r4, #24]
    str     r0, [r4, #28]           // carried
    ldr     r5, [r4, #4]
    subs    r5, r5, #1
    str     r5, [r4, #4]
    beq     .Ldone
    b       .Lslot
.Ldone:
    mov     r4, lr
    mov     r5, r12
    str     r5, [r4, #0]            // plan
    pop     {r4, r5, r6, r7}
    mov     r8, r4
    mov     r9, r5
    mov     r10, r6
    mov     r11, r7
    pop     {r4, r5, r6, r7, pc}
    .size   es_fb_sums_v6m, . - es_fb_sums_v6m

// uint32_t es_isqrt32_v6m(uint32_t v)
//   floor(sqrt(v)) digit by digit (two bits of v per step, the remainder kept). The 16
//   steps are unrolled; the leading ones whose bit exceeds v (they change nothing) are
//   skipped by entering the sequence past them.

// One digit: t = root + bit; root >>= 1; if v >= t: v -= t, root += bit; bit >>= 2.
.macro DIGIT
    adds    r3, r1, r2
    lsrs    r1, r1, #1
    cmp     r0, r3
    blo     1f
    subs    r0, r0, r3
    adds    r1, r1, r2
1:  lsrs    r2, r2, #2
.endm

    .global es_isqrt32_v6m
    .type   es_isqrt32_v6m, %function
    .thumb_func
es_isqrt32_v6m:
    movs    r1, #0                  // root
    movs    r3, #0                  // bytes of skipped steps
    movs    r2, #1
    lsls    r2, r2, #30             // bit
.Lskip:
    cmp     r2, r0
    bls     .Lgo
    lsrs    r2, r2, #2
    beq     .Lzero                  // v == 0
    adds    r3, r3, #14             // (one DIGIT: 7 instructions)
    b       .Lskip
.Lzero:
    movs    r0, #0
    bx      lr
.Lgo:
    add     pc, r3                  // to .Ldigits + r3 (pc reads 4 ahead)
    nop
.Ldigits:
    .rept   16
    DIGIT
    .endr
    movs    r0, r1
    bx      lr
    .size   es_isqrt32_v6m, . - es_isqrt32_v6m
    .ltorg

#endif
