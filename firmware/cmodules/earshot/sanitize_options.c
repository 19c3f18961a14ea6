// Runtime defaults of the sanitized Unix build (`make unix SANITIZE=1`): no leak report
// at exit (MicroPython's heap lives until then) and the first undefined behaviour ends the
// process with a report, so that tests notice it. ASAN_OPTIONS / UBSAN_OPTIONS in the
// environment still override these.

#if defined(EARSHOT_SANITIZE) && EARSHOT_SANITIZE

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void) {
    return "detect_leaks=0";
}

const char *__ubsan_default_options(void) {
    return "halt_on_error=1:print_stacktrace=1";
}

#else

// An empty translation unit is not ISO C.
typedef int earshot_sanitize_options_unused_t;

#endif
