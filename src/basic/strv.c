/* String vectors (see strv.h). */
#include "basic/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t strv_length(char *const *v) {
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

strv strv_copy_n(char *const *v, size_t n) {
        size_t have = strv_length(v);
        if (n > have)
                n = have;
        strv c = calloc(n + 1, sizeof *c);
        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (!(c[i] = strdup(v[i]))) {
                        strv_free(c);
                        return NULL;
                }
        return c;
}

int strv_push(strv *v, const char *s) {
        size_t n = strv_length(*v);
        char *copy = strdup(s);
        strv grown = copy ? realloc(*v, (n + 2) * sizeof *grown) : NULL;
        if (!grown) {
                free(copy);
                return -ENOMEM;
        }
        grown[n] = copy;
        grown[n + 1] = NULL;
        *v = grown;
        return 0;
}

void strv_free(strv v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}
