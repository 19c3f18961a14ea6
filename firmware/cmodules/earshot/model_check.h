// Loader checks of an earshot model (models/FORMAT.md §5), in the checklist's order.
// Plain C, no MicroPython API, no allocation: safe for any input bytes.
#ifndef EARSHOT_MODEL_CHECK_H
#define EARSHOT_MODEL_CHECK_H

#include "model_format.h"

// The first failed check: code ("T4"), the kind and index of the record it concerns
// (kind NULL when none) and a static description.
typedef struct _es_error_t {
    const char *code;
    const char *kind;
    uint32_t index;
    const char *text;
} es_error_t;

// CRC-32 (zlib / IEEE 802.3) of len bytes, continuing from crc (0 to start).
uint32_t es_crc32(uint32_t crc, const uint8_t *data, size_t len);

// Checks H1..H7, S1 and S2 and fills hdr. H6 (the CRC) only when check_crc is true.
bool es_check_header(const uint8_t *model, size_t len, bool check_crc, es_header_t *hdr,
    es_error_t *err);

// Words of scratch memory es_check_body needs for a model with this header.
static inline size_t es_check_scratch_words(const es_header_t *hdr) {
    return 4 * (size_t)hdr->tensor_count;
}

// Checks T*, IO1, O*, P1 of a model whose header passed es_check_header.
// scratch holds es_check_scratch_words(hdr) words; its contents are not used afterwards.
bool es_check_body(const uint8_t *model, const es_header_t *hdr, uint32_t *scratch,
    es_error_t *err);

#endif // EARSHOT_MODEL_CHECK_H
