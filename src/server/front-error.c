/* The errors the HTTP front makes itself, and the JSON they are answered
 * with.
 *
 * An error is a ward_error with its reason ("not_found", "too_large", ...)
 * and the input field at fault; apierror_status() gives its HTTP status
 * when it is answered, from the one table the parent uses too. Messages
 * may quote a client's bytes (a method, jansson's "near '...'"): only
 * printable ASCII is kept, so that an error body is always one clean line
 * of JSON. */
#include "server/front-internal.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/jsontext.h"
#include "server/apierror.h"

int front_error(ward_error *err, int code, const char *reason, const char *field, const char *fmt, ...) {
        char msg[WARD_API_MESSAGE_MAX];
        va_list ap;
        va_start(ap, fmt);
        // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): ap is started just above; a false positive of LLVM 14 (llvm-project#40656)
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        for (char *c = msg; *c; c++)
                if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
                        *c = '?';
        return err_set_at(err, code, reason, field, "%s", msg);
}

char *front_error_text(const ward_error *err, unsigned *ret_status, size_t *ret_len) {
        const char *code;
        *ret_status = apierror_status(err, &code);
        json_t *doc = json_pack("{s:{s:s, s:s, s:s?}}", "error", "code", code, "message", err->msg, "field",
                                err->field[0] ? err->field : NULL);
        char *text = NULL;
        if (!doc || json_text(doc, JSON_COMPACT, 4096, 0, &text, ret_len) < 0) {
                static const char fallback[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of "
                                               "memory\",\"field\":null}}";
                text = strdup(fallback);
                *ret_len = text ? sizeof fallback - 1 : 0;
        }
        json_decref(doc);
        return text;
}
