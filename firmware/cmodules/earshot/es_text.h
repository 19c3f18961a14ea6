// Error texts of the plain-C checkers (model_check.c, dsp/frontend.c).
//
// ES_TEXT("...") marks a text. Where the MicroPython build compresses its error messages
// (MICROPY_ROM_TEXT_COMPRESSION, which the port's build defines on the compiler's command
// line), the texts go through the same build-time compression as MP_ERROR_TEXT and the
// bindings turn them back into C strings with es_text_c_str before printing them. Where it
// does not (the Unix port's variants without compression, the native fuzz harness), they
// are plain C strings. Each ES_TEXT takes one string literal (the build's text extraction
// does not join adjacent literals), and the file using it must be scanned by the build
// (SRC_USERMOD_C in micropython.mk, not SRC_USERMOD_LIB_C).
#ifndef EARSHOT_ES_TEXT_H
#define EARSHOT_ES_TEXT_H

#if defined(MICROPY_ROM_TEXT_COMPRESSION) && MICROPY_ROM_TEXT_COMPRESSION
#include "py/mpconfig.h"
#include "py/misc.h"
#define ES_TEXT(s) ((const char *)MP_ERROR_TEXT(s))
#else
#define ES_TEXT(s) (s)
#endif

// For the bindings (MicroPython API): ES_TEXT_BUF bytes hold any text uncompressed.
#ifdef MICROPY_INCLUDED_PY_QSTR_H
#if MICROPY_ROM_TEXT_COMPRESSION && !defined(NO_QSTR)
// MP_MAX_UNCOMPRESSED_TEXT_LEN from the generated header (as py/objexcept.c reads it).
#define MP_MATCH_COMPRESSED(...)
#define MP_COMPRESSED_DATA(...)
#include "genhdr/compressed.data.h"
#undef MP_MATCH_COMPRESSED
#undef MP_COMPRESSED_DATA
#define ES_TEXT_BUF (MP_MAX_UNCOMPRESSED_TEXT_LEN + 1)
#else
#define ES_TEXT_BUF (1)
#endif

// The C string of an ES_TEXT text: the text itself, or its decompression into buf.
static inline const char *es_text_c_str(const char *text, char *buf) {
    #if MICROPY_ROM_TEXT_COMPRESSION && !defined(NO_QSTR)
    if (MP_IS_COMPRESSED_ROM_STRING(text)) {
        mp_decompress_rom_string((byte *)buf, (mp_rom_error_text_t)text);
        return buf;
    }
    #else
    (void)buf;
    #endif
    return text;
}
#endif // MICROPY_INCLUDED_PY_QSTR_H

#endif // EARSHOT_ES_TEXT_H
