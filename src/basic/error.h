/* One error convention for all of libward.
 *
 * Internal functions return 0 or a negative errno. Functions that can fail
 * in a way a user must understand also fill a ward_error with a one-line
 * message; each caller may add context in front ("mount /usr: ..."). The
 * library never prints: the faces (cli, server) decide what to show. */
#pragma once

#include <stdarg.h>

#include "basic/limits.h"

typedef struct ward_error {
        int code; /* negative errno, 0 when unset */
        /* For errors a client of an API sees (ward serve, ward mcp): a
         * stable name ("invalid_field", "over_tier", "not_found": a static
         * string; NULL when the errno says enough) and where in the input
         * the fault is ("limits.memory", "files[2].path"; "" for none).
         * Each face maps the name onto its own protocol at its edge
         * (server/apierror.c for HTTP statuses). */
        const char *reason;
        char field[WARD_ERROR_FIELD_MAX];
        char msg[WARD_ERROR_MAX]; /* one line, no trailing newline */
} ward_error;

/* Records the error and returns `code` (negative errno) so callers can write
 * `return err_set(err, -EINVAL, "...")`. `err` may be NULL. */
int err_set(ward_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The same, with the reason and the field (either may be NULL). */
int err_set_at(ward_error *err, int code, const char *reason, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* Prefixes the message already in err with "context: ". Returns err->code. */
int err_prefix(ward_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void err_clear(ward_error *err);
