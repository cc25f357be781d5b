/* A growable byte buffer with a mandatory cap (after curl's dynbuf). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct buf {
        char *data;
        size_t len, alloc, cap;
        bool truncated; /* a write was cut at the cap */
} buf;

void buf_init(buf *b, size_t cap);
/* Appends what fits under the cap; returns bytes kept, or -ENOMEM. Sets
 * b->truncated when something was dropped. */
long buf_append(buf *b, const void *data, size_t len);
void buf_free(buf *b);
