/* JSON documents to text, with every failure seen (see jsontext.h). */
#include "basic/jsontext.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static json_t *refuse(json_error_t *jerr, size_t pos, size_t line, size_t col, const char *what, size_t n) {
        if (jerr) {
                memset(jerr, 0, sizeof *jerr);
                jerr->line = (int)(line > INT32_MAX ? INT32_MAX : line);
                jerr->column = (int)(col > INT32_MAX ? INT32_MAX : col);
                jerr->position = (int)(pos > INT32_MAX ? INT32_MAX : pos);
                snprintf(jerr->text, sizeof jerr->text, "%s %zu", what, n);
        }
        return NULL;
}

/* A value starts at each '{', '[' and '"' outside a string, and at the
 * first character of each bare token (number, true, false, null). The
 * count is an upper bound for invalid text, which jansson refuses anyway. */
json_t *json_load_bounded(const char *text, size_t len, size_t flags, json_bounds b, json_error_t *jerr) {
        size_t values = 0, line = 1, col = 0;
        unsigned depth = 0;
        bool in_string = false, escaped = false, in_token = false;
        for (size_t i = 0; i < len; i++) {
                char c = text[i];
                col++;
                if (c == '\n') {
                        line++;
                        col = 0;
                }
                if (in_string) {
                        if (escaped)
                                escaped = false;
                        else if (c == '\\')
                                escaped = true;
                        else if (c == '"')
                                in_string = false;
                        continue;
                }
                bool token_char = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                  c == '-' || c == '+' || c == '.';
                bool starts = (token_char && !in_token) || c == '"' || c == '{' || c == '[';
                in_token = token_char;
                if (c == '"')
                        in_string = true;
                if (starts && ++values > b.values)
                        return refuse(jerr, i, line, col, "too many values: at most", b.values);
                if (c == '{' || c == '[') {
                        if (++depth > b.depth)
                                return refuse(jerr, i, line, col, "nested deeper than", b.depth);
                } else if ((c == '}' || c == ']') && depth > 0) {
                        depth--;
                }
        }
        return json_loadb(text, len, flags, jerr);
}
