// Native fuzz harness of earshot's model loader and engine (`make fuzz-native`): the C
// files of firmware/cmodules/earshot (model_check.c, model_run.c, kernels/) built for the
// host with AddressSanitizer and UndefinedBehaviorSanitizer. Unlike the Unix firmware,
// whose heap is one big block, every model and arena here is a malloc of its exact size,
// so a read or write one byte outside them is reported.
//
// usage: model_fuzz CASES_FILE
// CASES_FILE: records of u32 case id, u32 model length, u32 input length, model, input
// (little-endian; host_tools/earshot_host/fuzz/runner.py writes them). One line per case,
// as the firmware prints them: "<id> ERR <code> <kind> <index>: <reason>" or
// "<id> OK <crc32 of the outputs>".

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_check.h"
#include "model_run.h"

// Arenas above this are refused like a MicroPython heap would ("model needs ...").
#define EARSHOT_FUZZ_ARENA_LIMIT (64u << 20)

static int read_u32(FILE *f, uint32_t *value) {
    uint8_t b[4];
    if (fread(b, 1, 4, f) != 4) {
        return 0;
    }
    *value = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 1;
}

static void *read_exact(FILE *f, uint32_t len) {
    // malloc(0) may return NULL; one byte keeps the pointer valid without making room.
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL || fread(buf, 1, len, f) != len) {
        fprintf(stderr, "model_fuzz: short cases file\n");
        exit(2);
    }
    return buf;
}

static void print_error(uint32_t id, const es_error_t *err) {
    if (err->kind) {
        printf("%u ERR %s %s %u: %s\n", id, err->code, err->kind, err->index, err->text);
    } else {
        printf("%u ERR %s %s\n", id, err->code, err->text);
    }
}

static void run_case(uint32_t id, const uint8_t *model, uint32_t len, const uint8_t *x,
    uint32_t x_len) {
    es_header_t h;
    es_error_t err;
    if (!es_check_header(model, len, true, &h, &err)) {
        print_error(id, &err);
        return;
    }
    uint32_t *scratch = malloc(es_check_scratch_words(&h) * sizeof(uint32_t));
    bool ok = es_check_body(model, &h, scratch, &err);
    free(scratch);
    if (!ok) {
        print_error(id, &err);
        return;
    }
    if (h.arena_size > EARSHOT_FUZZ_ARENA_LIMIT) {
        printf("%u ERR model needs %u bytes of arena\n", id, h.arena_size);
        return;
    }
    uint8_t *arena = malloc(h.arena_size ? h.arena_size : 1);
    memset(arena, 0, h.arena_size);
    uint32_t pos = 0;
    for (uint32_t k = 0; k < h.input_count; ++k) {
        es_tensor_t t;
        es_read_tensor(model, &h, es_rd_u16(model + h.io_offset + 2 * k), &t);
        if (pos + t.byte_size <= x_len) {
            memcpy(arena + t.offset, x + pos, t.byte_size);
        }
        pos += t.byte_size;
    }
    es_model_reset(model, model, arena);
    es_model_run(model, model, arena, NULL);
    uint32_t crc = 0;
    for (uint32_t k = 0; k < h.output_count; ++k) {
        es_tensor_t t;
        es_read_tensor(model, &h, es_rd_u16(model + h.io_offset + 2 * (h.input_count + k)), &t);
        crc = es_crc32(crc, arena + t.offset, t.byte_size);
    }
    free(arena);
    printf("%u OK %u\n", id, crc);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: model_fuzz CASES_FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    uint32_t id, len, x_len;
    while (read_u32(f, &id) && read_u32(f, &len) && read_u32(f, &x_len)) {
        uint8_t *model = read_exact(f, len);
        uint8_t *x = read_exact(f, x_len);
        run_case(id, model, len, x, x_len);
        free(model);
        free(x);
    }
    fclose(f);
    return 0;
}
