/* Error objects: a negative errno plus a bounded, one-line message. */
#include "basic/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void one_line(char *s) {
        for (; *s; s++)
                if (*s == '\n' || *s == '\r')
                        *s = ' ';
}

__attribute__((format(printf, 5, 0))) static int set_va(ward_error *err, int code, const char *reason,
                                                        const char *field, const char *fmt, va_list ap) {
        if (code > 0)
                code = -code;
        if (code == 0)
                code = -EINVAL;
        if (!err)
                return code;
        // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): the callers start ap; a false positive of LLVM 14 (llvm-project#40656)
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        one_line(err->msg);
        err->code = code;
        err->reason = reason;
        snprintf(err->field, sizeof err->field, "%s", field ? field : "");
        return code;
}

int err_set(ward_error *err, int code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): ap is started just above; a false positive of LLVM 14 (llvm-project#40656)
        int r = set_va(err, code, NULL, NULL, fmt, ap);
        va_end(ap);
        return r;
}

int err_set_at(ward_error *err, int code, const char *reason, const char *field, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): ap is started just above; a false positive of LLVM 14 (llvm-project#40656)
        int r = set_va(err, code, reason, field, fmt, ap);
        va_end(ap);
        return r;
}

int err_prefix(ward_error *err, const char *fmt, ...) {
        if (!err)
                return -EINVAL;
        char prefix[WARD_ERROR_MAX], old[WARD_ERROR_MAX];
        va_list ap;
        va_start(ap, fmt);
        // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): ap is started just above; a false positive of LLVM 14 (llvm-project#40656)
        vsnprintf(prefix, sizeof prefix, fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof old);
        snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
        one_line(err->msg);
        return err->code ? err->code : -EINVAL;
}

void err_clear(ward_error *err) {
        if (!err)
                return;
        err->code = 0;
        err->reason = NULL;
        err->field[0] = '\0';
        err->msg[0] = '\0';
}
