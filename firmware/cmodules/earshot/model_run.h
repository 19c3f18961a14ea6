// Runs a validated earshot model: decodes each operator record and calls its kernel.
// Plain C, no MicroPython API, no allocation.
#ifndef EARSHOT_MODEL_RUN_H
#define EARSHOT_MODEL_RUN_H

#include "model_format.h"

// A model is run from two places:
//   tables  its structure: header, io list, tensor and operator tables (the file's bytes
//           [0, blob_offset), FORMAT.md §1), exactly as es_check_header/es_check_body
//           passed them. The caller owns this copy, so nothing else can change the offsets,
//           shapes and parameters the checks proved in bounds.
//   data    the model file itself (flash, bytes, bytearray: never copied), for constant
//           data at the offsets the tables give (weights, biases, requantization arrays).
// arena: at least arena_size bytes. Inputs must already be in the arena.
// When ticks is not NULL, ticks[i] receives the earshot_cycles() that operator i took
// (ticks holds the model's op_count entries). For benchmarks only.
void es_model_run(const uint8_t *tables, const uint8_t *data, uint8_t *arena, uint32_t *ticks);

// Puts the model's streaming state (resource variables) in the arena back to its initial
// values; models without state have nothing to reset. Called once before the first run.
void es_model_reset(const uint8_t *tables, const uint8_t *data, uint8_t *arena);

// A free-running cycle counter for the per-operator profile. The default (weak) one
// returns 0; a board that has a counter provides its own (firmware/cmodules/qemu_board).
uint32_t earshot_cycles(void);

#endif // EARSHOT_MODEL_RUN_H
