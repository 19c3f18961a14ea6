// Runs a validated earshot model: decodes each operator record and calls its kernel.
// Plain C, no MicroPython API, no allocation.
#ifndef EARSHOT_MODEL_RUN_H
#define EARSHOT_MODEL_RUN_H

#include "model_format.h"

// model: a model that passed es_check_header and es_check_body (its header is re-read
// here); arena: at least arena_size bytes. Inputs must already be in the arena.
void es_model_run(const uint8_t *model, uint8_t *arena);

// The same, and when ticks is not NULL, ticks[i] receives the earshot_cycles() that
// operator i took (ticks holds the model's op_count entries). For benchmarks only.
void es_model_run_profiled(const uint8_t *model, uint8_t *arena, uint32_t *ticks);

// A free-running cycle counter for the per-operator profile. The default (weak) one
// returns 0; a board that has a counter provides its own (firmware/cmodules/qemu_board).
uint32_t earshot_cycles(void);

#endif // EARSHOT_MODEL_RUN_H
