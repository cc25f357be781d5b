/* Languages: the one table of the runtimes ward knows, and how (language,
 * code) becomes an argv and a code file, or a session's REPL driver.
 * Nothing below this layer knows about languages; every face derives its
 * lists (MCP schemas, help text, error messages, the warm pool) from this
 * table, so a language is added in exec/lang.c and nowhere else (but for
 * its driver in runtimes/). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define LANG_MAX 8         /* languages in the table, at most: arrays indexed by language */
#define LANG_ALIASES_MAX 3 /* other spellings of one language, at most */

typedef struct lang_alias {
        const char *name;
        bool listed; /* also offered to clients (MCP schemas, descriptions) */
} lang_alias;

/* A session's REPL driver (runtimes/), embedded in the binary. */
typedef struct lang_driver {
        const unsigned char *code; /* NULL: no sessions in this language */
        size_t code_len;
        const char *code_name; /* its name in /run/ward */
        const char *argv[5];   /* NULL-terminated */
} lang_driver;

typedef struct lang {
        const char *name;                     /* python, node, bash, sh */
        lang_alias aliases[LANG_ALIASES_MAX]; /* {NULL} after the last */
        const char *title;                    /* for people: "Python 3"; NULL when the name says it */
        const char *file_name;                /* the code's name in /run/ward, for a one-shot run */
        const char *argv_prefix[4];           /* NULL-terminated; runs /run/ward/<file_name> */
        lang_driver driver;
        bool pooled; /* ward serve's warm pool keeps sandboxes of it (needs a driver) */
} lang;

/* Which languages a list is about; a set of these bits. */
enum {
        LANG_RUN = 1u << 0,     /* every language: one-shot runs */
        LANG_SESSION = 1u << 1, /* with a driver: sessions (and warm one-shot runs) */
        LANG_POOLED = 1u << 2,  /* kept by the warm pool */
};

/* By name or by any alias (python3, javascript, js). */
const lang *lang_find(const char *name);
/* The i-th language of the table; NULL past the last. */
const lang *lang_at(size_t i);
bool lang_in(const lang *l, unsigned set);
/* The i-th language of the table that the warm pool keeps, by name; NULL
 * past the last. Its index is below LANG_MAX. */
const char *lang_pooled(size_t i);
/* name is a language of the set by its name or a listed alias: what an
 * MCP schema's enum accepts. */
bool lang_listed(const char *name, unsigned set);
/* The names and listed aliases of the set, in table order, into out (at
 * most max); returns how many. For JSON schemas' enums. */
size_t lang_listed_names(unsigned set, const char **out, size_t max);

typedef enum lang_style {
        LANG_WORDS_NAMES,   /* python, node, bash, sh */
        LANG_WORDS_ALIASES, /* python, node (javascript), bash, sh */
        LANG_WORDS_TITLES,  /* python (Python 3), node or javascript (Node.js), bash, or sh */
} lang_style;
/* The set in words, for messages, help text and tool descriptions. */
void lang_words(unsigned set, lang_style style, char *out, size_t len);

/* The set's names as lang_words(set, LANG_WORDS_NAMES) gives them, made
 * once: "python, node, bash" for LANG_SESSION. */
const char *lang_names_of(unsigned set);
/* "python, node, bash, sh", for messages. */
const char *lang_names(void);
/* A NULL-terminated argv that runs /run/ward/<file_name>, followed by the
 * extra arguments; free with free() (the strings are static). */
char **lang_argv(const lang *l, char *const *extra, size_t n_extra);
