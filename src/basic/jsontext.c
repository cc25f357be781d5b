/* JSON documents to text, with every failure seen (see jsontext.h). */
#include "basic/jsontext.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "basic/buf.h"

typedef struct sink {
        buf b;
        bool failed;
} sink;

static int append(const char *data, size_t len, void *arg) {
        sink *s = arg;
        long kept = buf_append(&s->b, data, len);
        if (kept < 0 || (size_t)kept != len || s->b.truncated) {
                s->failed = true;
                return -1;
        }
        return 0;
}

int json_text(const json_t *doc, size_t flags, size_t max, int newline, char **ret, size_t *ret_len) {
        sink s = {.failed = false};
        buf_init(&s.b, max);
        int r = json_dump_callback(doc, append, &s, flags);
        if (r == 0 && !s.failed && newline)
                (void)append("\n", 1, &s);
        if (r == 0 && !s.failed)
                (void)append("", 1, &s); /* the NUL, also under the cap */
        if (r != 0 || s.failed) {
                int e = s.b.truncated ? -E2BIG : -ENOMEM;
                buf_free(&s.b);
                return e;
        }
        *ret = s.b.data;
        *ret_len = s.b.len - 1;
        return 0;
}
