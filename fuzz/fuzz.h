/* The interface every fuzz target implements.
 *
 * libFuzzer calls LLVMFuzzerTestOneInput with each input it makes; the
 * replay driver (fuzz-main.c) calls it with each file of a corpus. A target
 * returns 0, frees everything it allocated and prints nothing: a finding is
 * a crash, a sanitizer report, a leak or an abort() from a failed check. */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reports a broken invariant and aborts, so that libFuzzer keeps the input
 * and the replay test fails on it. The only output a target ever makes. */
__attribute__((format(printf, 1, 2))) static inline _Noreturn void fuzz_fail(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fputs("fuzz check failed: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        abort();
}
