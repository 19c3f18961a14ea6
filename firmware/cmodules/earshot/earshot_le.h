// Little-endian loads from byte pointers of any alignment.
//
// Model buffers (frozen `bytes`, bytearrays, file buffers) may sit at any address and the
// Cortex-M0 faults on unaligned 16/32-bit loads, so every multi-byte field of a model is
// read through these helpers. Where the core handles unaligned loads (Cortex-M3 and up,
// x86) a memcpy into a local compiles to one load; elsewhere the value is assembled from
// single bytes.
#ifndef EARSHOT_LE_H
#define EARSHOT_LE_H

#include <stdint.h>
#include <string.h>

#if (defined(__ARM_FEATURE_UNALIGNED) || defined(__x86_64__) || defined(__i386__)) \
    && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define EARSHOT_LE_UNALIGNED_OK (1)
#else
#define EARSHOT_LE_UNALIGNED_OK (0)
#endif

static inline uint16_t es_rd_u16(const uint8_t *p) {
    #if EARSHOT_LE_UNALIGNED_OK
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
    #else
    return (uint16_t)(p[0] | ((uint16_t)p[1] << 8));
    #endif
}

static inline uint32_t es_rd_u32(const uint8_t *p) {
    #if EARSHOT_LE_UNALIGNED_OK
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
    #else
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    #endif
}

static inline int32_t es_rd_i32(const uint8_t *p) {
    return (int32_t)es_rd_u32(p);
}

static inline uint64_t es_rd_u64(const uint8_t *p) {
    return (uint64_t)es_rd_u32(p) | ((uint64_t)es_rd_u32(p + 4) << 32);
}

static inline int64_t es_rd_i64(const uint8_t *p) {
    return (int64_t)es_rd_u64(p);
}

#endif // EARSHOT_LE_H
