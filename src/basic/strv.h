/* String vectors: NULL-terminated arrays of malloc'd strings (argv, env,
 * lists of names), owned as a whole. */
#pragma once

#include <stddef.h>

typedef char **strv;

size_t strv_length(char *const *v); /* 0 for NULL */
/* A deep copy of the first n strings of v (all of them when n is
 * (size_t)-1); NULL when out of memory. */
strv strv_copy_n(char *const *v, size_t n);
/* Appends a copy of s: 0 or -ENOMEM (v is unchanged then). */
int strv_push(strv *v, const char *s);
void strv_free(strv v); /* accepts NULL */

static inline void strv_freep(strv *v) {
        strv_free(*v);
}
#define _cleanup_strv_free_ __attribute__((cleanup(strv_freep)))
