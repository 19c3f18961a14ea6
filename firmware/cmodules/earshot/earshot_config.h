// Build-time choices of the `_earshot` module.
#ifndef EARSHOT_CONFIG_H
#define EARSHOT_CONFIG_H

// EARSHOT_KERNELS_REFERENCE=1 selects the portable reference kernels (the oracle);
// otherwise the optimized kernels for the target core are used.
#ifndef EARSHOT_KERNELS_REFERENCE
#define EARSHOT_KERNELS_REFERENCE (0)
#endif

// The firmware is built for size (-Os); hot loops (the optimized kernels, the front ends'
// stages) need GCC's speed optimizations (register allocation of blocked accumulators,
// inlining, unrolling): a file puts EARSHOT_OPT_SPEED before its functions.
#if defined(__GNUC__) && !defined(__clang__)
#define EARSHOT_OPT_SPEED _Pragma("GCC optimize(\"O2\")")
#else
#define EARSHOT_OPT_SPEED
#endif

#endif // EARSHOT_CONFIG_H
