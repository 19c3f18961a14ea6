// The TFLM filterbank's sums for ARMv7E-M (Cortex-M4/M7) in assembly, called by
// filterbank.c (which holds the same sums in C): for every slot of the plan
// (es_fb_slot_t: bin, weight, count), over its entries j, the energy of FFT bin
// `bin + j`, e = SMUAD(v, v) = re * re + im * im (wrapping to 32 bits like TensorFlow's
// uint32 sum, used as int32), and the signed 64-bit sums
//   sw += e * w, su += e * u   (SMLAL; w, u = weight and unweight `weight + j`, int16)
// (the same values modulo 2**64 as TensorFlow's uint64 sums of the sign-extended
// energies); acc = carried + sw is stored, and carried = su goes on to the next slot.
//
// void es_fb_sums_dsp(es_fb_sums_t *a)  (the argument block of filterbank.c:
//   plan, slots, bins, w, du, acc, carried; plan, slots, acc and carried are updated)
// Registers in the entry loop: r0 bins, r1 w, r2 du, r3 count, r4-r7 data, r8/r9 sw,
// r10/r11 su; r12 the argument block, lr the plan.

#if defined(__ARM_ARCH_7EM__) && !EARSHOT_KERNELS_REFERENCE

    .syntax unified
    .thumb
    .text

    .align 2
    .global es_fb_sums_dsp
    .type   es_fb_sums_dsp, %function
    .thumb_func
es_fb_sums_dsp:
    push    {r4-r11, lr}
    mov     r12, r0
    ldr     lr, [r0, #0]            // plan
    ldr     r2, [r0, #16]           // du
    ldrd    r10, r11, [r0, #24]     // carried
.Lslot:
    ldrh    r4, [lr], #2            // bin
    ldrh    r5, [lr], #2            // weight
    ldrh    r3, [lr], #2            // count
    ldr     r0, [r12, #8]
    add     r0, r0, r4, lsl #2      // first bin
    ldr     r1, [r12, #12]
    add     r1, r1, r5, lsl #1      // first weight
    mov     r8, r10                 // sw = carried
    mov     r9, r11
    movs    r10, #0                 // su = 0
    movs    r11, #0
    lsrs    r3, r3, #1              // pairs; C = the odd one
    bcc     2f
    ldr     r4, [r0], #4
    ldrsh   r6, [r1, r2]
    ldrsh   r5, [r1], #2
    smuad   r4, r4, r4
    smlal   r8, r9, r4, r5
    smlal   r10, r11, r4, r6
2:  cbz     r3, 3f
1:  ldrd    r4, r5, [r0], #8
    ldrsh   r6, [r1, r2]
    ldrsh   r7, [r1], #2
    smuad   r4, r4, r4
    smlal   r8, r9, r4, r7
    smlal   r10, r11, r4, r6
    ldrsh   r6, [r1, r2]
    ldrsh   r7, [r1], #2
    smuad   r5, r5, r5
    smlal   r8, r9, r5, r7
    smlal   r10, r11, r5, r6
    subs    r3, r3, #1
    bne     1b
3:  ldr     r4, [r12, #20]          // acc
    strd    r8, r9, [r4], #8
    str     r4, [r12, #20]
    ldr     r4, [r12, #4]
    subs    r4, r4, #1
    str     r4, [r12, #4]
    bne     .Lslot
    str     lr, [r12, #0]
    strd    r10, r11, [r12, #24]
    pop     {r4-r11, pc}
    .size   es_fb_sums_dsp, . - es_fb_sums_dsp

#endif
