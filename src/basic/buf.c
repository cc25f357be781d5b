/* Bounded buffers for outputs and request bodies. */
#include "basic/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf *b, size_t cap) {
        memset(b, 0, sizeof *b);
        b->cap = cap;
}

long buf_append(buf *b, const void *data, size_t len) {
        size_t room = b->cap - b->len;
        size_t take = len < room ? len : room;
        if (take < len)
                b->truncated = true;
        if (take == 0)
                return 0;
        if (b->len + take + 1 > b->alloc) {
                size_t want = b->alloc ? b->alloc : 4096;
                while (want < b->len + take + 1)
                        want *= 2;
                if (want > b->cap + 1)
                        want = b->cap + 1;
                char *n = realloc(b->data, want);
                if (!n)
                        return -ENOMEM;
                b->data = n;
                b->alloc = want;
        }
        memcpy(b->data + b->len, data, take);
        b->len += take;
        b->data[b->len] = '\0';
        return (long)take;
}

void buf_free(buf *b) {
        free(b->data);
        memset(b, 0, sizeof *b);
}
