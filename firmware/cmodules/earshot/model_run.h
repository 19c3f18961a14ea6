// Runs a validated earshot model: decodes each operator record and calls its kernel.
// Plain C, no MicroPython API, no allocation.
#ifndef EARSHOT_MODEL_RUN_H
#define EARSHOT_MODEL_RUN_H

#include "model_format.h"

// model: a model that passed es_check_header and es_check_body (its header is re-read
// here); arena: at least arena_size bytes. Inputs must already be in the arena.
void es_model_run(const uint8_t *model, uint8_t *arena);

#endif // EARSHOT_MODEL_RUN_H
