/* Languages: how (language, code) becomes an argv and a code file.
 * Nothing below this layer knows about languages. */
#pragma once

#include <stddef.h>

typedef struct lang {
        const char *name;      /* python, node, bash, sh */
        const char *file_name; /* the code's name in /run/ward */
        const char *const *argv_prefix;
} lang;

const lang *lang_find(const char *name);
/* "python, node, bash, sh", for messages. */
const char *lang_names(void);
/* A NULL-terminated argv that runs /run/ward/<file_name>, followed by the
 * extra arguments; free with free() (the strings are static). */
char **lang_argv(const lang *l, char *const *extra, size_t n_extra);
